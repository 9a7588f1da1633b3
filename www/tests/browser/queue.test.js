// OfflineQueueService in a real browser against the real test server:
// persistence across a reload, exactly-once delivery, two tabs sharing one
// queue, a full storage and a corrupted entry.
import { test, assert, equal, deepEqual, throws } from './harness.js';
import { OfflineQueueService } from './pkg.js';
import {
  reset, client, connected, own, token, post, get, sleep, waitUntil, Recorder, EventRecorder, json,
  clearStorage, fireStorageEvent, fireWindowEvent, received, spawnControl, waitServerDown,
} from './support.js';

const KEY = 'nchat:offline-queue';

/** An OfflineQueueService of `c`, released after the test. */
const queue = (c, options = {}) => own(new OfflineQueueService(c, options));

/** Queues `content` for `channel`; the queued message as plain data. */
const push = (q, channel, content) => json(q.queueMessage({ channelId: channel, content }));

/** The stored entries (one `localStorage` key each), in queue order. */
function storedMessages() {
  const prefix = `${KEY}:m:`;
  const out = [];
  for (let i = 0; i < localStorage.length; i++) {
    const k = localStorage.key(i);
    if (k === null || !k.startsWith(prefix)) continue;
    try {
      out.push(JSON.parse(localStorage.getItem(k)));
    } catch {
      // not an entry
    }
  }
  // As Rust sorted `(createdAt as u64, id)`: a missing one first.
  const createdAt = (e) => (Number.isInteger(e?.createdAt) && e.createdAt >= 0 ? e.createdAt : -1);
  const id = (e) => (typeof e?.id === 'string' ? e.id : '');
  return out.sort((a, b) => createdAt(a) - createdAt(b) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0));
}

/** The storage key of a queued message's entry. */
const entryKey = (m) => `${KEY}:m:${m.id}`;

/** Waits for `n` messages on the server, then a little for stragglers. */
async function receivedSettled(n) {
  const start = Date.now();
  for (;;) {
    const r = await received();
    if (r.cids.length >= n) break;
    assert(Date.now() - start < 15_000, `server has ${r.cids.length} of ${n} messages`);
    await sleep(50);
  }
  await sleep(600);
  return received();
}

function assertEachSentOnce(cids, counts) {
  for (const c of cids) equal(counts[c], 1, `${c} was sent ${counts[c]} times: ${JSON.stringify(counts)}`);
  equal(Object.keys(counts).length, cids.length, `unexpected sends: ${JSON.stringify(counts)}`);
}

/** Joins `observer` to `general` and records the `message:new` it gets. */
async function watchGeneral(observer) {
  await observer.joinChannel('general');
  const broadcast = new Recorder();
  observer.on('message:new', broadcast.f);
  return broadcast;
}

test('queued while the server is down survive a reload and arrive exactly once in order', async () => {
  clearStorage();
  await reset();
  const observer = await connected('observer', { reconnectDelayMs: 100, reconnectDelayMaxMs: 200 });
  const broadcast = await watchGeneral(observer);

  // The server goes down; a writer tries to connect and queues meanwhile.
  const back = spawnControl('POST', '/restart', { downMs: 3000 });
  await waitServerDown();
  let writer = client({ reconnectDelayMs: 200, reconnectDelayMaxMs: 400 });
  // Settles (or is cut short by the reload) on its own; only the queue matters here.
  writer.connect(await token('writer')).catch(() => {});
  let q = queue(writer);
  let events = new EventRecorder();
  q.subscribe(events.f);
  const cids = [];
  const contents = [];
  for (let i = 0; i < 5; i++) {
    const content = `offline ${i}`;
    const m = push(q, 'general', content);
    equal(m.status, 'queued');
    equal(m.retryCount, 0);
    assert(typeof m.id === 'string' && m.id !== '', JSON.stringify(m));
    assert(m.createdAt > 0, JSON.stringify(m));
    cids.push(m.clientMessageId);
    contents.push(content);
  }
  equal(events.count('message:queued'), 5);
  equal(q.getQueueLength(), 5);
  equal(storedMessages().length, 5, 'persisted at once');
  await sleep(300);
  assert(!writer.isConnected);
  deepEqual((await received()).cids, []);

  // "Reload": everything in memory goes away; a new page loads the queue.
  q.dispose();
  writer.disconnect();
  writer = client({ reconnectDelayMs: 200, reconnectDelayMaxMs: 400 });
  q = queue(writer);
  events = new EventRecorder();
  q.subscribe(events.f);
  const loaded = json(q.getQueuedMessages()).map((m) => m.clientMessageId);
  deepEqual(loaded, cids, 'the reloaded queue has every message, in order');

  // Server back: the new page connects and the queue flushes.
  await waitUntil('server back', 10_000, () => back.done);
  await waitUntil('observer back', 5000, () => observer.isConnected);
  await writer.connect(await token('writer'));
  await waitUntil('queue drained', 15_000, () => q.getQueueLength() === 0);
  const got = await receivedSettled(5);
  deepEqual(got.cids, cids, 'every message exactly once, in order');
  deepEqual(got.contents, contents);
  assertEachSentOnce(cids, got.sendCounts);
  await waitUntil('broadcasts', 3000, () => broadcast.len() === 5);
  await sleep(300);
  deepEqual(broadcast.all().map((m) => m.content), contents, 'no duplicate broadcast');
  const sent = events.of('message:sent');
  equal(sent.length, 5);
  assert(sent.every((s) => s.duplicate === false), JSON.stringify(sent));
  // The test server's extension answers with an id; the real server's
  // `{success:true}` carries none.
  assert(sent.every((s) => (s.messageId ?? null) === null || typeof s.messageId === 'string'), JSON.stringify(sent));
  deepEqual(storedMessages(), [], 'removed from storage after the acks');
  const flushed = events.of('queue:flushed');
  equal(flushed.reduce((sum, f) => sum + f.sent, 0), 5);
});

