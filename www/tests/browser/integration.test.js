// RealtimeIntegrationService (nchat's `realtime-integration.service.ts`) in a
// real browser against the test server: the module client and services
// initialized from one config, the status reported at once and on every
// change (connect, a server-side drop and the reconnect, disconnect), the
// services it gives, its teardown, and bad input.
import { test, onCleanup, assert, equal, deepEqual, rejects, throws } from './harness.js';
import {
  realtimeClient, RealtimeIntegrationService, getRealtimeIntegration, initializeRealtimeIntegration,
  resetRealtimeIntegration, getPresenceService, getTypingService, getDeliveryEventHandler, getOfflineQueueService,
  getRoomsService, getRoomManager,
} from './pkg.js';
import { reset, serverUrl, token, post, waitUntil, clearStorage, sleep, localStorage } from './support.js';

/** Resets the module integration and destroys the module client after the test. */
function teardown() {
  onCleanup(() => {
    resetRealtimeIntegration();
    realtimeClient.destroy();
  });
}

test('initialize sets up the enabled services, connects with the token and reports the status on every change', async () => {
  await reset();
  clearStorage();
  teardown();
  const ri = getRealtimeIntegration();
  assert(ri instanceof RealtimeIntegrationService);
  assert(!ri.initialized);
  const statuses = [];
  const config = { userId: 'ann', token: await token('ann'), realtimeUrl: serverUrl };
  equal(initializeRealtimeIntegration(config), ri, 'the module instance');
  assert(ri.initialized);
  ri.onStatusChange((s) => statuses.push({ ...s }));
  equal(statuses.length, 1, 'told at once');
  deepEqual(Object.keys(statuses[0]).sort(), ['authenticated', 'connected', 'connectionQuality', 'deliveryReceiptsEnabled',
    'offlineQueueEnabled', 'presenceEnabled', 'queuedMessageCount', 'reconnectAttempts', 'typingEnabled']);
  assert(statuses[0].presenceEnabled && statuses[0].typingEnabled && statuses[0].deliveryReceiptsEnabled &&
    statuses[0].offlineQueueEnabled, 'every service on by default');
  // autoConnect with a token: connected without a connect() call.
  await waitUntil('connected', 5000, () => statuses.some((s) => s.connected));
  const on = statuses.find((s) => s.connected);
  assert(on.authenticated);
  assert(ri.isConnected && ri.isAuthenticated && ri.isOnline);
  equal(realtimeClient.userId, 'ann');
  const { userId, token: t, realtimeUrl, ...defaults } = ri.getConfig();
  deepEqual([userId, t, realtimeUrl], ['ann', config.token, serverUrl]);
  deepEqual(defaults, {
    enablePresence: true, enableTyping: true, enableDeliveryReceipts: true, enableOfflineQueue: true, debug: false,
    autoConnect: true,
  });
  // A second initialize is ignored (nchat's), the first config stays.
  ri.initialize({ enablePresence: false });
  equal(ri.getConfig().enablePresence, true);

  // The module services, initialized, with nchat's settings.
  equal(ri.getPresence(), getPresenceService());
  equal(ri.getTyping(), getTypingService());
  equal(ri.getDelivery(), getDeliveryEventHandler());
  equal(ri.getOfflineQueue(), getOfflineQueueService());
  equal(ri.getRooms(), getRoomsService());
  equal(ri.getRoomManager(), getRoomManager());
  for (const s of [ri.getPresence(), ri.getTyping(), ri.getOfflineQueue(), ri.getRooms(), ri.getRoomManager()]) {
    assert(s.initialized, `${s.constructor.name} initialized`);
  }
  equal(ri.getOfflineQueue().getQueueLength(), 0);
  const room = await ri.getRooms().joinRoom('channel:general');
  equal(room.memberCount, 1, 'rooms on the module client');

  // A server-side drop: told disconnected, then connected again after the reconnect.
  const before = statuses.length;
  await post('/drop', {});
  await waitUntil('told disconnected', 5000, () => statuses.slice(before).some((s) => !s.connected));
  await waitUntil('told reconnected', 10000, () => statuses.at(-1).connected);

  // disconnect(), then connect() without a token uses the config's.
  ri.disconnect();
  assert(!statuses.at(-1).connected && !ri.isConnected);
  ri.getOfflineQueue().queueMessage({ channelId: 'general', content: 'later', type: 'text' });
  equal(ri.getStatus().queuedMessageCount, 1, 'the queue length');
  ri.getOfflineQueue().clearQueue();
  equal(ri.getStatus().queuedMessageCount, 0);
  await ri.connect();
  assert(statuses.at(-1).connected);

  // updateUserId and updateToken keep the config.
  ri.updateUserId('ann');
  const t2 = await token('ann');
  ri.updateToken(t2);
  equal(ri.getConfig().token, t2);
  await ri.reconnect();
  assert(ri.isConnected);

  // destroy: disconnected, listeners dropped, the module services reset.
  const presence = ri.getPresence();
  ri.destroy();
  assert(!ri.initialized && !realtimeClient.isConnected);
  assert(!statuses.at(-1).connected, 'told disconnected (as nchat: before the listeners go)');
  assert(!presence.initialized, 'the old service is destroyed');
  assert(getPresenceService() !== presence, 'a new module service');
  const n = statuses.length;
  realtimeClient.initialize({ url: serverUrl, qualityIntervalMs: 0 });
  await realtimeClient.connect(t2);
  equal(statuses.length, n, 'no status after destroy');
  await rejects(ri.connect(), Error, 'not initialized');
});

