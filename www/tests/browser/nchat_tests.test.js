// The behaviours nchat's own tests describe (nchat's `__tests__/`
// realtime-client, presence.service, typing.service and rooms.service tests,
// skipped ones included), here against the real test server instead of
// mocks, on nchat's module singletons and services made from a config; and
// nchat's sync steps run on their own, `cancelSync` and `reconcileConflicts`.
import { test, assert, equal, deepEqual, rejects } from './harness.js';
import {
  RealtimeClient, PresenceService, TypingService, RoomsService, SyncService, OfflineQueueService, realtimeClient, getPresenceService,
  initializePresenceService, resetPresenceService, getTypingService, initializeTypingService, resetTypingService,
  getRoomsService, initializeRoomsService, resetRoomsService, DEFAULT_PRESENCE_SETTINGS,
} from './pkg.js';
import {
  reset, client, connected, own, get, post, token, waitUntil, Recorder, EventRecorder, json, serverUrl, sleep,
  clearStorage, localStorage,
} from './support.js';

/** The test server's view of `userId`'s connection. */
async function connection(userId) {
  const { connections } = await get('/connections');
  return connections.find((c) => c.userId === userId);
}

test('realtime-client: defaults, listeners at once, on/off, emit, updateToken, destroy, the singleton', async () => {
  await reset();
  equal(realtimeClient.state, 'disconnected', 'the singleton before anything');
  const c = own(new RealtimeClient());
  c.initialize();
  equal(c.state, 'disconnected');
  equal(c.isConnected, false);
  c.initialize({ url: serverUrl, debug: false, timeout: 5000, qualityIntervalMs: 0 });
  equal(c.state, 'disconnected');
  c.disconnect();
  equal(c.state, 'disconnected');
  const one = new Recorder();
  const two = new Recorder();
  c.onConnectionStateChange(one.f);
  c.onConnectionStateChange(two.f);
  deepEqual([one.all(), two.all()], [['disconnected'], ['disconnected']], 'each listener at once');
  await c.connect(await token('rita'));
  const bob = await connected('bob');
  await bob.joinChannel('general');
  await c.joinChannel('general');
  const heard = new Recorder();
  const gone = new Recorder();
  const unsub = c.on('message:new', heard.f);
  assert(typeof unsub === 'function');
  const off = c.on('message:new', gone.f);
  off();
  c.emit('message:send', { roomName: 'channel:general', content: 'from emit', clientMessageId: 'nt-1' });
  await waitUntil('bob hears it', 3000, async () => (await get('/received')).messages.some((m) => m.content === 'from emit'));
  await bob.emitAsync('message:send', { roomName: 'channel:general', content: 'to rita', clientMessageId: 'nt-2' });
  await waitUntil('rita hears bob', 3000, () => heard.all().some((m) => m?.content === 'to rita'));
  equal(gone.len(), 0, 'an unsubscribed callback hears nothing');
  c.updateToken(await token('rita'));
  await waitUntil('auth:refresh reached the server', 3000, async () => (await connection('rita'))?.authRefreshes === 1);
  c.destroy();
  equal(c.state, 'disconnected');
  equal(c.isConnected, false);
});

