// Self-test, part 1: the real server's behaviour (one instance, no Redis).
// Extensions and fault controls: selftest-ext.mjs; scale-out: selftest-scale.mjs.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  ack, collect, ISO, next, sleep, startServer, within,
} from './selftest-lib.mjs';

const TYPING_TIMEOUT_MS = 500;
const CONNECT_DELAY_MS = 150;
let srv;
let ctl;

before(async () => {
  srv = await startServer({ TYPING_TIMEOUT_MS: String(TYPING_TIMEOUT_MS), CONNECT_DELAY_MS: String(CONNECT_DELAY_MS), ROOMS: 'general' });
  ctl = srv.ctl;
});
after(async () => { await srv.stop(); });
beforeEach(async () => {
  await srv.fresh();
  await ctl('POST', '/rooms', { names: ['general', 'random'] });
});

/** Both modes: the real events behave the same with the extensions off. */
async function extensions(on) { await ctl('POST', '/extensions', { on }); }

test('health endpoints and CORS', async () => {
  const h = await (await fetch(`${srv.rt}/health`)).json();
  assert.equal(h.status, 'healthy');
  assert.match(h.timestamp, ISO);
  assert.equal(typeof h.connections, 'number');
  assert.equal(typeof h.uptime, 'number');
  assert.deepEqual(await ctl('GET', '/health'), { ok: true });
  const pre = await fetch(`${srv.ctlBase}/latency`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers'), /content-type/i);
  const sio = await fetch(`${srv.rt}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://example.test' } });
  assert.equal(sio.headers.get('access-control-allow-origin'), 'http://example.test');
  assert.match(await sio.text(), /^0\{"sid"/);
});

test('auth: connected payload, no authenticated event, the real refusal messages', async () => {
  const seen = [];
  const a = await srv.connect('alice', { noWait: true });
  a.onAny((event) => seen.push(event));
  const c = await next(a, 'connected', () => true, 3000);
  assert.deepEqual(Object.keys(c).sort(), ['protocolVersion', 'serverTime', 'socketId']);
  assert.equal(c.socketId, a.id);
  assert.match(c.serverTime, ISO);
  assert.ok(Math.abs(Date.parse(c.serverTime) - Date.now()) < 5000);
  assert.equal(c.protocolVersion, '1.0');
  await sleep(200);
  assert.deepEqual(seen, ['presence:changed', 'connected'], 'presence first, then connected, never authenticated');

  const refusal = async (auth, extra) => { const e = await srv.connectError(auth, extra); return [e.message, e.data?.code]; };
  assert.deepEqual(await refusal({ token: await srv.token('x', '&bad=1') }), ['Invalid token', 'INVALID_TOKEN']);
  assert.deepEqual(await refusal({ token: await srv.token('x', '&expiresIn=-10') }), ['Invalid token', 'TOKEN_EXPIRED']);
  assert.deepEqual(await refusal({ token: 'garbage' }), ['Invalid token', 'INVALID_TOKEN']);
  assert.deepEqual(await refusal({}), ['Authentication required', 'MISSING_TOKEN']);
  // the real server reads auth.token only, never the query string
  assert.deepEqual(await refusal({}, { query: { token: await srv.token('q') } }), ['Authentication required', 'MISSING_TOKEN']);
  await ctl('POST', '/reject-auth', { count: 1 });
  const good = await srv.token('carol');
  assert.deepEqual(await refusal({ token: good }), ['Invalid token', 'AUTH_REJECTED']);
  await srv.connect('carol', { token: good });
  // `sub` alone is accepted too
  const subOnly = await srv.connect('dave', { token: await srv.token('dave', '&noUserId=1') });
  const joined = await ack(subOnly, 'room:join', { roomName: 'general' });
  assert.equal(joined.success, true);

  const st = await ctl('GET', '/stats');
  assert.equal(st.authAttempts, 9);
  assert.equal(st.authRejected, 6);
  assert.equal(st.connections, 3);
  assert.equal(st.connectionsTotal, 3);
  const conns = (await ctl('GET', '/connections')).connections;
  const ac = conns.find((x) => x.userId === 'alice');
  assert.deepEqual(ac.device, { type: 'web', os: 'linux', browser: 'node' });
  assert.match(ac.sessionId, /^s_\d+$/);
  assert.deepEqual(conns.find((x) => x.userId === 'dave').rooms, ['general']);
});

test('events emitted before `connected` are lost; after it they work', async () => {
  const a = await srv.connect('alice', { noWait: true });
  const early = [];
  a.on('connect', () => {
    a.timeout(CONNECT_DELAY_MS + 500).emit('room:join', { roomName: 'general' }, (err, r) => early.push(err ? 'timeout' : r));
    a.emit('ping');
  });
  const pongs = collect(a, 'pong');
  await next(a, 'connected', () => true, 3000);
  await sleep(CONNECT_DELAY_MS + 600);
  assert.deepEqual(early, ['timeout'], 'the early room:join got no ack');
  assert.equal(pongs.length, 0, 'the early ping got no pong');
  assert.deepEqual((await ctl('GET', '/connections')).connections[0].rooms, []);
  assert.deepEqual(await ack(a, 'room:join', { roomName: 'general' }), { success: true, data: { roomName: 'general', memberCount: 1, members: ['alice'] } });
  const pong = next(a, 'pong');
  a.emit('ping');
  assert.equal(typeof (await pong).timestamp, 'number');
});

test('polling transport connects and upgrades', async () => {
  const s = await srv.connect('poller', { io: { transports: ['polling', 'websocket'] } });
  assert.equal((await ack(s, 'room:join', { roomName: 'general' })).success, true);
});

for (const ext of [true, false]) {
  test(`rooms must exist; join/leave acks (extensions ${ext ? 'on' : 'off'})`, async () => {
    await extensions(ext);
    const alice = await srv.connect('alice');
    const alice2 = await srv.connect('alice');
    const bob = await srv.connect('bob');
    const notFound = { success: false, error: { code: 'ROOM_NOT_FOUND', message: 'Room not found' } };
    assert.deepEqual(await ack(alice, 'room:join', { roomName: 'nope' }), notFound);
    assert.deepEqual(await ack(alice, 'room:leave', { roomName: 'nope' }), notFound);
    assert.deepEqual(await ack(alice, 'message:send', { roomName: 'nope', content: 'x', clientMessageId: 'c0' }), notFound);

    const extra = (members) => (ext ? { members } : {});
    assert.deepEqual(await ack(alice, 'room:join', { roomName: 'general' }), { success: true, data: { roomName: 'general', memberCount: 1, ...extra(['alice']) } });
    const joined = next(alice, 'user:joined');
    const selfJoined = collect(bob, 'user:joined');
    assert.deepEqual(await ack(bob, 'room:join', { roomName: 'general' }), { success: true, data: { roomName: 'general', memberCount: 2, ...extra(['alice', 'bob']) } });
    assert.deepEqual(await joined, { roomName: 'general', userId: 'bob', ...(ext ? { userName: 'BOB' } : {}) });

    // only the joining socket is in the room: alice2 hears nothing
    const alice2Msgs = collect(alice2, 'message:new');
    await ack(bob, 'message:send', { roomName: 'general', content: 'hi', clientMessageId: 'r1' });
    await sleep(100);
    assert.equal(alice2Msgs.length, 0);
    assert.equal(selfJoined.length, 0, 'user:joined goes to the others only');

    const left = next(alice, 'user:left');
    assert.deepEqual(await ack(bob, 'room:leave', { roomName: 'general' }), ext ? { success: true, data: { roomName: 'general' } } : { success: true });
    assert.deepEqual(await left, { roomName: 'general', userId: 'bob', ...(ext ? { userName: 'BOB' } : {}) });
    // membership is the database's: it outlives the socket, memberCount counts users
    alice.close();
    const again = await srv.connect('alice');
    assert.deepEqual((await ack(again, 'room:join', { roomName: 'general' })).data.memberCount, 1);
    assert.equal((await ctl('GET', '/stats')).contractViolations, 0);
  });

  test(`message:send: message:new to the whole room, sender included (extensions ${ext ? 'on' : 'off'})`, async () => {
    await extensions(ext);
    const alice = await srv.connect('alice');
    const bob = await srv.connect('bob');
    const carol = await srv.connect('carol'); // not in the room
    await ack(alice, 'room:join', { roomName: 'general' });
    await ack(bob, 'room:join', { roomName: 'general' });
    const toAlice = next(alice, 'message:new');
    const toBob = next(bob, 'message:new');
    const toCarol = collect(carol, 'message:new');
    const delivered = collect(alice, 'message:delivered');
    const payload = { roomName: 'general', content: 'hi', clientMessageId: 'c1', metadata: { clientMessageId: 'c1', k: 1 }, threadId: 't1' };
    const sent = await ack(alice, 'message:send', payload);
    const [ma, mb] = [await toAlice, await toBob];
    assert.deepEqual(ma, mb);
    assert.match(ma.timestamp, ISO);
    const real = { roomName: 'general', userId: 'alice', content: 'hi', threadId: 't1', timestamp: ma.timestamp, metadata: { clientMessageId: 'c1', k: 1 } };
    if (ext) {
      assert.deepEqual(sent, { success: true, data: { id: ma.id, clientMessageId: 'c1', roomName: 'general', timestamp: ma.timestamp, duplicate: false } });
      assert.match(ma.id, /^m_\d+$/);
      assert.deepEqual(ma, { ...real, id: ma.id, clientMessageId: 'c1', userName: 'ALICE', type: 'text', mentions: [] });
    } else {
      assert.deepEqual(sent, { success: true });
      assert.deepEqual(ma, real);
    }
    // a second send with the same clientMessageId: de-duplicated only by the extension
    const again = collect(bob, 'message:new');
    const dup = await ack(alice, 'message:send', payload);
    await sleep(150);
    assert.equal(again.length, ext ? 0 : 1);
    if (ext) assert.equal(dup.data.duplicate, true);
    assert.equal(toCarol.length, 0);
    assert.equal(delivered.length, ext ? 1 : 0);
    const rec = await ctl('GET', '/received');
    assert.equal(rec.messages.length, ext ? 1 : 2);
    assert.equal(rec.sendCounts.c1, 2);
    assert.deepEqual(Object.keys(rec.messages[0]).sort(), ['clientMessageId', 'content', 'id', 'roomName', 'timestamp', 'userId']);
    // the sender is not auto-joined: carol sends to general without joining and hears nothing
    await ack(carol, 'message:send', { roomName: 'general', content: 'from outside', clientMessageId: 'c2' });
    await sleep(100);
    assert.equal(toCarol.length, 0);
    // without threadId/metadata those keys are absent
    const plain = next(bob, 'message:new', (m) => m.content === 'plain');
    await ack(alice, 'message:send', { roomName: 'general', content: 'plain' });
    const pm = await plain;
    assert.ok(!('threadId' in pm) && !('metadata' in pm));
    assert.equal((await ctl('GET', '/stats')).contractViolations, 0);
  });

  test(`typing: others only, duplicates without a thread, silent expiry (extensions ${ext ? 'on' : 'off'})`, async () => {
    await extensions(ext);
    const alice = await srv.connect('alice', { token: await srv.token('alice', '&avatar=a.png') });
    const bob = await srv.connect('bob');
    await ack(alice, 'room:join', { roomName: 'general' });
    await ack(bob, 'room:join', { roomName: 'general' });
    const aliceGot = collect(alice, 'typing:event');
    const ev1 = next(bob, 'typing:event');
    alice.emit('typing:start', { roomName: 'general' });
    const e1 = await ev1;
    assert.deepEqual(Object.keys(e1), ['roomName', 'users']);
    assert.equal(e1.users.length, 1);
    assert.match(e1.users[0].startedAt, ISO);
    assert.deepEqual(e1.users[0], ext
      ? { userId: 'alice', startedAt: e1.users[0].startedAt, userName: 'ALICE', userAvatar: 'a.png' }
      : { userId: 'alice', startedAt: e1.users[0].startedAt });
    const ev2 = next(bob, 'typing:event');
    await sleep(20);
    alice.emit('typing:start', { roomName: 'general' });
    const e2 = await ev2;
    assert.deepEqual(e2.users.map((u) => u.userId), ['alice', 'alice'], 'each start without a thread adds a row');
    // in a thread the row is updated, with a fresh startedAt
    const t1 = next(bob, 'typing:event', (e) => e.threadId === 't');
    alice.emit('typing:start', { roomName: 'general', threadId: 't' });
    const first = (await t1).users[0].startedAt;
    await sleep(20);
    const t2 = next(bob, 'typing:event', (e) => e.threadId === 't');
    alice.emit('typing:start', { roomName: 'general', threadId: 't' });
    const th = await t2;
    assert.equal(th.users.length, 1);
    assert.ok(th.users[0].startedAt > first, 'startedAt is the last start');
    // stop: an event to the others with what is left
    const stopped = next(bob, 'typing:event', (e) => e.threadId === 't');
    alice.emit('typing:stop', { roomName: 'general', threadId: 't' });
    assert.deepEqual((await stopped).users, []);
    // expiry: an event only with the extensions
    const expiry = collect(bob, 'typing:event');
    await sleep(TYPING_TIMEOUT_MS + 250);
    assert.equal(expiry.length, ext ? 1 : 0);
    if (ext) assert.deepEqual(expiry[0], { roomName: 'general', users: [] });
    const later = next(bob, 'typing:event');
    alice.emit('typing:stop', { roomName: 'general' });
    assert.deepEqual((await later).users, [], 'the expired rows are gone');
    // an unknown room is ignored
    const none = collect(bob, 'typing:event');
    alice.emit('typing:start', { roomName: 'nope' });
    await sleep(100);
    assert.equal(none.length, 0);
    assert.equal(aliceGot.length, 0, 'the typer hears nothing');
    assert.equal((await ctl('GET', '/stats')).contractViolations, 0);
  });

  test(`presence: online to all, presence:changed shape, no ack, offline (extensions ${ext ? 'on' : 'off'})`, async () => {
    await extensions(ext);
    const alice = await srv.connect('alice');
    const online = next(alice, 'presence:changed', (p) => p.userId === 'bob');
    const bob = await srv.connect('bob', { noWait: true });
    const selfOnline = next(bob, 'presence:changed', (p) => p.userId === 'bob');
    const bobConnected = next(bob, 'connected', () => true, 3000);
    assert.deepEqual(await online, { userId: 'bob', status: 'online', customStatus: null, customEmoji: null });
    assert.deepEqual(await selfOnline, { userId: 'bob', status: 'online', customStatus: null, customEmoji: null });
    await bobConnected;

    const busy = next(alice, 'presence:changed', (p) => p.userId === 'bob');
    const busySelf = next(bob, 'presence:changed', (p) => p.userId === 'bob');
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    await assert.rejects(ack(bob, 'presence:update', { status: 'busy', customStatus: { text: 'In a meeting', emoji: '📅', expiresAt } }, 300), 'no ack');
    const want = { userId: 'bob', status: 'busy', customStatus: 'In a meeting', customEmoji: '📅' };
    assert.deepEqual(await busy, want);
    assert.deepEqual(await busySelf, want, 'the sender gets it too');
    // without customStatus the text and emoji are cleared, as the real upsert does
    const cleared = next(alice, 'presence:changed', (p) => p.userId === 'bob');
    bob.emit('presence:update', { status: 'away' });
    assert.deepEqual(await cleared, { userId: 'bob', status: 'away', customStatus: null, customEmoji: null });
    // a second socket of bob: online again, for everyone
    const again = next(alice, 'presence:changed', (p) => p.userId === 'bob');
    const bob2 = await srv.connect('bob');
    assert.equal((await again).status, 'online');
    // offline only when bob's last socket goes
    const changes = collect(alice, 'presence:changed');
    bob2.close();
    await sleep(200);
    assert.equal(changes.length, 0);
    const offline = next(alice, 'presence:changed', (p) => p.userId === 'bob');
    bob.close();
    const off = await offline;
    if (ext) {
      assert.match(off.lastSeenAt, ISO);
      assert.deepEqual(off, { userId: 'bob', status: 'offline', lastSeenAt: off.lastSeenAt });
    } else {
      assert.deepEqual(off, { userId: 'bob', status: 'offline' });
    }
    assert.equal((await ctl('GET', '/stats')).contractViolations, 0);
  });
}

test('contract violations: refused with an error event and counted', async () => {
  const a = await srv.connect('alice');
  const errors = collect(a, 'error');
  const changes = collect(a, 'presence:changed');
  // expiresAt as a number would crash the real server (TIMESTAMPTZ)
  a.emit('presence:update', { status: 'busy', customStatus: { text: 'x', expiresAt: Date.now() + 1000 } });
  a.emit('presence:update', { status: 'sleeping' });
  a.emit('typing:start');
  a.emit('pong');
  const bad = await ack(a, 'message:send', { roomName: 'general', content: 5 });
  assert.equal(bad.success, false);
  assert.equal(bad.error.code, 'INVALID_PAYLOAD');
  await sleep(150);
  assert.deepEqual(errors.map((e) => [e.code, e.details.event]), [
    ['INVALID_PAYLOAD', 'presence:update'], ['INVALID_PAYLOAD', 'presence:update'], ['INVALID_PAYLOAD', 'typing:start'],
    ['INVALID_PAYLOAD', 'pong'], ['INVALID_PAYLOAD', 'message:send'],
  ]);
  assert.equal(errors[0].details.field, 'customStatus.expiresAt');
  assert.equal(changes.length, 0, 'nothing applied');
  assert.equal((await ctl('GET', '/stats')).contractViolations, 5);
  const v = await ctl('GET', '/violations');
  assert.equal(v.count, 5);
  assert.deepEqual(v.recent.map((x) => x.event), ['presence:update', 'presence:update', 'typing:start', 'pong', 'message:send']);
  // a good pong is fine and shows up as latency
  a.emit('pong', { timestamp: Date.now() - 7 });
  await sleep(100);
  assert.equal(typeof (await ctl('GET', '/connections')).connections[0].latencyMs, 'number');
  assert.equal((await ctl('GET', '/stats')).contractViolations, 5);
});

test('ping: a pong event, no ack', async () => {
  const a = await srv.connect('alice');
  const pong = next(a, 'pong');
  await assert.rejects(ack(a, 'ping', {}, 300));
  const p = await pong;
  assert.deepEqual(Object.keys(p), ['timestamp']);
  assert.equal(typeof p.timestamp, 'number');
  assert.equal((await ctl('GET', '/stats')).pingsAnswered, 1);
});

test('a disconnect during the connect step leaves no one online', async () => {
  const watcher = await srv.connect('watcher');
  const changes = collect(watcher, 'presence:changed');
  const ghost = await srv.connect('ghost', { noWait: true });
  await within(next(ghost, 'connect'), 2000);
  ghost.close();
  await sleep(CONNECT_DELAY_MS + 200);
  const sub = await ack(watcher, 'presence:subscribe', { userIds: ['ghost'] });
  assert.equal(sub.data.presences[0].status, 'offline');
  assert.deepEqual(changes.filter((c) => c.userId === 'ghost'), [], 'never counted, so never online nor offline');
});
