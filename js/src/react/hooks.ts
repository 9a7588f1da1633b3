// The hooks: each reads what it shows from the live session's services
// (./store.ts) and hands their methods on. Without a `RealtimeProvider`, and
// when rendering on the server, they show the disconnected state and their
// actions throw an `Error` with `code: 'not_ready'`.
import { useEffect, useMemo } from 'react';
import { realtimeClient } from '../client.js';
import type { DeliveryEventHandler } from '../delivery.js';
import { getRealtimeIntegration, type IntegrationStatus } from '../integration.js';
import type { PresenceService } from '../presence.js';
import type { OfflineQueueService } from '../queue.js';
import type { RoomInfo, RoomJoinOptions, RoomManagerService } from '../room-manager.js';
import type { TypingService } from '../typing.js';
import type {
  ConnectionQuality, ConnectionState, CustomStatus, CustomStatusInput, DeliveryStatus, NewQueuedMessage, PresenceSettings,
  PresenceStatus, QueueFlushResult, QueuedMessage, RealtimeError, TypingPrivacySettings, TypingUser, UserPresence,
} from '../types.js';
import { changed, lastError, services, useStore, type RealtimeServices } from './store.js';

/** `what` of the live session, else an `Error` (`not_ready`): no provider, or the service is not enabled. */
function need<K extends keyof RealtimeServices>(what: K): NonNullable<RealtimeServices[K]> {
  const s = services()?.[what];
  if (!s) {
    throw Object.assign(new Error(`chat-realtime/react: no ${what} service: mount a RealtimeProvider (with it enabled)`), {
      code: 'not_ready',
    });
  }
  return s as NonNullable<RealtimeServices[K]>;
}

/** What `useConnectionStatus` returns. */
export interface ConnectionStatus {
  state: ConnectionState;
  isConnected: boolean;
  isAuthenticated: boolean;
  quality: ConnectionQuality;
  /** ms, over the recent probes; `null` before the first. */
  averageLatency: number | null;
  reconnectAttempts: number;
  /** The browser's last reported online status. */
  isOnline: boolean;
  /** The browser went offline since the client last cleared it. */
  wasOffline: boolean;
  socketId: string | undefined;
  /** The client's last error since it last connected. */
  error: RealtimeError | null;
}

const DISCONNECTED: ConnectionStatus = {
  state: 'disconnected', isConnected: false, isAuthenticated: false, quality: 'unknown', averageLatency: null,
  reconnectAttempts: 0, isOnline: true, wasOffline: false, socketId: undefined, error: null,
};

/** The module client's connection: state, quality, average latency, reconnect attempts, online. */
export function useConnectionStatus(): ConnectionStatus {
  return useStore(() => {
    const c = realtimeClient;
    return {
      state: c.state, isConnected: c.isConnected, isAuthenticated: c.isAuthenticated, quality: c.connectionQuality,
      averageLatency: c.averageLatency, reconnectAttempts: c.reconnectAttempts, isOnline: c.isOnline,
      wasOffline: c.wasOffline, socketId: c.socketId, error: lastError(),
    };
  }, DISCONNECTED, []);
}

/** What `useRealtime` returns: the connection status, nchat's `connectionState`, and the client's methods. */
export interface UseRealtimeReturn extends ConnectionStatus {
  connectionState: ConnectionState;
  /** Connects (with `token`, else the provider's). */
  connect: (token?: string) => Promise<void>;
  disconnect: () => void;
  reconnect: () => Promise<void>;
  on: typeof realtimeClient.on;
  emit: typeof realtimeClient.emit;
  emitAsync: typeof realtimeClient.emitAsync;
}

const clientActions = {
  connect: (token?: string) => getRealtimeIntegration().connect(token),
  disconnect: () => getRealtimeIntegration().disconnect(),
  reconnect: () => getRealtimeIntegration().reconnect(),
  on: realtimeClient.on.bind(realtimeClient) as typeof realtimeClient.on,
  emit: realtimeClient.emit.bind(realtimeClient) as typeof realtimeClient.emit,
  emitAsync: realtimeClient.emitAsync.bind(realtimeClient) as typeof realtimeClient.emitAsync,
};

