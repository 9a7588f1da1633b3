// Self-test for the chat-realtime test server. Run with `npm test`.
// Spawns server.js on free ports with short heartbeat settings and drives it
// with socket.io-client, a raw WebSocket client and the control API.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { io as ioc } from 'socket.io-client';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
const PING_INTERVAL_MS = 1000;
const PING_TIMEOUT_MS = 1000;
const TYPING_TIMEOUT_MS = 500;

let server;
let RT; // realtime base URL
let CTL; // control base URL
const clients = new Set();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolve with the promise's value, or with `fallback` after ms (timer cleared either way). */
function within(promise, ms, fallback = null) {
  let t;
  return Promise.race([promise, new Promise((r) => { t = setTimeout(() => r(fallback), ms); })]).finally(() => clearTimeout(t));
}

before(async () => {
  server = spawn(process.execPath, [path.join(here, 'server.js')], {
    env: {
      ...process.env,
      REALTIME_PORT: '0',
      CONTROL_PORT: '0',
      PING_INTERVAL_MS: String(PING_INTERVAL_MS),
      PING_TIMEOUT_MS: String(PING_TIMEOUT_MS),
      TYPING_TIMEOUT_MS: String(TYPING_TIMEOUT_MS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('server did not print READY')), 10000);
    server.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/READY realtime=(\d+) control=(\d+)/);
      if (m) { clearTimeout(t); resolve(m); }
    });
    server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
  });
  RT = `http://127.0.0.1:${line[1]}`;
  CTL = `http://127.0.0.1:${line[2]}`;
});

after(async () => {
  for (const c of clients) c.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((r) => server.once('exit', (code, sig) => r({ code, sig })));
    server.kill('SIGTERM');
    const res = await within(exited, 3000);
    if (!res) server.kill('SIGKILL');
    else assert.equal(res.code, 0, 'server exits cleanly on SIGTERM');
  }
});

beforeEach(async () => {
  for (const c of clients) c.close();
  clients.clear();
  // let the server notice the closed clients so tests start from zero connections
  for (let i = 0; i < 100 && (await ctl('GET', '/stats')).connections > 0; i += 1) await sleep(10);
  await ctl('POST', '/reset');
});

async function ctl(method, p, body) {
  const res = await fetch(CTL + p, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${p} -> ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function token(sub, extra = '') {
  return (await ctl('GET', `/token?sub=${encodeURIComponent(sub)}&name=${encodeURIComponent(sub.toUpperCase())}${extra}`)).token;
}

/** Wait for the next `event` on `emitter` matching `pred`. Call before triggering the action. */
function next(sock, event, pred = () => true, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { sock.off(event, h); reject(new Error(`timeout waiting for ${event}`)); }, timeoutMs);
    function h(...args) {
      if (!pred(...args)) return;
      clearTimeout(t);
      sock.off(event, h);
      resolve(args[0]);
    }
    sock.on(event, h);
  });
}

/** Collect every payload of `event` into an array. */
function collect(sock, event) {
  const out = [];
  sock.on(event, (d) => out.push(d));
  return out;
}

async function connect(sub, opts = {}) {
  const tok = opts.token ?? (await token(sub));
  const sock = ioc(RT, {
    auth: { token: tok, device: { type: 'test', os: 'linux', browser: 'node' } },
    transports: ['websocket'],
    forceNew: true,
    reconnectionDelay: 100,
    reconnectionDelayMax: 200,
    timeout: 1000,
    ...opts.io,
  });
  clients.add(sock);
  if (opts.noWait) return sock;
  const connected = next(sock, 'connected');
  const authenticated = next(sock, 'authenticated');
  sock.__connected = await connected;
  sock.__auth = await authenticated;
  return sock;
}

function connectError(tok) {
  const sock = ioc(RT, { auth: tok === undefined ? {} : { token: tok }, transports: ['websocket'], forceNew: true, reconnection: false });
  clients.add(sock);
  return next(sock, 'connect_error').finally(() => sock.close());
}

