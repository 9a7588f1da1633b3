// nchat's surface in a real browser against the test server: the module
// client `realtimeClient`, the services nchat's hooks make from a config
// (on that client) and their get/initialize/reset functions, and the members
// nchat's services have (connection state at once, reconnection reports,
// `wasOffline` until cleared, 10 reconnect attempts, nchat's storage keys).
import { test, assert, equal, deepEqual, throws } from './harness.js';
import {
  RealtimeClient, PresenceService, TypingService, OfflineQueueService, SyncService, realtimeClient,
  getPresenceService, initializePresenceService, resetPresenceService, getTypingService, initializeTypingService,
  resetTypingService, getOfflineQueueService, initializeOfflineQueue, resetOfflineQueue, getSyncService,
  initializeSyncService, resetSyncService, getDeliveryEventHandler, initializeDeliveryHandler, resetDeliveryHandler,
} from './pkg.js';
import {
  reset, client, connected, own, get, post, token, waitUntil, Recorder, json, serverUrl, fireWindowEvent,
  clearStorage, localStorage, received,
} from './support.js';

/** `realtimeClient` configured for the test server and connected as `sub` (nchat's option names). */
async function moduleClient(sub) {
  realtimeClient.initialize({ url: serverUrl, qualityIntervalMs: 0, reconnectDelay: 100, maxReconnectDelay: 300 });
  await realtimeClient.connect(await token(sub));
  return realtimeClient;
}

/** Every nchat module service reset and the module client destroyed (after a test). */
function resetAll() {
  for (const r of [resetPresenceService, resetTypingService, resetOfflineQueue, resetSyncService, resetDeliveryHandler]) r();
  realtimeClient.destroy();
}

test('realtimeClient: state at once and on every change, isAuthenticated, reconnect() and connect() reuse the token', async () => {
  await reset();
  const c = realtimeClient;
  c.initialize({ url: serverUrl, qualityIntervalMs: 0 });
  const states = new Recorder();
  const off = c.onConnectionStateChange(states.f);
  deepEqual(states.all(), ['disconnected'], 'called at once with the current state');
  equal(c.isAuthenticated, false);
  await c.connect(await token('nadia'));
  deepEqual(states.all(), ['disconnected', 'connecting', 'connected']);
  equal(c.isAuthenticated, true);
  equal(c.reconnectAttemptCount, 0);
  equal(c.averageLatency, null, 'no sample yet');
  const before = (await get('/stats')).connectionsTotal;
  await c.reconnect();
  equal(c.isConnected, true);
  equal(c.userId, 'nadia');
  equal((await get('/stats')).connectionsTotal, before + 1, 'a new connection');
  c.disconnect();
  equal(c.state, 'disconnected');
  await c.connect();
  equal(c.userId, 'nadia', 'the last token again');
  equal((await get('/stats')).connectionsTotal, before + 2);
  off();
  c.destroy();
  equal(c.state, 'disconnected');
});

test("config: device in the handshake's auth, transports checked (WebSocket either way), auth kept from the authenticated event", async () => {
  await reset();
  const c = client();
  const at = (o) => () => c.initialize({ url: serverUrl, ...o });
  throws(at({ transports: [] }), RangeError, 'initialize(): options.transports must be a non-empty array');
  throws(at({ transports: ['websocket', 'sse'] }), RangeError, 'options.transports[1]');
  throws(at({ transports: 'websocket' }), TypeError, 'options.transports');
  throws(at({ device: { type: 'phone' } }), RangeError, 'options.device.type');
  throws(at({ device: { os: 'iOS' } }), TypeError, 'options.device.type');
  throws(at({ device: { type: 'ios', model: 'x' } }), TypeError, 'unknown key "model"');
  const device = { type: 'ios', os: 'iOS', browser: 'App', version: '2.1' };
  // Only 'polling' listed: still WebSocket (this client has no long-polling).
  c.initialize({ url: serverUrl, qualityIntervalMs: 0, device, transports: ['polling'] });
  await c.connect(await token('dev-user'));
  const mine = async () => (await get('/connections')).connections.find((x) => x.socketId === c.socketId);
  deepEqual((await mine()).device, device, "sent as the handshake's auth.device");
  equal((await mine()).transport, 'websocket');

  equal(c.auth, null, 'the nself server sends no authenticated event');
  const auth = { userId: 'dev-user', sessionId: 's-1', rooms: ['user:dev-user'] };
  await post('/emit', { event: 'authenticated', data: auth });
  await waitUntil('auth kept', 3000, () => c.auth !== null);
  deepEqual(json(c.auth), auth);
  c.disconnect();
  equal(c.auth, null, 'gone with the link, as nchat clears it');

  // Without a device: the detected one.
  c.initialize({ url: serverUrl, qualityIntervalMs: 0, transports: ['websocket', 'polling'] });
  await c.connect(await token('dev-user'));
  equal((await mine()).device.type, 'web');
  equal(own(new RealtimeClient()).auth, null);
});