/** The module client: its connection status and methods (stable functions). */
export function useRealtime(): UseRealtimeReturn {
  const s = useConnectionStatus();
  return useMemo(() => ({ ...s, connectionState: s.state, ...clientActions }), [s]);
}

/** What `useRealtimeIntegration` returns (nchat's): the services are `null` until the provider started them. */
export interface UseRealtimeIntegrationReturn {
  isConnected: boolean;
  isAuthenticated: boolean;
  isOnline: boolean;
  status: IntegrationStatus;
  reconnect: () => Promise<void>;
  disconnect: () => void;
  presence: PresenceService | null;
  typing: TypingService | null;
  delivery: DeliveryEventHandler | null;
  queue: OfflineQueueService | null;
}

const NO_INTEGRATION: Omit<UseRealtimeIntegrationReturn, 'reconnect' | 'disconnect'> = {
  isConnected: false, isAuthenticated: false, isOnline: true,
  status: {
    connected: false, authenticated: false, presenceEnabled: false, typingEnabled: false, deliveryReceiptsEnabled: false,
    offlineQueueEnabled: false, queuedMessageCount: 0, connectionQuality: 'unknown', reconnectAttempts: 0,
  },
  presence: null, typing: null, delivery: null, queue: null,
};

/** The integration's status and its services (nchat's `useRealtimeIntegration`). */
export function useRealtimeIntegration(): UseRealtimeIntegrationReturn {
  const v = useStore((s) => {
    const status = getRealtimeIntegration().getStatus();
    return {
      isConnected: status.connected, isAuthenticated: status.authenticated, isOnline: realtimeClient.isOnline, status,
      presence: s.presence, typing: s.typing, delivery: s.delivery, queue: s.queue,
    };
  }, NO_INTEGRATION, []);
  return useMemo(() => ({ ...v, reconnect: clientActions.reconnect, disconnect: clientActions.disconnect }), [v]);
}

/** What `useRealtimePresence` returns. */
export interface UseRealtimePresenceReturn {
  /** `userId`'s presence as this user may see it (`undefined`: unknown, or no `userId`). */
  presence: UserPresence | undefined;
  /** The current user's status. */
  status: PresenceStatus;
  customStatus: CustomStatus | null;
  /** Idle detection set the status to away. */
  isAutoAway: boolean;
  isInvisible: boolean;
  /** The current user's privacy settings (`null` without a provider). */
  settings: PresenceSettings | null;
  setStatus: (status: PresenceStatus) => void;
  setCustomStatus: (status: CustomStatusInput | null) => void;
  clearCustomStatus: () => void;
  setInvisibleMode: (on: boolean) => Promise<boolean>;
  updatePresenceSettings: (settings: Partial<PresenceSettings>) => Promise<PresenceSettings>;
  subscribeToUsers: (userIds: string[]) => number;
  unsubscribeFromUsers: (userIds: string[]) => number;
}

type PresenceView = Pick<UseRealtimePresenceReturn, 'presence' | 'status' | 'customStatus' | 'isAutoAway' | 'isInvisible' | 'settings'>;

const NO_PRESENCE: PresenceView = {
  presence: undefined, status: 'online', customStatus: null, isAutoAway: false, isInvisible: false, settings: null,
};

/** Calls `f` on the presence service, then re-reads (settings and invisibility have no event of their own). */
const withPresence = <A extends unknown[], R>(f: (p: PresenceService, ...a: A) => R) => (...a: A): R => {
  const r = f(need('presence'), ...a);
  changed();
  if (r instanceof Promise) r.finally(changed).catch(() => {});
  return r;
};

const presenceActions = {
  setStatus: withPresence((p, s: PresenceStatus) => p.setStatus(s)),
  setCustomStatus: withPresence((p, s: CustomStatusInput | null) => p.setCustomStatus(s)),
  clearCustomStatus: withPresence((p) => p.clearCustomStatus()),
  setInvisibleMode: withPresence((p, on: boolean) => p.setInvisibleMode(on)),
  updatePresenceSettings: withPresence((p, s: Partial<PresenceSettings>) => p.updatePresenceSettings(s)),
  subscribeToUsers: withPresence((p, ids: string[]) => p.subscribeToUsers(ids)),
  unsubscribeFromUsers: withPresence((p, ids: string[]) => p.unsubscribeFromUsers(ids)),
};

