// The options, events and payloads of the package's classes: the types users
// compile against. Type-only: the layer forwards these values, and
// src/native.ts passes them to the wasm's classes, whose declarations
// (src/api/*.rs) TypeScript checks them against at build time.
import type { OfflineQueueService } from './queue.js';

/** Connection states. */
export type ConnectionState = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'offline';
/** Quality bands: excellent < 100 ms, good 100–300, fair 300–600, poor > 600. */
export type ConnectionQuality = 'excellent' | 'good' | 'fair' | 'poor' | 'unknown';
/** Presence statuses. */
export type PresenceStatus = 'online' | 'away' | 'busy' | 'offline';

/** Options of `RealtimeClient.initialize`. Unknown keys are an error. */
export interface RealtimeClientOptions {
  /** Server URL (http, https, ws or wss). Default `http://localhost:3101`. */
  url?: string;
  /** Socket.IO path. Default `/socket.io`. */
  path?: string;
  /** Namespace. Default `/`. */
  namespace?: string;
  /** Log with a `[chat-realtime]` prefix. */
  debug?: boolean;
  /** Reconnect after a lost link. Default true. */
  reconnection?: boolean;
  /** Give up after this many attempts in a row. Default 10 (nchat's). */
  maxReconnectAttempts?: number;
  /** First reconnect delay. Default 1000. */
  reconnectDelayMs?: number;
  /** Reconnect delay cap. Default 30000. */
  reconnectDelayMaxMs?: number;
  /** Jitter added after the cap, as a fraction. Default 0.1. */
  randomizationFactor?: number;
  /** Seed of the jitter (tests). */
  seed?: number;
  /** Time allowed to connect, up to the ready event. Default 20000. */
  connectTimeoutMs?: number;
  /**
   * The server event after which it handles traffic (the nself realtime
   * server emits `connected` once its handlers are registered; anything sent
   * earlier is lost). Until it arrives nothing is sent and `connect()` waits;
   * if it does not come within `connectTimeoutMs` the attempt is retried and
   * `onError` reports `ready_timeout`. `null` for a plain Socket.IO server:
   * ready at the namespace connect. Default `'connected'`.
   */
  readyEvent?: string | null;
  /** Latency sample period while connected; 0 for on demand only. Default 30000. */
  qualityIntervalMs?: number;
  /** Samples averaged for quality. Default 5. */
  latencyWindow?: number;
  /** Time allowed for a latency or liveness probe. Default 5000. */
  probeTimeoutMs?: number;
  /** Emits kept while disconnected. Default 100. */
  bufferLimit?: number;
  /** Default `emitAsync` timeout. Default 10000. */
  ackTimeoutMs?: number;
  /**
   * The wire tried first: `'socketio'` (Socket.IO over a WebSocket) or `'sse'`
   * (a Server-Sent Events stream with HTTP sends). A WebSocket that fails
   * before its handshake twice in a row gives way to SSE, a stream that cannot
   * be opened twice in a row to HTTP polling; `transport` says which runs and
   * the `transport` event (`client.on('transport', ({transport, reason}) => …)`)
   * when it changes. `connect()` starts over with this one. Default `'socketio'`.
   */
  transport?: 'socketio' | 'sse';
  /** While polling, each joined room is polled every this many ms. Default 3000. */
  pollIntervalMs?: number;
  /**
   * Over SSE, a 401 calls this for a fresh token, then reconnects with it
   * (`updateToken`). Without it, or when it throws, rejects or gives no
   * token, the 401 is an auth refusal as over Socket.IO.
   */
  refreshToken?: () => string | Promise<string>;
  /** nchat's: the JWT `connect()` without one uses (as `updateToken`). */
  token?: string;
  /** nchat's name of `reconnection`. */
  autoReconnect?: boolean;
  /** nchat's name of `reconnectDelayMs`. */
  reconnectDelay?: number;
  /** nchat's name of `reconnectDelayMaxMs`. */
  maxReconnectDelay?: number;
  /** nchat's name of `connectTimeoutMs`. */
  timeout?: number;
  /** nchat's: sent as `auth.device` in the handshake. Default: detected from the browser (`{type: 'web', browser, os}`). */
  device?: DeviceInfo;
  /**
   * nchat's Socket.IO transports, checked (a non-empty list of these). This
   * client connects over WebSocket whatever the list: it has no Engine.IO
   * long-polling, so `'polling'` changes nothing.
   */
  transports?: ('websocket' | 'polling')[];
}

