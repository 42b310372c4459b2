// Other ways to sign in, shown under the password form on the sign-in page.
//
// Each entry is { id, render(ctx) } where render returns a Node (e.g. a
// "Sign in with SSO" button or a small form). ctx gives:
//   ctx.email()        the email typed so far (to find the organisation by domain)
//   ctx.startSso(path) starts SSO at a server-provided start path and leaves for the provider
//   ctx.signedIn()     goes where the person was headed, once signed in
// render may return null when the method cannot work in this browser.

import { api } from './api.js';
import { ssoSignIn } from './sso.js';
import { passkeySignIn } from './passkey-signin.js';

export const signInMethods = [passkeySignIn, ssoSignIn];

// Leaves the app for a URL the server gave us (SSO start). Only http(s): a
// `javascript:` URL must never run, whoever answered.
export function goTo(url) {
  const target = new URL(url, location.href);
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return false;
  location.assign(target.href);
  return true;
}

// SSO starts with a POST carrying the CSRF token (another site cannot start it); the answer
// says where the provider's sign-in page is.
export async function startSso(path) {
  const started = await api.post(path);
  return Boolean(started && started.location) && goTo(started.location);
}