/** How many mounted hooks watch each user: the last one to go unsubscribes. */
const watching = new Map<string, number>();

/**
 * The current user's presence and its controls, and `userId`'s presence
 * (subscribed while a hook watches it).
 */
export function useRealtimePresence(userId?: string): UseRealtimePresenceReturn {
  const v = useStore((s): PresenceView => {
    const p = s.presence;
    if (!p) return NO_PRESENCE;
    return {
      presence: userId ? p.getPresence(userId) : undefined, status: p.status, customStatus: p.getCustomStatus(),
      isAutoAway: p.isAutoAway, isInvisible: p.isInvisible, settings: p.getPresenceSettings(),
    };
  }, NO_PRESENCE, [userId]);
  const presence = useStore((s) => s.presence, null, []);
  useEffect(() => {
    if (!userId || !presence) return undefined;
    const n = watching.get(userId) ?? 0;
    watching.set(userId, n + 1);
    if (n === 0) presence.subscribeToUsers([userId]);
    return () => {
      const left = (watching.get(userId) ?? 1) - 1;
      if (left > 0) return void watching.set(userId, left);
      watching.delete(userId);
      if (presence.initialized) presence.unsubscribeFromUsers([userId]);
    };
  }, [userId, presence]);
  return useMemo(() => ({ ...v, ...presenceActions }), [v]);
}

/** What `useRealtimeTyping` returns. */
export interface UseRealtimeTypingReturn {
  /** The others typing here (the current user is not among them). */
  typingUsers: TypingUser[];
  /** "Alice is typing…" and so on; `null` when nobody is. */
  typingText: string | null;
  typingCount: number;
  startTyping: () => void;
  stopTyping: () => void;
  /** Give it every change of the input: debounced and throttled by the service. */
  handleInputChange: (value: string) => void;
  /** The message went: typing stops. */
  handleMessageSend: () => void;
  /** The current user's typing privacy (`null` without a provider). */
  privacySettings: TypingPrivacySettings | null;
  updatePrivacySettings: (settings: Partial<TypingPrivacySettings>) => TypingPrivacySettings;
}

type TypingView = Pick<UseRealtimeTypingReturn, 'typingUsers' | 'typingText' | 'typingCount' | 'privacySettings'>;

const NO_TYPING: TypingView = { typingUsers: [], typingText: null, typingCount: 0, privacySettings: null };

/** Privacy settings have no event: re-read after a change. */
const updatePrivacySettings = (settings: Partial<TypingPrivacySettings>): TypingPrivacySettings => {
  const r = need('typing').updatePrivacySettings(settings);
  changed();
  return r;
};

/** Who is typing in `channelId` (its thread `threadId`), and the current user's typing there. */
export function useRealtimeTyping(channelId: string, threadId?: string): UseRealtimeTypingReturn {
  const v = useStore((s): TypingView => {
    if (!s.typing) return NO_TYPING;
    const typingUsers = s.typing.getTypingUsers(channelId, threadId);
    return {
      typingUsers, typingText: s.typing.getTypingText(channelId, threadId), typingCount: typingUsers.length,
      privacySettings: s.typing.privacySettings,
    };
  }, NO_TYPING, [channelId, threadId]);
  const actions = useMemo(() => {
    const stopTyping = (): void => need('typing').stopTyping(channelId, threadId);
    return {
      startTyping: () => need('typing').startTyping(channelId, threadId),
      stopTyping,
      handleInputChange: (value: string) => need('typing').handleInputChange(channelId, value, threadId),
      handleMessageSend: stopTyping,
      updatePrivacySettings,
    };
  }, [channelId, threadId]);
  return useMemo(() => ({ ...v, ...actions }), [v, actions]);
}

