// `RealtimeIntegrationService` (nchat's `realtime-integration.service.ts`):
// a thin composition over the module client and the services' module
// singletons. It holds no behaviour of its own: connection, heartbeat,
// re-joins and the queue's flush on reconnect are the services' (the wasm's).
import { absent, callback as fn, fields, id, optId, type SchemaOf } from './check.js';
import { OPTIONS as CLIENT, realtimeClient } from './client.js';
import { clients, natives } from './native.js';
import {
  OPTIONS as DELIVERY, type DeliveryEventHandler, getDeliveryEventHandler, initializeDeliveryHandler, resetDeliveryHandler,
} from './delivery.js';
import {
  OPTIONS as PRESENCE, type PresenceService, getPresenceService, initializePresenceService, resetPresenceService,
} from './presence.js';
import {
  OPTIONS as QUEUE, type OfflineQueueService, getOfflineQueueService, initializeOfflineQueue, queueArg, resetOfflineQueue,
} from './queue.js';
import { type EventDispatcherService, getEventDispatcher, initializeEventDispatcher, resetEventDispatcher } from './dispatcher.js';
import { type RoomManagerService, getRoomManager, initializeRoomManager, resetRoomManager } from './room-manager.js';
import { type RoomsService, getRoomsService, initializeRoomsService, resetRoomsService } from './rooms.js';
import {
  OPTIONS as TYPING, type TypingService, getTypingService, initializeTypingService, resetTypingService,
} from './typing.js';
import type {
  ConnectionQuality, DeliveryHandlerConfig, OfflineQueueConfig, PresenceServiceConfig, RealtimeClientOptions,
  TypingServiceConfig,
} from './types.js';

/** `initialize` options (nchat's; the `enable…` and `autoConnect` default to true). */
export interface RealtimeIntegrationConfig {
  /** The current user (else the token's). */
  userId?: string;
  /** The JWT `connect()` uses when given none. */
  token?: string;
  enablePresence?: boolean;
  enableTyping?: boolean;
  enableDeliveryReceipts?: boolean;
  enableOfflineQueue?: boolean;
  debug?: boolean;
  /** Connect at `initialize` when a `token` is given. */
  autoConnect?: boolean;
  /** The server URL (default `http://localhost:3101`). */
  realtimeUrl?: string;
  /** The module client's options (default `maxReconnectAttempts` 10; `realtimeUrl` wins over `url`). */
  clientOptions?: RealtimeClientOptions;
  /** The presence service's options (e.g. `idleTimeoutMs`). */
  presenceOptions?: PresenceServiceConfig;
  /** The typing service's options. */
  typingOptions?: TypingServiceConfig;
  /** The delivery handler's options; its `queue` is the module offline queue when that is enabled. */
  deliveryOptions?: DeliveryHandlerConfig;
  /** The offline queue's options (e.g. a `storageKey` per user; default `maxMessages` 100, `maxRetries` 5). */
  queueOptions?: OfflineQueueConfig;
}

/** What `getStatus` and `onStatusChange` report. */
export interface IntegrationStatus {
  connected: boolean;
  authenticated: boolean;
  presenceEnabled: boolean;
  typingEnabled: boolean;
  deliveryReceiptsEnabled: boolean;
  offlineQueueEnabled: boolean;
  queuedMessageCount: number;
  connectionQuality: ConnectionQuality;
  reconnectAttempts: number;
}

/** `onStatusChange` listener. */
export type StatusChangeListener = (status: IntegrationStatus) => void;

const OPTIONS: SchemaOf<RealtimeIntegrationConfig> = {
  userId: 'id', token: 'id', enablePresence: 'bool', enableTyping: 'bool', enableDeliveryReceipts: 'bool',
  enableOfflineQueue: 'bool', debug: 'bool', autoConnect: 'bool', realtimeUrl: 'str', clientOptions: { fields: CLIENT },
  presenceOptions: { fields: PRESENCE }, typingOptions: { fields: TYPING }, deliveryOptions: { fields: DELIVERY },
  queueOptions: { fields: QUEUE },
};

/** `config` checked as `what` (the services' options too, before any service starts). */
function checked(config: unknown, what: string): RealtimeIntegrationConfig {
  const c = fields<RealtimeIntegrationConfig>(config, what, OPTIONS);
  const q = c.deliveryOptions?.queue;
  if (!absent(q)) queueArg(q, `${what}.deliveryOptions.queue`);
  return c;
}

type Flag = 'enablePresence' | 'enableTyping' | 'enableDeliveryReceipts' | 'enableOfflineQueue';