test('presence.service: status, custom status, nothing sent while disconnected, subscriptions, cache, singletons', async () => {
  await reset();
  const c = client();
  const p = own(new PresenceService(c, {}));
  p.initialize();
  p.initialize();
  equal(p.initialized, true, 'initialize twice');
  p.setStatus('away');
  equal(p.getStatus(), 'away');
  equal((await connection('rita')), undefined, 'nothing reached the server while disconnected');
  p.setCustomStatus({ text: 'Working on tests', emoji: '🧪' });
  const cs = json(p.getCustomStatus());
  deepEqual([cs.text, cs.emoji], ['Working on tests', '🧪']);
  p.clearCustomStatus();
  equal(p.getCustomStatus(), null);
  equal(p.getPresence('unknown-user'), undefined);
  assert(p.getAllPresences() instanceof Map);
  const off = p.onPresenceChange(() => {});
  assert(typeof off === 'function');
  off();
  p.startHeartbeat();
  p.stopHeartbeat();

  await c.connect(await token('rita'));
  p.subscribeToUsers(['user1', 'user2']);
  p.subscribeToUsers(['user1']);
  await waitUntil('subscribed on the server', 3000, async () => (await connection('rita'))?.presenceSubscriptions?.length === 2);
  deepEqual(p.getSubscribedUserIds(), ['user1', 'user2']);
  p.unsubscribeFromUsers(['user1']);
  await waitUntil('presence:unsubscribe reached the server', 3000,
    async () => json((await connection('rita'))?.presenceSubscriptions) + '' === 'user2');
  deepEqual(p.getSubscribedUserIds(), ['user2']);
  p.destroy();
  equal(p.initialized, false);

  // nchat's config keys and settings reads.
  const q = own(new PresenceService({ enablePrivacyFiltering: false, graphqlEndpoint: '/api/graphql', getAuthToken: () => null }));
  deepEqual(json(DEFAULT_PRESENCE_SETTINGS),
    { visibility: 'everyone', showLastSeen: true, showOnlineStatus: true, allowReadReceipts: true, invisibleMode: false });
  q.setCurrentUserId('me');
  equal(await q.getPresenceSettings('u9'), null, 'never given');
  q.setUserSettings('u9', { visibility: 'nobody' });
  const given = json(await q.getPresenceSettings('u9'));
  deepEqual([given.userId, given.visibility, given.showLastSeen], ['u9', 'nobody', true]);
  equal(json(await q.getPresenceSettings('me')).userId, 'me');

  const s1 = getPresenceService();
  equal(getPresenceService(), s1, 'one module instance');
  equal(initializePresenceService().initialized, true);
  resetPresenceService();
  assert(getPresenceService() !== s1, 'a new one after reset');
  resetPresenceService();
});

test('typing.service: who types where (channel, thread, DM), throttle, stop, privacy, contacts, helpers', async () => {
  await reset();
  const alice = await connected('alice');
  const bob = await connected('bob');
  for (const c of [alice, bob]) await c.joinChannel('general');
  const t = own(new TypingService(alice, {}));
  t.initialize();
  t.initialize();
  equal(t.initialized, true);
  const seen = own(new TypingService(bob, {}));
  const room = new Recorder();
  const off = seen.onRoomTypingChange('general', 'channel', room.f);
  deepEqual(room.calls[0].slice(0, 3), ['general', [], null], 'at once with the current (empty) state');
  deepEqual(t.getTypingUsers('unknown-room'), []);
  equal(t.getTypingText('general'), null);
  equal(t.hasTypingUsers('general'), false);
  equal(t.hasTypingUsersInDM('dm-1'), false);
  deepEqual(t.getActiveTypingRooms(), []);

  t.startTyping('general');
  t.startTyping('general');
  t.startTyping('general');
  equal(t.isTyping, true);
  await waitUntil('bob sees alice typing', 3000, () => seen.getTypingUsers('general').some((u) => u.userId === 'alice'));
  equal(seen.hasTypingUsers('general'), true);
  deepEqual(seen.getActiveTypingRooms(), ['channel:general']);
  t.stopTyping('general');
  equal(t.isTyping, false);
  await waitUntil('alice stopped', 3000, () => seen.getTypingUsers('general').length === 0);
  off();

  t.startTypingInThread('general', 'thread-1');
  await waitUntil('in the thread', 3000, () => seen.getTypingUsers('general', 'thread-1').length === 1);
  t.stopTyping('general', 'thread-1');

  // Privacy: broadcastTyping off sends nothing.
  t.updatePrivacySettings({ broadcastTyping: false });
  t.startTyping('general');
  await sleep(400);
  equal(seen.getTypingUsers('general').length, 0, 'nothing broadcast');
  t.updatePrivacySettings({ broadcastTyping: true });
  t.setCurrentUserId('user-123');

  t.setContacts(['contact-1', 'contact-2']);
  equal(t.isContact('contact-1'), true);
  equal(t.isContact('contact-3'), false);
  t.addContact('contact-3');
  equal(t.isContact('contact-3'), true);
  t.removeContact('contact-3');
  equal(t.isContact('contact-3'), false);
  t.clearRoomTypingState('general', 'channel');
  t.clearAllTypingState();
  equal(TypingService.getDMRoomKey('user-a', 'user-b'), TypingService.getDMRoomKey('user-b', 'user-a'));
  t.destroy();
  equal(t.initialized, false);

  const s1 = getTypingService();
  equal(getTypingService(), s1);
  equal(initializeTypingService().initialized, true);
  resetTypingService();
});

