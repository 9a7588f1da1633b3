// typing:start / typing:stop as on the real server: no ack, the room must
// exist (else ignored), typing:event to the room's OTHER sockets, rows that
// expire TYPING_TIMEOUT_MS after their start without any event. Without a
// thread every start adds a row (the real unique key holds a NULL, which never
// conflicts), so a user can be listed more than once. The extensions add
// userName/userAvatar to the rows, a typing:event when a user's last row
// expires, and clearing a user's rows when their last socket goes.
import { requireObject, requireString, optionalString } from './validate.js';
import { on, typingPayload } from './wire.js';

const timerKey = (userId, roomName, threadKey) => `${userId}\u0000${roomName}\u0000${threadKey ?? ''}`;

export function registerTypingHandlers(ctx, socket) {
  const { io, store, inst, config } = ctx;
  const { userId, userName, avatar } = socket.data;

  function disarm(key) {
    clearTimeout(inst.typingTimers.get(key));
    inst.typingTimers.delete(key);
  }

  // Extension: tell the room once this user's rows have all expired.
  function arm(roomName, threadId, threadKey) {
    const key = timerKey(userId, roomName, threadKey);
    disarm(key);
    const t = setTimeout(async () => {
      if (inst.typingTimers.get(key) !== t) return;
      inst.typingTimers.delete(key);
      if (!inst.extensions) return;
      try {
        const rows = await store.typingUsers(roomName, threadKey, Date.now());
        if (rows.some((r) => r.userId === userId)) return; // refreshed elsewhere; its own timer tells
        io.to(roomName).except(socket.id).emit('typing:event', typingPayload(roomName, threadId, rows, true));
      } catch (e) {
        console.error('typing expiry failed:', e);
      }
    }, config.typingTimeout + 5);
    inst.typingTimers.set(key, t);
  }

  const handler = (start) => async (p) => {
    requireObject(p);
    const roomName = requireString(p, 'roomName');
    optionalString(p, 'threadId');
    if (!(await store.hasRoom(roomName))) return;
    const threadKey = p.threadId || null; // `threadId || null`, as the real server stores it
    const now = Date.now();
    if (start) {
      await store.typingStart(roomName, threadKey, { userId, userName, userAvatar: avatar }, now, config.typingTimeout);
    } else {
      await store.typingStop(roomName, threadKey, userId);
    }
    const rows = await store.typingUsers(roomName, threadKey, Date.now());
    socket.to(roomName).emit('typing:event', typingPayload(roomName, p.threadId, rows, inst.extensions));
    if (start) arm(roomName, p.threadId, threadKey);
    else disarm(timerKey(userId, roomName, threadKey));
  };

  on(ctx, socket, 'typing:start', handler(true));
  on(ctx, socket, 'typing:stop', handler(false));
}

/** Extension: when a user's last socket goes, clear their rows and tell each room. */
export async function clearTypingOf(ctx, userId) {
  const { io, store, inst } = ctx;
  for (const key of [...inst.typingTimers.keys()]) {
    if (key.startsWith(`${userId}\u0000`)) {
      clearTimeout(inst.typingTimers.get(key));
      inst.typingTimers.delete(key);
    }
  }
  const now = Date.now();
  for (const { roomName, threadId } of await store.typingClearUser(userId, now)) {
    const rows = await store.typingUsers(roomName, threadId, now);
    io.to(roomName).emit('typing:event', typingPayload(roomName, threadId ?? undefined, rows, true));
  }
}
