// Self-test, part 4: nchat's events (nchat.js), answered as extensions.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { ack, ISO, next, sleep, startServer } from './selftest-lib.mjs';

let srv;
let ctl;

before(async () => {
  srv = await startServer({});
  ctl = srv.ctl;
});
after(async () => { await srv.stop(); });
beforeEach(async () => {
  await srv.fresh();
  await ctl('POST', '/rooms', { names: ['general'] });
});

const conn = async (userId) => (await ctl('GET', '/connections')).connections.find((c) => c.userId === userId);

test('presence: get, subscribe without an ack answers presence:bulk, unsubscribe', async () => {
  const alice = await srv.connect('alice');
  const bob = await srv.connect('bob');
  const changed = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'busy');
  bob.emit('presence:update', { status: 'busy', customStatus: { text: 'focus', emoji: '🎧' } });
  await changed;
  const got = await ack(alice, 'presence:get', { userIds: ['bob', 'nobody'] });
  assert.deepEqual(got, { success: true, data: { presences: [
    { userId: 'bob', status: 'busy', customStatus: { text: 'focus', emoji: '🎧' } },
    { userId: 'nobody', status: 'offline' },
  ] } });
  const bulk = next(alice, 'presence:bulk');
  alice.emit('presence:subscribe', { userIds: ['bob', 'carol'] });
  assert.deepEqual((await bulk).presences.map((p) => p.userId), ['bob', 'carol']);
  assert.deepEqual((await conn('alice')).presenceSubscriptions, ['bob', 'carol']);
  alice.emit('presence:unsubscribe', { userIds: ['bob', 'zed'] });
  await sleep(100);
  assert.deepEqual((await conn('alice')).presenceSubscriptions, ['carol']);
  const off = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'offline');
  bob.close();
  await off;
  const again = await ack(alice, 'presence:get', { userIds: ['bob'] });
  assert.match(again.data.presences[0].lastSeen, ISO);
  const err = next(alice, 'error');
  alice.emit('presence:get', { userIds: 'bob' });
  assert.equal((await err).code, 'INVALID_PAYLOAD');
});

test('auth:refresh takes a valid token of the same user only', async () => {
  const alice = await srv.connect('alice');
  assert.deepEqual(await ack(alice, 'auth:refresh', { token: await srv.token('alice') }), { success: true });
  alice.emit('auth:refresh', { token: await srv.token('alice') });
  await sleep(100);
  assert.equal((await conn('alice')).authRefreshes, 2);
  const other = await ack(alice, 'auth:refresh', { token: await srv.token('mallory') });
  assert.equal(other.error.code, 'INVALID_TOKEN');
  const expired = await ack(alice, 'auth:refresh', { token: await srv.token('alice', '&expiresIn=-10') });
  assert.equal(expired.error.code, 'TOKEN_EXPIRED');
  assert.equal((await conn('alice')).authRefreshes, 2);
  assert.equal((await ctl('GET', '/stats')).contractViolations, 0);
});

test('message:sent and message:failed follow message:send', async () => {
  const alice = await srv.connect('alice');
  await ack(alice, 'room:join', { roomName: 'general' });
  const sentEv = next(alice, 'message:sent');
  const sent = await ack(alice, 'message:send', { roomName: 'general', content: 'hi', clientMessageId: 'k1' });
  assert.deepEqual(await sentEv, { clientMessageId: 'k1', messageId: sent.data.id, sentAt: sent.data.timestamp });
  const failed = next(alice, 'message:failed');
  await ack(alice, 'message:send', { roomName: 'nowhere', content: 'x', clientMessageId: 'k2' });
  assert.deepEqual(await failed, { clientMessageId: 'k2', errorCode: 'ROOM_NOT_FOUND', errorMessage: 'Room not found', retryable: false });
});