/** Raw Engine.IO/Socket.IO websocket client (no heartbeat handling unless told). */
async function rawClient(sub) {
  const tok = await token(sub);
  const ws = new WebSocket(`${RT.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  ws.on('message', (data, isBinary) => frames.push(isBinary ? Buffer.from(data) : data.toString()));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const waitFrame = async (pred, timeoutMs = 2000) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const i = frames.findIndex(pred);
      if (i >= 0) return frames.splice(i, 1)[0];
      await sleep(10);
    }
    throw new Error('timeout waiting for raw frame');
  };
  await waitFrame((f) => typeof f === 'string' && f.startsWith('0{'));
  ws.send(`40${JSON.stringify({ token: tok })}`);
  await waitFrame((f) => typeof f === 'string' && f.startsWith('40{'));
  await waitFrame((f) => typeof f === 'string' && f.startsWith('42["authenticated"'));
  return { ws, frames, waitFrame };
}

const ack = (sock, event, payload, timeoutMs = 2000) => sock.timeout(timeoutMs).emitWithAck(event, payload);

// ---------------------------------------------------------------------------

test('health endpoints and CORS', async () => {
  const h = await (await fetch(`${RT}/health`)).json();
  assert.equal(h.status, 'healthy');
  assert.equal(typeof h.timestamp, 'number');
  assert.equal(typeof h.connections, 'number');
  assert.equal(typeof h.uptime, 'number');
  assert.deepEqual(await ctl('GET', '/health'), { ok: true });
  const pre = await fetch(`${CTL}/latency`, {
    method: 'OPTIONS',
    headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type' },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers'), /content-type/i);
  const sio = await fetch(`${RT}/socket.io/?EIO=4&transport=polling`, { headers: { Origin: 'http://example.test' } });
  assert.equal(sio.headers.get('access-control-allow-origin'), 'http://example.test');
  assert.match(await sio.text(), /^0\{"sid"/);
});

test('auth: accept, reject bad/expired/missing, reject-auth, stats', async () => {
  const a = await connect('alice');
  assert.equal(a.__connected.protocolVersion, 5);
  assert.equal(a.__connected.socketId, a.id);
  assert.equal(typeof a.__connected.serverTime, 'number');
  assert.equal(a.__auth.userId, 'alice');
  assert.equal(typeof a.__auth.sessionId, 'string');
  assert.deepEqual(a.__auth.rooms, []);

  assert.equal((await connectError(await token('x', '&bad=1'))).message, 'invalid token');
  assert.equal((await connectError(await token('x', '&expiresIn=-10'))).message, 'token expired');
  assert.equal((await connectError('garbage')).message, 'invalid token');
  assert.equal((await connectError(undefined)).message, 'missing token');

  await ctl('POST', '/reject-auth', { count: 2 });
  const good = await token('carol');
  assert.equal((await connectError(good)).message, 'authentication rejected');
  assert.equal((await connectError(good)).message, 'authentication rejected');
  await connect('carol', { token: good });

  const st = await ctl('GET', '/stats');
  assert.equal(st.authAttempts, 8);
  assert.equal(st.authRejected, 6);
  assert.equal(st.connections, 2);
  assert.equal(st.connectionsTotal, 2);
  const conns = await ctl('GET', '/connections');
  assert.deepEqual(conns.connections.find((c) => c.userId === 'alice').device, { type: 'test', os: 'linux', browser: 'node' });
});

test('polling transport connects and upgrades', async () => {
  const s = await connect('poller', { io: { transports: ['polling', 'websocket'] } });
  assert.equal(s.__auth.userId, 'poller');
  const r = await ack(s, 'room:join', { roomName: 'p' });
  assert.equal(r.success, true);
});

test('rooms, messages, dedupe, delivery, read, edit, sync', async () => {
  const alice = await connect('alice');
  const alice2 = await connect('alice');
  const bob = await connect('bob');

  assert.deepEqual(await ack(alice, 'room:join', { roomName: 'general' }), { success: true, data: { roomName: 'general', members: ['alice'] } });
  const joined = next(alice, 'user:joined');
  const bj = await ack(bob, 'room:join', { roomName: 'general' });
  assert.deepEqual(bj.data.members.sort(), ['alice', 'bob']);
  assert.deepEqual(await joined, { roomName: 'general', userId: 'bob', userName: 'BOB' });

  const bobGot = next(bob, 'message:new');
  const alice2Got = next(alice2, 'message:new');
  const delivered = next(alice, 'message:delivered');
  const sent = await ack(alice, 'message:send', { roomName: 'general', content: 'hi', clientMessageId: 'c1', mentions: ['bob'] });
  assert.equal(sent.success, true);
  assert.match(sent.data.id, /^m_\d+$/);
  assert.equal(sent.data.clientMessageId, 'c1');
  assert.equal(sent.data.roomName, 'general');
  assert.equal(sent.data.duplicate, false);
  const msg = await bobGot;
  assert.equal(msg.id, sent.data.id);
  assert.equal(msg.userId, 'alice');
  assert.equal(msg.userName, 'ALICE');
  assert.equal(msg.content, 'hi');
  assert.equal(msg.type, 'text');
  assert.deepEqual(msg.mentions, ['bob']);
  assert.equal(msg.timestamp, sent.data.timestamp);
  assert.equal((await alice2Got).id, sent.data.id, "sender's other socket gets message:new");
  const d = await delivered;
  assert.deepEqual({ ...d, deliveredAt: 0 }, { messageId: sent.data.id, clientMessageId: 'c1', roomName: 'general', userId: 'bob', deliveredAt: 0 });

  // duplicate: same ack, no re-broadcast
  const bobMsgs = collect(bob, 'message:new');
  const dup = await ack(alice, 'message:send', { roomName: 'general', content: 'hi', clientMessageId: 'c1' });
  assert.deepEqual(dup, { success: true, data: { ...sent.data, duplicate: true } });
  await sleep(150);
  assert.equal(bobMsgs.length, 0);
  const rec = await ctl('GET', '/received');
  assert.equal(rec.messages.length, 1);
  assert.deepEqual(rec.messages[0], { id: sent.data.id, clientMessageId: 'c1', roomName: 'general', userId: 'alice', content: 'hi', timestamp: sent.data.timestamp });
  assert.equal(rec.sendCounts.c1, 2);

  // invalid payloads
  const err = next(alice, 'error');
  const bad = await ack(alice, 'message:send', { roomName: 'general', clientMessageId: 'c2' });
  assert.equal(bad.success, false);
  assert.equal(bad.error.code, 'INVALID_PAYLOAD');
  assert.equal((await err).code, 'INVALID_PAYLOAD');
  const err2 = next(alice, 'error');
  alice.emit('message:send', 'not an object');
  assert.equal((await err2).code, 'INVALID_PAYLOAD');
  const err3 = next(alice, 'error');
  alice.emit('room:join');
  assert.equal((await err3).code, 'INVALID_PAYLOAD');

  // read receipts
  const readEv = next(alice, 'message:read');
  const rr = await ack(bob, 'message:read', { roomName: 'general', messageIds: [sent.data.id] });
  assert.deepEqual(rr, { success: true, data: { count: 1 } });
  const r = await readEv;
  assert.equal(r.messageId, sent.data.id);
  assert.equal(r.clientMessageId, 'c1');
  assert.equal(r.userId, 'bob');
  assert.equal(typeof r.readAt, 'number');

  const ds = await ack(alice, 'delivery:status', { messageIds: ['c1', 'nope'] });
  assert.equal(ds.data.statuses[0].messageId, sent.data.id);
  assert.equal(ds.data.statuses[0].status, 'read');
  assert.deepEqual(ds.data.statuses[0].deliveredTo, ['bob']);
  assert.deepEqual(ds.data.statuses[0].readBy, ['bob']);
  assert.equal(ds.data.statuses[1].status, 'unknown');

  // second message: delivered only
  const s2 = await ack(bob, 'message:send', { roomName: 'general', content: 'yo', clientMessageId: 'c3', threadId: 't1' });
  const ds2 = await ack(bob, 'delivery:status', { messageIds: [s2.data.id] });
  assert.equal(ds2.data.statuses[0].status, 'delivered');

  // edit
  const upd = next(bob, 'message:updated');
  const ed = await ack(alice, 'message:edit', { messageId: sent.data.id, roomName: 'general', content: 'hi (edited)' });
  assert.equal(ed.success, true);
  assert.equal(ed.data.message.content, 'hi (edited)');
  assert.equal(ed.data.message.editedBy, 'alice');
  assert.equal(typeof ed.data.message.editedAt, 'number');
  assert.equal((await upd).message.content, 'hi (edited)');
  const nf = await ack(alice, 'message:edit', { messageId: 'm_999999', content: 'x' });
  assert.equal(nf.error.code, 'NOT_FOUND');

  // sync
  const sm = await ack(bob, 'sync:messages', { roomName: 'general', since: 0 });
  assert.deepEqual(sm.data.messages.map((m) => m.clientMessageId), ['c1', 'c3']);
  assert.equal(sm.data.messages[0].content, 'hi (edited)');
  assert.equal(sm.data.messages[1].threadId, 't1');
  const sm2 = await ack(bob, 'sync:messages', { roomName: 'general', since: s2.data.timestamp });
  assert.deepEqual(sm2.data.messages.map((m) => m.clientMessageId), ['c1'], 'edited message after since is included');
  const sc = await ack(bob, 'sync:channels', {});
  assert.equal(sc.data.channels.length, 1);
  assert.equal(sc.data.channels[0].roomName, 'general');
  assert.equal(typeof sc.data.channels[0].lastMessageAt, 'number');
  assert.equal(typeof sc.data.serverTime, 'number');

  // sender auto-join
  const s3 = await ack(bob, 'message:send', { roomName: 'random', content: 'x', clientMessageId: 'c4' });
  assert.equal(s3.success, true);
  assert.deepEqual((await ack(bob, 'sync:channels', {})).data.channels.map((c) => c.roomName).sort(), ['general', 'random']);

  // leave
  const left = next(alice, 'user:left');
  assert.deepEqual(await ack(bob, 'room:leave', { roomName: 'random' }), { success: true, data: { roomName: 'random' } });
  await ack(alice, 'room:join', { roomName: 'random' });
  const left2 = next(alice, 'user:left');
  await ack(bob, 'room:leave', { roomName: 'general' });
  assert.equal((await left2).userId, 'bob');
  void left.catch(() => {});

  // membership persists per user across reconnects
  await ack(bob, 'room:join', { roomName: 'general' });
  bob.close();
  const bobAgain = await connect('bob');
  assert.deepEqual(bobAgain.__auth.rooms, ['general']);
  const got = next(bobAgain, 'message:new');
  await ack(alice, 'message:send', { roomName: 'general', content: 'again', clientMessageId: 'c5' });
  assert.equal((await got).content, 'again');
});

test('typing events and server-side expiry', async () => {
  const alice = await connect('alice', { token: await token('alice', '&avatar=a.png') });
  const bob = await connect('bob');
  await ack(alice, 'room:join', { roomName: 'general' });
  await ack(bob, 'room:join', { roomName: 'general' });
  const toBob = next(bob, 'typing:event');
  const toAlice = next(alice, 'typing:event');
  alice.emit('typing:start', { roomName: 'general' });
  const ev = await toBob;
  assert.equal(ev.roomName, 'general');
  assert.equal(ev.users.length, 1);
  assert.equal(ev.users[0].userId, 'alice');
  assert.equal(ev.users[0].userName, 'ALICE');
  assert.equal(ev.users[0].userAvatar, 'a.png');
  assert.equal(typeof ev.users[0].startedAt, 'number');
  assert.equal((await toAlice).users.length, 1, 'typer gets the event too');
  const t0 = Date.now();
  const expired = await next(bob, 'typing:event', (e) => e.users.length === 0, 2000);
  assert.ok(Date.now() - t0 >= TYPING_TIMEOUT_MS - 100, 'expires after TYPING_TIMEOUT_MS');
  assert.equal(expired.roomName, 'general');
  // explicit stop, in a thread
  const thread = next(bob, 'typing:event', (e) => e.threadId === 't' && e.users.length === 1);
  bob.emit('typing:start', { roomName: 'general', threadId: 't' });
  await thread;
  const stopped = next(alice, 'typing:event', (e) => e.threadId === 't' && e.users.length === 0);
  bob.emit('typing:stop', { roomName: 'general', threadId: 't' });
  await stopped;
});

test('presence', async () => {
  const alice = await connect('alice');
  const online = next(alice, 'presence:changed', (p) => p.userId === 'bob');
  const bob = await connect('bob');
  assert.deepEqual(await online, { userId: 'bob', status: 'online' });
  const away = next(alice, 'presence:changed', (p) => p.userId === 'bob');
  assert.deepEqual(await ack(bob, 'presence:update', { status: 'away', customStatus: 'lunch' }), { success: true });
  assert.deepEqual(await away, { userId: 'bob', status: 'away', customStatus: 'lunch' });
  const busy = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'busy');
  const cs = { text: 'In a meeting', emoji: '📅', expiresAt: 4102444800000 };
  assert.deepEqual(await ack(bob, 'presence:update', { status: 'busy', customStatus: cs }), { success: true });
  assert.deepEqual(await busy, { userId: 'bob', status: 'busy', customStatus: cs });
  const back = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'away');
  await ack(bob, 'presence:update', { status: 'away', customStatus: 'lunch' });
  await back;
  const err = next(bob, 'error');
  bob.emit('presence:update', { status: 'sleeping' });
  assert.equal((await err).code, 'INVALID_PAYLOAD');
  const sub = await ack(alice, 'presence:subscribe', { userIds: ['bob', 'nobody'] });
  assert.deepEqual(sub.data.presences, [{ userId: 'bob', status: 'away', customStatus: 'lunch' }, { userId: 'nobody', status: 'offline' }]);
  const offline = next(alice, 'presence:changed', (p) => p.userId === 'bob' && p.status === 'offline');
  bob.close();
  assert.equal(typeof (await offline).lastSeenAt, 'number');
});

test('ping/pong', async () => {
  const a = await connect('alice');
  const pong = next(a, 'pong');
  const r = await ack(a, 'ping', {});
  assert.equal(typeof r.timestamp, 'number');
  assert.equal(typeof (await pong).timestamp, 'number');
  const pong2 = next(a, 'pong');
  a.emit('ping');
  await pong2;
  assert.equal((await ctl('GET', '/stats')).pingsAnswered, 2);
});

test('/drop closes the transport and the client reconnects', async () => {
  const a = await connect('alice');
  const disc = next(a, 'disconnect');
  const back = next(a, 'authenticated', () => true, 3000);
  assert.ok((await ctl('POST', '/drop')).dropped >= 1);
  assert.equal(await disc, 'transport close');
  assert.equal((await back).userId, 'alice');
});

test('/silence: no pings, server keeps link open, client times out', async () => {
  const raw = await rawClient('rawuser');
  const a = await connect('alice');
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
  // a new connection gets nothing either (no open packet)
  const fresh = new WebSocket(`${RT.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const freshFrames = [];
  fresh.on('message', (d) => freshFrames.push(d.toString()));
  await new Promise((r) => fresh.once('open', r));
  await sleep(300);
  assert.deepEqual(freshFrames, []);
  fresh.terminate();
  // off: pings resume on the surviving connection, alice reconnects
  const back = next(a, 'authenticated', () => true, 5000);
  await ctl('POST', '/silence', { on: false });
  await raw.waitFrame((f) => f === '2', PING_INTERVAL_MS + 1000);
  await back;
  raw.ws.terminate();
});

test('/latency delays everything in order', async () => {
  const a = await connect('alice');
  await ctl('POST', '/latency', { ms: 300 });
  let t0 = Date.now();
  await ack(a, 'ping', {});
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
  await ack(a, 'ping', {});
  assert.ok(Date.now() - t0 < 150);
});

test('/restart stops listening then comes back; client reconnects', async () => {
  const a = await connect('alice');
  await ack(a, 'room:join', { roomName: 'general' });
  const disc = next(a, 'disconnect', () => true, 3000);
  const restart = ctl('POST', '/restart', { downMs: 600 });
  assert.equal(await disc, 'transport close');
  await sleep(200);
  await assert.rejects(fetch(`${RT}/health`), 'realtime port is down during restart');
  const st = await ctl('GET', '/health');
  assert.deepEqual(st, { ok: true }, 'control port survives restart');
  const back = next(a, 'authenticated', () => true, 4000);
  const r = await restart;
  assert.equal(r.ok, true);
  assert.deepEqual((await back).rooms, ['general']);
  assert.equal((await (await fetch(`${RT}/health`)).json()).status, 'healthy');
});

test('/raw and /raw-binary send frames verbatim', async () => {
  const raw = await rawClient('rawuser');
  assert.equal((await ctl('POST', '/raw', { frame: '42["oops"' })).sent, 1);
  assert.equal(await raw.waitFrame((f) => f === '42["oops"'), '42["oops"');
  await ctl('POST', '/raw', { frame: '9zzz' });
  await raw.waitFrame((f) => f === '9zzz');
  await ctl('POST', '/raw-binary', { bytes: [1, 2, 255] });
  const bin = await raw.waitFrame((f) => Buffer.isBuffer(f));
  assert.deepEqual([...bin], [1, 2, 255]);
  raw.ws.terminate();
});

test('/emit burst of 20000 events', async () => {
  const a = await connect('alice');
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
  await within(done, 10000);
  assert.equal(n, 20000);
  assert.ok(ordered);
});

test('benchmark baselines: raw /echo WebSocket and the echo event', async () => {
  const ws = new WebSocket(`${RT.replace('http', 'ws')}/echo`);
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const echoed = new Promise((resolve) => ws.once('message', (d, isBinary) => resolve([d.toString(), isBinary])));
  ws.send('{"n":1}');
  assert.deepEqual(await within(echoed, 2000), ['{"n":1}', false]);
  ws.terminate();
  const a = await connect('alice');
  assert.deepEqual(await ack(a, 'echo', { n: 2, s: 'x' }), { n: 2, s: 'x' });
  assert.equal((await ctl('GET', '/stats')).connections, 1, '/echo sockets are not Socket.IO connections');
});

test('/reset clears state and faults', async () => {
  const a = await connect('alice');
  await ack(a, 'message:send', { roomName: 'general', content: 'x', clientMessageId: 'r1' });
  await ctl('POST', '/latency', { ms: 50 });
  await ctl('POST', '/reject-auth', { count: 3 });
  await ctl('POST', '/reset');
  assert.deepEqual(await ctl('GET', '/faults'), { silenced: false, latencyMs: 0, rejectAuth: 0, listening: true });
  assert.deepEqual(await ctl('GET', '/received'), { messages: [], sendCounts: {} });
  const st = await ctl('GET', '/stats');
  assert.equal(st.authAttempts, 0);
  assert.equal(st.connections, 1);
  assert.deepEqual((await ack(a, 'sync:channels', {})).data.channels, []);
  const again = await ack(a, 'message:send', { roomName: 'general', content: 'x', clientMessageId: 'r1' });
  assert.equal(again.data.duplicate, false, 'dedupe memory cleared by reset');
});
