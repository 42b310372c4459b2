// "Change password" in Account settings. Accounts made by SSO have no password and never see it.

import { api } from '../api.js';
import { h, flash } from '../dom.js';
import { field, formError, busy, showError, clearErrors, showFieldError } from '../forms.js';
import { signInAgainIf } from '../layout.js';

function passwordInput(label, name, autocomplete, hint) {
  return field({ label, name, type: 'password', hint, attrs: { autocomplete, required: true, maxlength: '256' } });
}

export function passwordSection(me, onChanged) {
  if (!me.user || me.user.passwordSet === false) return null;
  const current = passwordInput('Current password', 'currentPassword', 'current-password');
  const next = passwordInput('New password', 'newPassword', 'new-password', 'At least 8 characters. A few unrelated words make a strong one.');
  const banner = formError();
  const done = h('div', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'btn btn--primary', text: 'Change password' });
  const form = h('form', { novalidate: true, 'aria-label': 'Change password' },
    // Tells password managers which account the new password belongs to.
    h('input', { type: 'email', name: 'username', autocomplete: 'username', value: me.user.email || '', hidden: true, readonly: true, tabindex: '-1' }),
    banner, current.wrap, next.wrap, h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    done.replaceChildren();
    if (!current.input.value) return showFieldError(current, 'Enter your current password.');
    if (!next.input.value) return showFieldError(next, 'Enter a new password.');
    return busy(submit, 'Changing…', async () => {
      try {
        await api.put('/api/me/password', { currentPassword: current.input.value, newPassword: next.input.value });
        form.reset();
        done.replaceChildren(flash('success', 'Your password is changed. Every other session was signed out.'));
        await onChanged();
      } catch (error) {
        if (signInAgainIf(error)) return;
        const onNext = error.problem.field === 'newPassword';
        const onCurrent = error.code === 'invalid_password' || error.status === 429;
        showError(error, { f: onNext ? next : onCurrent ? current : null, banner, what: 'password', button: submit, clearValue: onCurrent });
      }
    });
  });
  return h('section', { class: 'section', 'aria-labelledby': 'password-heading', id: 'password' },
    h('h2', { id: 'password-heading', text: 'Password' }), done, form);
}
