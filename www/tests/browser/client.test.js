// RealtimeClient in a real browser against the real Socket.IO test server.
import { test, assert, equal, deepEqual, rejects, throws } from './harness.js';
import { RealtimeClient, OfflineQueueService, PresenceService, DeliveryEventHandler } from './pkg.js';
import {
  reset, client, connected, own, token, get, post, sleep, waitUntil, Recorder, fireWindowEvent, json,
} from './support.js';

test('connects with a token and reports state', async () => {
  await reset();
  const c = client({ debug: true });
  equal(c.state, 'disconnected');
  const states = new Recorder();
  c.onStateChange(states.f);
  const t = await token('alice');
  await c.connect(t);
  assert(c.isConnected);
  equal(c.state, 'connected');
  assert(c.socketId !== undefined, 'a socket id');
  deepEqual(states.strings(), ['connecting', 'connected']);
  const conns = await get('/connections');
  const device = conns.connections[0].device;
  equal(device.type, 'web');
  c.disconnect();
  equal(c.state, 'disconnected');
});

test('a bad token is rejected clearly and not retried', async () => {
  await reset();
  const c = client({ reconnectDelayMs: 100 });
  const errors = new Recorder();
  c.onError(errors.f);
  const bad = (await get('/token?bad=1')).token;
  await rejects(c.connect(bad), undefined, 'Invalid token');
  equal(c.state, 'disconnected');
  await sleep(1500);
  const stats = await get('/stats');
  equal(stats.authAttempts, 1, `a refusal must not be retried: ${JSON.stringify(stats)}`);
  equal(errors.all()[0].code, 'auth');

  // Expired token and a forced refusal, likewise.
  const expired = (await get('/token?sub=bob&expiresIn=-60')).token;
  // The real server says `Invalid token` for every refused token.
  await rejects(c.connect(expired), undefined, 'Invalid token');
  await post('/reject-auth', { count: 1 });
  await rejects(c.connect(await token('bob')), undefined, 'Invalid token');
  // After refreshing the token the app connects again.
  await c.connect(await token('bob'));
  equal((await get('/stats')).authAttempts, 4);
});

test('events both ways acks and ack timeout', async () => {
  await reset();
  const a = await connected('ann');
  const b = await connected('ben');
  const joined = await a.joinChannel('general');
  equal(joined.success, true);
  await b.joinChannel('general');

  const got = new Recorder();
  b.on('message:new', got.f);
  // As nchat's: emitAsync resolves with the ack's `data`, rejects a refusal with the server's code.
  const data = json(await a.emitAsync('message:send', { roomName: 'channel:general', content: 'hello', clientMessageId: 'c-1' }));
  assert(data.id.startsWith('m_'), `a server id: ${JSON.stringify(data)}`);
  const refused = await rejects(a.emitAsync('message:send', { roomName: 'channel:nowhere', content: 'x', clientMessageId: 'c-0' }), Error);
  equal(refused.code, 'ROOM_NOT_FOUND');
  equal(refused.event, 'message:send');
  // emit's callback gets the whole answer (nchat's `{success, data?, error?}`).
  const whole = await new Promise((resolve) => a.emit('room:join', { roomName: 'channel:general' }, resolve));
  equal(json(whole).success, true);
  await waitUntil('B receives message:new', 3000, () => got.len() === 1);
  equal(got.all()[0].content, 'hello');
  equal(got.all()[0].userId, 'ann');

  // A plain emit reaches the server too.
  a.emit('message:send', { roomName: 'channel:general', content: 'two', clientMessageId: 'c-2' });
  await waitUntil('second message', 3000, () => got.len() === 2);

  // No ack: rejected with a timeout error.
  const start = Date.now();
  await rejects(a.emitAsync('nobody:answers', {}, 300), undefined, 'within 300 ms');
  assert(Date.now() - start >= 290, `rejected after ${Date.now() - start} ms`);

  // once() fires once; an unsubscribed listener stops.
  const once = new Recorder();
  b.once('message:new', once.f);
  const unsub = b.on('message:new', got.f);
  for (let i = 3; i < 5; i++) {
    a.emit('message:send', { roomName: 'channel:general', content: `m${i}`, clientMessageId: `c-${i}` });
  }
  await waitUntil('both', 3000, () => got.len() === 6);
  equal(once.len(), 1);
  unsub();
  unsub(); // idempotent
  a.emit('message:send', { roomName: 'channel:general', content: '5', clientMessageId: 'c-5' });
  await waitUntil('fifth', 3000, () => got.len() === 7);
});

test('a listener that throws is reported and others still run', async () => {
  await reset();
  const c = await connected('thrower');
  const errors = new Recorder();
  c.onError(errors.f);
  const good = new Recorder();
  c.on('burst', () => { throw new Error('boom'); });
  c.on('burst', good.f);
  await post('/emit', { event: 'burst', data: { n: 1 } });
  await waitUntil('good listener', 3000, () => good.len() === 1);
  equal(errors.all()[0].code, 'listener');
  assert(errors.all()[0].message.includes('boom'), JSON.stringify(errors.all()[0]));
});

