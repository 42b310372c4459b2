// A small History API router. The server answers deep links (/signin, /account …)
// with index.html, and this picks the screen from location.pathname.
//
// A screen is `async function (main, ctx)`; it may return a cleanup function that
// runs when the person leaves it. `ctx.state` carries what the previous screen
// handed over (a notice to show, where to go after sign-in). Never put codes or
// secrets in it: history state can be written to disk by the browser.

const routes = new Map();
let fallback = null;
let cleanup = null;
let renderCount = 0;

export function route(path, screen) {
  routes.set(path, screen);
}

export function notFound(screen) {
  fallback = screen;
}

export function navigate(path, state = {}, { replace = false } = {}) {
  if (replace) history.replaceState(state, '', path);
  else history.pushState(state, '', path);
  return render();
}

async function render() {
  const main = document.getElementById('main');
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const screen = routes.get(path) || fallback;
  const ticket = ++renderCount;
  if (typeof cleanup === 'function') cleanup();
  cleanup = null;
  main.replaceChildren();
  main.setAttribute('aria-busy', 'true');
  try {
    const result = await screen(main, { path, state: history.state || {}, isCurrent: () => ticket === renderCount });
    if (ticket === renderCount) cleanup = result;
    else if (typeof result === 'function') result();
  } finally {
    if (ticket === renderCount) main.removeAttribute('aria-busy');
  }
}

// Focus goes to the new page's heading so screen readers start reading there,
// unless the screen focused a field itself.
export function focusHeading(main) {
  const heading = main.querySelector('h1');
  if (!heading) return;
  heading.setAttribute('tabindex', '-1');
  heading.focus();
}

function isAppLink(anchor, event) {
  if (!anchor || event.defaultPrevented || event.button !== 0) return false;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (anchor.target || anchor.hasAttribute('download')) return false;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || url.hash) return false;
  return routes.has(url.pathname.replace(/\/+$/, '') || '/');
}

export function start() {
  document.addEventListener('click', (event) => {
    const anchor = event.target.closest && event.target.closest('a[href]');
    if (!isAppLink(anchor, event)) return;
    event.preventDefault();
    navigate(new URL(anchor.href).pathname);
  });
  window.addEventListener('popstate', () => render());
  return render();
}
