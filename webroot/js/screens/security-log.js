// The security log: every sign-in and factor change, newest first, so people can
// spot what they did not do.

import { api } from '../api.js';
import { h, flash, formatDate } from '../dom.js';
import { focusHeading } from '../router.js';
import { settingsPage } from '../layout.js';
import { messageFor } from '../problems.js';

const EVENTS_URL = '/api/me/security-events';

// Known event types in words; anything else is shown from its own name.
const LABELS = {
  signed_in: 'Signed in',
  signed_in_password: 'Signed in with password',
  signed_in_totp: 'Signed in with authenticator app',
  signed_in_recovery_code: 'Signed in with a recovery code',
  signed_in_sso: 'Signed in with SSO',
  signed_out: 'Signed out',
  sign_in_failed: 'Failed sign-in',
  two_factor_failed: 'Wrong two-factor code',
  two_factor_enabled: 'Two-factor authentication enabled',
  two_factor_reconfigured: 'Authenticator app re-configured',
  two_factor_disabled: 'Two-factor authentication disabled',
  recovery_code_used: 'Recovery code used',
  recovery_codes_viewed: 'Recovery codes viewed',
  recovery_codes_downloaded: 'Recovery codes downloaded',
  recovery_codes_printed: 'Recovery codes printed',
  recovery_codes_regenerated: 'New recovery codes generated',
  sudo_granted: 'Password confirmed',
  account_created: 'Account created',
  locked_out: 'Too many attempts: sign-in paused',
};

export function labelFor(type) {
  const key = String(type || 'event').toLowerCase().replace(/[.\s-]+/g, '_');
  if (LABELS[key]) return LABELS[key];
  const words = key.replace(/_/g, ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
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

function detailsText(details) {
  if (!details) return '';
  if (typeof details !== 'object') return String(details);
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && typeof v !== 'object')
    .map(([k, v]) => `${k.replace(/([A-Z])/g, ' $1').replace(/_/g, ' ').toLowerCase()}: ${v}`)
    .join(' · ');
}

function eventItem(event) {
  const at = event.at || event.time || event.createdAt;
  const agent = event.userAgent || event.user_agent || '';
  const meta = [event.ip || event.address, describeAgent(agent), detailsText(event.details)].filter(Boolean).join(' · ');
  return h('li', {},
    h('span', { class: 'events__what', text: labelFor(event.type || event.event) }),
    h('time', { class: 'events__when', datetime: at || null, text: formatDate(at, true) }),
    meta ? h('span', { class: 'events__meta', title: agent || null, text: meta }) : null);
}

export async function securityLogScreen(main) {
  let events = null;
  let failure = null;
  try {
    const result = await api.get(EVENTS_URL);
    events = Array.isArray(result) ? result : (result && (result.events || result.items)) || [];
  } catch (error) {
    failure = error.status === 404 ? 'The security log is not available yet.' : messageFor(error);
  }
  settingsPage(main, '/account/security-log', 'Security log',
    h('p', { class: 'muted', text: 'Sign-ins and changes to your security settings, newest first. If you see something you did not do, change your password and review your two-factor settings.' }),
    failure ? flash(failure.includes('not available') ? 'info' : 'danger', failure) : null,
    events && events.length ? h('div', { class: 'box' }, h('ol', { class: 'events', 'aria-label': 'Security events' }, events.map(eventItem))) : null,
    events && !events.length ? h('p', { text: 'Nothing here yet.' }) : null);
  focusHeading(main);
}