test('attachments are stored with the message, survive a reload and go out in message:send as nchat sends them', async () => {
  clearStorage();
  await reset();
  const photo = { id: 'a1', type: 'image', name: 'cat.png', size: 2048, url: 'https://files.example/cat.png' };
  const draft = { id: 'a2', type: 'application/pdf', name: 'doc.pdf', size: 0, localPath: '/tmp/doc.pdf' };
  let q = queue(client());
  const m = json(q.queueMessage({ channelId: 'general', content: '', type: 'file', attachments: [photo, draft] }));
  deepEqual(m.attachments, [photo, draft]);
  const plain = push(q, 'general', 'plain');
  equal('attachments' in plain, false, 'none: no key, as nchat');
  const [withFiles, without] = storedMessages();
  equal(withFiles.version, 4);
  deepEqual(withFiles.attachments, [photo, draft]);
  equal(without.version, 3, 'an entry without attachments is what earlier builds wrote');
  equal('attachments' in without, false);

  // Bad attachments are refused, naming the key; nothing is queued.
  const bad = (attachments) => () => q.queueMessage({ channelId: 'general', content: 'x', attachments });
  throws(bad({}), TypeError, 'queueMessage(): message.attachments must be an array of plain objects');
  throws(bad([42]), TypeError, 'message.attachments[0] must be a plain object');
  throws(bad([{ ...photo, id: '' }]), RangeError, 'message.attachments[0].id');
  throws(bad([photo, { ...photo, type: '' }]), RangeError, 'message.attachments[1].type');
  throws(bad([{ ...photo, size: -1 }]), RangeError, 'message.attachments[0].size');
  throws(bad([{ ...photo, size: 1.5 }]), RangeError, 'message.attachments[0].size');
  throws(bad([{ id: 'a', type: 'image', size: 1 }]), TypeError, 'message.attachments[0].name');
  throws(bad([{ ...photo, mime: 'image/png' }]), TypeError, 'unknown key "mime"');
  throws(() => q.queueMessage({ channelId: 'general', content: ' ', attachments: [] }), Error, 'content is empty');
  equal(q.getQueueLength(), 2);

  // "Reload": a new page's queue loads them with their attachments, then sends.
  q.dispose();
  const writer = client();
  q = queue(writer);
  deepEqual(json(q.getQueuedMessages()).map((x) => x.attachments), [[photo, draft], undefined]);
  await writer.connect(await token('writer'));
  await waitUntil('queue drained', 15_000, () => q.getQueueLength() === 0);
  const got = await receivedSettled(2);
  deepEqual(got.cids, [m.clientMessageId, plain.clientMessageId]);
  const { messages } = await get('/received');
  deepEqual(messages[0].attachments, [photo, draft], 'sent as queued');
  equal(messages[0].content, '');
  equal('attachments' in messages[1], false, 'a message without attachments sends none');
  deepEqual(storedMessages(), []);
});