/** An instance's state (its config, whether initialized, its status listeners, its client unsubscribers). */
interface State {
  c: RealtimeIntegrationConfig;
  on: boolean;
  fns: Set<StatusChangeListener>;
  offs: (() => void)[];
  /** Nothing native to free: a collected instance leaves the module services as they are. */
  free(): void;
}

const states = natives<State>('RealtimeIntegrationService');
const of = (self: RealtimeIntegrationService): State => states.of(self);

/** An `Error` with a `code`. */
const fail = (code: string, message: string): Error => Object.assign(new Error(message), { code });

/** Calls the status listeners of `s`; one that throws is logged, the others run. */
function notify(self: RealtimeIntegrationService, s: State): void {
  const status = self.getStatus();
  for (const f of s.fns) {
    try {
      f(status);
    } catch (e) {
      console.error('[chat-realtime] a RealtimeIntegrationService status listener threw:', e);
    }
  }
}

/** `get()` when `flag` is on, else an `Error` (`not_enabled`). */
function svc<T>(self: RealtimeIntegrationService, flag: Flag, get: () => T): T {
  if (!of(self).c[flag]) throw fail('not_enabled', `${flag} is off`);
  return get();
}

/** Initializes, watches and tears down the realtime services as one. */
export class RealtimeIntegrationService {
  /** An integration service; `initialize` starts it. */
  constructor() {
    states.bind(this, { c: {}, on: false, fns: new Set(), offs: [], free() {} });
  }

  /**
   * Initializes the module client and the enabled services (a second call
   * is ignored, as in nchat); connects when `autoConnect` and `token`.
   */
  initialize(config: RealtimeIntegrationConfig): void {
    const st = of(this);
    const c = checked(config, 'initialize(): config');
    if (st.on) return;
    const cfg = (st.c = {
      enablePresence: true, enableTyping: true, enableDeliveryReceipts: true, enableOfflineQueue: true, debug: false,
      autoConnect: true, ...c,
    });
    const debug = cfg.debug;
    const user = cfg.userId ?? null;
    realtimeClient.initialize({
      debug, maxReconnectAttempts: 10, ...cfg.clientOptions, ...(cfg.realtimeUrl ? { url: cfg.realtimeUrl } : {}),
    });
    initializeEventDispatcher({ debug });
    initializeRoomManager({ debug });
    if (cfg.enablePresence) initializePresenceService({ debug, ...cfg.presenceOptions }).setCurrentUserId(user);
    if (cfg.enableTyping) initializeTypingService({ debug, ...cfg.typingOptions }).setCurrentUserId(user);
    // The delivery handler tracks what the queue sends (pending, then sent).
    const queue = cfg.enableOfflineQueue
      ? initializeOfflineQueue({ debug, maxMessages: 100, maxRetries: 5, ...cfg.queueOptions }) : undefined;
    if (cfg.enableDeliveryReceipts) initializeDeliveryHandler({ debug, queue, ...cfg.deliveryOptions });
    initializeRoomsService({ debug });
    const n = (): void => notify(this, st);
    st.offs = [realtimeClient.onStateChange(n), realtimeClient.onReconnection(n), clients.of(realtimeClient).onOfflineStatusChange(n)];
    st.on = true;
    // A failure reaches the client's onError and the status.
    if (cfg.autoConnect && cfg.token) this.connect().catch(() => {});
    n();
  }

  /** Disconnects, drops the status listeners and resets the services it initialized. */
  destroy(): void {
    const st = of(this);
    if (!st.on) return;
    realtimeClient.disconnect();
    for (const off of st.offs) off();
    st.fns.clear();
    const c = st.c;
    if (c.enablePresence) resetPresenceService();
    if (c.enableTyping) resetTypingService();
    if (c.enableDeliveryReceipts) resetDeliveryHandler();
    if (c.enableOfflineQueue) resetOfflineQueue();
    resetRoomsService();
    resetEventDispatcher();
    resetRoomManager();
    st.on = false;
  }

  /** `destroy()`, then the instance is unusable. */
  free(): void {
    if (states.find(this)) this.destroy();
    states.free(this);
  }

  /** Connects the module client with `token` (else the config's, else the last one). */
  connect(token?: string): Promise<void> {
    const st = of(this);
    const t = optId(token, 'connect(): token');
    if (!st.on) return Promise.reject(fail('not_initialized', 'RealtimeIntegrationService is not initialized'));
    return realtimeClient.connect(t ?? st.c.token);
  }

