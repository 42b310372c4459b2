// The second sign-in step: a code from the authenticator app, or a recovery code.

import { api } from '../api.js';
import { h } from '../dom.js';
import { navigate, focusHeading } from '../router.js';
import { totpField, recoveryCodeField, formError, busy, showError, clearErrors, showFieldError, normaliseCode, isSixDigits } from '../forms.js';
import { mustStartAgain } from '../problems.js';
import { loadMe } from '../session.js';
import { linkNotice } from '../sso.js';

// Kept in memory only: what the password step said, and where to go afterwards.
let pending = { methods: ['totp', 'recovery_code'], next: '/account', linking: false };

export function rememberPendingSignIn(methods, next, linking = false) {
  pending = {
    methods: Array.isArray(methods) && methods.length ? methods : ['totp', 'recovery_code'],
    next: next || '/account',
    linking,
  };
}

export async function twoFactorScreen(main) {
  document.title = 'Two-factor authentication · Gatehouse';
  const canTotp = pending.methods.includes('totp');
  const canRecovery = pending.methods.includes('recovery_code');

  // When the pending sign-in is gone, no code can help: say so and offer the way back.
  const startAgainText = h('div', { class: 'form-error', role: 'alert' });
  const startAgainLink = h('a', { href: '/signin', class: 'btn btn--primary btn--block', text: 'Start again' });
  const startAgain = h('div', { hidden: true }, startAgainText, startAgainLink);

  function codeForm({ f, intro, body, what, switchText }) {
    const banner = formError();
    const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--block', text: 'Verify' });
    const toggle = h('button', { type: 'button', class: 'link-button', text: switchText });
    const form = h('form', { novalidate: true, 'aria-label': intro },
      h('p', { text: intro }), banner, f.wrap, submit,
      switchText ? h('p', { class: 'auth__switch' }, toggle) : null);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const value = body(f.input.value);
      if (value.error) return showFieldError(f, value.error, { clearValue: false });
      return busy(submit, 'Verifying…', async () => {
        try {
          const result = await api.post('/api/session/two-factor', value.json);
          f.input.value = '';
          await loadMe();
          const remaining = result && typeof result.recoveryCodesRemaining === 'number' ? result.recoveryCodesRemaining : null;
          let state = what === 'recovery' && remaining !== null
            ? { notice: `You signed in with a recovery code. You have ${remaining} recovery code${remaining === 1 ? '' : 's'} left.`, noticeKind: remaining <= 3 ? 'warning' : 'info' }
            : {};
          if (pending.linking) state = await linkNotice();
          return navigate(pending.next, state, { replace: true });
        } catch (error) {
          const message = showError(error, { f, banner, what, button: submit, clearValue: true });
          if (mustStartAgain(error)) {
            totp.form.hidden = true;
            recovery.form.hidden = true;
            startAgainText.textContent = message;
            startAgain.hidden = false;
            startAgainLink.focus();
          }
          return undefined;
        }
      });
    });
    return { form, toggle, f };
  }

  const totp = codeForm({
    f: totpField(),
    intro: 'Open your authenticator app and enter the 6-digit code for Gatehouse.',
    what: 'code',
    switchText: canRecovery ? 'Use a recovery code instead' : null,
    body: (raw) => {
      const code = normaliseCode(raw);
      return isSixDigits(code) ? { json: { code } } : { error: 'Enter the 6 digits shown in your authenticator app.' };
    },
  });
  const recovery = codeForm({
    f: recoveryCodeField(),
    intro: 'Enter one of your saved recovery codes. Each code works only once.',
    what: 'recovery',
    switchText: canTotp ? 'Use your authenticator app instead' : null,
    body: (raw) => {
      const recoveryCode = raw.trim();
      return recoveryCode ? { json: { recoveryCode } } : { error: 'Enter one of your recovery codes.' };
    },
  });

  function show(which) {
    totp.form.hidden = which !== 'totp';
    recovery.form.hidden = which !== 'recovery';
    (which === 'totp' ? totp : recovery).f.input.focus();
  }
  totp.toggle.addEventListener('click', () => show('recovery'));
  recovery.toggle.addEventListener('click', () => show('totp'));

  const cancel = h('button', { type: 'button', class: 'link-button', text: 'Sign in as someone else' });
  cancel.addEventListener('click', async () => {
    await api.delete('/api/session').catch(() => null);
    navigate('/signin', {}, { replace: true });
  });

  main.append(h('div', { class: 'auth' },
    h('h1', { class: 'auth__title', text: 'Two-factor authentication' }),
    h('div', { class: 'card' }, totp.form, recovery.form, startAgain),
    h('div', { class: 'card' }, h('p', { class: 'auth__switch' }, cancel))));
  if (canTotp) show('totp');
  else if (canRecovery) show('recovery');
  else focusHeading(main);
}
