// Self-test, part 3: scale-out. redis-server and two instances sharing it, a
// user on each: broadcasts, typing and presence cross instances, rooms are
// shared, and one instance restarts while the other keeps going.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  ack, api, collect, ISO, next, openStream, sleep, startRedis, startServer,
} from './selftest-lib.mjs';

let redis;
let A;
let B;

before(async () => {
  redis = await startRedis();
  const env = { REDIS_URL: redis.url, TYPING_TIMEOUT_MS: '500', ROOMS: 'general' };
  [A, B] = await Promise.all([startServer(env), startServer(env)]);
});
after(async () => {
  const stopped = await Promise.allSettled([A?.stop(), B?.stop()]);
  await redis?.stop();
  for (const r of stopped) if (r.status === 'rejected') throw r.reason;
});
beforeEach(async () => {
  await Promise.all([A.fresh(), B.fresh()]);
});

test('rooms are shared; /stats and /received are per instance', async () => {
  await A.ctl('POST', '/rooms', { names: ['only-via-a'] });
  assert.deepEqual(await B.ctl('GET', '/rooms'), { rooms: ['general', 'only-via-a'] });
  const bob = await B.connect('bob');
  assert.equal((await ack(bob, 'room:join', { roomName: 'only-via-a' })).success, true);
  const alice = await A.connect('alice');
  assert.equal((await ack(alice, 'room:join', { roomName: 'only-via-a' })).data.memberCount, 2, 'members are shared');
  await ack(bob, 'message:send', { roomName: 'only-via-a', content: 'x', clientMessageId: 'k1' });
  assert.equal((await B.ctl('GET', '/received')).messages.length, 1);
  assert.equal((await A.ctl('GET', '/received')).messages.length, 0);
  assert.equal((await A.ctl('GET', '/stats')).connections, 1);
  assert.equal((await B.ctl('GET', '/stats')).connections, 1);
  await B.ctl('POST', '/reset');
  assert.deepEqual(await A.ctl('GET', '/rooms'), { rooms: ['general'] }, 'a reset clears the shared rooms');
});

for (const ext of [true, false]) {
  test(`message:new, typing and presence cross instances (extensions ${ext ? 'on' : 'off'})`, async () => {
    await Promise.all([A.ctl('POST', '/extensions', { on: ext }), B.ctl('POST', '/extensions', { on: ext })]);
    const alice = await A.connect('alice');
    const online = next(alice, 'presence:changed', (p) => p.userId === 'bob');
    const bob = await B.connect('bob');
    assert.deepEqual(await online, { userId: 'bob', status: 'online', customStatus: null, customEmoji: null });
    await ack(alice, 'room:join', { roomName: 'general' });
    await ack(bob, 'room:join', { roomName: 'general' });

    const toBob = next(bob, 'message:new');
    const toAlice = next(alice, 'message:new');
    const delivered = collect(alice, 'message:delivered');
    const sent = await ack(alice, 'message:send', { roomName: 'general', content: 'across', clientMessageId: 'x1', metadata: { clientMessageId: 'x1' } });
    const [mb, ma] = [await toBob, await toAlice];
    assert.equal(mb.content, 'across');
    assert.deepEqual(mb, ma);
    assert.match(mb.timestamp, ISO);
    if (ext) {
      assert.equal(sent.data.id, mb.id);
      await sleep(200);
      assert.deepEqual(delivered.map((d) => d.userId), ['bob'], 'the receipt counts the user on the other instance');
      // the read receipt crosses back: B finds the message A stored
      const read = next(alice, 'message:read');
      assert.deepEqual(await ack(bob, 'message:read', { messageIds: [mb.id] }), { success: true, data: { count: 1 } });
      assert.equal((await read).userId, 'bob');
      // de-duplication holds across instances
      const dup = await ack(bob, 'message:send', { roomName: 'general', content: 'across', clientMessageId: 'x1' });
      assert.equal(dup.data.duplicate, true);
    } else {
      assert.deepEqual(sent, { success: true });
    }

    const typing = next(alice, 'typing:event');
    bob.emit('typing:start', { roomName: 'general' });
    assert.deepEqual((await typing).users.map((u) => u.userId), ['bob']);
    // the typing rows are shared: alice's start on A lists bob's row from B too
    const both = next(bob, 'typing:event');
    alice.emit('typing:start', { roomName: 'general' });
    assert.deepEqual((await both).users.map((u) => u.userId).sort(), ['alice', 'bob']);

    const busy = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'busy');
    bob.emit('presence:update', { status: 'busy', customStatus: { text: 'focus', emoji: '🎧' } });
    assert.deepEqual(await busy, { userId: 'bob', status: 'busy', customStatus: 'focus', customEmoji: '🎧' });

    // bob with a second socket on A: closing the one on B leaves him online
    const changes = collect(alice, 'presence:changed');
    const bobOnA = await A.connect('bob');
    bob.close();
    await sleep(300);
    assert.deepEqual(changes.map((c) => [c.userId, c.status]), [['bob', 'online']]);
    const offline = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'offline');
    bobOnA.close();
    await offline;
    for (const s of [A, B]) assert.equal((await s.ctl('GET', '/stats')).contractViolations, 0);
  });
}

