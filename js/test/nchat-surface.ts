// nchat's public surface (nself-org/chat, frontend/src/services/realtime/), used the way nchat's
// services and hooks use it, compiled with `tsc --strict --noEmit` against the built package
// (`make surface-test`). A member that is missing, or whose signature or return type differs from
// nchat's, fails to compile. Each known gap is one line after a `@ts-expect-error` saying why (the
// same as docs/nchat-surface.md): once it is implemented the marker is unused, which fails too, so
// the marker goes and the line becomes a check.
import {
  realtimeClient, DeliveryEventHandler, OfflineQueueService, PresenceService, SyncService, TypingService,
  getDeliveryEventHandler, getOfflineQueueService, getPresenceService, getSyncService, getTypingService,
  initializeDeliveryHandler, initializeOfflineQueue, initializePresenceService, initializeSyncService,
  initializeTypingService, resetDeliveryHandler, resetOfflineQueue, resetPresenceService, resetSyncService,
  resetTypingService,
} from '../../pkg/index.js';
import type {
  AuthResponse, ConnectionQuality, ConnectionStateListener, CustomStatus, FilteredUserPresence, DeliveryEventListener, DeliveryHandlerConfig,
  DeviceInfo, ErrorListener, OfflineQueueConfig, OfflineStatusListener, PresenceServiceConfig, PresenceSettings,
  PresenceSettingsInput, PresenceStatus, PresenceVisibility, PresenceVisibilityResult, QueueEventListener,
  QueueEventType, QueuedMessage, QueuedMessageType, RealtimeClientConfig, RealtimeConnectionState, RealtimeError,
  ReconnectionListener, RoomType, ServerHandshake, SyncEventType, SyncResult, SyncServiceConfig, SyncStatus,
  TypingChangeListener, TypingPrivacySettings, TypingRoomType, TypingServiceConfig, TypingUser, UserPresence,
} from '../../pkg/index.js';
import {
  RoomsService, getRoomsService, initializeRoomsService, resetRoomsService, RoomManagerService,
  REALTIME_EVENTS, getChannelRoom, getThreadRoom, getUserRoom, parseRoomName,
} from '../../pkg/index.js';
import type { RoomInfo, RoomJoinOptions, RoomManagerConfig, RealtimeRoomType } from '../../pkg/index.js';
import {
  RealtimeIntegrationService, getRealtimeIntegration, initializeRealtimeIntegration, resetRealtimeIntegration,
} from '../../pkg/index.js';
import { getRoomManager, initializeRoomManager, resetRoomManager } from '../../pkg/index.js';
import {
  ConflictResolutionService, getConflictResolutionService, initializeConflictResolution, resetConflictResolution,
} from '../../pkg/index.js';
import type {
  ConflictType, ResolutionStrategy, ConflictSeverity, ConflictEntity, ConflictDetectionResult, ConflictResolutionResult,
  ConflictHistoryEntry, ConflictEventType, ConflictEventListener, ConflictResolutionConfig,
} from '../../pkg/index.js';
import type {
  Room, RoomMember, RoomVisibility, MessageEvent, RoomsServiceConfig, SyncMessage, SyncChannel, ConflictResolution,
} from '../../pkg/index.js';
import type {
  IntegrationStatus, RealtimeIntegrationConfig, StatusChangeListener,
} from '../../pkg/index.js';
import type {
  RoomJoinListener, RoomLeaveListener, MessageListener, RoomStateListener,
} from '../../pkg/index.js';
import type {
  PresenceSubscriptionOptions,
} from '../../pkg/index.js';
import {
  DEFAULT_PRESENCE_SETTINGS,
} from '../../pkg/index.js';
import type { TypingContext, TypingUserWithPrivacy } from '../../pkg/index.js';
import type { QueuedAttachment } from '../../pkg/index.js';
import type { BatchReadPayload, DeliverySyncRequest, DeliverySyncResponse } from '../../pkg/index.js';

