// Account settings, with the "Two-factor authentication" section of the help page.

import { api } from '../api.js';
import { h, flash, formatDate } from '../dom.js';
import { navigate, focusHeading } from '../router.js';
import { settingsPage, noticeFrom, signInAgainIf } from '../layout.js';
import { Cancelled, confirmDialog } from '../dialog.js';
import { withSudo } from '../sudo.js';
import { messageFor, ssoMessage } from '../problems.js';
import { loadMe } from '../session.js';
import { startSetup } from './setup.js';
import { regenerateCodes } from './recovery.js';
import { organisationSection } from './organisation.js';
import { sessionsSection } from './sessions.js';
import { passwordSection } from './password.js';
import { passkeySection } from '../passkeys.js';

export const LOW_CODES = 3;

// Runs a settings action; a Cancelled dialog is no error, anything else is shown in `where`.
export async function act(where, work) {
  try {
    where.replaceChildren();
    await work();
  } catch (error) {
    if (error instanceof Cancelled) return;
    if (signInAgainIf(error)) return;
    where.replaceChildren(flash('danger', messageFor(error)));
  }
}

function ssoNote(organisation) {
  const sso = organisation && (organisation.ssoEnabled || (organisation.sso && organisation.sso.enabled));
  // Owners keep their password and its second factor as the way in when the provider breaks.
  if (!sso || organisation.role === 'owner') return null;
  return flash('info', `You sign in through ${organisation.name || 'your organisation'}’s single sign-on (SSO). Two-factor authentication is not used for SSO sign-ins; your identity provider checks you instead.`);
}

function twoFactorOff(problems) {
  const enable = h('button', { type: 'button', class: 'btn btn--primary', text: 'Enable' });
  enable.addEventListener('click', () => act(problems, () => startSetup()));
  return h('div', { class: 'box' },
    h('div', { class: 'box__row' },
      h('div', { class: 'box__text' },
        h('h3', { text: 'Authenticator app' }),
        h('p', { text: 'Two-factor authentication adds a second check when you sign in: a 6-digit code from an app on your phone or computer. Even if someone learns your password, they cannot get in without it. We strongly recommend turning it on.' })),
      h('div', { class: 'box__buttons' }, enable)));
}

function twoFactorOn(tf, problems) {
  const remaining = typeof tf.recoveryCodesRemaining === 'number' ? tf.recoveryCodesRemaining : null;
  const low = remaining !== null && (remaining <= LOW_CODES || tf.recoveryCodesLow === true);

  // 2FA may be on through passkeys alone: then the app row offers to set one up.
  const methods = Array.isArray(tf.methods) ? tf.methods : ['totp'];
  const hasApp = methods.includes('totp');
  const hasPasskey = methods.includes('passkey');
  const reconfigure = h('button', { type: 'button', class: 'btn', text: hasApp ? 'Re-configure authenticator app' : 'Set up' });
  reconfigure.addEventListener('click', () => act(problems, () => startSetup()));
  const view = h('a', { class: 'btn', href: '/account/two-factor/recovery-codes', text: 'View recovery codes' });
  const regenerate = h('button', { type: 'button', class: 'btn', text: 'Regenerate' });
  regenerate.addEventListener('click', () => act(problems, regenerateCodes));
  const disable = h('button', { type: 'button', class: 'btn btn--danger', text: 'Disable' });
  disable.addEventListener('click', () => act(problems, () => disableTwoFactor(hasPasskey)));
  let appText = 'Use a 6-digit code from an app on your phone as another way to sign in.';
  if (hasApp) appText = tf.enabledAt ? `Turned on ${formatDate(tf.enabledAt)}. Signing in asks for a code from your app.` : 'Signing in asks for a code from your app.';

  return h('div', { class: 'box' },
    h('div', { class: 'box__row' },
      h('div', { class: 'box__text' }, h('h3', { text: 'Authenticator app' }), h('p', { text: appText })),
      h('div', { class: 'box__buttons' }, reconfigure)),
    h('div', { class: 'box__row' },
      h('div', { class: 'box__text' },
        h('h3', { text: 'Recovery codes' }),
        h('p', { text: remaining === null ? 'Single-use codes for when you cannot use your app.' : `${remaining} unused recovery code${remaining === 1 ? '' : 's'} left. Each code works once.` }),
        low ? flash('warning', remaining === 0
          ? 'You have no recovery codes left. Generate a new set now, or you could be locked out if you lose your phone.'
          : 'You are running low on recovery codes. Generate a new set so you cannot be locked out.') : null),
      h('div', { class: 'box__buttons' }, view, regenerate)),
    h('div', { class: 'box__row box__row--danger' },
      h('div', { class: 'box__text' },
        h('h3', { text: 'Disable two-factor authentication' }),
        h('p', { text: hasPasskey ? 'Your passkeys, authenticator app and recovery codes are removed; your password alone protects your account.' : 'Your account will be protected by your password alone.' })),
      h('div', { class: 'box__buttons' }, disable)));
}

// Disabling needs sudo at full strength: the password and a second factor. It removes every factor.
async function disableTwoFactor(hasPasskey) {
  await confirmDialog({ title: 'Disable two-factor authentication', confirmText: 'Disable', danger: true,
    message: `Signing in will then only ask for your password, and your ${hasPasskey ? 'passkeys and ' : ''}recovery codes will be deleted.` });
  await withSudo(() => api.delete('/api/me/two-factor'));
  await loadMe();
  await navigate('/account', { notice: 'Two-factor authentication is off. Signing in now only asks for your password.', noticeKind: 'warning' }, { replace: true });
}

export async function accountScreen(main, { state }, me) {
  const user = me.user || {};
  const tf = me.twoFactor || {};
  const problems = h('div', { 'aria-live': 'polite' });
  const org = me.organisation;
  // Back from the provider (?sudo=sso or ?sso_error=code): said once, then tidied away.
  const query = new URLSearchParams(location.search);
  const error = query.get('sso_error');
  if (location.search) history.replaceState(state, '', '/account');

  settingsPage(main, '/account', 'Account and security',
    noticeFrom(state),
    error !== null ? flash('danger', ssoMessage(error))
      : query.has('sudo') ? flash('success', 'Confirmed: you can change security settings for the next few minutes.') : null,
    h('section', { class: 'section', 'aria-labelledby': 'profile-heading' },
      h('h2', { id: 'profile-heading', text: 'Profile' }),
      h('dl', { class: 'details' },
        h('dt', { text: 'Name' }), h('dd', { text: user.name || '—' }),
        h('dt', { text: 'Email' }), h('dd', { text: user.email || '—' }),
        org && org.name ? [h('dt', { text: 'Organisation' }), h('dd', { text: org.name })] : null,
        user.createdAt ? [h('dt', { text: 'Member since' }), h('dd', { text: formatDate(user.createdAt) })] : null)),
    h('section', { class: 'section', 'aria-labelledby': 'two-factor-heading', id: 'two-factor' },
      h('h2', { id: 'two-factor-heading' }, 'Two-factor authentication ',
        h('span', { class: `badge ${tf.enabled ? 'badge--on' : 'badge--off'}`, text: tf.enabled ? 'Enabled' : 'Disabled' })),
      ssoNote(org),
      problems,
      tf.enabled ? twoFactorOn(tf, problems) : twoFactorOff(problems)),
    passkeySection(tf, act),
    passwordSection(me, () => main.querySelector('#sessions').replaceWith(sessionsSection())),
    sessionsSection(),
    organisationSection(me));
  focusHeading(main);
}
