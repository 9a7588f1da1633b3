// nchat's events (nself-org/chat, frontend/src/services/realtime/*.ts) that
// the real server does not have: answered as extensions (off with the other
// extensions), in the shapes nchat's services send and read.
import { iso } from './config.js';
import { verifyJwt } from './auth.js';
import {
  ApiError, optionalTime, requireObject, requireString, requireStringArray,
} from './validate.js';
import { on, userRoom } from './wire.js';

/** Presences in nchat's shape: `{userId, status, customStatus?: {text?, emoji?}, lastSeen?}`. */
export async function nchatPresences(store, ids) {
  const out = [];
  for (const id of ids) {
    const rec = await store.presenceGet(id);
    const p = { userId: id, status: rec?.status ?? 'offline' };
    if (rec?.customStatus || rec?.customEmoji) {
      p.customStatus = {};
      if (rec.customStatus) p.customStatus.text = rec.customStatus;
      if (rec.customEmoji) p.customStatus.emoji = rec.customEmoji;
    }
    if (rec?.lastSeenAt) p.lastSeen = iso(rec.lastSeenAt);
    out.push(p);
  }
  return out;
}

export function registerNchatHandlers(ctx, socket) {
  const { io, store, config, inst } = ctx;
  const { userId } = socket.data;
  const ext = { extension: true };

  // nchat's EventDispatcherService sends `dispatch` {event, room, payload}; neither the real
  // server nor this one handles it (nothing is relayed or answered). It is only recorded, in
  // arrival order, for GET /dispatched, also with the extensions off.
  socket.on('dispatch', (p) => {
    inst.dispatched.push({ userId, event: p?.event ?? null, room: p?.room ?? null, payload: p?.payload ?? null });
  });

  // fetchPresence: the presences, as the ack's data.
  on(ctx, socket, 'presence:get', async (p, ack) => {
    requireObject(p);
    const presences = await nchatPresences(store, requireStringArray(p, 'userIds'));
    ack?.({ success: true, data: { presences } });
  }, ext);

  // unsubscribeFromUsers: forgotten from this socket's subscriptions (GET /connections).
  on(ctx, socket, 'presence:unsubscribe', async (p, ack) => {
    requireObject(p);
    for (const id of requireStringArray(p, 'userIds')) socket.data.presenceSubs?.delete(id);
    ack?.({ success: true });
  }, ext);

  // updateToken: a valid token of the same user is taken (counted in GET /connections);
  // another is refused with an `error` event {code, message} (and a failed ack if asked).
  on(ctx, socket, 'auth:refresh', async (p, ack) => {
    requireObject(p);
    const token = requireString(p, 'token');
    let claims;
    try {
      claims = verifyJwt(token, config.jwtSecret);
    } catch (e) {
      throw new ApiError(e.data?.code ?? 'INVALID_TOKEN', e.message);
    }
    if (claims.userId !== userId) throw new ApiError('INVALID_TOKEN', 'Invalid token');
    socket.data.authRefreshes = (socket.data.authRefreshes ?? 0) + 1;
    ack?.({ success: true });
  }, ext);

  /** Marks `ids` (ids or clientMessageIds) read by this user: the messages of others, by author. */
  async function markRead(ids, at) {
    const byAuthor = new Map();
    for (const id of ids) {
      const m = await store.getMessage(id);
      if (!m || m.userId === userId) continue;
      const readAt = await store.markRead(m.id, userId, at);
      await store.markDelivered(m.id, userId, readAt);
      if (!byAuthor.has(m.userId)) byAuthor.set(m.userId, []);
      byAuthor.get(m.userId).push({ m, readAt });
    }
    return byAuthor;
  }

  // One read ack: the author hears `message:read` (the receipt shape of `message:read` above).
  on(ctx, socket, 'message:read-ack', async (p, ack) => {
    requireObject(p);
    const messageId = requireString(p, 'messageId');
    requireString(p, 'channelId');
    const at = optionalTime(p, 'readAt') ?? Date.now();
    for (const [author, list] of await markRead([messageId], at)) {
      for (const { m, readAt } of list) {
        io.to(userRoom(author)).emit('message:read', {
          messageId: m.id, clientMessageId: m.clientMessageId, roomName: m.roomName, userId, readAt: iso(readAt),
        });
      }
    }
    ack?.({ success: true });
  }, ext);

  // A batch of read acks: each author hears one `message:batch-read` with their messages.
  on(ctx, socket, 'message:batch-read-ack', async (p, ack) => {
    requireObject(p);
    const ids = requireStringArray(p, 'messageIds');
    const channelId = requireString(p, 'channelId');
    const at = optionalTime(p, 'readAt') ?? Date.now();
    for (const [author, list] of await markRead(ids, at)) {
      io.to(userRoom(author)).emit('message:batch-read', {
        channelId, userId, messageIds: list.map(({ m }) => m.id), readAt: iso(list[0].readAt),
      });
    }
    ack?.({ success: true });
  }, ext);

  // syncDeliveryStatus: answered by a `delivery:sync-response` event (nchat's), never
  // by the ack; unknown ids are left out. `clientMessageId`, `deliveredTo`, `readBy` are ours.
  on(ctx, socket, 'delivery:sync', async (p) => {
    requireObject(p);
    const statuses = [];
    for (const id of requireStringArray(p, 'messageIds')) {
      const m = await store.getMessage(id);
      if (!m) continue;
      const { deliveredTo, readBy } = await store.receipts(m.id);
      const state = readBy.length ? 'read' : deliveredTo.length ? 'delivered' : 'sent';
      statuses.push({
        messageId: m.id, clientMessageId: m.clientMessageId, state, deliveredCount: deliveredTo.length,
        readCount: readBy.length, updatedAt: iso(Date.now()), deliveredTo, readBy,
      });
    }
    socket.emit('delivery:sync-response', { statuses });
  }, ext);
}