test('rooms.service: join once, leave, many, all, queries, messages, state at once, destroy, singletons', async () => {
  await reset();
  const c = await connected('rita');
  const r = own(new RoomsService({}, c));
  r.initialize();
  r.initialize();
  equal(r.initialized, true);
  const states = new Recorder();
  r.onRoomStateChange(states.f);
  assert(states.len() >= 1, 'called at once with the current state');
  for (const f of [r.onUserJoin, r.onUserLeave, r.onMessage]) assert(typeof f.call(r, () => {}) === 'function');
  assert(typeof r.onRoomMessage('channel:general', () => {}) === 'function');
  equal(r.getRoom('unknown'), undefined);
  assert(Array.isArray(r.getRoomMembers('channel:general')));

  const room = json(await r.joinRoom('channel:general'));
  equal(room.name, 'channel:general');
  equal(r.isInRoom('channel:general'), true);
  await r.joinRoom('channel:general');
  equal(r.roomCount, 1, 'not joined twice');
  deepEqual(r.getJoinedRoomNames(), ['channel:general']);
  equal(r.getJoinedRooms()[0].name, 'channel:general');
  const sent = json(await r.sendMessage('channel:general', 'Hello!'));
  assert(typeof sent.messageId === 'string' && sent.messageId !== '', JSON.stringify(sent));
  await rejects(r.sendMessage('unknown', 'Hello!'), Error);
  r.leaveRoom('channel:general');
  equal(r.isInRoom('channel:general'), false);
  r.leaveRoom('unknown-room');
  equal((await r.joinRooms(['channel:general', 'channel:team'])).size, 2);
  equal(r.roomCount, 2);
  r.leaveRooms(['channel:general', 'channel:team']);
  equal(r.roomCount, 0);
  await r.joinRooms(['channel:general', 'channel:team', 'r']);
  equal(r.roomCount, 3);
  r.leaveAllRooms();
  equal(r.roomCount, 0);
  await r.joinRoom('channel:general');
  r.destroy();
  equal(r.initialized, false);
  equal(r.roomCount, 0);

  const s1 = getRoomsService();
  equal(getRoomsService(), s1);
  equal(initializeRoomsService().initialized, true);
  resetRoomsService();
});

test('sync: syncChannels and syncPresence on their own, cancelSync settles the waiting sync, reconcileConflicts', async () => {
  await reset();
  const c = await connected('rita');
  await c.joinChannel('general');
  const s = own(new SyncService(c, { presenceUserIds: ['u1', 'u2'] }));
  const events = new EventRecorder();
  s.subscribe(events.f);
  const channels = json(await s.syncChannels());
  equal(channels.errors, 0);
  assert(channels.synced >= 1, JSON.stringify(channels));
  deepEqual(json(await s.syncPresence()), { synced: 2 });
  equal(events.count('sync:started'), 0, 'no reconnect sync for a step');

  await post('/silence', { on: true });
  const waiting = s.syncOnReconnect();
  equal(s.syncStatus, 'syncing');
  s.cancelSync();
  const e = await rejects(waiting, Error);
  equal(e.code, 'cancelled');
  equal(s.syncStatus, 'idle');
  equal(s.isSyncing, false);
  deepEqual(events.of('sync:failed').map((d) => d.error), ['cancelled']);
  s.cancelSync();
  equal(events.count('sync:failed'), 1, 'nothing to cancel');
  await post('/silence', { on: false });

  const m = (id, content, createdAt, extra = {}) =>
    ({ id, channelId: 'general', content, userId: 'u', createdAt, type: 'text', ...extra });
  const t1 = '2024-01-01T00:00:01.000Z';
  const t2 = '2024-01-01T00:00:02.000Z';
  const server = json(s.reconcileConflicts(m('l', 'mine', t1), m('r', 'theirs', t1, { updatedAt: t2 })));
  deepEqual([server.messageId, server.resolution, server.finalContent], ['r', 'server', 'theirs']);
  assert(typeof server.timestamp === 'number');
  const local = json(s.reconcileConflicts(m('l', 'mine', t1, { updatedAt: t2 }), m('r', 'theirs', t1)));
  deepEqual([local.messageId, local.resolution, local.finalContent], ['l', 'local', 'mine']);
  equal(s.reconcileConflicts(m('l', 'mine', t2), m('r', 'theirs', t1, { isEdited: true })).resolution, 'server');
});

