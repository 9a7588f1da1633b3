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
import init, { initSync, Native } from './chat_realtime.js';
import { Hub, type Listener } from './hub.js';
import { Op } from './ops.js';

export { init as default, initSync };
export type { InitInput, InitOutput, SyncInitInput } from './chat_realtime.js';

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

/** The base of every native object: its hub and handle. */
class Base {
  /** The class's methods and getters, as the layer calls them (added by `methods`). */
  [method: string]: any;
  /** `dispose()` was called. */
  disposed = false;
  private freed = false;

  constructor(readonly hub: Hub, readonly handle: number) {
    hub.retain();
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
    if (this.handle !== 0) {
      this.hub.forget(this.handle);
      this.hub.native.detach(this.handle);
    }
    this.hub.release();
  }
}

/**
 * Adds the methods of `table` (name: [op, kind]) to `cls`'s prototype:
 * plain calls, getters, promises (the wasm returns a ticket), `dispose`
 * (listeners dropped too) and `subscribe` (the wasm checks, then the
 * listener is added).
 */
function methods(cls: { prototype: object }, table: Record<string, [number, Kind]>): void {
  for (const [name, [op, kind]] of Object.entries(table)) {
    if (kind === 'get') {
      Object.defineProperty(cls.prototype, name, {
        get(this: Base) {
          return this.op(op);
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
  constructor() {
    super(new Hub((sink) => new Native(sink)), 0);
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

  onDisconnect(callback: Listener): () => void {
    return this.listen('disconnect', callback);
  }

  onReconnection(callback: Listener): () => void {
    return this.listen('reconnection', callback);
  }

  /** nchat's `destroy()`: disconnected, the client's own listeners dropped. */
  destroy(): void {
    this.op(Op.ClientDisconnect);
    this.hub.forget(0);
  }
}
methods(Client, {
  initialize: [Op.ClientInitialize, 'call'], connect: [Op.ClientConnect, 'promise'],
  disconnect: [Op.ClientDisconnect, 'call'], emit: [Op.ClientEmit, 'call'],
  emitVolatile: [Op.ClientEmitVolatile, 'call'], emitAsync: [Op.ClientEmitAsync, 'promise'],
  joinChannel: [Op.ClientJoinChannel, 'promise'], leaveChannel: [Op.ClientLeaveChannel, 'promise'],
  sendTyping: [Op.ClientSendTyping, 'call'], updatePresence: [Op.ClientUpdatePresence, 'call'],
  measureLatency: [Op.ClientMeasureLatency, 'promise'], checkConnection: [Op.ClientCheckConnection, 'call'],
  isConnected: [Op.ClientIsConnected, 'get'], state: [Op.ClientState, 'get'],
  connectionQuality: [Op.ClientConnectionQuality, 'get'], averageLatency: [Op.ClientAverageLatency, 'get'],
  reconnectAttempts: [Op.ClientReconnectAttempts, 'get'], wasOffline: [Op.ClientWasOffline, 'get'],
  isOnline: [Op.ClientIsOnline, 'get'], userId: [Op.ClientUserId, 'get'], socketId: [Op.ClientSocketId, 'get'],
  timerWakeups: [Op.ClientTimerWakeups, 'get'], clearWasOffline: [Op.ClientClearWasOffline, 'call'],
});

/** A service of a client: attached on construction. */
class Service extends Base {
  constructor(client: NativeClient, kind: number, options: unknown) {
    const hub = (client as Base).hub;
    super(hub, hub.native.attach(kind, options));
    hub.tell(this.handle);
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
methods(Presence, {
  setStatus: [Op.PresenceSetStatus, 'call'], getStatus: [Op.PresenceGetStatus, 'call'],
  status: [Op.PresenceStatus, 'get'], isAutoAway: [Op.PresenceIsAutoAway, 'get'], userId: [Op.PresenceUserId, 'get'],
  setCustomStatus: [Op.PresenceSetCustomStatus, 'call'], clearCustomStatus: [Op.PresenceClearCustomStatus, 'call'],
  getCustomStatus: [Op.PresenceGetCustomStatus, 'call'], setInvisibleMode: [Op.PresenceSetInvisibleMode, 'call'],
  isInvisible: [Op.PresenceIsInvisible, 'get'], updatePresenceSettings: [Op.PresenceUpdatePresenceSettings, 'call'],
  getPresenceSettings: [Op.PresenceGetPresenceSettings, 'call'], setContacts: [Op.PresenceSetContacts, 'call'],
  setUserSettings: [Op.PresenceSetUserSettings, 'call'], canViewPresence: [Op.PresenceCanViewPresence, 'call'],
  getPresence: [Op.PresenceGetPresence, 'call'], subscribeToUsers: [Op.PresenceSubscribeToUsers, 'call'],
  unsubscribeFromUsers: [Op.PresenceUnsubscribeFromUsers, 'call'],
  getSubscriptions: [Op.PresenceGetSubscriptions, 'call'], activityRelay: [Op.PresenceActivityRelay, 'get'],
  timerWakeups: [Op.PresenceTimerWakeups, 'get'], dispose: [Op.PresenceDispose, 'dispose'],
  setCurrentUserId: [Op.PresenceSetCurrentUserId, 'call'],
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
methods(Typing, {
  startTyping: [Op.TypingStartTyping, 'call'], startTypingInThread: [Op.TypingStartTypingInThread, 'call'],
  startTypingInDM: [Op.TypingStartTypingInDm, 'call'], stopTyping: [Op.TypingStopTyping, 'call'],
  stopTypingInDM: [Op.TypingStopTypingInDm, 'call'], handleInputChange: [Op.TypingHandleInputChange, 'call'],
  handleDMInputChange: [Op.TypingHandleDmInputChange, 'call'], getTypingUsers: [Op.TypingGetTypingUsers, 'call'],
  getTypingUsersInDM: [Op.TypingGetTypingUsersInDm, 'call'], getTypingText: [Op.TypingGetTypingText, 'call'],
  getTypingTextInDM: [Op.TypingGetTypingTextInDm, 'call'],
  updatePrivacySettings: [Op.TypingUpdatePrivacySettings, 'call'], privacySettings: [Op.TypingPrivacySettings, 'get'],
  setContacts: [Op.TypingSetContacts, 'call'], setUserNames: [Op.TypingSetUserNames, 'call'],
  clearAllTypingState: [Op.TypingClearAllTypingState, 'call'], isTyping: [Op.TypingIsTyping, 'get'],
  userId: [Op.TypingUserId, 'get'], timerWakeups: [Op.TypingTimerWakeups, 'get'], dispose: [Op.TypingDispose, 'dispose'],
  setCurrentUserId: [Op.TypingSetCurrentUserId, 'call'],
});

/**
 * The handle of a native queue given as `what`: it must be a queue of the
 * same client that is not disposed.
 */
function queueHandle(client: Base, queue: unknown, what: string): number | undefined {
  if (queue === undefined) return undefined;
  const q = queue as Queue;
  if (!(q instanceof Queue) || q.hub !== client.hub || q.disposed) {
    throw new TypeError(`${what} must be an OfflineQueueService of the same RealtimeClient that is not disposed`);
  }
  return q.handle;
}

/** `options` with its native `queue` replaced by the queue's handle. */
function withQueue(client: NativeClient, options: any, what: string): unknown {
  if (options === undefined || options === null || options.queue === undefined) return options;
  return { ...options, queue: queueHandle(client as Base, options.queue, `${what}: options.queue`) };
}

class Delivery extends Service {
  attachQueue(queue: NativeQueue): void {
    this.op(Op.DeliveryAttachQueue, queueHandle(this, queue, 'attachQueue(): queue'));
  }
}
methods(Delivery, {
  trackOutgoing: [Op.DeliveryTrackOutgoing, 'call'], markSent: [Op.DeliveryMarkSent, 'call'],
  markFailed: [Op.DeliveryMarkFailed, 'call'], markSending: [Op.DeliveryMarkSending, 'call'],
  acknowledgeRead: [Op.DeliveryAcknowledgeRead, 'call'], flushReadAcks: [Op.DeliveryFlushReadAcks, 'call'],
  syncDeliveryStatus: [Op.DeliverySyncDeliveryStatus, 'promise'], getStatus: [Op.DeliveryGetStatus, 'call'],
  untrack: [Op.DeliveryUntrack, 'call'], detachQueue: [Op.DeliveryDetachQueue, 'call'],
  subscribe: [Op.DeliverySubscribe, 'subscribe'], dispose: [Op.DeliveryDispose, 'dispose'],
});

class Queue extends Service {}
methods(Queue, {
  queueMessage: [Op.QueueQueueMessage, 'call'], getQueuedMessages: [Op.QueueGetQueuedMessages, 'call'],
  getQueueLength: [Op.QueueGetQueueLength, 'call'], removeMessage: [Op.QueueRemoveMessage, 'call'],
  retryMessage: [Op.QueueRetryMessage, 'call'], clearQueue: [Op.QueueClearQueue, 'call'],
  flushQueue: [Op.QueueFlushQueue, 'promise'], isFlushing: [Op.QueueIsFlushing, 'get'],
  getQuarantined: [Op.QueueGetQuarantined, 'call'], clearQuarantine: [Op.QueueClearQuarantine, 'call'],
  subscribe: [Op.QueueSubscribe, 'subscribe'], dispose: [Op.QueueDispose, 'dispose'],
});

class Sync extends Service {}
methods(Sync, {
  syncOnReconnect: [Op.SyncSyncOnReconnect, 'promise'], syncMessages: [Op.SyncSyncMessages, 'promise'],
  recordLocalMessage: [Op.SyncRecordLocalMessage, 'call'], forgetLocalMessage: [Op.SyncForgetLocalMessage, 'call'],
  setPresenceUserIds: [Op.SyncSetPresenceUserIds, 'call'], getLastSyncTime: [Op.SyncGetLastSyncTime, 'call'],
  isSyncing: [Op.SyncIsSyncing, 'get'], subscribe: [Op.SyncSubscribe, 'subscribe'], dispose: [Op.SyncDispose, 'dispose'],
});

/** A new native client. */
export const newClient = (): NativeClient => new Client();
/** A new native presence service on a native client. */
export const newPresence = (client: NativeClient, options: unknown): NativePresence => new Presence(client, 1, options);
/** A new native typing service. */
export const newTyping = (client: NativeClient, options: unknown): NativeTyping => new Typing(client, 2, options);
/** A new native delivery handler (`options.queue` a native queue). */
export const newDelivery = (client: NativeClient, options: unknown): NativeDelivery =>
  new Delivery(client, 3, withQueue(client, options, 'new DeliveryEventHandler()'));
/** A new native offline queue. */
export const newQueue = (client: NativeClient, options: unknown): NativeQueue => new Queue(client, 4, options);
/** A new native sync service (`options.queue` a native queue). */
export const newSync = (client: NativeClient, options: unknown): NativeSync =>
  new Sync(client, 5, withQueue(client, options, 'new SyncService()'));

/** The native objects behind the layer's instances of one class. */
export interface Natives<N> {
  /** Ties a new instance to its native object, or to the function that makes it at first use (no wasm needed before). */
  bind(self: object, native: N | (() => N)): void;
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
function natives<N extends { free(): void }>(cls: string): Natives<N> {
  const map = new WeakMap<object, N | null | (() => N)>();
  const collected = new FinalizationRegistry<N>((native) => native.free());
  const bind = (self: object, native: N | (() => N)): N | undefined => {
    map.set(self, native);
    if (typeof native === 'function') return undefined;
    collected.register(self, native, self);
    return native;
  };
  const find = (value: unknown): N | undefined => {
    const native = typeof value === 'object' && value !== null ? map.get(value) : undefined;
    return typeof native === 'function' ? bind(value as object, native()) : native ?? undefined;
  };
  const of = (self: object): N => {
    const native = find(self);
    if (native) return native;
    throw map.has(self)
      ? new Error(`this ${cls} was freed: free() was called on it`)
      : new TypeError(`a method of ${cls} was called on an object that is not a ${cls}`);
  };
  return {
    bind,
    of,
    find,
    free(self) {
      const lazy = map.get(self);
      if (lazy === null) return;
      if (typeof lazy === 'function') return void map.set(self, null);
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
