// The second sign-in step: a passkey, a code from the authenticator app, or a recovery code.

import { api } from '../api.js';
import { h } from '../dom.js';
import { navigate, focusHeading } from '../router.js';
import { totpField, recoveryCodeField, formError, busy, showError, clearErrors, showFieldError, normaliseCode, isSixDigits } from '../forms.js';
import { mustStartAgain } from '../problems.js';
import { loadMe } from '../session.js';
import { linkNotice } from '../sso.js';
import { passkeyProof } from '../webauthn.js';

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
  const canPasskey = pending.methods.includes('passkey');

  // When the pending sign-in is gone, no code can help: say so and offer the way back.
  const startAgainText = h('div', { class: 'form-error', role: 'alert' });
  const startAgainLink = h('a', { href: '/signin', class: 'btn btn--primary btn--block', text: 'Start again' });
  const startAgain = h('div', { hidden: true }, startAgainText, startAgainLink);

  const forms = [];
  const startAgainWith = (message) => {
    forms.forEach((form) => { form.hidden = true; });
    startAgainText.textContent = message;
    startAgain.hidden = false;
    startAgainLink.focus();
  };
  // "Use your passkey instead" under the code forms, when the account has one.
  const passkeyLinks = [];
  const passkeyLink = () => {
    if (!canPasskey) return null;
    const link = h('button', { type: 'button', class: 'link-button', text: 'Use your passkey instead' });
    passkeyLinks.push(link);
    return h('p', { class: 'auth__switch' }, link);
  };

  function codeForm({ f, intro, body, what, switchText }) {
    const banner = formError();
    const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--block', text: 'Verify' });
    const toggle = h('button', { type: 'button', class: 'link-button', text: switchText });
    const form = h('form', { novalidate: true, 'aria-label': intro },
      h('p', { text: intro }), banner, f.wrap, submit,
      switchText ? h('p', { class: 'auth__switch' }, toggle) : null, passkeyLink());
    forms.push(form);
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
          if (mustStartAgain(error)) startAgainWith(message);
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

  // The passkey: the browser's prompt; a cancelled one counts like a wrong code.
  const passkeyBanner = formError();
  const usePasskey = h('button', { type: 'button', class: 'btn btn--primary btn--block', text: 'Use your passkey' });
  const codeInstead = h('button', { type: 'button', class: 'link-button', text: canTotp ? 'Use your authenticator app instead' : 'Use a recovery code instead' });
  const passkey = h('div', { role: 'group', 'aria-label': 'Use your passkey' },
    h('p', { text: 'Confirm it’s you with the passkey on this device or your phone.' }), passkeyBanner, usePasskey,
    canTotp || canRecovery ? h('p', { class: 'auth__switch' }, codeInstead) : null);
  forms.push(passkey);
  usePasskey.addEventListener('click', () => busy(usePasskey, 'Waiting for your passkey…', async () => {
    passkeyBanner.textContent = '';
    try {
      await api.post('/api/session/two-factor', { passkey: await passkeyProof('/api/session/two-factor/passkey/options') });
      await loadMe();
      return navigate(pending.next, pending.linking ? await linkNotice() : {}, { replace: true });
    } catch (error) {
      const message = showError(error, { banner: passkeyBanner, what: 'passkey', button: usePasskey });
      return mustStartAgain(error) ? startAgainWith(message) : undefined;
    }
  }));

  function show(which) {
    totp.form.hidden = which !== 'totp';
    recovery.form.hidden = which !== 'recovery';
    passkey.hidden = which !== 'passkey';
    if (which === 'passkey') usePasskey.focus();
    else (which === 'totp' ? totp : recovery).f.input.focus();
  }
  totp.toggle.addEventListener('click', () => show('recovery'));
  recovery.toggle.addEventListener('click', () => show('totp'));
  codeInstead.addEventListener('click', () => show(canTotp ? 'totp' : 'recovery'));
  passkeyLinks.forEach((link) => link.addEventListener('click', () => show('passkey')));

  const cancel = h('button', { type: 'button', class: 'link-button', text: 'Sign in as someone else' });
  cancel.addEventListener('click', async () => {
    await api.delete('/api/session').catch(() => null);
    navigate('/signin', {}, { replace: true });
  });

  main.append(h('div', { class: 'auth' },
    h('h1', { class: 'auth__title', text: 'Two-factor authentication' }),
    h('div', { class: 'card' }, passkey, totp.form, recovery.form, startAgain),
    h('div', { class: 'card' }, h('p', { class: 'auth__switch' }, cancel))));
  // A passkey first: a look-alike page cannot use it, as it can a code.
  if (canPasskey) show('passkey');
  else if (canTotp) show('totp');
  else if (canRecovery) show('recovery');
  else focusHeading(main);
}