  /** Disconnects the module client (when initialized). */
  disconnect(): void {
    if (of(this).on) realtimeClient.disconnect();
  }

  /** `realtimeClient.reconnect()`. */
  reconnect(): Promise<void> {
    of(this);
    return realtimeClient.reconnect();
  }

  /** The token for later connects (sent at once when connected). */
  updateToken(token: string): void {
    const st = of(this);
    realtimeClient.updateToken(token);
    st.c.token = token;
  }

  /** The current user of presence and typing. */
  updateUserId(userId: string): void {
    const c = of(this).c;
    const u = (c.userId = id(userId, 'updateUserId(): userId'));
    if (c.enablePresence) getPresenceService().setCurrentUserId(u);
    if (c.enableTyping) getTypingService().setCurrentUserId(u);
  }

  /** The client's and the services' state now. */
  getStatus(): IntegrationStatus {
    const c = of(this).c;
    const r = realtimeClient;
    return {
      connected: r.isConnected, authenticated: r.isAuthenticated, presenceEnabled: !!c.enablePresence,
      typingEnabled: !!c.enableTyping, deliveryReceiptsEnabled: !!c.enableDeliveryReceipts,
      offlineQueueEnabled: !!c.enableOfflineQueue,
      queuedMessageCount: c.enableOfflineQueue ? getOfflineQueueService().getQueueLength() : 0,
      connectionQuality: r.connectionQuality, reconnectAttempts: r.reconnectAttemptCount,
    };
  }

  /**
   * `listener(status)` now and when the connection state or the online
   * status changes, or after a reconnect; returns an unsubscribe function.
   */
  onStatusChange(listener: StatusChangeListener): () => void {
    const fns = of(this).fns;
    const f = fn<StatusChangeListener>(listener, 'onStatusChange(): listener');
    fns.add(f);
    f(this.getStatus());
    return () => {
      fns.delete(f);
    };
  }

  /** The module client is connected. */
  get isConnected(): boolean {
    of(this);
    return realtimeClient.isConnected;
  }

  /** The module client is authenticated (connected). */
  get isAuthenticated(): boolean {
    of(this);
    return realtimeClient.isAuthenticated;
  }

  /** The browser's last reported online status. */
  get isOnline(): boolean {
    of(this);
    return realtimeClient.isOnline;
  }

  /** The browser went offline since `clearWasOffline()`. */
  get wasOffline(): boolean {
    of(this);
    return realtimeClient.wasOffline;
  }

  /** Clears `wasOffline`. */
  clearWasOffline(): void {
    of(this);
    realtimeClient.clearWasOffline();
  }

  /** The module presence service (`enablePresence`). */
  getPresence(): PresenceService {
    return svc(this, 'enablePresence', getPresenceService);
  }

  /** The module typing service (`enableTyping`). */
  getTyping(): TypingService {
    return svc(this, 'enableTyping', getTypingService);
  }

  /** The module delivery handler (`enableDeliveryReceipts`). */
  getDelivery(): DeliveryEventHandler {
    return svc(this, 'enableDeliveryReceipts', getDeliveryEventHandler);
  }

  /** The module offline queue (`enableOfflineQueue`). */
  getOfflineQueue(): OfflineQueueService {
    return svc(this, 'enableOfflineQueue', getOfflineQueueService);
  }

  /** The module rooms service. */
  getRooms(): RoomsService {
    of(this);
    return getRoomsService();
  }

  /** The module event dispatcher. */
  getDispatcher(): EventDispatcherService {
    of(this);
    return getEventDispatcher();
  }

  /** The module room manager. */
  getRoomManager(): RoomManagerService {
    of(this);
    return getRoomManager();
  }

  /** `initialize` ran (and no `destroy` since). */
  get initialized(): boolean {
    return of(this).on;
  }

  /** A copy of the config with its defaults. */
  getConfig(): Readonly<RealtimeIntegrationConfig> {
    return { ...of(this).c };
  }
}

let instance: RealtimeIntegrationService | null = null;

/** The module integration service (made on first call). */
export const getRealtimeIntegration = (): RealtimeIntegrationService => (instance ??= new RealtimeIntegrationService());

/** The module integration service, initialized with `config`. */
export function initializeRealtimeIntegration(config: RealtimeIntegrationConfig): RealtimeIntegrationService {
  const s = getRealtimeIntegration();
  s.initialize(checked(config, 'initializeRealtimeIntegration(): config'));
  return s;
}

/** Destroys and drops the module integration service. */
export function resetRealtimeIntegration(): void {
  instance?.destroy();
  instance = null;
}
