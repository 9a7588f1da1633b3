// DeliveryEventHandler in a real browser against the real test server:
// sent -> delivered -> read ticks, batched read acks, status sync, and
// messages tracked through the offline queue.
import { test, assert, equal, deepEqual, rejects, throws } from './harness.js';
import { DeliveryEventHandler, OfflineQueueService } from './pkg.js';
import {
  reset, client, connected, own, token, post, sleep, waitUntil, Recorder, EventRecorder, json, clearStorage, transport,
} from './support.js';

/** A DeliveryEventHandler of `c`, released after the test. */
const handler = (c, options = {}) => own(new DeliveryEventHandler(c, options));

/** The tracked status of `id` as plain data (null when not tracked). */
const status = (d, id) => json(d.getStatus(id));

test('ticks reach read when the other user reads', async () => {
  clearStorage();
  await reset();
  const alice = await connected('alice');
  const bob = await connected('bob');
  await alice.joinChannel('general');
  await bob.joinChannel('general');
  const da = handler(alice);
  const db = handler(bob);
  const events = new EventRecorder();
  da.subscribe(events.f);
  const rawReads = new Recorder();
  alice.on('message:batch-read', rawReads.f);
  const bobGot = new Recorder();
  bob.on('message:new', bobGot.f);

  const cid = 'tick-1';
  const tracked = json(da.trackOutgoing(cid, 'general', 1));
  equal(tracked.state, 'sending');
  equal(tracked.totalRecipients, 1);
  const ack = json(await alice.emitAsync('message:send', { roomName: 'channel:general', content: 'hi bob', clientMessageId: cid }));
  const id = ack.id;
  assert(typeof id === 'string', JSON.stringify(ack));
  // The server's dates are ISO strings; markSent takes ms.
  da.markSent(cid, id, Date.parse(ack.timestamp));
  // Sent, or already delivered: over SSE the receipt may come on the stream
  // before the POST's answer (it never goes back to sent).
  assert(['sent', 'delivered'].includes(status(da, cid).state), status(da, cid).state);
  equal(status(da, id).clientMessageId, cid, 'found by server id too');

  await waitUntil('delivered to bob', 3000, () => events.count('message:delivered') === 1);
  const delivered = events.of('message:delivered')[0];
  equal(delivered.state, 'delivered');
  equal(delivered.userId, 'bob');
  deepEqual(delivered.deliveredTo, ['bob']);

  // Bob reads it (twice, as a UI might): one batch after ~1 s.
  await waitUntil('bob got it', 3000, () => bobGot.len() === 1);
  equal(bobGot.all()[0].id, id);
  const start = Date.now();
  db.acknowledgeRead(id, 'general');
  db.acknowledgeRead(id, 'general');
  await sleep(500);
  equal(events.count('message:read'), 0, 'acks wait for the batch');
  await waitUntil('read', 5000, () => events.count('message:read') === 1);
  const took = Date.now() - start;
  assert(took >= 900, `batched for ~1 s, took ${took} ms`);
  const read = events.of('message:read')[0];
  equal(read.state, 'read');
  deepEqual(read.readBy, ['bob']);
  equal(read.readCount, 1);
  await sleep(300);
  equal(rawReads.len(), 1, 'one message:batch-read-ack for the batch, answered by one message:batch-read');
  deepEqual(rawReads.all()[0].messageIds, [id]);
  deepEqual(events.names(), ['message:sent', 'message:delivered', 'message:read']);

  // A late `delivered` never undoes `read`.
  await post('/emit', {
    event: 'message:delivered',
    data: { messageId: id, clientMessageId: cid, roomName: 'channel:general', userId: 'carol', deliveredAt: 1 },
  });
  await waitUntil('late receipt applied', 3000, () => status(da, cid).deliveredCount === 2);
  equal(status(da, cid).state, 'read');

  // The server's view agrees.
  const synced = json(await da.syncDeliveryStatus([cid]));
  equal(synced.length, 1);
  equal(synced[0].state, 'read');
  equal(synced[0].messageId, id);
});

test('a reconnect resyncs receipts missed while disconnected', async () => {
  clearStorage();
  await reset();
  const alice = await connected('alice2', { reconnectDelayMs: 1500, reconnectDelayMaxMs: 1500 });
  const bob = await connected('bob2', { reconnectDelayMs: 100, reconnectDelayMaxMs: 200 });
  await alice.joinChannel('team');
  await bob.joinChannel('team');
  const da = handler(alice);
  const db = handler(bob, { readBatchMs: 100 });
  const events = new EventRecorder();
  da.subscribe(events.f);
  da.trackOutgoing('resync-1', 'team');
  const ack = json(await alice.emitAsync('message:send', { roomName: 'channel:team', content: 'x', clientMessageId: 'resync-1' }));
  const id = ack.id;
  da.markSent('resync-1', id);
  await waitUntil('delivered', 3000, () => events.count('message:delivered') === 1);

  // Everyone drops; bob is back first and reads while alice is away.
  await post('/drop', {});
  await waitUntil('alice away', 3000, () => !alice.isConnected);
  await waitUntil('bob back', 3000, () => bob.isConnected);
  db.acknowledgeRead(id, 'team');
  await sleep(400);
  assert(!alice.isConnected);
  equal(events.count('message:read'), 0);
  // Alice reconnects: delivery:sync brings the read she missed.
  await waitUntil('read after reconnect', 8000, () => events.count('message:read') === 1);
  equal(status(da, 'resync-1').state, 'read');
  deepEqual(status(da, 'resync-1').readBy, ['bob2']);
});

