// The real nself server's contract, against the test server that follows it:
// ready only after `connected`, rooms re-joined after every reconnect before
// any traffic, sends with a clientMessageId that survive reconnects, the
// `{success:true}` ack with no id, `userId` from the JWT, the custom status
// with its emoji and ISO-8601 dates, and server error codes as typed errors.
import { test, assert, equal, deepEqual, rejects } from './harness.js';
import { OfflineQueueService, PresenceService } from './pkg.js';
import {
  reset, client, connected, connectedB, own, token, get, post, postB, sleep, waitUntil, Recorder, EventRecorder,
  spawnControl, waitServerDown, clearStorage, json, cidOf,
} from './support.js';

const FAST = { reconnectDelayMs: 100, reconnectDelayMaxMs: 300 };

async function join(c, channel) {
  return json(await c.joinChannel(channel));
}

/** `message:new` payloads' client ids (top-level with the extensions, in `metadata` on the real server). */
function cids(r) {
  return r.all().map(cidOf).filter((c) => c !== null);
}

function send(c, cid) {
  c.emit('message:send', { roomName: 'channel:general', content: cid, clientMessageId: cid, metadata: { clientMessageId: cid } });
}

test('join right after connect works for twenty fresh clients', async () => {
  await reset();
  const answers = [];
  for (let i = 0; i < 20; i++) {
    const c = client({});
    const ready = new Recorder();
    c.on('connected', ready.f);
    await c.connect(await token(`fresh${i}`));
    // connect() resolves only once the server said it is ready.
    equal(ready.len(), 1, 'connect resolved before `connected`');
    equal(ready.all()[0].protocolVersion, '1.0');
    answers.push(await join(c, 'general'));
    c.disconnect();
  }
  for (const a of answers) {
    equal(a.success, true, JSON.stringify(a));
    equal(a.data.roomName, 'channel:general', JSON.stringify(a));
  }
});

test('user id comes from the token without an authenticated event', async () => {
  await reset();
  const c = client({});
  const auth = new Recorder();
  c.on('authenticated', auth.f);
  await c.connect(await token('tokenuser'));
  equal(c.userId, 'tokenuser');
  equal(auth.len(), 0, 'the real server sends no `authenticated`');
});

test('rooms are rejoined after every reconnect before buffered traffic', async () => {
  await reset();
  const ann = await connected('rejoiner', FAST);
  const ben = await connectedB('ben');
  await join(ann, 'general');
  await join(ben, 'general');
  const mine = new Recorder();
  ann.on('message:new', mine.f);
  const errors = new Recorder();
  ann.onError(errors.f);

  const states = new Recorder();
  ann.onStateChange(states.f);
  for (const [round, fault] of ['/drop', '/restart'].entries()) {
    let back = null;
    if (fault === '/restart') {
      back = spawnControl('POST', '/restart', { downMs: 1200 });
      await waitServerDown();
    } else {
      await post('/drop', {});
    }
    await waitUntil('ann lost the link', 3000, () => !ann.isConnected);
    // Buffered while down: on the real server the sender hears its own
    // message only if its new socket is in the room already, i.e. the
    // re-join went out before the buffered send.
    const cid = `buffered-${round}`;
    send(ann, cid);
    await waitUntil('ann back', 8000, () => ann.isConnected);
    if (back) await waitUntil('server back', 5000, () => back.done);
    await waitUntil('ann hears its own buffered send', 5000, () => cids(mine).includes(cid));
    // And she still gets what ben sends to the room.
    const fromBen = `from-ben-${round}`;
    send(ben, fromBen);
    await waitUntil('ann hears ben', 5000, () => cids(mine).includes(fromBen));
    const connects = states.strings().filter((s) => s === 'connected').length;
    equal(connects, round + 1, JSON.stringify(states.strings()));
  }
  const conns = await get('/connections');
  const annRooms = conns.connections.find((c) => c.userId === 'rejoiner').rooms;
  assert(JSON.stringify(annRooms).includes('channel:general'), JSON.stringify(annRooms));
  deepEqual(errors.all(), []);
});

test('a send made the moment the state turns connected is delivered', async () => {
  await reset();
  const ann = await connected('ann', FAST);
  const ben = await connectedB('ben');
  await join(ben, 'general');
  const got = new Recorder();
  ben.on('message:new', got.f);
  // A listener sends as soon as the state turns connected again.
  ann.onStateChange((s) => {
    if (s === 'connected') {
      ann.emit('message:send', { roomName: 'channel:general', content: 'at once', clientMessageId: 'at-once', metadata: { clientMessageId: 'at-once' } });
    }
  });
  await post('/drop', {});
  await waitUntil('ben gets the send', 8000, () => cids(got).includes('at-once'));
});

