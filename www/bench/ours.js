// chat-realtime (this package, release build from /pkg/) behind the bench adapter.
import init, * as pkg from '/pkg/index.js';
import { install, server, control, controlPost } from './harness.js';

const wasm = await init();
const initDone = performance.now();
const client = new pkg.RealtimeClient();
client.initialize({ url: server });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const settle = async (v) => (v && typeof v.then === 'function' ? v : v);

async function until(pred, ms, what) {
  const end = performance.now() + ms;
  while (!pred()) {
    if (performance.now() > end) throw new Error(`${what}: timed out after ${ms} ms`);
    await sleep(1);
  }
}

/**
 * A queue with room for `n` messages (the seeds' default limit is 100, and the
 * enqueue row needs 101); without the option if this build does not know it.
 */
function newQueue(c, n) {
  try {
    return new pkg.OfflineQueueService(c, { maxMessages: n });
  } catch (e) {
    if (!/unknown option|maxMessages/i.test(String(e?.message ?? e))) throw e;
    return new pkg.OfflineQueueService(c);
  }
}

/**
 * The offline queue rows, when the build has `OfflineQueueService`
 * (`new OfflineQueueService(client, options?)`, `queueMessage({channelId, content, type})`,
 * `flushQueue() -> Promise<{sent, failed}>`, `getQueueLength()`).
 */
const offlineQueue = typeof pkg.OfflineQueueService === 'function' ? {
  /**
   * ms per message to queue `k` more messages while at least `queued` are
   * already queued (and persisted), disconnected: the mean over `k`, so the
   * browser's coarse `performance.now()` (0.1 ms) does not decide the figure.
   */
  async enqueueOne(queued, k = 100) {
    localStorage.clear();
    const c = new pkg.RealtimeClient();
    c.initialize({ url: server });
    const q = newQueue(c, queued + k);
    try {
      for (let i = 0; i < queued; i += 1) await settle(q.queueMessage({ channelId: 'bench-queue', content: `queued ${i}`, type: 'text' }));
      if (q.getQueueLength() !== queued) throw new Error(`queue length ${q.getQueueLength()}, expected ${queued}`);
      const t0 = performance.now();
      for (let i = 0; i < k; i += 1) await settle(q.queueMessage({ channelId: 'bench-queue', content: `one more ${i}`, type: 'text' }));
      const ms = (performance.now() - t0) / k;
      if (q.getQueueLength() !== queued + k) throw new Error(`queue length ${q.getQueueLength()} after enqueue, expected ${queued + k}`);
      return ms;
    } finally {
      q.dispose?.();
      q.free?.();
      c.free?.();
      localStorage.clear();
    }
  },

  /**
   * Connects, disconnects, queues `n` messages, reconnects: ms from the
   * `connected` state to the queue empty and `flushQueue()` settled. The server
   * must have received all `n` (checked after the clock stops).
   */
  async flushAfterReconnect(n, token) {
    localStorage.clear();
    await controlPost('/reset', {});
    await controlPost('/rooms', { names: ['channel:bench-queue'] });
    const c = new pkg.RealtimeClient();
    c.initialize({ url: server });
    const q = newQueue(c, n);
    let connectedAt = 0;
    c.onStateChange((s) => { if (s === 'connected') connectedAt = performance.now(); });
    try {
      await c.connect(token);
      c.disconnect();
      for (let i = 0; i < n; i += 1) await settle(q.queueMessage({ channelId: 'bench-queue', content: `queued ${i}`, type: 'text' }));
      if (q.getQueueLength() !== n) throw new Error(`queue length ${q.getQueueLength()}, expected ${n}`);
      connectedAt = 0;
      await c.connect(token);
      const result = await q.flushQueue();
      await until(() => q.getQueueLength() === 0, 30000, 'queue drain');
      const ms = performance.now() - connectedAt;
      if (!result || typeof result.sent !== 'number') throw new Error(`flushQueue() resolved with ${JSON.stringify(result)}`);
      const received = await (await fetch(`${control}/received`)).json();
      if (received.messages.length !== n) throw new Error(`server received ${received.messages.length} messages, expected ${n}`);
      return ms;
    } finally {
      c.disconnect();
      q.dispose?.();
      q.free?.();
      c.free?.();
      localStorage.clear();
    }
  },
} : null;

install({
  name: 'chat-realtime',
  connect: (token) => client.connect(token),
  on: (event, fn) => client.on(event, fn),
  request: (event, data) => client.emitAsync(event, data),
  echo: (data, timeoutMs) => client.emitAsync('echo', data, timeoutMs),
  wasmMemory: () => wasm.memory.buffer.byteLength,
  startupMarks: { initDone },
  extra: {
    offlineQueue,
    timerWakeups: () => client.timerWakeups,
  },
});