test("emit's callback gets the server's answer, or {success: false} with the code", async () => {
  await reset();
  const c = await connected('emma');
  const answers = new Recorder();
  c.emit('room:join', { roomName: 'channel:general' }, answers.f);
  c.emit('room:join', { roomName: 'no-such-room' }, answers.f);
  await waitUntil('both answers', 3000, () => answers.len() === 2);
  const ok = answers.all().find((a) => a.success);
  const refused = answers.all().find((a) => !a.success);
  equal(ok?.data?.roomName, 'channel:general', JSON.stringify(answers.all()));
  equal(refused?.error?.code, 'ROOM_NOT_FOUND', JSON.stringify(answers.all()));
});

test('onReconnection: a dropped link with its attempts; offline with wasOffline, kept until clearWasOffline()', async () => {
  await reset();
  const c = await connected('rita', { reconnectDelayMs: 100, reconnectDelayMaxMs: 200 });
  const reconnections = new Recorder();
  c.onReconnection(reconnections.f);
  await post('/drop', {});
  await waitUntil('reconnected', 5000, () => reconnections.len() === 1);
  const [attempts, wasOffline] = reconnections.calls[0];
  assert(attempts >= 1, `attempts ${attempts}`);
  equal(wasOffline, false);
  equal(c.reconnectAttemptCount, 0, 'reset once connected');
  fireWindowEvent('offline');
  equal(c.wasOffline, true);
  fireWindowEvent('online');
  await waitUntil('reconnected after offline', 5000, () => reconnections.len() === 2);
  equal(reconnections.calls[1][1], true);
  equal(c.isConnected, true);
  equal(c.wasOffline, true, 'kept after the reconnect (nchat syncs, then clears it)');
  c.clearWasOffline();
  equal(c.wasOffline, false);
});

test("nchat's default: 10 reconnect attempts, then reconnect_failed", async () => {
  // Nothing listens on port 9. (Firefox spaces out failed WebSocket
  // connections to one host by itself, up to seconds apart: a long wait.)
  const c = own(new RealtimeClient());
  c.initialize({ url: 'http://127.0.0.1:9', qualityIntervalMs: 0, reconnectDelay: 20, maxReconnectDelay: 20 });
  const errors = new Recorder();
  c.onError(errors.f);
  let rejected = null;
  c.connect(await token('quitter')).catch((e) => { rejected = e; });
  await waitUntil('gave up', 45_000, () => errors.all().some((e) => e.code === 'reconnect_failed'));
  const failed = errors.all().find((e) => e.code === 'reconnect_failed');
  assert(failed.message.includes('after 10 attempts'), failed.message);
  await waitUntil('connect() rejected', 1000, () => rejected !== null);
  equal(c.state, 'disconnected');
});