test('read acks, batch reads and delivery:sync', async () => {
  const alice = await srv.connect('alice');
  const bob = await srv.connect('bob');
  await ack(alice, 'room:join', { roomName: 'general' });
  await ack(bob, 'room:join', { roomName: 'general' });
  const m1 = (await ack(alice, 'message:send', { roomName: 'general', content: '1', clientMessageId: 'r1' })).data.id;
  const m2 = (await ack(alice, 'message:send', { roomName: 'general', content: '2', clientMessageId: 'r2' })).data.id;
  const m3 = (await ack(alice, 'message:send', { roomName: 'general', content: '3', clientMessageId: 'r3' })).data.id;
  const one = next(alice, 'message:read');
  bob.emit('message:read-ack', { messageId: m1, channelId: 'general', readAt: new Date().toISOString() });
  const r = await one;
  assert.deepEqual(r, { messageId: m1, clientMessageId: 'r1', roomName: 'general', userId: 'bob', readAt: r.readAt });
  const batch = next(alice, 'message:batch-read');
  assert.deepEqual(await ack(bob, 'message:batch-read-ack', { messageIds: ['r2', m3, 'nope'], channelId: 'general', readAt: Date.now() }), { success: true });
  const b = await batch;
  assert.match(b.readAt, ISO);
  assert.deepEqual(b, { channelId: 'general', userId: 'bob', messageIds: [m2, m3], readAt: b.readAt });
  const resp = next(alice, 'delivery:sync-response');
  alice.emit('delivery:sync', { messageIds: [m1, 'nope'] });
  const { statuses } = await resp;
  assert.equal(statuses.length, 1);
  assert.match(statuses[0].updatedAt, ISO);
  assert.deepEqual(statuses[0], {
    messageId: m1, clientMessageId: 'r1', state: 'read', deliveredCount: 1, readCount: 1,
    updatedAt: statuses[0].updatedAt, deliveredTo: ['bob'], readBy: ['bob'],
  });
  const err = next(bob, 'error');
  bob.emit('message:batch-read-ack', { messageIds: [m1] });
  assert.equal((await err).details.field, 'channelId');
});

test('extensions off: nchat\'s events are ignored', async () => {
  const a = await srv.connect('alice');
  await ctl('POST', '/extensions', { on: false });
  for (const [event, payload] of [['presence:get', { userIds: [] }], ['presence:unsubscribe', { userIds: [] }],
    ['auth:refresh', { token: 'x' }], ['message:read-ack', { messageId: 'm', channelId: 'c' }],
    ['message:batch-read-ack', { messageIds: [], channelId: 'c' }]]) {
    await assert.rejects(ack(a, event, payload, 200), `${event} is not answered`);
  }
  const none = next(a, 'delivery:sync-response', () => true, 300);
  a.emit('delivery:sync', { messageIds: [] });
  await assert.rejects(none);
});

test('dispatch is recorded (GET /dispatched), never relayed or answered, extensions on or off', async () => {
  const alice = await srv.connect('alice');
  const bob = await srv.connect('bob');
  assert.equal((await ack(bob, 'room:join', { roomName: 'general' })).success, true);
  const relayed = next(bob, 'message:new', () => true, 300);
  const frame = { event: 'message:new', room: 'general', payload: { id: 'm1' } };
  await assert.rejects(ack(alice, 'dispatch', frame, 200), 'not answered');
  await ctl('POST', '/extensions', { on: false });
  alice.emit('dispatch', { event: 'custom', room: 'user:bob' });
  await assert.rejects(relayed, 'not relayed to the room');
  assert.deepEqual((await ctl('GET', '/dispatched')).dispatches, [
    { userId: 'alice', event: 'message:new', room: 'general', payload: { id: 'm1' } },
    { userId: 'alice', event: 'custom', room: 'user:bob', payload: null },
  ]);
  await srv.fresh();
  assert.deepEqual((await ctl('GET', '/dispatched')).dispatches, [], 'reset empties it');
});
