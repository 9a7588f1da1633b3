// The browser suites (www/tests/browser/<suite>.test.js): each runs in a fresh
// page of Debian's Chromium (playwright-core) and of Debian's Firefox
// (geckodriver), against the test servers, importing the built package as
// users do. Every in-page test is reported as its own subtest,
// `<browser> <suite>: <test>`, with the in-page error and stack on failure.
// A page that stops answering fails with the name of the test it hung in.
//
// Needs pkg/ (`make build`) and both test server instances
// (scripts/with-server.sh). `make browser-test` runs this file; `make
// www-test` sets SKIP_BROWSER_SUITES=1 so `make test` runs it once.
// For development: SUITES=client,typing BROWSERS=firefox ONLY='<test name>'.
import { test, before, after } from 'node:test';
import { createServer } from 'node:http';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { launch, staticServer, serverUrl, controlUrl, realtimePort, controlPort } from './browser.mjs';
import { firefox } from './firefox.mjs';

/**
 * The suites, in the order they run: the one list. `<suite>@sse` runs the
 * suite's tests again with every client of its helpers on the SSE transport
 * (the runner page's `transport`, read by support.js).
 */
export const SUITES = [
  'client', 'server_contract', 'scale_out', 'typing', 'presence', 'delivery', 'queue', 'sync', 'wire', 'nchat', 'conflict',
  'rooms', 'integration', 'nchat_tests', 'dispatcher', 'react', 'typing@sse', 'presence@sse', 'delivery@sse', 'queue@sse', 'sse',
];

const serverUrlB = `http://127.0.0.1:${process.env.REALTIME_PORT_B ?? Number(realtimePort) + 2}`;
const controlUrlB = `http://127.0.0.1:${process.env.CONTROL_PORT_B ?? Number(controlPort) + 2}`;
const pick = (env, all) => (env ? env.split(',').map((s) => s.trim()).filter(Boolean) : all);
const suites = pick(process.env.SUITES, SUITES);
const browsers = pick(process.env.BROWSERS, ['chromium', 'firefox']);
const only = process.env.ONLY;
// A page that gives no answer this long past a test's own timeout is hung.
const HANG_GRACE_MS = 15_000;
const LOAD_TIMEOUT_MS = 60_000;
const POLL_MS = 250;

for (const s of suites) if (!SUITES.includes(s)) throw new Error(`unknown suite ${s}; the suites: ${SUITES.join(', ')}`);

let reports;
before(async () => {
  if (suites.includes('react')) reactVendor();
  reports = await reportServer();
});

/**
 * The `react` suite's React: www's react and react-dom bundled by esbuild (js/'s)
 * into tests/browser/gen/react.js, which runner.html's import map names `react`.
 */
function reactVendor() {
  const dir = fileURLToPath(new URL('./browser/', import.meta.url));
  execFileSync(fileURLToPath(new URL('../../js/node_modules/.bin/esbuild', import.meta.url)), [
    `${dir}react-vendor.src.js`, '--bundle', '--format=esm', '--target=es2020', '--log-level=error',
    '--define:process.env.NODE_ENV="development"', `--outfile=${dir}gen/react.js`,
  ]);
}
after(() => reports?.server.close());

/**
 * Where the runner pages report: each update (the test starting now, the
 * results so far) and the outcome, POSTed to `/<run id>` and kept in `runs`.
 * Known outside the page, so a page blocked by a test still has it named.
 */
function reportServer() {
  const runs = new Map();
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const run = runs.get(req.url.slice(1));
      if (req.method === 'POST' && run) {
        try {
          const msg = JSON.parse(body);
          if (msg.kind === 'results') run.results = msg;
          else run.progress = msg;
          run.at = Date.now();
        } catch {
          // not JSON: not ours
        }
      }
      res.writeHead(204, { 'access-control-allow-origin': '*' }).end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    resolve({ server, runs, url: `http://127.0.0.1:${server.address().port}` });
  }));
}

let runCount = 0;

function runnerUrl(web, name, report) {
  const [suite, transport] = name.split('@');
  const q = new URLSearchParams({ suite, server: serverUrl, control: controlUrl, serverB: serverUrlB, controlB: controlUrlB, report });
  if (transport) q.set('transport', transport);
  if (only) q.set('only', only);
  return `${web.url}/tests/browser/runner.html?${q}`;
}

/** `promise`, or `fallback` after `ms`. */
function within(promise, ms, fallback) {
  let timer;
  return Promise.race([promise, new Promise((r) => { timer = setTimeout(() => r(fallback), ms); })])
    .finally(() => clearTimeout(timer));
}