import {
  EventDispatcherService, getEventDispatcher, initializeEventDispatcher, resetEventDispatcher,
} from '../../pkg/index.js';
import type {
  EventDispatcherConfig, DispatchMessageData, DispatchReactionData, DispatchChannelUpdateData, DispatchMemberJoinData,
  DispatchMemberLeaveData, EventDispatchListener, EventUser, EventMetadata,
} from '../../pkg/index.js';

/** A value of type `T` to use as an argument (never called at run time: this file is only compiled). */
declare function a<T>(): T;
/** Consumes a value. */
declare function use(...values: unknown[]): void;

// ---- realtime-client.ts ---------------------------------------------------------------------------

{
  const c = realtimeClient;
  const config: RealtimeClientConfig = {
    url: 'http://localhost:3101', autoReconnect: true, maxReconnectAttempts: 10, reconnectDelay: 1000,
    maxReconnectDelay: 30000, timeout: 20000, debug: false,
  };
  c.initialize(config);
  c.initialize();
  c.initialize({ debug: true, ...a<Partial<RealtimeClientConfig>>() });
  c.initialize({ token: 'jwt' });
  c.initialize({ device: a<DeviceInfo>() });
  c.initialize({ transports: ['websocket', 'polling'] });
  const connected: Promise<void> = c.connect('jwt');
  const again: Promise<void> = c.connect();
  const reconnected: Promise<void> = c.reconnect();
  c.disconnect();
  c.updateToken('jwt');
  const off1: () => void = c.on<{ id: string }>('message:new', (data) => use(data.id));
  const off2: () => void = c.on('message:new', (data) => use(data));
  c.off<{ id: string }>('message:new', (data) => use(data.id));
  c.once<{ id: string }>('message:new', (data) => use(data.id));
  c.emit('typing:start');
  c.emit<{ roomName: string }>('room:join', { roomName: 'channel:general' });
  c.emit<{ roomName: string }, { id: string }>('room:join', { roomName: 'channel:general' }, (response) => {
    const ok: boolean = response.success;
    const data: { id: string } | undefined = response.data;
    const code: string | undefined = response.error?.code;
    const message: string | undefined = response.error?.message;
    use(ok, data, code, message);
  });
  const acked: Promise<{ id: string }> = c.emitAsync<{ content: string }, { id: string }>('message:send', { content: 'x' });
  const acked2: Promise<unknown> = c.emitAsync('ping', undefined, 5000);
  const offState: () => void = c.onConnectionStateChange((state: RealtimeConnectionState) => use(state === 'authenticated'));
  const offError: () => void = c.onError((error: RealtimeError) => use(error.code, error.message, error.details));
  const offOnline: () => void = c.onOfflineStatusChange((isOnline: boolean) => use(isOnline));
  const offReconnect: () => void = c.onReconnection((attemptNumber: number, wasOffline: boolean) => use(attemptNumber, wasOffline));
  const isOnline: boolean = c.isOnline;
  const wasOffline: boolean = c.wasOffline;
  c.clearWasOffline();
  const quality: ConnectionQuality = c.connectionQuality;
  const latency: number | null = c.averageLatency;
  const isConnected: boolean = c.isConnected;
  const isAuthenticated: boolean = c.isAuthenticated;
  const state: RealtimeConnectionState = c.state;
  const socketId: string | undefined = c.socketId;
  const auth: AuthResponse | null = c.auth;
  const attempts: number = c.reconnectAttemptCount;
  c.destroy();
  const error: RealtimeError = { code: 'CONNECTION_FAILED', message: 'Failed to connect' };
  const listeners: [ConnectionStateListener, ErrorListener, OfflineStatusListener, ReconnectionListener] = [
    (s) => use(s), (e) => use(e.code), (o) => use(o), (n, w) => use(n, w),
  ];
  const handshake: ServerHandshake = { socketId: 's', serverTime: 't', protocolVersion: '1' };
  const device: DeviceInfo = { type: 'web', os: 'Linux', browser: 'Firefox' };
  const states: RealtimeConnectionState[] = ['disconnected', 'connecting', 'connected', 'authenticated', 'reconnecting', 'error', 'offline'];
  use(connected, again, reconnected, off1, off2, acked, acked2, offState, offError, offOnline, offReconnect, isOnline, wasOffline,
    quality, latency, isConnected, isAuthenticated, state, socketId, auth, attempts, error, listeners, handshake, device, states);
}

