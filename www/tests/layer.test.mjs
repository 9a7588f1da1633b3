// The TypeScript layer (js/src, built into pkg/ by `make build`): the rules
// the argument matrix (args.test.mjs) does not see.
// - The entry's declarations describe exactly what its classes implement:
//   the same methods and getters, each method with as many parameters.
// - Users keep every name they compiled against when the glue was the entry.
// - The wasm exports at most 20 functions (the glue's helpers included).
// - Only js/src/native.ts touches the wasm-bindgen glue.
// - The layer holds no timer and no listener of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { entryDeclarations, parseDts } from './dts.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkgDir = join(root, 'pkg');
const srcDir = join(root, 'js', 'src');
const GLUE = 'chat_realtime';

/** The members a class declares, raw: methods (with parameter counts) and getters. */
function declared(model, name) {
  const text = entryDeclarations(pkgDir).replace(/\/\*[\s\S]*?\*\//g, '');
  const body = new RegExp(`export declare class ${name} \\{([\\s\\S]*?)\\n\\}`).exec(text)?.[1] ?? '';
  const cls = model.classes[name];
  return {
    methods: Object.fromEntries([...cls.methods.filter((m) => !m.static).map((m) => [m.name, m.params.length]),
      ...(/^\s*free\(\): void;/m.test(body) ? [['free', 0]] : [])]),
    getters: [...cls.getters].sort(),
    dispose: /^\s*\[Symbol\.dispose\]\(\): void;/m.test(body),
  };
}

/** The same, read from the class the entry exports at run time. */
function implemented(C) {
  const methods = {};
  const getters = [];
  for (const key of Object.getOwnPropertyNames(C.prototype)) {
    if (key === 'constructor') continue;
    const d = Object.getOwnPropertyDescriptor(C.prototype, key);
    if (typeof d.value === 'function') methods[key] = d.value.length;
    else if (d.get) getters.push(key);
  }
  return { methods, getters: getters.sort(), dispose: typeof C.prototype[Symbol.dispose] === 'function' };
}

test('the entry declares exactly the members its classes implement', async () => {
  const model = parseDts(entryDeclarations(pkgDir));
  const pkg = await import(join(pkgDir, 'index.js'));
  const classes = Object.keys(model.classes).sort();
  assert.deepEqual(classes, ['ConflictResolutionService', 'DeliveryEventHandler', 'EventDispatcherService', 'OfflineQueueService',
    'PresenceService', 'RealtimeClient', 'RealtimeIntegrationService', 'RoomManagerService', 'RoomsService', 'SyncService',
    'TypingService']);
  // The entry's values: the classes, the wasm loader, nchat's module client,
  // get/initialize/reset functions, room and event names and nchat's default
  // presence settings, nothing else.
  const nchat = ['realtimeClient', ...[['PresenceService'], ['TypingService'], ['SyncService'],
    ['OfflineQueueService', 'OfflineQueue'], ['DeliveryEventHandler', 'DeliveryHandler'],
    ['ConflictResolutionService', 'ConflictResolution'], ['RoomsService'], ['RoomManager'],
    ['RealtimeIntegration'], ['EventDispatcher']]
    .flatMap(([get, init = get]) => [`get${get}`, `initialize${init}`, `reset${init}`])];
  assert.equal(nchat.length, 31);
  const names = ['REALTIME_EVENTS', 'getChannelRoom', 'getDMRoom', 'getThreadRoom', 'getUserRoom', 'parseRoomName',
    'DEFAULT_PRESENCE_SETTINGS'];
  assert.deepEqual(Object.keys(pkg).sort(), [...classes, ...nchat, ...names, 'default', 'initSync'].sort());
  for (const name of classes) {
    const d = declared(model, name);
    const i = implemented(pkg[name]);
    assert.deepEqual(i, d, `${name}: implemented vs declared`);
    assert.equal(pkg[name].length, model.classes[name].ctor.params.length, `${name}: constructor parameters`);
  }
});

/**
 * The class and type names the wasm-bindgen glue declared when it was the
 * entry (before the TypeScript layer; the glue now declares only `Native`).
 */
const GLUE_NAMES = [
  'ActivityRelay', 'ConnectionQuality', 'ConnectionState', 'CustomStatus', 'CustomStatusChangeCallback',
  'CustomStatusInput', 'DeliveryEventHandler', 'DeliveryEventMap', 'DeliveryEventName', 'DeliveryListener',
  'DeliveryOptions', 'DeliveryState', 'DeliveryStatus', 'DeliveryUpdate', 'DisconnectReason', 'LocalMessage',
  'MessageType', 'NewQueuedMessage', 'OfflineQueueOptions', 'OfflineQueueService', 'PresenceChangeCallback',
  'PresenceService', 'PresenceServiceOptions', 'PresenceSettings', 'PresenceStatus', 'PresenceVisibility',
  'PresenceVisibilityResult', 'QuarantinedEntry', 'QueueErrorReason', 'QueueEventMap', 'QueueEventName',
  'QueueFlushResult', 'QueueListener', 'QueuedMessage', 'QueuedMessageStatus', 'RealtimeClient',
  'RealtimeClientOptions', 'RealtimeError', 'RealtimeRequestError', 'RoomType', 'RoomTypingChange',
  'StatusChangeCallback', 'SyncConflict', 'SyncConflictSide', 'SyncEventMap', 'SyncEventName', 'SyncListener',
  'SyncMessagesResult', 'SyncPresence', 'SyncResult', 'SyncService', 'SyncServiceOptions', 'SyncStage',
  'SyncedChannel', 'SyncedMessage', 'TypingChangeCallback', 'TypingPrivacySettings', 'TypingService',
  'TypingServiceOptions', 'TypingUser', 'UserPresence',
];

test('users keep every class and type name the glue declared', () => {
  const names = (text) => new Set([...text.replace(/\/\*[\s\S]*?\*\//g, '')
    .matchAll(/^export\s+(?:declare\s+)?(?:class|interface|type)\s+([\w$]+)/gm)].map((m) => m[1]));
  const entry = names(entryDeclarations(pkgDir));
  // The loader's own types come through native.d.ts.
  for (const n of ['InitInput', 'InitOutput', 'SyncInitInput']) {
    assert.match(readFileSync(join(pkgDir, 'index.d.ts'), 'utf8'), new RegExp(`\\b${n}\\b`));
  }
  assert.deepEqual(GLUE_NAMES.filter((n) => !entry.has(n)), []);
});

/** Every module specifier a JavaScript or TypeScript text imports or re-exports. */
const specifiers = (text) => [...new Set([...text.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)]
  .map((m) => m[1]))];

test('only native.ts touches the wasm-bindgen glue', () => {
  const sources = readdirSync(srcDir).filter((f) => f.endsWith('.ts'));
  assert.ok(sources.includes('native.ts') && sources.includes('index.ts'), sources.join(', '));
  for (const f of sources) {
    const text = readFileSync(join(srcDir, f), 'utf8');
    const glue = specifiers(text).filter((s) => s.includes(GLUE) || s.includes('snippets'));
    assert.deepEqual(glue, f === 'native.ts' ? [`./${GLUE}.js`] : [], `${f} imports ${glue}`);
    for (const s of specifiers(text)) assert.match(s, /^\.\/[\w-]+\.js$/, `${f}: ${s} (only the layer's own modules)`);
    if (f !== 'native.ts') assert.doesNotMatch(text, new RegExp(GLUE), `${f} names the glue`);
  }
  // And as built: the compiled layer reaches the glue through native.js only.
  for (const f of sources.map((s) => s.replace(/\.ts$/, '.js'))) {
    const glue = specifiers(readFileSync(join(pkgDir, f), 'utf8')).filter((s) => s.includes(GLUE));
    assert.deepEqual(glue, f === 'native.js' ? [`./${GLUE}.js`] : [], `pkg/${f}`);
  }
});

test('the layer holds no timer and listens to nothing itself', () => {
  const forbidden = /\b(setTimeout|setInterval|requestAnimationFrame|requestIdleCallback|queueMicrotask|addEventListener|WebSocket|localStorage|BroadcastChannel|navigator|Date\.now|performance\.now)\b/;
  for (const f of readdirSync(srcDir).filter((x) => x.endsWith('.ts'))) {
    const code = readFileSync(join(srcDir, f), 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');
    assert.doesNotMatch(code, forbidden, `js/src/${f}`);
  }
});

test('the wasm exports at most 20 functions', () => {
  const wasm = new WebAssembly.Module(readFileSync(join(pkgDir, `${GLUE}_bg.wasm`)));
  const fns = WebAssembly.Module.exports(wasm).filter((e) => e.kind === 'function').map((e) => e.name);
  assert.ok(fns.length <= 20, `${fns.length} exported functions: ${fns.join(', ')}`);
  for (const f of ['native_new', 'native_attach', 'native_call', 'native_detach', '__wbg_native_free']) {
    assert.ok(fns.includes(f), `${f} among ${fns.join(', ')}`);
  }
});

test('js/src/ops.ts holds exactly the operation table of src/api/ops.rs', () => {
  const table = (file, re) => [...readFileSync(join(root, file), 'utf8').matchAll(re)].map((m) => `${m[1]}=${m[2]}`);
  const rust = table('src/api/ops.rs', /^\s+(\w+) = (\d+),$/gm);
  const ts = table('js/src/ops.ts', /^\s+(\w+): (\d+),$/gm);
  assert.ok(rust.length >= 90, `${rust.length} operations in src/api/ops.rs`);
  assert.deepEqual(ts, rust);
  assert.equal(new Set(rust.map((r) => r.split('=')[1])).size, rust.length, 'codes are unique');
});
