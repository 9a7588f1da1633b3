// nchat's EventDispatcherService against the test server: the `dispatch`
// frames it sends (recorded by the server, GET /dispatched; neither the real
// server nor the test server relays them), its local subscribers, the thread
// and mention routing, the 50 ms batch, `isClientSide: false`, a throwing
// subscriber, and the module functions.
import { test, assert, equal, deepEqual, throws } from './harness.js';
import {
  EventDispatcherService, getEventDispatcher, initializeEventDispatcher, resetEventDispatcher,
  RealtimeIntegrationService, realtimeClient,
} from './pkg.js';
import { reset, client, connected, own, get, token, waitUntil, Recorder, serverUrl } from './support.js';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const dora = { id: 'dora', username: 'dora', displayName: 'Dora' };

/** What the server recorded, as `[event, room, payload]` (from `userId` when given). */
async function dispatched(userId) {
  const { dispatches } = await get('/dispatched');
  return dispatches.filter((d) => userId === undefined || d.userId === userId).map((d) => [d.event, d.room, d.payload]);
}

/** Waits until the server recorded `n` dispatches (of `userId`); returns them. */
async function serverGot(n, userId) {
  let got = [];
  await waitUntil(`${n} dispatch frames`, 5000, async () => (got = await dispatched(userId)).length >= n);
  equal(got.length, n, `exactly ${n} dispatch frames: ${JSON.stringify(got)}`);
  return got;
}

test('dispatches: nchat payloads to the channel, thread and mentioned users, locally and as dispatch frames', async () => {
  await reset();
  const c = await connected('dora');
  const d = own(new EventDispatcherService(undefined, c));
  const rec = new Recorder();
  d.subscribe(rec.f);
  const before = Date.now();
  d.dispatchMessageNew({
    id: 'm1', channelId: 'general', content: 'hi @bob and @carl', threadId: 't1', mentions: ['bob', 'carl'],
    createdAt: '2026-01-01T00:00:00.000Z', user: dora,
  });
  const local = rec.calls;
  deepEqual(local.map(([e, r]) => [e, r]), [
    ['message:new', 'channel:general'], ['message:new', 'thread:t1'], ['notification', 'user:bob'],
    ['notification', 'user:carl'],
  ], 'subscribers hear every room at once');
  const p = local[0][2];
  deepEqual(local[1][2], p, 'the thread room gets the same payload');
  assert(UUID_V4.test(p.meta.eventId), p.meta.eventId);
  equal(p.meta.serverVersion, '0.9.1');
  const at = Date.parse(p.meta.timestamp);
  assert(at >= before - 1000 && at <= Date.now() + 1000, p.meta.timestamp);
  equal(p.type, 'text', "nchat's default type");
  deepEqual(p.mentionedUserIds, ['bob', 'carl']);
  const n = local[2][2];
  deepEqual([n.type, n.title, n.body, n.data], ['mention', 'Dora mentioned you', 'hi @bob and @carl',
    { channelId: 'general', messageId: 'm1', threadId: 't1' }]);
  assert(UUID_V4.test(n.id) && n.id !== local[3][2].id && n.id !== p.meta.eventId, 'a new id per notification');
  deepEqual(await serverGot(4, 'dora'), local, 'the server got {event, room, payload} for each');

  d.dispatchMemberLeave({ channelId: 'general', channelName: 'General', userId: 'bob', reason: 'kicked', memberCount: 1 });
  d.dispatchReadReceipt('general', 'dora', 'm1', 0);
  d.dispatchToUsers(['bob', 'carl'], 'custom', { x: 1 });
  d.dispatchToRooms('custom', ['dm:d1'], [1, 2]);
  const more = rec.calls.slice(4);
  deepEqual(more.map(([e, r]) => [e, r]), [
    ['channel:member_leave', 'channel:general'], ['channel:member_leave', 'user:bob'],
    ['read_receipt:update', 'channel:general'], ['custom', 'user:bob'], ['custom', 'user:carl'], ['custom', 'dm:d1'],
  ]);
  equal(more[0][2].leftAt, more[0][2].meta.timestamp);
  equal(more[2][2].meta, undefined, 'read receipts carry no meta');
  deepEqual((await serverGot(10, 'dora')).slice(4), more);
  throws(() => d.dispatchMessagePin('m1', 'general', dora, 'nail'), RangeError, /dispatchMessagePin\(\): action/);
  throws(() => d.dispatchReactionAdd({ messageId: 'm1', channelId: 'general', emoji: 1 }), TypeError,
    /dispatchReactionAdd\(\): data\.emoji/);
  equal(rec.len(), 10, 'a refused call dispatches nothing');
});

