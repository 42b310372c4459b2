// "Sign in with SSO" on the sign-in page: a work email or the organisation's short
// name finds its identity provider (GET /api/sso/discover), and the browser goes there.

import { api } from './api.js';
import { h, announce, flash } from './dom.js';
import { field, busy, showError, showFieldError, clearErrors, formError } from './forms.js';

function render(ctx) {
  const who = field({
    label: 'Work email or organisation', name: 'sso',
    hint: 'Your work email address, or your organisation’s short name.',
    attrs: { autocomplete: 'email', autocapitalize: 'none', spellcheck: 'false', required: true, maxlength: '320' },
  });
  const banner = formError();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary btn--block', text: 'Continue' });
  const form = h('form', { novalidate: true, 'aria-label': 'Sign in with SSO', hidden: true }, banner, who.wrap, submit);
  // The button gives way to the form, which takes the focus.
  const open = h('button', { type: 'button', class: 'btn btn--block', text: 'Sign in with SSO' });
  open.addEventListener('click', () => {
    open.hidden = true;
    form.hidden = false;
    if (!who.input.value && ctx.email().includes('@')) who.input.value = ctx.email();
    who.input.focus();
  });
  // An old start link (/sso/{slug}/start) lands on /signin?sso={slug}: offer that organisation.
  const slug = new URLSearchParams(location.search).get('sso');
  if (slug) {
    who.input.value = slug;
    queueMicrotask(() => open.click());
  }

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const value = who.input.value.trim();
    if (!value) return showFieldError(who, 'Enter your work email or organisation.');
    const query = value.includes('@') ? `email=${encodeURIComponent(value)}` : `slug=${encodeURIComponent(value.toLowerCase())}`;
    return busy(submit, 'Finding your organisation…', async () => {
      try {
        const found = await api.get(`/api/sso/discover?${query}`);
        const name = found.organisation ? found.organisation.name : 'your organisation';
        if (await ctx.startSso(found.ssoUrl)) return announce(`Taking you to the sign-in page of ${name}…`);
        return showFieldError(who, 'Single sign-on did not work. Please start again.');
      } catch (error) {
        return showError(error, { f: error.status === 404 || error.status === 400 ? who : null, banner, button: submit });
      }
    });
  });
  return h('div', {}, open, form);
}

export const ssoSignIn = { id: 'sso', render };

// An SSO sign-in whose address belongs to an account with a password waits (server side) until
// that account signs in here in full; these read what waits, and what came of it.
export async function pendingLink() {
  try {
    const link = await api.get('/api/sso/link');
    return link && link.state === 'pending' ? link : null;
  } catch {
    return null;
  }
}

export async function linkNotice() {
  try {
    const link = await api.get('/api/sso/link');
    if (link && link.state === 'linked') {
      return { notice: `Your sign-in through ${link.organisation.name} is now linked to this account. Next time, use “Sign in with SSO”.`, noticeKind: 'success' };
    }
  } catch {
    // Nothing waits and nothing was linked.
  }
  return { notice: 'Nothing was linked to this account.', noticeKind: 'warning' };
}

export function linkCard(link, onCancel) {
  const cancel = h('button', { type: 'button', class: 'link-button', text: 'Don’t link' });
  const card = flash('info',
    h('p', { text: `An account with ${link.email} already exists, so ${link.organisation.name}’s sign-in was not used yet.` }),
    h('p', { text: 'To sign in to it through single sign-on from now on, sign in below once with its password (and your two-factor code, if it is on). Nothing is linked until you do.' }),
    cancel);
  cancel.addEventListener('click', async () => {
    await api.delete('/api/sso/link').catch(() => undefined);
    card.replaceWith(flash('info', 'Nothing was linked.'));
    onCancel();
  });
  return card;
}
