// Self-test, part 2: the extensions and the fault controls (one instance, no Redis).
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  ack, collect, ISO, next, rawClient, sleep, startServer, within,
} from './selftest-lib.mjs';

const PING_INTERVAL_MS = 1000;
const PING_TIMEOUT_MS = 1000;
let srv;
let ctl;

before(async () => {
  srv = await startServer({ ROOMS: 'lobby,hall' });
  ctl = srv.ctl;
});
after(async () => { await srv.stop(); });
beforeEach(async () => {
  await srv.fresh();
  await ctl('POST', '/rooms', { names: ['general', 'random'] });
});

test('/rooms, ROOMS and /reset', async () => {
  assert.deepEqual(await ctl('GET', '/rooms'), { rooms: ['general', 'hall', 'lobby', 'random'] });
  assert.deepEqual(await ctl('POST', '/rooms', { names: ['x'] }), { ok: true, rooms: ['general', 'hall', 'lobby', 'random', 'x'] });
  await assert.rejects(ctl('POST', '/rooms', { names: [''] }), /400/);
  await assert.rejects(ctl('POST', '/rooms', {}), /400/);
  const a = await srv.connect('alice');
  await ack(a, 'room:join', { roomName: 'x' });
  await ack(a, 'message:send', { roomName: 'x', content: 'x', clientMessageId: 'r1' });
  await ctl('POST', '/extensions', { on: false });
  await ctl('POST', '/latency', { ms: 50 });
  await ctl('POST', '/reject-auth', { count: 3 });
  await ctl('POST', '/reset');
  assert.deepEqual(await ctl('GET', '/rooms'), { rooms: ['hall', 'lobby'] }, 'reset keeps only the ROOMS of the environment');
  assert.deepEqual(await ctl('GET', '/extensions'), { extensions: true });
  assert.deepEqual(await ctl('GET', '/faults'), {
    silenced: false, latencyMs: 0, rejectAuth: 0, listening: true, blockWebsocket: false, blockSse: false, sseReplay: 0, tokensExpired: false,
  });
  assert.deepEqual(await ctl('GET', '/received'), { messages: [], sendCounts: {} });
  const st = await ctl('GET', '/stats');
  assert.equal(st.authAttempts, 0);
  assert.equal(st.connections, 1);
  assert.deepEqual((await ctl('GET', '/connections')).connections[0].rooms, [], 'sockets left the rooms');
  assert.deepEqual(await ack(a, 'message:send', { roomName: 'x', content: 'x' }), { success: false, error: { code: 'ROOM_NOT_FOUND', message: 'Room not found' } });
  await ctl('POST', '/rooms', { names: ['x'] });
  const again = await ack(a, 'message:send', { roomName: 'x', content: 'x', clientMessageId: 'r1' });
  assert.equal(again.data.duplicate, false, 'de-duplication memory cleared by reset');
});

test('extensions off: their events are ignored like unknown events', async () => {
  const a = await srv.connect('alice');
  await ctl('POST', '/extensions', { on: false });
  for (const [event, payload] of [['message:read', { messageIds: [] }], ['delivery:status', { messageIds: [] }],
    ['sync:channels', {}], ['sync:messages', { roomName: 'general' }], ['presence:subscribe', { userIds: [] }], ['echo', 1]]) {
    await assert.rejects(ack(a, event, payload, 200), `${event} is not answered`);
  }
  await ctl('POST', '/extensions', { on: true });
  assert.deepEqual(await ack(a, 'echo', { n: 1 }), { n: 1 });
});

