// TypingService in a real browser: two and three users typing against the
// real Socket.IO test server.
import { test, assert, equal, deepEqual, throws, show } from './harness.js';
import { TypingService } from './pkg.js';
import { reset, connected, own, get, post, sleep, waitUntil, Recorder, json } from './support.js';

/** The typing text; nobody typing must be `null`. */
function text(t, channel) {
  const v = t.getTypingText(channel);
  assert(v === null || typeof v === 'string', `a string or null: ${show(v)}`);
  return v;
}

function users(t, channel, thread) {
  return json(t.getTypingUsers(channel, thread));
}

/** Records the `(channelId, users, threadId, change)` calls of a typing callback, as JSON. */
class Changes {
  constructor() {
    this.calls = [];
    /** The callback to hand to the service. */
    this.f = (channelId, list, threadId, change) => {
      this.calls.push([json(channelId), json(list), json(threadId), json(change)]);
    };
  }

  len() {
    return this.calls.length;
  }

  /** The `change` objects. */
  changes() {
    return this.calls.map((c) => c[3]);
  }

  /** The user ids of each call. */
  userIds() {
    return this.calls.map((c) => (Array.isArray(c[1]) ? c[1].map((u) => (typeof u.userId === 'string' ? u.userId : '?')) : []));
  }
}

async function typist(sub, rooms) {
  const c = await connected(sub, {});
  for (const room of rooms) await c.joinChannel(room);
  const t = own(new TypingService(c, {}));
  await waitUntil('the user id', 3000, () => t.userId === sub);
  return [c, t];
}

/** Types into `channel` for `ms`, a keystroke every 100 ms. */
async function typeFor(t, channel, ms) {
  let value = '';
  const start = Date.now();
  while (Date.now() - start < ms) {
    value += 'x';
    t.handleInputChange(channel, value);
    await sleep(100);
  }
}

test('a types b sees it and it disappears 5s after a stops', async () => {
  await reset();
  const [, ta] = await typist('ann', ['general']);
  const [, tb] = await typist('ben', ['general']);
  const room = new Changes();
  tb.onRoomTypingChange('general', 'channel', room.f);
  equal(room.len(), 1, 'called at once with the current state');
  deepEqual(room.userIds(), [[]]);

  // A types for 1.5 s, a keystroke every 100 ms.
  await typeFor(ta, 'general', 1500);
  const stoppedAt = Date.now();
  assert(ta.isTyping, 'A is typing');
  await waitUntil('B sees A typing', 3000, () => text(tb, 'general') === 'ann is typing...');
  const seen = users(tb, 'general');
  equal(seen[0].userId, 'ann');
  equal(seen[0].userName, 'ann');
  equal(typeof seen[0].startedAt, 'string', `a Date: ${JSON.stringify(seen)}`);
  equal(text(ta, 'general'), null, 'A never sees itself');

  // A stopped typing (no more keystrokes): it disappears for B ~5 s later.
  await waitUntil('B sees nobody typing', 9000, () => text(tb, 'general') === null);
  const goneAfter = Date.now() - stoppedAt;
  assert(goneAfter >= 4500 && goneAfter < 6500, `disappeared ${goneAfter} ms after the last keystroke`);
  assert(!ta.isTyping, 'A is not typing');
  await waitUntil('the room callback hears it', 2000, () => room.userIds().at(-1)?.length === 0 && room.len() >= 3);
  // Batched: a handful of calls, not one per server event.
  assert(room.len() <= 5, JSON.stringify(room.userIds()));
  equal(room.changes()[1].roomName, 'channel:general');
  equal(room.changes()[1].roomType, 'channel');
  equal(room.changes()[1].channelId, 'general');
  ta.dispose();
  tb.dispose();
});

