// Shared by run.mjs and profile.mjs: the browser, the static server, bench
// pages and the test server's control API.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../serve.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
export const root = join(here, '..', '..');
export const realtimePort = process.env.REALTIME_PORT ?? '39101';
export const controlPort = process.env.CONTROL_PORT ?? '39102';
export const serverUrl = `http://127.0.0.1:${realtimePort}`;
export const controlUrl = `http://127.0.0.1:${controlPort}`;
/** 64-byte event bodies: JSON.stringify({ b: BODY }) is exactly 64 bytes. */
export const BODY = 'x'.repeat(64 - '{"b":""}'.length);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const wakeupsScript = readFileSync(join(here, 'wakeups.js'), 'utf8');

export async function controlCall(method, path, body) {
  const res = await fetch(`${controlUrl}${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

let userSeq = 0;
export const uniq = (what) => `${what}-${process.pid}-${++userSeq}`;
export const token = async (kind) => (await controlCall('GET', `/token?sub=bench-${uniq(kind)}`)).token;

/**
 * Debian's Chromium with precise memory info and gc(), and the static server
 * of the bench pages. `pkgDir` serves another build as /pkg/.
 */
export async function start({ pkgDir } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      '--enable-precise-memory-info', '--js-flags=--expose-gc'],
  });
  const server = await serve(0, { pkgDir });
  const webUrl = `http://127.0.0.1:${server.address().port}`;

  /** A fresh context (own HTTP cache, storage) with one bench page of `kind` (ours, sio, raw). */
  async function openPage(kind, { auto = false, tok = null, countWakeups = false, noCache = false, before } = {}) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    if (countWakeups) await page.addInitScript(wakeupsScript);
    let cdp = null;
    if (noCache || before) {
      cdp = await context.newCDPSession(page);
      if (noCache) {
        await cdp.send('Network.enable');
        await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
      }
    }
    const q = new URLSearchParams({ server: serverUrl, control: controlUrl });
    if (auto) { q.set('auto', '1'); q.set('token', tok); }
    if (before) await before(page, cdp);
    await page.goto(`${webUrl}/bench/${kind}.html?${q}`);
    await page.waitForFunction(() => globalThis.bench?.ready || globalThis.__startup, null, { timeout: 20000 })
      .catch((e) => { throw new Error(`${kind} page did not load: ${errors.join('; ') || e.message}`); });
    return {
      page, context, cdp, errors, kind,
      close: () => context.close(),
      check: () => { if (errors.length) throw new Error(`${kind} page: ${errors.join('; ')}`); },
    };
  }

  /** A page that is connected and in its own room (bursts reach it only). */
  async function connectedPage(kind, opts = {}) {
    const p = await openPage(kind, opts);
    p.connectMs = await p.page.evaluate((t) => bench.connect(t), await token(kind));
    p.room = `bench:${uniq(kind)}`;
    await controlCall('POST', '/rooms', { names: [p.room] }); // rooms must exist, as on the real server
    await p.page.evaluate((r) => bench.join(r), p.room);
    return p;
  }

  /**
   * CPU seconds the page's renderer used so far: `thread` = its main thread,
   * `process` = the whole renderer process (CDP Performance.getMetrics;
   * robust to other processes competing for the CPU, unlike wall time).
   */
  async function cpu(p) {
    if (!p.perf) {
      p.perf = await p.context.newCDPSession(p.page);
      await p.perf.send('Performance.enable', { timeDomain: 'threadTicks' });
    }
    const { metrics } = await p.perf.send('Performance.getMetrics');
    const get = (name) => metrics.find((m) => m.name === name)?.value;
    return { thread: get('ThreadTime'), process: get('ProcessTime') };
  }

  async function stop() {
    await browser.close();
    server.close();
  }

  return { browser, webUrl, openPage, connectedPage, cpu, stop };
}