test('messages: de-duplication, receipts, read, status, edit, sync', async () => {
  const alice = await srv.connect('alice');
  const alice2 = await srv.connect('alice');
  const bob = await srv.connect('bob');
  await ack(alice, 'room:join', { roomName: 'general' });
  await ack(bob, 'room:join', { roomName: 'general' });

  const delivered = next(alice2, 'message:delivered'); // to every socket of the sender
  const sent = await ack(alice, 'message:send', { roomName: 'general', content: 'hi', clientMessageId: 'c1', mentions: ['bob'], type: 'text' });
  assert.match(sent.data.id, /^m_\d+$/);
  assert.match(sent.data.timestamp, ISO);
  const d = await delivered;
  assert.match(d.deliveredAt, ISO);
  assert.deepEqual(d, { messageId: sent.data.id, clientMessageId: 'c1', roomName: 'general', userId: 'bob', deliveredAt: d.deliveredAt });
  // the clientMessageId inside metadata de-duplicates too
  const dup = await ack(alice, 'message:send', { roomName: 'general', content: 'hi', metadata: { clientMessageId: 'c1' } });
  assert.deepEqual(dup, { success: true, data: { ...sent.data, duplicate: true } });
  assert.equal((await ctl('GET', '/received')).messages.length, 1);

  // invalid payloads
  const err = next(alice, 'error');
  const bad = await ack(alice, 'message:send', { roomName: 'general', clientMessageId: 'c2' });
  assert.equal(bad.error.code, 'INVALID_PAYLOAD');
  assert.equal((await err).code, 'INVALID_PAYLOAD');
  const err2 = next(alice, 'error');
  alice.emit('message:read', 'not an object');
  assert.equal((await err2).details.event, 'message:read');

  // read receipts go to the author's sockets
  const readEv = next(alice, 'message:read');
  assert.deepEqual(await ack(bob, 'message:read', { roomName: 'general', messageIds: [sent.data.id] }), { success: true, data: { count: 1 } });
  const r = await readEv;
  assert.match(r.readAt, ISO);
  assert.deepEqual(r, { messageId: sent.data.id, clientMessageId: 'c1', roomName: 'general', userId: 'bob', readAt: r.readAt });

  const ds = await ack(alice, 'delivery:status', { messageIds: ['c1', 'nope'] });
  assert.deepEqual(ds.data.statuses, [
    { messageId: sent.data.id, clientMessageId: 'c1', status: 'read', deliveredTo: ['bob'], readBy: ['bob'] },
    { messageId: 'nope', clientMessageId: null, status: 'unknown', deliveredTo: [], readBy: [] },
  ]);
  const s2 = await ack(bob, 'message:send', { roomName: 'general', content: 'yo', clientMessageId: 'c3', threadId: 't1' });
  assert.equal((await ack(bob, 'delivery:status', { messageIds: [s2.data.id] })).data.statuses[0].status, 'delivered');

  // edit: to the room except the editing socket
  const upd = next(bob, 'message:updated');
  const ed = await ack(alice, 'message:edit', { messageId: sent.data.id, content: 'hi (edited)' });
  assert.equal(ed.data.message.content, 'hi (edited)');
  assert.equal(ed.data.message.editedBy, 'alice');
  assert.match(ed.data.message.editedAt, ISO);
  assert.deepEqual((await upd).message, ed.data.message);
  assert.equal((await ack(alice, 'message:edit', { messageId: 'm_999999', content: 'x' })).error.code, 'NOT_FOUND');

  // sync: since as ms or as an ISO string
  const sm = await ack(bob, 'sync:messages', { roomName: 'general', since: 0 });
  assert.deepEqual(sm.data.messages.map((m) => m.clientMessageId), ['c1', 'c3']);
  assert.equal(sm.data.messages[0].content, 'hi (edited)');
  assert.equal(sm.data.messages[1].threadId, 't1');
  assert.match(sm.data.serverTime, ISO);
  const sm2 = await ack(bob, 'sync:messages', { roomName: 'general', since: s2.data.timestamp });
  assert.deepEqual(sm2.data.messages.map((m) => m.clientMessageId), ['c1'], 'edited after since');
  const sm3 = await ack(bob, 'sync:messages', { roomName: 'general', since: Date.parse(ed.data.message.editedAt) });
  assert.deepEqual(sm3.data.messages, []);
  const sc = await ack(bob, 'sync:channels', {});
  assert.deepEqual(sc.data.channels, [{ roomName: 'general', members: ['alice', 'bob'], lastMessageAt: ed.data.message.editedAt }]);
  assert.equal((await ctl('GET', '/stats')).contractViolations, 2);
});

