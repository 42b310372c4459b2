// The security log: every sign-in and factor change, newest first, so people can
// spot what they did not do.

import { api } from '../api.js';
import { h, flash, formatDate } from '../dom.js';
import { focusHeading } from '../router.js';
import { settingsPage, signInAgainIf } from '../layout.js';
import { messageFor } from '../problems.js';

const EVENTS_URL = '/api/me/security-events';

// Known event types in words (the server's names, dots read as underscores);
// anything else is shown from its own name, so new events appear without a release.
const BY_METHOD = {
  password: 'with password',
  totp: 'with authenticator app',
  recovery_code: 'with a recovery code',
  passkey: 'with a passkey',
  sso: 'with SSO',
};

const LABELS = {
  account_created: 'Account created',
  signin_succeeded: (d) => `Signed in ${BY_METHOD[d.method] || ''}${d.passwordless ? ', without a password' : ''}`.trim(),
  signin_passkey_failed: 'Passkey sign-in refused',
  passkey_counter_went_back: (d) => `Passkey${d.name ? ` “${d.name}”` : ''} refused: its use counter went backwards, so it may have been copied`,
  signin_password_failed: 'Wrong password entered',
  signin_second_step_failed: (d) => ({ recovery_code: 'Wrong recovery code entered', passkey: 'Passkey refused at sign-in' }[d.method] || 'Wrong two-factor code entered'),
  signout: 'Signed out',
  sudo_granted: (d) => `Identity confirmed for a security change ${BY_METHOD[d.method] || ''}`.trim(),
  sudo_sso_refused: (d) => `Not confirmed at your identity provider (${d.reason === 'sso_not_fresh' ? 'no new sign-in' : 'someone else signed in'})`,
  sudo_second_step_failed: (d) => ({ recovery_code: 'Wrong recovery code entered to confirm a change',
    passkey: 'Passkey refused to confirm a change' }[d.method] || 'Wrong two-factor code entered to confirm a change'),
  two_factor_setup_started: (d) => (d.reconfigure ? 'Re-configuration of the authenticator app started' : 'Two-factor setup started'),
  two_factor_enabled: 'Two-factor authentication turned on',
  two_factor_reconfigured: 'Authenticator app re-configured',
  two_factor_disabled: (d) => `Two-factor authentication turned off${d.removed === 'passkey' ? ' (last passkey removed)' : ''}`,
  two_factor_totp_added: 'Authenticator app added',
  passkey_added: (d) => `Passkey added${d.name ? `: “${d.name}”` : ''}`,
  passkey_removed: (d) => `Passkey removed${d.name ? `: “${d.name}”` : ''}`,
  recovery_code_used: 'Recovery code used',
  recovery_codes_viewed: 'Recovery codes viewed',
  recovery_codes_downloaded: 'Recovery codes downloaded',
  recovery_codes_printed: 'Recovery codes printed',
  recovery_codes_regenerated: 'New recovery codes generated',
  sso_link_requested: 'Single sign-on asked to be linked to this account (nothing linked until you sign in with your password)',
  sso_linked: 'Single sign-on linked to this account',
  password_changed: 'Password changed',
  organisation_sso_changed: (d) => (d.domain ? `Your organisation’s sign-in domain ${d.domain} ${d.domainChange}`
    : `Your organisation’s sign-in provider changed (${[].concat(d.changed).join(', ')})`),
  session_ended: (d) => (d.count ? `Signed out of ${d.count} other session${d.count === 1 ? '' : 's'}` : `Signed out a session${d.device ? ` (${d.device})` : ''}`),
};

// Details the label already says, or that say nothing to a person.
const SHOWN_IN_LABEL = new Set(['method', 'reconfigure', 'device', 'count', 'session', 'by', 'name', 'removed', 'passwordless',
  'reason', 'domain', 'domainChange']);

export function labelFor(type, details) {
  const key = String(type || 'event').toLowerCase().replace(/[.\s-]+/g, '_');
  const label = LABELS[key];
  if (typeof label === 'function') return label(details && typeof details === 'object' ? details : {});
  return label || (key.charAt(0).toUpperCase() + key.slice(1)).replace(/_/g, ' ');
}