// ---- presence.service.ts --------------------------------------------------------------------------

{
  const config: PresenceServiceConfig = { enableIdleDetection: true, idleTimeout: 300_000, heartbeatInterval: 30_000, debug: false };
  const p: PresenceService = getPresenceService(config);
  const p2: PresenceService = initializePresenceService({ debug: true });
  resetPresenceService();
  const p3 = new PresenceService();
  const p4 = new PresenceService(config);
  getPresenceService({ enablePrivacyFiltering: true, graphqlEndpoint: '/api/graphql', getAuthToken: () => null });
  p.setCurrentUserId('u1');
  p.setCurrentUserId(null);
  p.initialize();
  p.destroy();
  p.setStatus('busy');
  p.setCustomStatus({ text: 'In a meeting', emoji: '📅', expiresAt: new Date() });
  p.setCustomStatus({ text: 'Lunch', expiresAt: null });
  p.setCustomStatus(null);
  p.clearCustomStatus();
  const status: PresenceStatus = p.getStatus();
  const custom: CustomStatus | null = p.getCustomStatus();
  p.subscribeToUsers(['u2']);
  p.unsubscribeFromUsers(['u2']);
  const presence: UserPresence | undefined = p.getPresence('u2');
  const fetched: Promise<Map<string, UserPresence>> = p.fetchPresence(['u2']);
  const offPresence: () => void = p.onPresenceChange((changed: UserPresence) => use(changed.userId, changed.status, changed.lastSeenAt));
  p.startHeartbeat();
  p.stopHeartbeat();
  const initialized: boolean = p.initialized;
  const all: Map<string, UserPresence> = p.getAllPresences();
  const subscribed: string[] = p.getSubscribedUserIds();
  const settingsOf: Promise<PresenceSettings | null> = p.getPresenceSettings('u2');
  const updated: Promise<PresenceSettings | null> = p.updatePresenceSettings('u1', { invisibleMode: true } as PresenceSettingsInput);
  const view: Promise<PresenceVisibilityResult> = p.canViewPresence('u1', 'u2');
  const visible: Promise<Map<string, FilteredUserPresence>> = p.getVisiblePresence('u1', ['u2']);
  visible.then((m) => use(m.get('u2')?.canViewLastSeen, m.get('u2')?.isFiltered));
  const invisible: Promise<boolean> = p.setInvisibleMode(true);
  const isInvisible: boolean = p.isInvisibleModeEnabled();
  const own: PresenceSettings | null = p.getOwnPresenceSettings();
  const refreshed: Promise<void> = p.refreshContacts();
  const isContact: boolean = p.isUserContact('u2');
  const contacts: string[] = p.getCachedContacts();
  p.clearPresenceSettingsCache();
  p.clearContactsCache();
  p.clearPrivacyCaches();
  use(presence?.device);
  use(presence?.isFiltered);
  const visibility: PresenceVisibility = 'contacts';
  use(p2, p3, p4, status, custom, fetched, offPresence, initialized, all, subscribed, settingsOf, updated, view, visible,
    invisible, isInvisible, own, refreshed, isContact, contacts, visibility);
}

// ---- typing.service.ts ----------------------------------------------------------------------------

