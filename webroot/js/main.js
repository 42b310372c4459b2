// Gatehouse web app: the routes, and who may see them.
//
// Map: api.js (the only fetch: JSON, problems, CSRF) · problems.js (codes → words) ·
// forms.js (fields, errors, busy buttons) · dialog.js + sudo.js ("Confirm your password") ·
// router.js (History API) · session.js (GET /api/me) · layout.js (settings frame) ·
// recovery-codes.js (grid, copy/download/print) · signin-methods.js (SSO goes here) ·
// screens/*.js (one per page). No build step: edit a file, reload the page.

import { h, flash } from './dom.js';
import { route, notFound, navigate, start, focusHeading } from './router.js';
import { messageFor } from './problems.js';
import { loadMe, currentUser, signOut } from './session.js';
import { signInScreen } from './screens/signin.js';
import { signUpScreen } from './screens/signup.js';
import { twoFactorScreen } from './screens/two-factor.js';
import { accountScreen } from './screens/account.js';
import { setupScreen } from './screens/setup.js';
import { recoveryScreen } from './screens/recovery.js';
import { securityLogScreen } from './screens/security-log.js';

function problemPage(main, error, retry) {
  document.title = 'Gatehouse';
  const again = h('button', { type: 'button', class: 'btn btn--primary', text: 'Try again', onclick: retry });
  main.append(h('div', { class: 'auth' },
    h('h1', { class: 'auth__title', text: 'Something is in the way' }),
    flash('danger', messageFor(error)),
    h('div', { class: 'actions' }, again)));
  focusHeading(main);
}

// Screens behind sign-in get the fresh /api/me answer; without a session, off to sign in.
function signedIn(screen) {
  return async (main, ctx) => {
    let me;
    try {
      me = await loadMe();
    } catch (error) {
      return problemPage(main, error, () => navigate(ctx.path, ctx.state, { replace: true }));
    }
    if (!ctx.isCurrent()) return undefined;
    if (!me) {
      return navigate('/signin', { next: ctx.path, notice: 'Please sign in to continue.' }, { replace: true });
    }
    return screen(main, ctx, me);
  };
}

// The password and second-step screens are for people who are not signed in yet.
function signedOut(screen) {
  return async (main, ctx) => (currentUser() ? navigate('/account', {}, { replace: true }) : screen(main, ctx));
}

// The front door: the account when signed in, else sign-in (no "please sign in" scolding).
route('/', async (main, ctx) => {
  let me = null;
  try {
    me = await loadMe();
  } catch (error) {
    return problemPage(main, error, () => navigate('/', {}, { replace: true }));
  }
  if (!ctx.isCurrent()) return undefined;
  return navigate(me ? '/account' : '/signin', {}, { replace: true });
});
route('/signin', signedOut(signInScreen));
route('/signin/two-factor', signedOut(twoFactorScreen));
route('/signup', signedOut(signUpScreen));
route('/account', signedIn(accountScreen));
route('/account/two-factor/setup', signedIn(setupScreen));
route('/account/two-factor/recovery-codes', signedIn(recoveryScreen));
route('/account/security-log', signedIn(securityLogScreen));
notFound(async (main) => {
  document.title = 'Page not found · Gatehouse';
  main.append(h('div', { class: 'auth' },
    h('h1', { class: 'auth__title', text: 'Page not found' }),
    h('p', { class: 'auth__intro' }, 'There is nothing at this address. ', h('a', { href: '/account', text: 'Go to your account' }), '.')));
  focusHeading(main);
});

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await signOut();
  } catch {
    // Signed out locally either way; the session also expires on the server.
  }
  navigate('/signin', { notice: 'You have signed out.', noticeKind: 'success' });
});

start();