// With the extensions off the server is the real one: `typing:event` users
// are `{userId, startedAt}` without names, every `typing:start` outside a
// thread adds a row (A is listed once per start), and nothing is sent when
// rows expire or when A's socket goes. B still shows A once, under a name
// when the app gives one, and forgets A by itself.
test('the real servers typing events without the extensions', async () => {
  await reset();
  await post('/extensions', { on: false });
  const [a, ta] = await typist('ann', ['general']);
  const [b, tb] = await typist('ben', ['general']);
  const raw = new Recorder();
  b.on('typing:event', raw.f);
  const arrivals = [];
  b.on('typing:event', () => arrivals.push(Date.now()));

  // A types for 2.5 s: typing:start goes out more than once.
  await typeFor(ta, 'general', 2500);
  await waitUntil('the server lists A twice', 3000, () => raw.all().some((e) => Array.isArray(e.users) && e.users.length >= 2));
  assert(
    raw.all().every((e) => Array.isArray(e.users) && e.users.every(
      (u) => u.userId === 'ann' && typeof u.startedAt === 'string' && !Object.hasOwn(u, 'userName'),
    )),
    `the real shape: ${JSON.stringify(raw.all())}`,
  );
  await waitUntil('B sees A typing', 3000, () => text(tb, 'general') === 'ann is typing...');
  const seen = users(tb, 'general');
  equal(seen.length, 1, `once: ${JSON.stringify(seen)}`);
  equal(seen[0].userId, 'ann');
  equal(seen[0].userName, 'ann', 'the id until a name is known');
  tb.setUserNames({ ann: 'Ann Lee' });
  equal(text(tb, 'general'), 'Ann Lee is typing...');

  // An explicit stop reaches B at once.
  const stopped = Date.now();
  ta.stopTyping();
  await waitUntil('B sees A stop', 2000, () => text(tb, 'general') === null);
  assert(Date.now() - stopped < 1500, `stopped after ${Date.now() - stopped} ms`);

  // A starts again and its socket goes without a stop: the server says
  // nothing, B forgets A 5 s after the last report.
  await sleep(1100);
  ta.startTyping('general');
  await waitUntil('B sees A again', 3000, () => text(tb, 'general') !== null);
  await post('/disconnect', { userId: 'ann' });
  await waitUntil('A is gone', 3000, () => !a.isConnected);
  await waitUntil('B forgets A', 8000, () => text(tb, 'general') === null);
  const lastReport = arrivals.at(-1) ?? NaN;
  const after = Date.now() - lastReport;
  assert(after >= 4500 && after < 6500, `forgotten ${after} ms after the last typing:event`);
  equal((await get('/stats')).contractViolations, 0);
  ta.dispose();
  tb.dispose();
});

test('explicit stop threads and dms', async () => {
  await reset();
  const [, ta] = await typist('ann', ['general']);
  const [, tb] = await typist('ben', ['general', 'dm:d1']);

  ta.startTypingInThread('general', 't1');
  await waitUntil('B sees A in the thread', 3000, () => users(tb, 'general', 't1')[0]?.userId === 'ann');
  deepEqual(users(tb, 'general'), [], 'not in the channel');
  const started = Date.now();
  ta.stopTyping('general', 't1');
  await waitUntil('stopped at once', 2000, () => users(tb, 'general', 't1').length === 0);
  assert(Date.now() - started < 1500, `stopped after ${Date.now() - started} ms`);

  ta.startTypingInDM('d1', 'ben');
  await waitUntil('B sees A in the DM', 3000, () => tb.getTypingTextInDM('d1') === 'ann is typing...');
  ta.stopTyping();
  await waitUntil('stopped everywhere', 2000, () => tb.getTypingTextInDM('d1') === null);

  // Blank input stops at once.
  ta.startTyping('general');
  await waitUntil('typing', 3000, () => text(tb, 'general') !== null);
  ta.handleInputChange('general', '   ');
  await waitUntil('blank stops', 2000, () => text(tb, 'general') === null);
  ta.dispose();
  tb.dispose();
});

test('a burst is one update and texts name everyone', async () => {
  await reset();
  const [, ta] = await typist('ann', ['general']);
  const [, tc] = await typist('cat', ['general']);
  const [, td] = await typist('dan', ['general']);
  const [, tb] = await typist('ben', ['general']);
  const all = new Changes();
  const unsubscribe = tb.subscribe(all.f);
  ta.startTyping('general');
  tc.startTyping('general');
  await waitUntil('one update', 3000, () => all.len() >= 1);
  await sleep(700);
  equal(all.len(), 1, JSON.stringify(all.userIds()));
  // Both started in the same instant: the server may take either first,
  // and B lists them in the order they started.
  const first = all.userIds()[0];
  deepEqual([...first].sort(), ['ann', 'cat']);
  const seen = users(tb, 'general');
  equal(seen[0].userId, first[0]);
  assert(seen[0].startedAt <= seen[1].startedAt, `in the order they started: ${JSON.stringify(seen)}`);
  const [x, y] = first;
  equal(text(tb, 'general'), `${x} and ${y} are typing...`);
  // Dan starts later: third, and the first two keep their places.
  td.startTyping('general');
  const three = `${x}, ${y}, and dan are typing...`;
  await waitUntil('three', 3000, () => text(tb, 'general') === three);
  // Unsubscribed: no more calls.
  const n = all.len();
  unsubscribe();
  ta.stopTyping();
  await waitUntil('two', 3000, () => text(tb, 'general') === 'cat and dan are typing...');
  await sleep(700);
  equal(all.len(), n);
  for (const t of [ta, tb, tc, td]) t.dispose();
});

