// nchat's wire events end to end against the test server (which answers
// them as extensions): presence:unsubscribe / presence:get / presence:bulk,
// typing:batch, auth:refresh, message:read-ack, message:batch-read-ack /
// message:batch-read, delivery:sync / delivery:sync-response, and the
// server's message:sent, message:failed and message:ack.
import { test, assert, equal, deepEqual, throws, rejects } from './harness.js';
import { DeliveryEventHandler, PresenceService, TypingService } from './pkg.js';
import {
  reset, connected, own, get, post, sleep, waitUntil, Recorder, EventRecorder, json, token,
} from './support.js';

/** The test server's record of `userId`'s socket. */
const conn = async (userId) => (await get('/connections')).connections.find((c) => c.userId === userId);

/** The claims of a JWT. */
const claims = (jwt) => JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));

test('presence: unsubscribe, fetchPresence and presence:bulk', async () => {
  await reset();
  const alice = await connected('wa');
  const bob = await connected('wb');
  const pa = own(new PresenceService(alice));
  const pb = own(new PresenceService(bob));
  pb.setCustomStatus({ text: 'focus', emoji: '🎧' });
  pb.setStatus('busy');
  const changes = new Recorder();
  pa.onPresenceChange(changes.f);
  await waitUntil('bob busy', 3000, () => json(pa.getPresence('wb'))?.status === 'busy');

  pa.subscribeToUsers(['wb', 'wc']);
  await waitUntil('subscribed', 3000, async () => (await conn('wa'))?.presenceSubscriptions.length === 2);
  await waitUntil('the subscribe answer', 3000, () => pa.getPresence('wc') !== undefined);
  equal(pa.unsubscribeFromUsers(['wc', 'zz']), 1);
  await waitUntil('presence:unsubscribe reached the server', 3000,
    async () => JSON.stringify((await conn('wa')).presenceSubscriptions) === '["wb"]');
  equal(pa.getPresence('wc'), undefined, 'its cached presence went too');

  const map = await pa.fetchPresence(['wb', 'nobody']);
  assert(map instanceof Map, 'a Map');
  equal(map.get('wb').status, 'busy');
  deepEqual(json(map.get('wb').customStatus), { text: 'focus', emoji: '🎧' });
  equal(map.get('nobody').status, 'offline');
  equal(pa.getPresence('nobody').status, 'offline', 'the cache is filled');

  const lastSeen = '2026-01-01T10:00:00.000Z';
  await post('/emit', { event: 'presence:bulk', data: { presences: [{ userId: 'wd', status: 'away', lastSeen }] } });
  await waitUntil('bulk applied', 3000, () => pa.getPresence('wd')?.status === 'away');
  equal(pa.getPresence('wd').lastSeenAt.getTime(), Date.parse(lastSeen));
  assert(changes.all().some((p) => p.userId === 'wd'), 'listeners hear the bulk presences');

  // Disconnected: resolves at once with the cache, nothing asked.
  alice.disconnect();
  const cached = await pa.fetchPresence(['wb']);
  deepEqual([...cached.keys()].sort(), ['nobody', 'wb', 'wd']);
  throws(() => pa.fetchPresence('wb'), TypeError, 'fetchPresence(): userIds');
});

test('typing:batch updates several rooms like typing:event', async () => {
  await reset();
  const alice = await connected('wt');
  const t = own(new TypingService(alice));
  const now = new Date().toISOString();
  await post('/emit', {
    event: 'typing:batch',
    data: { updates: [
      { roomName: 'channel:general', roomType: 'channel', users: [{ userId: 'u1', userName: 'Ann', startedAt: now }] },
      { roomName: 'channel:team', roomType: 'channel', users: [{ userId: 'u2', userName: 'Bo', startedAt: now }] },
    ] },
  });
  await waitUntil('both rooms', 3000, () => t.getTypingUsers('general').length === 1 && t.getTypingUsers('team').length === 1);
  equal(json(t.getTypingUsers('general'))[0].userName, 'Ann');
  assert(t.getTypingText('team').includes('Bo'), t.getTypingText('team'));
  await post('/emit', { event: 'typing:batch', data: { updates: [{ roomName: 'channel:general', roomType: 'channel', users: [] }] } });
  await waitUntil('cleared', 3000, () => t.getTypingUsers('general').length === 0);
  equal(t.getTypingUsers('team').length, 1, 'the other room is untouched');
});

