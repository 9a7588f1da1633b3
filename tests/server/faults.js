// Fault injection below Socket.IO: silence, latency, abrupt drops, raw frames and
// a realtime port that goes away and comes back (/restart).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { isGatewayRequest } from './auth.js';
import { HOST, log, sleep } from './config.js';

// The engine.io copy socket.io itself uses (resolved from socket.io's location).
const requireFromSocketIo = createRequire(fileURLToPath(import.meta.resolve('socket.io')));
const { Socket: EioSocket } = requireFromSocketIo('engine.io');

/**
 * Fault switches of this instance (`/faults`). The SSE backend's: `blockWebsocket`
 * (upgrades refused), `blockSse` (the stream answers 503), `sseReplay` (the next
 * resume replays that many events before its Last-Event-ID), `tokensExpiredAt`
 * (tokens issued at or before this ms are refused with TOKEN_EXPIRED; 0 = off).
 */
export const faults = {
  silenced: false, latencyMs: 0, rejectAuth: 0, blockWebsocket: false, blockSse: false, sseReplay: 0, tokensExpiredAt: 0,
};

/** The SSE gateway's own internal connections (they stand for SSE sessions, not for a client's link). */
const isGatewayConn = (conn) => isGatewayRequest(conn.request);

const P = EioSocket.prototype;
const origSendPacket = P.sendPacket;

/** True when the Engine.IO patches apply to this connection. */
export const isPatched = (conn) => Object.getPrototypeOf(conn) === P;

function runQueue(conn) {
  const q = conn.__lq;
  conn.__lt = null;
  if (!q || q.length === 0) return;
  const now = Date.now();
  while (q.length && q[0].due <= now) {
    const item = q.shift();
    if (faults.silenced || conn.readyState === 'closed') continue;
    try { item.fn(); } catch (e) { log('queued send failed', e); }
  }
  if (q.length) conn.__lt = setTimeout(runQueue, Math.max(0, q[0].due - Date.now()), conn);
}

/** Run fn now, or after the configured latency, keeping per-connection order. */
export function outbound(conn, fn) {
  if (faults.silenced) return;
  const q = conn.__lq;
  if (faults.latencyMs <= 0 && (!q || q.length === 0)) { fn(); return; }
  if (!conn.__lq) {
    conn.__lq = [];
    conn.once('close', () => { if (conn.__lt) clearTimeout(conn.__lt); conn.__lq = []; });
  }
  const last = conn.__lq.length ? conn.__lq[conn.__lq.length - 1].due : 0;
  const due = Math.max(Date.now() + faults.latencyMs, last);
  conn.__lq.push({ due, fn });
  if (!conn.__lt) conn.__lt = setTimeout(runQueue, Math.max(0, conn.__lq[0].due - Date.now()), conn);
}

P.sendPacket = function patchedSendPacket(type, data, options, callback) {
  if (faults.silenced) return; // dropped: the link looks dead
  outbound(this, () => origSendPacket.call(this, type, data, options, callback));
};

P.schedulePing = function patchedSchedulePing() {
  clearTimeout(this.pingIntervalTimer);
  this.pingIntervalTimer = setTimeout(() => {
    if (faults.silenced || this.readyState !== 'open') return;
    this.hasRefreshedPingTimeout = false;
    // the pong deadline starts when the ping actually leaves (after latency)
    outbound(this, () => {
      origSendPacket.call(this, 'ping');
      this.resetPingTimeout();
    });
  }, this.server.opts.pingInterval);
};

P.resetPingTimeout = function patchedResetPingTimeout() {
  clearTimeout(this.pingTimeoutTimer);
  if (faults.silenced) { this.pingTimeoutTimer = null; return; }
  this.pingTimeoutTimer = setTimeout(() => {
    if (this.readyState === 'closed') return;
    if (faults.silenced) { this.pingTimeoutTimer = null; return; }
    this.onClose('ping timeout');
  }, this.protocol === 3 ? this.server.opts.pingInterval + this.server.opts.pingTimeout : this.server.opts.pingTimeout);
};

/** Silence on: nothing leaves, nothing times out. Off: heartbeats restart. */
export function setSilence(io, on) {
  const was = faults.silenced;
  faults.silenced = !!on;
  const conns = Object.values(io.engine.clients);
  if (faults.silenced) {
    for (const c of conns) {
      clearTimeout(c.pingIntervalTimer);
      clearTimeout(c.pingTimeoutTimer);
      c.pingTimeoutTimer = null;
      if (c.__lq) c.__lq.length = 0;
    }
  } else if (was) {
    for (const c of conns) if (c.readyState === 'open') c.schedulePing();
  }
}

/**
 * Close every Engine.IO connection without a close frame or DISCONNECT packet.
 * `keepGateway`: leave the SSE gateway's internal ones (`/drop` cuts the SSE
 * streams instead, and the sessions stay for a resume, as a real SSE server's).
 */
export function dropAll(io, { keepGateway = false } = {}) {
  let n = 0;
  for (const conn of Object.values(io.engine.clients)) {
    if (keepGateway && isGatewayConn(conn)) continue;
    n += 1;
    if (conn.__lq) conn.__lq.length = 0;
    if (conn.transport?.name === 'websocket' && conn.transport.socket) {
      conn.transport.socket.terminate();
    } else {
      conn.close(true);
    }
  }
  return n;
}

/** Open websocket-transport connections (targets of /raw and /raw-binary). */
export function websocketConns(io) {
  return Object.values(io.engine.clients).filter((c) => c.readyState === 'open' && c.transport?.name === 'websocket' && !isGatewayConn(c));
}

/**
 * The realtime port: listen, and /restart (close everything, stop listening,
 * listen again on the same port). The Socket.IO server and its adapter stay
 * up, so with Redis the other instances keep working meanwhile.
 */
export function createListener({ httpServer, io, port }) {
  const tcpSockets = new Set();
  httpServer.on('connection', (s) => { tcpSockets.add(s); s.on('close', () => tcpSockets.delete(s)); });
  const st = { listening: false, port, restarting: null };

  function listen() {
    return new Promise((resolve, reject) => {
      const onErr = (e) => { httpServer.off('listening', onOk); reject(e); };
      const onOk = () => {
        httpServer.off('error', onErr);
        st.listening = true;
        st.port = httpServer.address().port;
        resolve(st.port);
      };
      httpServer.once('error', onErr);
      httpServer.once('listening', onOk);
      httpServer.listen(st.port, HOST);
    });
  }

  async function down() {
    if (!st.listening) return;
    st.listening = false;
    const closed = new Promise((r) => httpServer.close(() => r()));
    dropAll(io);
    for (const s of tcpSockets) s.destroy();
    await Promise.race([closed, sleep(2000)]);
  }

  async function restartOnce(downMs) {
    await down();
    await sleep(downMs);
    for (let i = 0; ; i += 1) {
      try { await listen(); return; } catch (e) {
        if (i >= 20) throw e;
        await sleep(100);
      }
    }
  }

  async function restart(downMs) {
    while (st.restarting) await st.restarting.catch(() => {});
    st.restarting = restartOnce(downMs);
    try { await st.restarting; } finally { st.restarting = null; }
  }

  /** Destroy every raw TCP socket of the realtime port (shutdown). */
  const destroyAll = () => { for (const s of tcpSockets) s.destroy(); };

  return { state: st, listen, restart, destroyAll };
}
