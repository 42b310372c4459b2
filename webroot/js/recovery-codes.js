// The recovery codes as people need them: readable in a grid, and easy to take
// away (copy, download, print). Shared by setup and the settings page.

import { h, copyButton } from './dom.js';
import { hasSudo } from './session.js';
import { confirmPassword } from './sudo.js';
import { Cancelled } from './dialog.js';

export const DOWNLOAD_URL = '/account/recovery-codes.txt';
export const PRINT_URL = '/account/recovery-codes/print';

// Accepts ["code", …] or [{code, used}, …]: the setup answer and the list answer differ.
export function normaliseCodes(list) {
  return (Array.isArray(list) ? list : [])
    .map((item) => (typeof item === 'string' ? { code: item, used: false } : { code: String(item && item.code || ''), used: Boolean(item && (item.used || item.usedAt)) }))
    .filter((item) => item.code);
}

export function codesGrid(codes) {
  return h('ul', { class: 'codes', 'aria-label': 'Recovery codes' },
    codes.map(({ code, used }) => h('li', {},
      used ? [h('del', { text: code }), h('span', { class: 'visually-hidden', text: ' (used)' })] : code)));
}

// The download and the printable page are server routes behind sudo: if sudo
// has lapsed, ask for the password before leaving, not after a failed download.
function sudoLink(text, href, attrs) {
  const link = h('a', { class: 'btn', href, text, ...attrs });
  link.addEventListener('click', async (event) => {
    if (hasSudo()) return;
    event.preventDefault();
    try {
      await confirmPassword();
    } catch (error) {
      if (error instanceof Cancelled) return;
      throw error;
    }
    link.click();
  });
  return link;
}

export function codeActions(codes) {
  const unused = () => codes.filter((c) => !c.used).map((c) => c.code).join('\n');
  return h('div', { class: 'actions' },
    copyButton('Copy', unused),
    sudoLink('Download', DOWNLOAD_URL, { download: 'gatehouse-recovery-codes.txt' }),
    sudoLink('Print', PRINT_URL, { target: '_blank', rel: 'noopener' }));
}