test('with autoSyncOnReconnect false a reconnect asks for nothing until syncDeliveryStatus', async () => {
  clearStorage();
  await reset();
  const alice = await connected('alice3', { reconnectDelayMs: 1500, reconnectDelayMaxMs: 1500 });
  const bob = await connected('bob3', { reconnectDelayMs: 100, reconnectDelayMaxMs: 200 });
  await alice.joinChannel('team');
  await bob.joinChannel('team');
  throws(() => handler(alice, { autoSyncOnReconnect: 'no' }), TypeError, 'options.autoSyncOnReconnect');
  const da = handler(alice, { autoSyncOnReconnect: false });
  const db = handler(bob, { readBatchMs: 100 });
  const events = new EventRecorder();
  da.subscribe(events.f);
  const responses = new Recorder();
  alice.on('delivery:sync-response', responses.f);
  da.trackOutgoing('nosync-1', 'team');
  const ack = json(await alice.emitAsync('message:send', { roomName: 'channel:team', content: 'x', clientMessageId: 'nosync-1' }));
  da.markSent('nosync-1', ack.id);
  await waitUntil('delivered', 3000, () => events.count('message:delivered') === 1);

  await post('/drop', {});
  await waitUntil('alice away', 3000, () => !alice.isConnected);
  await waitUntil('bob back', 3000, () => bob.isConnected);
  db.acknowledgeRead(ack.id, 'team');
  await sleep(400);
  await waitUntil('alice back', 8000, () => alice.isConnected);
  await sleep(800);
  equal(responses.len(), 0, 'no delivery:sync on the reconnect');
  if (transport === 'sse') {
    // The stream resumes its session (Last-Event-ID): the read is replayed, no sync needed.
    equal(status(da, 'nosync-1').state, 'read', 'the missed read is replayed on resume');
  } else {
    equal(status(da, 'nosync-1').state, 'delivered', 'the missed read stays unknown');
  }
  // Asked for, the sync brings it (once: a replayed read is not counted again).
  equal(json(await da.syncDeliveryStatus(['nosync-1']))[0].state, 'read');
  equal(events.count('message:read'), 1);
});

test('messages sent through the queue are tracked to read', async () => {
  clearStorage();
  await reset();
  const bob = await connected('bob3');
  await bob.joinChannel('general');
  const db = handler(bob, { readBatchMs: 200 });
  const bobGot = new Recorder();
  bob.on('message:new', bobGot.f);

  const alice = client();
  const q = own(new OfflineQueueService(alice));
  const da = handler(alice);
  da.attachQueue(q);
  const events = new EventRecorder();
  da.subscribe(events.f);
  const m = json(q.queueMessage({ channelId: 'general', content: 'queued hello' }));
  const cid = m.clientMessageId;
  equal(status(da, cid).state, 'pending');

  await alice.connect(await token('alice3'));
  await alice.joinChannel('general');
  await waitUntil('sent via the queue', 5000, () => events.count('message:sent') === 1);
  await waitUntil('bob got it', 3000, () => bobGot.len() === 1);
  const id = bobGot.all()[0].id;
  equal(status(da, cid).messageId, id);
  db.acknowledgeRead(id, 'general');
  await waitUntil('read', 5000, () => events.count('message:read') === 1);
  equal(status(da, cid).state, 'read');
});

test('bad input gives clear errors', async () => {
  const c = client();
  throws(() => handler(c, { batchMs: 5 }), TypeError, 'unknown key "batchMs"');
  throws(() => handler(c, { queue: {} }), TypeError, 'options.queue must be an OfflineQueueService');
  throws(() => handler(c, { readBatchMs: '1s' }), TypeError, 'options.readBatchMs');
  throws(() => new DeliveryEventHandler(7, undefined), TypeError, 'new DeliveryEventHandler(): clientOrConfig must be a RealtimeClient');
  throws(() => new DeliveryEventHandler({}, {}), TypeError);
  const d = handler(c);
  throws(() => d.trackOutgoing('', 'general'), RangeError);
  const e = throws(() => d.trackOutgoing(42, 'general'), TypeError);
  equal(e.message, 'trackOutgoing(): clientMessageId must be a non-empty string, got the number 42');
  throws(() => d.trackOutgoing('x', 'general', -1), RangeError, 'totalRecipients');
  throws(() => d.trackOutgoing('x', 'general', 1.5), RangeError);
  throws(() => d.trackOutgoing('x', 'general', '2'), TypeError);
  throws(() => d.attachQueue(c), TypeError);
  throws(() => d.subscribe({}), TypeError);
  d.trackOutgoing('x', 'general', 2);
  throws(() => d.trackOutgoing('x', 'general'), undefined, 'already tracked');
  throws(() => d.markSent('x', 'm_1', NaN), RangeError, 'markSent(): timestamp');
  throws(() => d.markSent('x', 'm_1', new Date()), TypeError);
  d.markSent('x', 'm_1');
  throws(() => d.markFailed('x', 'boom'), undefined, 'only move forward');
  throws(() => d.markFailed('x', undefined), TypeError);
  throws(() => d.acknowledgeRead('', 'general'), RangeError);
  throws(() => d.syncDeliveryStatus('nope'), TypeError);
  throws(() => d.syncDeliveryStatus(undefined), TypeError);
  throws(() => d.getStatus(['x']), TypeError);
  equal(d.getStatus('unknown'), undefined);
  const pending = d.syncDeliveryStatus(['x']);
  d.dispose();
  await rejects(pending, undefined, 'disposed');
  throws(() => d.trackOutgoing('y', 'general'));
});