{
  const privacy: TypingPrivacySettings = { broadcastTyping: true, typingVisibility: 'everyone' };
  const config: TypingServiceConfig = {
    typingTimeout: 5000, debounceInterval: 300, throttleInterval: 1000, batchUpdateInterval: 500, debug: false,
    privacySettings: privacy,
  };
  const t: TypingService = getTypingService(config);
  const t2: TypingService = initializeTypingService({ debug: true });
  resetTypingService();
  const t3 = new TypingService();
  getTypingService({ enablePrivacyFiltering: false });
  t.setCurrentUserId('u1');
  t.setCurrentUserId(null);
  t.updatePrivacySettings({ broadcastTyping: false });
  t.setContacts(['u2']);
  t.addContact('u3');
  t.removeContact('u3');
  const isContact: boolean = t.isContact('u2');
  t.initialize();
  t.destroy();
  t.startTyping('general');
  t.startTyping('general', 't1');
  t.startTypingInDM('d1');
  t.startTypingInDM('d1', 'u2');
  t.startTypingInThread('general', 't1');
  t.stopTyping();
  t.stopTyping('general', 't1');
  t.stopTypingInDM();
  t.stopTypingInDM('d1');
  t.handleInputChange('general', 'hi');
  t.handleInputChange('general', 'hi', 't1');
  t.handleDMInputChange('d1', 'hi', 'u2');
  const users: TypingUser[] = t.getTypingUsers('general', 't1');
  const dmUsers: TypingUser[] = t.getTypingUsersInDM('d1');
  const roomUsers: TypingUser[] = t.getTypingUsersInRoom('general', 'thread', 't1');
  const text: string | null = t.getTypingText('general');
  const dmText: string | null = t.getTypingTextInDM('d1');
  const has: boolean = t.hasTypingUsers('general', 't1');
  const hasDm: boolean = t.hasTypingUsersInDM('d1');
  const listener: TypingChangeListener = (roomName: string, changed: TypingUser[], threadId?: string) => use(roomName, changed, threadId);
  const offTyping: () => void = t.onTypingChange(listener);
  const offRoom: () => void = t.onRoomTypingChange('general', 'channel', listener, undefined);
  const dmKey: string = TypingService.getDMRoomKey('u2', 'u1');
  const initialized: boolean = t.initialized;
  const isTyping: boolean = t.isTyping;
  const context: TypingContext | null = t.currentContext;
  use(context?.roomName, context?.roomType, context?.threadId, context?.recipientId);
  const withPrivacy: TypingUserWithPrivacy = { ...a<TypingUser>(), isAllowed: true, broadcastEnabled: true };
  const settings: TypingPrivacySettings = t.privacySettings;
  const rooms: string[] = t.getActiveTypingRooms();
  t.clearRoomTypingState('general', 'channel');
  t.clearAllTypingState();
  const roomType: TypingRoomType = 'dm';
  const user = users[0];
  use(user.userId, user.userName, user.userAvatar, user.startedAt.getTime());
  use(t2, t3, isContact, dmUsers, roomUsers, text, dmText, has, hasDm, offTyping, offRoom, dmKey, initialized, isTyping,
    context, settings, rooms, roomType, withPrivacy);
}

// ---- rooms.service.ts -----------------------------------------------------------------------------

{
  const roomType: RoomType = 'group-dm';
  const roomTypes: RoomType[] = ['channel', 'dm', 'group-dm', 'thread', 'broadcast'];
  use(roomTypes);
  use(roomType, RoomsService, getRoomsService, initializeRoomsService, resetRoomsService);
}

// ---- offline-queue.ts -----------------------------------------------------------------------------

{
  const config: OfflineQueueConfig = { maxQueueSize: 100, maxRetries: 5, baseRetryDelay: 1000, maxRetryDelay: 30000, debug: false, storageKey: 'nchat:offline-queue' };
  const q: OfflineQueueService = getOfflineQueueService(config);
  const q2: OfflineQueueService = initializeOfflineQueue({ debug: true });
  resetOfflineQueue();
  const q3 = new OfflineQueueService();
  q.initialize();
  q.destroy();
  const type: QueuedMessageType = 'text';
  const queued: QueuedMessage = q.queueMessage({ channelId: 'general', content: 'hi', type, threadId: 't1', mentions: ['u2'], clientMessageId: 'c1' });
  const attachment: QueuedAttachment = { id: 'a1', type: 'image', name: 'a.png', size: 10, url: 'https://x/a.png', localPath: '/a.png' };
  const withFiles: QueuedAttachment[] | undefined = q.queueMessage({ channelId: 'general', content: 'hi', type: 'file', attachments: [attachment] }).attachments;
  use(withFiles);
  use(queued.id, queued.channelId, queued.content, queued.type, queued.threadId, queued.mentions, queued.clientMessageId, queued.lastError);
  const timestamp: number = queued.timestamp;
  const retries: number = queued.retries;
  const lastRetryAt: number | undefined = queued.lastRetryAt;
  use(timestamp, retries, lastRetryAt);
  const all: QueuedMessage[] = q.getQueuedMessages();
  const ofChannel: QueuedMessage[] = q.getQueuedMessagesForChannel('general');
  const one: QueuedMessage | undefined = q.getQueuedMessage('q1');
  const removed: boolean = q.removeFromQueue('q1');
  const changed: boolean = q.updateQueuedMessage('q1', { content: 'edited' });
  const length: number = q.getQueueLength();
  const empty: boolean = q.isEmpty();
  q.clearQueue();
  const flushed: Promise<{ sent: number; failed: number }> = q.flushQueue();
  const offQueue: () => void = q.subscribe((event: QueueEventType) => use(event === 'queue:flushed'));
  q.subscribe(a<(event: QueueEventType, data?: { message?: QueuedMessage; error?: string; count?: number }) => void>());
  const listener: QueueEventListener = (event, data) => use(event, data);
  const initialized: boolean = q.initialized;
  const flushing: boolean = q.flushing;
  use(q2, q3, all, ofChannel, one, removed, changed, length, empty, flushed, offQueue, listener, initialized, flushing);
}

