// "You can always find them again in your Account settings": the recovery codes
// page, with used codes struck through, and regenerating a new set.

import { api } from '../api.js';
import { h, flash } from '../dom.js';
import { navigate, focusHeading } from '../router.js';
import { settingsPage, noticeFrom, signInAgainIf } from '../layout.js';
import { confirmDialog, Cancelled } from '../dialog.js';
import { messageFor } from '../problems.js';
import { withSudo } from '../sudo.js';
import { loadMe } from '../session.js';
import { normaliseCodes, codesGrid, codeActions } from '../recovery-codes.js';

const CODES_URL = '/api/me/two-factor/recovery-codes';
const PAGE = '/account/two-factor/recovery-codes';
const LOW_CODES = 3;

let freshCodes = null;
let freshNotice = null;

// Shows a set the server has just handed out with a first second factor (a passkey), and why.
export function showNewCodes(codes, notice) {
  freshCodes = normaliseCodes(codes);
  freshNotice = notice;
  return navigate(PAGE);
}

export async function regenerateCodes() {
  await confirmDialog({
    title: 'Generate new recovery codes?',
    message: [
      'Your current recovery codes will stop working immediately, including any you have printed or saved.',
      'Save the new codes somewhere safe as soon as you see them.',
    ],
    confirmText: 'Generate new codes',
    danger: true,
  });
  const result = await withSudo(() => api.post(CODES_URL));
  freshCodes = normaliseCodes(result && (result.codes || result.recoveryCodes));
  await loadMe();
  return navigate(PAGE, {}, { replace: location.pathname === PAGE });
}

export async function recoveryScreen(main, { state }, me) {
  if (!me.twoFactor || !me.twoFactor.enabled) {
    return navigate('/account', { notice: 'Recovery codes come with two-factor authentication. Turn it on first.' }, { replace: true });
  }
  let codes = freshCodes;
  const isNew = Boolean(codes);
  const notice = freshNotice || 'New recovery codes generated. Your old codes no longer work: save these now.';
  freshCodes = null;
  freshNotice = null;
  if (!codes) {
    try {
      const result = await withSudo(() => api.get(CODES_URL));
      codes = normaliseCodes(result && result.codes);
    } catch (error) {
      if (error instanceof Cancelled) return navigate('/account', {}, { replace: true });
      if (signInAgainIf(error)) return undefined;
      settingsPage(main, '/account', 'Recovery codes', flash('danger', messageFor(error)),
        h('p', {}, h('a', { href: '/account', text: 'Back to account settings' })));
      return focusHeading(main);
    }
  }
  const remaining = codes.filter((c) => !c.used).length;
  const problems = h('div', { 'aria-live': 'polite' });
  const regenerate = h('button', { type: 'button', class: 'btn', text: 'Generate new recovery codes' });
  regenerate.addEventListener('click', async () => {
    problems.replaceChildren();
    try {
      await regenerateCodes();
    } catch (error) {
      if (!(error instanceof Cancelled) && !signInAgainIf(error)) problems.replaceChildren(flash('danger', messageFor(error)));
    }
  });

  settingsPage(main, '/account', 'Recovery codes',
    noticeFrom(state),
    isNew ? flash('success', notice) : null,
    h('p', { text: 'Recovery codes are the only way into your account if you lose your phone or delete your authenticator app. Each code works once. Keep them somewhere safe, apart from your phone; our support team cannot restore access to your account.' }),
    h('p', { id: 'codes-remaining' }, h('strong', { text: `${remaining} of ${codes.length}` }), ' codes left.',
      codes.some((c) => c.used) ? ' Used codes are crossed out.' : ''),
    remaining <= LOW_CODES ? flash('warning', 'You are running low on recovery codes. Generate a new set so you cannot be locked out.') : null,
    codesGrid(codes),
    codeActions(codes),
    h('section', { class: 'section' },
      h('h2', { text: 'Generate new recovery codes' }),
      h('p', { class: 'muted', text: 'Lost your codes, or used most of them? A new set replaces the old one completely.' }),
      problems,
      regenerate),
    h('p', {}, h('a', { href: '/account', text: '← Back to account settings' })));
  return focusHeading(main);
}
