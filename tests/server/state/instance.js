// State of this instance alone (never shared through Redis): counters for
// /stats, what /received reports, the extensions switch, the contract
// violations seen, and the local typing expiry timers.
import { log } from '../config.js';

const RECENT_VIOLATIONS = 50;

export function createInstance() {
  const inst = {
    extensions: true,
    stats: null,
    received: null, // [{id, clientMessageId, roomName, userId, content, timestamp}] in arrival order
    sendCounts: null, // clientMessageId -> every message:send carrying it
    dispatched: null, // [{userId, event, room, payload}]: the `dispatch` events received (GET /dispatched)
    violations: null, // the last RECENT_VIOLATIONS contract violations
    typingTimers: new Map(), // key -> timeout (extension: typing:event on expiry)
    pending: new Set(), // disconnect bookkeeping still running (shutdown waits for it)
    lastTimestamp: 0,
    startedAt: Date.now(),

    /** Strictly increasing ms timestamps, so `since` filters never lose a message. */
    nextTimestamp() {
      inst.lastTimestamp = Math.max(Date.now(), inst.lastTimestamp + 1);
      return inst.lastTimestamp;
    },

    /** Count a payload the real server would crash on or mishandle. */
    recordViolation(event, userId, message) {
      inst.stats.contractViolations += 1;
      inst.violations.push({ event, userId, message, at: new Date().toISOString() });
      if (inst.violations.length > RECENT_VIOLATIONS) inst.violations.shift();
      log('contract violation', event, userId, message);
    },

    /** Remember `promise` until it settles, for settle(). */
    track(promise) {
      inst.pending.add(promise);
      promise.finally(() => inst.pending.delete(promise));
      return promise;
    },

    async settle() {
      while (inst.pending.size) await Promise.allSettled([...inst.pending]);
    },

    clearTypingTimers() {
      for (const t of inst.typingTimers.values()) clearTimeout(t);
      inst.typingTimers.clear();
    },

    /** Back to the start-up state (the live sockets stay). */
    reset() {
      inst.extensions = true;
      inst.stats = {
        authAttempts: 0, authRejected: 0, connectionsTotal: 0, pingsAnswered: 0, contractViolations: 0,
      };
      inst.received = [];
      inst.sendCounts = Object.create(null);
      inst.dispatched = [];
      inst.violations = [];
      inst.clearTypingTimers();
    },
  };
  inst.reset();
  return inst;
}
