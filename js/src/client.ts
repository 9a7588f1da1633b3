// `RealtimeClient`: each method checks its arguments and forwards them to
// the native client (src/native.ts); connection, reconnection, quality and
// offline detection live in the wasm.
import {
  U32_MAX, MAX_SAFE, absent, boolean, callback as fn, fields, id, instance, isPlainObject, json, oneOf, optCallback,
  optFields, optId, optMs, req, type Schema, type SchemaOf,
} from './check.js';
import * as native from './native.js';
import type {
  AckResponse, AuthResponse, ConnectionQuality, ConnectionState, ConnectionStateListener, CustomStatusInput, DisconnectReason,
  DeviceInfo, PresenceStatus, RealtimeClientConfig, RealtimeError, RealtimeRequestError, ReconnectionListener, Transport,
} from './types.js';

/** @internal The values of `PresenceStatus`. */
export const PRESENCE_STATUSES: readonly PresenceStatus[] = ['online', 'away', 'busy', 'offline'];

const DEVICE: SchemaOf<DeviceInfo> = {
  type: req({ oneOf: ['web', 'ios', 'android', 'desktop', 'unknown'] }), os: 'str', browser: 'str', version: 'str',
};

/** @internal The options schema (also `RealtimeIntegrationConfig`'s). */
export const OPTIONS: SchemaOf<RealtimeClientConfig> = {
  url: 'str', path: 'str', namespace: 'str', debug: 'bool', reconnection: 'bool',
  maxReconnectAttempts: { max: U32_MAX }, reconnectDelayMs: 'intMs', reconnectDelayMaxMs: 'intMs',
  randomizationFactor: 'num', seed: { max: MAX_SAFE }, connectTimeoutMs: 'intMs', qualityIntervalMs: 'intMs',
  latencyWindow: { max: U32_MAX }, probeTimeoutMs: 'intMs', bufferLimit: { max: U32_MAX }, ackTimeoutMs: 'intMs',
  readyEvent: 'str', transport: { oneOf: ['socketio', 'sse'] }, pollIntervalMs: 'intMs', refreshToken: 'fn', token: 'id',
  autoReconnect: 'bool', reconnectDelay: 'intMs', maxReconnectDelay: 'intMs', timeout: 'intMs',
  device: { fields: DEVICE }, transports: { listOf: ['websocket', 'polling'] },
};

/** @internal nchat's option names and this package's, per class: `[nchat, ours]` pairs. */
export type Renames = readonly (readonly [string, string])[];

const RENAMES: Renames = [
  ['autoReconnect', 'reconnection'], ['reconnectDelay', 'reconnectDelayMs'], ['maxReconnectDelay', 'reconnectDelayMaxMs'],
  ['timeout', 'connectTimeoutMs'],
];

/** @internal A checked options object with nchat's keys given this package's names. */
export function renamed<T>(options: T, renames: Renames): T {
  if (options === undefined || options === null) return options;
  const out: Record<string, unknown> = { ...(options as object) };
  for (const [from, to] of renames) {
    if (from in out) {
      if (out[from] !== undefined) out[to] = out[from];
      delete out[from];
    }
  }
  return out as T;
}

/** @internal The keys of `CustomStatusInput` (also `PresenceService.setCustomStatus`). */
export const CUSTOM_STATUS: SchemaOf<CustomStatusInput> = { text: 'str', emoji: 'str', expiresAt: 'timestamp' };

/** A custom status argument: `undefined`, `null`, or a `CustomStatusInput`. */
const customStatusArg = (v: unknown, what: string): CustomStatusInput | null | undefined =>
  (absent(v) ? v : fields(v, what, CUSTOM_STATUS));

/** @internal The native client behind a service constructor's `client` argument. */
export const clientArg = (v: unknown, what: string): native.NativeClient =>
  instance(native.clients.find(v), v, what, 'a RealtimeClient that is not freed');

/** The server's answer to `joinChannel` / `leaveChannel`. */
type RoomAnswer = { success: boolean; data?: unknown; error?: { code: string; message: string } };

const of = (self: RealtimeClient): native.NativeClient => native.clients.of(self);

/**
 * A Socket.IO client over the browser WebSocket, with reconnection,
 * connection quality and offline detection.
 */
export class RealtimeClient {
  /** A client; call `initialize` before `connect`. */
  constructor() {
    native.clients.bind(this, native.newClient());
  }

  /** Frees the client's wasm memory now (otherwise when it is collected). */
  free(): void {
    native.clients.free(this);
  }

