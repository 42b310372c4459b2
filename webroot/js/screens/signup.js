// Create an account, then sign straight in with it.

import { api } from '../api.js';
import { h } from '../dom.js';
import { navigate } from '../router.js';
import { field, emailField, passwordField, formError, busy, showError, clearErrors, showFieldError } from '../forms.js';
import { loadMe } from '../session.js';
import { rememberPendingSignIn } from './two-factor.js';

const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;

// Which field a refused sign-up is about, from the problem's code, field or wording.
function fieldOf(error, fields) {
  const hint = `${error.problem.field || ''} ${error.code} ${error.problem.detail || ''}`.toLowerCase();
  if (error.status === 409 || hint.includes('email')) return fields.email;
  if (hint.includes('password')) return fields.password;
  if (hint.includes('name')) return fields.name;
  return null;
}

export async function signUpScreen(main) {
  document.title = 'Create your account · Gatehouse';
  const name = field({ label: 'Your name', name: 'name', attrs: { autocomplete: 'name', required: true, maxlength: '100' } });
  const email = emailField('username');
  const password = passwordField('new-password', 'Password',
    `At least ${MIN_PASSWORD} characters. A few random words make a strong password that is easy to remember.`);
  const banner = formError();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--block', text: 'Create account' });
  const form = h('form', { novalidate: true, 'aria-label': 'Create account' }, banner, name.wrap, email.wrap, password.wrap, submit);

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const values = { name: name.input.value.trim(), email: email.input.value.trim(), password: password.input.value };
    if (!values.name) return showFieldError(name, 'Enter your name.');
    if (!values.email || !values.email.includes('@')) return showFieldError(email, 'Enter your email address, like name@example.com.');
    if (values.password.length < MIN_PASSWORD) return showFieldError(password, `Use at least ${MIN_PASSWORD} characters.`);
    if (values.password.length > MAX_PASSWORD) return showFieldError(password, `Use at most ${MAX_PASSWORD} characters.`);
    return busy(submit, 'Creating account…', async () => {
      try {
        await api.post('/api/accounts', values);
      } catch (error) {
        return showError(error, { f: fieldOf(error, { name, email, password }), banner, button: submit });
      }
      try {
        const result = await api.post('/api/session', { email: values.email, password: values.password });
        password.input.value = '';
        if (result && result.state === 'two_factor_required') {
          rememberPendingSignIn(result.methods, '/account');
          return navigate('/signin/two-factor');
        }
        await loadMe();
        return navigate('/account', { notice: 'Welcome to Gatehouse. Your account is ready: we recommend turning on two-factor authentication below.', noticeKind: 'success' }, { replace: true });
      } catch {
        // The account exists; only the automatic sign-in failed.
        return navigate('/signin', { notice: 'Your account is ready. Please sign in.', noticeKind: 'success' }, { replace: true });
      }
    });
  });

  main.append(h('div', { class: 'auth' },
    h('h1', { class: 'auth__title', text: 'Create your account' }),
    h('div', { class: 'card' }, form),
    h('div', { class: 'card' },
      h('p', { class: 'auth__switch' }, 'Already have an account? ', h('a', { href: '/signin', text: 'Sign in' }), '.'))));
  name.input.focus();
}
