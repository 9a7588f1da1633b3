// The measuring side of every benchmark page. A page (ours.js, sio.js, raw.js)
// wraps one client library in an adapter and calls `install(adapter)`; the
// Node driver (run.mjs) then calls `window.bench.*` through page.evaluate.
//
// adapter = {
//   name,
//   connect(token) -> Promise            resolves when connected to the namespace
//   on(event, fn)                        server events, fn(firstArg)
//   request(event, data) -> Promise      a Socket.IO event with an ack (room:join)
//   echo(data, timeoutMs) -> Promise     one ack round trip of the ack benchmark
//   wasmMemory?() -> bytes               wasm linear memory, when there is one
//   extra?                               more functions, merged into window.bench
// }
export const params = new URLSearchParams(location.search);
export const server = params.get('server');
export const control = params.get('control');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function withTimeout(promise, ms, what) {
  let t;
  const timeout = new Promise((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(t));
}

/** POST to the control API without a CORS preflight (the server parses any body as JSON). */
export async function controlPost(path, body) {
  const res = await fetch(`${control}${path}`, { method: 'POST', body: JSON.stringify(body ?? {}) });
  const json = await res.json();
  if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

export function install(adapter) {
  // One listener for the whole page life; a burst resets the counters.
  const burst = { want: 0, count: 0, first: 0, last: 0, bytes: 0, done: null };
  let listening = false;
  const listen = () => {
    if (listening) return;
    listening = true;
    adapter.on('bench', (d) => {
      const now = performance.now();
      if (burst.count === 0) burst.first = now;
      burst.bytes += d.b.length; // touch the payload, as an app would
      burst.count += 1;
      if (burst.count === burst.want) {
        burst.last = now;
        burst.done?.();
      }
    });
  };

  const bench = {
    name: adapter.name,
    ready: true,

    /** Connects; ms from the call to connected. */
    async connect(token) {
      const t0 = performance.now();
      await withTimeout(adapter.connect(token), 20000, `${adapter.name} connect`);
      return performance.now() - t0;
    },

    /** Joins a Socket.IO room so that bursts to it reach this page only. */
    async join(roomName) {
      await withTimeout(adapter.request('room:join', { roomName }), 10000, 'room:join');
      listen();
    },

    /**
     * Asks the server for `n` events of 64-byte bodies to `roomName` and waits
     * for the last one. Returns ms from the first to the last event and from
     * the request to the last event.
     */
    async burst(n, roomName, body) {
      listen();
      Object.assign(burst, { want: n, count: 0, first: 0, last: 0, bytes: 0 });
      const arrived = new Promise((resolve) => { burst.done = resolve; });
      const t0 = performance.now();
      const answer = controlPost('/emit', { event: 'bench', data: { b: body }, count: n, roomName });
      await withTimeout(Promise.all([arrived, answer]), 30000 + n, `burst of ${n} (got ${burst.count})`);
      burst.done = null;
      if (burst.count !== n || burst.bytes !== n * body.length) {
        throw new Error(`burst: got ${burst.count} events, ${burst.bytes} bytes; expected ${n}`);
      }
      return { firstToLast: burst.last - burst.first, requestToLast: burst.last - t0, serverMs: (await answer).elapsedMs };
    },

    /** `n` ack round trips one after the other; total ms. */
    async seqAcks(n) {
      const t0 = performance.now();
      for (let i = 0; i < n; i += 1) {
        const r = await withTimeout(adapter.echo({ n: i }, 30000), 30000, `ack ${i}`);
        if (r?.n !== i) throw new Error(`ack ${i}: unexpected answer ${JSON.stringify(r)}`);
      }
      return performance.now() - t0;
    },

    /** `n` acks sent at once, then all awaited; total ms. */
    async pipeAcks(n) {
      const t0 = performance.now();
      const all = [];
      for (let i = 0; i < n; i += 1) all.push(adapter.echo({ n: i }, 120000));
      const answers = await withTimeout(Promise.all(all), 120000, `${n} pipelined acks`);
      answers.forEach((r, i) => { if (r?.n !== i) throw new Error(`pipelined ack ${i}: ${JSON.stringify(r)}`); });
      return performance.now() - t0;
    },

    /** JS heap after a full GC, and wasm memory if any (bytes). */
    async memory() {
      for (let i = 0; i < 3; i += 1) {
        globalThis.gc?.();
        await sleep(20);
      }
      return {
        heap: performance.memory?.usedJSHeapSize ?? null,
        wasm: adapter.wasmMemory ? adapter.wasmMemory() : null,
        gc: typeof globalThis.gc === 'function',
      };
    },

    /** Timer callbacks counted by wakeups.js (when it was injected). */
    wakeups() {
      return globalThis.__wakeups ? { ...globalThis.__wakeups } : null;
    },
    resetWakeups() {
      if (globalThis.__wakeups) for (const k of Object.keys(globalThis.__wakeups)) globalThis.__wakeups[k] = 0;
    },

    ...(adapter.extra ?? {}),
  };
  globalThis.bench = bench;

  // Start-up mode: connect at once with the token of the URL, note when.
  const token = params.get('token');
  if (params.get('auto') === '1' && token) {
    const connectStart = performance.now();
    adapter.connect(token).then(
      () => { globalThis.__startup = { connected: performance.now(), connectStart, ...(adapter.startupMarks ?? {}) }; },
      (e) => { globalThis.__startup = { error: String(e?.message ?? e) }; },
    );
  }
}