// ---- sync.service.ts ------------------------------------------------------------------------------

{
  const config: SyncServiceConfig = { autoSyncOnReconnect: true, syncTimeout: 30000, debug: false, storageKey: 'nchat:sync-state' };
  const s: SyncService = getSyncService(config);
  const s2: SyncService = initializeSyncService({ debug: true });
  resetSyncService();
  const s3 = new SyncService();
  getSyncService({ maxMessagesPerChannel: 50 });
  s.initialize();
  s.destroy();
  const result: Promise<SyncResult> = s.syncOnReconnect();
  const last: number | null = s.getLastSyncTimestamp();
  const channelLast: number | null = s.getChannelSyncTimestamp('general');
  const messages = s.syncMessages('general');
  s.syncMessages('general', 0);
  const channels: Promise<{ synced: number; errors: number }> = s.syncChannels();
  const presence: Promise<{ synced: number }> = s.syncPresence();
  const resolution = s.reconcileConflicts(a<SyncMessage>(), a<SyncMessage>());
  const off: () => void = s.subscribe((event: SyncEventType, data) => use(event, data));
  const failed: SyncEventType = 'sync:failed';
  const initialized: boolean = s.initialized;
  const status: SyncStatus = s.syncStatus;
  const syncing: boolean = s.isSyncing;
  s.cancelSync();
  const statuses: SyncStatus[] = ['idle', 'syncing', 'completed', 'failed'];
  use(s2, s3, result, last, channelLast, messages, channels, presence, resolution, off, failed, initialized, status, syncing, statuses);
}

// ---- delivery.ts ----------------------------------------------------------------------------------

{
  const config: DeliveryHandlerConfig = { debug: false, batchReadInterval: 1000 };
  const d: DeliveryEventHandler = getDeliveryEventHandler(config);
  const d2: DeliveryEventHandler = initializeDeliveryHandler({ debug: true });
  resetDeliveryHandler();
  const d3 = new DeliveryEventHandler();
  getDeliveryEventHandler({ autoSyncOnReconnect: true, batchReadAck: true });
  d.initialize();
  d.destroy();
  const ready: boolean = d.isReady();
  const listener: DeliveryEventListener = (event, data) => use(event, data);
  const off: () => void = d.subscribe(listener);
  d.trackOutgoingMessage('c1', 'general');
  d.trackOutgoingMessage('c2', 'general', 3);
  d.acknowledgeRead('m1', 'general');
  const synced: Promise<unknown> = d.syncDeliveryStatus(['m1']);
  const batchRead: BatchReadPayload = { channelId: 'general', userId: 'u2', messageIds: ['m1'], readAt: '2026-01-01T00:00:00.000Z' };
  const syncRequest: DeliverySyncRequest = { messageIds: ['m1'], since: '2026-01-01T00:00:00.000Z' };
  const syncResponse: DeliverySyncResponse = {
    statuses: [{ messageId: 'm1', state: 'read', deliveredCount: 1, readCount: 1, totalRecipients: 1, updatedAt: '2026-01-01T00:00:00.000Z' }],
  };
  use(d2, d3, ready, off, synced, batchRead, syncRequest, syncResponse);
}

