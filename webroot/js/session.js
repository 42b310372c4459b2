// Who is signed in, as the server last told us (GET /api/me), and the header that shows it.

import { api } from './api.js';

let me = null;

export function currentUser() {
  return me;
}

// Resolves to the /api/me answer, or null when nobody is signed in.
export async function loadMe() {
  try {
    me = await api.get('/api/me');
  } catch (error) {
    if (error.status !== 401) throw error;
    me = null;
  }
  showAccountMenu();
  return me;
}

export function forget() {
  me = null;
  showAccountMenu();
}

export function emailOf(user) {
  return (user && user.user && user.user.email) || '';
}

export function showAccountMenu() {
  const menu = document.getElementById('account-menu');
  const who = document.getElementById('account-menu-who');
  if (!menu || !who) return;
  menu.hidden = !me;
  who.textContent = me ? emailOf(me) : '';
}

export function signOut() {
  return api.delete('/api/session').finally(forget);
}

// Sudo lasts ten minutes on the server; our clock may differ a little, and a
// sudo_required answer still brings the dialog back, so this is only a hint.
export function hasSudo() {
  const until = toMillis(me && me.sudoUntil);
  return until !== null && until - Date.now() > 15000;
}

function toMillis(value) {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return value > 1e12 ? value : value * 1000;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? null : parsed;
}

export function noteSudoGranted() {
  if (me) me.sudoUntil = new Date(Date.now() + 9 * 60 * 1000).toISOString();
}