test('disabled services, no autoConnect, a throwing listener, and bad input', async () => {
  await reset();
  clearStorage();
  teardown();
  const e = await rejects(getRealtimeIntegration().connect('x'), Error, 'not initialized');
  equal(e.code, 'not_initialized');
  const ri = initializeRealtimeIntegration({
    realtimeUrl: serverUrl, enablePresence: false, enableTyping: false, enableDeliveryReceipts: false,
    enableOfflineQueue: false, autoConnect: false, token: await token('ben'),
  });
  const s = ri.getStatus();
  deepEqual([s.presenceEnabled, s.typingEnabled, s.deliveryReceiptsEnabled, s.offlineQueueEnabled, s.queuedMessageCount],
    [false, false, false, false, 0]);
  for (const get of [() => ri.getPresence(), () => ri.getTyping(), () => ri.getDelivery(), () => ri.getOfflineQueue()]) {
    equal(throws(get, Error, 'is off').code, 'not_enabled');
  }
  equal(ri.getRooms(), getRoomsService(), 'rooms are always on');
  assert(!ri.isConnected, 'no autoConnect');

  const seen = [];
  // Called at once (nchat's): one that throws later is logged, the others run.
  ri.onStatusChange((st) => {
    if (st.connected) throw new Error('boom');
  });
  const off = ri.onStatusChange((st) => seen.push(st.connected));
  await ri.connect();
  assert(seen.at(-1) === true, 'the other listeners run when one throws');
  off();
  const k = seen.length;
  ri.disconnect();
  equal(seen.length, k, 'unsubscribed');

  throws(() => resetRealtimeIntegration() ?? new RealtimeIntegrationService().initialize({ enablePresence: 'yes' }),
    TypeError, 'enablePresence');
  throws(() => new RealtimeIntegrationService().initialize(), TypeError, 'config');
  throws(() => ri.onStatusChange(5), TypeError, 'listener');
  throws(() => ri.updateUserId(''), RangeError, 'userId');
  throws(() => ri.updateToken(7), TypeError, 'token');
  throws(() => ri.connect(''), RangeError, 'token');
  // free(): destroyed, then unusable.
  const x = new RealtimeIntegrationService();
  x.initialize({ realtimeUrl: serverUrl, autoConnect: false });
  assert(x.initialized);
  const p = getPresenceService();
  assert(p.initialized);
  x.free();
  assert(!p.initialized, 'free() destroyed what it initialized');
  throws(() => x.getStatus(), Error, 'freed');
  x.free();
});

