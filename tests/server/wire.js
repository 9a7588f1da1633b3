// What goes on the wire: payload shapes shared by several handlers, and the
// wrapper every event handler is registered through.
import { iso } from './config.js';
import { ApiError, errorBody, splitArgs } from './validate.js';

/** The internal Socket.IO room of a user's sockets (extension receipts go there). */
export const userRoom = (userId) => `\u0000user:${userId}`;

export const ROOM_NOT_FOUND = Object.freeze({ success: false, error: { code: 'ROOM_NOT_FOUND', message: 'Room not found' } });

/**
 * Register `fn(payload, ack, args)` for `event` on `socket`. An `extension`
 * handler does nothing while the extensions are off (the real server ignores
 * events it does not know). A thrown ApiError becomes an `error` event and a
 * failed ack; INVALID_PAYLOAD counts as a contract violation. Any other
 * error (e.g. Redis gone) fails the ack with INTERNAL_ERROR.
 */
export function on(ctx, socket, event, fn, { extension = false, failure } = {}) {
  socket.on(event, async (...args) => {
    const [payload, ack, rest] = splitArgs(args);
    if (extension && !ctx.inst.extensions) return;
    try {
      await fn(payload, ack, rest);
    } catch (e) {
      if (!(e instanceof ApiError)) {
        console.error(`handler ${event} failed:`, e);
        // `failure`: the real server's message for this event (e.g. 'Failed to join room')
        if (ack) ack({ success: false, error: { code: 'INTERNAL_ERROR', message: failure ?? String(e?.message || e) } });
        return;
      }
      const body = errorBody(event, e);
      if (e.code === 'INVALID_PAYLOAD') ctx.inst.recordViolation(event, socket.data.userId, e.message);
      socket.emit('error', body);
      if (ack) ack({ success: false, error: body });
    }
  });
}

/** `message:new` (and the extensions' message records): the real fields first, then the extension's. */
export function wireMessage(m, extensions) {
  const out = { roomName: m.roomName, userId: m.userId, content: m.content };
  if (m.threadId !== undefined) out.threadId = m.threadId;
  out.timestamp = iso(m.timestamp);
  if (m.metadata !== undefined) out.metadata = m.metadata;
  if (!extensions) return out;
  out.id = m.id;
  out.clientMessageId = m.clientMessageId;
  out.userName = m.userName;
  out.type = m.type;
  out.mentions = m.mentions;
  if (m.editedAt !== undefined) {
    out.editedAt = iso(m.editedAt);
    out.editedBy = m.editedBy;
  }
  return out;
}

/** `typing:event`: `threadId` is echoed as the client sent it (absent stays absent). */
export function typingPayload(roomName, threadId, rows, extensions) {
  const out = { roomName };
  if (threadId !== undefined) out.threadId = threadId;
  out.users = rows.map((r) => (extensions
    ? { userId: r.userId, startedAt: iso(r.startedAt), userName: r.userName, userAvatar: r.userAvatar ?? null }
    : { userId: r.userId, startedAt: iso(r.startedAt) }));
  return out;
}

/** `presence:changed` after a write: the real server sends status, text and emoji. */
export const presenceChanged = (userId, rec) => ({
  userId, status: rec.status, customStatus: rec.customStatus ?? null, customEmoji: rec.customEmoji ?? null,
});

/** nchat's `attachments` as sent (recorded for GET /received), when any. */
export function attachmentsOf(p) {
  return Array.isArray(p?.attachments) ? { attachments: p.attachments } : {};
}