/**
 * A fresh page per suite: a new context of one Chromium, a new tab of one
 * Firefox session. Each suite is served from its own port, so its origin's
 * storage, BroadcastChannels and Web Locks start empty in Firefox's shared
 * profile too.
 */
const drivers = {
  chromium: async () => {
    const browser = await launch({ args: ['--disable-background-timer-throttling', '--disable-renderer-backgrounding'] });
    return {
      async open(url) {
        const context = await browser.newContext();
        const page = await context.newPage();
        await page.goto(url);
        return { close: () => within(context.close(), 10_000) };
      },
      close: () => within(browser.close(), 10_000),
    };
  },
  firefox: async () => {
    // One session (a start costs ~7 s); a tab that cannot be closed (a
    // blocked page) ends it, and the next suite starts another.
    let ff = null;
    let home = null;
    return {
      async open(url) {
        if (!ff) {
          ff = await firefox();
          home = await ff.handle();
        }
        const session = ff;
        const close = async () => {
          const closed = await within(session.closeTab().then(() => session.switchTo(home)).then(() => true, () => false), 10_000, false);
          if (!closed) {
            if (ff === session) ff = null;
            await session.quit();
          }
        };
        await session.switchTo(await session.newTab());
        try {
          await session.goto(url);
        } catch (e) {
          await close();
          throw e;
        }
        return { close };
      },
      close: async () => { await ff?.quit(); },
    };
  },
};

/**
 * Opens the runner for `suite` and follows its reports to the end: `{results,
 * pageErrors, loadError}`, where a hung test (and the ones after it) are
 * failures naming it.
 */
async function runSuite(driver, suite) {
  const id = `run${(runCount += 1)}`;
  const run = { progress: null, results: null, at: Date.now() };
  reports.runs.set(id, run);
  const web = await staticServer();
  let page = null;
  try {
    page = await driver.open(runnerUrl(web, suite, `${reports.url}/${id}`));
    for (;;) {
      if (run.results) return run.results;
      const { progress } = run;
      const silent = Date.now() - run.at;
      if (!progress?.loaded ? silent > LOAD_TIMEOUT_MS : progress.current !== null && silent > progress.timeoutMs + HANG_GRACE_MS) {
        return hungResults(progress, silent);
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    reports.runs.delete(id);
    await page?.close();
    web.server.close();
  }
}

function hungResults(progress, ms) {
  if (!progress?.loaded) {
    return { results: [], pageErrors: [], loadError: `the suite did not load (no report) within ${LOAD_TIMEOUT_MS} ms` };
  }
  const { current } = progress;
  const results = [...progress.results];
  results.push({ name: current, ok: false, ms, error: `hung: no word from the page ${ms} ms after this test started, past its timeout of ${progress.timeoutMs} ms (the page is blocked, or the in-page timeout could not fire)` });
  for (const name of progress.names.slice(results.length)) {
    results.push({ name, ok: false, ms: 0, error: `not run: the suite hung in "${current}"` });
  }
  return { results, pageErrors: [], loadError: null };
}

if (process.env.SKIP_BROWSER_SUITES) {
  test('browser suites', { skip: 'SKIP_BROWSER_SUITES is set (make browser-test runs them)' }, () => {});
} else {
  for (const name of browsers) {
    if (!drivers[name]) throw new Error(`unknown browser ${name}`);
    test(name, async (t) => {
      const driver = await drivers[name]();
      try {
        for (const suite of suites) {
          await t.test(`${name} ${suite}`, async (st) => {
            const start = Date.now();
            const { results, pageErrors, loadError } = await runSuite(driver, suite);
            const secs = ((Date.now() - start) / 1000).toFixed(1);
            console.log(`${name} ${suite}: ${results.filter((r) => r.ok).length}/${results.length} passed in ${secs} s`);
            for (const e of pageErrors) st.diagnostic(`page error: ${e}`);
            if (loadError) throw new Error(`${name} ${suite}: the suite failed to load:\n${loadError}`);
            if (results.length === 0) throw new Error(`${name} ${suite}: no tests ran`);
            for (const r of results) {
              await st.test(`${name} ${suite}: ${r.name}`, (tt) => {
                tt.diagnostic(`${r.ms} ms in the page`);
                if (r.ok) return;
                const e = new Error(`in ${name}, ${suite}: "${r.name}" failed after ${r.ms} ms:\n${r.error}`);
                e.stack = e.message; // the in-page stack is in the message; node's own frames say nothing
                throw e;
              });
            }
          });
        }
      } finally {
        await driver.close();
      }
    });
  }
}
