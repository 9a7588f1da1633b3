// The extensions: what this server offers beyond the real one (on by default,
// `POST /extensions {on:false}` turns them off until /reset). message:send
// with ids, de-duplication and delivery receipts; read receipts; delivery
// status; edits; sync; presence:subscribe; nchat's events (nchat.js); echo.
import { iso, log, sleep } from './config.js';
import {
  ApiError, invalid, optionalTime, requireObject, requireString, requireStringArray, splitArgs,
} from './validate.js';
import { nchatPresences, registerNchatHandlers } from './nchat.js';
import { attachmentsOf, on, userRoom, wireMessage } from './wire.js';

/** The message a duplicate clientMessageId points at (its first send may still be saving). */
async function originalOf(store, id) {
  for (let i = 0; i < 50; i += 1) {
    const m = await store.getMessage(id);
    if (m) return m;
    await sleep(10);
  }
  return null;
}

/** message:send with the extensions on: `f` is the checked payload (room exists). */
export async function sendExtended(ctx, socket, p, f, ack) {
  const { io, store, inst } = ctx;
  const { userId, userName } = socket.data;
  const { roomName, clientMessageId } = f;
  const id = `m_${await store.nextMessageSeq()}`;
  if (clientMessageId) {
    const existing = await store.claimClientMessageId(clientMessageId, id);
    if (existing) {
      const m = await originalOf(store, existing);
      if (!m) throw new ApiError('INTERNAL_ERROR', `message ${existing} vanished`);
      ack?.({ success: true, data: { id: m.id, clientMessageId, roomName: m.roomName, timestamp: iso(m.timestamp), duplicate: true } });
      socket.emit('message:sent', { clientMessageId, messageId: m.id, sentAt: iso(m.timestamp) });
      return;
    }
  }
  const timestamp = inst.nextTimestamp();
  const m = { id, clientMessageId: clientMessageId ?? null, roomName, userId, userName, content: p.content };
  if (p.threadId !== undefined) m.threadId = p.threadId;
  if (p.metadata !== undefined) m.metadata = p.metadata;
  Object.assign(m, { type: f.type, mentions: [...f.mentions], timestamp });
  await store.saveMessage(m);
  await store.touchRoom(roomName, timestamp);
  inst.received.push({ id, clientMessageId: m.clientMessageId, roomName, userId, content: m.content, timestamp: iso(timestamp), ...attachmentsOf(p) });
  io.to(roomName).emit('message:new', wireMessage(m, true));
  ack?.({ success: true, data: { id, clientMessageId: m.clientMessageId, roomName, timestamp: iso(timestamp), duplicate: false } });
  // nchat's confirmation to the sender, after the ack.
  if (clientMessageId) socket.emit('message:sent', { clientMessageId, messageId: id, sentAt: iso(timestamp) });

  // Delivery receipts: every other user with a live socket in the room, on any instance.
  let sockets;
  try {
    sockets = await io.in(roomName).fetchSockets();
  } catch (e) {
    log('fetchSockets failed, receipts from this instance only:', e.message);
    sockets = await io.local.in(roomName).fetchSockets();
  }
  const recipients = [...new Set(sockets.map((s) => s.data.userId).filter((u) => u && u !== userId))];
  const at = Date.now();
  for (const r of recipients) {
    const deliveredAt = await store.markDelivered(id, r, at);
    io.to(userRoom(userId)).emit('message:delivered', {
      messageId: id, clientMessageId: m.clientMessageId, roomName, userId: r, deliveredAt: iso(deliveredAt),
    });
  }
}