test('server restart reconnects within the backoff bound', async () => {
  await reset();
  const c = await connected('restart', { seed: 1 });
  const states = new Recorder();
  c.onStateChange(states.f);
  const got = new Recorder();
  c.on('after', got.f);
  await post('/restart', { downMs: 1500 });
  // Down 1.5 s: attempts at ~1 s (refused) and ~3 s (1 s + 2 s backoff, +10 % jitter).
  const took = await waitUntil('reconnected', 8000, () => c.isConnected);
  assert(took < 8000, `took ${took} ms`);
  const seen = states.strings();
  equal(seen[0], 'reconnecting', JSON.stringify(seen));
  equal(seen.at(-1), 'connected', JSON.stringify(seen));
  assert(!seen.includes('disconnected'), JSON.stringify(seen));
  equal(c.reconnectAttempts, 0);
  // Listeners survive the reconnect, not duplicated.
  await post('/emit', { event: 'after', data: 1 });
  await waitUntil('event after reconnect', 3000, () => got.len() === 1);
  await sleep(200);
  equal(got.len(), 1);
});

test('dropped connection reconnects and buffered emits go out in order', async () => {
  await reset();
  const c = await connected('dropper', { reconnectDelayMs: 300 });
  await post('/drop', {});
  await waitUntil('noticed the drop', 3000, () => c.state === 'reconnecting');
  for (let i = 0; i < 3; i++) {
    c.emit('message:send', { roomName: 'r', content: `m${i}`, clientMessageId: `buf-${i}` });
  }
  equal(c.emitVolatile('message:send', { roomName: 'r', content: 'v', clientMessageId: 'vol' }), false);
  await waitUntil('reconnected', 5000, () => c.isConnected);
  await sleep(300);
  const received = await get('/received');
  const ids = received.messages.map((m) => m.clientMessageId);
  deepEqual(ids, ['buf-0', 'buf-1', 'buf-2']);
});

test('a silent server is declared dead and the client reconnects', async () => {
  await reset();
  // scripts/with-server.sh runs the server with pingInterval 2000 + pingTimeout 2000.
  const c = await connected('silent', { reconnectDelayMs: 200 });
  const reasons = new Recorder();
  c.onDisconnect(reasons.f);
  await post('/silence', { on: true });
  const took = await waitUntil('dead link detected', 7000, () => c.state !== 'connected');
  assert(took <= 4000 + 1000, `took ${took} ms`);
  deepEqual(reasons.strings(), ['ping timeout']);
  await post('/silence', { on: false });
  await waitUntil('reconnected', 8000, () => c.isConnected);
});

test('quality follows added latency', async () => {
  await reset();
  const c = await connected('latent', { latencyWindow: 2, probeTimeoutMs: 5000 });
  equal(c.connectionQuality, 'unknown');
  const sample = async (n) => {
    let last = 0;
    for (let i = 0; i < n; i++) last = await c.measureLatency();
    equal(typeof last, 'number');
    return last;
  };
  await sample(2);
  const q0 = c.connectionQuality;
  assert(q0 === 'excellent' || q0 === 'good', q0);
  await post('/latency', { ms: 400 });
  const rtt = await sample(2);
  assert(rtt >= 400, `rtt ${rtt}`);
  equal(c.connectionQuality, 'fair');
  await post('/latency', { ms: 800 });
  await sample(2);
  equal(c.connectionQuality, 'poor');
  assert(c.averageLatency > 600, `average ${c.averageLatency}`);
  await post('/latency', { ms: 0 });
});

test('offline stops attempts and online reconnects at once', async () => {
  await reset();
  const c = await connected('nomad');
  const online = new Recorder();
  c.onOfflineStatusChange(online.f);
  deepEqual(online.all(), [true], 'called at once with the current status (as nchat)');
  fireWindowEvent('offline');
  equal(c.state, 'offline');
  assert(!c.isOnline, 'isOnline false');
  const before = (await get('/stats')).connectionsTotal;
  await sleep(2500); // longer than the first backoff delays
  equal((await get('/stats')).connectionsTotal, before, 'no attempts while offline');
  fireWindowEvent('online');
  const took = await waitUntil('reconnected', 3000, () => c.isConnected);
  assert(took < 900, `an immediate attempt, took ${took} ms`);
  deepEqual(online.all(), [true, false, true]);
  equal((await get('/stats')).connectionsTotal, before + 1);
});