test('presence:subscribe', async () => {
  const alice = await srv.connect('alice');
  const bob = await srv.connect('bob');
  const changed = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'away');
  bob.emit('presence:update', { status: 'away', customStatus: { text: 'lunch', emoji: '🍜' } });
  await changed;
  const sub = await ack(alice, 'presence:subscribe', { userIds: ['bob', 'nobody'] });
  assert.deepEqual(sub.data.presences, [
    { userId: 'bob', status: 'away', customStatus: 'lunch', customEmoji: '🍜' },
    { userId: 'nobody', status: 'offline', customStatus: null, customEmoji: null },
  ]);
  const off = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'offline');
  bob.close();
  await off;
  const sub2 = await ack(alice, 'presence:subscribe', { userIds: ['bob'] });
  assert.match(sub2.data.presences[0].lastSeenAt, ISO);
});

test('typing: a user whose last socket goes is cleared with an event', async () => {
  const alice = await srv.connect('alice');
  const bob = await srv.connect('bob');
  await ack(alice, 'room:join', { roomName: 'general' });
  await ack(bob, 'room:join', { roomName: 'general' });
  const typing = next(alice, 'typing:event');
  bob.emit('typing:start', { roomName: 'general' });
  assert.equal((await typing).users.length, 1);
  const cleared = next(alice, 'typing:event');
  bob.close();
  assert.deepEqual(await cleared, { roomName: 'general', users: [] });
});

test('/drop closes the transport and the client reconnects', async () => {
  const a = await srv.connect('alice');
  const disc = next(a, 'disconnect');
  const back = next(a, 'connected', () => true, 3000);
  assert.ok((await ctl('POST', '/drop')).dropped >= 1);
  assert.equal(await disc, 'transport close');
  assert.match((await back).serverTime, ISO);
});