test('privacy broadcast off and visibility filters', async () => {
  await reset();
  const [, ta] = await typist('ann', ['general']);
  const [b, tb] = await typist('ben', ['general']);
  const raw = new Recorder();
  b.on('typing:event', raw.f);

  // broadcastTyping off: nothing is sent.
  const p = json(ta.updatePrivacySettings({ broadcastTyping: false }));
  deepEqual(p, { broadcastTyping: false, typingVisibility: 'everyone' });
  ta.startTyping('general');
  ta.handleInputChange('general', 'hello');
  for (let i = 0; i < 10; i++) {
    await sleep(150);
    equal(text(tb, 'general'), null);
  }
  equal(raw.len(), 0, `no typing:event at all: ${JSON.stringify(raw.all())}`);
  ta.updatePrivacySettings({ broadcastTyping: true });

  // B shows contacts only; A is not one until B says so.
  tb.updatePrivacySettings({ typingVisibility: 'contacts' });
  ta.startTyping('general');
  await waitUntil('the event reached B', 3000, () => raw.len() >= 1);
  await sleep(200);
  equal(text(tb, 'general'), null, 'filtered');
  tb.setContacts(['ann']);
  equal(text(tb, 'general'), 'ann is typing...');
  // nchat's one-contact changes: the same filter.
  tb.removeContact('ann');
  assert(!tb.isContact('ann'));
  equal(text(tb, 'general'), null, 'filtered again');
  tb.addContact('ann');
  assert(tb.isContact('ann') && !tb.isContact('ben'));
  equal(text(tb, 'general'), 'ann is typing...');
  deepEqual(tb.getActiveTypingRooms(), ['channel:general']);
  // nchat's clearRoomTypingState: who types there is forgotten.
  tb.clearRoomTypingState('general', 'channel');
  equal(text(tb, 'general'), null, 'cleared');
  deepEqual(tb.getActiveTypingRooms(), []);
  tb.updatePrivacySettings({ typingVisibility: 'nobody' });
  equal(text(tb, 'general'), null);
  deepEqual(json(tb.privacySettings), { broadcastTyping: true, typingVisibility: 'nobody' });
  ta.dispose();
  tb.dispose();
});

test("enablePrivacyFiltering false: typing goes out with broadcastTyping off and everyone else is shown", async () => {
  await reset();
  const connect = async (sub) => {
    const c = await connected(sub, {});
    await c.joinChannel('general');
    return c;
  };
  const a = await connect('amy');
  const b = await connect('bo');
  const noBroadcast = { broadcastTyping: false, typingVisibility: 'nobody' };
  throws(() => new TypingService(a, { enablePrivacyFiltering: 'no' }), TypeError, 'options.enablePrivacyFiltering');
  const ta = own(new TypingService(a, { enablePrivacyFiltering: false, privacySettings: noBroadcast }));
  const tb = own(new TypingService(b, { enablePrivacyFiltering: false, privacySettings: noBroadcast }));
  // The same settings with filtering (nchat's default), on bo's client too.
  const tc = own(new TypingService(b, { privacySettings: noBroadcast }));
  await waitUntil('the user ids', 3000, () => ta.userId === 'amy' && tb.userId === 'bo' && tc.userId === 'bo');
  ta.startTyping('general');
  await waitUntil('bo sees amy although amy broadcasts nothing and bo shows nobody', 3000,
    () => text(tb, 'general') === 'amy is typing...');
  deepEqual(json(tb.privacySettings), noBroadcast, 'the settings are kept, not applied');
  equal(text(tc, 'general'), null, 'filtered where filtering is on');
});