test('queueEvent: held 50 ms, then one event per room as itself and several as events:batch', async () => {
  await reset();
  const c = await connected('dora');
  const d = own(new EventDispatcherService(undefined, c));
  const rec = new Recorder();
  d.subscribe(rec.f);
  const start = Date.now();
  d.queueEvent('a', 'channel:general', { n: 1 });
  d.queueEvent('b', 'channel:team', { n: 2 });
  d.queueEvent('c', 'channel:general', { n: 3 });
  equal(rec.len(), 0, 'nothing before the batch window ends');
  await waitUntil('the batch', 3000, () => rec.len() >= 2);
  assert(Date.now() - start >= 40, `held ${Date.now() - start} ms`);
  const want = [
    ['events:batch', 'channel:general', { events: [{ type: 'a', payload: { n: 1 } }, { type: 'c', payload: { n: 3 } }] }],
    ['b', 'channel:team', { n: 2 }],
  ];
  deepEqual(rec.calls, want);
  deepEqual(await serverGot(2, 'dora'), want);

  // destroy() drops what is held and the subscribers.
  d.queueEvent('dropped', 'channel:general', {});
  d.destroy();
  const after = new Recorder();
  d.subscribe(after.f);
  d.queueEvent('kept', 'channel:team', {});
  await waitUntil('the next batch', 3000, () => after.len() >= 1);
  deepEqual(after.calls.map(([e]) => e), ['kept']);
  equal(rec.len(), 2, 'the destroyed subscriber heard nothing more');
  deepEqual((await serverGot(3, 'dora')).map(([e]) => e), ['events:batch', 'b', 'kept']);
});

test('isClientSide: false, or not connected: subscribers only, no dispatch frame', async () => {
  await reset();
  const c = await connected('dora');
  const local = own(new EventDispatcherService({ isClientSide: false }, c));
  const rec = new Recorder();
  local.subscribe(rec.f);
  local.dispatchToRooms('local-only', ['channel:general'], { x: 1 });
  deepEqual(rec.calls, [['local-only', 'channel:general', { x: 1 }]]);
  const offline = client();
  const d2 = own(new EventDispatcherService(undefined, offline));
  const rec2 = new Recorder();
  d2.subscribe(rec2.f);
  d2.dispatchToUser('erin', 'before-connect', { x: 2 });
  deepEqual(rec2.calls, [['before-connect', 'user:erin', { x: 2 }]]);
  await offline.connect(await token('erin'));
  d2.dispatchToUser('erin', 'marker', {});
  // Frames of one socket arrive in order: a dispatch before the marker would be recorded first.
  deepEqual((await serverGot(1, 'erin')).map(([e]) => e), ['marker'], 'nothing sent, nothing buffered');
  const d3 = own(new EventDispatcherService(undefined, c));
  d3.dispatchToRooms('marker', ['channel:general'], {});
  deepEqual((await serverGot(1, 'dora')).map(([e]) => e), ['marker'], 'the isClientSide:false dispatcher sent nothing');
});

test('a subscriber that throws is logged; the others still run; unsubscribe stops one', async () => {
  await reset();
  const d = own(new EventDispatcherService({ isClientSide: false }, client()));
  const rec = new Recorder();
  const logged = [];
  const original = console.error;
  console.error = (...args) => logged.push(args.join(' '));
  try {
    d.subscribe(() => {
      throw new Error('boom');
    });
    const off = d.subscribe(rec.f);
    d.dispatchToRooms('e', ['r1', 'r2'], null);
    deepEqual(rec.calls, [['e', 'r1', null], ['e', 'r2', null]]);
    equal(logged.length, 2, logged.join('\n'));
    assert(logged[0].includes('EventDispatcherService subscribe callback threw: boom'), logged[0]);
    off();
    d.dispatchToRooms('e', ['r3'], null);
    equal(rec.len(), 2);
  } finally {
    console.error = original;
  }
});

test('getEventDispatcher/initializeEventDispatcher/resetEventDispatcher and RealtimeIntegrationService.getDispatcher', async () => {
  await reset();
  resetEventDispatcher();
  const a = getEventDispatcher();
  equal(a.initialized, false);
  equal(initializeEventDispatcher(), a, 'the module dispatcher');
  equal(a.initialized, true);
  resetEventDispatcher();
  equal(a.initialized, false, 'reset destroys it');
  const b = getEventDispatcher({ serverVersion: '2.0' });
  assert(b !== a, 'a new one after reset');
  const rec = new Recorder();
  b.subscribe(rec.f);
  b.dispatchThreadCreated('t1', 'general', 'm1', dora);
  equal(rec.calls[0][2].meta.serverVersion, '2.0');
  resetEventDispatcher();

  const ri = new RealtimeIntegrationService();
  try {
    ri.initialize({ realtimeUrl: serverUrl, autoConnect: false });
    const d = ri.getDispatcher();
    equal(d, getEventDispatcher(), "the module dispatcher, on nchat's module client");
    equal(d.initialized, true, 'initialized with the integration');
    ri.destroy();
    equal(d.initialized, false, 'reset with the integration');
    assert(getEventDispatcher() !== d);
  } finally {
    ri.free();
    resetEventDispatcher();
    realtimeClient.destroy();
  }
});