export function registerExtensionHandlers(ctx, socket) {
  const { io, store, inst } = ctx;
  const { userId } = socket.data;
  const ext = { extension: true };

  on(ctx, socket, 'message:read', async (p, ack) => {
    requireObject(p);
    const ids = requireStringArray(p, 'messageIds');
    let count = 0;
    const at = Date.now();
    for (const id of ids) {
      const m = await store.getMessage(id);
      if (!m) continue;
      count += 1;
      if (m.userId === userId) continue; // own message
      const readAt = await store.markRead(m.id, userId, at);
      await store.markDelivered(m.id, userId, readAt);
      io.to(userRoom(m.userId)).emit('message:read', {
        messageId: m.id, clientMessageId: m.clientMessageId, roomName: m.roomName, userId, readAt: iso(readAt),
      });
    }
    ack?.({ success: true, data: { count } });
  }, ext);

  on(ctx, socket, 'delivery:status', async (p, ack) => {
    requireObject(p);
    const ids = requireStringArray(p, 'messageIds');
    const statuses = [];
    for (const id of ids) {
      const m = await store.getMessage(id);
      if (!m) {
        statuses.push({ messageId: id, clientMessageId: null, status: 'unknown', deliveredTo: [], readBy: [] });
        continue;
      }
      const { deliveredTo, readBy } = await store.receipts(m.id);
      const status = readBy.length ? 'read' : deliveredTo.length ? 'delivered' : 'sent';
      statuses.push({ messageId: m.id, clientMessageId: m.clientMessageId, status, deliveredTo, readBy });
    }
    ack?.({ success: true, data: { statuses } });
  }, ext);

  on(ctx, socket, 'message:edit', async (p, ack) => {
    requireObject(p);
    const messageId = requireString(p, 'messageId');
    if (typeof p.content !== 'string') throw new ApiError('INVALID_PAYLOAD', 'content must be a string', { field: 'content' });
    const editedAt = optionalTime(p, 'editedAt') ?? Date.now();
    const m = await store.getMessage(messageId);
    if (!m) throw new ApiError('NOT_FOUND', `message ${messageId} not found`, { messageId });
    Object.assign(m, { content: p.content, editedAt, editedBy: userId });
    await store.saveMessage(m);
    await store.touchRoom(m.roomName, editedAt);
    const message = wireMessage(m, true);
    ack?.({ success: true, data: { message } });
    socket.to(m.roomName).emit('message:updated', { message });
  }, ext);

  on(ctx, socket, 'sync:channels', async (p, ack) => {
    if (p !== undefined && p !== null) requireObject(p);
    const channels = [];
    for (const roomName of await store.roomsOfMember(userId)) {
      channels.push({ roomName, members: await store.members(roomName), lastMessageAt: iso(await store.lastMessageAt(roomName)) });
    }
    ack?.({ success: true, data: { channels, serverTime: iso(Date.now()) } });
  }, ext);

  on(ctx, socket, 'sync:messages', async (p, ack) => {
    requireObject(p);
    const roomName = requireString(p, 'roomName');
    const since = optionalTime(p, 'since') ?? 0;
    // nchat's `limit` (maxMessagesPerChannel): the newest that many.
    const limit = p.limit === undefined || p.limit === null ? Infinity : Number(p.limit);
    if (!(Number.isInteger(limit) || limit === Infinity) || limit < 0) throw invalid('limit must be a non-negative integer', 'limit');
    const missed = (await store.roomMessages(roomName))
      .filter((m) => m.timestamp > since || (m.editedAt !== undefined && m.editedAt > since));
    const messages = missed.slice(Math.max(0, missed.length - limit)).map((m) => wireMessage(m, true));
    ack?.({ success: true, data: { messages, serverTime: iso(Date.now()) } });
  }, ext);

  // Without an ack (nchat's way) the answer is a `presence:bulk` event in nchat's shape.
  on(ctx, socket, 'presence:subscribe', async (p, ack) => {
    requireObject(p);
    const ids = requireStringArray(p, 'userIds');
    socket.data.presenceSubs ??= new Set();
    for (const id of ids) socket.data.presenceSubs.add(id);
    if (!ack) {
      socket.emit('presence:bulk', { presences: await nchatPresences(store, ids) });
      return;
    }
    const presences = [];
    for (const id of ids) {
      const rec = await store.presenceGet(id);
      const out = { userId: id, status: rec?.status ?? 'offline', customStatus: rec?.customStatus ?? null, customEmoji: rec?.customEmoji ?? null };
      if (rec?.lastSeenAt) out.lastSeenAt = iso(rec.lastSeenAt);
      presences.push(out);
    }
    ack?.({ success: true, data: { presences } });
  }, ext);

  registerNchatHandlers(ctx, socket);

  // Benchmark baseline: acks with exactly the arguments it got, nothing else.
  socket.on('echo', (...args) => {
    const [, ack, rest] = splitArgs(args);
    if (inst.extensions && ack) ack(...rest);
  });
}
