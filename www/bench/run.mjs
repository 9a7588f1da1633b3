#!/usr/bin/env node
// `make bench`: chat-realtime next to socket.io-client 4.x and the raw browser
// WebSocket, in one run of one headless Chromium (Debian's, via playwright-core)
// against one local Socket.IO test server (tests/server/server.js, already
// started on REALTIME_PORT/CONTROL_PORT, e.g. by scripts/with-server.sh).
//
//   node www/bench/run.mjs [--smoke] [--runs N] [--idle-seconds S] [--only a,b] [--no-write] [--pkg DIR]
//
// Prints one Markdown table and writes it to BENCHMARKS.md at the repo root with
// the machine and versions (not in smoke mode). A hand-written section starting
// at "## What holds goals back" in an existing BENCHMARKS.md is kept.
// Smoke mode (--smoke or BENCH_SMOKE=1): tiny counts, 1-2 runs, a 2 s idle
// window, no BENCHMARKS.md; exits non-zero if any measurement throws or yields
// no number. The full run also exits non-zero on a failed measurement.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure as measureSize, sizeOf } from '../../scripts/size.mjs';
import { BODY, controlCall, controlUrl, root, serverUrl, sleep, start, token } from './lib.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name, env, def) => {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1];
  return process.env[env] ?? def;
};

const smoke = flag('smoke') || process.env.BENCH_SMOKE === '1';
const cfg = smoke ? {
  runs: 1, startupRuns: 2, warmup: 0, events: 200, seqAcks: 20, pipeAcks: 50, queued: 100,
  memSmall: 100, memLarge: 1000, memRuns: 1, idleSeconds: 2, idlePages: 1,
} : {
  runs: 5, startupRuns: 9, warmup: 1, events: 20000, seqAcks: 2000, pipeAcks: 5000, queued: 100,
  memSmall: 1000, memLarge: 100000, memRuns: 2, idleSeconds: 60, idlePages: 3,
};
cfg.runs = Number(option('runs', 'BENCH_RUNS', cfg.runs));
cfg.startupRuns = Math.max(cfg.startupRuns, cfg.runs);
cfg.idleSeconds = Number(option('idle-seconds', 'BENCH_IDLE_SECONDS', cfg.idleSeconds));
const only = option('only', 'BENCH_ONLY', '').split(',').filter(Boolean);
const wants = (name) => only.length === 0 || only.includes(name);
const pkgOption = option('pkg', 'BENCH_PKG', '');
const pkgDir = pkgOption ? resolve(pkgOption) : join(root, 'pkg');
// Another build (--pkg DIR) is for comparisons: it never writes BENCHMARKS.md.
const write = !smoke && !flag('no-write') && !pkgOption;

const KINDS = ['ours', 'sio', 'raw'];
const LABEL = { ours: 'chat-realtime', sio: 'socket.io-client', raw: 'raw WebSocket' };
const BATCH = 20000; // largest single /emit burst in the memory measurement

const log = (...a) => console.error('[bench]', ...a);

