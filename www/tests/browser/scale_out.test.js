// Scaled out: two server instances sharing one Redis through
// `@socket.io/redis-adapter`, one user on each. Messages, typing and presence
// cross between them, and an instance that goes down and comes back loses and
// duplicates nothing of its user's queued messages.
import { test, assert, equal, deepEqual } from './harness.js';
import { OfflineQueueService } from './pkg.js';
import {
  reset, connected, connectedB, own, get, post, postB, sleep, waitUntil, Recorder, spawnControl, waitServerDown,
  clearStorage, json, cidOf,
} from './support.js';

async function join(c) {
  await c.joinChannel('general');
}

test('messages typing and presence cross instances', async () => {
  await reset();
  const ann = await connected('ann', {}); // instance A
  const ben = await connectedB('ben'); // instance B
  await join(ann);
  await join(ben);
  const news = new Recorder();
  ben.on('message:new', news.f);
  const typing = new Recorder();
  ben.on('typing:event', typing.f);
  const presence = new Recorder();
  ben.on('presence:changed', presence.f);

  ann.emit('message:send', { roomName: 'channel:general', content: 'across', clientMessageId: 'x-1', metadata: { clientMessageId: 'x-1' } });
  await waitUntil("ben gets ann's message via Redis", 5000, () => news.all().some((m) => m.content === 'across'));
  ann.sendTyping('general', true);
  await waitUntil('ben sees ann typing', 5000, () => typing.all().some(
    (e) => Array.isArray(e.users) && e.users.some((u) => u.userId === 'ann'),
  ));
  ann.updatePresence('busy', { text: 'Deep work', emoji: '🎧' });
  await waitUntil('ben sees ann busy', 5000, () => presence.all().some(
    (p) => p.userId === 'ann' && p.status === 'busy' && p.customEmoji === '🎧',
  ));
  // And the other way round.
  const back = new Recorder();
  ann.on('message:new', back.f);
  ben.emit('message:send', { roomName: 'channel:general', content: 'and back', clientMessageId: 'x-2' });
  await waitUntil("ann gets ben's message", 5000, () => back.all().some((m) => m.content === 'and back'));
});

test('an instance restart loses and duplicates nothing', async () => {
  clearStorage();
  await reset();
  // The real contract: no de-duplication, `{success:true}` acks.
  await post('/extensions', { on: false });
  await postB('/extensions', { on: false });
  const ann = await connected('ann', { reconnectDelayMs: 100, reconnectDelayMaxMs: 300 });
  const ben = await connectedB('ben');
  await join(ann);
  await join(ben);
  const atBen = new Recorder();
  ben.on('message:new', atBen.f);
  const atAnn = new Recorder();
  ann.on('message:new', atAnn.f);
  const q = own(new OfflineQueueService(ann, {}));

  // Instance A goes down; ann keeps writing through her queue.
  const up = spawnControl('POST', '/restart', { downMs: 2000 });
  await waitServerDown();
  await waitUntil('ann lost A', 3000, () => !ann.isConnected);
  const sent = [];
  for (let i = 0; i < 5; i++) {
    const m = json(q.queueMessage({ channelId: 'general', content: `while down ${i}` }));
    equal(typeof m.clientMessageId, 'string', JSON.stringify(m));
    sent.push(m.clientMessageId);
  }
  // Meanwhile ben, on B, is unaffected.
  assert(ben.isConnected, 'ben is still connected to B');
  await waitUntil('A back', 8000, () => up.done);
  await waitUntil('ann back on A', 8000, () => ann.isConnected);
  await waitUntil('queue drained', 10_000, () => q.getQueueLength() === 0);
  await waitUntil('ben got all five', 8000, () => atBen.all().map(cidOf).filter((c) => c !== null).length >= 5);
  await sleep(800);
  const got = atBen.all().map(cidOf).filter((c) => c !== null);
  deepEqual(got, sent, 'every message once, in order, across instances');
  // ann re-joined the room on A: she hears ben again.
  ben.emit('message:send', { roomName: 'channel:general', content: 'welcome back', clientMessageId: 'wb' });
  await waitUntil('ann hears ben after the restart', 5000, () => atAnn.all().some((m) => m.content === 'welcome back'));
  const counts = (await get('/received')).sendCounts;
  for (const c of sent) equal(counts[c], 1, `${c} sent ${counts[c]} times: ${JSON.stringify(counts)}`);
});
