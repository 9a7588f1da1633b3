// `EventDispatcherService` (nchat's `event-dispatcher.service.ts`): each
// method checks its arguments and forwards them to the native dispatcher
// (src/native.ts). The payloads, their rooms, event ids and times, and the
// 50 ms batch of `queueEvent` are the wasm's (src/core/dispatch.rs).
import {
  callback as fn, fields, id, optFields, params, req, type Schema, type SchemaOf,
} from './check.js';
import { clientArg, type RealtimeClient, realtimeClient } from './client.js';
import * as native from './native.js';

/** A user as events carry it. */
export interface EventUser {
  id: string;
  username: string;
  displayName?: string;
  avatarUrl?: string;
}

/** The `meta` of every dispatched payload (but read receipts'). */
export interface EventMetadata {
  /** A UUID per event. */
  eventId: string;
  /** When it was dispatched (ISO 8601). */
  timestamp: string;
  serverVersion?: string;
}

/** A member's role in a channel. */
export type ChannelMemberRole = 'owner' | 'admin' | 'moderator' | 'member' | 'guest';

/** The options of `EventDispatcherService`. */
export interface EventDispatcherConfig {
  debug?: boolean;
  /** `meta.serverVersion` (default `'0.9.1'`). */
  serverVersion?: string;
  /** Send each event to the server as `dispatch` `{event, room, payload}` while connected (default true). */
  isClientSide?: boolean;
}

/** `dispatchMessageNew`'s message. */
export interface DispatchMessageData {
  id: string;
  channelId: string;
  content: string;
  contentHtml?: string;
  type?: string;
  threadId?: string;
  parentMessageId?: string;
  mentions?: string[];
  mentionedRoles?: string[];
  mentionedChannels?: string[];
  attachments?: Array<{
    id: string;
    type: string;
    url: string;
    filename: string;
    size?: number;
    mimeType?: string;
    width?: number;
    height?: number;
    thumbnailUrl?: string;
  }>;
  metadata?: Record<string, unknown>;
  ttlSeconds?: number;
  expiresAt?: string;
  createdAt: string;
  user: EventUser;
}

/** `dispatchReactionAdd`'s reaction. */
export interface DispatchReactionData {
  messageId: string;
  channelId: string;
  emoji: string;
  user: EventUser;
  totalCount: number;
}

/** `dispatchChannelUpdate`'s change. */
export interface DispatchChannelUpdateData {
  channelId: string;
  updates: Record<string, unknown>;
  updatedBy: EventUser;
}

/** `dispatchMemberJoin`'s member. */
export interface DispatchMemberJoinData {
  channelId: string;
  channelName: string;
  user: EventUser;
  role: ChannelMemberRole;
  addedBy?: EventUser;
  memberCount: number;
}

/** `dispatchMemberLeave`'s member. */
export interface DispatchMemberLeaveData {
  channelId: string;
  channelName: string;
  userId: string;
  username?: string;
  removedBy?: EventUser;
  reason?: 'left' | 'kicked' | 'banned';
  memberCount: number;
}

/** A `subscribe` listener: every event dispatched, with its room. */
export type EventDispatchListener = (eventType: string, roomName: string, payload: unknown) => void;

const ROLES: ChannelMemberRole[] = ['owner', 'admin', 'moderator', 'member', 'guest'];
const USER: SchemaOf<EventUser> = { id: req('id'), username: req('str'), displayName: 'str', avatarUrl: 'str' };
const BY = req({ fields: USER });
const CONFIG: SchemaOf<EventDispatcherConfig> = { debug: 'bool', serverVersion: 'str', isClientSide: 'bool' };

type Attachment = NonNullable<DispatchMessageData['attachments']>[number];
const ATTACHMENT: SchemaOf<Attachment> = {
  id: req('id'), type: req('str'), url: req('str'), filename: req('str'), size: 'num', mimeType: 'str', width: 'num',
  height: 'num', thumbnailUrl: 'str',
};

