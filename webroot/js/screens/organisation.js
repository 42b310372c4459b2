// Account settings, "Organisation": anyone creates one; members see it; owners claim
// email domains (DNS TXT), connect the OpenID Connect provider and see the members.

import { api } from '../api.js';
import { h, flash, formatDate, copyButton, announce } from '../dom.js';
import { field, formError, busy, showError, clearErrors, showFieldError } from '../forms.js';
import { withSudo } from '../sudo.js';
import { Cancelled, confirmDialog } from '../dialog.js';
import { signInAgainIf } from '../layout.js';
import { messageFor } from '../problems.js';
import { loadMe } from '../session.js';

const row = (...content) => h('div', { class: 'box__row' }, ...content);
const box = (...rows) => h('div', { class: 'box' }, ...rows);
// `key` makes the heading a place focus can return to after a redraw.
const text = (title, line, key) => h('div', { class: 'box__text' },
  h('h3', { text: title, tabindex: key && '-1', 'data-focus': key }), line && h('p', { text: line }));
const copyable = (value, what) => h('dd', {}, h('code', { text: value }), ' ', copyButton(`Copy ${what}`, () => value));
const plain = { autocapitalize: 'none', spellcheck: 'false' };
const value = (f) => f.input.value.trim();
// True (and said next to the field) when `f` is empty.
const missing = (f, message) => !value(f) && (showFieldError(f, message), true);

// A refusal goes next to the field it names (or `f`), else into `line`; a cancelled dialog is no error.
async function attempt(line, work, fields = {}, f) {
  try {
    await work();
  } catch (error) {
    if (error instanceof Cancelled || signInAgainIf(error)) return;
    if (!error.problem) throw error;
    const target = fields[error.problem.field] || f;
    if (target) showError(error, { f: target, banner: line });
    else line.textContent = messageFor(error);
  }
}

// Submits `form` with `button` busy, unless `check` finds something missing.
function onSubmit(form, button, busyText, check, work) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    if (!check()) busy(button, busyText, work);
  });
}

export function organisationSection(me) {
  const org = me.organisation;
  const body = h('div', {});
  if (!org) {
    body.append(createBox(body));
  } else if (org.role === 'owner') {
    body.append(h('p', { class: 'loading', text: 'Loading…' }));
    show(body, org.slug);
  } else {
    body.append(box(row(text(org.name, `You are a member.${org.ssoEnabled ? ' You sign in through its identity provider (SSO).' : ''}`))));
  }
  return h('section', { class: 'section', id: 'organisation', 'aria-labelledby': 'org-heading' },
    h('h2', { id: 'org-heading', text: 'Organisation' }), body);
}

function createBox(body) {
  const name = field({ label: 'Organisation name', name: 'name', attrs: { required: true, maxlength: '100', autocomplete: 'organization' } });
  const slug = field({
    label: 'Short name', name: 'slug', hint: 'Lower-case letters, digits and hyphens; part of your sign-in address.',
    attrs: { ...plain, required: true, maxlength: '40' },
  });
  let typed = false;
  slug.input.addEventListener('input', () => { typed = true; });
  name.input.addEventListener('input', () => {
    if (!typed) slug.input.value = name.input.value.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  });
  const banner = formError();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary', text: 'Create organisation' });
  const form = h('form', { novalidate: true, 'aria-label': 'Create an organisation', hidden: true },
    banner, name.wrap, slug.wrap, submit);
  const open = h('button', { type: 'button', class: 'btn', text: 'Create an organisation' });
  open.addEventListener('click', () => {
    open.hidden = true;
    form.hidden = false;
    name.input.focus();
  });
  onSubmit(form, submit, 'Creating…', () => missing(name, 'Enter a name.') || missing(slug, 'Choose a short name.'),
    () => attempt(banner, async () => {
      const created = await api.post('/api/orgs', { name: value(name), slug: value(slug) });
      await loadMe();
      announce(`${created.name} is created; you are its owner. Next, add your email domain.`);
      await show(body, created.slug, 'org');
    }, { name, slug }));
  return box(
    row(text('Sign in through your company’s identity provider',
      'Create an organisation, prove it owns your email domain, and connect your OpenID Connect provider. Your colleagues then sign in there, and their second factor is the provider’s business.'),
    h('div', { class: 'box__buttons' }, open)),
    row(form));
}

// Owners: the organisation and its members, drawn afresh; focus goes to `key` when given.
async function show(body, slug, key) {
  const base = `/api/orgs/${encodeURIComponent(slug)}`;
  let org;
  let members;
  try {
    [org, { members }] = await Promise.all([api.get(base), api.get(`${base}/members`)]);
  } catch (error) {
    if (!signInAgainIf(error)) body.replaceChildren(flash('danger', messageFor(error)));
    return;
  }
  const redraw = (to) => show(body, slug, to);
  const sso = org.sso;
  body.replaceChildren(
    box(row(text(org.name, `Short name ${org.slug}. You are its owner. ${sso.enabled ? 'Members sign in with SSO.' : 'SSO is off.'}`, 'org'))),
    domainsBox(org, base, redraw),
    ssoBox(sso, base, redraw),
    box(row(text(`Members (${members.length})`)), h('ul', { class: 'members' }, members.map((m) => h('li', {},
      h('strong', { text: `${m.name || m.email}${m.role === 'owner' ? ' (owner)' : ''}` }),
      h('span', { class: 'muted', text: `${m.email} · joined ${formatDate(m.joinedAt)}${m.passwordSet ? '' : ' · SSO only'}` }))))));
  const target = key && body.querySelector(`[data-focus="${CSS.escape(key)}"]`);
  if (target) target.focus();
}