test('/silence: no pings, server keeps link open, client times out', async () => {
  const raw = await rawClient(srv, 'rawuser');
  const a = await srv.connect('alice');
  await ctl('POST', '/silence', { on: true });
  const t0 = Date.now();
  const disc = next(a, 'disconnect', () => true, 5000);
  raw.frames.length = 0;
  raw.ws.send('42["ping"]'); // processed, but unanswered
  assert.equal(await disc, 'ping timeout');
  const took = Date.now() - t0;
  assert.ok(took >= PING_INTERVAL_MS && took < PING_INTERVAL_MS + PING_TIMEOUT_MS + 1500, `client detected dead link in ${took} ms`);
  await sleep(PING_INTERVAL_MS + PING_TIMEOUT_MS);
  assert.deepEqual(raw.frames, [], 'server sent nothing while silenced');
  assert.equal(raw.ws.readyState, WebSocket.OPEN, 'server did not close the silent connection');
  assert.equal((await ctl('GET', '/stats')).pingsAnswered, 1);
  const fresh = new WebSocket(`${srv.rt.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const freshFrames = [];
  fresh.on('message', (d) => freshFrames.push(d.toString()));
  await new Promise((r) => fresh.once('open', r));
  await sleep(300);
  assert.deepEqual(freshFrames, [], 'a new connection gets no open packet');
  fresh.terminate();
  const back = next(a, 'connected', () => true, 5000);
  await ctl('POST', '/silence', { on: false });
  await raw.waitFrame((f) => f === '2', PING_INTERVAL_MS + 1000);
  await back;
  raw.ws.terminate();
});

test('/latency delays everything in order', async () => {
  const a = await srv.connect('alice');
  await ctl('POST', '/latency', { ms: 300 });
  let t0 = Date.now();
  await ack(a, 'echo', 1);
  const slow = Date.now() - t0;
  assert.ok(slow >= 290, `rtt ${slow} ms with 300 ms latency`);
  const got = collect(a, 'burst');
  await ctl('POST', '/emit', { event: 'burst', data: { k: 1 }, count: 50, sequence: true });
  await sleep(100);
  assert.equal(got.length, 0, 'held back by latency');
  await ctl('POST', '/latency', { ms: 0 });
  const deadline = Date.now() + 2000;
  while (got.length < 50 && Date.now() < deadline) await sleep(20);
  assert.deepEqual(got.map((g) => g.seq), [...Array(50).keys()]);
  assert.equal(got[0].k, 1);
  t0 = Date.now();
  await ack(a, 'echo', 1);
  assert.ok(Date.now() - t0 < 150);
});

test('/restart stops listening then comes back; rooms are not restored', async () => {
  const a = await srv.connect('alice');
  await ack(a, 'room:join', { roomName: 'general' });
  const disc = next(a, 'disconnect', () => true, 3000);
  const restart = ctl('POST', '/restart', { downMs: 600 });
  assert.equal(await disc, 'transport close');
  await sleep(200);
  await assert.rejects(fetch(`${srv.rt}/health`), 'realtime port is down during restart');
  assert.deepEqual(await ctl('GET', '/health'), { ok: true }, 'control port survives restart');
  const back = next(a, 'connected', () => true, 4000);
  assert.equal((await restart).ok, true);
  await back;
  assert.deepEqual((await ctl('GET', '/connections')).connections[0].rooms, [], 'the client must join again');
  assert.equal((await ack(a, 'room:join', { roomName: 'general' })).data.memberCount, 1, 'the room itself survived');
});

test('/raw and /raw-binary send frames verbatim', async () => {
  const raw = await rawClient(srv, 'rawuser');
  assert.equal((await ctl('POST', '/raw', { frame: '42["oops"' })).sent, 1);
  assert.equal(await raw.waitFrame((f) => f === '42["oops"'), '42["oops"');
  await ctl('POST', '/raw', { frame: '9zzz' });
  await raw.waitFrame((f) => f === '9zzz');
  await ctl('POST', '/raw-binary', { bytes: [1, 2, 255] });
  const bin = await raw.waitFrame((f) => Buffer.isBuffer(f));
  assert.deepEqual([...bin], [1, 2, 255]);
  raw.ws.terminate();
});

test('/emit burst of 20000 events, /disconnect', async () => {
  const a = await srv.connect('alice');
  let n = 0;
  let lastSeq = -1;
  let ordered = true;
  const done = new Promise((resolve) => {
    a.on('bench', (d) => {
      if (d.seq !== lastSeq + 1) ordered = false;
      lastSeq = d.seq;
      n += 1;
      if (n === 20000) resolve();
    });
  });
  const r = await ctl('POST', '/emit', { event: 'bench', data: { p: 'x' }, count: 20000, sequence: true });
  assert.equal(r.count, 20000);
  await within(done, 60000); // generous: a loaded 2-core machine (CI) is slow, the count is what is tested
  assert.equal(n, 20000);
  assert.ok(ordered);
  const disc = next(a, 'disconnect');
  assert.deepEqual(await ctl('POST', '/disconnect', { userId: 'alice' }), { ok: true, disconnected: 1 });
  assert.equal(await disc, 'io server disconnect');
});

test('benchmark baselines: raw /echo WebSocket and the echo event', async () => {
  const ws = new WebSocket(`${srv.rt.replace('http', 'ws')}/echo`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const echoed = new Promise((resolve) => ws.once('message', (d, isBinary) => resolve([d.toString(), isBinary])));
  ws.send('{"n":1}');
  assert.deepEqual(await within(echoed, 2000), ['{"n":1}', false]);
  ws.terminate();
  const a = await srv.connect('alice');
  assert.deepEqual(await a.timeout(2000).emitWithAck('echo', { n: 2 }, 'x'), { n: 2 });
  assert.equal((await ctl('GET', '/stats')).connections, 1, '/echo sockets are not Socket.IO connections');
});
