// "Sessions" in Account settings: where you are signed in, and signing out of any of them.

import { api } from '../api.js';
import { h, flash, formatDate, announce } from '../dom.js';
import { busy } from '../forms.js';
import { signInAgainIf } from '../layout.js';
import { messageFor } from '../problems.js';

// A session that was just ended elsewhere sends the person to sign in; anything else is shown here.
// An answer for a screen already left (the person signed out meanwhile) changes nothing.
async function act(problems, work) {
  try {
    problems.replaceChildren();
    await work();
  } catch (error) {
    if (!problems.isConnected) return;
    if (!signInAgainIf(error)) problems.replaceChildren(flash('danger', messageFor(error)));
  }
}

const HOW = { password: 'with password', totp: 'with authenticator app', recovery_code: 'with a recovery code', sso: 'with SSO' };

function sessionItem(session, problems, reload) {
  const titleId = `session-${session.id}`;
  const when = [`Signed in ${formatDate(session.createdAt, true)} ${HOW[session.method] || ''}`.trim(),
    `last active ${formatDate(session.lastSeenAt, true)}`, session.address ? `from ${session.address}` : null];
  const end = session.current ? null
    : h('button', { type: 'button', class: 'btn', text: 'Sign out', 'aria-label': `Sign out ${session.device}`, 'aria-describedby': titleId });
  if (end) {
    end.addEventListener('click', () => act(problems, () => busy(end, 'Signing out…', async () => {
      await api.delete(`/api/me/sessions/${encodeURIComponent(session.id)}`);
      announce(`Signed out of ${session.device}.`);
      await reload();
    })));
  }
  return h('li', { class: 'box__row' },
    h('div', { class: 'box__text' },
      h('h3', { id: titleId }, session.device || 'Unknown device', ' ',
        session.current ? h('span', { class: 'session-tag', text: 'This session' }) : null),
      h('p', { text: when.filter(Boolean).join(' · ') })),
    end ? h('div', { class: 'box__buttons' }, end) : null);
}

export function sessionsSection() {
  const problems = h('div', { 'aria-live': 'polite' });
  const body = h('div', {}, h('p', { class: 'muted', text: 'Loading…' }));
  const reload = async () => {
    const { sessions } = await api.get('/api/me/sessions');
    const others = sessions.filter((s) => !s.current).length;
    const all = h('button', { type: 'button', class: 'btn btn--danger', text: 'Sign out of all other sessions' });
    all.addEventListener('click', () => act(problems, () => busy(all, 'Signing out…', async () => {
      await api.delete('/api/me/sessions');
      await reload();
      problems.replaceChildren(flash('success', 'You are signed out everywhere else.'));
    })));
    body.replaceChildren(h('ul', { class: 'box sessions', 'aria-label': 'Your sessions' },
      sessions.map((s) => sessionItem(s, problems, reload))));
    if (others) body.append(h('div', { class: 'actions' }, all));
  };
  act(problems, reload);
  return h('section', { class: 'section', 'aria-labelledby': 'sessions-heading', id: 'sessions' },
    h('h2', { id: 'sessions-heading', text: 'Sessions' }),
    h('p', { class: 'muted', text: 'Where you are signed in. If you don’t recognise a session, sign it out and change your password.' }),
    problems, body);
}