// ---- conflict-resolution.service.ts ----------------------------------------------------------------

{
  const config: ConflictResolutionConfig = {
    defaultStrategy: 'last-write-wins', enableHistory: true, maxHistorySize: 100, autoResolveLowSeverity: true,
    debug: false, storageKey: 'nchat:conflict-history',
  };
  const cr: ConflictResolutionService = new ConflictResolutionService(config);
  const cr2: ConflictResolutionService = getConflictResolutionService(config);
  const cr3: ConflictResolutionService = initializeConflictResolution();
  resetConflictResolution();
  cr.initialize();
  const type: ConflictType = 'message:edit';
  const entity: ConflictEntity = {
    id: 'm1', type, localData: { a: 1 }, remoteData: { a: 2 }, localTimestamp: 1, remoteTimestamp: 5000,
    localVersion: 1, remoteVersion: 2, localHash: 'x', remoteHash: 'y', metadata: {},
  };
  const detection: ConflictDetectionResult = cr.detectConflict(entity);
  const severity: ConflictSeverity = detection.severity;
  const strategy: ResolutionStrategy = detection.suggestedStrategy;
  const resolved: ConflictResolutionResult = cr.resolveConflict(detection, 'merge', { a: 3 });
  const auto: ConflictResolutionResult | null = cr.autoResolve(detection);
  const history: ConflictHistoryEntry[] = cr.getHistory({ type, limit: 10 });
  const entry: ConflictHistoryEntry | undefined = cr.getHistoryEntry('m1');
  const listener: ConflictEventListener = (event: ConflictEventType, data) => use(event, data?.detection, data?.resolution);
  const off: () => void = cr.subscribe(listener);
  const stats: { totalConflicts: number; resolvedConflicts: number; pendingConflicts: number } = cr.getStats();
  const ready: boolean = cr.initialized;
  cr.clearHistory();
  cr.destroy();
  use(cr2, cr3, severity, strategy, resolved.resolvedData, resolved.conflictedFields, auto, history, entry, off, stats, ready);
}

// ---- rooms.service.ts, room-manager.service.ts, events.types.ts (room names) ----------------------

{
  const rs: RoomsService = getRoomsService({ autoRejoinOnReconnect: true, maxTrackedRooms: 100, debug: false });
  const rs2: RoomsService = initializeRoomsService();
  rs.initialize();
  const joined: Promise<Room> = rs.joinRoom('channel:general');
  const many: Promise<Map<string, Room>> = rs.joinRooms(['channel:a', 'channel:b']);
  rs.leaveRoom('channel:a');
  rs.leaveRooms(['channel:b']);
  const inRoom: boolean = rs.isInRoom('channel:general');
  const rooms: Room[] = rs.getJoinedRooms();
  const names: string[] = rs.getJoinedRoomNames();
  const room: Room | undefined = rs.getRoom('channel:general');
  const members: RoomMember[] = rs.getRoomMembers('channel:general');
  const sent: Promise<{ messageId: string }> = rs.sendMessage('channel:general', 'hi', { threadId: 't', replyTo: 'm' });
  const offs: (() => void)[] = [
    rs.onUserJoin((r: string, m: RoomMember) => use(r, m.userId)), rs.onUserLeave((r: string, u: string) => use(r, u)),
    rs.onRoomMessage('channel:general', (m: MessageEvent) => use(m.content)), rs.onMessage((m: MessageEvent) => use(m)),
    rs.onRoomStateChange((list: string[]) => use(list)),
  ];
  const counts: [boolean, number] = [rs.initialized, rs.roomCount];
  rs.leaveAllRooms();
  rs.destroy();
  resetRoomsService();
  const config: RoomManagerConfig = { debug: false, autoRejoinOnReconnect: true, maxRooms: 100, joinTimeout: 10000 };
  const rm: RoomManagerService = getRoomManager(config);
  const rm2: RoomManagerService = initializeRoomManager();
  rm.setCurrentUserId('u1');
  const options: RoomJoinOptions = { subscribeToUpdates: false, metadata: {}, force: true };
  const info: Promise<RoomInfo> = rm.joinRoom('channel:general', options);
  const ch: Promise<RoomInfo> = rm.joinChannel('general');
  const th: Promise<RoomInfo> = rm.joinThread('t1');
  rm.leaveChannel('general');
  rm.leaveThread('t1');
  rm.addRoomListener('channel:general');
  rm.removeRoomListener('channel:general');
  const type: RealtimeRoomType = 'channel';
  const byType: RoomInfo[] = rm.getRoomsByType(type);
  const mine: [boolean, RoomInfo | undefined, RoomInfo[], string[]] =
    [rm.isInRoom('channel:general'), rm.getRoom('channel:general'), rm.getJoinedRooms(), rm.getRoomNames()];
  const moffs: (() => void)[] = [rm.onRoomJoined((r: RoomInfo) => use(r.name)), rm.onRoomLeft((n: string) => use(n)),
    rm.onRoomError((n: string, e: Error) => use(n, e.message)), rm.onReconnected((list: string[]) => use(list))];
  rm.leaveRoom('channel:general');
  rm.destroy();
  resetRoomManager();
  const roomNames: string[] = [getChannelRoom('general'), getThreadRoom('t1'), getUserRoom('u1')];
  const parsed = parseRoomName('channel:general');
  use(rs2, joined, many, inRoom, rooms, names, room, members, sent, offs, counts, rm2, info, ch, th, byType, mine, moffs,
    roomNames, parsed?.type, parsed?.id, REALTIME_EVENTS);
}