test('no timer while nobody types', async () => {
  await reset();
  const [, ta] = await typist('ann', ['general']);
  const [, tb] = await typist('ben', ['general']);
  let [wa, wb] = [ta.timerWakeups, tb.timerWakeups];
  await sleep(1500);
  deepEqual([ta.timerWakeups, tb.timerWakeups], [wa, wb]);
  ta.startTyping('general');
  await waitUntil('B sees it', 3000, () => text(tb, 'general') !== null);
  assert(ta.timerWakeups > wa && tb.timerWakeups > wb, `wakeups ${ta.timerWakeups} > ${wa}, ${tb.timerWakeups} > ${wb}`);
  ta.stopTyping();
  await waitUntil('gone', 3000, () => text(tb, 'general') === null);
  await sleep(700); // the batched notification
  [wa, wb] = [ta.timerWakeups, tb.timerWakeups];
  await sleep(1500);
  deepEqual([ta.timerWakeups, tb.timerWakeups], [wa, wb]);
  ta.dispose();
  tb.dispose();
});

test('bad input is refused clearly and changes nothing', async () => {
  await reset();
  const [a, ta] = await typist('ann', ['general']);
  throws(() => ta.startTyping(5), TypeError, 'channelId must be a non-empty string, got the number 5');
  throws(() => ta.startTyping(''), RangeError, 'non-empty string');
  throws(() => ta.startTyping('general', {}), TypeError, 'threadId');
  throws(() => ta.stopTyping(undefined, 't1'), Error, 'needs its channelId');
  throws(() => ta.handleInputChange('general', 5), TypeError, 'value must be a string');
  assert(!ta.isTyping, 'not typing');
  const cb = new Changes();
  throws(() => ta.onRoomTypingChange('general', 'room', cb.f), RangeError, "'channel', 'thread', 'dm'");
  throws(() => ta.onRoomTypingChange('general', 'thread', cb.f), Error, 'needs a threadId');
  throws(() => ta.onRoomTypingChange('general', 5, cb.f), TypeError);
  throws(() => ta.onRoomTypingChange('general', 'channel', 5), TypeError, 'a function');
  equal(cb.len(), 0);
  throws(() => ta.updatePrivacySettings({ typingVisibility: 'friends' }), RangeError, 'friends');
  throws(() => ta.updatePrivacySettings({ broadcast: false }), TypeError, 'unknown key "broadcast"');
  throws(() => ta.updatePrivacySettings({ broadcastTyping: 'no' }), TypeError, 'settings.broadcastTyping must be a boolean');
  throws(() => ta.updatePrivacySettings(undefined), TypeError);
  throws(() => ta.subscribe({}), TypeError);
  throws(() => ta.setContacts('ann'), TypeError);
  throws(() => ta.addContact(''), RangeError, 'addContact(): contactId');
  throws(() => ta.isContact(1), TypeError, 'isContact(): userId');
  throws(() => ta.clearRoomTypingState('general', 'room'), RangeError, 'clearRoomTypingState(): roomType');
  deepEqual(json(ta.privacySettings), { broadcastTyping: true, typingVisibility: 'everyone' });
  throws(() => new TypingService(a, { throttle: 5 }), TypeError, 'unknown key "throttle"');
  throws(() => new TypingService(a, { throttleMs: -5 }), RangeError, 'options.throttleMs');
  throws(() => new TypingService(a, new Date()), TypeError);
  throws(() => new TypingService(a, { privacySettings: { typingVisibility: 1 } }), TypeError, 'options.privacySettings.typingVisibility');

  // Malformed typing:event from the server: dropped, nothing changes.
  const room = new Changes();
  ta.onRoomTypingChange('general', 'channel', room.f);
  for (const data of [
    { users: [] },
    { roomName: 'channel:general', users: [{ userId: 5 }] },
    { roomName: 'channel:general', users: 'ben' },
    'typing',
  ]) {
    await post('/emit', { event: 'typing:event', data });
  }
  await post('/emit', { event: 'typing:event', data: { roomName: 'channel:general', users: [{ userId: 'zed', userName: 'Zed' }] } });
  await waitUntil('the valid event', 3000, () => text(ta, 'general') !== null);
  equal(text(ta, 'general'), 'Zed is typing...');

  ta.dispose();
  ta.dispose();
  throws(() => ta.startTyping('general'), Error, 'disposed');
});
