// The real server's events: rooms, message:send, presence:update, ping/pong.
// Typing is in typing.js; what the extensions add is in extensions.js.
import { iso } from './config.js';
import { sendExtended } from './extensions.js';
import {
  invalid, optionalString, optionalStringArray, presenceFields, requireObject, requireString,
} from './validate.js';
import { attachmentsOf, on, presenceChanged, ROOM_NOT_FOUND } from './wire.js';

/** The client puts clientMessageId top-level and in metadata; either counts. */
export function clientMessageIdOf(p) {
  if (!p || typeof p !== 'object') return undefined;
  if (typeof p.clientMessageId === 'string' && p.clientMessageId) return p.clientMessageId;
  const m = p.metadata;
  if (m && typeof m === 'object' && typeof m.clientMessageId === 'string' && m.clientMessageId) return m.clientMessageId;
  return undefined;
}

function messageFields(p) {
  requireObject(p);
  const roomName = requireString(p, 'roomName');
  if (typeof p.content !== 'string') throw invalid('content must be a string', 'content');
  const threadId = optionalString(p, 'threadId');
  if (p.metadata !== undefined && p.metadata !== null && (typeof p.metadata !== 'object' || Array.isArray(p.metadata))) {
    throw invalid('metadata must be an object', 'metadata');
  }
  optionalString(p, 'clientMessageId');
  const type = optionalString(p, 'type') ?? 'text';
  const mentions = optionalStringArray(p, 'mentions') ?? [];
  return { roomName, threadId, type, mentions };
}

export function registerRealHandlers(ctx, socket) {
  const { io, store, inst } = ctx;
  const { userId, userName } = socket.data;

  on(ctx, socket, 'room:join', async (p, ack) => {
    requireObject(p);
    const roomName = requireString(p, 'roomName');
    if (!(await store.hasRoom(roomName))) { ack?.(ROOM_NOT_FOUND); return; }
    await socket.join(roomName);
    await store.addMember(roomName, userId);
    const members = await store.members(roomName);
    const ext = inst.extensions;
    socket.to(roomName).emit('user:joined', ext ? { roomName, userId, userName } : { roomName, userId });
    const data = { roomName, memberCount: members.length };
    if (ext) data.members = members;
    ack?.({ success: true, data });
  }, { failure: 'Failed to join room' });

  on(ctx, socket, 'room:leave', async (p, ack) => {
    requireObject(p);
    const roomName = requireString(p, 'roomName');
    if (!(await store.hasRoom(roomName))) { ack?.(ROOM_NOT_FOUND); return; }
    await socket.leave(roomName);
    await store.removeMember(roomName, userId);
    const ext = inst.extensions;
    socket.to(roomName).emit('user:left', ext ? { roomName, userId, userName } : { roomName, userId });
    ack?.(ext ? { success: true, data: { roomName } } : { success: true });
  }, { failure: 'Failed to leave room' });

  on(ctx, socket, 'message:send', async (p, ack) => {
    const clientMessageId = clientMessageIdOf(p);
    if (clientMessageId) inst.sendCounts[clientMessageId] = (inst.sendCounts[clientMessageId] ?? 0) + 1;
    const f = messageFields(p);
    if (!(await store.hasRoom(f.roomName))) {
      ack?.(ROOM_NOT_FOUND);
      // Extension: nchat's `message:failed` to the sender, after the ack.
      if (inst.extensions && clientMessageId) {
        socket.emit('message:failed', { clientMessageId, errorCode: 'ROOM_NOT_FOUND', errorMessage: 'Room not found', retryable: false });
      }
      return;
    }
    if (inst.extensions) {
      await sendExtended(ctx, socket, p, { ...f, clientMessageId }, ack);
      return;
    }
    // The real server: no id, no de-duplication, the whole room (sender included) gets it.
    const timestamp = inst.nextTimestamp();
    const id = `m_${await store.nextMessageSeq()}`;
    inst.received.push({ id, clientMessageId: clientMessageId ?? null, roomName: f.roomName, userId, content: p.content, timestamp: iso(timestamp), ...attachmentsOf(p) });
    io.to(f.roomName).emit('message:new', {
      roomName: f.roomName, userId, content: p.content, threadId: p.threadId, timestamp: iso(timestamp), metadata: p.metadata,
    });
    ack?.({ success: true });
  }, { failure: 'Failed to send message' });

  // No ack, as on the real server; presence:changed goes to every socket, the sender's too.
  on(ctx, socket, 'presence:update', async (p) => {
    requireObject(p);
    const fields = presenceFields(p);
    const rec = await store.presenceUpdate(userId, fields, Date.now());
    io.emit('presence:changed', presenceChanged(userId, rec));
  });

  on(ctx, socket, 'ping', async () => {
    inst.stats.pingsAnswered += 1;
    socket.emit('pong', { timestamp: Date.now() });
  });

  // The real server computes Date.now() - data.timestamp and writes it to an INTEGER column.
  on(ctx, socket, 'pong', async (p) => {
    requireObject(p);
    if (typeof p.timestamp !== 'number' || !Number.isFinite(p.timestamp)) throw invalid('timestamp must be a number (ms)', 'timestamp');
    socket.data.latencyMs = Math.max(0, Math.round(Date.now() - p.timestamp));
  });
}