// The arguments of each `dispatch…`, in nchat's order: a data object's keys, or the parameters.
const MESSAGE: SchemaOf<DispatchMessageData> = {
  id: req('id'), channelId: req('id'), content: req('str'), contentHtml: 'str', type: 'str', threadId: 'id',
  parentMessageId: 'id', mentions: 'strings', mentionedRoles: 'strings', mentionedChannels: 'strings',
  attachments: { items: ATTACHMENT }, metadata: 'json', ttlSeconds: 'num', expiresAt: 'str', createdAt: req('str'), user: BY,
};
const UPDATE: Schema = {
  messageId: req('id'), channelId: req('id'), content: req('str'), contentHtml: 'str', editedBy: BY, threadId: 'id',
  mentionedUserIds: 'strings', metadata: 'json',
};
const DELETE: Schema = {
  messageId: req('id'), channelId: req('id'), deletedBy: { fields: USER }, threadId: 'id', hardDelete: 'bool',
};
const PIN: Schema = { messageId: req('id'), channelId: req('id'), pinnedBy: BY, action: req({ oneOf: ['pin', 'unpin'] }) };
const REACTION: SchemaOf<DispatchReactionData> = {
  messageId: req('id'), channelId: req('id'), emoji: req('str'), user: BY, totalCount: req('num'),
};
const UNREACT: Schema = {
  messageId: req('id'), channelId: req('id'), emoji: req('str'), userId: req('id'), remainingCount: req('num'),
};
const CHANNEL: SchemaOf<DispatchChannelUpdateData> = { channelId: req('id'), updates: req('json'), updatedBy: BY };
const JOIN: SchemaOf<DispatchMemberJoinData> = {
  channelId: req('id'), channelName: req('str'), user: BY, role: req({ oneOf: ROLES }), addedBy: { fields: USER },
  memberCount: req('num'),
};
const LEAVE: SchemaOf<DispatchMemberLeaveData> = {
  channelId: req('id'), channelName: req('str'), userId: req('id'), username: 'str', removedBy: { fields: USER },
  reason: { oneOf: ['left', 'kicked', 'banned'] }, memberCount: req('num'),
};
const ROLE: Schema = {
  channelId: req('id'), userId: req('id'), username: 'str', previousRole: req({ oneOf: ROLES }),
  newRole: req({ oneOf: ROLES }), changedBy: BY,
};
const THREAD: Schema = {
  threadId: req('id'), channelId: req('id'), parentMessageId: req('id'), startedBy: BY, title: 'str',
};
const STATS: Schema = {
  threadId: req('id'), channelId: req('id'), messageCount: req('num'), participantCount: req('num'),
  lastMessageAt: req('str'), recentParticipantIds: req('strings'),
};
const ROOMS: Schema = { eventType: req('str'), roomNames: req('strings'), payload: 'json' };
const USERS: Schema = { eventType: req('str'), userIds: req('strings'), payload: 'json' };
const QUEUE: Schema = { eventType: req('str'), roomName: req('str'), payload: 'json' };
const RECEIPT: Schema = {
  channelId: req('id'), userId: req('id'), lastReadMessageId: req('id'), unreadCount: req('num'),
};

const configArg = (v: unknown, what: string): EventDispatcherConfig | undefined =>
  optFields<EventDispatcherConfig>(v, `${what}: config`, CONFIG);

const of = (self: EventDispatcherService): native.NativeObject => native.dispatchers.of(self);

/** Dispatches kind `kind` (src/core/dispatch.rs `KINDS`) of a data object. */
const byData = (self: EventDispatcherService, kind: number, method: string, v: unknown, schema: Schema): void =>
  of(self).dispatch(kind, fields(v, `${method}(): data`, schema));

/**
 * Dispatches kind `kind` of positional arguments: as an object by name, or
 * (`list`: `dispatchTo…`, `queueEvent`) as the array `[eventType, target, payload]`.
 */
function positional(self: EventDispatcherService, kind: number, method: string, args: unknown[], schema: Schema, list = false): void {
  const checked = params(args, `${method}()`, schema);
  of(self).dispatch(kind, list ? [checked.eventType, checked[Object.keys(schema)[1]!], checked.payload ?? null] : checked);
}

