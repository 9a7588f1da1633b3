// ConflictResolutionService in a real browser: nchat's detection rules,
// severities, the five strategies, auto-resolve, the history kept in the
// page's real localStorage (read by a new instance), the events, the
// module's singleton functions, and arguments refused before the wasm.
import { test, assert, equal, deepEqual, throws } from './harness.js';
import {
  ConflictResolutionService, getConflictResolutionService, initializeConflictResolution, resetConflictResolution,
} from './pkg.js';
import { own, client, EventRecorder, json, clearStorage, localStorage } from './support.js';

const KEY = 'nchat:conflict-history';
const NOW = Date.now();

/** An initialized service (on its own client unless `c` is given), freed after the test. */
function service(config, c = client()) {
  const s = own(new ConflictResolutionService(config, c));
  s.initialize();
  return s;
}

const entity = (id, type, localData, remoteData, localTimestamp = NOW - 5000, remoteTimestamp = NOW) => ({
  id, type, localData, remoteData, localTimestamp, remoteTimestamp,
});

const stored = () => JSON.parse(localStorage().getItem(KEY) ?? 'null');

test('detection: versions, the 1 s tolerance, hashes, then deep equality', () => {
  clearStorage();
  const s = service();
  const events = new EventRecorder();
  s.subscribe(events.f);
  const same = s.detectConflict(entity('t1', 'message:edit', { content: 'Hello' }, { content: 'Hello' }, NOW, NOW));
  deepEqual(json(same), {
    hasConflict: false, severity: 'low', suggestedStrategy: 'last-write-wins',
    entity: entity('t1', 'message:edit', { content: 'Hello' }, { content: 'Hello' }, NOW, NOW),
  });
  equal(events.calls.length, 0, 'no event without a conflict');

  const d = s.detectConflict(entity('t2', 'message:edit', { content: 'Hello local' }, { content: 'Hello remote' }));
  equal(d.hasConflict, true);
  equal(d.conflictType, 'message:edit');
  equal(d.reason, 'Message was edited on multiple devices while offline');
  deepEqual(events.names(), ['conflict:detected'], 'sent before detectConflict returned');
  deepEqual(events.of('conflict:detected')[0].detection, json(d));

  const close = entity('t', 'message:edit', 'a', 'b', NOW - 999, NOW);
  equal(s.detectConflict(close).hasConflict, false, 'less than a second apart');
  equal(s.detectConflict({ ...close, localTimestamp: NOW - 1000 }).hasConflict, true);
  const v = entity('t3', 'user:settings', { theme: 'dark' }, { theme: 'light' });
  equal(s.detectConflict({ ...v, localVersion: 1, remoteVersion: 2 }).hasConflict, true);
  equal(s.detectConflict({ ...v, localVersion: 1, remoteVersion: 1 }).hasConflict, false, 'same version');
  equal(s.detectConflict({ ...v, localHash: 'h', remoteHash: 'h' }).hasConflict, false, 'same hash');
  const deep = entity('t', 'message:edit', { a: [1, { b: null }] }, { a: [1, { b: null }] });
  equal(s.detectConflict(deep).hasConflict, false, 'equal nested data');
});

test('severity and suggested strategy by type', () => {
  const s = service();
  const check = (type, local, remote, severity, strategy) => {
    const d = s.detectConflict(entity('t', type, local, remote));
    deepEqual([d.severity, d.suggestedStrategy], [severity, strategy], type);
  };
  check('message:delete', { deleted: true }, { deleted: false }, 'critical', 'manual');
  check('channel:settings', { name: 'Channel A' }, { name: 'Channel B' }, 'critical', 'manual');
  check('message:edit', { content: 'Edit A' }, { content: 'Edit B' }, 'medium', 'last-write-wins');
  check('thread:reply', 'a', 'b', 'medium', 'last-write-wins');
  check('file:upload', { file: 'local.txt' }, { file: 'remote.txt' }, 'low', 'last-write-wins');
  check('user:settings', { theme: 'dark' }, { theme: 'light' }, 'low', 'merge');
  check('user:settings', { privacy: { lastSeenVisible: true } }, { privacy: { lastSeenVisible: false } }, 'high', 'merge');
});

