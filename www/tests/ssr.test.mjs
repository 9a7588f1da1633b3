// Server-side rendering: importing and using the package in Node (no window,
// no localStorage, no WebSocket on Node 20) must not crash: absent browser
// parts are error values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

/** Every getter of `obj`'s class, by name. */
function getters(obj) {
  const out = {};
  for (const [name, d] of Object.entries(Object.getOwnPropertyDescriptors(Object.getPrototypeOf(obj)))) {
    if (d.get) out[name] = obj[name];
  }
  return out;
}

/** A client and one of each service (the delivery handler and sync on the queue). */
function family(pkg) {
  const client = new pkg.RealtimeClient();
  const queue = new pkg.OfflineQueueService(client);
  return {
    client, queue,
    presence: new pkg.PresenceService(client),
    typing: new pkg.TypingService(client),
    delivery: new pkg.DeliveryEventHandler(client, { queue }),
    sync: new pkg.SyncService(client, { queue }),
    conflict: new pkg.ConflictResolutionService({}, client),
  };
}

// Runs first: the module is not loaded yet (no window in Node, so the wasm
// does not load with the module).
test('instances made before the wasm loads read a new instance\'s values and work once it loads', async () => {
  const pkg = await import('../../pkg/index.js');
  const early = family(pkg);
  const before = Object.fromEntries(Object.entries(early).map(([k, o]) => [k, getters(o)]));
  assert.equal(before.client.state, 'disconnected');
  assert.equal(before.client.isConnected, false);
  // Listening to the client and the layer's argument checks need no wasm.
  const states = [];
  early.client.onStateChange((s) => states.push(s));
  assert.throws(() => early.client.emit(42), TypeError);
  // Anything else says what is missing, with a code.
  assert.throws(() => early.client.initialize({ url: 'http://127.0.0.1:9' }), { code: 'not_loaded', message: /init\(\)/ });
  assert.throws(() => early.queue.getQueueLength(), { code: 'not_loaded' });
  assert.throws(() => early.presence.onStatusChange(() => {}), { code: 'not_loaded' });

  pkg.initSync({ module: await readFile(new URL('../../pkg/chat_realtime_bg.wasm', import.meta.url)) });
  // What the getters read before is what new instances read now.
  const fresh = family(pkg);
  assert.deepEqual(before, Object.fromEntries(Object.entries(fresh).map(([k, o]) => [k, getters(o)])));
  // The early instances now reach the wasm: the services attach on first use.
  assert.equal(early.queue.getQueueLength(), 0);
  early.client.initialize({ url: 'http://127.0.0.1:9', reconnection: false });
  early.presence.setStatus('busy');
  assert.equal(early.presence.status, 'busy');
  assert.equal(early.delivery.getStatus('nope'), undefined);
  assert.equal(early.sync.isSyncing, false);
  // Without storage the history stays in memory (a conflict:error says so).
  const conflictEvents = [];
  early.conflict.subscribe((e, d) => conflictEvents.push([e, d?.error?.code]));
  early.conflict.initialize();
  assert.equal(early.conflict.initialized, true);
  const entity = { id: 'c', type: 'file:upload', localData: 1, remoteData: 2, localTimestamp: 0, remoteTimestamp: 5000 };
  assert.equal(early.conflict.autoResolve(early.conflict.detectConflict(entity))?.resolvedData, 2);
  assert.equal(early.conflict.getHistory().length, 1);
  assert.deepEqual(conflictEvents[0], ['conflict:error', 'unavailable']);
  for (const o of [...Object.values(early), ...Object.values(fresh)].reverse()) o.free();
  assert.deepEqual(states, []);
});

test('the package loads and fails softly without a browser', async () => {
  const pkg = await import('../../pkg/index.js');
  pkg.initSync({ module: await readFile(new URL('../../pkg/chat_realtime_bg.wasm', import.meta.url)) });
  const client = new pkg.RealtimeClient();
  assert.equal(client.state, 'disconnected');
  assert.throws(() => client.emit('x', 1), /initialize/);
  client.initialize({ url: 'http://127.0.0.1:9', reconnection: false });
  const errors = [];
  client.onError((e) => errors.push(e));
  const hasWebSocket = typeof globalThis.WebSocket === 'function';
  const connecting = client.connect('token');
  connecting.catch(() => {});
  if (!hasWebSocket) {
    assert.equal(errors[0]?.code, 'transport');
    assert.match(errors[0].message, /WebSocket/);
  }
  client.disconnect();
  await assert.rejects(connecting);
  client.free();
});
