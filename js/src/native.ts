// The one module that touches the wasm: every other module of the layer
// reaches it only through what this one exports.
//
// The wasm exports one small surface (src/api/native.rs): per client a
// `Native` with `attach(kind, options)`, `call(handle, op, a, b, c)`,
// `detach(handle)` and `free()`, and one sink for events and completions
// (./hub.ts keeps the listeners and promises it feeds). This module gives
// each class of the layer its native side: an object with the class's
// method names, each turned into an operation code (./ops.ts, the mirror of
// src/api/ops.rs) on the client's `Native`.
import glueInit, { initSync as glueInitSync, Native, type InitOutput } from './chat_realtime.js';
import { Hub, type Listener } from './hub.js';
import { Op } from './ops.js';

export type { InitInput, InitOutput, SyncInitInput } from './chat_realtime.js';

/** The wasm is instantiated: instances reach it. */
let loaded = false;
/** Why loading the wasm with the module failed, if it did. */
let failure: unknown;

/**
 * Loads the wasm from `input` (its URL, a `Response`, bytes or a compiled
 * module; by default `chat_realtime_bg.wasm` next to this module). In a
 * browser the module already did at import, so this only waits; elsewhere
 * (Node, a worker, a failed load) it is what makes the classes work.
 * Idempotent.
 */
export default async function init(input?: Parameters<typeof glueInit>[0]): Promise<InitOutput> {
  const output = await glueInit(input);
  loaded = true;
  return output;
}

/** `init` from the wasm's bytes or compiled module, synchronously. Idempotent. */
export function initSync(input: Parameters<typeof glueInitSync>[0]): InitOutput {
  const output = glueInitSync(input);
  loaded = true;
  return output;
}

// In a browser the wasm loads with the module, so importing is enough:
// whatever imports the package runs once it is ready. Elsewhere (server-side
// rendering, a worker) nothing is touched until `init`/`initSync`.
if (typeof window === 'object' && typeof document === 'object') {
  try {
    await init();
  } catch (e) {
    failure = e;
  }
}

/** @internal What each getter reads before the wasm is loaded (server-side rendering): a new instance's values. */
export const UNLOADED: Record<number, unknown> = {
  [Op.ClientIsConnected]: false, [Op.ClientState]: 'disconnected', [Op.ClientConnectionQuality]: 'unknown',
  [Op.ClientReconnectAttempts]: 0, [Op.ClientTransport]: 'socketio', [Op.ClientWasOffline]: false, [Op.ClientIsOnline]: true,
  [Op.ClientTimerWakeups]: 0, [Op.ClientAuth]: null, [Op.PresenceStatus]: 'online', [Op.PresenceIsAutoAway]: false,
  [Op.PresenceIsInvisible]: false, [Op.PresenceActivityRelay]: 'none', [Op.PresenceTimerWakeups]: 0,
  [Op.TypingPrivacySettings]: Object.freeze({ broadcastTyping: true, typingVisibility: 'everyone' }),
  [Op.TypingCurrentContext]: null, [Op.TypingTimerWakeups]: 0, [Op.QueueIsFlushing]: false, [Op.SyncIsSyncing]: false,
  [Op.SyncSyncStatus]: 'idle', [Op.ConflictInitialized]: false, [Op.RoomsInitialized]: false,
  [Op.DispatcherInitialized]: false,
};

/** The error of an instance used before the wasm is loaded. */
function notLoaded(): Error {
  const why = failure === undefined ? '' : ` (loading it with the module failed: ${String(failure)})`;
  const e = new Error(`chat-realtime: the wasm is not loaded${why}: await init() first, with its URL or bytes`);
  return Object.assign(e, { code: 'not_loaded' });
}

/** How a method reaches the wasm. */
type Kind = 'call' | 'get' | 'promise' | 'dispose' | 'subscribe';

/** The native side of one instance: the class's methods (checked by the layer) over the wasm. */
export type NativeObject = Base;

/** What the layer calls on the native side of a `RealtimeClient`. */
export type NativeClient = NativeObject;
/** …of a `PresenceService`. */
export type NativePresence = NativeObject;
/** …of a `TypingService`. */
export type NativeTyping = NativeObject;
/** …of a `DeliveryEventHandler`. */
export type NativeDelivery = NativeObject;
/** …of an `OfflineQueueService`. */
export type NativeQueue = NativeObject;
/** …of a `SyncService`. */
export type NativeSync = NativeObject;
/** …of a `ConflictResolutionService`. */
export type NativeConflict = NativeObject;

