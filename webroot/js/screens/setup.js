// Enabling (or re-configuring) the authenticator app: the QR-code step, the
// 6-digit confirmation, and, the first time, the recovery codes.
// The secret lives only in this screen's memory and on the page while it is open.

import { api } from '../api.js';
import { h, flash, copyButton, uniqueId } from '../dom.js';
import { navigate, focusHeading } from '../router.js';
import { settingsPage, signInAgainIf } from '../layout.js';
import { Cancelled } from '../dialog.js';
import { totpField, formError, busy, showError, clearErrors, showFieldError, normaliseCode, isSixDigits } from '../forms.js';
import { messageFor } from '../problems.js';
import { withSudo } from '../sudo.js';
import { loadMe } from '../session.js';
import { normaliseCodes, codesGrid, codeActions } from '../recovery-codes.js';

const SETUP_URL = '/api/me/two-factor/setup';
const QR_URL = '/api/me/two-factor/setup/qr.png';

let handedOver = null;

// With 2FA on, a new secret replaces the app: sudo then asked for the current factor too.
function newSecret() {
  return withSudo(() => api.post(SETUP_URL));
}

// From the settings page: confirm the password, create a pending secret, then show it.
export async function startSetup() {
  handedOver = await newSecret();
  return navigate('/account/two-factor/setup');
}

export function groupInFours(secret) {
  return (String(secret).replace(/\s+/g, '').match(/.{1,4}/g) || []).join(' ');
}

function sameOriginPath(url, fallback) {
  try {
    const parsed = new URL(url, location.href);
    return parsed.origin === location.origin ? parsed.pathname + parsed.search : fallback;
  } catch {
    return fallback;
  }
}

function stepList(reconfigure, current) {
  const names = ['Confirm your password', 'Scan the QR code', 'Enter the 6-digit code'];
  if (!reconfigure) names.push('Save your recovery codes');
  return h('ol', { class: 'steps', 'aria-label': 'Progress' }, names.map((name, i) => h('li', {
    class: i < current ? 'done' : null,
    'aria-current': i === current ? 'step' : null,
  }, `${i + 1}. ${name}`, i < current ? h('span', { class: 'visually-hidden', text: ' (done)' }) : null)));
}

function qrStep(setup, reconfigure) {
  const secretId = uniqueId('secret');
  const reveal = h('button', { type: 'button', class: 'link-button', 'aria-expanded': 'false', 'aria-controls': secretId, text: 'secret key' });
  const grouped = setup.secretGrouped || groupInFours(setup.secret || '');
  const secretBox = h('div', { class: 'secret', id: secretId, hidden: true },
    h('p', { text: 'Type this setup key into your app. Choose a time-based key if asked.' }),
    h('code', { class: 'secret__key', id: 'setup-secret-key', text: grouped }),
    copyButton('Copy', () => String(setup.secret || '').replace(/\s+/g, '')));
  reveal.addEventListener('click', () => {
    secretBox.hidden = !secretBox.hidden;
    reveal.setAttribute('aria-expanded', String(!secretBox.hidden));
  });
  return h('section', { class: 'section', 'aria-labelledby': 'scan-heading' },
    h('h2', { id: 'scan-heading', text: 'Scan the QR code' }),
    h('div', { class: 'setup-grid' },
      h('div', { class: 'qr' }, h('img', {
        src: sameOriginPath(setup.qrCodeUrl, QR_URL),
        alt: 'QR code to scan with your authenticator app',
      })),
      h('div', {},
        h('p', { text: 'Scan this code with your authenticator app (for example 1Password, Google Authenticator, Microsoft Authenticator or Authy). The app will then show a 6-digit code.' }),
        h('p', { text: reconfigure
          ? 'Using more than one device? Scan this same code with each of them now: every device you want to keep must be set up again.'
          : 'Using more than one device? Scan this same code with each of them now: they will all show the same codes.' }),
        h('p', {}, 'Can’t scan it? Use the ', reveal, ' to set up your app by hand.'),
        secretBox)));
}