  /** `free()`, for `using`. */
  [Symbol.dispose](): void {
    this.free();
  }

  /**
   * Configures the client (`RealtimeClientOptions`, nchat's key names
   * too; none for the defaults). Calling it again disconnects and starts
   * over with the new options; listeners are kept.
   */
  initialize(options?: Partial<RealtimeClientConfig>): void {
    // nchat's `transports`: checked; the wire is `transport`'s (socketio, falling back to sse, then polling).
    const { token, transports: _, ...o } = fields<Partial<RealtimeClientConfig>>(options === undefined ? {} : options, 'initialize(): options', OPTIONS);
    const n = of(this);
    n.initialize(renamed(o, RENAMES));
    n.setRefresher(o.refreshToken);
    // nchat's `token`: what `connect()` without one uses (core `update_token`).
    if (token !== undefined) n.updateToken(token);
  }

  /**
   * Connects with a JWT (without one: the last one again); resolves when connected (the server's ready
   * event arrived and the rooms are re-joined), rejects on an
   * authentication refusal (not retried), `disconnect()`, when the ready
   * event does not come in time (`readyEvent`), or when reconnection gives
   * up. Network failures are retried with backoff.
   */
  connect(token?: string): Promise<void> {
    return of(this).connect(optId(token, 'connect(): token'));
  }

  /**
   * nchat's `updateToken`: later (re)connects authenticate with `token`; a
   * live connection sends it at once as `auth:refresh {token}`.
   */
  updateToken(token: string): void {
    of(this).updateToken(id(token, 'updateToken(): token'));
  }

  /**
   * Disconnects and stops reconnecting. Pending `connect` and `emitAsync`
   * promises reject; plain emits stay buffered for the next `connect`.
   */
  disconnect(): void {
    of(this).disconnect();
  }

  /**
   * Listens to server event `event`; returns an unsubscribe function.
   * Listeners survive reconnects. One that throws is reported via `onError`.
   */
  on<T = any>(event: string, callback: (data: T, ...rest: any[]) => void): () => void {
    return of(this).on(id(event, 'on(): event'), fn(callback, 'on(): callback'));
  }

  /** Listens to the next `event` only. */
  once<T = any>(event: string, callback: (data: T, ...rest: any[]) => void): () => void {
    return of(this).once(id(event, 'once(): event'), fn(callback, 'once(): callback'));
  }

  /** Removes `callback` from `event`, or every listener of `event` without one. */
  off<T = any>(event: string, callback?: (data: T, ...rest: any[]) => void): void {
    of(this).off(id(event, 'off(): event'), optCallback(callback, 'off(): callback'));
  }

  /**
   * Sends `event` with `data` (any JSON value); buffered while disconnected.
   * A full buffer is reported through `onError` (`buffer_overflow`). With
   * `callback` (nchat's form) it is `emitAsync`, and `callback` gets the
   * server's answer, or `{success: false, error: {code, message}}`.
   */
  emit<T = unknown, R = unknown>(event: string, data?: T, callback?: (response: AckResponse<R>) => void): void {
    const cb = optCallback<(r: AckResponse<R>) => void>(callback, 'emit(): callback');
    const n = of(this);
    const args = [id(event, 'emit(): event'), json(data, 'emit(): data')] as const;
    if (!cb) return n.emit(...args);
    (n.emitCallback(...args) as Promise<unknown>).then((r) => cb(r as AckResponse<R>),
      (e: RealtimeRequestError) => cb({ success: false, error: { code: e.code ?? 'error', message: e.message } }));
  }

  /** Sends `event` only if connected; returns whether it was sent. */
  emitVolatile(event: string, data: unknown): boolean {
    return of(this).emitVolatile(id(event, 'emitVolatile(): event'), json(data, 'emitVolatile(): data'));
  }

  /**
   * Sends `event` and resolves as nchat's: with the ack's `data` for a
   * `{success: true, data?}` ack, any other ack as it is (a plain Socket.IO
   * server's); rejects with the server's `code` for `{success: false,
   * error}`, on timeout (default `ackTimeoutMs`, code `timeout`), on
   * disconnect or with a full buffer. While disconnected it waits for the
   * next connection (nchat rejects at once: see docs/nchat-surface.md).
   */
  emitAsync<T = unknown, R = any>(event: string, data?: T, timeoutMs?: number): Promise<R> {
    return of(this).emitAsync(id(event, 'emitAsync(): event'), json(data, 'emitAsync(): data'),
      optMs(timeoutMs, 'emitAsync(): timeoutMs'));
  }

