// Self-test, part 5: the SSE backend (docs/sse-wire.md) with a real HTTP client
// (node's fetch, read as it streams) beside Socket.IO clients: the stream, the
// mapping, sends and acks, resume and replay, refusals, polling, the seed's
// routes and every fault control.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import {
  ack, api, next, openStream, sleep, startServer,
} from './selftest-lib.mjs';

const GRACE_MS = 1500;
const ACK_WAIT_MS = 300;
let srv;
let ctl;

before(async () => {
  srv = await startServer({ SSE_GRACE_MS: String(GRACE_MS), SSE_ACK_WAIT_MS: String(ACK_WAIT_MS) });
  ctl = srv.ctl;
});
after(async () => { await srv.stop(); });
beforeEach(async () => {
  await srv.fresh();
  await ctl('POST', '/rooms', { names: ['general', 'dm:ab'] });
});

/** An SSE session of `sub`, up to its `connection`: `{st, tok, sid, emit(event, data, extra)}`. */
async function session(sub, opts = {}) {
  const tok = opts.token ?? (await srv.token(sub));
  const st = await openStream(srv, tok, opts);
  assert.equal(st.status, 200);
  const init = await st.take((e) => e.type === 'init');
  const connection = await st.take((e) => e.type === 'connection');
  const sid = init.data.sessionId;
  const emit = (event, data, extra = {}) => api(srv, 'POST', '/api/realtime/emit', { token: tok, session: sid, body: { event, data, ...extra } });
  return { st, tok, sid, init, connection, emit };
}

const untilStats = async (pred) => {
  for (let i = 0; i < 200; i += 1) {
    const s = await ctl('GET', '/stats');
    if (pred(s)) return s;
    await sleep(10);
  }
  throw new Error('stats never matched');
};
const seqOf = (id) => Number(id.slice(id.lastIndexOf('.') + 1));