test('malformed frames are reported and the connection keeps working', async () => {
  await reset();
  const c = await connected('victim');
  const errors = new Recorder();
  c.onError(errors.f);
  for (const frame of ['42["oops"', '9zzz', '42{}', '451-["bin",{"_placeholder":true,"num":0}]']) {
    await post('/raw', { frame });
  }
  await post('/raw-binary', { bytes: [1, 2, 3] });
  await waitUntil('five protocol errors', 3000, () => errors.len() === 5);
  assert(errors.all().every((e) => e.code === 'protocol'), JSON.stringify(errors.all()));
  assert(c.isConnected);
  const got = new Recorder();
  c.on('still', got.f);
  await post('/emit', { event: 'still', data: 'ok' });
  await waitUntil('event after garbage', 3000, () => got.len() === 1);
});

test('every refusal and failure of the wasm carries its stable code', async () => {
  await reset();
  const fresh = own(new RealtimeClient());
  equal(throws(() => fresh.emit('x', null), Error, 'initialize').code, 'not_initialized');
  equal(throws(() => fresh.initialize({ url: 'ftp://nope' }), Error, 'invalid server URL').code, 'bad_url');
  const c = await connected('coder');
  equal(throws(() => c.emit('connect', null), Error).code, 'bad_event_name');
  // A request nobody answers: the connection's own code.
  equal((await rejects(c.emitAsync('nobody-answers', null, 150), Error)).code, 'timeout');
  // The server's code for a rejection.
  equal((await rejects(c.joinChannel('no-such-room'), Error)).code, 'ROOM_NOT_FOUND');
  const q = own(new OfflineQueueService(c, { maxMessages: 1, storageKey: 'codes-test' }));
  c.disconnect();
  q.queueMessage({ channelId: 'general', content: 'one' });
  equal(throws(() => q.queueMessage({ channelId: 'general', content: 'two' }), Error).code, 'queue_full');
  q.clearQueue();
  const d = own(new DeliveryEventHandler(c));
  d.trackOutgoing('cid-1', 'general');
  equal(throws(() => d.trackOutgoing('cid-1', 'general'), Error).code, 'already_tracked');
  const p = own(new PresenceService(c));
  p.dispose();
  equal(throws(() => p.setStatus('busy'), Error, 'disposed').code, 'disposed');
});

test('bad input gives clear errors', async () => {
  let c = own(new RealtimeClient());
  throws(() => c.emit('x', null), Error, 'initialize');
  throws(() => c.initialize({ url: 'ftp://nope' }), Error, 'invalid server URL');
  throws(() => c.initialize({ ulr: 'http://x' }), TypeError, 'unknown key "ulr"');
  throws(() => c.initialize({ url: 42 }), TypeError, 'initialize(): options.url must be a string, got the number 42');
  throws(() => c.initialize({ reconnectDelayMs: -1 }), RangeError, 'options.reconnectDelayMs');
  // No options object: the defaults, as nchat's `initialize(config = {})`; `null` is refused.
  c.initialize();
  equal(c.state, 'disconnected');
  for (const notPlain of [[], new Date(), () => {}]) {
    throws(() => c.initialize(notPlain), TypeError);
  }

  c = client({});
  throws(() => c.initialize(null), TypeError, 'initialize(): options');
  throws(() => c.connect(''), RangeError, 'connect(): token must be a non-empty string');
  throws(() => c.connect(42), TypeError, 'got the number 42');
  const e = throws(() => c.joinChannel(42), TypeError);
  equal(e.message, 'joinChannel(): channelId must be a non-empty string, got the number 42');
  throws(() => c.joinChannel(undefined), TypeError, 'got undefined');
  throws(() => c.joinChannel(''), RangeError);
  throws(() => c.emit('', null), RangeError);
  throws(() => c.emit('connect', null), Error);
  const cyclic = {};
  cyclic.self = cyclic;
  throws(() => c.emit('x', cyclic), TypeError, 'emit(): data must be a JSON-serializable value');
  throws(() => c.emit('x', 10n), TypeError);
  throws(() => c.updatePresence('sleeping', undefined), RangeError, "one of 'online', 'away', 'busy', 'offline'");
  throws(() => c.updatePresence('busy', 'in a meeting'), TypeError, 'customStatus');
  throws(() => c.updatePresence('busy', { text: 5 }), TypeError, 'customStatus.text');
  throws(() => c.sendTyping('general', 'yes'), TypeError, 'sendTyping(): isTyping must be a boolean');
  throws(() => c.emitAsync('x', null, '5'), TypeError, 'emitAsync(): timeoutMs');
  throws(() => c.emitAsync('x', null, NaN), RangeError);
  throws(() => c.emitAsync('x', null, -1), RangeError);
  throws(() => c.on('', () => {}), RangeError);
  const onErr = throws(() => c.on('x', 42), TypeError);
  equal(onErr.message, 'on(): callback must be a function, got the number 42');
  throws(() => c.off('x', {}), TypeError);
  throws(() => c.onStateChange(null), TypeError);
  throws(() => c.updatePresence('busy', { text: 'x', expiresAt: 'soon' }), RangeError, 'expiresAt');
  // Nothing was sent or changed by the refused calls.
  equal(c.state, 'disconnected');
});