// ---- realtime-integration.service.ts --------------------------------------------------------------

{
  const config: RealtimeIntegrationConfig = {
    userId: 'u1', token: 't', enablePresence: true, enableTyping: true, enableDeliveryReceipts: true,
    enableOfflineQueue: true, debug: false, autoConnect: true, realtimeUrl: 'http://localhost:3101',
  };
  const ri: RealtimeIntegrationService = initializeRealtimeIntegration(config);
  const same: RealtimeIntegrationService = getRealtimeIntegration();
  same.initialize(config);
  const connecting: Promise<void> = ri.connect('t');
  const connecting2: Promise<void> = ri.connect();
  ri.disconnect();
  const again: Promise<void> = ri.reconnect();
  ri.updateToken('t2');
  ri.updateUserId('u2');
  const status: IntegrationStatus = ri.getStatus();
  const s: [boolean, boolean, boolean, boolean, boolean, boolean, number, ConnectionQuality, number] = [
    status.connected, status.authenticated, status.presenceEnabled, status.typingEnabled,
    status.deliveryReceiptsEnabled, status.offlineQueueEnabled, status.queuedMessageCount, status.connectionQuality,
    status.reconnectAttempts];
  const listener: StatusChangeListener = (st: IntegrationStatus) => use(st.connected);
  const off: () => void = ri.onStatusChange(listener);
  const flags: boolean[] = [ri.isConnected, ri.isAuthenticated, ri.isOnline, ri.wasOffline, ri.initialized];
  ri.clearWasOffline();
  const services: [PresenceService, TypingService, DeliveryEventHandler, OfflineQueueService, RoomsService, RoomManagerService] =
    [ri.getPresence(), ri.getTyping(), ri.getDelivery(), ri.getOfflineQueue(), ri.getRooms(), ri.getRoomManager()];
  const dispatcher: EventDispatcherService = ri.getDispatcher();
  const cfg: Readonly<RealtimeIntegrationConfig> = ri.getConfig();
  ri.destroy();
  resetRealtimeIntegration();
  use(connecting, connecting2, again, s, off, flags, services, cfg, dispatcher);
}
use(a<Room>(), a<RoomMember>(), a<RoomVisibility>(), a<MessageEvent>(), a<RoomsServiceConfig>(), a<SyncChannel>(),
  a<ConflictResolution>(), a<IntegrationStatus>(), a<RealtimeIntegrationConfig>(),
  a<TypingContext>(), a<TypingUserWithPrivacy>(), a<QueuedAttachment>(), a<BatchReadPayload>(), a<DeliverySyncRequest>(),
  a<DeliverySyncResponse>(), a<StatusChangeListener>(), a<RoomJoinListener>(), a<RoomLeaveListener>(), a<MessageListener>(),
  a<RoomStateListener>(), a<PresenceSubscriptionOptions>(), DEFAULT_PRESENCE_SETTINGS);