/** `navigator.locks.query()` as plain data. */
async function lockSnapshot() {
  return json(await navigator.locks.query());
}

async function twoTabsShareOneQueue(lock) {
  clearStorage();
  await reset();
  const observer = await connected('observer');
  const broadcast = await watchGeneral(observer);

  const a = client();
  const b = client();
  const qa = queue(a, { crossTabLock: lock });
  const qb = queue(b, { crossTabLock: lock });
  const ea = new EventRecorder();
  const eb = new EventRecorder();
  qa.subscribe(ea.f);
  qb.subscribe(eb.f);
  const cids = [];
  for (let i = 0; i < 3; i++) {
    cids.push(push(qa, 'general', `tab A ${i}`).clientMessageId);
    await sleep(3);
    cids.push(push(qb, 'general', `tab B ${i}`).clientMessageId);
    await sleep(3);
  }
  equal(storedMessages().length, 6, 'one shared stored queue');

  // Slow acks make the two flushes overlap unless the lock serializes them.
  await post('/latency', { ms: 150 });
  const ta = await token('tab-user');
  const tb = await token('tab-user');
  const pa = a.connect(ta);
  const pb = b.connect(tb);
  // Both settle below; a failure before that must not leave them unhandled.
  pa.catch(() => {});
  pb.catch(() => {});
  if (lock === 'auto') {
    // Web Locks: the flushing tab holds the lock, the other one waits for
    // it; no lease is written.
    const start = Date.now();
    for (;;) {
      const snap = await lockSnapshot();
      const named = (list) => snap[list].filter((l) => l.name === `${KEY}:flush-lock`).length;
      if (named('held') === 1) break;
      assert(Date.now() - start < 5000, `no Web Lock held: ${JSON.stringify(snap)}`);
      await sleep(10);
    }
    equal(localStorage.getItem(`${KEY}:flush-lock`), null);
  }
  if (lock === 'lease') {
    await waitUntil('the lease is taken', 5000, () => localStorage.getItem(`${KEY}:flush-lock`) !== null);
  }
  await pa;
  await pb;
  await waitUntil('both queues empty', 20_000, () => qa.getQueueLength() === 0 && qb.getQueueLength() === 0);
  const got = await receivedSettled(6);
  await post('/latency', { ms: 0 });
  deepEqual(got.cids, cids, 'each message exactly once, in queue order');
  assertEachSentOnce(cids, got.sendCounts);
  await waitUntil('broadcasts', 3000, () => broadcast.len() === 6);
  const sent = [...ea.of('message:sent'), ...eb.of('message:sent')].map((s) => s.message.clientMessageId).sort();
  deepEqual(sent, [...cids].sort(), 'no tab reported a message twice');
  const flushed = [...ea.of('queue:flushed'), ...eb.of('queue:flushed')].reduce((sum, f) => sum + f.sent, 0);
  equal(flushed, 6);
  deepEqual(storedMessages(), []);
  // The leader keeps the lock while it is connected, and lets go with its link.
  a.disconnect();
  b.disconnect();
  await sleep(300);
  equal(localStorage.getItem(`${KEY}:flush-lock`), null, 'the lease is released');
  if (lock === 'auto') {
    const snap = await lockSnapshot();
    equal(snap.held.filter((l) => l.name === `${KEY}:flush-lock`).length, 0, 'the Web Lock is released');
  }
}

test('a listener added after the queue had none hears its events, and one removed hears none', async () => {
  await clearStorage();
  const c = client();
  const q = queue(c);
  // No listener yet: the wasm skips building the events.
  push(q, 'general', 'unheard');
  const early = new EventRecorder();
  const off = q.subscribe(early.f);
  push(q, 'general', 'heard');
  deepEqual(early.names(), ['message:queued']);
  equal(early.of('message:queued')[0].message.content, 'heard');
  off();
  push(q, 'general', 'unheard again');
  equal(early.calls.length, 1, `events after unsubscribing: ${JSON.stringify(early.names())}`);
  // Two listeners, one removed: the other still hears.
  const a = new EventRecorder();
  const b = new EventRecorder();
  const offA = q.subscribe(a.f);
  q.subscribe(b.f);
  offA();
  push(q, 'general', 'for b');
  equal(a.calls.length, 0);
  deepEqual(b.names(), ['message:queued']);
  equal(b.of('message:queued')[0].message.content, 'for b');
  equal(q.getQueueLength(), 4);
});

