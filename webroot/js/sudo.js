// "Confirm your password" (sudo): security settings ask for the password again,
// then leave the person alone for ten minutes.

import { api } from './api.js';
import { h } from './dom.js';
import { openDialog, cancelButton } from './dialog.js';
import { passwordField, formError, busy, showError, clearErrors } from './forms.js';
import { currentUser, emailOf, hasSudo, noteSudoGranted } from './session.js';

export function confirmPassword() {
  return openDialog('Confirm your password', (close, fail) => {
    const password = passwordField('current-password');
    const banner = formError();
    const submit = h('button', { type: 'submit', class: 'btn btn--primary', text: 'Confirm' });
    const form = h('form', { novalidate: true },
      h('p', { text: 'You are changing a security setting. Enter your password to continue; we won’t ask again for a few minutes.' }),
      // Tells password managers which account this password belongs to.
      h('input', { type: 'email', name: 'username', autocomplete: 'username', value: emailOf(currentUser()), hidden: true, readonly: true, tabindex: '-1' }),
      banner,
      password.wrap,
      h('div', { class: 'actions' }, cancelButton(), submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      if (!password.input.value) {
        password.error.textContent = 'Enter your password.';
        password.input.focus();
        return;
      }
      await busy(submit, 'Confirming…', async () => {
        try {
          await api.post('/api/me/sudo', { password: password.input.value });
          noteSudoGranted();
          close(true);
        } catch (error) {
          // No password can help a session that is gone: the caller sends the person to sign in.
          if (error.code === 'not_signed_in') fail(error);
          else showError(error, { f: password, banner, what: 'password', button: submit, clearValue: true });
        }
      });
    });
    return form;
  });
}

// Runs `action` with sudo: asks first when it has lapsed, and again if the
// server says it lapsed meanwhile. Rejects with Cancelled when the person backs out.
export async function withSudo(action) {
  if (!hasSudo()) await confirmPassword();
  try {
    return await action();
  } catch (error) {
    if (error.code !== 'sudo_required') throw error;
    await confirmPassword();
    return action();
  }
}