test('updateToken sends auth:refresh and reconnects with the new token', async () => {
  await reset();
  const alice = await connected('wu', { reconnectDelayMs: 100, reconnectDelayMaxMs: 200 });
  const first = (await conn('wu')).sessionId;
  const fresh = await token('wu');
  const next = claims(fresh).sessionId;
  assert(next !== first, 'a new session');
  alice.updateToken(fresh);
  await waitUntil('auth:refresh taken', 3000, async () => (await conn('wu')).authRefreshes === 1);
  await post('/drop', {});
  await waitUntil('back with the new token', 5000, async () => alice.isConnected && (await conn('wu'))?.sessionId === next);
  throws(() => alice.updateToken(''), RangeError, 'updateToken(): token');
  throws(() => alice.updateToken(7), TypeError, 'updateToken(): token');
});

test('read acks one by one (batchReadAck: false) and server-sent message events', async () => {
  await reset();
  const alice = await connected('wr1');
  const bob = await connected('wr2');
  await alice.joinChannel('general');
  await bob.joinChannel('general');
  const da = own(new DeliveryEventHandler(alice));
  const db = own(new DeliveryEventHandler(bob, { batchReadAck: false }));
  const events = new EventRecorder();
  da.subscribe(events.f);
  const raw = new Recorder();
  alice.on('message:read', raw.f);

  // No markSent: the server's message:sent gives the id.
  da.trackOutgoing('w-1', 'general', 1);
  const ack = json(await alice.emitAsync('message:send', { roomName: 'channel:general', content: 'one', clientMessageId: 'w-1' }));
  await waitUntil('message:sent', 3000, () => json(da.getStatus('w-1')).messageId === ack.id);
  equal(json(da.getStatus('w-1')).sentAt, Date.parse(ack.timestamp));

  const start = Date.now();
  db.acknowledgeRead(ack.id, 'general');
  await waitUntil('read', 3000, () => events.count('message:read') === 1);
  assert(Date.now() - start < 900, 'not batched');
  equal(raw.len(), 1, 'message:read-ack answered by one message:read');
  deepEqual(json(da.getStatus('w-1')).readBy, ['wr2']);

  // A refused send: message:failed after the failed ack.
  da.trackOutgoing('w-2', 'nowhere');
  const refused = await rejects(alice.emitAsync('message:send', { roomName: 'channel:nowhere', content: 'x', clientMessageId: 'w-2' }), Error);
  equal(refused.code, 'ROOM_NOT_FOUND');
  await waitUntil('failed', 3000, () => json(da.getStatus('w-2')).state === 'failed');
  equal(json(da.getStatus('w-2')).error, 'Room not found');

  // message:ack moves a message by its server id.
  da.trackOutgoing('w-3', 'general', 1);
  const a3 = json(await alice.emitAsync('message:send', { roomName: 'channel:general', content: 'three', clientMessageId: 'w-3' }));
  await waitUntil('sent', 3000, () => json(da.getStatus('w-3')).state !== 'sending');
  await post('/emit', { event: 'message:ack', data: { messageId: a3.id, status: 'read' } });
  await waitUntil('acked read', 3000, () => json(da.getStatus('w-3')).state === 'read');
});

test('batched read acks come back as message:batch-read; delivery:sync answers by event', async () => {
  await reset();
  const alice = await connected('ws1');
  const bob = await connected('ws2');
  await alice.joinChannel('general');
  await bob.joinChannel('general');
  const da = own(new DeliveryEventHandler(alice));
  const db = own(new DeliveryEventHandler(bob, { readBatchMs: 200 }));
  const batches = new Recorder();
  alice.on('message:batch-read', batches.f);
  const ids = [];
  for (const cid of ['b-1', 'b-2']) {
    da.trackOutgoing(cid, 'general', 1);
    ids.push(json(await alice.emitAsync('message:send', { roomName: 'channel:general', content: cid, clientMessageId: cid })).id);
  }
  for (const id of ids) db.acknowledgeRead(id, 'general');
  await waitUntil('batch-read', 3000, () => batches.len() === 1);
  deepEqual(batches.all()[0].messageIds, ids);
  equal(batches.all()[0].userId, 'ws2');
  await waitUntil('both read', 3000, () => ids.every((id) => json(da.getStatus(id)).state === 'read'));

  const responses = new Recorder();
  alice.on('delivery:sync-response', responses.f);
  const statuses = json(await da.syncDeliveryStatus(['b-1']));
  equal(responses.len(), 1, 'answered by the event');
  equal(responses.all()[0].statuses[0].state, 'read');
  equal(statuses[0].state, 'read');
  await sleep(50);
});
