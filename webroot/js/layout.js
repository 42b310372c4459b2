// The settings pages share one frame: a side navigation and a titled column.

import { h, flash } from './dom.js';
import { navigate } from './router.js';
import { forget } from './session.js';
import { messageFor } from './problems.js';

const SECTIONS = [
  { href: '/account', text: 'Account and security' },
  { href: '/account/security-log', text: 'Security log' },
];

export function settingsPage(main, current, title, ...content) {
  document.title = `${title} · Gatehouse`;
  main.append(h('div', { class: 'settings' },
    h('nav', { class: 'settings-nav', 'aria-label': 'Settings' },
      h('ul', {}, SECTIONS.map((s) => h('li', {},
        h('a', { href: s.href, text: s.text, 'aria-current': s.href === current ? 'page' : null }))))),
    h('div', { class: 'settings-main' },
      h('div', { class: 'page-head' }, h('h1', { text: title })),
      ...content)));
}

export function noticeFrom(state) {
  return state && state.notice ? flash(state.noticeKind || 'info', state.notice) : null;
}

// When the session ended under a settings page (idle timeout, signed out elsewhere),
// go to sign in and come back here afterwards. True when it did.
export function signInAgainIf(error) {
  if (!error || (error.code !== 'not_signed_in' && error.code !== 'session_expired')) return false;
  forget();
  navigate('/signin', { next: location.pathname, notice: messageFor(error), noticeKind: 'warning' }, { replace: true });
  return true;
}