// ---------------------------------------------------------------------------
// Statistics and formatting
// ---------------------------------------------------------------------------
const num = (x) => typeof x === 'number' && Number.isFinite(x);
function stats(values) {
  const v = (values ?? []).filter(num).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  const median = v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  return { median, min: v[0], max: v[v.length - 1], n: v.length };
}
const group = (n, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const units = {
  bytes: (b) => (b >= 10000 ? `${group(b / 1000, 1)} kB` : `${group(b)} B`),
  ms: (x) => `${group(x, x < 10 ? 2 : 1)} ms`,
  us: (x) => `${group(x, 1)} µs`,
  rate: (x) => `${group(x)}/s`,
  perMin: (x) => `${group(x, 1)}/min`,
  mb: (b) => `${group(b / (1024 * 1024), 2)} MiB`,
};
function cell(values, unit) {
  const s = stats(values);
  if (!s) return null;
  const f = units[unit];
  return s.n > 1 && s.min !== s.max ? `${f(s.median)} (${f(s.min)}–${f(s.max)})` : f(s.median);
}
function ratio(a, b) {
  const sa = stats(a);
  const sb = stats(b);
  if (!sa || !sb || sb.median === 0) return null;
  return sa.median / sb.median;
}
const fmtRatio = (r) => (r === null ? '—' : `${r >= 10 ? group(r, 1) : group(r, 2)}×`);

// ---------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------
let openPage;
let connectedPage;
let cpu;

/** Runs `fn(kind, i)` `runs` times for each kind, interleaved, in a rotating order. */
async function interleaved(runs, kinds, fn) {
  for (let i = 0; i < runs; i += 1) {
    for (let k = 0; k < kinds.length; k += 1) {
      const kind = kinds[(i + k) % kinds.length];
      await fn(kind, i);
    }
  }
}

// ---------------------------------------------------------------------------
// Measurements. Each returns { [kind]: number[] } maps and details.
// ---------------------------------------------------------------------------
const results = {}; // name -> { ours, sio, raw } arrays, or error
const details = {};
const errors = [];

async function measure(name, fn) {
  if (!wants(name)) return;
  const t0 = Date.now();
  log(`${name} ...`);
  try {
    await fn();
    log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    errors.push(`${name}: ${e.stack ?? e}`);
    results[`${name}:error`] = String(e.message ?? e).split('\n')[0];
    log(`${name} FAILED: ${e.stack ?? e}`);
  }
}

function bundle() {
  const ours = measureSize(pkgDir).files;
  const sio = [sizeOf(join(root, 'www', 'node_modules', 'socket.io-client', 'dist', 'socket.io.min.js'))];
  const sum = (list, k) => list.reduce((a, f) => a + f[k], 0);
  for (const k of ['raw', 'gzip', 'brotli']) results[`bundle.${k}`] = { ours: [sum(ours, k)], sio: [sum(sio, k)] };
  details.bundle = [...ours, ...sio];
}

async function startup() {
  const kinds = ['ours', 'ours-preload', 'sio', 'raw'];
  const connected = Object.fromEntries(kinds.map((k) => [k, []]));
  const loaded = Object.fromEntries(kinds.map((k) => [k, []]));
  const handshake = Object.fromEntries(kinds.map((k) => [k, []]));
  await interleaved(cfg.startupRuns, kinds, async (kind) => {
    const tok = await token(kind);
    const p = await openPage(kind, { auto: true, tok, noCache: true });
    try {
      await p.page.waitForFunction(() => globalThis.__startup, null, { timeout: 20000 });
      const s = await p.page.evaluate(() => globalThis.__startup);
      if (s.error) throw new Error(`${kind} start-up: ${s.error}`);
      p.check();
      connected[kind].push(s.connected);
      loaded[kind].push(s.connectStart);
      handshake[kind].push(s.connected - s.connectStart);
    } finally {
      await p.close();
    }
  });
  results.startup = { ours: connected.ours, sio: connected.sio, raw: connected.raw };
  results['startup.preload'] = { ours: connected['ours-preload'], sio: connected.sio, raw: connected.raw };
  details.startup = { loaded, handshake };
}

async function events() {
  const pages = {};
  for (const kind of KINDS) pages[kind] = await connectedPage(kind);
  try {
    for (const kind of KINDS) {
      for (let w = 0; w < cfg.warmup; w += 1) await pages[kind].page.evaluate(([r, b]) => bench.burst(2000, r, b), [pages[kind].room, BODY]);
    }
    const firstToLast = { ours: [], sio: [], raw: [] };
    const requestToLast = { ours: [], sio: [], raw: [] };
    const thread = { ours: [], sio: [], raw: [] };
    const proc = { ours: [], sio: [], raw: [] };
    const server = [];
    await interleaved(cfg.runs, KINDS, async (kind) => {
      const c0 = await cpu(pages[kind]);
      const r = await pages[kind].page.evaluate(([n, room, b]) => bench.burst(n, room, b), [cfg.events, pages[kind].room, BODY]);
      const c1 = await cpu(pages[kind]);
      firstToLast[kind].push(cfg.events / (r.firstToLast / 1000));
      requestToLast[kind].push(cfg.events / (r.requestToLast / 1000));
      thread[kind].push(((c1.thread - c0.thread) * 1e6) / cfg.events);
      proc[kind].push(((c1.process - c0.process) * 1e6) / cfg.events);
      server.push(r.serverMs);
    });
    results['events.cpuThread'] = thread;
    results['events.cpuProcess'] = proc;
    for (const kind of KINDS) pages[kind].check();
    results['events.firstToLast'] = firstToLast;
    results['events.requestToLast'] = requestToLast;
    details.eventsServerMs = server;
  } finally {
    for (const p of Object.values(pages)) await p.close();
  }
}

async function acks() {
  const pages = {};
  for (const kind of KINDS) pages[kind] = await connectedPage(kind);
  try {
    for (const kind of KINDS) {
      for (let w = 0; w < cfg.warmup; w += 1) {
        await pages[kind].page.evaluate(() => bench.seqAcks(200));
        await pages[kind].page.evaluate(() => bench.pipeAcks(500));
      }
    }
    const seq = { ours: [], sio: [], raw: [] };
    const pipe = { ours: [], sio: [], raw: [] };
    await interleaved(cfg.runs, KINDS, async (kind) => {
      const ms = await pages[kind].page.evaluate((n) => bench.seqAcks(n), cfg.seqAcks);
      seq[kind].push(cfg.seqAcks / (ms / 1000));
    });
    await interleaved(cfg.runs, KINDS, async (kind) => {
      const ms = await pages[kind].page.evaluate((n) => bench.pipeAcks(n), cfg.pipeAcks);
      pipe[kind].push(cfg.pipeAcks / (ms / 1000));
    });
    for (const kind of KINDS) pages[kind].check();
    results['acks.sequential'] = seq;
    results['acks.pipelined'] = pipe;
  } finally {
    for (const p of Object.values(pages)) await p.close();
  }
}

async function offlineQueue() {
  const p = await openPage('ours');
  try {
    const available = await p.page.evaluate(() => !!bench.offlineQueue);
    if (!available) {
      results['queue.enqueue'] = 'n/a';
      results['queue.flush'] = 'n/a';
      return;
    }
    const enqueue = [];
    const flush = [];
    for (let i = 0; i < cfg.runs; i += 1) {
      enqueue.push(await p.page.evaluate((n) => bench.offlineQueue.enqueueOne(n), cfg.queued));
      flush.push(await p.page.evaluate(([n, t]) => bench.offlineQueue.flushAfterReconnect(n, t), [cfg.queued, await token('queue')]));
    }
    p.check();
    results['queue.enqueue'] = { ours: enqueue };
    results['queue.flush'] = { ours: flush };
  } finally {
    await p.close();
  }
}

async function memory() {
  const small = { heap: { ours: [], sio: [], raw: [] }, wasm: { ours: [] } };
  const large = { heap: { ours: [], sio: [], raw: [] }, wasm: { ours: [] } };
  let gcAvailable = true;
  await interleaved(cfg.memRuns, KINDS, async (kind) => {
    const p = await connectedPage(kind);
    try {
      const burst = (n) => p.page.evaluate(([k, r, b]) => bench.burst(k, r, b), [n, p.room, BODY]);
      await burst(cfg.memSmall);
      const m1 = await p.page.evaluate(() => bench.memory());
      for (let left = cfg.memLarge - cfg.memSmall; left > 0; left -= BATCH) await burst(Math.min(BATCH, left));
      const m2 = await p.page.evaluate(() => bench.memory());
      p.check();
      gcAvailable &&= m1.gc;
      small.heap[kind].push(m1.heap);
      large.heap[kind].push(m2.heap);
      if (m1.wasm !== null) { small.wasm[kind].push(m1.wasm); large.wasm[kind].push(m2.wasm); }
    } finally {
      await p.close();
    }
  });
  if (!gcAvailable) throw new Error('gc() is not exposed: --js-flags=--expose-gc did not take');
  results['memory.heap.small'] = small.heap;
  results['memory.heap.large'] = large.heap;
  results['memory.wasm.small'] = small.wasm;
  results['memory.wasm.large'] = large.wasm;
}

async function idle() {
  const pages = [];
  for (const kind of KINDS) {
    for (let i = 0; i < cfg.idlePages; i += 1) pages.push(await connectedPage(kind, { countWakeups: true }));
  }
  try {
    await sleep(500); // let connect-time timers settle
    const before = [];
    for (const p of pages) {
      before.push(await p.page.evaluate(() => ({ set: bench.timerWakeups?.() ?? null, pings: bench.pings?.() ?? null })));
      await p.page.evaluate(() => bench.resetWakeups());
    }
    const t0 = Date.now();
    await sleep(cfg.idleSeconds * 1000);
    const after = [];
    for (const p of pages) {
      after.push(await p.page.evaluate(() => ({ w: bench.wakeups(), set: bench.timerWakeups?.() ?? null, pings: bench.pings?.() ?? null })));
    }
    const minutes = (Date.now() - t0) / 60000;
    const fired = { ours: [], sio: [], raw: [] };
    const set = { ours: [], sio: [], raw: [] };
    const pings = [];
    pages.forEach((p, i) => {
      p.check();
      const w = after[i].w;
      if (!w) throw new Error(`${p.kind}: the wakeup counter was not injected`);
      fired[p.kind].push((w.timeout + w.interval + w.raf) / minutes);
      set[p.kind].push((w.setTimeout + w.setInterval + w.requestAnimationFrame) / minutes);
      if (p.kind === 'raw') pings.push((after[i].pings - before[i].pings) / minutes);
    });
    results['idle.fired'] = fired;
    results['idle.set'] = set;
    details.idle = { minutes, pings, perPage: pages.map((p, i) => ({ kind: p.kind, ...after[i].w })) };
  } finally {
    for (const p of pages) await p.close();
  }
}

// ---------------------------------------------------------------------------
// Table
// ---------------------------------------------------------------------------
function pingIntervalMs() {
  return Number(process.env.PING_INTERVAL_MS ?? 25000);
}

function buildRows() {
  const rows = [];
  const add = (key, label, unit, better, goal) => rows.push({ key, label, unit, better, goal });
  add('bundle.raw', 'Bundle, raw bytes (wasm + JS glue vs socket.io.min.js)', 'bytes', 'lower');
  add('bundle.gzip', 'Bundle, gzip -9', 'bytes', 'lower', { atMost: 60000, text: '≤ 60,000 B (2.2× nchat\'s services + socket.io-client)' });
  add('bundle.brotli', 'Bundle, brotli -q 11', 'bytes', 'lower');
  add('startup', 'Start-up: navigation start → connected (no HTTP cache)', 'ms', 'lower', { vs: 'sio', max: 1.0, text: '≤ 1.0× socket.io-client' });
  add('startup.preload', 'Start-up, glue and wasm preloaded (`<link rel=modulepreload/preload>`)', 'ms', 'lower');
  add('events.firstToLast', `Incoming events, ${group(cfg.events)} × 64 B: first → last event`, 'rate', 'higher');
  add('events.requestToLast', 'Incoming events: request → last event', 'rate', 'higher');
  add('events.cpuThread', 'Incoming events: renderer main-thread CPU per event', 'us', 'lower', { vs: 'sio', max: 1.0, text: '≤ 1.0× socket.io-client' });
  add('events.cpuProcess', 'Incoming events: renderer process CPU per event (all its threads)', 'us', 'lower');
  add('acks.sequential', `Acks, sequential round trips (${group(cfg.seqAcks)})`, 'rate', 'higher', { vs: 'raw', min: 0.9, text: '≥ 0.9× raw WebSocket echo' });
  add('acks.pipelined', `Acks, ${group(cfg.pipeAcks)} pipelined (all sent, then all awaited)`, 'rate', 'higher');
  add('queue.enqueue', `Offline queue: enqueue 1 with ≥ ${cfg.queued} queued (persisted; mean of 100)`, 'ms', 'lower', { atMost: 0.1, text: '≤ 0.1 ms' });
  add('queue.flush', `Offline queue: flush ${cfg.queued} after reconnect`, 'ms', 'lower');
  const pm = pingIntervalMs();
  add('idle.fired', `Idle: timer callbacks fired per minute (connected, ${cfg.idleSeconds} s window)`, 'perMin', 'lower',
    { heartbeat: true, text: `≤ heartbeat (server ping every ${group(pm / 1000, 0)} s = ${group(60000 / pm, 1)}/min)` });
  add('idle.set', 'Idle: timers set per minute (incl. ones cleared before firing)', 'perMin', 'lower');
  add('memory.heap.small', `Memory: JS heap after ${group(cfg.memSmall)} events (after gc())`, 'mb', 'lower');
  add('memory.heap.large', `Memory: JS heap after ${group(cfg.memLarge)} events`, 'mb', 'lower', { growthOf: 'memory.heap.small', text: 'no growth beyond noise (≤ +10 % or 1 MiB)' });
  add('memory.wasm.small', `Memory: wasm linear memory after ${group(cfg.memSmall)} events`, 'mb', 'lower');
  add('memory.wasm.large', `Memory: wasm linear memory after ${group(cfg.memLarge)} events`, 'mb', 'lower', { growthOf: 'memory.wasm.small', text: 'no growth (0 bytes)' });
  return rows.filter((r) => results[r.key] !== undefined || results[`${r.key.split('.')[0]}:error`] !== undefined
    || (only.length === 0));
}

function errorOf(key) {
  const name = key.split('.')[0];
  return results[`${name}:error`] ?? null;
}

function goalCell(row, r) {
  const g = row.goal;
  if (!g || typeof r !== 'object') return g ? g.text : '';
  const m = (k) => stats(r[k])?.median;
  let met = null;
  let detail = '';
  if (g.vs) {
    const x = ratio(r.ours, r[g.vs]);
    if (x !== null) {
      met = g.max !== undefined ? x <= g.max : x >= g.min;
      detail = fmtRatio(x);
    }
  } else if (g.atMost !== undefined) {
    if (num(m('ours'))) {
      met = m('ours') <= g.atMost;
      detail = cell([m('ours')], row.unit);
    }
  } else if (g.heartbeat) {
    // A healthy heartbeat needs at most one client wakeup per server ping.
    const limit = 60000 / pingIntervalMs();
    if (num(m('ours'))) {
      met = m('ours') <= limit + 1e-9;
      detail = `${group(m('ours'), 1)}/min`;
    }
  } else if (g.growthOf) {
    const base = results[g.growthOf];
    if (typeof base === 'object' && num(m('ours')) && num(stats(base.ours)?.median)) {
      const b = stats(base.ours).median;
      const d = m('ours') - b;
      met = row.key.includes('wasm') ? d <= 0 : d <= Math.max(0.1 * b, 1024 * 1024);
      detail = `${d >= 0 ? '+' : '−'}${units.mb(Math.abs(d))} (${d >= 0 ? '+' : '−'}${group(Math.abs(d / b) * 100, 1)} %)`;
    }
  }
  if (met === null) return g.text;
  return `${g.text}: ${met ? '**met**' : '**not met**'} (${detail})`;
}

function table() {
  const sioVersion = JSON.parse(readFileSync(join(root, 'www', 'node_modules', 'socket.io-client', 'package.json'), 'utf8')).version;
  const head = ['Measurement', LABEL.ours, `socket.io-client ${sioVersion}`, LABEL.raw, 'ours / socket.io', 'ours / raw', 'Goal (issue 11)'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  const missing = [];
  for (const row of buildRows()) {
    const r = results[row.key];
    const err = errorOf(row.key);
    let cols;
    if (err && r === undefined) {
      cols = [`error: ${err}`, '', '', '', '', row.goal?.text ?? ''];
      missing.push(row.key);
    } else if (r === 'n/a') {
      cols = ['n/a (not in this build)', '—', '—', '—', '—', ''];
    } else if (r === undefined) {
      cols = ['(not run)', '', '', '', '', row.goal?.text ?? ''];
    } else {
      const c = (k) => cell(r[k], row.unit);
      if (!c('ours')) missing.push(`${row.key}.ours`);
      if (r.sio && !c('sio')) missing.push(`${row.key}.sio`);
      if (r.raw && !c('raw')) missing.push(`${row.key}.raw`);
      cols = [c('ours') ?? '—', c('sio') ?? '—', c('raw') ?? '—', fmtRatio(ratio(r.ours, r.sio)), fmtRatio(ratio(r.ours, r.raw)), goalCell(row, r)];
    }
    lines.push(`| ${[row.label, ...cols].join(' | ')} |`);
  }
  return { text: lines.join('\n'), missing, sioVersion };
}

function detailText() {
  const out = [];
  if (details.bundle) {
    out.push('Bundle files (bytes):', '', '| file | raw | gzip -9 | brotli -q 11 |', '|---|---|---|---|');
    for (const f of details.bundle) out.push(`| ${f.file} | ${group(f.raw)} | ${group(f.gzip)} | ${group(f.brotli)} |`);
    out.push('');
  }
  if (details.startup) {
    const { loaded, handshake } = details.startup;
    const names = { ours: LABEL.ours, 'ours-preload': `${LABEL.ours} (preloaded)`, sio: LABEL.sio, raw: LABEL.raw };
    out.push('Start-up split: navigation start → the page calls connect (scripts loaded; for chat-realtime after `init()` fetched, compiled and instantiated the wasm), then connect → connected (WebSocket, Engine.IO open, Socket.IO CONNECT with the token):', '');
    out.push('| client | navigation → connect() | connect() → connected |', '|---|---|---|');
    for (const k of Object.keys(names)) out.push(`| ${names[k]} | ${cell(loaded[k], 'ms') ?? '—'} | ${cell(handshake[k], 'ms') ?? '—'} |`);
    out.push('');
  }
  if (details.eventsServerMs?.length) {
    out.push(`Server time to emit one burst of ${group(cfg.events)} (\`/emit\` loop, all clients): ${cell(details.eventsServerMs, 'ms')}.`, '');
  }
  if (details.idle) {
    const per = details.idle.perPage.map((p) => `${LABEL[p.kind]}: ${p.timeout} timeout + ${p.interval} interval + ${p.raf} rAF fired, ${p.setTimeout + p.setInterval + p.requestAnimationFrame} set`).join('; ');
    out.push(`Idle window ${group(details.idle.minutes * 60, 1)} s, server pings seen by the raw pages: ${cell(details.idle.pings, 'perMin')}. Per page: ${per}.`, '');
  }
  return out.join('\n');
}

function machine() {
  const cpus = os.cpus();
  const wb = /wasm-bindgen = "=?([0-9.]+)"/.exec(readFileSync(join(root, 'Cargo.toml'), 'utf8'))?.[1] ?? '?';
  let rustc = '?';
  try { rustc = execFileSync('rustc', ['--version'], { encoding: 'utf8' }).trim(); } catch { /* not needed */ }
  return {
    nproc: cpus.length,
    cpu: cpus[0]?.model ?? '?',
    mem: `${group(os.totalmem() / 1024 ** 3, 1)} GiB`,
    node: process.version,
    wasmBindgen: wb,
    rustc,
  };
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------
const started = Date.now();
const load0 = os.loadavg();
try {
  await controlCall('GET', '/health');
  // The offline-queue rows send to this room; rooms exist only once created.
  await controlCall('POST', '/rooms', { names: ['channel:bench-queue'] });
} catch (e) {
  console.error(`the test server is not up on ${controlUrl} (start it with scripts/with-server.sh): ${e.message}`);
  process.exit(2);
}
if (!existsSync(join(pkgDir, 'chat_realtime_bg.wasm'))) {
  console.error(`${pkgDir} has no chat_realtime_bg.wasm: run \`make build\` first`);
  process.exit(2);
}
const bench = await start({ pkgDir });
({ openPage, connectedPage, cpu } = bench);
const chromiumVersion = bench.browser.version();
log(`${smoke ? 'smoke' : 'full'} run: Chromium ${chromiumVersion}, server ${serverUrl}, pages ${bench.webUrl}, ${JSON.stringify(cfg)}`);

try {
  await measure('bundle', async () => bundle());
  await measure('startup', startup);
  await measure('events', events);
  await measure('acks', acks);
  await measure('queue', offlineQueue);
  await measure('memory', memory);
  await measure('idle', idle);
} finally {
  await bench.stop();
}

const { text, missing, sioVersion } = table();
const m = machine();
const load1 = os.loadavg();
const elapsed = (Date.now() - started) / 1000;
const header = [
  `Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}${smoke ? ' (smoke run: tiny counts, not representative)' : ''}; ` +
  `each cell is the median of the runs with (min–max); ${cfg.runs} runs (start-up ${cfg.startupRuns}, memory ${cfg.memRuns}, idle: ${cfg.idlePages} pages per client in one window).`,
  '',
  `Machine: ${m.nproc} × ${m.cpu}, ${m.mem} RAM; load average ${load0.map((x) => x.toFixed(2)).join(' ')} at start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end ` +
  '(the machine is shared: other builds and browser tests may have run at the same time).',
  `Versions: Chromium ${chromiumVersion} (headless, playwright-core), Node ${m.node}, socket.io-client ${sioVersion} (dist/socket.io.min.js, \`transports: ['websocket']\`), ` +
  `wasm-bindgen ${m.wasmBindgen}, ${m.rustc}; server: tests/server (socket.io 4, ping interval ${group(pingIntervalMs())} ms). Bench run took ${group(elapsed, 0)} s.`,
].join('\n');
const report = `${header}\n\n${text}\n\n${detailText()}`;
console.log(report);

if (write) {
  const file = join(root, 'BENCHMARKS.md');
  const keepFrom = '## What holds goals back';
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const kept = old.includes(keepFrom) ? old.slice(old.indexOf(keepFrom)) : `${keepFrom}\n\n(to be written from profiles)\n`;
  const method = readFileSync(join(here, 'METHOD.md'), 'utf8').trim();
  writeFileSync(file, `# Benchmarks\n\nGenerated by \`make bench\` (www/bench/run.mjs); edit only the section "${keepFrom.slice(3)}" by hand.\n\n${report}\n\n${method}\n\n${kept.trimEnd()}\n`);
  log(`wrote ${file}`);
}

if (errors.length || missing.length) {
  for (const e of errors) console.error(`[bench] measurement failed: ${e}`);
  if (missing.length) console.error(`[bench] no number for: ${missing.join(', ')}`);
  process.exit(1);
}