test('each service starts with its options from the config; the delivery handler tracks the module queue', async () => {
  await reset();
  clearStorage();
  teardown();
  const ri = initializeRealtimeIntegration({
    token: await token('cy'), userId: 'cy',
    // realtimeUrl wins over clientOptions.url; the other client options are the client's.
    realtimeUrl: serverUrl, clientOptions: { url: 'http://127.0.0.1:9', reconnection: false },
    presenceOptions: { idleTimeoutMs: 300 },
    typingOptions: { privacySettings: { broadcastTyping: false } },
    queueOptions: { storageKey: 'cy-queue' },
    deliveryOptions: { readBatchMs: 50 },
  });
  await waitUntil('connected (realtimeUrl)', 5000, () => ri.isConnected);
  equal(ri.getTyping().privacySettings.broadcastTyping, false, 'typingOptions');
  await waitUntil('idle after presenceOptions.idleTimeoutMs', 5000, () => ri.getPresence().isAutoAway);
  await ri.getRooms().joinRoom('channel:general');

  // The queue stores under queueOptions.storageKey, and the delivery handler follows what it sends.
  ri.disconnect();
  const q = ri.getOfflineQueue().queueMessage({ channelId: 'general', content: 'kept', type: 'text' });
  assert(Object.keys(localStorage()).some((k) => k.startsWith('cy-queue:m:')), 'stored under cy-queue');
  equal(ri.getDelivery().getStatus(q.clientMessageId)?.state, 'pending', 'tracked from the queue');
  await ri.connect();
  await waitUntil('sent', 5000, () => ['sent', 'delivered', 'read'].includes(ri.getDelivery().getStatus(q.clientMessageId)?.state));

  // clientOptions.reconnection: false: a server-side drop is not followed by a reconnect.
  await post('/drop', {});
  await waitUntil('dropped', 5000, () => !ri.isConnected);
  await sleep(1500);
  equal(realtimeClient.state, 'disconnected', 'no reconnect');
});

test('the services\' options are checked before anything starts', async () => {
  teardown();
  const ri = new RealtimeIntegrationService();
  const bad = [
    [{ presenceOptions: { idleTimeoutMs: 'soon' } }, TypeError, 'initialize(): config.presenceOptions.idleTimeoutMs'],
    [{ typingOptions: { privacySettings: { typingVisibility: 'all' } } }, RangeError, 'config.typingOptions.privacySettings.typingVisibility'],
    [{ queueOptions: { storageKey: '' } }, RangeError, 'config.queueOptions.storageKey'],
    [{ queueOptions: { bogus: 1 } }, TypeError, 'config.queueOptions has an unknown key "bogus"'],
    [{ deliveryOptions: { readBatchMs: -1 } }, RangeError, 'config.deliveryOptions.readBatchMs'],
    [{ deliveryOptions: { queue: {} } }, TypeError, 'config.deliveryOptions.queue'],
    [{ clientOptions: { maxReconnectAttempts: 1.5 } }, RangeError, 'config.clientOptions.maxReconnectAttempts'],
    [{ presenceOptions: 'fast' }, TypeError, 'config.presenceOptions must be a plain object'],
  ];
  for (const [config, type, text] of bad) {
    throws(() => ri.initialize({ autoConnect: false, ...config }), type, text);
    assert(!ri.initialized, `not initialized by ${JSON.stringify(config)}`);
  }
  // A good config after the refused ones starts as usual.
  ri.initialize({ autoConnect: false, realtimeUrl: serverUrl, queueOptions: { storageKey: 'after-refusals' } });
  assert(ri.initialized);
  ri.destroy();
  throws(() => initializeRealtimeIntegration({ deliveryOptions: { queue: 5 } }), TypeError,
    'initializeRealtimeIntegration(): config.deliveryOptions.queue');
  assert(!getRealtimeIntegration().initialized);
});