test("nchat's names: config token, emitAsync's data, onOfflineStatusChange at once, currentContext, QueuedMessage fields", async () => {
  await reset();
  clearStorage();
  // `initialize({ token })`: what connect() without one uses.
  const c = own(new RealtimeClient());
  c.initialize({ url: serverUrl, token: await token('tina'), qualityIntervalMs: 0 });
  const online = new Recorder();
  c.onOfflineStatusChange(online.f);
  deepEqual(online.all(), [true], 'called at once');
  await c.connect();
  equal(c.isConnected, true);
  equal(c.userId, 'tina');
  await c.joinChannel('general');
  // emitAsync resolves with the ack's data; a refusal rejects with the server's code.
  const data = await c.emitAsync('message:send', { roomName: 'channel:general', content: 'x', clientMessageId: 'nn-1' });
  assert(data.id.startsWith('m_') && data.success === undefined, JSON.stringify(data));
  equal((await rejects(c.emitAsync('message:send', { roomName: 'channel:nowhere', content: 'x', clientMessageId: 'nn-2' }), Error)).code, 'ROOM_NOT_FOUND');

  // currentContext: the room typed in last, null once typing stopped.
  const t = own(new TypingService(c));
  equal(t.currentContext, null);
  t.startTyping('general');
  deepEqual(t.currentContext, { roomName: 'general', roomType: 'channel' });
  equal(t.isTyping, true);
  t.startTypingInThread('general', 't1');
  deepEqual(t.currentContext, { roomName: 'general', roomType: 'thread', threadId: 't1' });
  t.startTypingInDM('d1');
  deepEqual(t.currentContext, { roomName: 'd1', roomType: 'dm' });
  t.stopTypingInDM();
  t.stopTyping();
  equal(t.currentContext, null);
  equal(t.isTyping, false);

  // QueuedMessage: timestamp, retries, lastRetryAt (a refused send is a failed attempt).
  const q = own(new OfflineQueueService(c, { maxRetries: 0 }));
  const before = Date.now();
  const m = q.queueMessage({ channelId: 'nowhere', content: 'refused', type: 'text' });
  assert(m.timestamp >= before && m.retries === 0 && m.lastRetryAt === undefined, JSON.stringify(m));
  await waitUntil('a failed attempt', 3000, () => q.getQueuedMessage(m.id)?.lastRetryAt !== undefined);
  const failed = q.getQueuedMessage(m.id);
  equal(failed.retries, 1);
  assert(failed.lastRetryAt >= m.timestamp, JSON.stringify(failed));
  q.destroy();
  c.disconnect();

  // What the build before these names stored still loads, with them.
  clearStorage();
  localStorage().setItem('nchat:offline-queue:m:q_1700000000000_1_63cbe1e4', '{"id":"q_1700000000000_1_63cbe1e4","clientMessageId":"cm_1700000000000_1_044c3cd7f43c661c","channelId":"ch-1","content":"stored by 0.x","type":"text","mentions":[],"createdAt":1700000000000,"updatedAt":1700000000000,"retryCount":0,"status":"queued","version":3,"checksum":"0861007522e4d626"}');
  const offline = own(new RealtimeClient());
  offline.initialize({ url: serverUrl });
  const old = own(new OfflineQueueService(offline)).getQueuedMessages();
  deepEqual(old.map((o) => [o.content, o.timestamp, o.retries, o.lastRetryAt]), [['stored by 0.x', 1700000000000, 0, undefined]]);
  clearStorage();
});