// ---- nchat's names (services/realtime/realtime-client.ts) ---------------------

/** nchat's connection states: this client reports those of `ConnectionState` (connected means authenticated). */
export type RealtimeConnectionState = ConnectionState | 'authenticated' | 'error';
/** The wire that runs (`client.transport`). */
export type Transport = 'socketio' | 'sse' | 'polling';

/** The `transport` event's argument. */
export interface TransportChange {
  /** The wire that runs now. */
  transport: Transport;
  /** Why: `'websocket unavailable'`, `'stream unavailable'`, `'polling unavailable'` or `'connect'`. */
  reason: string;
}

/** nchat's client configuration (what this client accepts of it). */
export type RealtimeClientConfig = RealtimeClientOptions & { url: string };
/** nchat: `onConnectionStateChange` listener. */
export type ConnectionStateListener = (state: RealtimeConnectionState) => void;
/** nchat: `onError` listener. */
export type ErrorListener = (error: RealtimeError) => void;
/** nchat: `onOfflineStatusChange` listener. */
export type OfflineStatusListener = (isOnline: boolean) => void;
/** nchat: `onReconnection` listener. */
export type ReconnectionListener = (attemptNumber: number, wasOffline: boolean) => void;
/** A server's answer to a request, as `emit`'s callback gets it. */
export interface AckResponse<R = unknown> {
  success: boolean;
  data?: R;
  error?: { code: string; message: string };
}
/** nchat: device info sent with the CONNECT auth (this client detects it itself). */
export interface DeviceInfo {
  type: 'web' | 'ios' | 'android' | 'desktop' | 'unknown';
  os?: string;
  browser?: string;
  version?: string;
}
/** nchat: the server's `connected` event. */
export interface ServerHandshake {
  socketId: string;
  serverTime: string;
  protocolVersion: string;
}
/** nchat: the server's `authenticated` event. */
export interface AuthResponse {
  userId: string;
  sessionId: string;
  rooms: string[];
}

/** Errors reported through `onError`. */
export interface RealtimeError {
  /** This client's codes; any string in nchat's type (apps make their own). */
  code: 'auth' | 'protocol' | 'listener' | 'buffer_overflow' | 'transport' | 'reconnect_failed' | 'ready_timeout' | 'rejoin_failed' | (string & {});
  message: string;
  /** nchat: more about the error. */
  details?: Record<string, unknown>;
  /** The event concerned (`ready_timeout`: the awaited ready event). */
  event?: string;
  /** `rejoin_failed`: the room that could not be re-joined (it is dropped on a refusal). */
  room?: string;
  /** `rejoin_failed`: the server's code, e.g. `ROOM_NOT_FOUND` (`TIMEOUT` when unanswered). */
  serverCode?: string;
}

/** How `emitAsync`, `joinChannel` and `leaveChannel` promises reject. */
export interface RealtimeRequestError extends Error {
  /** The event of the request, e.g. `room:join`. */
  event?: string;
  /** Set when the server refused: its code, e.g. `ROOM_NOT_FOUND`. */
  code?: string;
}

/** Why the connection ended. */
export type DisconnectReason = 'io client disconnect' | 'io server disconnect' | 'transport close' | 'ping timeout' | 'connect timeout' | 'offline' | 'auth refused' | 'protocol error';

/** Delivery states; they only move forward (`failed` is retryable). */
export type DeliveryState = 'pending' | 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

