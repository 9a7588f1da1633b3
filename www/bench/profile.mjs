#!/usr/bin/env node
// CPU profile of one benchmark scenario in the bench's Chromium, through CDP
// (Profiler.start/stop), summarised by self time per function.
//
//   node www/bench/profile.mjs <events|startup|acks|pipelined|enqueue> [--kind ours|sio|raw]
//   (enqueue: chat-realtime only; --count is the messages already queued)
//        [--pkg DIR] [--top N] [--count N] [--interval-us N] [--out file.cpuprofile]
//
// The test server must be up on REALTIME_PORT/CONTROL_PORT. For readable wasm
// frames, profile a build that keeps the name section (see BENCHMARKS.md) with
// --pkg; socket.io-client is profiled from its unminified dist/socket.io.js.
import { writeFileSync } from 'node:fs';
import { BODY, start, token } from './lib.mjs';

const argv = process.argv.slice(2);
const option = (name, def) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : def;
};
const scenario = argv.find((a) => !a.startsWith('--') && !argv[argv.indexOf(a) - 1]?.startsWith('--')) ?? 'events';
const kind = option('kind', 'ours');
const top = Number(option('top', 25));
const intervalUs = Number(option('interval-us', 100));
const out = option('out', null);
const defaults = { events: 20000, startup: 1, acks: 2000, pipelined: 5000, enqueue: 100 };
const count = Number(option('count', defaults[scenario]));
if (!(scenario in defaults)) throw new Error(`unknown scenario ${scenario}: ${Object.keys(defaults).join(', ')}`);

const bench = await start({ pkgDir: option('pkg', undefined) });
/** socket.io-client unminified, so that its frames have names. */
async function unminified(page) {
  await page.route('**/socket.io.min.js', (route) => route.continue({ url: route.request().url().replace('socket.io.min.js', 'socket.io.js') }));
}

async function startProfiler(cdp) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: intervalUs });
  await cdp.send('Profiler.start');
}

let profile;
let wall;
let timeline = null;
try {
  if (scenario === 'startup') {
    const tok = await token(kind);
    let cdp;
    const p = await bench.openPage(kind, {
      auto: true, tok, noCache: true,
      before: async (page, session) => { cdp = session; await unminified(page); await startProfiler(session); },
    });
    await p.page.waitForFunction(() => globalThis.__startup, null, { timeout: 20000 });
    const marks = await p.page.evaluate(() => globalThis.__startup);
    wall = marks.connected;
    ({ profile } = await cdp.send('Profiler.stop'));
    timeline = await p.page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const rows = [['HTML response end', nav.responseEnd], ['DOMContentLoaded', nav.domContentLoadedEventEnd]];
      for (const e of performance.getEntriesByType('resource')) {
        const name = e.name.replace(/^.*\//, '').replace(/\?.*$/, '');
        rows.push([`${name} requested`, e.startTime], [`${name} received (${e.encodedBodySize} B)`, e.responseEnd]);
      }
      return rows;
    });
    for (const [k, v] of Object.entries(marks)) timeline.push([k, v]);
    p.check();
  } else {
    const p = await bench.connectedPage(kind, { before: (page) => unminified(page) });
    const cdp = await p.context.newCDPSession(p.page);
    const run = () => {
      if (scenario === 'events') return p.page.evaluate(([n, r, b]) => bench.burst(n, r, b).then((x) => x.firstToLast), [count, p.room, BODY]);
      if (scenario === 'acks') return p.page.evaluate((n) => bench.seqAcks(n), count);
      if (scenario === 'enqueue') return p.page.evaluate((n) => bench.offlineQueue.enqueueOne(n, 1000), count);
      return p.page.evaluate((n) => bench.pipeAcks(n), count);
    };
    await run(); // warm-up
    await startProfiler(cdp);
    wall = await run();
    ({ profile } = await cdp.send('Profiler.stop'));
    p.check();
  }
} finally {
  await bench.stop();
}

if (out) writeFileSync(out, JSON.stringify(profile));

if (timeline) {
  console.log('| ms since navigation start | what |\n|---:|---|');
  for (const [k, v] of timeline.sort((a, b) => a[1] - b[1])) console.log(`| ${v.toFixed(1)} | ${k} |`);
  console.log();
}

// Self time per function: samples x their time deltas, by node.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
for (let i = 0; i < profile.samples.length; i += 1) {
  const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
  self.set(profile.samples[i], (self.get(profile.samples[i]) ?? 0) + dt);
}
const byFn = new Map();
let total = 0;
for (const [id, ms] of self) {
  const { callFrame: f } = byId.get(id);
  // The file name; `pkg/` before those of the package (its layer and glue).
  const path = f.url.replace(/\?.*$/, '');
  const file = path ? `${/\/pkg\//.test(path) ? 'pkg/' : ''}${path.replace(/^.*\//, '')}` : '';
  const key = `${f.functionName || '(anonymous)'}${file ? ` ${file}${f.lineNumber >= 0 && !file.endsWith('.wasm') ? `:${f.lineNumber + 1}` : ''}` : ''}`;
  byFn.set(key, (byFn.get(key) ?? 0) + ms);
  total += ms;
}
const busy = total - (byFn.get('(idle)') ?? 0);
const rows = [...byFn].sort((a, b) => b[1] - a[1]).slice(0, top);
console.log(`# ${scenario}, ${kind}, count ${count}: ${wall.toFixed(1)} ms measured in the page; ` +
  `profile ${total.toFixed(1)} ms, ${busy.toFixed(1)} ms not idle; sampling ${intervalUs} µs`);
console.log('| self ms | % of non-idle | function |\n|---:|---:|---|');
for (const [k, ms] of rows) console.log(`| ${ms.toFixed(1)} | ${k === '(idle)' ? '' : ((100 * ms) / busy).toFixed(1)} | ${k.replace(/\|/g, '\\|')} |`);
// Grouped: wasm, this package's JS (the TypeScript layer and the glue), the library, the bench harness, the engine.
const groups = new Map();
for (const [k, ms] of byFn) {
  const g = /\.wasm$|wasm-function|^\$/.test(k) || k.includes('.wasm') ? 'wasm'
    : k.includes(' pkg/') ? 'chat-realtime JS (layer and glue)'
      : k.includes('socket.io') ? 'socket.io-client'
        : /harness\.js|ours\.js|sio\.js|raw\.js/.test(k) ? 'bench page'
          : k.startsWith('(') ? k.split(' ')[0] : 'other JS / builtins';
  groups.set(g, (groups.get(g) ?? 0) + ms);
}
console.log('\n| group | self ms | % of non-idle |\n|---|---:|---:|');
for (const [g, ms] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`| ${g} | ${ms.toFixed(1)} | ${g === '(idle)' ? '' : ((100 * ms) / busy).toFixed(1)} |`);
