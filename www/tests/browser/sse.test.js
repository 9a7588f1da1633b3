// The SSE backend (docs/sse-wire.md) in a real browser against the test
// server: a 401 asks the app for a fresh token, a stream cut in a burst loses
// and duplicates nothing, and the fallbacks from a blocked WebSocket to the
// stream, and from a blocked stream to polling, are said.
import { test, assert, equal, deepEqual } from './harness.js';
import { reset, client, connected, token, post, sleep, waitUntil, Recorder, cidOf } from './support.js';

test('a 401 asks refreshToken for a token and reconnects with it', async () => {
  await reset();
  let asked = 0;
  const c = client({
    transport: 'sse',
    reconnectDelayMs: 100,
    refreshToken: async () => {
      asked += 1;
      return token('rita');
    },
  });
  await c.connect(await token('rita'));
  equal(c.transport, 'sse');
  await c.joinChannel('general');
  const states = new Recorder();
  c.onStateChange(states.f);
  await post('/expire-tokens');
  await waitUntil('asked for a token', 10_000, () => asked === 1);
  await waitUntil('connected again', 10_000, () => c.isConnected);
  // The new token works for sends too.
  const data = await c.emitAsync('message:send', { roomName: 'channel:general', content: 'after', clientMessageId: 'r-1' });
  assert(data !== undefined, 'an answer');
  equal(asked, 1);
  assert(states.strings().includes('reconnecting'), `states: ${JSON.stringify(states.strings())}`);
});

test('latency probes and the liveness check answer over SSE', async () => {
  await reset();
  const c = await connected('lia', { transport: 'sse' });
  const rtt = await c.measureLatency();
  assert(typeof rtt === 'number' && rtt >= 0, `a round trip: ${rtt}`);
  const disconnects = new Recorder();
  c.onDisconnect(disconnects.f);
  c.checkConnection();
  await sleep(1500);
  assert(c.isConnected, 'still connected');
  equal(disconnects.len(), 0);
});

test('without refreshToken a 401 is an auth refusal', async () => {
  await reset();
  const c = client({ transport: 'sse', reconnectDelayMs: 100 });
  const errors = new Recorder();
  c.onError(errors.f);
  await c.connect(await token('nora'));
  await post('/expire-tokens');
  await waitUntil('disconnected', 10_000, () => c.state === 'disconnected');
  equal(errors.all().find((e) => e.code === 'auth')?.code, 'auth');
  await sleep(500);
  equal(c.state, 'disconnected', 'not retried');
});

test('a stream cut in a burst loses and duplicates nothing', async () => {
  await reset();
  const rx = await connected('rx', { transport: 'sse', reconnectDelayMs: 50, reconnectDelayMaxMs: 200 });
  await rx.joinChannel('general');
  const tx = await connected('tx', { transport: 'socketio' });
  await tx.joinChannel('general');
  const got = [];
  rx.on('message:new', (m) => got.push(cidOf(m)));
  // The first resume also replays 20 events it had (same ids): dropped by id.
  await post('/sse/replay', { count: 20 });
  const sends = [];
  for (let i = 0; i < 200; i += 1) {
    sends.push(tx.emitAsync('message:send', { roomName: 'channel:general', content: `m${i}`, clientMessageId: `b-${i}` }));
    if (i === 60 || i === 140) await post('/sse/cut');
    if (i % 20 === 0) await sleep(5);
  }
  await Promise.all(sends);
  await waitUntil('200 messages', 20_000, () => new Set(got).size === 200);
  await sleep(300);
  equal(got.length, 200, 'no duplicate');
  deepEqual([...got].sort(), Array.from({ length: 200 }, (_, i) => `b-${i}`).sort());
  equal(rx.transport, 'sse');
});

test('with WebSocket upgrades blocked the client falls back to SSE and says so', async () => {
  await reset();
  await post('/block-websocket', { on: true });
  const c = client({ transport: 'socketio', reconnectDelayMs: 50, reconnectDelayMaxMs: 100 });
  const changes = new Recorder();
  c.on('transport', changes.f);
  equal(c.transport, 'socketio');
  await c.connect(await token('fay'));
  equal(c.transport, 'sse');
  deepEqual(changes.all(), [{ transport: 'sse', reason: 'websocket unavailable' }]);
  const joined = await c.joinChannel('general');
  equal(joined.success, true);
});

test('with the stream blocked too it polls, says so, and gets a room\'s messages', async () => {
  await reset();
  await post('/block-websocket', { on: true });
  await post('/block-sse', { on: true });
  const opts = { transport: 'socketio', reconnectDelayMs: 50, reconnectDelayMaxMs: 100, pollIntervalMs: 200 };
  const p = client(opts);
  const changes = new Recorder();
  p.on('transport', changes.f);
  await p.connect(await token('pia'));
  equal(p.transport, 'polling');
  deepEqual(changes.all().map((c) => c.transport), ['sse', 'polling']);
  equal(changes.all()[1].reason, 'stream unavailable');
  await p.joinChannel('general');
  const got = new Recorder();
  p.on('message:new', got.f);
  const s = client(opts);
  await s.connect(await token('sam'));
  await s.joinChannel('general');
  await s.emitAsync('message:send', { roomName: 'channel:general', content: 'polled', clientMessageId: 'p-1' });
  await waitUntil('the message polled', 10_000, () => got.len() === 1);
  equal(got.all()[0].content, 'polled');
  await sleep(600);
  equal(got.len(), 1, 'taken once');
});

test('the transport option is checked', () => {
  const c = client();
  let error = null;
  try {
    c.initialize({ transport: 'carrier-pigeon' });
  } catch (e) {
    error = e;
  }
  assert(error instanceof RangeError || error instanceof TypeError, `an argument error: ${error}`);
  error = null;
  try {
    c.initialize({ refreshToken: 'token' });
  } catch (e) {
    error = e;
  }
  assert(error instanceof TypeError, `a TypeError: ${error}`);
  assert(String(error.message).includes('refreshToken'), error.message);
});