test('strategies: last write, server, client, merge and manual', () => {
  const s = service();
  const e = entity('t9', 'message:edit', { content: 'Local' }, { content: 'Remote' }, NOW - 1000, NOW);
  const d = s.detectConflict(e);
  const r = s.resolveConflict(d, 'last-write-wins');
  deepEqual([r.id, r.type, r.strategy, r.resolvedData, r.requiresUserAction], ['t9', 'message:edit', 'last-write-wins', { content: 'Remote' }, false]);
  assert(!('conflictedFields' in r), 'no conflicted fields');
  assert(Math.abs(r.timestamp - Date.now()) < 5000, `timestamp ${r.timestamp}`);
  const older = s.detectConflict({ ...e, remoteTimestamp: NOW - 3000 });
  deepEqual(s.resolveConflict(older, 'last-write-wins').resolvedData, { content: 'Local' });
  deepEqual(s.resolveConflict(d, 'server-wins').resolvedData, { content: 'Remote' });
  deepEqual(s.resolveConflict(d, 'client-wins').resolvedData, { content: 'Local' });
  equal(s.resolveConflict(d).strategy, 'last-write-wins', 'the suggested strategy');

  const settings = s.detectConflict(entity('t12', 'user:settings', { theme: 'dark', fontSize: 14 }, { theme: 'light', language: 'en' }, NOW, NOW));
  const m = s.resolveConflict(settings, 'merge');
  deepEqual(m.resolvedData, { theme: 'light', fontSize: 14, language: 'en' });
  deepEqual(m.conflictedFields, ['theme']);
  const nested = s.detectConflict(entity('t13', 'user:settings',
    { notifications: { sound: true, volume: 0.5 }, theme: { mode: 'dark' }, tags: ['a', 'b'] },
    { notifications: { sound: false, desktop: true }, theme: { mode: 'light' }, tags: ['b', 'c'] }, NOW, NOW));
  const n = s.resolveConflict(nested, 'merge');
  deepEqual(n.resolvedData, {
    notifications: { sound: false, volume: 0.5, desktop: true }, theme: { mode: 'light' }, tags: ['a', 'b', 'c'],
  });
  deepEqual(n.conflictedFields, ['notifications.sound', 'theme.mode', 'tags']);

  const del = s.detectConflict(entity('t14', 'message:delete', { deleted: true }, { deleted: false }, NOW, NOW));
  const manual = s.resolveConflict(del, 'manual');
  deepEqual([manual.strategy, manual.requiresUserAction, manual.resolvedData], ['manual', true, { deleted: false }]);
  const choice = { deleted: true, custom: 'value' };
  const chosen = s.resolveConflict(del, 'manual', choice);
  deepEqual([chosen.resolvedData, chosen.requiresUserAction], [choice, false]);
});

test('autoResolve: low severity only, never manual', () => {
  clearStorage();
  const s = service();
  const low = s.detectConflict(entity('t16', 'file:upload', { file: 'local.txt' }, { file: 'remote.txt' }, NOW - 1000, NOW));
  deepEqual(s.autoResolve(low)?.resolvedData, { file: 'remote.txt' });
  equal(s.autoResolve(s.detectConflict(entity('t17', 'message:delete', { deleted: true }, { deleted: false }))), null);
  const forced = s.detectConflict(entity('t18', 'file:upload', 'a', 'b'));
  forced.suggestedStrategy = 'manual';
  equal(s.autoResolve(forced), null);
  const off = service({ autoResolveLowSeverity: false });
  equal(off.autoResolve(low), null);
  equal(s.getHistory().length, 1);
});

