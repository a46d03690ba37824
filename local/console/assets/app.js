/**
 * The console's shell: a hash router over its pages. Each page renders into the view and returns
 * a `stop()` that ends its polling when another page is shown.
 */
import { h, replace } from './dom.js';
import { deadLettersPage } from './pages/dead-letters.js';
import { flowPage } from './pages/flow.js';
import { provisionPage } from './pages/provision.js';
import { workspacePage } from './pages/workspace.js';
import { workspacesPage } from './pages/workspaces.js';

const view = document.getElementById('view');
let current;

/** The page a hash names, with its argument. */
function pageOf(hash) {
  const path = hash.replace(/^#/, '') || '/';
  const [, section, argument] = path.split('/');
  const decoded = argument === undefined ? undefined : decodeURIComponent(argument);
  if (section === 'workspaces' && decoded)
    return { nav: 'workspaces', start: () => workspacePage(view, decoded) };
  if (section === 'requests' && decoded) return { nav: 'workspaces', start: () => flowPage(view, decoded) };
  if (section === 'new') return { nav: 'new', start: () => provisionPage(view) };
  if (section === 'dead-letters') return { nav: 'dead-letters', start: () => deadLettersPage(view) };
  return { nav: 'workspaces', start: () => workspacesPage(view) };
}

function show() {
  current?.stop?.();
  replace(view);
  const page = pageOf(window.location.hash);
  for (const link of document.querySelectorAll('[data-nav]')) {
    link.classList.toggle('active', link.dataset.nav === page.nav);
  }
  try {
    current = page.start();
  } catch (error) {
    replace(view, h('p', { class: 'error' }, `The page failed: ${error.message}`));
  }
}

window.addEventListener('hashchange', show);
show();