/** The base of every native object: its hub and handle. */
class Base {
  /** The class's methods and getters, as the layer calls them (added by `methods`). */
  [method: string]: any;
  /** `dispose()` was called. */
  disposed = false;
  private freed = false;
  /** The wasm's handle, once attached (the client's is 0). */
  private h?: number;

  /** `attach` makes the wasm side of a service, on first use once the wasm is loaded. */
  constructor(readonly hub: Hub, private readonly attach?: () => number) {
    hub.retain();
    if (!attach) this.h = 0;
    else if (loaded) void this.handle;
  }

  /** The wasm's handle (a service is attached now if it was made before the wasm loaded). */
  get handle(): number {
    if (this.h === undefined) {
      this.h = this.attach!();
      this.hub.tell(this.h);
    }
    return this.h;
  }

  /** Runs `op` with up to three arguments. */
  op(op: number, a?: unknown, b?: unknown, c?: unknown): any {
    return this.hub.native.call(this.handle, op, a, b, c);
  }

  /** Listens to `topic` of this instance. */
  listen(topic: string, f: Listener, once = false): () => void {
    return this.hub.listen(this.handle, topic, f, once);
  }

  /** Frees the instance's wasm side (idempotent). */
  free(): void {
    if (this.freed) return;
    this.freed = true;
    if (this.h) {
      this.hub.forget(this.h);
      this.hub.native.detach(this.h);
    }
    this.hub.release();
  }
}

/** The operation codes by lower-cased name (`clientinitialize`). */
const OPS: Record<string, number> = Object.fromEntries(Object.entries(Op).map(([k, v]) => [k.toLowerCase(), v]));

/**
 * Adds the methods of `table` (name: kind) to `cls`'s prototype, each on the
 * operation `<cls><Name>` of ./ops.ts: plain calls, getters, promises (the
 * wasm returns a ticket), `dispose` (listeners dropped too) and `subscribe`
 * (the wasm checks, then the listener is added).
 */
function methods(cls: { prototype: object }, prefix: string, table: Record<string, Kind>): void {
  for (const [name, kind] of Object.entries(table)) {
    const op = OPS[(prefix + name).toLowerCase()];
    if (op === undefined) throw new Error(`chat-realtime: no operation ${prefix}.${name}`);
    if (kind === 'get') {
      Object.defineProperty(cls.prototype, name, {
        get(this: Base) {
          return loaded ? this.op(op) : UNLOADED[op];
        },
      });
      continue;
    }
    const f = {
      call(this: Base, a?: unknown, b?: unknown, c?: unknown) {
        return this.op(op, a, b, c);
      },
      promise(this: Base, a?: unknown, b?: unknown, c?: unknown) {
        return this.hub.request(this.op(op, a, b, c));
      },
      dispose(this: Base) {
        this.op(op);
        this.disposed = true;
        this.hub.forget(this.handle);
      },
      subscribe(this: Base, callback: Listener) {
        this.op(op);
        return this.listen('all', callback);
      },
    }[kind];
    Object.defineProperty(cls.prototype, name, { value: f, writable: true });
  }
}

class Client extends Base {
  private offRefresh?: () => void;

  constructor() {
    super(new Hub((sink) => {
      if (!loaded) throw notLoaded();
      return new Native(sink);
    }));
  }

  on(event: string, callback: Listener): () => void {
    return this.listen(`s:${event}`, callback);
  }

  once(event: string, callback: Listener): () => void {
    return this.listen(`s:${event}`, callback, true);
  }

  off(event: string, callback?: Listener): void {
    this.hub.unlisten(0, `s:${event}`, callback);
  }

  onStateChange(callback: Listener): () => void {
    return this.listen('state', callback);
  }

  onOfflineStatusChange(callback: Listener): () => void {
    return this.listen('online', callback);
  }

  onError(callback: Listener): () => void {
    return this.listen('error', callback);
  }

  onQualityChange(callback: Listener): () => void {
    return this.listen('quality', callback);
  }

  onLatencyChange(callback: Listener): () => void {
    return this.listen('latency', callback);
  }

  onDisconnect(callback: Listener): () => void {
    return this.listen('disconnect', callback);
  }

  onReconnection(callback: Listener): () => void {
    return this.listen('reconnection', callback);
  }

