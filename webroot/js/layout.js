// The settings pages share one frame: a side navigation and a titled column.

import { h, flash } from './dom.js';

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
