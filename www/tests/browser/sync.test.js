// SyncService in a real browser against the real test server: the reconnect
// sequence (queue flush first, then channels, messages missed while
// disconnected, presence), manual syncs and edit conflicts.
import { test, assert, equal, deepEqual, rejects, throws } from './harness.js';
import { OfflineQueueService, SyncService } from './pkg.js';
import {
  reset, client, connected, own, post, sleep, waitUntil, EventRecorder, json, clearStorage, received,
} from './support.js';

/** A SyncService of `c`, released after the test. */
const syncService = (c, options) => own(new SyncService(c, options));

/** Sends `content` to `room` and resolves to the ack's `data`. */
async function send(c, room, content, cid) {
  return json(await c.emitAsync('message:send', { roomName: room, content, clientMessageId: cid }));
}

const contents = (list) => list.map((m) => m.content);

/** A fresh server and storage, with bob and alice connected and in channel:general. */
async function bobAndAliceInGeneral() {
  clearStorage();
  await reset();
  const bob = await connected('bob');
  const alice = await connected('alice');
  await bob.joinChannel('general');
  await alice.joinChannel('general');
  return { bob, alice };
}

test('reconnect sync flushes the queue then fetches what was missed', async () => {
  clearStorage();
  await reset();
  const bob = await connected('bob', { reconnectDelayMs: 100, reconnectDelayMaxMs: 200 });
  const alice = await connected('alice', { reconnectDelayMs: 2500, reconnectDelayMaxMs: 2500, randomizationFactor: 0 });
  await bob.joinChannel('general');
  await alice.joinChannel('general');

  const queue = own(new OfflineQueueService(alice));
  const sync = syncService(alice, { presenceUserIds: ['bob'], queue });
  const events = new EventRecorder();
  sync.subscribe(events.f);

  await send(bob, 'channel:general', 'before', 'b-0');
  const first = json(await sync.syncMessages('general'));
  deepEqual(contents(first.messages), ['before']);
  const since = sync.getLastSyncTime('general');
  assert(typeof since === 'number', `a last-sync time: ${since}`);
  assert((localStorage.getItem('nchat:sync-state') ?? '').includes('general'), 'persisted');
  equal(events.count('sync:started'), 0, 'no sync on the first connect');

  // Everyone drops; bob is back quickly and writes while alice is away,
  // alice writes offline into her queue.
  await post('/drop', {});
  await waitUntil('alice away', 3000, () => !alice.isConnected);
  await waitUntil('bob back', 3000, () => bob.isConnected);
  await send(bob, 'channel:general', 'missed 1', 'b-1');
  await send(bob, 'channel:general', 'missed 2', 'b-2');
  const aliceCid = json(queue.queueMessage({ channelId: 'general', content: 'alice offline' })).clientMessageId;
  assert(!alice.isConnected);

  // Alice reconnects: the sync runs by itself.
  await waitUntil('sync completed', 15_000, () => events.count('sync:completed') === 1);
  const names = events.names();
  const started = names.indexOf('sync:started');
  const completed = names.indexOf('sync:completed');
  assert(started >= 0 && started < completed, JSON.stringify(names));
  const progress = events.of('sync:progress').map((p) => p.progress);
  equal(progress[0], 10, JSON.stringify(progress));
  equal(progress.at(-1), 100, JSON.stringify(progress));
  assert(progress.every((p, i) => i === 0 || progress[i - 1] <= p), JSON.stringify(progress));
  const stages = events.of('sync:progress').map((p) => p.stage);
  equal(stages[0], 'queue');
  assert(stages.includes('channels'), JSON.stringify(stages));
  assert(stages.includes('presence'), JSON.stringify(stages));

  const batches = events.of('sync:messages');
  const general = batches.filter((b) => b.channelId === 'general' && typeof b.syncId === 'number');
  equal(general.length, 1, JSON.stringify(batches));
  deepEqual(
    contents(general[0].messages),
    ['missed 1', 'missed 2', 'alice offline'],
    'what was missed since the last sync, plus the queue flushed first',
  );
  const { result } = events.of('sync:completed')[0];
  deepEqual(result.queueFlushed, { sent: 1, failed: 0 });
  equal(result.messages.synced, 3);
  equal(result.messages.errors, 0);
  assert(result.channels.synced >= 1, JSON.stringify(result.channels));
  equal(result.presence.synced, 1);
  deepEqual(events.of('sync:presence')[0].userIds, ['bob']);
  deepEqual(events.of('sync:error'), []);

  const later = sync.getLastSyncTime('general');
  assert(later > since, `${later} after ${since}`);
  assert(sync.getLastSyncTime() !== undefined);
  const { cids, sendCounts } = await received();
  equal(cids.filter((c) => c === aliceCid).length, 1);
  equal(sendCounts[aliceCid], 1);
});