test('/restart of one instance: the other keeps going, clients come back and join again', async () => {
  const alice = await A.connect('alice');
  const bob = await B.connect('bob');
  await ack(alice, 'room:join', { roomName: 'general' });
  await ack(bob, 'room:join', { roomName: 'general' });
  const offline = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'offline');
  const disc = next(bob, 'disconnect', () => true, 3000);
  const restart = B.ctl('POST', '/restart', { downMs: 800 });
  assert.equal(await disc, 'transport close');
  await offline;
  // while B is down, A and Redis keep working
  await sleep(100);
  await assert.rejects(fetch(`${B.rt}/health`));
  const carol = await A.connect('carol');
  await ack(carol, 'room:join', { roomName: 'general' });
  const toAlice = next(alice, 'message:new');
  await ack(carol, 'message:send', { roomName: 'general', content: 'while B is down' });
  assert.equal((await toAlice).content, 'while B is down');

  const online = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'online');
  const back = next(bob, 'connected', () => true, 5000);
  assert.equal((await restart).ok, true);
  await back;
  await online;
  // no room restore: bob hears nothing until he joins again
  const early = collect(bob, 'message:new');
  await ack(alice, 'message:send', { roomName: 'general', content: 'before rejoin' });
  await sleep(200);
  assert.equal(early.length, 0);
  await ack(bob, 'room:join', { roomName: 'general' });
  const toBob = next(bob, 'message:new');
  await ack(alice, 'message:send', { roomName: 'general', content: 'after rejoin' });
  assert.equal((await toBob).content, 'after rejoin');
  const fromB = next(alice, 'message:new', (m) => m.content === 'from B again');
  await ack(bob, 'message:send', { roomName: 'general', content: 'from B again' });
  await fromB;
});

test('SSE across instances: a session on A hears B through the adapter, emits reach B, A\'s poll log has B\'s messages; /restart of A', async () => {
  const tok = await A.token('alice');
  const st = await openStream(A, tok);
  const sid = (await st.take((e) => e.type === 'init')).data.sessionId;
  await st.take((e) => e.type === 'connection');
  const emit = (event, data) => api(A, 'POST', '/api/realtime/emit', { token: tok, session: sid, body: { event, data } });
  assert.equal((await emit('room:join', { roomName: 'general' })).json.ack.success, true);
  const bob = await B.connect('bob');
  await ack(bob, 'room:join', { roomName: 'general' });
  await ack(bob, 'message:send', { roomName: 'general', content: 'from B' });
  const cm = await st.take((e) => e.type === 'channel_message');
  assert.deepEqual([cm.data.content, cm.data.channelId, cm.data.userId], ['from B', 'general', 'bob']);
  const toBob = next(bob, 'message:new');
  assert.equal((await emit('message:send', { roomName: 'general', content: 'from A over SSE' })).json.ack.success, true);
  assert.equal((await toBob).content, 'from A over SSE');
  const polled = await api(A, 'GET', '/poll?channelId=general&since=0', { token: tok });
  assert.deepEqual(polled.json.events.filter((e) => e.type === 'channel_message').map((e) => e.data.content), ['from B', 'from A over SSE']);
  // the session lives on A only
  assert.equal((await api(B, 'POST', '/api/realtime/emit', { token: tok, session: sid, body: { event: 'echo' } })).status, 404);

  // A restarts: the stream is cut, the session's socket comes back and joins its rooms again
  const last = st.events[st.events.length - 1].id;
  await A.ctl('POST', '/restart', { downMs: 300 });
  await st.waitEnd();
  const st2 = await openStream(A, tok, { lastEventId: last });
  const init = await st2.take();
  assert.deepEqual([init.data.sessionId, init.data.resumed], [sid, true]);
  for (let i = 0; i < 100 && !(await A.ctl('GET', '/connections')).connections.some((c) => c.rooms.includes('general')); i += 1) await sleep(20);
  await ack(bob, 'message:send', { roomName: 'general', content: 'after restart' });
  assert.equal((await st2.take((e) => e.type === 'channel_message' && e.data.content === 'after restart', 3000)).data.userId, 'bob');
});