test('history: newest first, filtered, limited, counted, stored and read by a new instance', () => {
  clearStorage();
  const c = client();
  const s = service({ maxHistorySize: 4 }, c);
  for (let i = 0; i < 6; i++) {
    const type = i % 2 ? 'user:settings' : 'message:edit';
    s.resolveConflict(s.detectConflict(entity(`e${i}`, type, { v: i }, { v: i + 1 })), ['server-wins', 'client-wins', 'merge'][i % 3]);
  }
  deepEqual(s.getHistory().map((h) => h.id), ['e5', 'e4', 'e3', 'e2']);
  deepEqual(s.getHistory({ type: 'user:settings' }).map((h) => h.id), ['e5', 'e3']);
  deepEqual(s.getHistory({ limit: 2 }).map((h) => h.id), ['e5', 'e4']);
  const e4 = s.getHistoryEntry('e4');
  deepEqual([e4.type, e4.strategy, e4.entity.id, e4.resolution.strategy], ['message:edit', 'client-wins', 'e4', 'client-wins']);
  equal(e4.detectedAt, e4.resolvedAt);
  equal(s.getHistoryEntry('e0'), undefined);
  deepEqual(s.getStats(), {
    totalConflicts: 4, resolvedConflicts: 4, pendingConflicts: 0,
    byType: { 'user:settings': 2, 'message:edit': 2 }, byStrategy: { merge: 2, 'client-wins': 1, 'server-wins': 1 },
  });
  // nchat's format under nchat's key.
  deepEqual(stored().history.map((h) => h.id), ['e5', 'e4', 'e3', 'e2']);

  const again = own(new ConflictResolutionService({}, c));
  equal(again.initialized, false);
  deepEqual(again.getHistory(), [], 'read at initialize()');
  again.initialize();
  equal(again.initialized, true);
  deepEqual(again.getHistory(), s.getHistory());
  again.clearHistory();
  deepEqual(stored(), { history: [] });
  // destroy() stores what is in memory; initialize() may run again.
  s.destroy();
  equal(s.initialized, false);
  equal(stored().history.length, 4);
  s.initialize();
  equal(s.getHistory().length, 4);
  const off = service({ enableHistory: false });
  off.resolveConflict(off.detectConflict(entity('x', 'file:upload', 1, 2)));
  deepEqual(off.getHistory(), []);
  equal(stored().history.length, 4, 'a service without history writes nothing');
});

test('events: resolved then history-updated; unsubscribe and destroy stop them; a throwing listener is contained', () => {
  clearStorage();
  const s = service();
  const events = new EventRecorder();
  const unsubscribe = s.subscribe(events.f);
  s.subscribe(() => { throw new Error('listener bug'); });
  const d = s.detectConflict(entity('t24', 'message:edit', { content: 'Local' }, { content: 'Remote' }));
  const r = s.resolveConflict(d, 'server-wins');
  deepEqual(events.names(), ['conflict:detected', 'conflict:resolved', 'conflict:history-updated']);
  deepEqual(events.of('conflict:resolved')[0].resolution, json(r));
  const entry = events.of('conflict:history-updated')[0].history;
  deepEqual([entry.id, entry.strategy, entry.resolution], ['t24', 'server-wins', json(r)]);
  unsubscribe();
  s.detectConflict(d.entity);
  equal(events.calls.length, 3, 'unsubscribed');
  const later = new EventRecorder();
  s.subscribe(later.f);
  s.destroy();
  s.detectConflict(d.entity);
  equal(later.calls.length, 0, 'destroy() drops the listeners');
});

test('stored input is checked: an unreadable history is reported and removed', () => {
  clearStorage();
  localStorage().setItem(KEY, '{"history": 7}');
  const s = own(new ConflictResolutionService({}, client()));
  const events = new EventRecorder();
  s.subscribe(events.f);
  s.initialize();
  deepEqual(events.names(), ['conflict:error']);
  equal(events.of('conflict:error')[0].error.code, 'storage');
  equal(localStorage().getItem(KEY), null);
  deepEqual(s.getHistory(), []);
  // Entries that do not fit are dropped, the others kept.
  localStorage().setItem(KEY, JSON.stringify({ history: [{ id: 'a', type: 'message:edit', strategy: 'merge' }, { id: 'b' }] }));
  const t = service();
  deepEqual(t.getHistory().map((h) => h.id), ['a']);
  deepEqual(t.getStats().pendingConflicts, 1);
});