/**
 * Builds nchat's realtime event payloads (with `meta`: a UUID, the time,
 * the server version) and sends each to its rooms: to the local
 * subscribers, and as `dispatch` `{event, room, payload}` over the client
 * while connected (`isClientSide`). The nself server does not handle
 * `dispatch`; a server that relays it to the room makes this the API
 * layer's bridge nchat has.
 */
export class EventDispatcherService {
  /** A dispatcher (`EventDispatcherConfig`; unknown keys are an error) on `client`, by default the module's client. */
  constructor(config?: EventDispatcherConfig, client?: RealtimeClient) {
    const what = 'new EventDispatcherService()';
    const options = configArg(config, what);
    native.dispatchers.bind(this, native.newDispatcher(clientArg(client ?? realtimeClient, `${what}: client`), options));
  }

  /** Frees the dispatcher's wasm memory now. */
  free(): void {
    native.dispatchers.free(this);
  }

  /** `free()`, for `using`. */
  [Symbol.dispose](): void {
    this.free();
  }

  /** Marks it initialized (dispatching works either way, as nchat's). */
  initialize(): void {
    of(this).initialize();
  }

  /** Drops the queued events and the subscribers; `initialize()` may run again. */
  destroy(): void {
    of(this).destroy();
  }

  /** `message:new` to the channel's room, the thread's room (`threadId`), and a `notification` to each mentioned user. */
  dispatchMessageNew(data: DispatchMessageData): void {
    byData(this, 0, 'dispatchMessageNew', data, MESSAGE);
  }

  /** `message:update` (with `editedAt`) to the channel's room and the thread's. */
  dispatchMessageUpdate(
    messageId: string, channelId: string, content: string, contentHtml: string | undefined, editedBy: EventUser,
    threadId?: string, mentionedUserIds?: string[], metadata?: Record<string, unknown>,
  ): void {
    const args = [messageId, channelId, content, contentHtml, editedBy, threadId, mentionedUserIds, metadata];
    positional(this, 1, 'dispatchMessageUpdate', args, UPDATE);
  }

  /** `message:delete` (with `deletedAt`; `hardDelete` false by default) to the channel's room and the thread's. */
  dispatchMessageDelete(
    messageId: string, channelId: string, deletedBy?: EventUser, threadId?: string, hardDelete?: boolean,
  ): void {
    positional(this, 2, 'dispatchMessageDelete', [messageId, channelId, deletedBy, threadId, hardDelete], DELETE);
  }

  /** `message:pin` (with `pinnedAt`) to the channel's room. */
  dispatchMessagePin(messageId: string, channelId: string, pinnedBy: EventUser, action: 'pin' | 'unpin'): void {
    positional(this, 3, 'dispatchMessagePin', [messageId, channelId, pinnedBy, action], PIN);
  }

  /** `reaction:add` (with `createdAt`) to the channel's room. */
  dispatchReactionAdd(data: DispatchReactionData): void {
    byData(this, 4, 'dispatchReactionAdd', data, REACTION);
  }

  /** `reaction:remove` to the channel's room. */
  dispatchReactionRemove(
    messageId: string, channelId: string, emoji: string, userId: string, remainingCount: number,
  ): void {
    positional(this, 5, 'dispatchReactionRemove', [messageId, channelId, emoji, userId, remainingCount], UNREACT);
  }

  /** `channel:update` (with `updatedAt`) to the channel's room. */
  dispatchChannelUpdate(data: DispatchChannelUpdateData): void {
    byData(this, 6, 'dispatchChannelUpdate', data, CHANNEL);
  }

  /** `channel:member_join` (with `joinedAt`) to the channel's room. */
  dispatchMemberJoin(data: DispatchMemberJoinData): void {
    byData(this, 7, 'dispatchMemberJoin', data, JOIN);
  }

  /** `channel:member_leave` (with `leftAt`) to the channel's room and the user's. */
  dispatchMemberLeave(data: DispatchMemberLeaveData): void {
    byData(this, 8, 'dispatchMemberLeave', data, LEAVE);
  }

