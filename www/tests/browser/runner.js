// Runs one browser suite in this page: `runner.html?suite=<name>&server=..&control=..
// &serverB=..&controlB=..[&only=<test name>][&report=<url>]`. The outcome is on
// `window.__results`: `{suite, results: [{name, ok, error, ms}], pageErrors,
// loadError}`, the progress on `window.__progress` (the test running now).
// With `report`, every progress update and the outcome are also POSTed there,
// and each test starts only once its start was received: a test that blocks
// the page for good is still known by name outside it.
import { run, names, describe } from './harness.js';

const params = new URLSearchParams(location.search);
const suite = params.get('suite') ?? '';
const only = params.get('only') ?? undefined;
const report = params.get('report');
const status = document.getElementById('status');
const log = document.getElementById('log');
document.getElementById('suite').textContent = suite;

const pageErrors = [];
window.addEventListener('error', (e) => pageErrors.push(`uncaught: ${e.error ? describe(e.error) : e.message}`));
window.addEventListener('unhandledrejection', (e) => pageErrors.push(`unhandled rejection: ${describe(e.reason)}`));

window.__progress = { suite, names: [], current: null, timeoutMs: 0, done: 0, total: 0, results: [], loaded: false };
window.__results = null;

/** Sends `body` to the report URL (text/plain: a simple request, no preflight). */
async function send(kind, body) {
  if (!report) return;
  try {
    await fetch(report, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ kind, ...body }) });
  } catch (e) {
    pageErrors.push(`report ${kind} not sent: ${describe(e)}`);
  }
}

async function main() {
  if (!/^[a-z0-9_-]+$/.test(suite)) throw new Error(`bad suite name ${JSON.stringify(suite)}`);
  // The suite registers its tests (and pkg.js initializes the package) on import.
  await import(`./${suite}.test.js`);
  const chosen = only ? [only] : names();
  window.__progress = { ...window.__progress, loaded: true, names: chosen, total: chosen.length };
  await send('progress', window.__progress);
  const results = await run({
    only,
    onProgress: async (p) => {
      window.__progress = { ...window.__progress, ...p };
      status.textContent = p.current ? `running ${p.done + 1}/${p.total}: ${p.current}` : 'done';
      await send('progress', window.__progress);
    },
  });
  for (const r of results) log.textContent += `${r.ok ? 'ok' : 'FAIL'} ${r.name} (${r.ms} ms)${r.ok ? '' : `\n${r.error}`}\n`;
  window.__results = { suite, results, pageErrors, loadError: null };
}

// Not awaited at the top level: the page finishes loading while the suite runs.
main()
  .catch((e) => {
    status.textContent = 'failed to load';
    window.__results = { suite, results: [], pageErrors, loadError: describe(e) };
  })
  .then(() => send('results', window.__results));