test('a full storage is reported as conflict:error; the history stays in memory', () => {
  clearStorage();
  const s = service();
  const events = new EventRecorder();
  s.subscribe(events.f);
  const setItem = Storage.prototype.setItem;
  Storage.prototype.setItem = function refuse() {
    throw new DOMException('full', 'QuotaExceededError');
  };
  try {
    s.resolveConflict(s.detectConflict(entity('q', 'file:upload', 1, 2)));
  } finally {
    Storage.prototype.setItem = setItem;
  }
  const errors = events.of('conflict:error');
  equal(errors.length, 1, JSON.stringify(events.names()));
  equal(errors[0].error.code, 'quota');
  equal(s.getHistory()[0].id, 'q');
  equal(localStorage().getItem(KEY), null);
});

test('the module singletons: get, initialize, reset', () => {
  clearStorage();
  resetConflictResolution();
  const a = getConflictResolutionService({ maxHistorySize: 1 });
  equal(getConflictResolutionService(), a, 'one instance');
  equal(a.initialized, false);
  equal(initializeConflictResolution(), a);
  equal(a.initialized, true);
  a.resolveConflict(a.detectConflict(entity('s1', 'file:upload', 1, 2)));
  a.resolveConflict(a.detectConflict(entity('s2', 'file:upload', 1, 2)));
  deepEqual(a.getHistory().map((h) => h.id), ['s2'], 'its config applies');
  resetConflictResolution();
  equal(a.initialized, false);
  const b = initializeConflictResolution();
  assert(b !== a, 'a new instance after reset');
  deepEqual(b.getHistory().map((h) => h.id), ['s2'], 'it reads what the first stored');
  resetConflictResolution();
  // Without a client, a service uses the module's default client.
  const own1 = own(new ConflictResolutionService());
  own1.initialize();
  equal(own1.getHistory().length, 1);
});

test('bad arguments are refused before the wasm; the service goes on', () => {
  const s = service();
  const ok = entity('t', 'message:edit', 'a', 'b');
  throws(() => s.detectConflict(null), TypeError, 'detectConflict(): entity');
  throws(() => s.detectConflict({ ...ok, id: 1 }), TypeError, 'entity.id');
  throws(() => s.detectConflict({ ...ok, id: '' }), RangeError, 'entity.id');
  throws(() => s.detectConflict({ ...ok, type: 'other' }), RangeError, 'entity.type');
  throws(() => s.detectConflict({ ...ok, localTimestamp: '1' }), TypeError, 'entity.localTimestamp');
  throws(() => s.detectConflict({ ...ok, remoteTimestamp: NaN }), RangeError, 'entity.remoteTimestamp');
  throws(() => s.detectConflict({ ...ok, localData: { n: 1n } }), TypeError, 'detectConflict(): entity.localData');
  throws(() => s.detectConflict({ ...ok, extra: 1 }), TypeError, 'unknown key');
  const d = s.detectConflict(ok);
  throws(() => s.resolveConflict(d, 'newest'), RangeError, 'resolveConflict(): strategy');
  throws(() => s.resolveConflict({ ...d, entity: null }), TypeError, 'detection.entity');
  throws(() => s.resolveConflict(d, 'manual', () => 1), TypeError, 'userChoice');
  throws(() => s.autoResolve({ ...d, severity: 'huge' }), RangeError, 'detection.severity');
  throws(() => s.getHistory({ limit: -1 }), RangeError, 'filter.limit');
  throws(() => s.getHistory({ type: 1 }), TypeError, 'filter.type');
  throws(() => s.getHistoryEntry(5), TypeError, 'getHistoryEntry(): id');
  throws(() => s.subscribe('f'), TypeError, 'subscribe(): listener');
  throws(() => new ConflictResolutionService({ maxHistory: 1 }), TypeError, 'unknown key');
  throws(() => new ConflictResolutionService({ defaultStrategy: 'x' }), RangeError, 'config.defaultStrategy');
  throws(() => new ConflictResolutionService({}, {}), TypeError, 'client');
  throws(() => ConflictResolutionService.prototype.getStats.call({}), TypeError);
  equal(s.resolveConflict(d, 'client-wins').resolvedData, 'a', 'still working');
  const freed = new ConflictResolutionService({}, client());
  freed.free();
  throws(() => freed.getHistory(), Error, 'freed');
});
