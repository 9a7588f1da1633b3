// RoomsService and RoomManagerService (nchat's names) in a real browser
// against the test server: joins with member counts, other users joining and
// leaving, messages by room, the re-join after a server-side drop, the room
// limit, the manager's auto-leave, and bad input.
import { test, assert, equal, deepEqual, rejects, throws } from './harness.js';
import {
  RoomsService, RoomManagerService, getRoomsService, initializeRoomsService, resetRoomsService, getRoomManager,
  initializeRoomManager, resetRoomManager, getChannelRoom, getThreadRoom, getUserRoom, getDMRoom, parseRoomName,
  REALTIME_EVENTS,
} from './pkg.js';
import { reset, client, connected, own, token, post, waitUntil, Recorder, json } from './support.js';

/** A rooms service of `c`, initialized. */
function rooms(c, config = {}) {
  const r = own(new RoomsService(config, c));
  r.initialize();
  return r;
}

/** A room manager of `c`, initialized. */
function manager(c, config = {}) {
  const m = own(new RoomManagerService(config, c));
  m.initialize();
  return m;
}

test('RoomsService joins and leaves with member counts; other users join and leave', async () => {
  await reset();
  const a = await connected('ann');
  const b = await connected('ben');
  const ra = rooms(a);
  const states = new Recorder();
  ra.onRoomStateChange(states.f);
  deepEqual(states.all(), [[]], 'told the current rooms at once');
  const room = await ra.joinRoom('channel:general');
  deepEqual(json(room), { name: 'channel:general', type: 'channel', visibility: 'public', memberCount: 1 });
  assert(ra.isInRoom('channel:general'));
  equal(ra.roomCount, 1);
  deepEqual(states.all().at(-1), ['channel:general']);
  const members = ra.getRoomMembers('channel:general');
  equal(members.length, 1);
  equal(members[0].userId, 'ann');
  assert(members[0].joinedAt instanceof Date, 'joinedAt is a Date');
  // Joined already: the same room, nothing asked.
  equal((await ra.joinRoom('channel:general')).memberCount, 1);

  const joins = [];
  ra.onUserJoin((roomName, member) => joins.push([roomName, member.userId, member.joinedAt instanceof Date]));
  const leaves = new Recorder();
  ra.onUserLeave(leaves.f);
  const rb = rooms(b);
  equal((await rb.joinRoom('channel:general')).memberCount, 2);
  await waitUntil('ann hears ben join', 3000, () => joins.length === 1);
  deepEqual(joins[0], ['channel:general', 'ben', true]);
  equal(ra.getRoom('channel:general').memberCount, 2);
  deepEqual(ra.getRoomMembers('channel:general').map((m) => m.userId), ['ann', 'ben']);
  rb.leaveRoom('channel:general');
  assert(!rb.isInRoom('channel:general'));
  await waitUntil('ann hears ben leave', 3000, () => leaves.len() === 1);
  deepEqual(leaves.calls[0], ['channel:general', 'ben']);
  equal(ra.getRoom('channel:general').memberCount, 1);

  // Refusals as nchat's: rejected promises with codes.
  const e = await rejects(ra.joinRoom('channel:nope'), Error, 'Room not found');
  equal(e.code, 'ROOM_NOT_FOUND');
  assert(!ra.isInRoom('channel:nope'));
  const joined = await ra.joinRooms(['channel:team', 'channel:nope']);
  deepEqual([...joined.keys()], ['channel:team']);
  ra.leaveAllRooms();
  equal(ra.roomCount, 0);
  const offline = rooms(client());
  await rejects(offline.joinRoom('channel:general'), Error, 'Not connected to realtime server');
});

test('room messages reach the listeners of their room', async () => {
  await reset();
  const a = await connected('ann');
  const b = await connected('ben');
  const ra = rooms(a);
  const rb = rooms(b);
  for (const r of ['channel:general', 'channel:team']) {
    await ra.joinRoom(r);
    await rb.joinRoom(r);
  }
  const general = new Recorder();
  const team = new Recorder();
  const all = new Recorder();
  ra.onRoomMessage('channel:general', general.f);
  ra.onRoomMessage('channel:team', team.f);
  ra.onMessage(all.f);
  const sent = await rb.sendMessage('channel:general', 'hello', { threadId: 't1' });
  equal(typeof sent.messageId, 'string');
  await waitUntil('the message arrives', 3000, () => all.len() === 1);
  equal(general.len(), 1);
  equal(team.len(), 0);
  equal(general.all()[0].content, 'hello');
  equal(general.all()[0].threadId, 't1');
  await rb.sendMessage('channel:team', 'two');
  await waitUntil('the second message', 3000, () => all.len() === 2);
  equal(team.len(), 1);
  equal(general.len(), 1);
  // Leaving drops the room's listeners; sending to a room not joined is refused.
  ra.leaveRoom('channel:team');
  await ra.joinRoom('channel:team');
  await rb.sendMessage('channel:team', 'three');
  await waitUntil('the third message', 3000, () => all.len() === 3);
  equal(team.len(), 1, 'the listener went with the leave');
  await rejects(rb.sendMessage('channel:nope', 'x'), Error, 'Not in room: channel:nope');
});