  /** `channel:member_role_update` (with `changedAt`) to the channel's room and the user's. */
  dispatchMemberRoleUpdate(
    channelId: string, userId: string, username: string | undefined, previousRole: ChannelMemberRole,
    newRole: ChannelMemberRole, changedBy: EventUser,
  ): void {
    const args = [channelId, userId, username, previousRole, newRole, changedBy];
    positional(this, 9, 'dispatchMemberRoleUpdate', args, ROLE);
  }

  /** `thread:created` (with `createdAt`) to the channel's room. */
  dispatchThreadCreated(
    threadId: string, channelId: string, parentMessageId: string, startedBy: EventUser, title?: string,
  ): void {
    positional(this, 10, 'dispatchThreadCreated', [threadId, channelId, parentMessageId, startedBy, title], THREAD);
  }

  /** `thread:stats_update` to the channel's room and the thread's. */
  dispatchThreadStatsUpdate(
    threadId: string, channelId: string, messageCount: number, participantCount: number, lastMessageAt: string,
    recentParticipantIds: string[],
  ): void {
    const args = [threadId, channelId, messageCount, participantCount, lastMessageAt, recentParticipantIds];
    positional(this, 11, 'dispatchThreadStatsUpdate', args, STATS);
  }

  /** `read_receipt:update` (with `readAt`, no `meta`) to the channel's room. */
  dispatchReadReceipt(channelId: string, userId: string, lastReadMessageId: string, unreadCount: number): void {
    positional(this, 12, 'dispatchReadReceipt', [channelId, userId, lastReadMessageId, unreadCount], RECEIPT);
  }

  /** `eventType` with `payload` to each room. */
  dispatchToRooms(eventType: string, roomNames: string[], payload: unknown): void {
    positional(this, 13, 'dispatchToRooms', [eventType, roomNames, payload], ROOMS, true);
  }

  /** `eventType` with `payload` to the user's room (`user:<id>`). */
  dispatchToUser(userId: string, eventType: string, payload: unknown): void {
    positional(this, 14, 'dispatchToUser', [eventType, [id(userId, 'dispatchToUser(): userId')], payload], USERS, true);
  }

  /** `eventType` with `payload` to each user's room. */
  dispatchToUsers(userIds: string[], eventType: string, payload: unknown): void {
    positional(this, 14, 'dispatchToUsers', [eventType, userIds, payload], USERS, true);
  }

  /**
   * `listener(eventType, roomName, payload)` for every event dispatched;
   * returns an unsubscribe function. One that throws is logged; the others
   * still run.
   */
  subscribe(listener: EventDispatchListener): () => void {
    return of(this).subscribe(fn(listener, 'subscribe(): listener'));
  }

  /**
   * Holds the event for 50 ms from the first one held, then sends the held
   * events per room: one as itself, several as `events:batch` `{events: [{type, payload}]}`.
   */
  queueEvent(eventType: string, roomName: string, payload: unknown): void {
    positional(this, 15, 'queueEvent', [eventType, roomName, payload], QUEUE, true);
  }

  /** Whether `initialize()` ran (and `destroy()` not since). */
  get initialized(): boolean {
    return of(this).initialized;
  }
}

let instance: EventDispatcherService | null = null;

/** The module's dispatcher, made with `config` on first call. */
export function getEventDispatcher(config?: EventDispatcherConfig): EventDispatcherService {
  const options = configArg(config, 'getEventDispatcher()');
  return (instance ??= new EventDispatcherService(options));
}

/** The module's dispatcher, initialized. */
export function initializeEventDispatcher(config?: EventDispatcherConfig): EventDispatcherService {
  const dispatcher = getEventDispatcher(configArg(config, 'initializeEventDispatcher()'));
  dispatcher.initialize();
  return dispatcher;
}

/** Destroys the module's dispatcher; the next `getEventDispatcher` makes a new one. */
export function resetEventDispatcher(): void {
  instance?.destroy();
  instance = null;
}
