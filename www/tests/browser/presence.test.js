// PresenceService in a real browser: two clients (two users) against the real
// Socket.IO test server, idle detection from synthetic DOM events, and the
// cross-tab relay between two services in one page.
import { test, assert, equal, deepEqual, throws } from './harness.js';
import { PresenceService } from './pkg.js';
import {
  reset, connected, own, get, post, sleep, waitUntil, Recorder, json,
} from './support.js';

/** What `p` knows of `user`, as plain data (Dates as ISO strings). */
const presence = (p, user) => json(p.getPresence(user));

/** `user`'s status as `p` sees it ('unknown' before it knows). */
const statusOf = (p, user) => presence(p, user)?.status ?? 'unknown';

/** A PresenceService of `c`, released after the test. */
const service = (c, options = {}) => own(new PresenceService(c, options));

/** `a` and `b` hold the same data (deepEqual as a condition). */
function same(a, b) {
  try {
    deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}

/** A plain JSON object (not null, not an array). */
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A synthetic `kind` event on window or document, as a user would cause. */
function activity(kind, onDocument) {
  (onDocument ? document : window).dispatchEvent(new Event(kind));
}

const KINDS = [
  ['mousemove', false],
  ['keydown', true],
  ['wheel', false],
  ['scroll', true],
  ['touchstart', false],
  ['pointerdown', true],
  ['mousedown', false],
  ['pointermove', false],
];

/** Makes the page look hidden (or visible again) and fires `visibilitychange`. */
function setHidden(hidden) {
  if (hidden) {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
  } else {
    delete document.visibilityState;
  }
  document.dispatchEvent(new Event('visibilitychange'));
}

/** Two users, each with a PresenceService; B follows A. */
async function annAndBen(aOptions = {}) {
  await reset();
  const a = await connected('ann');
  const b = await connected('ben');
  const pa = service(a, aOptions);
  const pb = service(b);
  equal(pb.subscribeToUsers(['ann']), 1);
  await waitUntil("B learns A's presence from the subscribe answer", 3000, () => statusOf(pb, 'ann') === 'online');
  await waitUntil('both know their user id', 3000, () => pa.userId === 'ann' && pb.userId === 'ben');
  return { a, b, pa, pb };
}

test('status and custom status reach the other user', async () => {
  const { pa, pb } = await annAndBen();
  const changes = new Recorder();
  pb.onPresenceChange(changes.f);

  pa.setStatus('busy');
  equal(pa.getStatus(), 'busy');
  await waitUntil('B sees busy', 3000, () => statusOf(pb, 'ann') === 'busy');
  const last = changes.all().at(-1) ?? {};
  equal(last.userId, 'ann');
  equal(last.status, 'busy');

  // A custom status with an expiry reaches B; A clears it at the expiry, and
  // the clearing reaches B.
  const ownChanges = new Recorder();
  pa.onCustomStatusChange(ownChanges.f);
  const setAt = Date.now();
  const expires = setAt + 1500;
  pa.setCustomStatus({ text: 'In a meeting', emoji: '📅', expiresAt: new Date(expires) });
  equal(pa.getCustomStatus().text, 'In a meeting');
  await waitUntil('B sees the custom status', 3000, () => presence(pb, 'ann')?.customStatus?.text === 'In a meeting');
  // The real server sends the text and the emoji, never the expiry: B sees
  // exactly these, and only A knows when it ends (a Date, to the ms).
  deepEqual(presence(pb, 'ann'), { userId: 'ann', status: 'busy', customStatus: { text: 'In a meeting', emoji: '📅' } });
  const expiresAt = pa.getCustomStatus().expiresAt;
  equal(expiresAt instanceof Date ? expiresAt.getTime() : -1, Math.floor(expires));
  const took = await waitUntil('the custom status expires for B', 4000, () => (presence(pb, 'ann')?.customStatus ?? null) === null);
  const clearedAfter = Date.now() - setAt;
  assert(clearedAfter >= 1400 && clearedAfter < 3000, `cleared ${clearedAfter} ms after it was set (expiry 1500 ms; waited ${took})`);
  equal(pa.getCustomStatus(), null);
  equal(ownChanges.all().at(-1), null, JSON.stringify(ownChanges.all()));

  // Without an expiry it stays until cleared; clearing reaches B.
  pa.setCustomStatus({ text: 'Lunch' });
  await waitUntil('B sees Lunch', 3000, () => presence(pb, 'ann')?.customStatus?.text === 'Lunch');
  pa.clearCustomStatus();
  await waitUntil('B sees it cleared', 3000, () => (presence(pb, 'ann')?.customStatus ?? null) === null);
  // A later update does not bring it back (the server forgot it).
  pa.setStatus('away');
  await waitUntil('B sees away', 3000, () => statusOf(pb, 'ann') === 'away');
  equal(presence(pb, 'ann').customStatus ?? null, null);
  pa.dispose();
  pb.dispose();
});

// With the extensions off the server is the real one: no answer to
// `presence:subscribe`, `presence:changed` as `{userId, status, customStatus:
// text, customEmoji}`, no `lastSeenAt`. B follows A from A's broadcasts alone,
// and A's service undoes the reset the server does when another tab of A
// connects.
test("presence follows the real server's broadcasts without the extensions", async () => {
  await reset();
  await post('/extensions', { on: false });
  const a = await connected('ann');
  const b = await connected('ben');
  const pb = service(b);
  equal(pb.subscribeToUsers(['ann']), 1);
  await sleep(300);
  equal(pb.getPresence('ann'), undefined, `nothing answers presence:subscribe: ${JSON.stringify(presence(pb, 'ann'))}`);

  // A's service announces A when it starts.
  const pa = service(a);
  await waitUntil('B hears A online', 3000, () => statusOf(pb, 'ann') === 'online');
  pa.setStatus('busy');
  pa.setCustomStatus({ text: 'In a meeting', emoji: '📅', expiresAt: Date.now() + 3_600_000 });
  const busy = { userId: 'ann', status: 'busy', customStatus: { text: 'In a meeting', emoji: '📅' } };
  await waitUntil('B sees busy in a meeting', 3000, () => same(presence(pb, 'ann'), busy));

  // A second tab of A connects: the server resets A to online without custom
  // status and tells everyone; A's service sends its own again.
  const raw = new Recorder();
  b.on('presence:changed', raw.f);
  const a2 = await connected('ann');
  await waitUntil('the reset reached B', 3000, () => raw.all().some((p) => p?.userId === 'ann' && p?.status === 'online'));
  await waitUntil('B sees busy in a meeting again', 3000, () => same(presence(pb, 'ann'), busy));
  await sleep(500);
  deepEqual(presence(pb, 'ann'), busy, JSON.stringify(raw.all()));
  assert(
    raw.all().every((p) => !Object.hasOwn(p, 'lastSeenAt') && !isObject(p.customStatus)),
    `the real shape: ${JSON.stringify(raw.all())}`,
  );

  // Both of A's sockets go: offline, last seen when B heard it.
  const before = Date.now();
  a.disconnect();
  a2.disconnect();
  await waitUntil('B sees A offline', 3000, () => statusOf(pb, 'ann') === 'offline');
  const seen = presence(pb, 'ann');
  equal(seen.customStatus ?? null, null, JSON.stringify(seen));
  const lastSeen = Date.parse(typeof seen.lastSeenAt === 'string' ? seen.lastSeenAt : 'none');
  assert(lastSeen >= before && lastSeen <= Date.now(), `last seen ${JSON.stringify(seen)}`);
  equal((await get('/stats')).contractViolations, 0);
  pa.dispose();
  pb.dispose();
});

test('invisible user appears offline', async () => {
  const { pa, pb } = await annAndBen();
  pa.setCustomStatus({ text: 'Focus' });
  await waitUntil('B sees Focus', 3000, () => presence(pb, 'ann')?.customStatus?.text === 'Focus');
  pa.setInvisibleMode(true);
  assert(pa.isInvisible);
  equal(pa.getStatus(), 'online', 'A still knows its own status');
  await waitUntil('B sees A offline', 3000, () => statusOf(pb, 'ann') === 'offline');
  equal(presence(pb, 'ann').customStatus ?? null, null, `no custom status while invisible: ${JSON.stringify(presence(pb, 'ann'))}`);
  equal(json(pa.getPresenceSettings()).invisibleMode, true);

  pa.setInvisibleMode(false);
  await waitUntil('B sees A online again', 3000, () => statusOf(pb, 'ann') === 'online');
  equal(presence(pb, 'ann').customStatus?.text, 'Focus');

  // The same through updatePresenceSettings(userId, settings), as in the seeds.
  const settings = json(await pa.updatePresenceSettings('ann', { invisibleMode: true }));
  deepEqual(settings, {
    visibility: 'everyone', showOnlineStatus: true, showLastSeen: true, allowReadReceipts: true, invisibleMode: true,
  });
  await waitUntil('B sees A offline again', 3000, () => statusOf(pb, 'ann') === 'offline');

  // B's privacy view of A, once B knows A's settings: hidden.
  pb.setUserSettings('ann', { invisibleMode: true });
  deepEqual(json(await pb.canViewPresence('ben', 'ann')), {
    canViewPresence: false, canViewOnlineStatus: false, canViewLastSeen: false, isContact: false, isInvisible: true,
  });
  equal(presence(pb, 'ann').lastSeenAt ?? null, null);
  pa.dispose();
  pb.dispose();
});

test('privacy settings filter what the other user sees', async () => {
  const { pa, pb } = await annAndBen();
  pa.setStatus('busy');
  await waitUntil('B sees busy', 3000, () => statusOf(pb, 'ann') === 'busy');
  const changes = new Recorder();
  pb.onPresenceChange(changes.f);
  // A shows presence to contacts only, and B is not one of them.
  pb.setUserSettings('ann', { visibility: 'contacts' });
  equal(statusOf(pb, 'ann'), 'offline');
  equal(changes.all().at(-1).status, 'offline');
  const view = json(await pb.canViewPresence('ben', 'ann'));
  equal(view.canViewPresence, false);
  equal(view.isContact, false);
  pb.setContacts(['ann']);
  equal(statusOf(pb, 'ann'), 'busy');
  equal(changes.all().at(-1).status, 'busy');
  // Status hidden: offline; nobody: offline.
  pb.setUserSettings('ann', { showOnlineStatus: false });
  equal(statusOf(pb, 'ann'), 'offline');
  pb.setUserSettings('ann', { visibility: 'nobody' });
  equal(statusOf(pb, 'ann'), 'offline');
  pb.setUserSettings('ann', {});
  equal(statusOf(pb, 'ann'), 'busy');
  pa.dispose();
  pb.dispose();
});

test("nchat's caches: getCachedContacts, refreshContacts, clearPresenceSettingsCache and clearPrivacyCaches", async () => {
  const { pa, pb } = await annAndBen();
  pa.setStatus('busy');
  await waitUntil('B sees busy', 3000, () => statusOf(pb, 'ann') === 'busy');
  deepEqual(json(pb.getCachedContacts()), []);
  pb.setContacts(['ann', 'cy']);
  deepEqual(json(pb.getCachedContacts()).sort(), ['ann', 'cy']);
  // No GraphQL here: resolves, the contacts stay as the app gave them.
  equal(await pb.refreshContacts(), undefined);
  deepEqual(json(pb.getCachedContacts()).sort(), ['ann', 'cy']);

  const changes = new Recorder();
  pb.onPresenceChange(changes.f);
  pb.setUserSettings('ann', { visibility: 'nobody' });
  equal(statusOf(pb, 'ann'), 'offline');
  equal(json(await pb.getPresenceSettings('ann')).visibility, 'nobody');
  pb.clearPresenceSettingsCache();
  equal(await pb.getPresenceSettings('ann'), null, 'forgotten');
  equal(statusOf(pb, 'ann'), 'busy', 'the defaults again');
  equal(changes.all().at(-1).status, 'busy', 'listeners hear it');

  pb.setInvisibleMode(true);
  pb.setUserSettings('ann', { visibility: 'contacts' });
  equal(statusOf(pb, 'ann'), 'busy', 'a contact');
  pb.clearPrivacyCaches();
  deepEqual(json(pb.getCachedContacts()), []);
  equal(await pb.getPresenceSettings('ann'), null);
  equal(pb.isInvisibleModeEnabled(), true, "the own settings stay (they are the source here)");
  pb.dispose();
  throws(() => pb.refreshContacts(), Error, 'disposed');
  pa.dispose();
});

test('activity keeps online idleness turns away and activity restores', async () => {
  const { pa, pb } = await annAndBen({ idleTimeoutMs: 800, activityThrottleMs: 100 });
  // Whatever happened during the setup has reached B before B listens.
  activity('mousemove', false);
  await waitUntil('B sees online', 3000, () => statusOf(pb, 'ann') === 'online');
  await sleep(200);
  const seenByB = new Recorder();
  pb.onPresenceChange(seenByB.f);
  const ownStatus = new Recorder();
  pa.onStatusChange(ownStatus.f);

  // 2.4 s of activity, 3 idle timeouts: A stays online.
  const start = Date.now();
  let i = 0;
  while (Date.now() - start < 2400) {
    const [kind, onDocument] = KINDS[i % KINDS.length];
    activity(kind, onDocument);
    i += 1;
    await sleep(150);
    equal(pa.getStatus(), 'online', `after ${kind} at ${i}`);
  }
  assert(!pa.isAutoAway);
  assert(seenByB.all().every((p) => p.status !== 'away'), JSON.stringify(seenByB.all()));

  // No activity: away after the idle timeout, and B sees it.
  const idleFrom = Date.now();
  await waitUntil('A goes away', 3000, () => pa.getStatus() === 'away');
  const idleFor = Date.now() - idleFrom;
  assert(idleFor >= 500 && idleFor < 2000, `away after ${idleFor} ms (idle timeout 800, last activity up to 150 ms earlier)`);
  assert(pa.isAutoAway);
  await waitUntil('B sees away', 3000, () => statusOf(pb, 'ann') === 'away');

  // Activity restores online at once, and B sees it.
  activity('keydown', true);
  equal(pa.getStatus(), 'online');
  await waitUntil('B sees online', 3000, () => statusOf(pb, 'ann') === 'online');
  deepEqual(ownStatus.strings(), ['away', 'online']);
  pa.dispose();
  pb.dispose();
});

test('a manual busy survives idleness', async () => {
  const { pa, pb } = await annAndBen({ idleTimeoutMs: 400 });
  pa.setStatus('busy');
  await waitUntil('B sees busy', 3000, () => statusOf(pb, 'ann') === 'busy');
  const seenByB = new Recorder();
  pb.onPresenceChange(seenByB.f);
  for (let n = 0; n < 12; n++) {
    await sleep(100);
    equal(pa.getStatus(), 'busy');
    assert(!pa.isAutoAway);
  }
  equal(seenByB.len(), 0, JSON.stringify(seenByB.all()));
  equal(statusOf(pb, 'ann'), 'busy');
  // Activity does not change a chosen status either.
  activity('mousemove', false);
  equal(pa.getStatus(), 'busy');
  // Back to online: idleness applies again.
  pa.setStatus('online');
  await waitUntil('A goes away', 3000, () => pa.getStatus() === 'away');
  await waitUntil('B sees away', 3000, () => statusOf(pb, 'ann') === 'away');
  pa.dispose();
  pb.dispose();
});

test('hidden tab goes away after the delay and visible restores', async () => {
  const { pa, pb } = await annAndBen({ hiddenAwayDelayMs: 300 });
  setHidden(true);
  const hiddenAt = Date.now();
  let after;
  try {
    equal(pa.getStatus(), 'online', 'not at once');
    await waitUntil('A goes away', 3000, () => pa.getStatus() === 'away');
    after = Date.now() - hiddenAt;
  } finally {
    setHidden(false);
  }
  assert(after >= 250 && after < 1500, `away ${after} ms after hiding`);
  equal(pa.getStatus(), 'online', 'visible again restores');
  await waitUntil('B sees online', 3000, () => statusOf(pb, 'ann') === 'online');
  pa.dispose();
  pb.dispose();
});

test('activity in one tab keeps the other from going away', async () => {
  await reset();
  const a1 = await connected('ann');
  const a2 = await connected('ann');
  // Tab 1 hears the DOM; "tab 2" only hears tab 1 through the BroadcastChannel.
  const tab1 = service(a1, { activityThrottleMs: 100 });
  const tab2 = service(a2, { idleTimeoutMs: 800, detectActivity: false, userId: 'ann' });
  equal(tab1.activityRelay, 'broadcast-channel');
  const start = Date.now();
  while (Date.now() - start < 2400) {
    activity('mousemove', false);
    await sleep(150);
    equal(tab2.getStatus(), 'online');
  }
  // Control: without relayed activity tab 2 goes away.
  await waitUntil('tab 2 goes away', 3000, () => tab2.getStatus() === 'away');
  activity('keydown', true);
  await waitUntil('relayed activity restores tab 2', 2000, () => tab2.getStatus() === 'online');
  // A disposed tab relays nothing.
  tab1.dispose();
  await waitUntil('tab 2 goes away again', 3000, () => tab2.getStatus() === 'away');
  activity('mousemove', false);
  await sleep(300);
  equal(tab2.getStatus(), 'away');
  tab2.dispose();
});

test('storage event fallback without broadcast channel', async () => {
  await reset();
  const a = await connected('ann');
  const saved = window.BroadcastChannel;
  window.BroadcastChannel = undefined;
  let p;
  try {
    p = service(a, { idleTimeoutMs: 600, activityThrottleMs: 100 });
  } finally {
    window.BroadcastChannel = saved;
  }
  equal(p.activityRelay, 'storage');
  const key = 'chat-realtime:activity';
  const before = localStorage.getItem(key);
  activity('mousemove', false);
  const after = localStorage.getItem(key);
  assert(typeof after === 'string' && after !== before, 'local activity is written for other tabs');
  await waitUntil('away', 3000, () => p.getStatus() === 'away');
  // Another tab's write arrives as a storage event.
  window.dispatchEvent(new StorageEvent('storage', { key, newValue: String(Date.now()) }));
  equal(p.getStatus(), 'online');
  // Other keys are not activity.
  await waitUntil('away again', 3000, () => p.getStatus() === 'away');
  window.dispatchEvent(new StorageEvent('storage', { key: 'something-else', newValue: '1' }));
  equal(p.getStatus(), 'away');
  p.dispose();
});

test('heartbeat and status resent after a reconnect', async () => {
  await reset();
  const a = await connected('ann', { reconnectDelayMs: 200 });
  const b = await connected('ben', { reconnectDelayMs: 200 });
  const pa = service(a, { heartbeatIntervalMs: 300 });
  const pb = service(b);
  pb.subscribeToUsers(['ann']);
  const raw = new Recorder();
  b.on('presence:changed', raw.f);
  pa.setStatus('busy');
  await waitUntil('B sees busy', 3000, () => statusOf(pb, 'ann') === 'busy');
  // B may see busy first in the answer to its subscribe, which can overtake
  // A's broadcasts (the server's handlers await its store): wait for A's busy
  // broadcast, so what A sent before it is not counted as heartbeats, and
  // count A's broadcasts only (B's service announced B just before).
  await waitUntil("B hears A's busy broadcast", 3000, () => raw.all().some((p) => p?.userId === 'ann' && p?.status === 'busy'));
  const n = raw.len();
  await sleep(1000);
  const seen = raw.all().slice(n);
  const beats = seen.filter((p) => p?.userId === 'ann').length;
  assert(beats >= 2 && beats <= 5, `${beats} heartbeats in 1 s at 300 ms: ${JSON.stringify(seen)}`);
  // Re-broadcasts that change nothing are not presence changes.
  const changes = new Recorder();
  pb.onPresenceChange(changes.f);
  await sleep(700);
  equal(changes.len(), 0);

  // nchat's stopHeartbeat: no beats until startHeartbeat, which sends at once.
  const annBeats = (from) => raw.all().slice(from).filter((p) => p?.userId === 'ann').length;
  pa.stopHeartbeat();
  await sleep(300); // a beat already on its way
  let m = raw.len();
  await sleep(1000);
  equal(annBeats(m), 0, 'stopped');
  pa.startHeartbeat();
  await waitUntil('a beat at start', 3000, () => annBeats(m) >= 1);
  m = raw.len();
  await sleep(1000);
  assert(annBeats(m) >= 2, `${annBeats(m)} heartbeats in 1 s after startHeartbeat`);
  pa.stopHeartbeat();

  // Every link drops; the connection restarts a stopped heartbeat. after reconnecting A's busy is re-sent (the server
  // announces a returning user as online) and B re-subscribes.
  await post('/drop', {});
  await waitUntil('both reconnect', 5000, () => a.isConnected && b.isConnected);
  await waitUntil('B sees busy again', 3000, () => statusOf(pb, 'ann') === 'busy');
  await sleep(400);
  equal(statusOf(pb, 'ann'), 'busy');
  const k = raw.len();
  await sleep(1000);
  assert(annBeats(k) >= 2, `${annBeats(k)} heartbeats in 1 s after the reconnect`);
  pa.dispose();
  pb.dispose();
});

test('bad input is refused clearly and changes nothing', async () => {
  await reset();
  const a = await connected('ann');
  const p = service(a);
  await waitUntil('user id', 3000, () => p.userId !== undefined);

  throws(() => p.setStatus('sleeping'), RangeError, "'online', 'away', 'busy', 'offline'");
  throws(() => p.setStatus(5), TypeError, 'got the number 5');
  equal(p.getStatus(), 'online');

  const many = Array.from({ length: 101 }, (_, i) => `u${i}`);
  throws(() => p.subscribeToUsers(many), undefined, 'limit is 100');
  deepEqual(json(p.getSubscriptions()), []);
  let e = throws(() => p.subscribeToUsers(['a', 5]), TypeError);
  assert(e.message.includes('userIds[1]') && e.message.includes('the number 5'), e.message);
  throws(() => p.subscribeToUsers('ann'), TypeError, 'an array');
  deepEqual(json(p.getSubscriptions()), []);
  equal(p.subscribeToUsers(many.slice(0, 100)), 100);
  throws(() => p.subscribeToUsers(['one-more']), undefined, 'unsubscribeFromUsers');
  equal(p.unsubscribeFromUsers(['u0']), 1);
  equal(p.subscribeToUsers(['one-more']), 1);

  const past = Date.now() - 1000;
  throws(() => p.setCustomStatus({ text: 'late', expiresAt: past }), undefined, 'not in the future');
  throws(() => p.setCustomStatus({ text: 'x', expiresAt: 'soon' }), RangeError, 'expiresAt must be a Date');
  throws(() => p.setCustomStatus({ text: 'x', expiresAt: true }), TypeError, 'customStatus.expiresAt');
  throws(() => p.setCustomStatus({}), undefined, 'clearCustomStatus');
  throws(() => p.setCustomStatus({ text: 'x', colour: 'red' }), TypeError, 'unknown key "colour"');
  throws(() => p.setCustomStatus({ text: 7 }), TypeError, 'text must be a string');
  equal(p.getCustomStatus(), null);

  throws(() => p.setInvisibleMode('yes'), TypeError, 'true or false');
  throws(() => p.updatePresenceSettings({ visibility: 'friends' }, undefined), RangeError, 'friends');
  throws(() => p.updatePresenceSettings('ben', { showLastSeen: false }), undefined, 'not the current user');
  throws(
    () => p.updatePresenceSettings({ showLastSeen: 'no' }, undefined),
    TypeError,
    'userIdOrSettings.showLastSeen must be a boolean',
  );
  throws(() => p.updatePresenceSettings(42, {}), TypeError, 'userIdOrSettings');
  throws(() => p.updatePresenceSettings('ann', undefined), TypeError);
  equal(json(p.getPresenceSettings()).showLastSeen, true);
  assert(!p.isInvisible);
  throws(() => p.setUserSettings('ann', {}), undefined, 'current user');
  throws(() => p.getPresence(null), TypeError, 'non-empty string');
  throws(() => p.onPresenceChange(5), TypeError, 'a function');
  throws(() => p.canViewPresence('ann', Symbol.for('x')), TypeError);

  throws(() => service(a, { idleTimeoutSeconds: 5 }), TypeError, 'unknown key "idleTimeoutSeconds"');
  throws(() => service(a, { idleTimeoutMs: -1 }), RangeError, 'non-negative');
  throws(() => service(a, { idleTimeoutMs: '5' }), TypeError, 'options.idleTimeoutMs');
  // No client: nchat's form, on `realtimeClient`; anything else but a client or a config object is refused.
  throws(() => new PresenceService(7, undefined), TypeError, 'new PresenceService(): clientOrConfig must be a RealtimeClient');

  // Malformed presence:changed from the server: dropped, nothing changes.
  const changes = new Recorder();
  p.onPresenceChange(changes.f);
  for (const data of [
    { userId: 5, status: 'online' },
    { userId: 'zed', status: 'sleeping' },
    'online',
    { userId: 'zed', status: 'online', lastSeenAt: 'yesterday' },
  ]) {
    await post('/emit', { event: 'presence:changed', data });
  }
  await post('/emit', { event: 'presence:changed', data: { userId: 'zed', status: 'away' } });
  const aboutZed = () => changes.all().filter((c) => c?.userId === 'zed');
  await waitUntil('the valid event', 3000, () => aboutZed().length > 0);
  deepEqual(aboutZed(), [{ userId: 'zed', status: 'away' }]);
  equal(statusOf(p, 'zed'), 'away');
  const n = changes.len();

  // Disposed: state-changing calls throw, listeners are gone.
  p.dispose();
  p.dispose();
  throws(() => p.setStatus('busy'), undefined, 'disposed');
  await post('/emit', { event: 'presence:changed', data: { userId: 'zed', status: 'busy' } });
  await sleep(300);
  equal(changes.len(), n);
  equal(statusOf(p, 'zed'), 'away');
});