  /**
   * Joins a channel's room (`channel:{id}` unless the id has a `:`);
   * resolves with the server's answer. The room is kept and re-joined on
   * every reconnect before buffered emits flush; while disconnected the
   * promise waits for the next connection's re-join. Rejects with an
   * `Error` whose `code` is the server's (e.g. `ROOM_NOT_FOUND`: the room
   * is dropped) and `event` is `room:join`, or on timeout.
   */
  joinChannel(channelId: string): Promise<RoomAnswer> {
    return of(this).joinChannel(id(channelId, 'joinChannel(): channelId'));
  }

  /**
   * Leaves a channel's room: it is no longer re-joined. While
   * disconnected it resolves at once with `{ success: true }`; a server
   * refusal rejects with an `Error` with `code` and `event`.
   */
  leaveChannel(channelId: string): Promise<RoomAnswer> {
    return of(this).leaveChannel(id(channelId, 'leaveChannel(): channelId'));
  }

  /** Sends `typing:start` or `typing:stop` for a channel (volatile). */
  sendTyping(channelId: string, isTyping: boolean): void {
    of(this).sendTyping(id(channelId, 'sendTyping(): channelId'), boolean(isTyping, 'sendTyping(): isTyping'));
  }

  /**
   * Sends `presence:update {status, customStatus?}`, built by the same
   * core code as `PresenceService` (`expiresAt` goes out as ISO-8601).
   * `customStatus`: `undefined` leaves it out, `null` clears it.
   */
  updatePresence(status: PresenceStatus, customStatus?: CustomStatusInput | null): void {
    // `undefined` and `null` mean different things here: passed as given.
    of(this).updatePresence(oneOf(status, 'updatePresence(): status', PRESENCE_STATUSES),
      customStatusArg(customStatus, 'updatePresence(): customStatus'));
  }

  /** Measures the round trip now; resolves with it in ms. */
  measureLatency(): Promise<number> {
    return of(this).measureLatency();
  }

  /** Checks the link now (as on `pageshow` or when the tab becomes visible). */
  checkConnection(): void {
    of(this).checkConnection();
  }

  /** `cb(state, previous)` on every state change; returns an unsubscribe function. */
  onStateChange(callback: (state: ConnectionState, previous: ConnectionState) => void): () => void {
    return of(this).onStateChange(fn(callback, 'onStateChange(): callback'));
  }

  /** `cb(isOnline)` now (as nchat's) and when the browser goes offline or back online. */
  onOfflineStatusChange(callback: (isOnline: boolean) => void): () => void {
    const n = of(this);
    const off: () => void = n.onOfflineStatusChange(fn(callback, 'onOfflineStatusChange(): callback'));
    callback(n.isOnline);
    return off;
  }

  /**
   * `cb(error: RealtimeError)` for auth refusals, malformed frames,
   * throwing listeners, buffer overflow and transport failures.
   */
  onError(callback: (error: RealtimeError) => void): () => void {
    return of(this).onError(fn(callback, 'onError(): callback'));
  }

  /** `cb(quality)` when the quality band changes. */
  onQualityChange(callback: (quality: ConnectionQuality) => void): () => void {
    return of(this).onQualityChange(fn(callback, 'onQualityChange(): callback'));
  }

  /**
   * `cb(averageMs)` after each latency sample, with the new `averageLatency`
   * (an addition: nchat has no event for it).
   */
  onLatencyChange(callback: (averageMs: number) => void): () => void {
    return of(this).onLatencyChange(fn(callback, 'onLatencyChange(): callback'));
  }

  /** `cb(reason)` when the connection ends. */
  onDisconnect(callback: (reason: DisconnectReason) => void): () => void {
    return of(this).onDisconnect(fn(callback, 'onDisconnect(): callback'));
  }

  /** Connected to the server. */
  get isConnected(): boolean {
    return of(this).isConnected;
  }

  /** `ConnectionState`. */
  get state(): ConnectionState {
    return of(this).state;
  }

  /** `ConnectionQuality`. */
  get connectionQuality(): ConnectionQuality {
    return of(this).connectionQuality;
  }

  /** Average round trip over the window in ms, `null` before a sample (as in nchat). */
  get averageLatency(): number | null {
    return of(this).averageLatency ?? null;
  }

