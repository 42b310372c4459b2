// The "Passkeys" section of Account settings: add one with this device's passkey
// provider (navigator.credentials.create), list, rename, remove.

import { api, ApiError } from './api.js';
import { h, flash, formatDate } from './dom.js';
import { navigate } from './router.js';
import { openDialog, cancelButton, confirmDialog } from './dialog.js';
import { field, showFieldError, clearErrors } from './forms.js';
import { messageFor } from './problems.js';
import { withSudo } from './sudo.js';
import { loadMe } from './session.js';
import { showNewCodes } from './screens/recovery.js';
import { bytes, text, passkeysWork } from './webauthn.js';

const PASSKEYS = '/api/me/passkeys';

function creationOptions(o) {
  return {
    ...o,
    challenge: bytes(o.challenge),
    user: { ...o.user, id: bytes(o.user.id) },
    excludeCredentials: (o.excludeCredentials || []).map((c) => ({ ...c, id: bytes(c.id) })),
  };
}

function registration(credential) {
  const r = credential.response;
  return {
    id: credential.id,
    rawId: text(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: text(r.clientDataJSON),
      attestationObject: text(r.attestationObject),
      transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
    },
  };
}

// What the browser's refusal means to a person, as an error the settings page shows.
function notCreated(error) {
  const words = {
    NotAllowedError: 'No passkey was made: it was cancelled, or took too long. Try again when you are ready.',
    InvalidStateError: 'This device already holds a passkey for your account.',
    SecurityError: 'This browser will not make passkeys for this address.',
  };
  return new ApiError(400, { code: 'passkey_not_created', detail: words[error && error.name] || 'Your browser could not make a passkey. Try again.' });
}

// Asks for the passkey's name; resolves with it, or rejects with Cancelled.
function askName(title, current, label) {
  return openDialog(title, (close) => {
    const name = field({
      label: 'Passkey name', name: 'passkey-name',
      hint: 'So you can tell your passkeys apart, for example “MacBook Touch ID”.',
      attrs: { maxlength: '64', required: true, autocomplete: 'off', value: current },
    });
    const form = h('form', { novalidate: true }, name.wrap,
      h('div', { class: 'actions' }, cancelButton(), h('button', { type: 'submit', class: 'btn btn--primary', text: label })));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      clearErrors(form);
      const value = name.input.value.trim();
      if (!value) return showFieldError(name, 'Give the passkey a name.');
      return close(value);
    });
    return form;
  });
}

async function addPasskey() {
  const name = await askName('Add a passkey', '', 'Continue');
  const { publicKey } = await withSudo(() => api.post(`${PASSKEYS}/registration`));
  let made;
  try {
    made = await navigator.credentials.create({ publicKey: creationOptions(publicKey) });
  } catch (error) {
    throw notCreated(error);
  }
  const result = await withSudo(() => api.post(PASSKEYS, { name, credential: registration(made) }));
  await loadMe();
  if (result && Array.isArray(result.recoveryCodes) && result.recoveryCodes.length) {
    return showNewCodes(result.recoveryCodes, `Two-factor authentication is on with your passkey “${name}”. Save these recovery codes: they get you in if you lose your passkeys.`);
  }
  return navigate('/account', { notice: `Passkey “${name}” added.`, noticeKind: 'success' }, { replace: true });
}

async function rename(passkey) {
  const name = await askName('Rename passkey', passkey.name, 'Save');
  await api.put(`${PASSKEYS}/${passkey.id}`, { name });
  return navigate('/account', { notice: `Passkey renamed to “${name}”.`, noticeKind: 'success' }, { replace: true });
}

// The last second factor goes only with a confirmation that says 2FA goes with it.
async function remove(passkey, last) {
  await confirmDialog(last ? {
    title: 'Remove your last passkey?',
    message: ['It is your only second factor: removing it turns two-factor authentication off and deletes your recovery codes.',
      'Signing in will then only ask for your password.'],
    confirmText: 'Remove and turn off 2FA',
    danger: true,
  } : {
    title: `Remove “${passkey.name}”?`,
    message: 'You will no longer be able to use this passkey with your account.',
    confirmText: 'Remove passkey',
    danger: true,
  });
  try {
    await withSudo(() => api.delete(`${PASSKEYS}/${passkey.id}`, last ? { turnOffTwoFactor: true } : {}));
  } catch (error) {
    // The other factors changed meanwhile (another tab): ask again, now with the right words.
    if (error.code === 'turns_two_factor_off' && !last) return remove(passkey, true);
    throw error;
  }
  await loadMe();
  return navigate('/account', {
    notice: last ? 'Passkey removed. Two-factor authentication is off.' : `Passkey “${passkey.name}” removed.`,
    noticeKind: last ? 'warning' : 'success',
  }, { replace: true });
}

function row(passkey, last, act) {
  const renameButton = h('button', { type: 'button', class: 'btn', text: 'Rename', 'aria-label': `Rename ${passkey.name}` });
  renameButton.addEventListener('click', () => act(() => rename(passkey)));
  const removeButton = h('button', { type: 'button', class: 'btn btn--danger', text: 'Remove', 'aria-label': `Remove ${passkey.name}` });
  removeButton.addEventListener('click', () => act(() => remove(passkey, last)));
  const facts = [passkey.authenticator, passkey.synced ? 'Synced' : null, `Added ${formatDate(passkey.createdAt)}`,
    passkey.lastUsedAt ? `Last used ${formatDate(passkey.lastUsedAt)}` : 'Never used'].filter(Boolean);
  return h('li', { class: 'box__row' },
    h('div', { class: 'box__text' }, h('h3', { text: passkey.name }), h('p', { text: facts.join(' · ') })),
    h('div', { class: 'box__buttons' }, renameButton, removeButton));
}

// `act(where, work)` runs a change and shows in `where` what went wrong (account.js's act).
export function passkeySection(tf, act) {
  const problems = h('div', { 'aria-live': 'polite' });
  const run = (work) => act(problems, work);
  const list = h('div', {}, h('p', { class: 'muted', text: 'Loading your passkeys…' }));
  const add = h('button', { type: 'button', class: 'btn btn--primary', text: 'Add a passkey' });
  const supported = passkeysWork();
  add.disabled = !supported;
  add.addEventListener('click', () => run(addPasskey));
  api.get(PASSKEYS).then(({ passkeys }) => {
    const onlyFactor = !(tf.methods || []).includes('totp') && passkeys.length === 1;
    list.replaceChildren(passkeys.length
      ? h('ul', { class: 'box passkeys', 'aria-label': 'Your passkeys' }, passkeys.map((p) => row(p, onlyFactor, run)))
      : h('p', { text: 'You have no passkeys yet.' }));
  }, (error) => list.replaceChildren(flash('danger', messageFor(error))));
  return h('section', { class: 'section', 'aria-labelledby': 'passkeys-heading', id: 'passkeys' },
    h('h2', { id: 'passkeys-heading', text: 'Passkeys' }),
    h('p', { class: 'muted', text: 'A passkey confirms it’s you with your fingerprint, face or screen lock instead of a code. It only works on this site, so a look-alike page cannot use it. Your first passkey turns two-factor authentication on.' }),
    supported ? null : flash('info', 'This browser cannot use passkeys.'),
    problems,
    list,
    h('div', { class: 'actions' }, add));
}