/** Options of `new DeliveryEventHandler(client, options)`. Unknown keys are an error. */
export interface DeliveryOptions {
  /** How long read acks are collected before one `message:batch-read-ack` per channel. Default 1000. */
  readBatchMs?: number;
  /** nchat's `batchReadAck`: false sends each read ack at once as `message:read-ack`. Default true. */
  batchReadAck?: boolean;
  /** nchat's: on every reconnect, ask for the statuses of sent messages not yet read (`delivery:sync`). Default true. */
  autoSyncOnReconnect?: boolean;
  /** Timeout of `delivery:sync` requests. Default 10000. */
  requestTimeoutMs?: number;
  /** Above this many tracked messages the oldest `read` ones are forgotten. Default 1000. */
  maxRecords?: number;
  /** Track the messages of this queue (see `attachQueue`). */
  queue?: OfflineQueueService;
  /** Log with a `[chat-realtime]` prefix. Default: the client's `debug`. */
  debug?: boolean;
}

/** Status of a tracked outgoing message. */
export interface DeliveryStatus {
  clientMessageId: string;
  /** Server id, once known. */
  messageId: string | null;
  channelId: string;
  state: DeliveryState;
  totalRecipients: number;
  /** Recipients known to have received it (readers included). */
  deliveredCount: number;
  readCount: number;
  deliveredTo: string[];
  readBy: string[];
  /** Error of the last failure. */
  error: string | null;
  /** Server timestamp of the send ack. */
  sentAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/** Data of every delivery event: the status after the change, plus who and when. */
export interface DeliveryUpdate extends DeliveryStatus {
  /** Recipient behind a receipt; null for acks and status syncs. */
  userId: string | null;
  /** When it happened (server time when known). */
  at: number;
}

/** Data of each delivery event. */
export interface DeliveryEventMap {
  'message:sent': DeliveryUpdate;
  'message:delivered': DeliveryUpdate;
  'message:read': DeliveryUpdate;
  /** `error` says why. */
  'message:failed': DeliveryUpdate;
}
/** Delivery event names. */
export type DeliveryEventName = keyof DeliveryEventMap;
/** `subscribe` callback of `DeliveryEventHandler`: `(event, data)`. */
export type DeliveryListener = (...args: { [K in DeliveryEventName]: [event: K, data: DeliveryEventMap[K]] }[DeliveryEventName]) => void;

/** Message types the chat app sends. */
export type MessageType = 'text' | 'file' | 'image' | 'voice' | 'system';
/** Status of a queued message. */
export type QueuedMessageStatus = 'queued' | 'sending' | 'failed';

/** Options of `new OfflineQueueService(client, options)`. Unknown keys are an error. */
export interface OfflineQueueOptions {
  /** Most messages held (queued + failed); more are refused. Default 100. */
  maxMessages?: number;
  /** Byte budget of all stored entries together (serialized JSON). Default 1048576. */
  maxBytes?: number;
  /** Retries after the first attempt before a message is `failed`. Default 5. */
  maxRetries?: number;
  /** First retry delay, doubling per retry (+0–10 % jitter). Default 1000. */
  retryDelayMs?: number;
  /** Retry delay cap. Default 30000. */
  retryDelayMaxMs?: number;
  /** Time allowed for the server's ack of one send. Default 10000. */
  requestTimeoutMs?: number;
  /** localStorage key prefix of the queue: each message under `<key>:m:<id>`, corrupt entries under `<key>:quarantine`, the lease under `<key>:flush-lock`, the sending tab's record under `<key>:leader`; an old whole-queue document under `<key>` (nchat's service wrote one) is migrated once. Default `nchat:offline-queue` (nchat's); without this option, what earlier builds stored under `chat-realtime:queue` moves there once. */
  storageKey?: string;
  /** Cross-tab flush lock: Web Locks with a localStorage lease fallback (`auto`, default), always the lease, or none (single tab). */
  crossTabLock?: 'auto' | 'lease' | 'none';
  /** Seed of ids and jitter (tests). Default: random per instance. */
  seed?: number;
  /** Log with a `[chat-realtime]` prefix. Default: the client's `debug`. */
  debug?: boolean;
}

/** Input of `queueMessage`. */
export interface NewQueuedMessage {
  channelId: string;
  content: string;
  /** Default `text`. */
  type?: MessageType;
  threadId?: string;
  /** Mentioned user ids. */
  mentions?: string[];
  /** Id the server de-duplicates by; generated when absent. */
  clientMessageId?: string;
  /** Files sent with it (references, not the files); with some, `content` may be empty. */
  attachments?: QueuedAttachment[];
}

/** nchat's reference to a file sent with a queued message: stored with it and sent in `message:send` as it is. */
export interface QueuedAttachment {
  /** Not empty. */
  id: string;
  /** `image`, a MIME type, …; not empty. */
  type: string;
  name: string;
  /** Bytes: a non-negative integer. */
  size: number;
  /** Where the uploaded file is. */
  url?: string;
  /** Where the app keeps the file before its upload. */
  localPath?: string;
}

/** A message in the offline queue. */
export interface QueuedMessage {
  id: string;
  clientMessageId: string;
  channelId: string;
  content: string;
  type: MessageType;
  threadId?: string;
  mentions: string[];
  /** Files sent with it; absent when none. */
  attachments?: QueuedAttachment[];
  /** When it was queued, ms since the epoch (nchat's name; also `createdAt`). */
  timestamp: number;
  /** Failed attempts so far (nchat's name; also `retryCount`). */
  retries: number;
  /** When the last failed attempt ended (nchat's); absent before a failure and after `retryMessage`. */
  lastRetryAt?: number;
  createdAt: number;
  updatedAt: number;
  retryCount: number;
  status: QueuedMessageStatus;
  /** Error of the last failed attempt. */
  lastError?: string;
  /** The server's error code of the last failed attempt (`{success:false, error:{code}}`). */
  lastErrorCode?: string;
  /** In storage, so a reload keeps it. `false` while the storage refuses it (full, disabled): still sent from memory, reported with `queue:error`, stored as soon as possible (`message:persisted`). */
  persisted: boolean;
}

/** Result of `flushQueue()`. */
export interface QueueFlushResult {
  sent: number;
  failed: number;
}

/** Why a `queue:error` was emitted. */
export type QueueErrorReason = 'quota' | 'unavailable' | 'storage' | 'corrupt';

/** A stored entry set aside because it failed its integrity check. */
export interface QuarantinedEntry {
  quarantinedAt: number;
  reason: string;
  /** The original text. */
  raw: string;
  id: string | null;
}

/** Data of each queue event. */
export interface QueueEventMap {
  'message:queued': { message: QueuedMessage };
  /** `messageId` is `null` when the server's ack carries no id (the real server answers `{success:true}`). */
  'message:sent': { message: QueuedMessage; messageId: string | null; timestamp: number | null; duplicate: boolean; flushId: number | null };
  /** `errorCode`: the server's code when it rejected the last attempt. */
  'message:failed': { message: QueuedMessage; error: string; errorCode: string | null };
  /** A message that had `persisted: false` is stored now. */
  'message:persisted': { message: QueuedMessage };
  'queue:flushing': { flushId: number; count: number };
  'queue:flushed': { flushId: number; sent: number; failed: number };
  'queue:cleared': { count: number };
  /** With a `messageId` and reason quota/unavailable/storage: that message is not stored (or not in its latest state); one event per message, each time. */
  'queue:error': { reason: QueueErrorReason; message: string; messageId: string | null };
}
/** Queue event names. */
export type QueueEventName = keyof QueueEventMap;
/** `subscribe` callback of `OfflineQueueService`: `(event, data)`, narrowed by `event`. */
export type QueueListener = (...args: { [K in QueueEventName]: [event: K, data: QueueEventMap[K]] }[QueueEventName]) => void;

/** Options of `new SyncService(client, options)`. Unknown keys are an error. */
export interface SyncServiceOptions {
  /** Flushed first in every reconnect sync. */
  queue?: OfflineQueueService;
  /** Run `syncOnReconnect()` after every reconnect. Default true. */
  autoSyncOnReconnect?: boolean;
  /** Users whose presence is re-subscribed after a reconnect. */
  presenceUserIds?: string[];
  /** localStorage key of the last-sync times (nchat's stored form is read too). Default `nchat:sync-state` (nchat's); without this option, times earlier builds stored under `chat-realtime:sync` are read once. */
  storageKey?: string;
  /** Timeout of each request. Default 30000. */
  requestTimeoutMs?: number;
  /** How long to wait for the queue flush. Default 120000. */
  queueFlushTimeoutMs?: number;
  /** nchat's: most messages asked for per channel (`limit` of `sync:messages`; the server picks which). Default 50. */
  maxMessagesPerChannel?: number;
  /** Log with a `[chat-realtime]` prefix. Default: the client's `debug`. */
  debug?: boolean;
}

/** Step of the reconnect sequence. */
export type SyncStage = 'queue' | 'channels' | 'messages' | 'presence' | 'completed' | 'storage';

/** Result of `syncOnReconnect()`. */
export interface SyncResult {
  messages: { synced: number; conflicts: number; errors: number };
  channels: { synced: number; errors: number };
  presence: { synced: number };
  queueFlushed: { sent: number; failed: number };
  /** When the sync started. */
  timestamp: number;
  /** How long it took, ms. */
  duration: number;
}

/** A channel from `sync:channels`. */
export interface SyncedChannel {
  channelId: string;
  roomName: string;
  /** As the server sent it: member ids or a count. */
  members: string[] | number | null;
  lastMessageAt: number | null;
}

/** A server message from `sync:messages`. */
export interface SyncedMessage {
  id: string;
  clientMessageId: string | null;
  channelId: string;
  roomName: string;
  userId: string | null;
  content: string;
  timestamp: number;
  editedAt: number | null;
  /** `server` for server-initiated edits. */
  editedBy: string | null;
}

/** One side of a conflict. */
export interface SyncConflictSide {
  content: string;
  editedAt: number | null;
  editedBy: string | null;
}

/** A resolved edit conflict. */
export interface SyncConflict {
  messageId: string;
  channelId: string;
  local: SyncConflictSide;
  server: SyncConflictSide;
  resolution: 'server' | 'local';
}

/** Result of `syncMessages(channelId)`. */
export interface SyncMessagesResult {
  /** Server messages to apply (versions that lost a conflict left out). */
  messages: SyncedMessage[];
  conflicts: SyncConflict[];
}

/** A message the app shows, for conflict checks. */
export interface LocalMessage {
  id: string;
  content: string;
  /** When the local edit was made, ms since the epoch. */
  editedAt?: number;
}

/** A user's presence as `presence:subscribe` answers it. */
export interface SyncPresence {
  userId: string;
  status: PresenceStatus;
  customStatus?: { text?: string; emoji?: string; expiresAt?: number | string | null } | null;
  lastSeenAt?: number;
}

/** Data of each sync event. */
export interface SyncEventMap {
  'sync:started': { syncId: number; timestamp: number };
  'sync:progress': { syncId: number; progress: number; stage: SyncStage };
  'sync:channels': { syncId: number; channels: SyncedChannel[] };
  'sync:messages': { syncId: number | null; requestId: number; channelId: string; roomName: string; messages: SyncedMessage[]; conflicts: SyncConflict[] };
  'sync:conflict': { syncId: number | null; messageId: string; channelId: string; local: SyncConflictSide; server: SyncConflictSide; resolution: 'server' | 'local' };
  'sync:presence': { syncId: number; userIds: string[]; data: { presences: SyncPresence[] } };
  'sync:completed': { syncId: number; result: SyncResult };
  /** nchat's: a reconnect sync ended without completing (`cancelSync()`). */
  'sync:failed': { syncId: number; error: 'cancelled' };
  'sync:error': { syncId: number | null; requestId: number | null; stage: SyncStage; channelId: string | null; message: string };
}
/** Sync event names. */
export type SyncEventName = keyof SyncEventMap;
/** `subscribe` callback of `SyncService`: `(event, data)`. */
export type SyncListener = (...args: { [K in SyncEventName]: [event: K, data: SyncEventMap[K]] }[SyncEventName]) => void;

/** The kind of a typing room: `channel:{id}`, `channel:{id}:thread:{threadId}` or `dm:{id}` (nchat's `TypingRoomType`). */
export type TypingRoomType = 'channel' | 'thread' | 'dm';

/** nchat's room kinds (`RoomsService`'s `Room.type`); typing rooms are `TypingRoomType`, three of them. */
export type RoomType = 'channel' | 'dm' | 'group-dm' | 'thread' | 'broadcast';

/** Another user typing in a room. */
export interface TypingUser {
  userId: string;
  /** Display name: the server's, else one given to `setUserNames` or seen before, else the user id (the real server sends none). */
  userName: string;
  userAvatar?: string;
  startedAt: Date;
}

/** The current user's typing privacy. Defaults: true, 'everyone'. */
export interface TypingPrivacySettings {
  /** Send our typing at all. */
  broadcastTyping: boolean;
  /** Whose typing is shown to us. */
  typingVisibility: PresenceVisibility;
}

/** The new list of typing users of one room. */
export interface RoomTypingChange {
  /** The room, e.g. `channel:general:thread:t1`. */
  roomName: string;
  roomType: TypingRoomType;
  /** The channel id (the DM id for DMs). */
  channelId: string;
  threadId?: string;
  /** Users typing now, without the current user; empty when nobody is. */
  users: TypingUser[];
}

/** Typing callback: `channelId` is the channel (or DM) id as given to the service. */
export type TypingChangeCallback = (channelId: string, users: TypingUser[], threadId: string | undefined, change: RoomTypingChange) => void;

/** Options of `new TypingService(client, options)`. Unknown keys are an error. */
export interface TypingServiceOptions {
  /** Typing stops this long after the last keystroke; others' indicators expire this long after their last report. Default 5000. */
  typingTimeoutMs?: number;
  /** Quiet time after an input change before typing starts. Default 300. */
  debounceMs?: number;
  /** Start anyway this long into a burst of keystrokes; 0 waits for a pause. Default 1000. */
  debounceMaxWaitMs?: number;
  /** At most one `typing:start` per room this often. Default 1000. */
  throttleMs?: number;
  /** Changes within this window reach the callbacks as one update. Default 500. */
  batchMs?: number;
  /** While typing, `typing:start` is renewed this often so servers with a shorter expiry keep showing it; 0: only on keystrokes. Default 2000. */
  keepAliveMs?: number;
  /** Initial privacy settings. */
  privacySettings?: Partial<TypingPrivacySettings>;
  /** Log with a `[chat-realtime]` prefix, also dropped malformed events. Default: the client's `debug`. */
  debug?: boolean;
  /** The current user (never shown as typing); default: the `userId` of the server's `authenticated` event. */
  userId?: string;
  /** nchat's: false ignores `privacySettings` (typing goes out, everyone else typing is shown). Default true. */
  enablePrivacyFiltering?: boolean;
}

/** Who may see a user's presence (or typing): anyone, contacts only, or no one. */
export type PresenceVisibility = 'everyone' | 'contacts' | 'nobody';

/** A custom status such as `📅 In a meeting`; it clears itself at `expiresAt`. The real server sends the text and the emoji (`customEmoji`), no expiry. */
export interface CustomStatus {
  text?: string;
  emoji?: string;
  /** When it clears itself. */
  expiresAt?: Date;
}

/** What `setCustomStatus` and `RealtimeClient.updatePresence` take: at least a text or an emoji; `expiresAt` in the future. It goes to the server as an ISO-8601 string. */
export interface CustomStatusInput {
  text?: string;
  emoji?: string;
  /** ms since the epoch, an ISO-8601 string, or a Date; `null`: none. */
  expiresAt?: number | string | Date | null;
}

/** A user's presence as the current user may see it (privacy rules applied). */
export interface UserPresence {
  userId: string;
  /** `offline` when the user hides their online status from you. */
  status: PresenceStatus;
  /** Omitted when unset or hidden from you. */
  customStatus?: CustomStatus;
  /** Omitted when unknown or hidden from you. */
  lastSeenAt?: Date;
  /** nchat's: never set here (the real server sends no device). */
  device?: string;
  /** nchat's: set by `getVisiblePresence`. */
  isFiltered?: boolean;
}

/** nchat: a presence with the privacy verdicts of one viewer (`getVisiblePresence`). */
export interface FilteredUserPresence extends UserPresence {
  canViewOnlineStatus: boolean;
  canViewLastSeen: boolean;
  isContact: boolean;
}

/** A user's presence privacy settings. Defaults: everyone, true, true, true, false. */
export interface PresenceSettings {
  visibility: PresenceVisibility;
  showOnlineStatus: boolean;
  showLastSeen: boolean;
  allowReadReceipts: boolean;
  invisibleMode: boolean;
  /** nchat's: whose settings (set by `getPresenceSettings(userId)`). */
  userId?: string;
}

/** What `viewerId` may see of `targetId`'s presence (`canViewPresence`). */
export interface PresenceVisibilityResult {
  canViewPresence: boolean;
  canViewOnlineStatus: boolean;
  canViewLastSeen: boolean;
  isContact: boolean;
  isInvisible: boolean;
}

/** How activity reaches the app's other tabs. */
export type ActivityRelay = 'broadcast-channel' | 'storage' | 'none';

/** Options of `new PresenceService(client, options)`. Unknown keys are an error. */
export interface PresenceServiceOptions {
  /** Auto-away after this long without activity; 0 disables. Default 300000 (5 min). */
  idleTimeoutMs?: number;
  /** Auto-away this long after the tab was hidden. Default 60000. */
  hiddenAwayDelayMs?: number;
  /** Re-send the status this often while connected; 0 disables. Default 30000. */
  heartbeatIntervalMs?: number;
  /** Activity closer than this to the last handled one is only recorded (and not relayed to other tabs). Default 1000. */
  activityThrottleMs?: number;
  /** Log with a `[chat-realtime]` prefix, also dropped malformed events. Default: the client's `debug`. */
  debug?: boolean;
  /** The current user; default: the client's `userId`. */
  userId?: string;
  /** Listen to mouse, keyboard, wheel, scroll, touch and pointer events in this page. Default true. Other tabs' activity and visibility are heard either way. */
  detectActivity?: boolean;
}

/** `onPresenceChange` callback. */
export type PresenceChangeCallback = (presence: UserPresence) => void;
/** `onStatusChange` callback: the current user's status; `auto` while idle or hidden-tab away. */
export type StatusChangeCallback = (status: PresenceStatus, auto: boolean) => void;
/** `onCustomStatusChange` callback: the current user's custom status, `null` when cleared or expired. */
export type CustomStatusChangeCallback = (customStatus: CustomStatus | null) => void;

/** nchat's presence configuration (what this package accepts of it): its keys or this package's. */
export interface PresenceServiceConfig extends PresenceServiceOptions {
  /** nchat's: `false` gives every presence unfiltered in `getVisiblePresence`. Default true. */
  enablePrivacyFiltering?: boolean;
  /** nchat's GraphQL source of settings and contacts: accepted, unused (the app gives them: `setUserSettings`, `setContacts`). */
  graphqlEndpoint?: string;
  /** As `graphqlEndpoint`: accepted, unused. */
  getAuthToken?: () => string | null;
  /** `false`: no auto-away (`idleTimeoutMs: 0`). Default true. */
  enableIdleDetection?: boolean;
  /** nchat's name of `idleTimeoutMs`. */
  idleTimeout?: number;
  /** nchat's name of `heartbeatIntervalMs`. */
  heartbeatInterval?: number;
}

/** nchat's typing configuration (what this package accepts of it). */
export interface TypingServiceConfig extends TypingServiceOptions {
  /** nchat's name of `typingTimeoutMs`. */
  typingTimeout?: number;
  /** nchat's name of `debounceMs`. */
  debounceInterval?: number;
  /** nchat's name of `throttleMs`. */
  throttleInterval?: number;
  /** nchat's name of `batchMs`. */
  batchUpdateInterval?: number;
}
/** nchat's `currentContext`: where the current user types (`roomName` the id as given). */
export interface TypingContext {
  roomName: string;
  roomType: TypingRoomType;
  threadId?: string;
  /** nchat's, for DMs; never set here (the DM id names the room). */
  recipientId?: string;
}
/** nchat's type (its service returns none either; `TypingUser`s shown are already filtered). */
export interface TypingUserWithPrivacy extends TypingUser {
  isAllowed: boolean;
  broadcastEnabled: boolean;
}
/** nchat: `onTypingChange` listener. */
export type TypingChangeListener = TypingChangeCallback;

/** nchat's queue configuration (what this package accepts of it). */
export interface OfflineQueueConfig extends OfflineQueueOptions {
  /** nchat's name of `maxMessages`. */
  maxQueueSize?: number;
  /** nchat's name of `retryDelayMs`. */
  baseRetryDelay?: number;
  /** nchat's name of `retryDelayMaxMs`. */
  maxRetryDelay?: number;
}
/** nchat's name of `MessageType`. */
export type QueuedMessageType = MessageType;
/** nchat's name of `QueueEventName`. */
export type QueueEventType = QueueEventName;
/** nchat's name of `QueueListener`. */
export type QueueEventListener = QueueListener;

/** nchat's sync configuration (what this package accepts of it). */
export interface SyncServiceConfig extends SyncServiceOptions {
  /** nchat's name of `requestTimeoutMs`. */
  syncTimeout?: number;
}

/** nchat's delivery configuration (what this package accepts of it). */
export interface DeliveryHandlerConfig extends DeliveryOptions {
  /** nchat's name of `readBatchMs`. */
  batchReadInterval?: number;
}
/** nchat's `message:batch-read` (server → client): `userId` read `messageIds` in `channelId`. */
export interface BatchReadPayload {
  channelId: string;
  userId: string;
  messageIds: string[];
  /** ISO 8601. */
  readAt: string;
}
/** nchat's `delivery:sync` request (client → server). */
export interface DeliverySyncRequest {
  messageIds: string[];
  since?: string;
}
/** nchat's `delivery:sync-response` (server → client; also read from the request's ack). */
export interface DeliverySyncResponse {
  statuses: Array<{
    messageId: string;
    state: 'sent' | 'delivered' | 'read' | 'failed';
    deliveredCount?: number;
    readCount?: number;
    totalRecipients?: number;
    updatedAt: string;
  }>;
}
/** nchat's name of `DeliveryListener`. */
export type DeliveryEventListener = DeliveryListener;
/** nchat's name of the input of `updatePresenceSettings`. */
export interface PresenceSettingsInput {
  visibility?: PresenceVisibility;
  showOnlineStatus?: boolean;
  showLastSeen?: boolean;
  allowReadReceipts?: boolean;
  invisibleMode?: boolean;
}
/** nchat's presence subscription options. */
export interface PresenceSubscriptionOptions {
  userIds: string[];
  onPresenceChange?: (presence: UserPresence) => void;
  onBulkPresence?: (presences: UserPresence[]) => void;
}
/** nchat's name of `SyncEventName`. */
export type SyncEventType = SyncEventName;
/** nchat's message shape for `reconcileConflicts`. */
export interface SyncMessage {
  id: string;
  channelId: string;
  content: string;
  userId: string;
  createdAt: string;
  updatedAt?: string;
  type: string;
  threadId?: string;
  isDeleted?: boolean;
  isEdited?: boolean;
}
/** nchat's channel shape of a sync. */
export interface SyncChannel {
  id: string;
  name: string;
  type: string;
  lastMessageAt?: string;
  memberCount: number;
  unreadCount?: number;
}
/** What `reconcileConflicts` decided. */
export interface ConflictResolution {
  messageId: string;
  resolution: 'server' | 'local' | 'merged';
  finalContent: string;
  timestamp: number;
}
/** nchat's sync statuses. */
export type SyncStatus = 'idle' | 'syncing' | 'completed' | 'failed';
/** nchat's name of `DeliveryEventName`. */
export type DeliveryEventType = DeliveryEventName;
