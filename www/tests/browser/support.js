// Helpers of the browser suites: the test server's control API of instances
// A and B, recorders of callbacks,
// waiting for a condition, clients connected to the test server, and the
// page's window events and storage. The servers' URLs come from the runner
// page's query string (`server`, `control`, `serverB`, `controlB`).
import { onCleanup } from './harness.js';
import { RealtimeClient, release } from './pkg.js';

const params = new URLSearchParams(location.search);

/** The realtime server's URL (instance A). */
export const serverUrl = params.get('server') ?? 'http://127.0.0.1:39101';
/** The control API of instance A. */
export const controlUrl = params.get('control') ?? 'http://127.0.0.1:39102';
/** The second instance's URL (scale-out: both share one Redis). */
export const serverUrlB = params.get('serverB') ?? 'http://127.0.0.1:39103';
/** The control API of instance B. */
export const controlUrlB = params.get('controlB') ?? 'http://127.0.0.1:39104';
/** The transport of every client the helpers make (`<suite>@sse`), unless a test names one. */
export const transport = params.get('transport') ?? undefined;

let clients = 0;
/**
 * Instance A's URL for the next client: over HTTP each client holds a stream
 * and a request, and a browser allows 6 connections per host, so every other
 * client goes to `localhost` (the same server) instead of `127.0.0.1`.
 */
export function nextServerUrl() {
  clients += 1;
  return clients % 2 === 0 ? serverUrl.replace('127.0.0.1', 'localhost') : serverUrl;
}

async function request(base, method, path, body) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Calls the control API of instance A; the answer's JSON (null if none). */
export function control(method, path, body) {
  return request(controlUrl, method, path, body);
}

/** POST with a JSON body to instance A. */
export const post = (path, body = {}) => control('POST', path, body);
/** GET from instance A. */
export const get = (path) => control('GET', path);
/** POST with a JSON body to instance B. */
export const postB = (path, body = {}) => request(controlUrlB, 'POST', path, body);
/** GET from instance B. */
export const getB = (path) => request(controlUrlB, 'GET', path);

/** The rooms the browser tests use: they must exist, as on the real server. */
export const ROOMS = ['channel:general', 'channel:team', 'r', 'dm:d1'];

/**
 * Resets the test server (both instances share its rooms through Redis) with
 * extensions on, and creates ROOMS. Sockets still connected are disconnected
 * first (`io server disconnect`: they do not come back), so a failed test's
 * clients cannot act as its users in the tests after it.
 */
export async function reset() {
  await post('/disconnect', {});
  await postB('/disconnect', {});
  await post('/reset', {});
  await postB('/reset', {});
  await post('/rooms', { names: ROOMS });
}

/** A signed token for `sub` (its display name is `sub` too). */
export async function token(sub) {
  const { token: t } = await get(`/token?sub=${encodeURIComponent(sub)}&name=${encodeURIComponent(sub)}`);
  if (typeof t !== 'string') throw new Error(`no token for ${sub}`);
  return t;
}

/** Resolves after `ms`. */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `cond()` (sync or async) is truthy, polling every 20 ms;
 * resolves to the ms it took, throws naming `what` after `timeoutMs`.
 */