test('sends with a client message id survive the server going down', async () => {
  await reset();
  await post('/extensions', { on: false });
  await postB('/extensions', { on: false });
  const ann = await connected('ann', FAST);
  const ben = await connectedB('ben');
  await join(ben, 'general');
  const got = new Recorder();
  ben.on('message:new', got.f);
  const back = spawnControl('POST', '/restart', { downMs: 1500 });
  await waitServerDown();
  await waitUntil('ann lost the link', 3000, () => !ann.isConnected);
  send(ann, 'down-1');
  const acked = ann.emitAsync(
    'message:send',
    { roomName: 'channel:general', content: 'down-2', clientMessageId: 'down-2', metadata: { clientMessageId: 'down-2' } },
    15_000,
  );
  const answer = await acked; // acked after the restart
  equal(answer, undefined, 'the `data` of {success: true}: none');
  await waitUntil('server back', 5000, () => back.done);
  await waitUntil('both arrive', 8000, () => cids(got).length >= 2);
  await sleep(300);
  deepEqual(cids(got), ['down-1', 'down-2']);
  const counts = (await get('/received')).sendCounts;
  equal(counts['down-1'], 1, JSON.stringify(counts));
  equal(counts['down-2'], 1, JSON.stringify(counts));
});

test('the real ack without an id sends each queued message once', async () => {
  clearStorage();
  await reset();
  await post('/extensions', { on: false });
  const ann = client(FAST);
  const q = own(new OfflineQueueService(ann, {}));
  const events = new EventRecorder();
  q.subscribe(events.f);
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const m = json(q.queueMessage({ channelId: 'general', content: `q${i}` }));
    equal(typeof m.clientMessageId, 'string', JSON.stringify(m));
    ids.push(m.clientMessageId);
  }
  await ann.connect(await token('ann'));
  await waitUntil('queue drained', 10_000, () => q.getQueueLength() === 0);
  await sleep(500);
  equal(events.count('message:sent'), 3);
  equal(events.count('message:failed'), 0);
  const counts = (await get('/received')).sendCounts;
  for (const id of ids) equal(counts[id], 1, `${id}: ${JSON.stringify(counts)}`);
});

test('room not found is a typed error and the room is not rejoined', async () => {
  await reset();
  const c = await connected('ann', FAST);
  const errors = new Recorder();
  c.onError(errors.f);
  const err = await rejects(c.joinChannel('nowhere'), Error, 'Room not found');
  equal(err.code, 'ROOM_NOT_FOUND');
  await post('/drop', {});
  await waitUntil('back', 8000, () => c.isConnected);
  await sleep(300);
  deepEqual(errors.all(), []);
});

test('a server that never sends the ready event gives a clear error', async () => {
  await reset();
  const c = client({ readyEvent: 'never-sent', connectTimeoutMs: 800, reconnection: false });
  const errors = new Recorder();
  c.onError(errors.f);
  const err = await rejects(c.connect(await token('ann')), undefined, 'never-sent');
  assert(err.message.includes('readyEvent: null'), err.message);
  assert(errors.all().some((e) => e.code === 'ready_timeout'), JSON.stringify(errors.all()));
  assert(!c.isConnected, 'not connected');
  // `readyEvent: null`: ready at the Socket.IO CONNECT (a plain server).
  const plain = client({ readyEvent: null });
  await plain.connect(await token('ann'));
  assert(plain.isConnected, 'the plain client is connected');
});

test('the custom status travels with its emoji and iso dates', async () => {
  await reset();
  const ann = await connected('ann');
  const ben = await connected('ben');
  const pa = own(new PresenceService(ann, {}));
  const pb = own(new PresenceService(ben, {}));
  const seen = new Recorder();
  ben.on('presence:changed', seen.f);
  const expires = Date.now() + 3_600_000;
  pa.setCustomStatus({ text: 'In a meeting', emoji: '📅', expiresAt: expires });
  await waitUntil('ben sees the emoji', 5000, () => seen.all().some((p) => p.userId === 'ann' && p.customEmoji === '📅'));
  await waitUntil("ben's service has it", 5000, () => json(pb.getPresence('ann'))?.customStatus?.emoji === '📅');
  // The client's own updatePresence takes an ISO string too.
  ann.updatePresence('busy', { text: 'Lunch', emoji: '🍕', expiresAt: '2031-01-01T12:00:00.000Z' });
  await waitUntil('lunch', 5000, () => seen.all().some((p) => p.customStatus === 'Lunch' && p.customEmoji === '🍕'));
  const stats = await get('/stats');
  equal(stats.contractViolations, 0, `the server got a date it cannot store: ${JSON.stringify(stats)}`);
});
