// "Confirm it's you" (sudo): security settings ask for the password again and, with
// two-factor authentication on, a passkey or a code from the app (or a recovery code)
// too; then they leave the person alone for ten minutes. An account made by SSO has no
// password: it signs in again at its organisation's provider, which brings it back to /account.

import { api } from './api.js';
import { h } from './dom.js';
import { openDialog, cancelButton } from './dialog.js';
import { passwordField, totpField, recoveryCodeField, formError, busy, showError, clearErrors, showFieldError,
  normaliseCode, isSixDigits } from './forms.js';
import { currentUser, emailOf, hasSudo, noteSudoGranted } from './session.js';
import { passkeyProof } from './webauthn.js';
import { startSso } from './signin-methods.js';

function confirmAtProvider(me) {
  const name = (me.organisation && me.organisation.name) || 'your organisation';
  return openDialog('Confirm it’s you', (close, fail) => {
    const banner = formError();
    const go = h('button', { type: 'submit', class: 'btn btn--primary', text: `Continue with ${name}` });
    const form = h('form', { novalidate: true },
      h('p', { text: `You are changing a security setting. Sign in at ${name} again to continue; we won’t ask again for a few minutes.` }),
      banner, h('div', { class: 'actions' }, cancelButton(), go));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      // The server names where to go (a POST with the CSRF token, as every SSO start).
      busy(go, 'Taking you there…', () => api.post('/api/me/sudo', {}).then(() => close(true), async (error) => {
        if (error.code === 'not_signed_in') return fail(error);
        try {
          if (error.problem.ssoUrl && await startSso(error.problem.ssoUrl)) return undefined;
        } catch (started) {
          error = started;
        }
        return showError(error, { banner, button: go });
      }));
    });
    return form;
  });
}

export function confirmPassword() {
  const me = currentUser();
  if (me && me.user && me.user.passwordSet === false) return confirmAtProvider(me);
  return openDialog('Confirm it’s you', (close, fail) => {
    const password = passwordField('current-password');
    const totp = totpField('Code from your authenticator app');
    const recovery = recoveryCodeField();
    let step = 'password';
    let useRecovery = false;
    const banner = formError();
    const intro = h('p', { text: 'You are changing a security setting. Enter your password to continue; we won’t ask again for a few minutes.' });
    const toggle = h('button', { type: 'button', class: 'link-button', text: 'Use a recovery code instead' });
    const usePasskey = h('button', { type: 'button', class: 'btn btn--primary btn--block', text: 'Use your passkey' });
    const passkeyRow = h('div', { class: 'field' }, usePasskey);
    const codeStep = h('div', { hidden: true }, passkeyRow, totp.wrap, recovery.wrap, h('p', {}, toggle));
    recovery.wrap.hidden = true;
    toggle.addEventListener('click', () => {
      useRecovery = !useRecovery;
      totp.wrap.hidden = useRecovery;
      recovery.wrap.hidden = !useRecovery;
      toggle.textContent = useRecovery ? 'Use your authenticator app instead' : 'Use a recovery code instead';
      (useRecovery ? recovery : totp).input.focus();
    });
    const submit = h('button', { type: 'submit', class: 'btn btn--primary', text: 'Confirm' });
    const form = h('form', { novalidate: true }, intro,
      // Tells password managers which account this password belongs to.
      h('input', { type: 'email', name: 'username', autocomplete: 'username', value: emailOf(currentUser()), hidden: true, readonly: true, tabindex: '-1' }),
      banner, password.wrap, codeStep,
      h('div', { class: 'actions' }, cancelButton(), submit));
    const granted = () => {
      noteSudoGranted();
      close(true);
    };
    // The password half lasts 5 minutes: after that, the password again.
    const backToPassword = (error) => {
      step = 'password';
      password.wrap.hidden = false;
      codeStep.hidden = true;
      showError(error, { f: password, banner });
    };
    // A passkey instead of a code: the browser's prompt; a cancelled one counts like a wrong code.
    usePasskey.addEventListener('click', () => busy(usePasskey, 'Waiting for your passkey…', async () => {
      clearErrors(form);
      try {
        await api.post('/api/me/sudo', { passkey: await passkeyProof('/api/me/sudo/passkey/options') });
        granted();
      } catch (error) {
        if (error.code === 'not_signed_in') fail(error);
        else if (error.code === 'password_required') backToPassword(error);
        else showError(error, { banner, what: 'passkey', button: usePasskey });
      }
    }));
    // Two-factor accounts: the password is only half; the dialog now asks for the second factor.
    const askForCode = (methods = ['totp', 'recovery_code']) => {
      step = 'code';
      password.wrap.hidden = true;
      codeStep.hidden = false;
      const hasPasskey = methods.includes('passkey');
      passkeyRow.hidden = !hasPasskey;
      // Without the app, the code field is for a recovery code only.
      if (!methods.includes('totp')) {
        useRecovery = true;
        totp.wrap.hidden = true;
        recovery.wrap.hidden = false;
        toggle.hidden = true;
      }
      intro.textContent = hasPasskey
        ? 'Password confirmed. Now use your passkey, or enter a code.'
        : 'Password confirmed. Now enter the code from your authenticator app, or one of your recovery codes.';
      (hasPasskey ? usePasskey : (useRecovery ? recovery : totp).input).focus();
    };
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      let body;
      let f = password;
      if (step === 'password') {
        if (!password.input.value) return showFieldError(password, 'Enter your password.');
        body = { password: password.input.value };
      } else if (useRecovery) {
        f = recovery;
        if (!recovery.input.value.trim()) return showFieldError(recovery, 'Enter one of your recovery codes.');
        body = { recoveryCode: recovery.input.value.trim() };
      } else {
        f = totp;
        const code = normaliseCode(totp.input.value);
        if (!isSixDigits(code)) return showFieldError(totp, 'Enter the 6 digits shown in your authenticator app.');
        body = { code };
      }
      await busy(submit, 'Confirming…', async () => {
        try {
          const answer = await api.post('/api/me/sudo', body);
          if (answer && answer.state === 'second_factor_required') return askForCode(answer.methods);
          return granted();
        } catch (error) {
          // No password can help a session that is gone: the caller sends the person to sign in.
          if (error.code === 'not_signed_in') fail(error);
          else if (error.code === 'password_required') backToPassword(error);
          else showError(error, { f, banner, what: f === password ? 'password' : (useRecovery ? 'recovery' : 'code'), button: submit, clearValue: true });
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