// ---- event-dispatcher.service.ts ----------------------------------------------------------------------

{
  const config: EventDispatcherConfig = { debug: false, serverVersion: '0.9.1', isClientSide: true };
  const d: EventDispatcherService = initializeEventDispatcher(config);
  const same: EventDispatcherService = getEventDispatcher();
  const made: EventDispatcherService = new EventDispatcherService();
  const made2: EventDispatcherService = new EventDispatcherService(config);
  d.initialize();
  const user: EventUser = { id: 'u1', username: 'alice', displayName: 'Alice', avatarUrl: 'a.png' };
  const message: DispatchMessageData = {
    id: 'm1', channelId: 'c1', content: 'hi', contentHtml: '<p>hi</p>', type: 'text', threadId: 't1',
    parentMessageId: 'm0', mentions: ['u2'], mentionedRoles: ['admins'], mentionedChannels: ['c2'],
    attachments: [{
      id: 'a1', type: 'image', url: 'u', filename: 'f.png', size: 1, mimeType: 'image/png', width: 1, height: 1,
      thumbnailUrl: 't',
    }],
    metadata: { k: 1 }, ttlSeconds: 60, expiresAt: 'x', createdAt: 'y', user,
  };
  d.dispatchMessageNew(message);
  d.dispatchMessageUpdate('m1', 'c1', 'edited', undefined, user);
  d.dispatchMessageUpdate('m1', 'c1', 'edited', '<p>edited</p>', user, 't1', ['u2'], { k: 1 });
  d.dispatchMessageDelete('m1', 'c1');
  d.dispatchMessageDelete('m1', 'c1', user, 't1', true);
  d.dispatchMessagePin('m1', 'c1', user, 'pin');
  const reaction: DispatchReactionData = { messageId: 'm1', channelId: 'c1', emoji: '👍', user, totalCount: 1 };
  d.dispatchReactionAdd(reaction);
  d.dispatchReactionRemove('m1', 'c1', '👍', 'u1', 0);
  const update: DispatchChannelUpdateData = { channelId: 'c1', updates: { name: 'n' }, updatedBy: user };
  d.dispatchChannelUpdate(update);
  const join: DispatchMemberJoinData = {
    channelId: 'c1', channelName: 'C', user, role: 'member', addedBy: user, memberCount: 2,
  };
  d.dispatchMemberJoin(join);
  const leave: DispatchMemberLeaveData = {
    channelId: 'c1', channelName: 'C', userId: 'u2', username: 'bob', removedBy: user, reason: 'kicked', memberCount: 1,
  };
  d.dispatchMemberLeave(leave);
  d.dispatchMemberRoleUpdate('c1', 'u2', undefined, 'member', 'admin', user);
  d.dispatchThreadCreated('t1', 'c1', 'm1', user);
  d.dispatchThreadCreated('t1', 'c1', 'm1', user, 'title');
  d.dispatchThreadStatsUpdate('t1', 'c1', 3, 2, 'z', ['u1', 'u2']);
  d.dispatchReadReceipt('c1', 'u1', 'm1', 0);
  d.dispatchToRooms('custom', ['channel:c1'], { x: 1 });
  d.dispatchToUser('u1', 'custom', { x: 1 });
  d.dispatchToUsers(['u1', 'u2'], 'custom', { x: 1 });
  const listener: EventDispatchListener = (eventType: string, roomName: string, payload: unknown) =>
    use(eventType, roomName, payload);
  const off: () => void = d.subscribe(listener);
  d.queueEvent('custom', 'channel:c1', { x: 1 });
  const on: boolean = d.initialized;
  d.destroy();
  resetEventDispatcher();
  use(same, made, made2, off, on, a<EventMetadata>());
}