function recoveryStep(codes) {
  const saved = h('input', { type: 'checkbox', id: 'codes-saved' });
  const finish = h('button', { type: 'button', class: 'btn btn--primary', text: 'Finish', disabled: true });
  saved.addEventListener('change', () => { finish.disabled = !saved.checked; });
  finish.addEventListener('click', async () => {
    await loadMe();
    navigate('/account', { notice: 'Two-factor authentication is on. Next time you sign in, have your authenticator app ready.', noticeKind: 'success' }, { replace: true });
  });
  const heading = h('h2', { id: 'codes-heading', tabindex: '-1', text: 'Save your recovery codes' });
  const section = h('section', { class: 'section', 'aria-labelledby': 'codes-heading' },
    flash('success', 'Two-factor authentication is on.'),
    heading,
    h('p', { text: 'If you lose your phone or delete your authenticator app, a recovery code is the only way into your account. Each code works once. You can find them again in your account settings.' }),
    flash('warning', h('strong', { text: 'Keep a copy somewhere safe, apart from your phone ' }), '(a password manager, or printed). Our support team cannot restore access to your account.'),
    codesGrid(codes),
    codeActions(codes),
    h('p', { class: 'saved-check' }, h('label', { class: 'checkbox', for: 'codes-saved' }, saved, 'I have saved my recovery codes')),
    h('div', { class: 'actions' }, finish));
  return { section, heading };
}

// The pending secret lasts 15 minutes on the server; say until when.
function expiryNote(expiresAt) {
  const when = expiresAt ? new Date(expiresAt) : null;
  if (!when || Number.isNaN(when.getTime())) return null;
  const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' }).format(when);
  return h('p', { class: 'muted', text: `Finish by ${time}; after that this QR code stops working and you would start again.` });
}

export async function setupScreen(main, ctx, me) {
  const tf = me.twoFactor || {};
  // 2FA may be on through passkeys alone: then this adds the app rather than re-configuring it.
  let reconfigure = Boolean(tf.enabled && (tf.methods || ['totp']).includes('totp'));
  const titleFor = (again) => (again ? 'Re-configure authenticator app' : tf.enabled ? 'Set up authenticator app' : 'Enable two-factor authentication');
  let title = titleFor(reconfigure);
  let setup = handedOver;
  handedOver = null;
  if (!setup) {
    // Reached by reload or a bookmark: make a fresh pending secret.
    try {
      setup = await newSecret();
    } catch (error) {
      if (error instanceof Cancelled) return navigate('/account', {}, { replace: true });
      if (signInAgainIf(error)) return undefined;
      settingsPage(main, '/account', title, flash('danger', messageFor(error)),
        h('p', {}, h('a', { href: '/account', text: 'Back to account settings' })));
      return focusHeading(main);
    }
  }
  if (!ctx.isCurrent()) return undefined;
  if (typeof setup.reconfigure === 'boolean') reconfigure = setup.reconfigure;
  title = titleFor(reconfigure);

  const content = h('div', {});
  settingsPage(main, '/account', title, content);
  const progress = stepList(reconfigure, 1);

  const code = totpField('6-digit code from your app');
  const banner = formError();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary', text: reconfigure ? 'Confirm new app' : 'Enable' });
  const form = h('form', { novalidate: true, 'aria-labelledby': 'verify-heading' },
    h('h2', { id: 'verify-heading', text: 'Enter the 6-digit code' }),
    h('p', { text: 'Enter the code your app shows now to check that it is set up correctly.' }),
    expiryNote(setup.expiresAt),
    banner, code.wrap,
    h('div', { class: 'actions' }, submit, h('a', { class: 'btn', href: '/account', text: 'Cancel' })));

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const value = normaliseCode(code.input.value);
    if (!isSixDigits(value)) return showFieldError(code, 'Enter the 6 digits shown in your authenticator app.');
    return busy(submit, 'Checking…', async () => {
      let result;
      try {
        result = await withSudo(() => api.post(`${SETUP_URL}/confirm`, { code: value }));
      } catch (error) {
        if (error instanceof Cancelled || signInAgainIf(error)) return undefined;
        if (error.status === 404 || error.status === 410) {
          // The pending secret expired (15 minutes) or was replaced: a new QR code is needed.
          banner.replaceChildren('This setup has expired. ', h('a', { href: '/account', text: 'Start again from your account settings' }), '.');
          code.input.value = '';
          return banner.querySelector('a').focus();
        }
        return showError(error, { f: code, banner, what: 'code', button: submit, clearValue: true });
      }
      code.input.value = '';
      const codes = normaliseCodes(result && result.recoveryCodes);
      if (!codes.length) {
        await loadMe();
        return navigate('/account', {
          notice: reconfigure
            ? 'Your authenticator app is re-configured. Devices set up with the old key no longer work.'
            : 'Two-factor authentication is on.',
          noticeKind: 'success',
        }, { replace: true });
      }
      const step = recoveryStep(codes);
      content.replaceChildren(stepList(reconfigure, 3), step.section);
      return step.heading.focus();
    });
  });

  if (reconfigure) {
    content.append(flash('warning', 'When you confirm a code from the new setup, every device using your current key stops working. Your recovery codes stay the same.'));
  }
  content.append(
    progress,
    qrStep(setup, reconfigure),
    h('section', { class: 'section' }, form));
  return focusHeading(main);
}