// "Chrome on Linux" reads better than a user-agent string; the full string stays in the tooltip.
export function describeAgent(agent) {
  if (!agent) return '';
  const browser = [['Edg/', 'Edge'], ['Firefox/', 'Firefox'], ['Chrome/', 'Chrome'], ['Safari/', 'Safari'], ['curl/', 'curl']]
    .find(([token]) => agent.includes(token));
  const system = [['Android', 'Android'], ['iPhone', 'iPhone'], ['iPad', 'iPad'], ['Windows', 'Windows'], ['Mac OS', 'macOS'], ['Linux', 'Linux']]
    .find(([token]) => agent.includes(token));
  if (!browser) return agent.length > 60 ? `${agent.slice(0, 57)}…` : agent;
  return system ? `${browser[1]} on ${system[1]}` : browser[1];
}

// Details in words where we know them; other plain values as "name: value".
const DETAILS = {
  remaining: (v) => `${v} recovery code${v === 1 ? '' : 's'} left`,
  sessionsEnded: (v) => (v ? `${v} other session${v === 1 ? '' : 's'} signed out` : ''),
};

function detailsText(details) {
  if (!details) return '';
  if (typeof details !== 'object') return String(details);
  return Object.entries(details)
    .filter(([k, v]) => v !== null && v !== undefined && typeof v !== 'object' && !SHOWN_IN_LABEL.has(k))
    .map(([k, v]) => (DETAILS[k] ? DETAILS[k](v) : `${k.replace(/([A-Z])/g, ' $1').replace(/_/g, ' ').toLowerCase()}: ${v}`))
    .filter(Boolean)
    .join(' · ');
}

function eventItem(event) {
  const at = event.at || event.time || event.createdAt;
  const agent = event.userAgent || event.user_agent || '';
  const meta = [event.ip || event.address, describeAgent(agent), detailsText(event.details)].filter(Boolean).join(' · ');
  return h('li', {},
    h('span', { class: 'events__what', text: labelFor(event.type || event.event, event.details) }),
    h('time', { class: 'events__when', datetime: at || null, text: formatDate(at, true) }),
    meta ? h('span', { class: 'events__meta', title: agent || null, text: meta }) : null);
}

function readPage(result) {
  const events = Array.isArray(result) ? result : (result && (result.events || result.items)) || [];
  const next = result && !Array.isArray(result) && result.next !== undefined && result.next !== null ? result.next : null;
  return { events, next };
}

export async function securityLogScreen(main) {
  let first = null;
  let failure = null;
  try {
    first = readPage(await api.get(EVENTS_URL));
  } catch (error) {
    if (signInAgainIf(error)) return;
    failure = messageFor(error);
  }
  const list = h('ol', { class: 'events', 'aria-label': 'Security events' });
  const more = h('button', { type: 'button', class: 'btn', text: 'Show older events', hidden: true });
  const moreProblem = h('div', { 'aria-live': 'polite' });
  let next = null;
  const add = (page) => {
    list.append(...page.events.map(eventItem));
    next = page.next;
    more.hidden = next === null;
  };
  more.addEventListener('click', async () => {
    moreProblem.replaceChildren();
    const shown = list.children.length;
    try {
      add(readPage(await api.get(`${EVENTS_URL}?before=${encodeURIComponent(next)}`)));
      const firstNew = list.children[shown];
      if (firstNew) {
        firstNew.setAttribute('tabindex', '-1');
        firstNew.focus();
      }
    } catch (error) {
      moreProblem.replaceChildren(flash('danger', messageFor(error)));
    }
  });
  settingsPage(main, '/account/security-log', 'Security log',
    h('p', { class: 'muted', text: 'Sign-ins and changes to your security settings, newest first. If you see something you did not do, change your password and review your two-factor settings.' }),
    failure ? flash('danger', failure) : null,
    first && first.events.length ? h('div', { class: 'box' }, list) : null,
    first && !first.events.length ? h('p', { text: 'Nothing here yet.' }) : null,
    moreProblem,
    h('div', { class: 'actions' }, more));
  if (first) add(first);
  focusHeading(main);
}