  /** The wasm asks for a fresh token after a 401 (`refreshToken` event): `f` is asked, its token reconnects. */
  setRefresher(f?: () => string | Promise<string>): void {
    this.offRefresh?.();
    this.offRefresh = f && this.listen('refreshToken', () => {
      const failed = (why: string) => this.op(Op.ClientRefreshFailed, `refreshToken(): ${why}`);
      Promise.resolve().then(f).then(
        (t) => (typeof t === 'string' && t !== '' ? this.op(Op.ClientUpdateToken, t) : failed('no token')),
        (e: unknown) => failed(e instanceof Error ? e.message : String(e)),
      ).catch(() => {}); // a client freed meanwhile
    });
  }

  /** nchat's `destroy()`: disconnected, the client's own listeners dropped. */
  destroy(): void {
    this.op(Op.ClientDisconnect);
    this.hub.forget(0);
  }
}
methods(Client, 'Client', {
  initialize: 'call', connect: 'promise',
  disconnect: 'call', emit: 'call',
  emitVolatile: 'call', emitAsync: 'promise',
  joinChannel: 'promise', leaveChannel: 'promise',
  sendTyping: 'call', updatePresence: 'call',
  measureLatency: 'promise', checkConnection: 'call',
  isConnected: 'get', state: 'get',
  connectionQuality: 'get', averageLatency: 'get',
  reconnectAttempts: 'get', wasOffline: 'get',
  isOnline: 'get', userId: 'get', socketId: 'get', auth: 'get',
  timerWakeups: 'get', transport: 'get',
  updateToken: 'call',
  clearWasOffline: 'call', emitCallback: 'promise',
});

/** A service of a client: attached on construction, or on first use once the wasm is loaded. */
class Service extends Base {
  constructor(client: NativeClient, kind: number, options: () => unknown) {
    const hub = (client as Base).hub;
    super(hub, () => hub.native.attach(kind, options()));
  }
}

class Presence extends Service {
  onPresenceChange(callback: Listener): () => void {
    return this.listen('presence', callback);
  }

  onStatusChange(callback: Listener): () => void {
    return this.listen('status', callback);
  }

  onCustomStatusChange(callback: Listener): () => void {
    return this.listen('customStatus', callback);
  }
}
methods(Presence, 'Presence', {
  setStatus: 'call', getStatus: 'call',
  status: 'get', isAutoAway: 'get', userId: 'get',
  setCustomStatus: 'call', clearCustomStatus: 'call',
  getCustomStatus: 'call', setInvisibleMode: 'call',
  isInvisible: 'get', updatePresenceSettings: 'call',
  getPresenceSettings: 'call', setContacts: 'call',
  setUserSettings: 'call', canViewPresence: 'call',
  getPresence: 'call', subscribeToUsers: 'call',
  unsubscribeFromUsers: 'call',
  getSubscriptions: 'call', activityRelay: 'get',
  timerWakeups: 'get', dispose: 'dispose',
  fetchPresence: 'promise', getCachedContacts: 'call', clearPresenceSettingsCache: 'call',
  setCurrentUserId: 'call', heartbeat: 'call',
});

class Typing extends Service {
  onRoomTypingChange(channelId: string, roomType: string, callback: Listener, threadId?: string): () => void {
    const [room, args] = this.op(Op.TypingRoomTyping, channelId, roomType, threadId) as [string, unknown[]];
    const unsubscribe = this.listen(`typing:${room}`, callback);
    try {
      callback(...args);
    } catch (e) {
      const message = e instanceof Error ? e.message : typeof e === 'string' ? e : 'a non-Error value was thrown';
      console.error(`[chat-realtime] a TypingService onRoomTypingChange callback threw: ${message}`);
    }
    return unsubscribe;
  }

  subscribe(callback: Listener): () => void {
    return this.listen('typing', callback);
  }

  onTypingChange(callback: Listener): () => void {
    return this.listen('typing', callback);
  }
}
methods(Typing, 'Typing', {
  startTyping: 'call', startTypingInThread: 'call',
  startTypingInDM: 'call', stopTyping: 'call',
  stopTypingInDM: 'call', handleInputChange: 'call',
  handleDMInputChange: 'call', getTypingUsers: 'call',
  getTypingUsersInDM: 'call', getTypingText: 'call',
  getTypingTextInDM: 'call',
  updatePrivacySettings: 'call', privacySettings: 'get',
  setContacts: 'call', setUserNames: 'call',
  clearAllTypingState: 'call', currentContext: 'get',
  userId: 'get', timerWakeups: 'get', dispose: 'dispose',
  setCurrentUserId: 'call', contact: 'call', activeRooms: 'call', clearRoom: 'call',
});

