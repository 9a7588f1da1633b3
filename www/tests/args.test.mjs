// Every exported constructor, method, getter and function of the package is
// called with a matrix of wrong arguments, in real Chromium and Firefox. The
// list comes from the declarations of the package's entry (pkg/index.d.ts and
// the modules it re-exports, read by dts.mjs: classes, constructors, methods,
// parameter names, optionality, declared types, interfaces and type aliases),
// so a new method is covered by itself.
//
// The rule checked (js/src/check.ts): a value of the wrong type throws a
// TypeError, a value of the right type outside the declared values (an empty
// id, a string outside a literal union, NaN) a RangeError; the message names
// the method and the parameter (or key). Never a WebAssembly.RuntimeError.
// Methods and getters of a freed object, or called on a foreign `this`, throw
// an Error. Afterwards the module still works: a fresh client connects.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, staticServer, serverUrl, controlUrl } from './browser.mjs';
import { entryDeclarations, parseDts } from './dts.mjs';
import { firefox } from './firefox.mjs';

let browser, web;
before(async () => { browser = await launch(); web = await staticServer(); });
after(async () => { await browser?.close(); web?.server.close(); });

// ---- the matrix, run in the page ----------------------------------------------

/** Runs in Chromium: self-contained (serialized by Playwright). */
async function runMatrix({ model, serverUrl, controlUrl }) {
  const pkg = await import('/pkg/index.js');
  await pkg.default();

  // Keys whose declared literal union the package does not enforce, and why.
  const NOT_ENFORCED = {
    // The queue sends any non-blank message type (apps have custom kinds).
    'OfflineQueueService.queueMessage(message.type = a wrong string)': 'custom message types',
  };
  const ID_LIKE = /^(id|ids|token|event|storageKey)$|Ids?$/;
  const failures = [];
  const counts = { TypeError: 0, RangeError: 0, Error: 0, value: 0 };
  const covered = new Set();
  const notEnforcedSeen = new Set();
  let calls = 0;

  const isPlain = (v) => v !== null && typeof v === 'object' && !Array.isArray(v)
    && (Object.getPrototypeOf(v) === null || Object.getPrototypeOf(Object.getPrototypeOf(v)) === null);
  const jsonable = (v) => { try { return JSON.stringify(v) !== undefined; } catch { return false; } };
  const RANK = { ok: 0, skip: 0, range: 1, type: 2 };
  const worst = (vs) => vs.reduce((a, b) => (RANK[b] > RANK[a] ? b : a), 'ok');

  function interfaceProps(name) {
    const i = model.interfaces[name];
    const props = {};
    for (const e of i.extends) if (model.interfaces[e]) Object.assign(props, interfaceProps(e));
    return Object.assign(props, i.props);
  }

  function resolve(t, seen = new Set()) {
    if (t.k === 'ref') {
      if (model.aliases[t.name] && !seen.has(t.name)) return resolve(model.aliases[t.name], new Set([...seen, t.name]));
      if (model.interfaces[t.name]) return { k: 'obj', props: interfaceProps(t.name) };
      if (model.classes[t.name]) return { k: 'class', name: t.name };
      return { k: 'opaque', name: t.name };
    }
    if (t.k === 'partial') {
      const o = resolve(t.of, seen);
      if (o.k !== 'obj') return o;
      return { k: 'obj', props: Object.fromEntries(Object.entries(o.props).map(([n, p]) => [n, { ...p, optional: true }])) };
    }
    return t;
  }

  /** 'ok' when `v` is a value of type `t`; else 'type' or 'range' (right type, wrong value). */
  function verdict(type, v, name) {
    const t = resolve(type);
    switch (t.k) {
      case 'string': return typeof v !== 'string' ? 'type' : v === '' && ID_LIKE.test(name) ? 'range' : 'ok';
      case 'number': return typeof v !== 'number' ? 'type' : Number.isFinite(v) ? 'ok' : 'range';
      case 'boolean': return typeof v === 'boolean' ? 'ok' : 'type';
      case 'undefined': case 'void': return v === undefined ? 'ok' : 'type';
      case 'null': return v === null ? 'ok' : 'type';
      case 'unknown': case 'any': return v === undefined || jsonable(v) ? 'ok' : 'type';
      case 'Date': return !(v instanceof Date) ? 'type' : Number.isNaN(v.getTime()) ? 'range' : 'ok';
      case 'lit': return v === t.v ? 'ok' : typeof v === 'string' ? 'range' : 'type';
      case 'fn': return typeof v === 'function' ? 'ok' : 'type';
      case 'array': return Array.isArray(v) ? worst(v.map((x) => verdict(t.of, x, name))) : 'type';
      case 'obj': {
        if (!isPlain(v)) return 'type';
        if (Object.keys(v).some((k) => !(k in t.props))) return 'type';
        return worst(Object.entries(t.props).map(([k, p]) => (v[k] === undefined || v[k] === null
          ? (p.optional ? 'ok' : 'type') : verdict(p.type, v[k], k))));
      }
      case 'class': return v instanceof pkg[t.name] && !freed.has(v) ? 'ok' : 'type';
      case 'union': {
        const vs = t.of.map((m) => verdict(m, v, name));
        return vs.includes('ok') ? 'ok' : vs.includes('range') ? 'range' : 'type';
      }
      default: return 'skip';
    }
  }

  const live = {};
  /** A value of type `t` that passes the checks. */
  function valid(type, name) {
    const t = resolve(type);
    switch (t.k) {
      case 'string': return `valid-${name}`;
      case 'number': return 1000;
      case 'boolean': return true;
      case 'lit': return t.v;
      case 'fn': return () => {};
      case 'array': return [];
      case 'Date': return new Date();
      case 'obj': return Object.fromEntries(Object.entries(t.props).filter(([, p]) => !p.optional)
        .map(([k, p]) => [k, valid(p.type, k)]));
      case 'class': return live[t.name];
      case 'union': return valid(t.of.find((m) => !['undefined', 'null'].includes(resolve(m).k)), name);
      default: return { valid: true };
    }
  }
  const args = (params) => params.map((p) => (p.optional ? undefined : valid(p.type, p.name)));

  const BAD = [
    ['42', () => 42], ['NaN', () => NaN], ['true', () => true], ['{}', () => ({})], ['[]', () => []],
    ['a Date', () => new Date()], ['a Symbol', () => Symbol('s')], ['10n', () => 10n],
    ['a function', () => () => {}], ["''", () => ''], ['undefined', () => undefined], ['null', () => null],
    ['a wrong string', () => 'no-such-value'], ['[42]', () => [42]],
    ['a cyclic object', () => { const o = {}; o.self = o; return o; }],
  ];
  const freedOf = {};
  const freed = new Set();
  /** Extra wrong values for a class-typed slot: a freed instance, another class. */
  function classExtras(type) {
    const t = resolve(type);
    const names = t.k === 'class' ? [t.name] : t.k === 'union' ? t.of.map((m) => resolve(m)).filter((x) => x.k === 'class').map((x) => x.name) : [];
    return names.flatMap((n) => [
      [`a freed ${n}`, () => freedOf[n]],
      ['another class', () => (n === 'RealtimeClient' ? live.OfflineQueueService : live.RealtimeClient)],
    ]);
  }

  function fail(label, message) {
    if (failures.length < 200) failures.push(`${label}: ${message}`);
  }

  /**
   * Calls `fn()`, expecting `expect` ('type' | 'range' | 'error' | 'value').
   */
  function attempt(label, expect, fn, mustName = []) {
    calls++;
    let thrown, threw = false;
    try {
      const r = fn();
      if (r && typeof r.then === 'function') r.catch(() => {});
    } catch (e) { thrown = e; threw = true; }
    if (thrown instanceof WebAssembly.RuntimeError) return fail(label, `RuntimeError: ${thrown.message}`);
    if (expect === 'value') {
      if (threw) fail(label, `threw ${thrown?.constructor?.name}: ${thrown?.message}`);
      else counts.value++;
      return;
    }
    if (!threw) return fail(label, 'accepted');
    if (!(thrown instanceof Error)) return fail(label, `threw a non-Error: ${String(thrown)}`);
    if (expect === 'error') { counts.Error++; return; }
    const want = expect === 'type' ? TypeError : RangeError;
    if (!(thrown instanceof want)) return fail(label, `${thrown.constructor.name} "${thrown.message}", expected a ${want.name}`);
    const missing = mustName.filter((n) => !thrown.message.includes(n));
    if (missing.length) return fail(label, `the message "${thrown.message}" does not name ${missing.join(', ')}`);
    counts[want.name]++;
  }

  /** The bad values of slot `type` (named `name`, optional or not) and what each must throw. */
  function* badValues(type, name, optional) {
    for (const [vlabel, make] of [...BAD, ...classExtras(type)]) {
      const v = make();
      if (optional && (v === undefined || v === null)) continue;
      const vd = verdict(type, v, name);
      if (vd === 'type' || vd === 'range') yield [vlabel, v, vd];
    }
  }

  /** The object type inside `type` (itself or a union member), if any. */
  function objectType(type) {
    const t = resolve(type);
    if (t.k === 'obj') return t;
    if (t.k === 'union') return t.of.map((m) => resolve(m)).find((m) => m.k === 'obj') ?? null;
    return null;
  }

  /** Wrong values for every key of object type `obj` (nested objects too). */
  function keyMatrix(label, obj, wrap, path, call, names, depth) {
    const base = () => valid(obj, 'object');
    for (const [key, prop] of Object.entries(obj.props)) {
      const at = `${path}.${key}`;
      for (const [vlabel, v, vd] of badValues(prop.type, key, prop.optional)) {
        const full = `${label}(${at} = ${vlabel})`;
        if (NOT_ENFORCED[full]) { notEnforcedSeen.add(full); continue; }
        attempt(full, vd, () => call(wrap({ ...base(), [key]: v })), [...names, key]);
      }
      const inner = objectType(prop.type);
      if (inner && depth < 2) keyMatrix(label, inner, (x) => wrap({ ...base(), [key]: x }), at, call, names, depth + 1);
    }
    attempt(`${label}(${path}.bogusKey)`, 'type', () => call(wrap({ ...base(), bogusKey: 1 })),
      [...names, 'bogusKey']);
  }

  /** Every parameter of `params` with every wrong value, the others valid. */
  function paramMatrix(label, params, call, names) {
    covered.add(label);
    params.forEach((p, i) => {
      const withArg = (v) => args(params).map((a, j) => (j === i ? v : a));
      for (const [vlabel, v, vd] of badValues(p.type, p.name, p.optional)) {
        attempt(`${label}(${p.name} = ${vlabel})`, vd, () => call(withArg(v)), [...names, p.name]);
      }
      const obj = objectType(p.type);
      if (obj) keyMatrix(label, obj, (x) => x, p.name, (x) => call(withArg(x)), names, 1);
    });
  }

  // Live objects the methods are called on, and freed ones.
  const construct = (name) => {
    const C = pkg[name];
    if (name === 'RealtimeClient') {
      const c = new C();
      c.initialize({ url: serverUrl, reconnection: false });
      return c;
    }
    if (name === 'OfflineQueueService') return new C(live.RealtimeClient, { storageKey: `args-${Math.random()}`, crossTabLock: 'none' });
    return new C(...args(model.classes[name].ctor?.params ?? []));
  };
  const order = ['RealtimeClient', 'OfflineQueueService', ...Object.keys(model.classes)
    .filter((n) => n !== 'RealtimeClient' && n !== 'OfflineQueueService')];
  for (const name of order) live[name] = construct(name);
  for (const name of order) { freedOf[name] = construct(name); freedOf[name].free(); freed.add(freedOf[name]); }

  let members = 0;
  for (const name of order) {
    const cls = model.classes[name];
    const C = pkg[name];
    if (cls.ctor) {
      members++;
      paramMatrix(`new ${name}`, cls.ctor.params, (a) => new C(...a), [`new ${name}()`]);
    }
    for (const m of cls.methods) {
      members++;
      const label = `${name}.${m.name}`;
      const target = m.static ? C : live[name];
      paramMatrix(label, m.params, (a) => target[m.name](...a), [`${m.name}()`]);
      if (m.static) continue;
      attempt(`${label} on a freed ${name}`, 'error', () => freedOf[name][m.name](...args(m.params)));
      attempt(`${label} on a foreign this`, 'error', () => C.prototype[m.name].call({}, ...args(m.params)));
    }
    // free() itself: a no-op on a freed object, refused on a foreign this.
    attempt(`${name}.free() on a freed ${name}`, 'value', () => freedOf[name].free());
    attempt(`${name}.free on a foreign this`, 'error', () => C.prototype.free.call({}));
    for (const g of cls.getters) {
      members++;
      const label = `${name}.${g}`;
      covered.add(label);
      attempt(`${label} (getter)`, 'value', () => live[name][g]);
      attempt(`${label} on a freed ${name}`, 'error', () => freedOf[name][g]);
      const get = Object.getOwnPropertyDescriptor(C.prototype, g)?.get;
      attempt(`${label} on a foreign this`, 'error', () => get.call({}));
    }
    for (const s of cls.setters) {
      members++;
      paramMatrix(`${name}.${s.name} =`, [{ name: s.name, type: s.type, optional: false }],
        ([v]) => { live[name][s.name] = v; }, [s.name]);
    }
  }
  for (const f of model.functions) {
    members++;
    paramMatrix(f.name, f.params, (a) => pkg[f.name](...a), [`${f.name}()`]);
    if (f.params.length === 0) attempt(`${f.name}()`, 'value', () => pkg[f.name]());
  }

  // The module still works: the objects of the matrix, then a fresh client.
  const sanity = {};
  try { freedOf.RealtimeClient.connect('x'); } catch (e) { sanity.freedError = `${e.constructor.name}: ${e.message}`; }
  const c = live.RealtimeClient;
  sanity.state = c.state;
  sanity.queued = live.OfflineQueueService.queueMessage({ channelId: 'general', content: 'after the matrix' }).status;
  sanity.queueLength = live.OfflineQueueService.getQueueLength();
  live.PresenceService.setStatus('busy');
  sanity.presence = live.PresenceService.getStatus();
  sanity.tracked = live.DeliveryEventHandler.trackOutgoing('after-1', 'general').state;
  const fresh = new pkg.RealtimeClient();
  fresh.initialize({ url: serverUrl });
  const { token } = await (await fetch(`${controlUrl}/token?sub=args-matrix`)).json();
  // Rooms exist only once created, as on the real server.
  await fetch(`${controlUrl}/rooms`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ names: ['channel:general'] }) });
  await fresh.connect(token);
  sanity.connected = fresh.isConnected;
  sanity.joined = typeof (await fresh.joinChannel('general')).success;
  const presence = new pkg.PresenceService(fresh, { userId: 'args-matrix' });
  presence.setStatus('away');
  sanity.freshPresence = presence.getStatus();
  const typing = new pkg.TypingService(fresh, { userId: 'args-matrix' });
  typing.startTyping('general');
  sanity.typing = typing.isTyping;
  for (const o of [typing, presence]) o.dispose();
  fresh.disconnect();
  sanity.disconnected = fresh.state;

  const staleExceptions = Object.keys(NOT_ENFORCED).filter((k) => !notEnforcedSeen.has(k));
  return { calls, counts, failures, covered: covered.size, members, sanity, staleExceptions };
}

