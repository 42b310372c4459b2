// "Sign in with a passkey" on the sign-in page: a passkey that verifies the person is
// both factors, so no password and no second step. Where the browser offers it,
// passkeys also appear in the email field's autofill (conditional mediation).

import { api } from './api.js';
import { h, announce } from './dom.js';
import { busy, showError, formError } from './forms.js';
import { getPasskey, NoPasskey, passkeysWork, autofillWorks } from './webauthn.js';

const OPTIONS = '/api/session/passkey/options';

async function signIn(ctx, passkey) {
  try {
    await api.post('/api/session/passkey', { passkey });
  } catch (error) {
    // Members of an organisation that requires SSO go to its provider, as with a password.
    if (error.code === 'sso_required' && error.problem.ssoUrl) {
      announce('Your organisation signs in with single sign-on. Taking you there…');
      if (await ctx.startSso(error.problem.ssoUrl)) return undefined;
    }
    throw error;
  }
  return ctx.signedIn();
}

function render(ctx) {
  if (!passkeysWork()) return null;
  const banner = formError();
  const button = h('button', { type: 'button', class: 'btn btn--block', text: 'Sign in with a passkey' });
  const failed = (error) => {
    if (error instanceof NoPasskey) banner.textContent = 'No passkey was used. Try again, or sign in with your password.';
    else showError(error, { banner, what: 'passkey', button });
  };
  button.addEventListener('click', () => busy(button, 'Waiting for your passkey…', async () => {
    banner.textContent = '';
    try {
      await signIn(ctx, await getPasskey(OPTIONS));
    } catch (error) {
      failed(error);
    }
  }));
  autofillWorks().then((works) => works && getPasskey(OPTIONS, 'conditional')
    .then((passkey) => signIn(ctx, passkey))
    // An autofill that ends unused (another request, another page) is no error.
    .catch((error) => (error instanceof NoPasskey ? null : failed(error))));
  return h('div', {}, banner, button);
}

export const passkeySignIn = { id: 'passkey', render };