test('stream: headers and CORS, init then connection, ids, the own presence, ping', async () => {
  const pre = await fetch(`${srv.rt}/api/realtime/emit`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://page.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,last-event-id,x-realtime-session' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), 'http://page.test');
  assert.equal(pre.headers.get('access-control-allow-credentials'), 'true');
  assert.match(pre.headers.get('access-control-allow-methods'), /DELETE/);
  assert.equal(pre.headers.get('access-control-allow-headers'), 'authorization,content-type,last-event-id,x-realtime-session');

  const st = await openStream(srv, await srv.token('alice'), { headers: { Origin: 'http://page.test' } });
  assert.equal(st.status, 200);
  assert.match(st.headers.get('content-type'), /^text\/event-stream/);
  assert.equal(st.headers.get('cache-control'), 'no-cache, no-transform');
  assert.equal(st.headers.get('access-control-allow-origin'), 'http://page.test');
  const init = await st.take();
  const sid = init.data.sessionId;
  assert.match(sid, /^[0-9a-z]+$/);
  assert.equal(typeof init.data.timestamp, 'number');
  assert.deepEqual(init, {
    id: `${sid}.1`, type: 'init', data: { userId: 'alice', username: 'ALICE', channels: [], sessionId: sid, timestamp: init.data.timestamp, resumed: false, pingInterval: 1000, pingTimeout: 1000 },
  });
  const conn = await st.take();
  assert.deepEqual(conn, { id: `${sid}.2`, type: 'connection', data: { status: 'connected', userId: 'alice', timestamp: conn.data.timestamp, resumed: false } });
  assert.deepEqual(await st.take(), { id: `${sid}.3`, type: 'presence', data: { userId: 'alice', status: 'online', customStatus: null, customEmoji: null } });
  const ping = await st.take((e) => e.type === 'ping', 2500);
  assert.equal(ping.id, null, 'pings carry no id (never replayed)');
  assert.equal(typeof ping.data.timestamp, 'number');
  const stats = await ctl('GET', '/stats');
  assert.equal(stats.sseSessions, 1);
  assert.equal(stats.sseStreams, 1);
  assert.equal(stats.connections, 1, 'the session is a connection');
  const [c] = (await ctl('GET', '/connections')).connections;
  assert.equal(c.userId, 'alice');
  assert.equal(c.transport, 'sse');
});

test('messages both ways: Socket.IO -> channel_message/message, emit -> Socket.IO with the ack', async () => {
  const a = await session('alice');
  const j = await a.emit('room:join', { roomName: 'general' });
  assert.equal(j.status, 200);
  assert.deepEqual(j.json, { ack: { success: true, data: { roomName: 'general', memberCount: 1, members: ['alice'] } } });
  const ci = await a.st.take((e) => e.type === 'channel_init');
  assert.deepEqual(ci.data, { channel: 'general', members: ['alice'], timestamp: ci.data.timestamp });

  const bob = await srv.connect('bob');
  await ack(bob, 'room:join', { roomName: 'general' });
  assert.deepEqual((await a.st.take((e) => e.type === 'channel_event')).data, {
    event: 'user:joined', data: { roomName: 'general', userId: 'bob', userName: 'BOB' },
  });
  const fromBob = await ack(bob, 'message:send', { roomName: 'general', content: 'from bob', clientMessageId: 'b1' });
  const cm = await a.st.take((e) => e.type === 'channel_message');
  assert.equal(cm.data.id, fromBob.data.id);
  assert.equal(cm.data.content, 'from bob');
  assert.equal(cm.data.roomName, 'general');
  assert.equal(cm.data.channelId, 'general');
  assert.equal(cm.data.userId, 'bob');

  const toBob = next(bob, 'message:new');
  const sent = await a.emit('message:send', { roomName: 'general', content: 'from alice', clientMessageId: 'a1' });
  assert.equal(sent.json.ack.success, true);
  assert.match(sent.json.ack.data.id, /^m_\d+$/);
  const mb = await toBob;
  assert.equal(mb.content, 'from alice');
  assert.equal(mb.userId, 'alice');
  assert.equal(mb.clientMessageId, 'a1');
  assert.equal((await a.st.take((e) => e.type === 'channel_message')).data.clientMessageId, 'a1', 'the sender is in the room too');
  const sentEv = await a.st.take((e) => e.type === 'broadcast' && e.data.event === 'message:sent');
  assert.deepEqual(sentEv.data.data, { clientMessageId: 'a1', messageId: sent.json.ack.data.id, sentAt: sent.json.ack.data.timestamp });
  const dup = await a.emit('message:send', { roomName: 'general', content: 'from alice', clientMessageId: 'a1' });
  assert.equal(dup.json.ack.data.duplicate, true);

  await a.emit('room:join', { roomName: 'dm:ab' });
  await ack(bob, 'room:join', { roomName: 'dm:ab' });
  await ack(bob, 'message:send', { roomName: 'dm:ab', content: 'psst' });
  const dm = await a.st.take((e) => e.type === 'message');
  assert.equal(dm.data.content, 'psst');
  assert.equal(dm.data.channelId, 'dm:ab');

  assert.deepEqual((await a.emit('room:join', { roomName: 'nope' })).json, { ack: { success: false, error: { code: 'ROOM_NOT_FOUND', message: 'Room not found' } } });
  // no ack from the server: {ack:null} after SSE_ACK_WAIT_MS; a known no-ack event at once
  await ctl('POST', '/extensions', { on: false });
  let t0 = Date.now();
  assert.deepEqual((await a.emit('echo', { n: 1 })).json, { ack: null });
  assert.ok(Date.now() - t0 >= ACK_WAIT_MS - 20, 'waited for the ack');
  await ctl('POST', '/extensions', { on: true });
  assert.deepEqual((await a.emit('echo', { n: 1 })).json, { ack: { n: 1 } });
  t0 = Date.now();
  assert.deepEqual((await a.emit('typing:start', { roomName: 'general' })).json, { ack: null });
  assert.ok(Date.now() - t0 < ACK_WAIT_MS, 'typing:start is answered without waiting');
  // ack:false emits without an ack: nchat's presence:subscribe then answers with presence:bulk
  assert.deepEqual((await a.emit('presence:subscribe', { userIds: ['bob'] }, { ack: false })).json, { ack: null });
  const bulk = await a.st.take((e) => e.type === 'broadcast' && e.data.event === 'presence:bulk');
  assert.equal(bulk.data.data.presences[0].userId, 'bob');

  // malformed requests
  assert.equal((await a.emit(undefined, 1)).status, 400);
  assert.equal((await a.emit('echo', 1, { ack: 'yes' })).status, 400);
  assert.equal((await a.emit('disconnect', 1)).json.error.code, 'INVALID_BODY');
  const notJson = await fetch(`${srv.rt}/api/realtime/emit`, { method: 'POST', headers: { Authorization: `Bearer ${a.tok}`, 'X-Realtime-Session': a.sid }, body: '{oops' });
  assert.equal(notJson.status, 400);
  assert.equal((await notJson.json()).error.code, 'INVALID_BODY');
  const noSession = await api(srv, 'POST', '/api/realtime/emit', { token: a.tok, body: { event: 'echo' } });
  assert.deepEqual([noSession.status, noSession.json.error.code], [404, 'SESSION_NOT_FOUND']);
  const otherUser = await api(srv, 'POST', '/api/realtime/emit', { token: await srv.token('bob'), session: a.sid, body: { event: 'echo' } });
  assert.equal(otherUser.status, 404, 'a session is its user\'s only');
  assert.equal((await ctl('GET', '/stats')).contractViolations, 0);
});

test('mapping: typing, presence, user:left and other events', async () => {
  const a = await session('alice');
  await a.emit('room:join', { roomName: 'general' });
  const bob = await srv.connect('bob');
  await ack(bob, 'room:join', { roomName: 'general' });

  const typing = next(bob, 'typing:event');
  await a.emit('typing:start', { roomName: 'general' });
  assert.deepEqual((await typing).users.map((u) => u.userId), ['alice']);
  bob.emit('typing:start', { roomName: 'general' });
  const te = await a.st.take((e) => e.type === 'broadcast' && e.data.event === 'typing:event');
  assert.equal(te.data.data.roomName, 'general');
  assert.deepEqual(te.data.data.users.map((u) => u.userId), ['alice', 'bob'], 'alice\'s own row is still there');

  bob.emit('presence:update', { status: 'away' });
  assert.deepEqual((await a.st.take((e) => e.type === 'presence' && e.data.userId === 'bob')).data, {
    userId: 'bob', status: 'away', customStatus: null, customEmoji: null,
  });
  const busy = next(bob, 'presence:changed', (p) => p.userId === 'alice');
  await a.emit('presence:update', { status: 'busy' });
  assert.equal((await busy).status, 'busy');

  await ctl('POST', '/emit', { event: 'custom:thing', data: { a: 1 } });
  const custom = await a.st.take((e) => e.data?.event === 'custom:thing');
  assert.deepEqual(custom, { id: custom.id, type: 'broadcast', data: { event: 'custom:thing', data: { a: 1 } } });

  await ack(bob, 'room:leave', { roomName: 'general' });
  assert.deepEqual((await a.st.take((e) => e.type === 'channel_event')).data, {
    event: 'user:left', data: { roomName: 'general', userId: 'bob', userName: 'BOB' },
  });
  const c = (await ctl('GET', '/connections')).connections.find((x) => x.userId === 'alice');
  assert.deepEqual(c.rooms, ['general']);
});

test('resume: Last-Event-ID replays exactly the missed events; /sse/replay; /sse/cut; ?token= and ?lastEventId=', async () => {
  const a = await session('alice');
  await a.emit('room:join', { roomName: 'general' });
  const bob = await srv.connect('bob');
  await ack(bob, 'room:join', { roomName: 'general' });
  const joined = await a.st.take((e) => e.type === 'channel_event');
  a.st.close();
  await untilStats((s) => s.sseStreams === 0);
  await ack(bob, 'message:send', { roomName: 'general', content: 'm1' });
  await ack(bob, 'message:send', { roomName: 'general', content: 'm2' });

  const last = seqOf(joined.id);
  const st2 = await openStream(srv, a.tok, { lastEventId: joined.id });
  const init = await st2.take();
  assert.deepEqual(init, {
    id: null, type: 'init', data: { userId: 'alice', username: 'ALICE', channels: ['general'], sessionId: a.sid, timestamp: init.data.timestamp, resumed: true, pingInterval: 1000, pingTimeout: 1000 },
  });
  assert.deepEqual(await st2.take(), { id: null, type: 'connection', data: { status: 'connected', userId: 'alice', timestamp: (st2.events[1]).data.timestamp, resumed: true } });
  const m1 = await st2.take();
  const m2 = await st2.take();
  assert.deepEqual([m1.id, m1.type, m1.data.content], [`${a.sid}.${last + 1}`, 'channel_message', 'm1']);
  assert.deepEqual([m2.id, m2.type, m2.data.content], [`${a.sid}.${last + 2}`, 'channel_message', 'm2']);
  await ack(bob, 'message:send', { roomName: 'general', content: 'm3' });
  const m3 = await st2.take((e) => e.type !== 'ping');
  assert.deepEqual([m3.id, m3.data.content], [`${a.sid}.${last + 3}`, 'm3'], 'then live, numbered on');

  // /sse/replay: the next resume also replays 2 events up to its Last-Event-ID (duplicates)
  assert.deepEqual(await ctl('POST', '/sse/replay', { count: 2 }), { ok: true, sseReplay: 2 });
  st2.close();
  await untilStats((s) => s.sseStreams === 0);
  const st3 = await openStream(srv, a.tok, { lastEventId: m3.id });
  await st3.take((e) => e.type === 'connection');
  const again = [await st3.take(), await st3.take()];
  assert.deepEqual(again.map((e) => [e.id, e.data.content]), [[m2.id, 'm2'], [m3.id, 'm3']]);
  assert.equal((await ctl('GET', '/faults')).sseReplay, 0, 'once');

  // /sse/cut ends the streams, the sessions stay; the query forms resume too
  assert.deepEqual(await ctl('POST', '/sse/cut'), { ok: true, cut: 1 });
  await st3.waitEnd();
  const s = await ctl('GET', '/stats');
  assert.deepEqual([s.sseSessions, s.sseStreams], [1, 0]);
  const st4 = await openStream(srv, null, { query: `?token=${encodeURIComponent(a.tok)}&lastEventId=${encodeURIComponent(m3.id)}` });
  assert.equal((await st4.take()).data.sessionId, a.sid);
  await st4.take((e) => e.type === 'connection');
  await sleep(100);
  assert.deepEqual(st4.events.slice(2).filter((e) => e.type !== 'ping'), [], 'nothing missed, nothing replayed');

  // an unknown session, another user's, or a seq never sent: a new session
  for (const [tok, id] of [[a.tok, 'nope.3'], [await srv.token('bob'), m3.id], [a.tok, `${a.sid}.999`]]) {
    const st = await openStream(srv, tok, { lastEventId: id });
    const fresh = await st.take();
    assert.equal(fresh.data.resumed, false);
    assert.notEqual(fresh.data.sessionId, a.sid);
    assert.equal(fresh.id, `${fresh.data.sessionId}.1`);
    st.close();
  }
});

test('grace: a session outlives its stream SSE_GRACE_MS, then ends (presence offline)', async () => {
  const bob = await srv.connect('bob');
  const a = await session('alice');
  const offline = next(bob, 'presence:changed', (p) => p.userId === 'alice' && p.status === 'offline', GRACE_MS + 2000);
  a.st.close();
  const t0 = Date.now();
  await offline;
  assert.ok(Date.now() - t0 >= GRACE_MS - 300, `ended after the grace (${Date.now() - t0} ms)`);
  assert.equal((await ctl('GET', '/stats')).sseSessions, 0);
  const st = await openStream(srv, a.tok, { lastEventId: a.connection.id });
  const init = await st.take();
  assert.equal(init.data.resumed, false);
  assert.notEqual(init.data.sessionId, a.sid);
});

test('refusals: 401 with the Socket.IO codes, /reject-auth, CORS on refusals', async () => {
  const cases = [
    [undefined, 'MISSING_TOKEN', 'Authentication required'],
    ['garbage', 'INVALID_TOKEN', 'Invalid token'],
    [(await ctl('GET', '/token?sub=x&bad=1')).token, 'INVALID_TOKEN', 'Invalid token'],
    [(await ctl('GET', '/token?sub=x&expiresIn=-10')).token, 'TOKEN_EXPIRED', 'Invalid token'],
  ];
  for (const [tok, code, message] of cases) {
    const st = await openStream(srv, tok, { headers: { Origin: 'http://page.test' } });
    assert.equal(st.status, 401, code);
    assert.deepEqual(st.json, { error: { code, message } });
    assert.equal(st.headers.get('access-control-allow-origin'), 'http://page.test');
    for (const [method, p] of [['POST', '/api/realtime/connect'], ['POST', '/api/realtime/emit'], ['GET', '/poll?channelId=general'], ['DELETE', '/api/realtime/session']]) {
      const r = await api(srv, method, p, { token: tok, body: method === 'POST' ? { event: 'echo' } : undefined });
      assert.deepEqual([r.status, r.json.error.code], [401, code], `${method} ${p}`);
    }
  }
  const a = await session('alice');
  const before = await ctl('GET', '/stats');
  await ctl('POST', '/reject-auth', { count: 2 });
  const st = await openStream(srv, a.tok);
  assert.deepEqual([st.status, st.json.error.code], [401, 'AUTH_REJECTED']);
  const r = await a.emit('echo', 1);
  assert.deepEqual([r.status, r.json.error.code], [401, 'AUTH_REJECTED']);
  assert.deepEqual((await a.emit('echo', 1)).json, { ack: 1 }, 'only count requests are refused');
  const after = await ctl('GET', '/stats');
  assert.equal(after.authRejected - before.authRejected, 2);
  assert.equal(after.authAttempts - before.authAttempts, 3);
});

test('/expire-tokens: streams end, old tokens get TOKEN_EXPIRED everywhere, a new token resumes', async () => {
  const a = await session('alice');
  assert.deepEqual(await ctl('POST', '/expire-tokens'), { ok: true, cut: 1 });
  await a.st.waitEnd();
  const st = await openStream(srv, a.tok, { lastEventId: a.connection.id });
  assert.deepEqual([st.status, st.json.error.code], [401, 'TOKEN_EXPIRED']);
  assert.equal((await a.emit('echo', 1)).json.error.code, 'TOKEN_EXPIRED');
  assert.equal((await srv.connectError({ token: a.tok })).data.code, 'TOKEN_EXPIRED', 'the Socket.IO handshake too');
  const tok2 = await srv.token('alice');
  const st2 = await openStream(srv, tok2, { lastEventId: a.connection.id });
  const init = await st2.take();
  assert.deepEqual([init.data.sessionId, init.data.resumed], [a.sid, true]);
  const r = await api(srv, 'POST', '/api/realtime/emit', { token: tok2, session: a.sid, body: { event: 'echo', data: 2 } });
  assert.deepEqual(r.json, { ack: 2 });
});

test('/block-websocket refuses upgrades (not the gateway\'s); /block-sse answers 503', async () => {
  const wsUrl = `${srv.rt.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`;
  const tryWs = () => new Promise((resolve) => {
    const ws = new WebSocket(wsUrl);
    ws.once('open', () => { ws.close(); resolve('open'); });
    ws.once('error', () => resolve('refused'));
  });
  assert.deepEqual(await ctl('POST', '/block-websocket', { on: true }), { ok: true, blockWebsocket: true });
  assert.equal(await tryWs(), 'refused');
  const err = await srv.connectError({ token: await srv.token('bob') });
  assert.match(err.message, /websocket error/);
  const a = await session('alice');
  assert.deepEqual((await a.emit('echo', { ok: 1 })).json, { ack: { ok: 1 } }, 'an SSE session works meanwhile');
  await ctl('POST', '/block-websocket', { on: false });
  assert.equal(await tryWs(), 'open');

  assert.deepEqual(await ctl('POST', '/block-sse', { on: true }), { ok: true, blockSse: true });
  const st = await openStream(srv, a.tok);
  assert.deepEqual([st.status, st.json.error.code], [503, 'SSE_BLOCKED']);
  assert.equal((await api(srv, 'POST', '/api/realtime/connect', { token: a.tok })).status, 200, 'polling is still there');
  await ctl('POST', '/block-sse', { on: false });
  const ok = await openStream(srv, a.tok);
  assert.equal(ok.status, 200);
});

test('polling: /api/realtime/connect, GET /poll since, sessions kept by requests, DELETE -> offline', async () => {
  const tok = await srv.token('alice');
  const c = await api(srv, 'POST', '/api/realtime/connect', { token: tok });
  assert.equal(c.status, 200);
  const sid = c.json.data.sessionId;
  assert.deepEqual(c.json, {
    type: 'init', data: { userId: 'alice', username: 'ALICE', channels: [], sessionId: sid, timestamp: c.json.data.timestamp, resumed: false, pingInterval: 1000, pingTimeout: 1000 },
  });
  const emit = (event, data) => api(srv, 'POST', '/api/realtime/emit', { token: tok, session: sid, body: { event, data } });
  const poll = (room, since) => api(srv, 'GET', `/poll?channelId=${encodeURIComponent(room)}&since=${since}`, { token: tok, session: sid });
  assert.equal((await emit('room:join', { roomName: 'general' })).json.ack.success, true);
  assert.equal((await ctl('GET', '/connections')).connections[0].transport, 'poll');

  const bob = await srv.connect('bob');
  await ack(bob, 'room:join', { roomName: 'general' });
  await ack(bob, 'message:send', { roomName: 'general', content: 'p1' });
  const p = await poll('general', 0);
  assert.equal(p.status, 200);
  const msg = p.json.events.find((e) => e.type === 'channel_message');
  assert.match(msg.id, /^p\d+$/);
  assert.equal(msg.data.content, 'p1');
  assert.equal(msg.data.channelId, 'general');
  assert.ok(p.json.events.some((e) => e.type === 'presence' && e.data.userId === 'bob'), 'events to everyone are in every room\'s answer');
  assert.ok(p.json.events.some((e) => e.type === 'channel_event' && e.data.event === 'user:joined'));
  for (const e of p.json.events) assert.ok(e.timestamp <= p.json.now);
  assert.deepEqual((await poll('general', p.json.now)).json.events, []);
  await ack(bob, 'message:send', { roomName: 'general', content: 'p2' });
  const p2 = await poll('general', p.json.now);
  assert.deepEqual(p2.json.events.map((e) => [e.type, e.data.content]), [['channel_message', 'p2']]);
  assert.deepEqual((await poll('dm:ab', p2.json.now)).json.events, []);
  assert.equal((await api(srv, 'GET', '/poll', { token: tok })).status, 400);
  assert.equal((await api(srv, 'GET', '/poll?channelId=general&since=x', { token: tok })).status, 400);

  // requests keep a session without a stream alive past the grace
  await sleep(GRACE_MS * 0.7);
  await poll('general', 0);
  await sleep(GRACE_MS * 0.7);
  assert.deepEqual((await emit('echo', 5)).json, { ack: 5 }, 'still alive');

  const offline = next(bob, 'presence:changed', (x) => x.userId === 'alice' && x.status === 'offline', 1000);
  assert.deepEqual((await api(srv, 'DELETE', '/api/realtime/session', { token: tok, session: sid })).json, { ok: true });
  await offline;
  assert.equal((await emit('echo', 1)).json.error.code, 'SESSION_NOT_FOUND');
  assert.equal((await api(srv, 'DELETE', '/api/realtime/session', { token: tok, session: sid })).status, 404);
});

test('seed routes: POST /messages, /typing, /presence/:channelId', async () => {
  const bob = await srv.connect('bob');
  await ack(bob, 'room:join', { roomName: 'general' });
  const tok = await srv.token('carol');
  const got = next(bob, 'message:new');
  const m = await api(srv, 'POST', '/messages', { token: tok, body: { channelId: 'general', userId: 'carol', content: 'seeded', mentions: ['bob'], clientMessageId: 'seed1' } });
  assert.equal(m.status, 200);
  assert.deepEqual(m.json.ack, { success: true, data: { ...m.json.ack.data, clientMessageId: 'seed1', roomName: 'general', duplicate: false } });
  const nm = await got;
  assert.deepEqual([nm.userId, nm.content, nm.mentions], ['carol', 'seeded', ['bob']]);

  const typing = next(bob, 'typing:event');
  assert.deepEqual((await api(srv, 'POST', '/typing', { token: tok, body: { userId: 'carol', channelId: 'general', isTyping: true } })).json, { ack: null });
  assert.deepEqual((await typing).users.map((u) => u.userId), ['carol']);
  const stopped = next(bob, 'typing:event');
  await api(srv, 'POST', '/typing', { token: tok, body: { channelId: 'general', isTyping: false } });
  assert.deepEqual((await stopped).users, []);

  const busy = next(bob, 'presence:changed', (p) => p.userId === 'carol' && p.status === 'busy');
  assert.deepEqual((await api(srv, 'POST', '/presence/general', { token: tok, body: { userId: 'carol', status: 'busy' } })).json, { ack: null });
  await busy;
  assert.equal((await ctl('GET', '/stats')).sseSessions, 1, 'one implicit session for the user\'s requests');

  assert.equal((await api(srv, 'POST', '/messages', { token: tok, body: { channelId: 'general', userId: 'mallory', content: 'x' } })).status, 403);
  assert.equal((await api(srv, 'POST', '/messages', { token: tok, body: { content: 'x' } })).status, 400);
  assert.equal((await api(srv, 'POST', '/typing', { token: tok, body: { channelId: 'general', isTyping: 'yes' } })).status, 400);
});

test('/drop cuts streams (rooms kept), /disconnect ends a session, /reset ends all and clears the faults', async () => {
  const a = await session('alice');
  await a.emit('room:join', { roomName: 'general' });
  const bob = await srv.connect('bob');
  await ack(bob, 'room:join', { roomName: 'general' });
  const joined = await a.st.take((e) => e.type === 'channel_event');
  const back = next(bob, 'connected', () => true, 3000);
  assert.ok((await ctl('POST', '/drop')).dropped >= 2);
  await a.st.waitEnd();
  await back;
  await ack(bob, 'room:join', { roomName: 'general' });
  const st2 = await openStream(srv, a.tok, { lastEventId: joined.id });
  assert.equal((await st2.take()).data.resumed, true);
  await ack(bob, 'message:send', { roomName: 'general', content: 'after drop' });
  assert.equal((await st2.take((e) => e.type === 'channel_message')).data.content, 'after drop', 'the session kept its rooms');

  assert.deepEqual(await ctl('POST', '/disconnect', { userId: 'alice' }), { ok: true, disconnected: 1 });
  await st2.waitEnd();
  await untilStats((s) => s.sseSessions === 0);

  const b = await session('alice');
  await ctl('POST', '/block-websocket', { on: true });
  await ctl('POST', '/block-sse', { on: true });
  await ctl('POST', '/sse/replay', { count: 3 });
  await ctl('POST', '/expire-tokens');
  await ctl('POST', '/reset');
  await b.st.waitEnd();
  const s = await ctl('GET', '/stats');
  assert.deepEqual([s.sseSessions, s.sseStreams], [0, 0]);
  const f = await ctl('GET', '/faults');
  assert.deepEqual([f.blockWebsocket, f.blockSse, f.sseReplay, f.tokensExpired], [false, false, 0, false]);
  assert.equal((await api(srv, 'GET', '/poll?channelId=general&since=0', { token: await srv.token('alice') })).json.events.length, 0, 'the poll log is cleared');
});

test('/silence: the stream gets nothing, pings neither; /latency delays events and acks', async () => {
  const a = await session('alice');
  await ctl('POST', '/silence', { on: true });
  const seen = a.st.events.length;
  await sleep(1300);
  assert.equal(a.st.events.length, seen, 'no ping while silenced');
  await ctl('POST', '/silence', { on: false });
  await a.st.take((e) => e.type === 'ping', 2500);

  await ctl('POST', '/latency', { ms: 200 });
  const t0 = Date.now();
  assert.deepEqual((await a.emit('echo', 7)).json, { ack: 7 }, 'the ack wait counts the latency in');
  assert.ok(Date.now() - t0 >= 180, 'the ack was delayed');
  await ctl('POST', '/latency', { ms: 0 });
});

test('channel stream: /api/realtime/stream/channel/:id carries its own events and that channel\'s only; resumes; refusals', async () => {
  await ctl('POST', '/rooms', { names: ['random'] });
  const tok = await srv.token('alice');
  const path = '/api/realtime/stream/channel/general';
  const st = await openStream(srv, tok, { path });
  assert.equal(st.status, 200);
  const init = await st.take((e) => e.type === 'init');
  assert.equal(init.data.userId, 'alice');
  await st.take((e) => e.type === 'connection');
  const ci = await st.take((e) => e.type === 'channel_init');
  assert.deepEqual(ci.data.members, ['alice'], 'the session joined the channel');
  const bob = await srv.connect('bob');
  await ack(bob, 'room:join', { roomName: 'general' });
  await ack(bob, 'room:join', { roomName: 'random' });
  assert.equal((await st.take((e) => e.type === 'channel_event')).data.data.userId, 'bob');
  // alice's own session (a user-wide stream) beside it, in random too
  const all = await session('alice');
  await all.emit('room:join', { roomName: 'random' });
  await ack(bob, 'message:send', { roomName: 'random', content: 'elsewhere' });
  bob.emit('typing:start', { roomName: 'random' });
  bob.emit('presence:update', { status: 'away' });
  await ack(bob, 'message:send', { roomName: 'general', content: 'here' });
  bob.emit('typing:start', { roomName: 'general' });
  await all.st.take((e) => e.type === 'channel_message' && e.data.content === 'elsewhere');
  const here = await st.take((e) => e.type === 'channel_message');
  assert.equal(here.data.content, 'here', 'random\'s message is not on general\'s stream');
  const typing = await st.take((e) => e.type === 'broadcast');
  assert.equal(typing.data.data.roomName, 'general');
  await sleep(100);
  const types = st.events.map((e) => `${e.type}:${e.data?.channelId ?? e.data?.channel ?? e.data?.data?.roomName ?? ''}`);
  assert.ok(types.every((t) => /^(init|connection|ping):|:general$/.test(t)), types.join(' '));
  // a resume replays what it missed, filtered likewise
  const lastId = here.id;
  st.close();
  await untilStats((s) => s.sseStreams === 1);
  await ack(bob, 'message:send', { roomName: 'random', content: 'missed elsewhere' });
  await ack(bob, 'message:send', { roomName: 'general', content: 'missed here' });
  const again = await openStream(srv, tok, { path, lastEventId: lastId });
  assert.equal((await again.take((e) => e.type === 'init')).data.resumed, true);
  const missed = (await again.take((e) => e.type === 'channel_message'));
  assert.equal(missed.data.content, 'missed here');
  // the user-wide stream's id does not resume a channel stream (a new session)
  const other = await openStream(srv, tok, { path, lastEventId: all.init.id });
  assert.equal((await other.take((e) => e.type === 'init')).data.resumed, false);
  // refusals
  const gone = await openStream(srv, tok, { path: '/api/realtime/stream/channel/nope' });
  assert.deepEqual([gone.status, gone.json.error.code], [404, 'ROOM_NOT_FOUND']);
  assert.equal((await openStream(srv, null, { path })).status, 401);
  await ctl('POST', '/block-sse', { on: true });
  assert.equal((await openStream(srv, tok, { path })).status, 503);
  await ctl('POST', '/block-sse', { on: false });
  assert.equal((await ctl('GET', '/stats')).contractViolations, 0);
});

test('status: /api/realtime/status with or without a token', async () => {
  const a = await session('alice');
  const anon = await api(srv, 'GET', '/api/realtime/status', {});
  assert.equal(anon.status, 200);
  assert.equal(anon.json.status, 'ok');
  assert.equal(anon.json.sseSessions, 1);
  assert.equal(anon.json.sseStreams, 1);
  assert.ok(anon.json.connections >= 1);
  assert.equal(typeof anon.json.uptime, 'number');
  assert.equal(anon.json.user, undefined);
  const mine = await api(srv, 'GET', '/api/realtime/status', { token: a.tok });
  assert.deepEqual(mine.json.user, { userId: 'alice', sessions: 1 });
  const bad = await api(srv, 'GET', '/api/realtime/status', { token: 'not-a-jwt' });
  assert.equal(bad.status, 401);
});
