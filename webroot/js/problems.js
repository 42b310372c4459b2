// What each problem `code` from the server means to a person. One place, so the
// wording stays consistent on every screen.

export function waitText(seconds) {
  if (!seconds || seconds < 1) return 'in a moment';
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
}

function attemptsLeft(n) {
  if (typeof n !== 'number' || n > 3) return '';
  return n === 1 ? ' 1 try left before you must start again.' : ` ${n} tries left before you must start again.`;
}

const AGAIN = ' Please start again.';
const ADMIN = ' If it happens again, ask your administrator to check the SSO settings.';

// Why single sign-on stopped (/signin?sso_error=code), and organisation settings refused.
const WORDS = {
  sso_not_found: 'No organisation signs in with SSO there. Check what you typed, or use your password.',
  sso_state_invalid: 'This sign-in does not match the one started in this browser (used already, or from another tab).' + AGAIN,
  sso_expired: 'The sign-in took longer than 10 minutes.' + AGAIN,
  sso_denied: 'Your identity provider did not let you in, or the sign-in was cancelled.' + AGAIN,
  sso_exchange_failed: 'Your identity provider would not complete the sign-in.' + AGAIN + ADMIN,
  sso_token_invalid: 'Your identity provider’s answer failed our checks, so nobody was signed in.' + AGAIN + ADMIN,
  sso_email_unverified: 'Your identity provider did not confirm your email address, so it cannot sign you in.',
  sso_email_outside_domains: 'Your email address is not at one of your organisation’s verified domains, so its SSO cannot sign you in.',
  sso_account_conflict: 'An account with your email address already exists and signs in another way, so single sign-on cannot use it. Ask your organisation’s owner.',
  sso_not_fresh: 'Your identity provider did not ask you to sign in again, so nothing was confirmed.' + AGAIN,
  sso_identity_mismatch: 'You signed in at your identity provider as someone else, so nothing was confirmed.',
  sso_unavailable: 'Your organisation’s identity provider cannot be reached. Please try again in a few minutes.',
  sso_failed: 'Single sign-on failed on our side. Please try again in a moment.',
  server_unavailable: 'Gatehouse can’t reach its database right now. Please try again in a moment.',
  slug_taken: 'Another organisation has this short name.',
  domain_exists: 'Your organisation already has this domain.',
  domain_taken: 'Another organisation has already verified this domain.',
  domain_not_verified: 'The TXT record is not there yet. DNS changes can take a while: check it, and try again in a few minutes.',
  dns_unavailable: 'DNS did not answer. Please try again in a moment.',
  last_sso_domain: 'SSO needs this verified domain: switch SSO off first.',
  no_verified_domain: 'Verify an email domain before switching SSO on: members are recognised by it.',
  owner_required: 'Only the organisation’s owners can do this.',
};

// Own keys only: a code from the address bar may be "constructor".
const said = (code) => (Object.hasOwn(WORDS, code) ? WORDS[code] : null);

// For a code alone, e.g. from the address bar; unknown codes get a general line, never the code.
export function ssoMessage(code) {
  return said(code) || 'Single sign-on did not work.' + AGAIN;
}

// `what` names the thing the person typed, for the wrong-code messages.
export function messageFor(error, what = 'code') {
  // Whatever a budget calls its refusal, 429 means "wait", and Retry-After says how long.
  if (error.status === 429) {
    return `Too many attempts. For your security, try again ${waitText(error.retryAfterSeconds)}.`;
  }
  if (said(error.code)) return said(error.code);
  switch (error.code) {
    case 'invalid_credentials':
      return what === 'password' ? 'That password is not correct.' : 'Incorrect email or password.';
    case 'invalid_password':
      return 'That password is not correct.';
    case 'invalid_passkey':
      return error.problem.detail || 'That passkey did not work. Try again.';
    case 'invalid_code':
      // A passkey refused after the password: the server says why; it counts like a wrong code.
      if (error.problem.method === 'passkey') return (error.problem.detail || 'That passkey did not work.') + attemptsLeft(error.problem.attemptsLeft);
      if (typeof error.problem.clockSkewSeconds === 'number') return clockSkew(error.problem.clockSkewSeconds);
      if (error.problem.reason === 'already_used') {
        return `That code was already used. Wait for the next code in your app.${attemptsLeft(error.problem.attemptsLeft)}`;
      }
      return (what === 'recovery'
        ? 'That recovery code didn’t work. Check for typos; each code works only once.'
        : 'That code didn’t work. It may be mistyped, or already used: wait for the next code in your app and try again.')
        + attemptsLeft(error.problem.attemptsLeft);
    case 'invalid_recovery_code':
      return 'That recovery code didn’t work. Check for typos; each code works only once.';
    case 'two_factor_expired':
      // The server says why (5 minutes passed, or 5 wrong codes), in words written for people.
      return error.problem.detail || 'This sign-in has expired. Please start again.';
    case 'not_signed_in':
    case 'session_expired':
      return 'Your session has expired. Please sign in again.';
    case 'sudo_required':
      return 'Please confirm it’s you to continue.';
    case 'database_unavailable':
      return `Gatehouse can’t reach its database right now. Please try again ${waitText(error.retryAfterSeconds || 5)}.`;
    case 'overloaded':
      return `Gatehouse is very busy right now. Please try again ${waitText(error.retryAfterSeconds || 5)}.`;
    case 'email_taken':
    case 'account_exists':
    case 'conflict':
      return 'An account with this email already exists. Sign in instead?';
    case 'network':
      return 'Gatehouse can’t be reached. Check your connection and try again.';
    case 'server_error':
      return 'Something went wrong on our side. Please try again in a moment.';
    default:
      if (error.status === 409) return 'An account with this email already exists. Sign in instead?';
      if (error.status >= 500) return 'Something went wrong on our side. Please try again in a moment.';
      return error.problem.detail || error.problem.title || 'Something went wrong. Please try again.';
  }
}

// A code from a few minutes off: the device's clock drifted (the server told us by how much).
function clockSkew(seconds) {
  const minutes = Math.max(1, Math.round(Math.abs(seconds) / 60));
  return `That code didn’t work. Your device’s clock seems to be ${minutes} minute${minutes === 1 ? '' : 's'} `
    + `${seconds > 0 ? 'ahead' : 'behind'}; check its time settings (set the time automatically), then try the next code.`;
}

// The pending sign-in is gone (expired, or too many wrong codes): only starting over helps.
export function mustStartAgain(error) {
  return error.code === 'two_factor_expired' || error.code === 'not_signed_in' || error.code === 'session_expired';
}