/**
 * The native queue given as `what`: it must be a queue of the same client
 * that is not disposed.
 */
function queueOf(client: Base, queue: unknown, what: string): Queue {
  const q = queue as Queue;
  if (!(q instanceof Queue) || q.hub !== client.hub || q.disposed) {
    throw new TypeError(`${what} must be an OfflineQueueService of the same RealtimeClient that is not disposed`);
  }
  return q;
}

/** `options` (checked now), with its native `queue` replaced by the queue's handle when attached. */
function withQueue(client: NativeClient, options: any, what: string): () => unknown {
  if (options === undefined || options === null || options.queue === undefined) return () => options;
  const q = queueOf(client as Base, options.queue, `${what}: options.queue`);
  return () => ({ ...options, queue: q.handle });
}

class Delivery extends Service {
  attachQueue(queue: NativeQueue): void {
    this.op(Op.DeliveryAttachQueue, queueOf(this, queue, 'attachQueue(): queue').handle);
  }
}
methods(Delivery, 'Delivery', {
  trackOutgoing: 'call', markSent: 'call',
  markFailed: 'call', markSending: 'call',
  acknowledgeRead: 'call', flushReadAcks: 'call',
  syncDeliveryStatus: 'promise', getStatus: 'call',
  untrack: 'call', detachQueue: 'call',
  subscribe: 'subscribe', dispose: 'dispose',
});

class Queue extends Service {}
methods(Queue, 'Queue', {
  queueMessage: 'call', getQueuedMessages: 'call',
  getQueueLength: 'call', removeMessage: 'call',
  retryMessage: 'call', clearQueue: 'call',
  flushQueue: 'promise', isFlushing: 'get',
  getQuarantined: 'call', clearQuarantine: 'call',
  subscribe: 'subscribe', dispose: 'dispose', updateMessage: 'call',
});

class Sync extends Service {}
methods(Sync, 'Sync', {
  syncOnReconnect: 'promise', syncMessages: 'promise',
  recordLocalMessage: 'call', forgetLocalMessage: 'call',
  setPresenceUserIds: 'call', getLastSyncTime: 'call',
  isSyncing: 'get', subscribe: 'subscribe', dispose: 'dispose', syncStatus: 'get',
  syncChannels: 'promise', syncPresence: 'promise', cancelSync: 'call', reconcileConflicts: 'call',
});

