// A new socket, as the real server handles it: an async step first (the real
// one awaits database writes), then presence:changed 'online' to every socket,
// then `connected`, and only then are the event handlers registered: events a
// client emits before `connected` are lost. No `authenticated`, no room restore.
import { iso, log, sleep } from './config.js';
import { registerExtensionHandlers } from './extensions.js';
import { isPatched } from './faults.js';
import { registerRealHandlers } from './handlers.js';
import { clearTypingOf, registerTypingHandlers } from './typing.js';
import { presenceChanged, userRoom } from './wire.js';

export function onConnection(ctx) {
  const { io, store, inst, config } = ctx;
  return async (socket) => {
    const { userId } = socket.data;
    inst.stats.connectionsTotal += 1;
    if (!isPatched(socket.conn)) console.error('warning: engine.io Socket patch not in effect');
    log('connect', socket.id, userId, socket.conn.transport.name);
    socket.join(userRoom(userId));

    // Registered at once (the real server registers it after the async step and so
    // misses a disconnect during it, leaving the user online for good).
    let counted = false;
    let gone = false;
    const goneAway = async (reason) => {
      log('disconnect', socket.id, userId, reason);
      const now = Date.now();
      const rec = await store.presenceDisconnect(userId, now);
      if ((rec?.connections ?? 0) > 0) return;
      if (inst.extensions) await clearTypingOf(ctx, userId);
      const payload = { userId, status: 'offline' };
      if (inst.extensions) payload.lastSeenAt = iso(now);
      io.emit('presence:changed', payload);
    };
    const safely = (reason) => inst.track(goneAway(reason).catch((e) => console.error('disconnect handling failed:', e)));
    socket.on('disconnect', (reason) => {
      gone = true;
      if (counted) void safely(reason);
    });

    try {
      await sleep(config.connectDelay);
      if (gone) return; // never counted: nothing to undo
      const rec = await store.presenceConnect(userId);
      counted = true;
      if (gone) { await safely('disconnect during connect'); return; }
      io.emit('presence:changed', presenceChanged(userId, rec));
      socket.emit('connected', { socketId: socket.id, serverTime: iso(Date.now()), protocolVersion: '1.0' });
      registerRealHandlers(ctx, socket);
      registerTypingHandlers(ctx, socket);
      registerExtensionHandlers(ctx, socket);
    } catch (e) {
      console.error('connection setup failed:', e);
      socket.disconnect(true);
    }
  };
}