function domainsBox(org, base, redraw) {
  const domain = field({
    label: 'Email domain', name: 'domain', hint: 'What follows the @ in your colleagues’ addresses, e.g. example.com.',
    attrs: { ...plain, required: true, maxlength: '253' },
  });
  const submit = h('button', { type: 'submit', class: 'btn', text: 'Add domain' });
  const banner = formError();
  const form = h('form', { novalidate: true, class: 'inline-form', 'aria-label': 'Add a domain' }, banner, domain.wrap, submit);
  onSubmit(form, submit, 'Adding…', () => missing(domain, 'Enter a domain such as example.com.'),
    () => attempt(banner, async () => {
      const added = await withSudo(() => api.post(`${base}/domains`, { domain: value(domain).toLowerCase() }));
      announce(`${added.domain} added. Publish its TXT record, then choose Verify.`);
      await redraw(added.domain);
    }, {}, domain));
  return box(
    row(text('Email domains', 'People with a verified email domain sign in through your provider and join the organisation.', 'domains')),
    org.domains.map((d) => domainRow(d, base, redraw)),
    row(form));
}

function domainRow(d, base, redraw) {
  const path = `${base}/domains/${encodeURIComponent(d.domain)}`;
  const line = h('p', { class: 'field__error', 'aria-live': 'polite' });
  const verify = h('button', { type: 'button', class: 'btn btn--primary', text: 'Verify' });
  verify.addEventListener('click', () => busy(verify, 'Checking DNS…', () => attempt(line, async () => {
    await withSudo(() => api.post(`${path}/verify`));
    announce(`${d.domain} is verified.`);
    await redraw(d.domain);
  })));
  const remove = h('button', { type: 'button', class: 'btn btn--danger', text: 'Remove' });
  remove.addEventListener('click', () => attempt(line, async () => {
    await confirmDialog({
      title: `Remove ${d.domain}?`, confirmText: 'Remove domain', danger: true,
      message: 'People at this domain will no longer be recognised as members when they sign in with SSO.',
    });
    await withSudo(() => api.delete(path));
    announce(`${d.domain} removed.`);
    await redraw('domains');
  }));
  const record = d.verification;
  return row(
    h('div', { class: 'box__text' },
      h('h4', { tabindex: '-1', 'data-focus': d.domain }, `${d.domain} `,
        h('span', { class: `badge badge--${d.verified ? 'on' : 'off'}`, text: d.verified ? 'Verified' : 'Not verified' })),
      record ? [
        h('p', { text: 'Publish this TXT record at your DNS provider, then choose Verify:' }),
        h('dl', { class: 'details record' },
          h('dt', { text: 'Name' }), copyable(record.name, 'name'),
          h('dt', { text: 'Value' }), copyable(record.value, 'value'))]
        : h('p', { text: `Verified ${formatDate(d.verifiedAt)}.` }),
      line),
    h('div', { class: 'box__buttons' }, record && verify, remove));
}

function ssoBox(sso, base, redraw) {
  const issuer = field({
    label: 'Issuer URL', name: 'issuer', type: 'url', hint: 'From your provider, e.g. https://login.example.com',
    attrs: { ...plain, required: true, maxlength: '512', value: sso.issuer || '' },
  });
  const clientId = field({ label: 'Client ID', name: 'clientId', attrs: { ...plain, required: true, maxlength: '255', value: sso.clientId || '' } });
  const clientSecret = field({
    label: 'Client secret', name: 'clientSecret', type: 'password',
    hint: sso.clientSecretSet ? 'A secret is set; it is never shown. Leave empty to keep it.' : 'No secret is set.',
    attrs: { ...plain, maxlength: '1024', autocomplete: 'off' },
  });
  const enabled = h('input', { type: 'checkbox', name: 'enabled', checked: sso.enabled });
  const carry = h('input', { type: 'checkbox', name: 'carryOverMembers' });
  const banner = formError();
  const submit = h('button', { type: 'submit', class: 'btn btn--primary', text: 'Save SSO settings' });
  const form = h('form', { novalidate: true, 'aria-label': 'Single sign-on settings' },
    h('dl', { class: 'details record' }, h('dt', { text: 'Redirect URI' }), copyable(sso.redirectUri, 'redirect URI')),
    banner, issuer.wrap, clientId.wrap, clientSecret.wrap,
    h('label', { class: 'checkbox' }, enabled, 'Members sign in with SSO'),
    h('p', { class: 'field__hint', text: 'They are then not asked for a second factor: the provider checks them. Owners keep their password.' }),
    sso.issuer && [h('label', { class: 'checkbox' }, carry, 'With a new issuer, members SSO made keep their accounts (matched by email)'),
      h('p', { class: 'field__hint', text: 'A new issuer or client signs out everyone the old one signed in.' })],
    h('div', { class: 'actions' }, submit));
  onSubmit(form, submit, 'Checking the provider…',
    () => missing(issuer, 'Enter your provider’s issuer URL.') || missing(clientId, 'Enter the client ID from your provider.'),
    () => attempt(banner, async () => {
      const settings = { issuer: value(issuer), clientId: value(clientId), enabled: enabled.checked };
      if (clientSecret.input.value) settings.clientSecret = clientSecret.input.value;
      if (carry.checked) settings.carryOverMembers = true;
      await withSudo(() => api.put(`${base}/sso`, settings));
      await loadMe();
      announce(`SSO settings saved. ${settings.enabled ? 'Members now sign in with SSO.' : 'SSO is off.'}`);
      await redraw('sso');
    }, { issuer, clientId, clientSecret }));
  return box(
    row(text('Single sign-on (OpenID Connect)', 'At your provider, register a web application (authorization code flow, scopes openid email profile) with this redirect URI.', 'sso')),
    row(form));
}