test('manual sync and edit conflicts', async () => {
  const { bob, alice } = await bobAndAliceInGeneral();
  const sync = syncService(alice, { autoSyncOnReconnect: false });
  const events = new EventRecorder();
  sync.subscribe(events.f);
  const { id: id1 } = await send(bob, 'channel:general', 'original 1', 'c-1');
  const { id: id2 } = await send(bob, 'channel:general', 'original 2', 'c-2');
  assert(typeof id1 === 'string' && typeof id2 === 'string', `${id1} ${id2}`);

  // A full sync by hand (no queue): resolves with the seed's result shape.
  equal(sync.syncStatus, 'idle');
  const running = sync.syncOnReconnect(['bob', 'nobody']);
  equal(sync.syncStatus, 'syncing');
  const result = json(await running);
  equal(sync.syncStatus, 'completed');
  deepEqual(result.queueFlushed, { sent: 0, failed: 0 });
  equal(result.messages.synced, 2);
  equal(result.presence.synced, 2);
  equal(typeof result.duration, 'number');
  assert(result.timestamp > 0, JSON.stringify(result));
  assert(!sync.isSyncing);

  // Alice edited both locally; the server then gets edits too: an older local
  // edit loses, a newer one wins.
  const now = Date.now();
  sync.recordLocalMessage({ id: id1, content: "alice's old edit", editedAt: now - 60_000 });
  sync.recordLocalMessage({ id: id2, content: "alice's new edit", editedAt: now + 60_000 });
  for (const [id, content] of [[id1, "bob's edit 1"], [id2, "bob's edit 2"]]) {
    await bob.emitAsync('message:edit', { messageId: id, content, roomName: 'channel:general' });
  }
  const r = json(await sync.syncMessages('general'));
  deepEqual(contents(r.messages), ["bob's edit 1"], 'the losing server version is left out');
  const { conflicts } = r;
  equal(conflicts.length, 2);
  const byId = (id) => conflicts.find((c) => c.messageId === id);
  equal(byId(id1).resolution, 'server');
  equal(byId(id2).resolution, 'local');
  equal(byId(id2).local.content, "alice's new edit");
  equal(events.count('sync:conflict'), 2);

  // No automatic sync after a reconnect when disabled.
  await post('/drop', {});
  await waitUntil('alice back', 8000, () => alice.isConnected);
  await sleep(500);
  equal(events.count('sync:started'), 1, 'only the manual one');
});

test("maxMessagesPerChannel caps each channel's sync to the newest, and syncMessages' since overrides the stored time", async () => {
  const { bob, alice } = await bobAndAliceInGeneral();
  const sent = [];
  for (let i = 0; i < 5; i++) sent.push(await send(bob, 'channel:general', `m${i}`, `lim-${i}`));
  const sync = syncService(alice, { maxMessagesPerChannel: 3, autoSyncOnReconnect: false });
  deepEqual(contents(json(await sync.syncMessages('general')).messages), ['m2', 'm3', 'm4'], 'the newest 3');
  deepEqual(contents(json(await sync.syncMessages('general')).messages), [], 'nothing since the last sync');
  // An explicit since (nchat's): from just after m0's time.
  const afterFirst = Date.parse(sent[0].timestamp);
  deepEqual(contents(json(await sync.syncMessages('general', afterFirst)).messages), ['m2', 'm3', 'm4']);
  const all = syncService(alice, { maxMessagesPerChannel: 10, autoSyncOnReconnect: false, storageKey: 'lim-other' });
  deepEqual(contents(json(await all.syncMessages('general', afterFirst)).messages), ['m1', 'm2', 'm3', 'm4']);
  throws(() => all.syncMessages('general', -1), RangeError, 'syncMessages(): since');
  throws(() => all.syncMessages('general', '0'), TypeError, 'syncMessages(): since');
  throws(() => syncService(alice, { maxMessagesPerChannel: 2.5 }), RangeError, 'options.maxMessagesPerChannel');
});

test('bad input gives clear errors', async () => {
  const c = client();
  throws(() => syncService(c, { autosync: true }), TypeError, 'unknown key "autosync"');
  throws(() => syncService(c, { queue: 42 }), TypeError, 'OfflineQueueService');
  throws(() => syncService(c, { presenceUserIds: 'bob' }), TypeError, 'options.presenceUserIds');
  throws(() => syncService(c, []), TypeError);
  const s = syncService(c, undefined);
  throws(() => s.syncMessages(''), RangeError, 'syncMessages(): channelId');
  throws(() => s.syncMessages(true), TypeError);
  throws(() => s.recordLocalMessage({ id: '', content: 'x' }), RangeError);
  throws(() => s.recordLocalMessage({ id: 'a', content: 'x', extra: 1 }), TypeError, 'unknown key "extra"');
  throws(() => s.recordLocalMessage({ id: 'a' }), TypeError, 'message.content must be a string, got undefined');
  throws(() => s.setPresenceUserIds([1, 2]), TypeError, 'ids[0]');
  throws(() => s.setPresenceUserIds(undefined), TypeError);
  throws(() => s.getLastSyncTime(5), TypeError);
  throws(() => s.getLastSyncTime(''), RangeError);
  throws(() => s.syncOnReconnect('bob'), TypeError);
  throws(() => s.subscribe(null), TypeError);
  const pending = s.syncMessages('general');
  s.dispose();
  await rejects(pending, undefined, 'disposed');
});