// ---- the test ----------------------------------------------------------------------

/** The .d.ts model, checked for precise types before it drives the matrix. */
async function loadModel() {
  const model = parseDts(entryDeclarations(new URL('../../pkg', import.meta.url).pathname));
  const classes = Object.keys(model.classes);
  assert.ok(classes.length >= 6, `classes found in the .d.ts: ${classes}`);
  const methods = Object.values(model.classes).reduce((n, c) => n + c.methods.length, 0);
  assert.ok(methods >= 80, `methods found in the .d.ts: ${methods}`);
  // The d.ts keeps precise parameter types (not `any`).
  const joinChannel = model.classes.RealtimeClient.methods.find((m) => m.name === 'joinChannel');
  assert.deepEqual(joinChannel.params, [{ name: 'channelId', optional: false, rest: false, type: { k: 'string' } }]);
  const anyParams = Object.entries(model.classes).flatMap(([c, cls]) => [cls.ctor, ...cls.methods].filter(Boolean)
    .flatMap((m) => m.params.filter((p) => p.type.k === 'any').map((p) => `${c}.${m.name}(${p.name})`)));
  assert.deepEqual(anyParams, [], 'parameters typed `any` in the .d.ts');
  return model;
}

/** The assertions on one browser's matrix result. */
function check(browserName, model, r) {
  console.log(`argument matrix (${browserName}): ${r.calls} calls over ${r.members} members of ${Object.keys(model.classes).length} classes `
    + `(${r.counts.TypeError} TypeError, ${r.counts.RangeError} RangeError, ${r.counts.Error} Error on freed `
    + `objects or a foreign this, ${r.counts.value} getter reads or repeated free()); ${r.failures.length} failures; `
    + `a freed object says "${r.sanity.freedError}"`);
  assert.deepEqual(r.failures, []);
  assert.equal(r.covered, r.members, 'every constructor, method, getter and function was called');
  // 2778: the matrix over the wasm-bindgen classes before the TypeScript layer.
  assert.ok(r.calls >= 2778, `only ${r.calls} calls`);
  assert.ok(r.counts.RangeError >= 50 && r.counts.TypeError >= 1500, JSON.stringify(r.counts));
  assert.deepEqual(r.staleExceptions, [], 'NOT_ENFORCED lists keys the matrix no longer meets');
  assert.match(r.sanity.freedError, /Error: \S/);
  delete r.sanity.freedError;
  assert.deepEqual(r.sanity, {
    state: 'disconnected', queued: 'queued', queueLength: 1, presence: 'busy', tracked: 'sending',
    connected: true, joined: 'boolean', freshPresence: 'away', typing: true, disconnected: 'disconnected',
  });
}

test('every entry point refuses wrong arguments with a TypeError or RangeError, never a trap', async () => {
  const model = await loadModel();
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${web.url}/args-matrix`); // any page of the origin serving /pkg/
  check('Chromium', model, await page.evaluate(runMatrix, { model, serverUrl, controlUrl }));
  assert.deepEqual(errors, []);
  await page.close();
});

test('the same matrix in Firefox', async () => {
  const model = await loadModel();
  const ff = await firefox();
  try {
    await ff.goto(`${web.url}/args-matrix`);
    // Uncaught errors of the page are collected in it (no Playwright here).
    const inPage = `async (arg) => {
      const runMatrix = ${runMatrix};
      const uncaught = [];
      addEventListener('error', (e) => uncaught.push(String(e.message)));
      addEventListener('unhandledrejection', (e) => uncaught.push(String(e.reason)));
      const result = await runMatrix(arg);
      await new Promise((res) => setTimeout(res, 200));
      return { ...result, uncaught };
    }`;
    const r = await ff.evaluate(inPage, { model, serverUrl, controlUrl });
    const { uncaught } = r;
    delete r.uncaught;
    check('Firefox', model, r);
    assert.deepEqual(uncaught, []);
  } finally {
    await ff.quit();
  }
});
