// Real forms with labels, errors announced next to the field, and buttons that
// say when they are busy.

import { h, uniqueId } from './dom.js';
import { messageFor } from './problems.js';

// One labelled input with a hint and an error line that screen readers hear.
export function field({ label, name, type = 'text', hint, attrs = {} }) {
  const id = uniqueId(name);
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  const input = h('input', {
    id, name, type,
    'aria-describedby': [hintId, errorId].filter(Boolean).join(' '),
    ...attrs,
  });
  const error = h('p', { class: 'field__error', id: errorId, 'aria-live': 'polite' });
  const wrap = h('div', { class: 'field' },
    h('label', { for: id, text: label }),
    input,
    hint ? h('p', { class: 'field__hint', id: hintId, text: hint }) : null,
    error);
  return { wrap, input, error };
}

export function emailField(autocomplete = 'username') {
  return field({
    label: 'Email address', name: 'email', type: 'email',
    attrs: { autocomplete, autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: '320' },
  });
}

export function passwordField(autocomplete = 'current-password', label = 'Password', hint) {
  return field({
    label, name: 'password', type: 'password', hint,
    attrs: { autocomplete, required: true, maxlength: '256' },
  });
}

export function totpField(label = 'Authentication code') {
  return field({
    label, name: 'code', hint: '6 digits from your authenticator app.',
    attrs: {
      inputmode: 'numeric', autocomplete: 'one-time-code', autocapitalize: 'none',
      spellcheck: 'false', class: 'code-input', maxlength: '16', required: true,
    },
  });
}

export function recoveryCodeField(label = 'Recovery code') {
  return field({
    label, name: 'recoveryCode', hint: 'One of the codes you saved when you turned on two-factor authentication.',
    attrs: {
      autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false',
      class: 'recovery-input', maxlength: '64', required: true, placeholder: 'xxxx-xxxx-xxxx-xxxx',
    },
  });
}

// Codes are often pasted as "123 456" or with a stray newline.
export function normaliseCode(value) {
  return value.replace(/\s+/g, '');
}

export function isSixDigits(value) {
  return /^[0-9]{6}$/.test(value);
}

export function showFieldError(f, message, { clearValue = false, focus = true } = {}) {
  f.error.textContent = message;
  f.input.setAttribute('aria-invalid', 'true');
  if (clearValue) f.input.value = '';
  if (focus) f.input.focus();
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll('.field__error, .form-error')) el.textContent = '';
  for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid');
}

// Errors that belong to no single field (the server is busy, the network is down).
export function formError() {
  return h('div', { class: 'form-error', role: 'alert' });
}

// Disables the button and shows `busyText` while `work` runs; a double click sends once.
export async function busy(button, busyText, work) {
  if (button.getAttribute('aria-busy') === 'true') return undefined;
  const label = button.textContent;
  const wasDisabled = button.disabled;
  button.setAttribute('aria-busy', 'true');
  button.disabled = true;
  button.textContent = busyText;
  try {
    return await work();
  } finally {
    button.removeAttribute('aria-busy');
    button.textContent = label;
    if (!wasDisabled && !button.dataset.lockedUntil) button.disabled = false;
  }
}

// After a 429 the server refuses even right answers until Retry-After, so the button waits too.
export function lockFor(button, seconds) {
  if (!seconds) return;
  const until = Date.now() + seconds * 1000;
  button.dataset.lockedUntil = String(until);
  button.disabled = true;
  setTimeout(() => {
    delete button.dataset.lockedUntil;
    if (button.isConnected) button.disabled = false;
  }, Math.min(seconds, 3600) * 1000);
}

// Shows an API error where it belongs: next to `f` when given, else in the form's banner.
export function showError(error, { f, banner, what, button, clearValue = false } = {}) {
  const message = messageFor(error, what);
  if (error.status === 429 && button) lockFor(button, error.retryAfterSeconds);
  const fieldLevel = f && !['overloaded', 'network', 'server_error'].includes(error.code);
  if (fieldLevel) {
    showFieldError(f, message, { clearValue });
  } else if (banner) {
    banner.textContent = message;
    if (f && clearValue) f.input.value = '';
  }
  return message;
}