  /** Reconnect attempts in the current sequence. */
  get reconnectAttempts(): number {
    return of(this).reconnectAttempts;
  }

  /** The browser went offline since `clearWasOffline()` (it stays set after the reconnect). */
  get wasOffline(): boolean {
    return of(this).wasOffline;
  }

  /** The browser's last reported online status. */
  get isOnline(): boolean {
    return of(this).isOnline;
  }

  /**
   * The user id: the token's `userId` (else `sub`) claim from `connect`,
   * replaced by a `userId` in the server's ready or `authenticated` event;
   * `undefined` before `connect` or for a token without claims.
   */
  get userId(): string | undefined {
    return of(this).userId;
  }

  /** The wire that runs (or will on the next attempt): `'socketio' | 'sse' | 'polling'`. */
  get transport(): Transport {
    return of(this).transport;
  }

  /** The Socket.IO (or SSE) session id while connected. */
  get socketId(): string | undefined {
    return of(this).socketId;
  }

  /**
   * nchat's: the server's `authenticated` event (`{userId, sessionId, rooms}`,
   * as it came) on the current link; `null` before one and after a disconnect
   * (the nself server sends none: `userId` holds the user).
   */
  get auth(): AuthResponse | null {
    return of(this).auth;
  }

  /** Timers set so far (for idle-cost measurements). */
  get timerWakeups(): number {
    return of(this).timerWakeups;
  }

  // ---- nchat's names (services/realtime/realtime-client.ts) -------------------

  /** nchat: `listener(state)` now and on every change; returns an unsubscribe function. */
  onConnectionStateChange(listener: ConnectionStateListener): () => void {
    const n = of(this);
    const off: () => void = n.onStateChange(fn(listener, 'onConnectionStateChange(): listener'));
    listener(n.state);
    return off;
  }

  /**
   * nchat: `listener(attempts, wasOffline)` when connected again after a
   * lost connection or an offline period; returns an unsubscribe function.
   */
  onReconnection(listener: ReconnectionListener): () => void {
    return of(this).onReconnection(fn(listener, 'onReconnection(): listener'));
  }

  /** nchat: `disconnect()`, then `connect()` with the last token. */
  reconnect(): Promise<void> {
    const n = of(this);
    n.disconnect();
    return n.connect();
  }

  /** nchat: clears `wasOffline` (after the app has synced). */
  clearWasOffline(): void {
    of(this).clearWasOffline();
  }

  /** nchat: disconnects and drops every listener of the client; `initialize` and `connect` may follow. */
  destroy(): void {
    of(this).destroy();
  }

  /** nchat: connected, so the server accepted the token (it authenticates in the handshake). */
  get isAuthenticated(): boolean {
    return of(this).isConnected;
  }

  /** nchat's name of `reconnectAttempts`. */
  get reconnectAttemptCount(): number {
    return of(this).reconnectAttempts;
  }
}

// ---- nchat's module singletons ---------------------------------------------------

/** nchat's module client, shared by the services made without a client; its wasm side is made at first use. */
export const realtimeClient: RealtimeClient = new RealtimeClient();

/**
 * @internal A service constructor's arguments: `(client, options)`, or
 * nchat's `(config)` on `realtimeClient`; nchat's key names renamed.
 */
export function serviceArgs<O>(
  a: unknown, b: unknown, what: string, schema: Schema, renames: Renames,
): [native.NativeClient, O | undefined] {
  const client = native.clients.find(a);
  const config = !client && !absent(a) && isPlainObject(a) && absent(b);
  if (!client && !config && !absent(a)) clientArg(a, `${what}: clientOrConfig`);
  return [client ?? of(realtimeClient),
    renamed(optFields<O>(config ? a : b, `${what}: ${config ? 'clientOrConfig' : 'options'}`, schema), renames)];
}

/** @internal nchat's `get…`, `initialize…` and `reset…` of one service's module instance. */
export function singleton<S extends { initialize(): void; destroy(): void }, C>(make: (config?: C) => S) {
  let one: S | null = null;
  const get = (config?: C): S => (one ??= make(config));
  return [get, (config?: C): S => {
    const s = get(config);
    s.initialize();
    return s;
  }, (): void => {
    one?.destroy();
    one = null;
  }] as const;
}

/** @internal nchat's `initialize()` of a service, which runs from construction: refused once disposed. */
export function live(n: native.NativeObject, cls: string): void {
  if (n.disposed) throw Object.assign(new Error(`this ${cls} was disposed`), { code: 'disposed' });
}
