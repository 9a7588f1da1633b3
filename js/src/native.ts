// The one module that touches the wasm: every other module of the layer
// reaches it only through what this one exports.
//
// Today the native side of each class is the wasm-bindgen class of the same
// name (pkg/chat_realtime.js, from src/api/*.rs): a layer instance is tied
// to one native instance and forwards its checked calls to it, with the same
// method names. The `Native*` types are that contract; TypeScript checks the
// layer's types against the glue's declarations where they meet.
//
// When the wasm exports its small command surface instead, this module is
// what changes: it implements the `Native*` types (and the `new*`
// functions) over those commands, and the class modules stay as they are.
import init, {
  initSync,
  DeliveryEventHandler as Delivery,
  OfflineQueueService as Queue,
  PresenceService as Presence,
  RealtimeClient as Client,
  SyncService as Sync,
  TypingService as Typing,
} from './chat_realtime.js';

export { init as default, initSync };
export type { InitInput, InitOutput, SyncInitInput } from './chat_realtime.js';

/** What the layer calls on the native side of a `RealtimeClient`. */
export type NativeClient = Client;
/** …of a `PresenceService`. */
export type NativePresence = Presence;
/** …of a `TypingService`. */
export type NativeTyping = Typing;
/** …of a `DeliveryEventHandler`. */
export type NativeDelivery = Delivery;
/** …of an `OfflineQueueService`. */
export type NativeQueue = Queue;
/** …of a `SyncService`. */
export type NativeSync = Sync;

/** A new native client. */
export const newClient = (): NativeClient => new Client();
/** A new native presence service on a native client. */
export const newPresence = (client: NativeClient, options: ConstructorParameters<typeof Presence>[1]): NativePresence =>
  new Presence(client, options);
/** A new native typing service. */
export const newTyping = (client: NativeClient, options: ConstructorParameters<typeof Typing>[1]): NativeTyping =>
  new Typing(client, options);
/** A new native delivery handler (`options.queue` a native queue). */
export const newDelivery = (client: NativeClient, options: ConstructorParameters<typeof Delivery>[1]): NativeDelivery =>
  new Delivery(client, options);
/** A new native offline queue. */
export const newQueue = (client: NativeClient, options: ConstructorParameters<typeof Queue>[1]): NativeQueue =>
  new Queue(client, options);
/** A new native sync service (`options.queue` a native queue). */
export const newSync = (client: NativeClient, options: ConstructorParameters<typeof Sync>[1]): NativeSync =>
  new Sync(client, options);

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
 * object lives here, so the wasm memory goes with the instance (the glue's
 * FinalizationRegistry frees a native object nobody holds) or at `free()`.
 */
function natives<N extends { free(): void }>(cls: string): Natives<N> {
  const map = new WeakMap<object, N | null>();
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
    bind: (self, native) => void map.set(self, native),
    of,
    find,
    free(self) {
      if (map.get(self) === null) return;
      const native = of(self);
      map.set(self, null);
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
