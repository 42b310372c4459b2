// Modal dialogs on the native <dialog>: it traps focus, closes on Escape and
// gives focus back to the button that opened it.

import { h, uniqueId } from './dom.js';

export class Cancelled extends Error {}

// `build(close, fail)` returns the dialog's body; call `close(value)` to finish, or
// `fail(error)` when the dialog cannot help (e.g. the session ended meanwhile).
// Resolves with the value, or rejects with the error, or with Cancelled on Escape / Cancel.
export function openDialog(title, build) {
  return new Promise((resolve, reject) => {
    const titleId = uniqueId('dialog-title');
    let settled = false;
    const dialog = h('dialog', { 'aria-labelledby': titleId });
    const close = (value) => {
      settled = true;
      dialog.close();
      resolve(value);
    };
    const fail = (error) => {
      settled = true;
      dialog.close();
      reject(error);
    };
    dialog.append(
      h('div', { class: 'dialog__head' }, h('h2', { id: titleId, text: title })),
      h('div', { class: 'dialog__body' }, build(close, fail)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (!settled) reject(new Cancelled('cancelled'));
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = dialog.querySelector('input:not([type="hidden"]):not([hidden])');
    if (first) first.focus();
  });
}

export function cancelButton(text = 'Cancel') {
  return h('button', {
    type: 'button', class: 'btn', text,
    onclick: (event) => event.target.closest('dialog').close(),
  });
}

// "Are you sure?" with the consequence spelled out; focus starts on Cancel, the safe choice.
// Resolves true, or rejects with Cancelled.
export function confirmDialog({ title, message, confirmText, danger = false }) {
  return openDialog(title, (close) => {
    const ok = h('button', {
      type: 'button', class: `btn ${danger ? 'btn--danger-solid' : 'btn--primary'}`, text: confirmText,
      onclick: () => close(true),
    });
    return [
      ...[].concat(message).map((text) => h('p', { text })),
      h('div', { class: 'actions' }, cancelButton(), ok),
    ];
  });
}
