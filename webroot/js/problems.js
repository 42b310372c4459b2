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

// `what` names the thing the person typed, for the wrong-code messages.
export function messageFor(error, what = 'code') {
  // Whatever a budget calls its refusal, 429 means "wait", and Retry-After says how long.
  if (error.status === 429) {
    return `Too many attempts. For your security, try again ${waitText(error.retryAfterSeconds)}.`;
  }
  switch (error.code) {
    case 'invalid_credentials':
      return what === 'password' ? 'That password is not correct.' : 'Incorrect email or password.';
    case 'invalid_password':
      return 'That password is not correct.';
    case 'invalid_code':
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
      return 'Please confirm your password to continue.';
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

// The pending sign-in is gone (expired, or too many wrong codes): only starting over helps.
export function mustStartAgain(error) {
  return error.code === 'two_factor_expired' || error.code === 'not_signed_in' || error.code === 'session_expired';
}