test('rooms are re-joined after a server-side drop', async () => {
  await reset();
  const fast = { reconnectDelayMs: 100, reconnectDelayMaxMs: 300 };
  const a = await connected('ann', fast);
  const b = await connected('ben', fast);
  const ra = rooms(a);
  const m = manager(a);
  const rb = rooms(b);
  await ra.joinRoom('channel:general');
  await m.joinChannel('team');
  await rb.joinRoom('channel:general');
  const states = new Recorder();
  ra.onRoomStateChange(states.f);
  const back = new Recorder();
  m.onReconnected(back.f);
  await post('/drop', {});
  await waitUntil('reconnected', 5000, () => a.isConnected && b.isConnected && back.len() === 1);
  deepEqual(back.all()[0], ['channel:team']);
  assert(m.isInRoom('channel:team'));
  deepEqual(states.all().at(-1), ['channel:general']);
  equal(ra.getRoom('channel:general').memberCount, 2);
  const got = new Recorder();
  ra.onRoomMessage('channel:general', got.f);
  await rb.sendMessage('channel:general', 'after the drop');
  await waitUntil('a message after the re-join', 3000, () => got.len() === 1);
});

test('the room limit refuses joins past it', async () => {
  await reset();
  const a = await connected('ann');
  const ra = rooms(a, { maxTrackedRooms: 1 });
  await ra.joinRoom('channel:general');
  const e = await rejects(ra.joinRoom('channel:team'), Error, 'Maximum room limit (1) reached');
  equal(e.code, 'room_limit');
  const m = manager(a, { maxRooms: 1 });
  await m.joinChannel('general');
  await rejects(m.joinChannel('team'), Error, 'Maximum room limit (1) reached');
  equal(m.roomCount, 1);
});

test('RoomManagerService leaves a room 5 s after its last listener, keeps offline joins', async () => {
  await reset();
  await post('/rooms', { names: ['thread:t1', 'user:ann'] });
  const c = client({ reconnectDelayMs: 100 });
  const m = manager(c);
  const joined = new Recorder();
  m.onRoomJoined(joined.f);
  const kept = await m.joinChannel('general');
  equal(kept.isJoined, false, 'not connected: kept, not joined');
  equal(kept.resourceId, 'general');
  await c.connect(await token('ann'));
  await waitUntil('joined on connect', 3000, () => m.isInRoom('channel:general'));
  equal(joined.all()[0].name, 'channel:general');
  const info = await m.joinThread('t1', { metadata: { topic: 'x' } });
  deepEqual(json(info.metadata), { topic: 'x' });
  equal(info.type, 'thread');
  deepEqual(m.getRoomsByType('thread').map((r) => r.name), ['thread:t1']);
  m.setCurrentUserId('ann');
  await waitUntil('the user room', 3000, () => m.isInRoom('user:ann'));
  equal(m.joinedRoomCount, 3);
  await rejects(m.joinRoom('general'), Error, 'Invalid room name: general');

  const b = await connected('ben');
  const rb = rooms(b);
  await rb.joinRoom('channel:general');
  const left = new Recorder();
  rb.onUserLeave(left.f);
  const gone = new Recorder();
  m.onRoomLeft(gone.f);
  m.addRoomListener('channel:general');
  equal(m.getRoom('channel:general').listenerCount, 1);
  m.leaveRoom('channel:general');
  assert(m.isInRoom('channel:general'), 'not left while it has a listener');
  const at = Date.now();
  m.removeRoomListener('channel:general');
  await waitUntil('left 5 s later', 8000, () => gone.len() === 1);
  assert(Date.now() - at >= 4900, `left after ${Date.now() - at} ms`);
  assert(!m.isInRoom('channel:general'));
  await waitUntil('ben hears ann leave', 3000, () => left.len() === 1);
  deepEqual(m.getRoomNames(), ['thread:t1', 'user:ann']);
});

test('bad input is a TypeError naming the parameter, and nothing traps', async () => {
  await reset();
  const a = await connected('ann');
  throws(() => new RoomsService({ bogus: 1 }, a), TypeError, 'bogus');
  throws(() => new RoomsService({}, 'x'), TypeError, 'client');
  throws(() => new RoomManagerService({ joinTimeout: 'x' }, a), TypeError, 'joinTimeout');
  const ra = rooms(a);
  throws(() => ra.joinRoom(42), TypeError, 'roomName');
  throws(() => ra.onUserJoin('x'), TypeError, 'listener');
  throws(() => ra.sendMessage('channel:general', 5), TypeError, 'content');
  throws(() => getChannelRoom(1), TypeError, 'channelId');
  const m = manager(a);
  throws(() => m.joinRoom('channel:general', { force: 'yes' }), TypeError, 'force');
  throws(() => m.getRoomsByType('team'), RangeError, 'type');
  // Still working.
  equal((await ra.joinRoom('channel:general')).name, 'channel:general');
  equal((await m.joinChannel('general', { force: true })).isJoined, true);
});

test('room names, event names and singletons are nchat\'s', async () => {
  equal(getChannelRoom('general'), 'channel:general');
  equal(getChannelRoom('dm:42'), 'dm:42');
  equal(getDMRoom('42'), 'dm:42');
  equal(getThreadRoom('t1'), 'thread:t1');
  equal(getUserRoom('u1'), 'user:u1');
  deepEqual(parseRoomName('thread:t1'), { type: 'thread', id: 't1' });
  equal(parseRoomName('general'), null);
  equal(parseRoomName('team:7'), null);
  equal(REALTIME_EVENTS.ROOM_JOIN, 'room:join');
  equal(REALTIME_EVENTS.MESSAGE_NEW, 'message:new');
  const s = getRoomsService();
  equal(getRoomsService(), s);
  equal(initializeRoomsService(), s);
  assert(s.initialized);
  resetRoomsService();
  assert(!s.initialized);
  assert(getRoomsService() !== s);
  resetRoomsService();
  const m = initializeRoomManager({ maxRooms: 5 });
  equal(getRoomManager(), m);
  assert(m.initialized);
  resetRoomManager();
  assert(getRoomManager() !== m);
  resetRoomManager();
});