/** The delivery status of the tracked message `clientMessageId` (`undefined`: not tracked, or none given). */
export function useDeliveryStatus(clientMessageId: string | null | undefined): DeliveryStatus | undefined {
  return useStore((s) => (clientMessageId && s.delivery ? s.delivery.getStatus(clientMessageId) : undefined), undefined,
    [clientMessageId]);
}

/** What `useOfflineQueue` returns. */
export interface UseOfflineQueueReturn {
  /** The messages waiting, oldest first. */
  messages: QueuedMessage[];
  queueLength: number;
  isFlushing: boolean;
  /** The browser's last reported online status. */
  isOnline: boolean;
  queueMessage: (message: NewQueuedMessage) => QueuedMessage;
  removeMessage: (id: string) => boolean;
  retryMessage: (id: string) => void;
  updateQueuedMessage: (id: string, updates: { content?: string }) => boolean;
  clearQueue: () => number;
  flushQueue: () => Promise<QueueFlushResult>;
}

type QueueView = Pick<UseOfflineQueueReturn, 'messages' | 'queueLength' | 'isFlushing' | 'isOnline'>;

const NO_QUEUE: QueueView = { messages: [], queueLength: 0, isFlushing: false, isOnline: true };

const queueActions = {
  queueMessage: (m: NewQueuedMessage) => need('queue').queueMessage(m),
  removeMessage: (id: string) => need('queue').removeFromQueue(id),
  retryMessage: (id: string) => need('queue').retryMessage(id),
  updateQueuedMessage: (id: string, u: { content?: string }) => need('queue').updateQueuedMessage(id, u),
  clearQueue: () => need('queue').clearQueue(),
  flushQueue: () => need('queue').flushQueue(),
};

/** The offline queue: its messages and controls. */
export function useOfflineQueue(): UseOfflineQueueReturn {
  const v = useStore((s): QueueView => {
    if (!s.queue) return NO_QUEUE;
    const messages = s.queue.getQueuedMessages();
    return { messages, queueLength: messages.length, isFlushing: s.queue.isFlushing, isOnline: realtimeClient.isOnline };
  }, NO_QUEUE, []);
  return useMemo(() => ({ ...v, ...queueActions }), [v]);
}

/** What `useRealtimeRooms` returns. */
export interface UseRealtimeRoomsReturn {
  /** The rooms joined through the room manager (kept and re-joined on reconnect). */
  rooms: RoomInfo[];
  roomNames: string[];
  joinRoom: (roomName: string, options?: RoomJoinOptions) => Promise<RoomInfo>;
  leaveRoom: (roomName: string) => void;
  joinChannel: (channelId: string, options?: RoomJoinOptions) => Promise<RoomInfo>;
  leaveChannel: (channelId: string) => void;
  isInRoom: (roomName: string) => boolean;
}

type RoomsView = Pick<UseRealtimeRoomsReturn, 'rooms' | 'roomNames'>;

const NO_ROOMS: RoomsView = { rooms: [], roomNames: [] };

/** Calls `f` on the room manager, then re-reads (a leave has no event while disconnected). */
const withRooms = <A extends unknown[], R>(f: (r: RoomManagerService, ...a: A) => R) => (...a: A): R => {
  const r = f(need('rooms'), ...a);
  changed();
  return r;
};

const roomActions = {
  joinRoom: withRooms((r, name: string, o?: RoomJoinOptions) => r.joinRoom(name, o)),
  leaveRoom: withRooms((r, name: string) => r.leaveRoom(name)),
  joinChannel: withRooms((r, id: string, o?: RoomJoinOptions) => r.joinChannel(id, o)),
  leaveChannel: withRooms((r, id: string) => r.leaveChannel(id)),
  isInRoom: (name: string) => need('rooms').isInRoom(name),
};

/** The rooms joined, and joining and leaving them. */
export function useRealtimeRooms(): UseRealtimeRoomsReturn {
  const v = useStore((s): RoomsView => {
    const rooms = s.rooms.getJoinedRooms();
    return { rooms, roomNames: rooms.map((r) => r.name) };
  }, NO_ROOMS, []);
  return useMemo(() => ({ ...v, ...roomActions }), [v]);
}