/** A rooms service or room manager: its promises reject (never throw) on a refusal, as nchat's async methods. */
class Rooms extends Service {
  join(name: unknown, options?: { metadata?: unknown; force?: boolean }): Promise<any> {
    try {
      const metadata = options?.metadata === undefined ? undefined : JSON.stringify(options.metadata);
      return this.hub.request(this.op(Op.RoomsJoinRoom, name, metadata, options?.force));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  send(room: unknown, payload: unknown): Promise<any> {
    try {
      return this.hub.request(this.op(Op.RoomsSendMessage, room, JSON.stringify(payload)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  destroy(): void {
    this.op(Op.RoomsDestroy);
    this.hub.forget(this.handle);
  }

  unlisten(topic: string): void {
    this.hub.unlisten(this.handle, topic);
  }
}
methods(Rooms, 'Rooms', {
  initialize: 'call', initialized: 'get',
  leaveRoom: 'call', isInRoom: 'call',
  getRoom: 'call', getRooms: 'call',
  getRoomMembers: 'call', addRoomListener: 'call',
  removeRoomListener: 'call', setCurrentUserId: 'call',
});

class Conflict extends Service {
  destroy(): void {
    this.op(Op.ConflictDestroy);
    this.hub.unlisten(this.handle, 'all');
  }
}
methods(Conflict, 'Conflict', {
  initialize: 'call', initialized: 'get',
  detectConflict: 'call', resolveConflict: 'call',
  autoResolve: 'call', getHistory: 'call',
  getHistoryEntry: 'call', clearHistory: 'call',
  getStats: 'call', subscribe: 'subscribe',
});

/** An event dispatcher: its subscribers hear `(eventType, roomName, payload)`. */
class Dispatcher extends Service {
  destroy(): void {
    this.op(Op.DispatcherDestroy);
    this.hub.unlisten(this.handle, 'dispatch');
  }

  subscribe(callback: Listener): () => void {
    this.op(Op.DispatcherSubscribe);
    return this.listen('dispatch', callback);
  }
}
methods(Dispatcher, 'Dispatcher', { initialize: 'call', initialized: 'get', dispatch: 'call' });

/** A new native client. */
export const newClient = (): NativeClient => new Client();
/** A new native presence service on a native client. */
export const newPresence = (client: NativeClient, options: unknown): NativePresence =>
  new Presence(client, 1, () => options);
/** A new native typing service. */
export const newTyping = (client: NativeClient, options: unknown): NativeTyping =>
  new Typing(client, 2, () => options);
/** A new native delivery handler (`options.queue` a native queue). */
export const newDelivery = (client: NativeClient, options: unknown): NativeDelivery =>
  new Delivery(client, 3, withQueue(client, options, 'new DeliveryEventHandler()'));
/** A new native offline queue. */
export const newQueue = (client: NativeClient, options: unknown): NativeQueue =>
  new Queue(client, 4, () => options);
/** A new native sync service (`options.queue` a native queue). */
export const newSync = (client: NativeClient, options: unknown): NativeSync =>
  new Sync(client, 5, withQueue(client, options, 'new SyncService()'));

/** A new native conflict resolution service. */
export const newConflict = (client: NativeClient, options: unknown): NativeConflict =>
  new Conflict(client, 6, () => options);
/** A new native rooms service (`manager`: a room manager). */
export const newRooms = (client: NativeClient, manager: boolean, options: unknown): NativeObject =>
  new Rooms(client, manager ? 8 : 7, () => options);

/** A new native event dispatcher. */
export const newDispatcher = (client: NativeClient, options: unknown): NativeObject =>
  new Dispatcher(client, 9, () => options);

/** The native objects behind the layer's instances of one class. */
export interface Natives<N> {
  /** Ties a new instance to its native object. */
  bind(self: object, native: N): void;
  /** The native object of `self`; throws for a freed instance or another object. */
  of(self: object): N;
  /** The native object of `value` when it is a live instance, else `undefined`. */
  find(value: unknown): N | undefined;
  /** Frees the native object of `self` now (idempotent). */
  free(self: object): void;
}

/**
 * The registry of one class. An instance holds nothing itself: its native
 * object lives here, so the wasm memory goes with the instance (freed when
 * the instance is collected) or at `free()`.
 */
export function natives<N extends { free(): void }>(cls: string): Natives<N> {
  const map = new WeakMap<object, N | null>();
  const collected = new FinalizationRegistry<N>((native) => native.free());
  const find = (value: unknown): N | undefined =>
    (typeof value === 'object' && value !== null ? map.get(value) ?? undefined : undefined);
  const of = (self: object): N => {
    const native = find(self);
    if (native) return native;
    throw map.has(self)
      ? new Error(`this ${cls} was freed: free() was called on it`)
      : new TypeError(`a method of ${cls} was called on an object that is not a ${cls}`);
  };
  return {
    bind(self, native) {
      map.set(self, native);
      collected.register(self, native, self);
    },
    of,
    find,
    free(self) {
      if (map.get(self) === null) return;
      const native = of(self);
      map.set(self, null);
      collected.unregister(self);
      native.free();
    },
  };
}

/** The live `RealtimeClient`s. */
export const clients = natives<NativeClient>('RealtimeClient');
/** The live `PresenceService`s. */
export const presences = natives<NativePresence>('PresenceService');
/** The live `TypingService`s. */
export const typings = natives<NativeTyping>('TypingService');
/** The live `DeliveryEventHandler`s. */
export const deliveries = natives<NativeDelivery>('DeliveryEventHandler');
/** The live `OfflineQueueService`s. */
export const queues = natives<NativeQueue>('OfflineQueueService');
/** The live `SyncService`s. */
export const syncs = natives<NativeSync>('SyncService');
/** The live `ConflictResolutionService`s. */
export const conflicts = natives<NativeConflict>('ConflictResolutionService');
/** The live `RoomsService`s and `RoomManagerService`s. */
export const rooms = natives<NativeObject>('RoomsService');
/** The live `EventDispatcherService`s. */
export const dispatchers = natives<NativeObject>('EventDispatcherService');
/** The live `RoomManagerService`s. */
export const roomManagers = natives<NativeObject>('RoomManagerService');