export async function waitUntil(what, timeoutMs, cond) {
  const start = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** The message of an Error (or the value shown). */
export function errorMessage(e) {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Plain data of a value as JSON holds it (Rust's `to_value`): `undefined`
 * and what JSON cannot hold give null, Dates their ISO strings.
 */
export function json(v) {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? null : JSON.parse(s);
  } catch {
    return null;
  }
}

/** A message's clientMessageId: top-level (extensions) or in `metadata` (the real server). */
export function cidOf(m) {
  return m?.clientMessageId ?? m?.metadata?.clientMessageId ?? null;
}

/** Records what a callback receives, as JSON snapshots of its arguments. */
export class Recorder {
  constructor() {
    /** Every call's arguments, as JSON. */
    this.calls = [];
    /** The callback to hand to the API. */
    this.f = (...args) => {
      this.calls.push(args.map(json));
    };
  }

  /** Calls so far. */
  len() {
    return this.calls.length;
  }

  /** Every call's first argument. */
  all() {
    return this.calls.map((a) => a[0] ?? null);
  }

  /** The first arguments that are strings. */
  strings() {
    return this.all().filter((v) => typeof v === 'string');
  }
}

/** Records the `(event, data)` calls of a service's `subscribe` callback. */
export class EventRecorder {
  constructor() {
    /** `[event, data]` pairs, data as JSON. */
    this.calls = [];
    /** The callback to hand to `subscribe`. */
    this.f = (event, data) => {
      this.calls.push([typeof event === 'string' ? event : '', json(data)]);
    };
  }

  /** Event names in order. */
  names() {
    return this.calls.map(([n]) => n);
  }

  /** The data of every `name` event. */
  of(name) {
    return this.calls.filter(([n]) => n === name).map(([, d]) => d);
  }

  /** How many `name` events. */
  count(name) {
    return this.of(name).length;
  }
}

/**
 * Releases `obj` (a client or service) when the current test ends, as
 * Rust dropped a test's locals; returns it.
 */
export function own(obj) {
  onCleanup(() => release(obj));
  return obj;
}

/** A client initialized against instance A with `extra` options, released after the test. */
export function client(extra = {}) {
  const c = own(new RealtimeClient());
  // The suites ride out server restarts with short reconnect delays: more
  // attempts than nchat's default of 10 (tested in nchat.test.js).
  const wire = transport && !('transport' in extra) ? { transport } : {};
  const url = (extra.transport ?? transport) === 'sse' ? nextServerUrl() : serverUrl;
  c.initialize({ url, qualityIntervalMs: 0, maxReconnectAttempts: 1000, ...wire, ...extra });
  return c;
}

/** A client connected as `sub`. */
export async function connected(sub, extra = {}) {
  const c = client(extra);
  await c.connect(await token(sub));
  const want = extra.transport ?? transport;
  // A suite run over SSE must not pass on another wire.
  if (want !== undefined && c.transport !== want) throw new Error(`connected over ${c.transport}, not ${want}`);
  return c;
}

/**
 * A client of instance B (scale-out: the same Redis) connected as `sub`; it
 * stays connected while instance A is dropped or restarted.
 */
export async function connectedB(sub) {
  const c = own(new RealtimeClient());
  c.initialize({ url: serverUrlB, qualityIntervalMs: 0, reconnectDelayMs: 100, reconnectDelayMaxMs: 300, maxReconnectAttempts: 1000 });
  await c.connect(await token(sub));
  return c;
}

/** Dispatches a plain DOM event (`online`, `offline`, ...) on window. */
export function fireWindowEvent(kind) {
  window.dispatchEvent(new Event(kind));
}

/** Dispatches a `storage` event for `key` on window, as another tab's write would. */
export function fireStorageEvent(key) {
  window.dispatchEvent(new StorageEvent('storage', { key, storageArea: window.localStorage }));
}

/** `window.localStorage`. */
export function localStorage() {
  return window.localStorage;
}

/** Empties `localStorage`. */
export function clearStorage() {
  window.localStorage.clear();
}

/**
 * The server's record: `{cids, contents, sendCounts}`, the clientMessageIds
 * and contents in arrival order and the send counts per clientMessageId.
 */
export async function received() {
  const r = await get('/received');
  const list = Array.isArray(r?.messages) ? r.messages : [];
  return {
    cids: list.map((m) => (typeof m.clientMessageId === 'string' ? m.clientMessageId : '')),
    contents: list.map((m) => (typeof m.content === 'string' ? m.content : '')),
    sendCounts: r?.sendCounts ?? null,
  };
}

/**
 * Starts a control call without waiting for it: `{done, answer, error, promise}`;
 * `done` turns true when it answered (`/restart` answers when the server is back).
 */
export function spawnControl(method, path, body) {
  const call = { done: false, answer: undefined, error: undefined, promise: null };
  call.promise = control(method, path, body).then(
    (a) => {
      call.answer = a;
      call.done = true;
      return a;
    },
    (e) => {
      call.error = e;
    },
  );
  return call;
}

/** Waits until the realtime port of instance A stopped listening (during a `/restart`). */
export async function waitServerDown() {
  const start = Date.now();
  for (;;) {
    if ((await get('/faults'))?.listening === false) return;
    if (Date.now() - start >= 5000) throw new Error('server never went down');
    await sleep(20);
  }
}
