// Debian's Firefox (firefox-esr) through geckodriver's W3C WebDriver HTTP
// API: Playwright drives only its own patched Firefox, so the end-to-end
// tests that must also hold in Firefox use this small client instead.
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { homedir } from 'node:os';

const geckodriver = process.env.GECKODRIVER || `${homedir()}/.cargo/bin/geckodriver`;

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function call(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`WebDriver ${method} ${path}: ${json?.value?.error}: ${json?.value?.message}`);
  return json.value;
}

/** Starts geckodriver and a headless Firefox session; `quit()` ends both. */
export async function firefox() {
  const port = await freePort();
  const driver = spawn(geckodriver, ['--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i += 1) {
    try { await call(base, 'GET', '/status'); break; } catch (e) {
      if (i > 100) { driver.kill(); throw new Error(`geckodriver did not start: ${e.message}`); }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  let session;
  try {
    session = await call(base, 'POST', '/session', {
      capabilities: { alwaysMatch: { browserName: 'firefox', 'moz:firefoxOptions': { binary: process.env.FIREFOX ?? '/usr/bin/firefox-esr', args: ['-headless'] } } },
    });
  } catch (e) {
    driver.kill();
    throw e;
  }
  const s = `/session/${session.sessionId}`;
  await call(base, 'POST', `${s}/timeouts`, { script: 300_000, pageLoad: 60_000 });
  return {
    goto: (url) => call(base, 'POST', `${s}/url`, { url }),
    /** Runs `fn(arg)` in the page (an async function, or its source text); its result or its error. */
    async evaluate(fn, arg) {
      const script = `const done = arguments[arguments.length - 1];
        (${fn.toString()})(arguments[0]).then((v) => done({ ok: v }), (e) => done({ error: String(e && e.stack || e) }));`;
      const r = await call(base, 'POST', `${s}/execute/async`, { script, args: [arg] });
      if (r && 'error' in r) throw new Error(`in Firefox: ${r.error}`);
      return r?.ok;
    },
    /** Runs a synchronous `fn(arg)` (or its source text) in the page. */
    execute: (fn, arg) => call(base, 'POST', `${s}/execute/sync`, { script: `return (${fn.toString()})(arguments[0]);`, args: [arg] }),
    /** Polls `fn(arg)` in the page until it is truthy, for at most `timeoutMs`. */
    async waitFor(fn, arg, timeoutMs = 10_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = await call(base, 'POST', `${s}/execute/sync`, { script: `try { return (${fn.toString()})(arguments[0]); } catch { return false; }`, args: [arg] });
        if (v) return v;
        if (Date.now() > until) throw new Error(`in Firefox: timed out after ${timeoutMs} ms waiting for ${fn}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Opens a new tab of the same profile (shared storage) and returns its handle. */
    newTab: async () => (await call(base, 'POST', `${s}/window/new`, { type: 'tab' })).handle,
    handle: () => call(base, 'GET', `${s}/window`),
    /** Closes the current tab (switch to another one afterwards). */
    closeTab: () => call(base, 'DELETE', `${s}/window`),
    switchTo: (handle) => call(base, 'POST', `${s}/window`, { handle }),
    reload: () => call(base, 'POST', `${s}/refresh`, {}),
    /** Ends the session and geckodriver; a session that does not answer within 10 s (a blocked page) is left to the driver's exit. */
    async quit() {
      let timer;
      try {
        await Promise.race([call(base, 'DELETE', s), new Promise((r) => { timer = setTimeout(r, 10_000); })]);
      } finally {
        clearTimeout(timer);
        driver.kill();
      }
    },
  };
}