test('module services: get returns one instance, initialize runs it, reset destroys it; presence made from a config', async () => {
  await reset();
  const a = await moduleClient('ann');
  const b = await connected('ben');
  const p = initializePresenceService({ idleTimeout: 600_000, heartbeatInterval: 30_000, enableIdleDetection: true });
  equal(getPresenceService(), p, 'one instance');
  equal(p.initialized, true);
  equal(p.userId, 'ann', 'on realtimeClient');
  const pb = own(new PresenceService(b));
  pb.subscribeToUsers(['ann']);
  deepEqual(pb.getSubscribedUserIds(), ['ann']);
  p.setStatus('busy');
  await waitUntil('B sees busy', 3000, () => pb.getPresence('ann')?.status === 'busy');
  const all = pb.getAllPresences();
  assert(all instanceof Map && all.get('ann').status === 'busy', JSON.stringify([...all]));
  p.setCustomStatus({ text: 'Lunch', emoji: '🍜', expiresAt: null });
  equal(p.getCustomStatus().text, 'Lunch');
  await waitUntil('B sees the custom status', 3000, () => pb.getPresence('ann')?.customStatus?.text === 'Lunch');
  p.setCustomStatus(null);
  equal(p.getCustomStatus(), null);
  await waitUntil('B sees it cleared', 3000, () => pb.getPresence('ann')?.customStatus === undefined);
  equal(await p.setInvisibleMode(true), true);
  equal(p.isInvisibleModeEnabled(), true);
  equal(p.getOwnPresenceSettings().invisibleMode, true);
  await waitUntil('B sees ann offline', 3000, () => pb.getPresence('ann')?.status === 'offline');
  await p.setInvisibleMode(false);
  await waitUntil('B sees ann busy again', 3000, () => pb.getPresence('ann')?.status === 'busy');
  const view = pb.canViewPresence('ben', 'ann');
  assert(view instanceof Promise, 'a promise, as in nchat');
  equal((await view).canViewPresence, true);
  equal(pb.isUserContact('ann'), false);
  pb.setContacts(['ann']);
  equal(pb.isUserContact('ann'), true);
  pb.clearContactsCache();
  equal(pb.isUserContact('ann'), false);
  let visible = await pb.getVisiblePresence('ben', ['ann', 'nobody']);
  deepEqual([...visible.keys()], ['ann'], 'only known presences');
  const seen = visible.get('ann');
  equal(seen.status, 'busy');
  equal(seen.canViewOnlineStatus, true);
  equal(seen.isFiltered, false);
  pb.setUserSettings('ann', { visibility: 'nobody' });
  visible = await pb.getVisiblePresence('ben', ['ann']);
  equal(visible.get('ann').status, 'offline');
  equal(visible.get('ann').isFiltered, true);
  // The current user set by the app wins over the client's, until null.
  p.setCurrentUserId('zed');
  equal(p.userId, 'zed');
  p.setCurrentUserId(null);
  equal(p.userId, 'ann');
  resetPresenceService();
  equal(p.initialized, false, 'destroyed');
  const p2 = getPresenceService();
  assert(p2 !== p, 'a new instance after reset');
  equal(p2.initialized, true);
  resetAll();
  equal(a.isConnected, false);
});

test('typing made from a config on realtimeClient: who types where, by room type', async () => {
  await reset();
  await moduleClient('tia');
  const b = await connected('tom');
  const t = initializeTypingService({ typingTimeout: 5000, debounceInterval: 50, throttleInterval: 1000, batchUpdateInterval: 50 });
  equal(getTypingService(), t);
  const tb = own(new TypingService(b, { batchMs: 50 }));
  await b.joinChannel('general');
  await realtimeClient.joinChannel('general');
  equal(tb.hasTypingUsers('general'), false);
  t.startTyping('general');
  await waitUntil('tom sees tia typing', 3000, () => tb.hasTypingUsers('general'));
  deepEqual(tb.getTypingUsersInRoom('general', 'channel').map((u) => u.userId), ['tia']);
  equal(tb.hasTypingUsersInDM('d1'), false);
  deepEqual(tb.getTypingUsersInRoom('d1', 'dm'), []);
  t.stopTypingInDM();
  await waitUntil('stopped', 3000, () => !tb.hasTypingUsers('general'));
  // Set as the current user, tia's own typing is not shown to tom's service.
  t.startTyping('general');
  await waitUntil('tia typing again', 3000, () => tb.hasTypingUsers('general'));
  tb.setCurrentUserId('tia');
  equal(tb.hasTypingUsers('general'), false);
  tb.setCurrentUserId(null);
  equal(tb.hasTypingUsers('general'), true);
  t.stopTyping();
  equal(TypingService.getDMRoomKey('u2', 'u1'), 'u1:u2');
  equal(TypingService.getDMRoomKey('u1', 'u2'), 'u1:u2');
  resetAll();
  equal(t.initialized, false);
});

