// Changes that could strip the second factor (disabling it, swapping the app) need the
// current one: a code from the app, or a recovery code for whoever lost the phone.
// `send(body)` makes the change; resolves with its result, or rejects with Cancelled.

import { h } from './dom.js';
import { openDialog, cancelButton, Cancelled } from './dialog.js';
import { totpField, recoveryCodeField, formError, busy, showError, clearErrors, showFieldError, normaliseCode, isSixDigits } from './forms.js';
import { withSudo } from './sudo.js';

export async function withCurrentFactor(title, text, label, send, danger) {
  await withSudo(async () => null);
  return openDialog(title, (close, fail) => {
    const totp = totpField('Code from your authenticator app');
    const recovery = recoveryCodeField();
    recovery.wrap.hidden = true;
    let useRecovery = false;
    const banner = formError();
    const toggle = h('button', { type: 'button', class: 'link-button', text: 'Use a recovery code instead' });
    toggle.addEventListener('click', () => {
      useRecovery = !useRecovery;
      totp.wrap.hidden = useRecovery;
      recovery.wrap.hidden = !useRecovery;
      toggle.textContent = useRecovery ? 'Use your authenticator app instead' : 'Use a recovery code instead';
      (useRecovery ? recovery : totp).input.focus();
    });
    const submit = h('button', { type: 'submit', class: `btn btn--${danger ? 'danger-solid' : 'primary'}`, text: label });
    const form = h('form', { novalidate: true },
      h('p', { text }),
      banner, totp.wrap, recovery.wrap, h('p', {}, toggle),
      h('div', { class: 'actions' }, cancelButton(), submit));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      clearErrors(form);
      const f = useRecovery ? recovery : totp;
      let body;
      if (useRecovery) {
        if (!recovery.input.value.trim()) return showFieldError(recovery, 'Enter one of your recovery codes.');
        body = { recoveryCode: recovery.input.value.trim() };
      } else {
        const code = normaliseCode(totp.input.value);
        if (!isSixDigits(code)) return showFieldError(totp, 'Enter the 6 digits shown in your authenticator app.');
        body = { code };
      }
      return busy(submit, 'Checking…', async () => {
        try {
          close(await withSudo(() => send(body)));
        } catch (error) {
          if (error instanceof Cancelled) return;
          if (error.code === 'not_signed_in') fail(error);
          else showError(error, { f, banner, what: useRecovery ? 'recovery' : 'code', button: submit, clearValue: true });
        }
      });
    });
    return form;
  });
}
