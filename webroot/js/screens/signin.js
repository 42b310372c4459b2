// Sign in: email and password, then either the account, the second step, or SSO.

import { api } from '../api.js';
import { h, flash } from '../dom.js';
import { ssoMessage } from '../problems.js';
import { navigate } from '../router.js';
import { emailField, passwordField, formError, busy, showError, clearErrors, showFieldError } from '../forms.js';
import { signInMethods, startSso } from '../signin-methods.js';
import { loadMe } from '../session.js';
import { rememberPendingSignIn } from './two-factor.js';
import { pendingLink, linkNotice, linkCard } from '../sso.js';
import { stopWaiting } from '../webauthn.js';

export async function signInScreen(main, { state }) {
  document.title = 'Sign in · Gatehouse';
  // "webauthn": the browser may offer passkeys in this field's autofill.
  const email = emailField('username webauthn');
  const password = passwordField('current-password');
  const banner = formError();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--block', text: 'Sign in' });
  const form = h('form', { novalidate: true, 'aria-label': 'Sign in' }, banner, email.wrap, password.wrap, submit);
  // SSO failures land here as /signin?sso_error=code; the address is tidied so a reload does not repeat it.
  const query = new URLSearchParams(location.search);
  const ssoError = query.get('sso_error');
  if (ssoError !== null || query.has('sso_link')) history.replaceState(state, '', '/signin');
  const next = typeof state.next === 'string' && state.next.startsWith('/') && !state.next.startsWith('//') ? state.next : '/account';
  // Back from SSO with an address whose account has a password: signing in here links it.
  let link = query.has('sso_link') ? await pendingLink() : null;
  if (link) email.input.value = link.email;

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!email.input.value.trim()) return showFieldError(email, 'Enter your email address.');
    if (!password.input.value) return showFieldError(password, 'Enter your password.');
    stopWaiting(); // the password, not the passkey autofill
    await busy(submit, 'Signing in…', async () => {
      try {
        const result = await api.post('/api/session', { email: email.input.value.trim(), password: password.input.value });
        password.input.value = '';
        if (result && result.state === 'two_factor_required') {
          rememberPendingSignIn(result.methods, next, Boolean(link));
          return navigate('/signin/two-factor');
        }
        await loadMe();
        return navigate(next, link ? await linkNotice() : {}, { replace: true });
      } catch (error) {
        if (error.code === 'sso_required' && error.problem.ssoUrl) {
          banner.textContent = 'Your organisation signs in with single sign-on. Taking you there…';
          try {
            if (await startSso(error.problem.ssoUrl)) return undefined;
          } catch (started) {
            return showError(started, { banner, button: submit });
          }
        }
        return showError(error, { f: error.code === 'invalid_credentials' || error.status === 429 ? password : null, banner, button: submit, clearValue: true });
      }
    });
  });

  const signedIn = async () => {
    await loadMe();
    return navigate(next, link ? await linkNotice() : {}, { replace: true });
  };
  const others = signInMethods.map((method) => method.render({ email: () => email.input.value.trim(), startSso, signedIn }))
    .filter(Boolean);

  main.append(h('div', { class: 'auth' },
    h('h1', { class: 'auth__title', text: 'Sign in to Gatehouse' }),
    state.notice ? flash(state.noticeKind || 'info', state.notice) : null,
    ssoError !== null ? flash('danger', ssoMessage(ssoError)) : null,
    link ? linkCard(link, () => { link = null; }) : null,
    query.has('sso_link') && !link ? flash('warning', 'The single sign-on waiting to be linked expired (10 minutes). Please start again.') : null,
    h('div', { class: 'card' },
      form,
      others.length ? h('div', { class: 'alt-signin', id: 'alt-signin' },
        h('p', { class: 'alt-signin__divider', text: 'or' }), others) : null),
    h('div', { class: 'card' },
      h('p', { class: 'auth__switch' }, 'New to Gatehouse? ', h('a', { href: '/signup', text: 'Create an account' }), '.'))));
  (link ? password : email).input.focus();
}