test('two tabs with one queue send each message exactly once web locks', () => twoTabsShareOneQueue('auto'));

test('two tabs with one queue send each message exactly once lease fallback', () => twoTabsShareOneQueue('lease'));

test('a storage event from another tab merges its changes', () => {
  clearStorage();
  const a = client();
  const b = client();
  const qa = queue(a);
  const qb = queue(b);
  const m1 = push(qa, 'general', 'one');
  const m2 = push(qa, 'general', 'two');
  equal(qb.getQueueLength(), 0, 'B has not heard yet');
  fireStorageEvent('some-other-key');
  fireStorageEvent(`${KEY}:quarantine`);
  equal(qb.getQueueLength(), 0, 'other keys are ignored');
  // The event names the entry; only that one is read.
  fireStorageEvent(entryKey(m1));
  equal(qb.getQueueLength(), 1);
  fireStorageEvent(entryKey(m2));
  equal(qb.getQueueLength(), 2);
  qa.removeMessage(m1.id);
  fireStorageEvent(entryKey(m1));
  const left = json(qb.getQueuedMessages());
  equal(left.length, 1);
  equal(left[0].content, 'two');
});

/** Fills localStorage with junk until nothing more fits. */
function fillStorage() {
  let size = 1 << 20;
  let i = 0;
  while (size >= 4) {
    try {
      localStorage.setItem(`junk:${i}`, 'x'.repeat(size));
      i += 1;
    } catch {
      size /= 2;
    }
  }
  let full = false;
  try {
    localStorage.setItem('probe', 'y'.repeat(64));
  } catch {
    full = true;
  }
  assert(full, 'storage should be full');
}

test('a full storage reports quota and the message is still sent', async () => {
  clearStorage();
  await reset();
  try {
    fillStorage();
    const c = client();
    const q = queue(c);
    const events = new EventRecorder();
    q.subscribe(events.f);
    const m = push(q, 'general', 'kept in memory');
    const m2 = push(q, 'general', 'also kept in memory');
    equal(m.persisted, false);
    const errors = events.of('queue:error');
    equal(errors.length, 2, `one per message: ${JSON.stringify(events.names())}`);
    errors.forEach((e, i) => {
      equal(e.reason, 'quota');
      equal(e.messageId, [m, m2][i].id);
      assert(e.message.includes('quota'), e.message);
    });
    equal(q.getQueueLength(), 2, 'kept in memory');
    // Space back: the next store operation writes them.
    for (let i = 0; i < 4; i++) localStorage.removeItem(`junk:${i}`);
    await q.flushQueue();
    equal(events.count('message:persisted'), 2);
    const now = json(q.getQueuedMessages());
    assert(now.every((x) => x.persisted === true), JSON.stringify(now));
    equal(storedMessages().length, 2);
    await c.connect(await token('full'));
    await waitUntil('sent', 10_000, () => events.count('message:sent') === 2);
    const got = await receivedSettled(2);
    deepEqual(got.cids, [m.clientMessageId, m2.clientMessageId]);
    assertEachSentOnce(got.cids, got.sendCounts);
    equal(q.getQueueLength(), 0);
  } finally {
    clearStorage();
  }
});

test('a corrupted entry is reported set aside and the rest sent', async () => {
  clearStorage();
  await reset();
  const first = client();
  const q1 = queue(first);
  const ms = [0, 1, 2].map((i) => push(q1, 'general', `entry ${i}`));
  q1.dispose();
  // Tamper with the middle entry.
  const key = entryKey(ms[1]);
  const entry = JSON.parse(localStorage.getItem(key));
  entry.content = 'tampered';
  localStorage.setItem(key, JSON.stringify(entry));

  const c = client();
  const q = queue(c);
  const events = new EventRecorder();
  q.subscribe(events.f);
  await waitUntil('corruption reported', 2000, () => events.count('queue:error') === 1);
  const err = events.of('queue:error')[0];
  equal(err.reason, 'corrupt');
  equal(err.messageId, ms[1].id);
  assert(err.message.includes('checksum'), JSON.stringify(err));
  equal(q.getQueueLength(), 2);
  const quarantined = json(q.getQuarantined());
  equal(quarantined.length, 1);
  assert(quarantined[0].raw.includes('tampered'), JSON.stringify(quarantined));
  q.clearQuarantine();
  deepEqual(json(q.getQuarantined()), []);

  await c.connect(await token('reader'));
  await waitUntil('drained', 10_000, () => q.getQueueLength() === 0);
  const got = await receivedSettled(2);
  deepEqual(got.cids, [ms[0].clientMessageId, ms[2].clientMessageId]);
  deepEqual(got.contents, ['entry 0', 'entry 2']);
  assertEachSentOnce(got.cids, got.sendCounts);
  equal(events.count('queue:error'), 1, 'reported once');
});