test("the queue made from nchat's config: nchat's key, its queries, and a queue of an earlier build moved over", async () => {
  clearStorage();
  await reset();
  realtimeClient.initialize({ url: serverUrl, qualityIntervalMs: 0 });
  // An earlier build queued under its default prefix.
  const old = client({ reconnection: false });
  const earlier = own(new OfflineQueueService(old, { storageKey: 'chat-realtime:queue' }));
  const kept = json(earlier.queueMessage({ channelId: 'general', content: 'from before the upgrade' }));
  earlier.dispose();
  assert(Object.keys(localStorage()).some((k) => k.startsWith('chat-realtime:queue:m:')));
  // Now nchat's module queue: the old entry is read, under nchat's key.
  const q = initializeOfflineQueue({ maxQueueSize: 2, maxRetries: 5, baseRetryDelay: 100, maxRetryDelay: 1000 });
  equal(getOfflineQueueService(), q);
  deepEqual(q.getQueuedMessages().map((m) => m.id), [kept.id]);
  const keys = Object.keys(localStorage());
  assert(keys.includes(`nchat:offline-queue:m:${kept.id}`), keys.join(', '));
  assert(!keys.some((k) => k.startsWith('chat-realtime:queue')), keys.join(', '));
  const m = json(q.queueMessage({ channelId: 'team', content: 'second', type: 'text' }));
  let refused = null;
  try {
    q.queueMessage({ channelId: 'team', content: 'third' });
  } catch (e) {
    refused = e;
  }
  equal(refused?.code, 'queue_full', 'maxQueueSize is maxMessages');
  deepEqual(q.getQueuedMessagesForChannel('team').map((x) => x.content), ['second']);
  equal(q.getQueuedMessage(m.id).content, 'second');
  equal(q.getQueuedMessage('nope'), undefined);
  // nchat's updateQueuedMessage: the new text is stored (for every tab) and sent.
  equal(q.updateQueuedMessage(kept.id, { content: 'edited before sending' }), true);
  equal(q.getQueuedMessage(kept.id).content, 'edited before sending');
  assert(JSON.stringify(Object.values(localStorage())).includes('edited before sending'), 'stored');
  equal(q.updateQueuedMessage('nope', { content: 'x' }), false);
  // Blank text would be set aside at the next load: refused, and the text stays.
  throws(() => q.updateQueuedMessage(kept.id, { content: '  ' }), Error, 'content is empty');
  equal(q.getQueuedMessage(kept.id).content, 'edited before sending');
  equal(q.updateQueuedMessage(kept.id, {}), true, 'nothing to change: it exists');
  throws(() => q.updateQueuedMessage(kept.id, { status: 'sent' }), TypeError, 'status');
  equal(q.isEmpty(), false);
  equal(q.removeFromQueue('nope'), false);
  equal(q.removeFromQueue(m.id), true);
  equal(q.flushing, false);
  // Connected: the rest goes out.
  await realtimeClient.connect(await token('quinn'));
  await waitUntil('flushed', 5000, () => q.isEmpty());
  const { contents } = await received();
  assert(contents.includes('edited before sending') && !contents.includes('from before the upgrade'), JSON.stringify(contents));
  resetAll();
  equal(q.initialized, false);
});

test("sync made from nchat's config: nchat's key, timestamps as null or ms, an earlier build's times read once", async () => {
  clearStorage();
  await reset();
  window.localStorage.setItem('chat-realtime:sync', JSON.stringify({ version: 1, lastSyncAt: 1_700_000_000_000, channels: { team: 1_700_000_000_100 } }));
  await moduleClient('sam');
  const s = initializeSyncService({ autoSyncOnReconnect: false, syncTimeout: 5000 });
  equal(getSyncService(), s);
  equal(s.getLastSyncTimestamp(), 1_700_000_000_000, 'read from the earlier key');
  equal(s.getChannelSyncTimestamp('team'), 1_700_000_000_100);
  equal(s.getChannelSyncTimestamp('general'), null);
  equal(window.localStorage.getItem('chat-realtime:sync'), null, 'the earlier key is gone');
  const result = await s.syncOnReconnect();
  assert(s.getLastSyncTimestamp() >= result.timestamp, `${s.getLastSyncTimestamp()} ${result.timestamp}`);
  assert((window.localStorage.getItem('nchat:sync-state') ?? '').length > 0, "stored under nchat's key");
  resetAll();
  equal(s.initialized, false);
});

test('delivery made from a config: trackOutgoingMessage defaults to one recipient, isReady until destroyed', async () => {
  await reset();
  await moduleClient('dora');
  const d = initializeDeliveryHandler({ batchReadInterval: 200 });
  equal(getDeliveryEventHandler(), d);
  equal(d.isReady(), true);
  d.trackOutgoingMessage('c-1', 'general');
  equal(d.getStatus('c-1').totalRecipients, 1);
  d.trackOutgoingMessage('c-2', 'general', 3);
  equal(d.getStatus('c-2').totalRecipients, 3);
  resetAll();
  equal(d.isReady(), false);
});
