// The browser's passkey prompts with the server's options. Bytes travel as base64url
// (the W3C JSON form); the server makes every challenge.

import { api } from './api.js';

export const bytes = (text) => Uint8Array.from(atob(text.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
export const text = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

export const passkeysWork = () => Boolean(window.PublicKeyCredential && navigator.credentials);

// The person closed the prompt, it timed out, or this device has no passkey for us.
export class NoPasskey extends Error {}

// One request at a time: a new one (a button) ends a waiting one (the autofill).
let waiting = null;

function assertion(credential) {
  const r = credential.response;
  return {
    id: credential.id,
    rawId: text(credential.rawId),
    type: credential.type,
    response: {
      clientDataJSON: text(r.clientDataJSON),
      authenticatorData: text(r.authenticatorData),
      signature: text(r.signature),
      userHandle: r.userHandle ? text(r.userHandle) : null,
    },
  };
}

// Options from `path`, the browser's prompt (or autofill, with mediation 'conditional'),
// and the answer in JSON. Rejects with NoPasskey when nothing was chosen.
export async function getPasskey(path, mediation) {
  // The autofill never ends a request the person started.
  if (mediation === 'conditional' && waiting) throw new NoPasskey('busy');
  if (waiting) waiting.abort();
  const controller = new AbortController();
  waiting = controller;
  const { publicKey: o } = await api.post(path);
  const publicKey = {
    ...o,
    challenge: bytes(o.challenge),
    allowCredentials: (o.allowCredentials || []).map((c) => ({ ...c, id: bytes(c.id) })),
  };
  try {
    return assertion(await navigator.credentials.get({ publicKey, mediation, signal: controller.signal }));
  } catch (error) {
    if (error instanceof DOMException) throw new NoPasskey(error.name);
    throw error;
  } finally {
    if (waiting === controller) waiting = null;
  }
}

// Ends a waiting request: the person chose the password instead of the autofill.
export function stopWaiting() {
  if (waiting) waiting.abort();
  waiting = null;
}

// Passkey autofill in the email field, where the browser offers it.
export async function autofillWorks() {
  try {
    return passkeysWork() && typeof PublicKeyCredential.isConditionalMediationAvailable === 'function'
      && await PublicKeyCredential.isConditionalMediationAvailable();
  } catch (error) {
    return false;
  }
}

// After the password (second step, sudo): the answer, or 'cancelled', which the server
// counts like a wrong code.
export async function passkeyProof(path) {
  try {
    return await getPasskey(path);
  } catch (error) {
    if (error instanceof NoPasskey) return 'cancelled';
    throw error;
  }
}