test('an unreadable document is set aside and the queue keeps working', async () => {
  clearStorage();
  localStorage.setItem(KEY, '{not json');
  const c = client();
  const q = queue(c);
  const events = new EventRecorder();
  q.subscribe(events.f);
  await waitUntil('corruption reported', 2000, () => events.count('queue:error') >= 1);
  equal(events.of('queue:error')[0].reason, 'corrupt');
  push(q, 'general', 'fresh start');
  equal(storedMessages().length, 1);
  const quarantine = localStorage.getItem(`${KEY}:quarantine`);
  assert(typeof quarantine === 'string' && quarantine.includes('{not json'), String(quarantine));
});

test('offline then online reconnects and flushes', async () => {
  clearStorage();
  await reset();
  const c = await connected('nomad');
  const q = queue(c);
  const events = new EventRecorder();
  q.subscribe(events.f);
  fireWindowEvent('offline');
  assert(!c.isConnected);
  const m = push(q, 'general', 'written offline');
  await sleep(300);
  equal(q.getQueueLength(), 1);
  fireWindowEvent('online');
  await waitUntil('flushed', 5000, () => q.getQueueLength() === 0);
  const got = await receivedSettled(1);
  deepEqual(got.cids, [m.clientMessageId]);
  assertEachSentOnce(got.cids, got.sendCounts);
  equal(events.of('queue:flushing')[0].count, 1);
  deepEqual(json(await q.flushQueue()), { sent: 0, failed: 0 });
});

test('limits and bad input give clear errors and lose nothing', async () => {
  clearStorage();
  const c = client();
  throws(() => queue(c, { maxMesages: 2 }), TypeError, 'unknown key "maxMesages"');
  throws(() => queue(c, { crossTabLock: 'maybe' }), RangeError, 'options.crossTabLock');
  throws(() => queue(c, { maxMessages: '2' }), TypeError, 'options.maxMessages');
  throws(() => queue(c, { maxMessages: 0 }), RangeError);
  throws(() => queue(c, { maxMessages: 2.5 }), RangeError);
  throws(() => new OfflineQueueService(42, undefined), TypeError, 'clientOrConfig must be a RealtimeClient');

  const q = queue(c, { maxMessages: 2 });
  push(q, 'general', 'one');
  push(q, 'general', 'two');
  throws(() => q.queueMessage({ channelId: 'general', content: 'three' }), undefined, 'full');
  equal(q.getQueueLength(), 2, 'nothing dropped');
  for (const bad of [
    { channelId: 'general' },
    { channelId: '', content: 'x' },
    { channelId: 'general', content: '   ' },
    { channelId: 'general', content: 'x', colour: 'red' },
    { channelId: 'general', content: 'x', mentions: [1] },
  ]) {
    const e = throws(() => q.queueMessage(bad));
    assert(e.message.startsWith('queueMessage()'), `${JSON.stringify(bad)}: ${e.message}`);
  }
  throws(() => q.queueMessage({ channelId: 'general' }), TypeError, 'message.content must be a string, got undefined');
  throws(() => q.queueMessage({ channelId: 7, content: 'x' }), TypeError, 'message.channelId');
  throws(() => q.queueMessage(null), TypeError);
  throws(() => q.queueMessage([]), TypeError);
  throws(() => q.removeMessage(42), TypeError);
  throws(() => q.retryMessage(''), RangeError);
  throws(() => q.subscribe('f'), TypeError);
  throws(() => q.retryMessage('nope'), undefined, 'no queued message');
  const first = json(q.getQueuedMessages())[0].id;
  throws(() => q.retryMessage(first), undefined, 'has not failed');
  equal(q.clearQueue(), 2);
  deepEqual(storedMessages(), []);

  const pending = q.flushQueue();
  q.dispose();
  q.dispose();
  await pending; // settled before dispose
  throws(() => q.getQueueLength(), undefined, 'disposed');
});
