// nchat's room name helpers and event names (`events.types.ts`): wire
// rules as plain exports. A channel or DM id that already holds a `:` is a
// room name as it is (the package's one rule, src/core/room.rs, which
// `RealtimeClient.joinChannel` follows too); threads and users have rooms
// of their own here only if the server has them (`thread:<id>`, `user:<id>`).
import { id, string } from './check.js';

/** Socket.IO event names (nchat's `REALTIME_EVENTS`). */
export const REALTIME_EVENTS = {
  MESSAGE_NEW: 'message:new', MESSAGE_UPDATE: 'message:update', MESSAGE_DELETE: 'message:delete',
  MESSAGE_PIN: 'message:pin', MESSAGE_SENT_ACK: 'message:sent_ack', MESSAGE_DELIVERED: 'message:delivered',
  MESSAGE_READ_BY: 'message:read_by', MESSAGE_FAILED: 'message:failed',
  REACTION_ADD: 'reaction:add', REACTION_REMOVE: 'reaction:remove', REACTION_UPDATE: 'reaction:update',
  CHANNEL_UPDATE: 'channel:update', CHANNEL_MEMBER_JOIN: 'channel:member_join',
  CHANNEL_MEMBER_LEAVE: 'channel:member_leave', CHANNEL_MEMBER_ROLE_UPDATE: 'channel:member_role_update',
  CHANNEL_ARCHIVE: 'channel:archive', CHANNEL_DELETE: 'channel:delete',
  THREAD_CREATED: 'thread:created', THREAD_UPDATE: 'thread:update', THREAD_STATS_UPDATE: 'thread:stats_update',
  TYPING_UPDATE: 'typing:update',
  PRESENCE_UPDATE: 'presence:update', PRESENCE_BULK_UPDATE: 'presence:bulk_update',
  READ_RECEIPT_UPDATE: 'read_receipt:update',
  NOTIFICATION: 'notification',
  ROOM_JOIN: 'room:join', ROOM_LEAVE: 'room:leave', ROOM_JOINED: 'room:joined',
  CONNECT: 'connect', DISCONNECT: 'disconnect', RECONNECT: 'reconnect', ERROR: 'error',
  AUTH: 'auth', AUTH_SUCCESS: 'auth:success', AUTH_ERROR: 'auth:error',
} as const;

/** One of `REALTIME_EVENTS`' names. */
export type RealtimeEventName = (typeof REALTIME_EVENTS)[keyof typeof REALTIME_EVENTS];

/** The types of room names: `channel:<id>`, `thread:<id>`, `user:<id>`, `dm:<id>`. */
export type RealtimeRoomType = 'channel' | 'thread' | 'user' | 'dm';

/** @internal `<type>:<id>` (with `keep`, an id holding a `:` as it is); `what` names the parameter. */
export const room = (type: string, value: unknown, what: string, keep = false): string => {
  const s = id(value, what);
  return keep && s.includes(':') ? s : `${type}:${s}`;
};

/** The room of a channel: `channel:<id>` (an id holding a `:` is a room name already). */
export const getChannelRoom = (channelId: string): string =>
  room('channel', channelId, 'getChannelRoom(): channelId', true);

/** The room of a thread: `thread:<id>`. */
export const getThreadRoom = (threadId: string): string => room('thread', threadId, 'getThreadRoom(): threadId');

/** A user's own room (notifications): `user:<id>`. */
export const getUserRoom = (userId: string): string => room('user', userId, 'getUserRoom(): userId');

/** The room of a DM: `dm:<id>` (an id holding a `:` is a room name already). */
export const getDMRoom = (dmId: string): string => room('dm', dmId, 'getDMRoom(): dmId', true);

/** A room name's type and id, or `null` when it is not exactly `<type>:<id>` with a known type. */
export function parseRoomName(roomName: string): { type: RealtimeRoomType; id: string } | null {
  const parts = string(roomName, 'parseRoomName(): roomName').split(':');
  const [type, id] = parts as [RealtimeRoomType, string];
  return parts.length === 2 && ['channel', 'thread', 'user', 'dm'].includes(type) && id !== '' ? { type, id } : null;
}
