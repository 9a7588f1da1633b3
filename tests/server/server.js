// Socket.IO test/development server for chat-realtime, with a fault-control HTTP API.
// See README.md in this folder for the full contract.
import http from 'node:http';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import { WebSocketServer } from 'ws';

// The engine.io instance socket.io itself uses (resolved from socket.io's location).
const requireFromSocketIo = createRequire(fileURLToPath(import.meta.resolve('socket.io')));
const { Socket: EioSocket } = requireFromSocketIo('engine.io');

// ---------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------
function envInt(name, def) {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`invalid ${name}=${v}, using ${def}`);
    return def;
  }
  return Math.floor(n);
}

const HOST = '127.0.0.1';
const CONFIG = {
  realtimePort: envInt('REALTIME_PORT', 3101),
  controlPort: envInt('CONTROL_PORT', 3102),
  jwtSecret: process.env.JWT_SECRET || 'dev-secret',
  pingInterval: envInt('PING_INTERVAL_MS', 25000),
  pingTimeout: envInt('PING_TIMEOUT_MS', 20000),
  maxPayload: envInt('MAX_PAYLOAD', 1000000),
  typingTimeout: envInt('TYPING_TIMEOUT_MS', 3000),
};
const VERBOSE = process.env.LOG === '1' || process.env.LOG === 'true';
const log = (...a) => { if (VERBOSE) console.log(new Date().toISOString(), ...a); };
const PROTOCOL_VERSION = 5;
const PRESENCE_STATUSES = ['online', 'away', 'busy', 'offline'];

// ---------------------------------------------------------------------------
// JWT HS256 (node:crypto, no dependency)
// ---------------------------------------------------------------------------
const b64url = (buf) => Buffer.from(buf).toString('base64url');

function signJwt(claims, secret) {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${sig}`;
}

class AuthError extends Error {
  constructor(message, code) {
    super(message);
    this.data = { code };
  }
}

function verifyJwt(token, secret) {
  if (typeof token !== 'string' || token.length === 0) throw new AuthError('missing token', 'MISSING_TOKEN');
  const parts = token.split('.');
  if (parts.length !== 3) throw new AuthError('invalid token', 'INVALID_TOKEN');
  let header;
  let claims;
  try {
    header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    throw new AuthError('invalid token', 'INVALID_TOKEN');
  }
  if (!header || header.alg !== 'HS256') throw new AuthError('invalid token', 'INVALID_TOKEN');
  const expected = crypto.createHmac('sha256', secret).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) {
    throw new AuthError('invalid token', 'INVALID_TOKEN');
  }
  if (!claims || typeof claims !== 'object') throw new AuthError('invalid token', 'INVALID_TOKEN');
  const nowSec = Date.now() / 1000;
  if (typeof claims.exp === 'number' && nowSec >= claims.exp) throw new AuthError('token expired', 'TOKEN_EXPIRED');
  if (typeof claims.nbf === 'number' && nowSec < claims.nbf) throw new AuthError('invalid token', 'INVALID_TOKEN');
  if (typeof claims.sub !== 'string' || claims.sub.length === 0) throw new AuthError('invalid token', 'INVALID_TOKEN');
  return claims;
}

// ---------------------------------------------------------------------------
// State
// ---------------------------------------------------------------------------
const startedAt = Date.now();
let messageSeq = 0; // monotonic over the server lifetime (not reset)
let lastTimestamp = 0;
/** strictly increasing ms timestamps, so `since` filters never lose a message */
function nextTimestamp() {
  lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
  return lastTimestamp;
}

const faults = { silenced: false, latencyMs: 0, rejectAuth: 0 };

function freshState() {
  return {
    messages: [], // in arrival order (unique)
    byId: new Map(), // server id -> record
    byClientId: new Map(), // clientMessageId -> record
    sendCounts: Object.create(null),
    rooms: new Map(), // roomName -> { members:Set<userId>, lastMessageAt:number|null }
    presence: new Map(), // userId -> { status, customStatus?, lastSeenAt? }
    typing: new Map(), // key -> { roomName, threadId, users: Map<userId, {userId,userName,userAvatar,startedAt,timer}> }
    stats: { authAttempts: 0, authRejected: 0, connectionsTotal: 0, pingsAnswered: 0 },
  };
}
let state = freshState();
const userSockets = new Map(); // userId -> Set<socketId> (live, survives /reset)

const roomKey = (roomName) => `r:${roomName}`;
const userKey = (userId) => `u:${userId}`;

function getRoom(roomName, create) {
  let room = state.rooms.get(roomName);
  if (!room && create) {
    room = { members: new Set(), lastMessageAt: null };
    state.rooms.set(roomName, room);
  }
  return room;
}

function roomsOfUser(userId) {
  const out = [];
  for (const [name, room] of state.rooms) if (room.members.has(userId)) out.push(name);
  return out;
}

function presenceOf(userId) {
  const p = state.presence.get(userId);
  const online = (userSockets.get(userId)?.size ?? 0) > 0;
  const out = { userId, status: p ? p.status : online ? 'online' : 'offline' };
  if (p && p.customStatus !== undefined) out.customStatus = p.customStatus;
  if (p && p.lastSeenAt !== undefined) out.lastSeenAt = p.lastSeenAt;
  return out;
}

function findMessage(idOrClientId) {
  if (typeof idOrClientId !== 'string') return undefined;
  return state.byId.get(idOrClientId) || state.byClientId.get(idOrClientId);
}

function deliveryStatus(rec) {
  if (rec.readBy.size > 0) return 'read';
  if (rec.deliveredTo.size > 0) return 'delivered';
  return 'sent';
}

// ---------------------------------------------------------------------------
// Engine.IO patches: latency queue, silence (drop everything, no ping timeout)
// ---------------------------------------------------------------------------
const P = EioSocket.prototype;
const origSendPacket = P.sendPacket;

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

/** Run fn now, or after the configured latency, preserving per-connection order. */
function outbound(conn, fn) {
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
  if (faults.silenced) return; // drop: the link looks dead
  outbound(this, () => origSendPacket.call(this, type, data, options, callback));
};

P.schedulePing = function patchedSchedulePing() {
  clearTimeout(this.pingIntervalTimer);
  this.pingIntervalTimer = setTimeout(() => {
    if (faults.silenced || this.readyState !== 'open') return;
    this.hasRefreshedPingTimeout = false;
    // start the pong deadline when the ping actually leaves (after latency)
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

function setSilence(on) {
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

// ---------------------------------------------------------------------------
// HTTP server + Socket.IO
// ---------------------------------------------------------------------------
function corsHeaders(req) {
  return {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || 'Content-Type',
    'Access-Control-Allow-Private-Network': 'true',
    'Access-Control-Max-Age': '600',
  };
}

function sendJson(req, res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...corsHeaders(req), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const httpServer = http.createServer((req, res) => {
  if (req.method === 'OPTIONS') { res.writeHead(204, corsHeaders(req)); res.end(); return; }
  const url = new URL(req.url, 'http://localhost');
  if (url.pathname === '/health' && req.method === 'GET') {
    sendJson(req, res, 200, {
      status: 'healthy',
      timestamp: Date.now(),
      connections: io.of('/').sockets.size,
      uptime: Math.round((Date.now() - startedAt) / 1000),
    });
    return;
  }
  sendJson(req, res, 404, { error: 'not found' });
});
// Raw WebSocket echo on /echo (benchmark baseline): every message goes back as is.
const echoServer = new WebSocketServer({ noServer: true, maxPayload: CONFIG.maxPayload });
echoServer.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
httpServer.on('upgrade', (req, socket, head) => {
  if (new URL(req.url, 'http://localhost').pathname !== '/echo') return; // engine.io handles the rest
  echoServer.handleUpgrade(req, socket, head, (ws) => echoServer.emit('connection', ws, req));
});

const tcpSockets = new Set();
httpServer.on('connection', (s) => { tcpSockets.add(s); s.on('close', () => tcpSockets.delete(s)); });
httpServer.keepAliveTimeout = 5000;

const io = new Server(httpServer, {
  path: '/socket.io',
  serveClient: false,
  transports: ['polling', 'websocket'],
  pingInterval: CONFIG.pingInterval,
  pingTimeout: CONFIG.pingTimeout,
  maxHttpBufferSize: CONFIG.maxPayload,
  cors: { origin: true, credentials: true },
});

// --- auth middleware -------------------------------------------------------
io.use((socket, next) => {
  state.stats.authAttempts += 1;
  const reject = (err) => { state.stats.authRejected += 1; log('auth rejected', err.message); next(err); };
  if (faults.rejectAuth > 0) {
    faults.rejectAuth -= 1;
    reject(new AuthError('authentication rejected', 'AUTH_REJECTED'));
    return;
  }
  const auth = socket.handshake.auth || {};
  const token = auth.token ?? socket.handshake.query?.token;
  let claims;
  try {
    claims = verifyJwt(token, CONFIG.jwtSecret);
  } catch (e) {
    reject(e instanceof AuthError ? e : new AuthError('invalid token', 'INVALID_TOKEN'));
    return;
  }
  const device = auth.device && typeof auth.device === 'object' ? {
    type: auth.device.type, os: auth.device.os, browser: auth.device.browser,
  } : null;
  socket.data.userId = claims.sub;
  socket.data.userName = typeof claims.name === 'string' ? claims.name : claims.sub;
  socket.data.avatar = typeof claims.avatar === 'string' ? claims.avatar : null;
  socket.data.device = device;
  socket.data.sessionId = crypto.randomUUID();
  next();
});

// --- helpers for event handlers --------------------------------------------
class ApiError extends Error {
  constructor(code, message, details) {
    super(message);
    this.code = code;
    this.details = details;
  }
}
const invalid = (message, details) => new ApiError('INVALID_PAYLOAD', message, details);

function requireObject(p) {
  if (!p || typeof p !== 'object' || Array.isArray(p)) throw invalid('payload must be an object');
  return p;
}
function requireString(p, field) {
  const v = p[field];
  if (typeof v !== 'string' || v.length === 0) throw invalid(`${field} must be a non-empty string`, { field });
  return v;
}
function optionalString(p, field) {
  const v = p[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be a string`, { field });
  return v;
}
// customStatus is `{text?, emoji?, expiresAt?}` (seed contract); a plain
// string from older clients is kept as is; null clears it.
function optionalCustomStatus(p) {
  const v = p.customStatus;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v !== 'object' || Array.isArray(v)) throw invalid('customStatus must be an object {text?, emoji?, expiresAt?}', { field: 'customStatus' });
  for (const k of ['text', 'emoji']) {
    if (v[k] !== undefined && v[k] !== null && typeof v[k] !== 'string') throw invalid(`customStatus.${k} must be a string`, { field: 'customStatus' });
  }
  const out = {};
  if (typeof v.text === 'string') out.text = v.text;
  if (typeof v.emoji === 'string') out.emoji = v.emoji;
  if (v.expiresAt !== undefined && v.expiresAt !== null) out.expiresAt = v.expiresAt;
  return out;
}
function requireStringArray(p, field) {
  const v = p[field];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw invalid(`${field} must be an array of strings`, { field });
  return v;
}

/** Register a handler; it gets (payload, reply, ack). Errors become `error` event + failed ack. */
function handle(socket, event, fn) {
  socket.on(event, (...args) => {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    const reply = (data) => { if (ack) ack(data === undefined ? { success: true } : { success: true, data }); };
    try {
      fn(args[0], reply, ack);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError('INTERNAL_ERROR', String(e?.message || e));
      if (!(e instanceof ApiError)) console.error(`handler ${event} failed:`, e);
      const body = { code: err.code, message: err.message };
      if (err.details !== undefined) body.details = { event, ...err.details };
      else body.details = { event };
      socket.emit('error', body);
      if (ack) ack({ success: false, error: body });
    }
  });
}

function joinRoom(socket, roomName) {
  const { userId } = socket.data;
  const room = getRoom(roomName, true);
  room.members.add(userId);
  // every socket of the user is in the room
  io.in(userKey(userId)).socketsJoin(roomKey(roomName));
  return room;
}

// --- typing ------------------------------------------------------------------
const typingKey = (roomName, threadId) => `${roomName}\u0000${threadId ?? ''}`;

function typingPayload(entry) {
  const out = { roomName: entry.roomName };
  if (entry.threadId !== undefined) out.threadId = entry.threadId;
  out.users = [...entry.users.values()].map(({ userId, userName, userAvatar, startedAt: s }) => ({ userId, userName, userAvatar, startedAt: s }));
  return out;
}

function emitTyping(entry, extraSocketId) {
  let target = io.to(roomKey(entry.roomName));
  if (extraSocketId) target = target.to(extraSocketId);
  target.emit('typing:event', typingPayload(entry));
}

function typingStop(userId, roomName, threadId, socketId) {
  const key = typingKey(roomName, threadId);
  const entry = state.typing.get(key);
  if (!entry) return false;
  const u = entry.users.get(userId);
  if (!u) return false;
  clearTimeout(u.timer);
  entry.users.delete(userId);
  emitTyping(entry, socketId);
  if (entry.users.size === 0) state.typing.delete(key);
  return true;
}

function clearTypingState() {
  for (const entry of state.typing.values()) for (const u of entry.users.values()) clearTimeout(u.timer);
  state.typing.clear();
}

// --- connection ----------------------------------------------------------------
io.on('connection', (socket) => {
  const { userId, userName, avatar } = socket.data;
  state.stats.connectionsTotal += 1;
  if (Object.getPrototypeOf(socket.conn) !== P) console.error('warning: engine.io Socket patch not in effect');
  log('connect', socket.id, userId, socket.conn.transport.name);

  socket.join(userKey(userId));
  let set = userSockets.get(userId);
  const firstSocket = !set || set.size === 0;
  if (!set) { set = new Set(); userSockets.set(userId, set); }
  set.add(socket.id);

  const rooms = roomsOfUser(userId);
  for (const r of rooms) socket.join(roomKey(r));

  if (firstSocket) {
    const p = state.presence.get(userId) || {};
    p.status = 'online';
    delete p.lastSeenAt;
    state.presence.set(userId, p);
    socket.broadcast.emit('presence:changed', { userId, status: 'online' });
  }

  socket.emit('connected', { socketId: socket.id, serverTime: Date.now(), protocolVersion: PROTOCOL_VERSION });
  socket.emit('authenticated', { userId, sessionId: socket.data.sessionId, rooms });

  handle(socket, 'room:join', (p, reply) => {
    requireObject(p);
    const roomName = requireString(p, 'roomName');
    const room = joinRoom(socket, roomName);
    reply({ roomName, members: [...room.members] });
    socket.to(roomKey(roomName)).emit('user:joined', { roomName, userId, userName });
  });

  handle(socket, 'room:leave', (p, reply) => {
    requireObject(p);
    const roomName = requireString(p, 'roomName');
    const room = getRoom(roomName, false);
    if (room) room.members.delete(userId);
    // tell the room (including the user's other sockets) before removing them
    socket.to(roomKey(roomName)).emit('user:left', { roomName, userId, userName });
    io.in(userKey(userId)).socketsLeave(roomKey(roomName));
    reply({ roomName });
  });

  handle(socket, 'message:send', (p, reply, ack) => {
    requireObject(p);
    if (typeof p.clientMessageId === 'string' && p.clientMessageId.length > 0) {
      state.sendCounts[p.clientMessageId] = (state.sendCounts[p.clientMessageId] || 0) + 1;
    }
    const roomName = requireString(p, 'roomName');
    if (typeof p.content !== 'string') throw invalid('content must be a string', { field: 'content' });
    const clientMessageId = requireString(p, 'clientMessageId');
    const threadId = optionalString(p, 'threadId');
    const type = optionalString(p, 'type') ?? 'text';
    if (p.mentions !== undefined && p.mentions !== null && !(Array.isArray(p.mentions) && p.mentions.every((x) => typeof x === 'string'))) {
      throw invalid('mentions must be an array of strings', { field: 'mentions' });
    }

    const existing = state.byClientId.get(clientMessageId);
    if (existing) {
      const m = existing.message;
      if (ack) ack({ success: true, data: { id: m.id, clientMessageId, roomName: m.roomName, timestamp: m.timestamp, duplicate: true } });
      return;
    }

    const room = getRoom(roomName, false);
    if (!room || !room.members.has(userId)) joinRoom(socket, roomName);
    const timestamp = nextTimestamp();
    messageSeq += 1;
    const message = {
      id: `m_${messageSeq}`,
      clientMessageId,
      roomName,
      userId,
      userName,
      content: p.content,
      ...(threadId !== undefined ? { threadId } : {}),
      type,
      mentions: Array.isArray(p.mentions) ? [...p.mentions] : [],
      timestamp,
    };
    const rec = { message, deliveredTo: new Map(), readBy: new Map() };
    state.messages.push(rec);
    state.byId.set(message.id, rec);
    state.byClientId.set(clientMessageId, rec);
    getRoom(roomName, true).lastMessageAt = timestamp;

    if (ack) ack({ success: true, data: { id: message.id, clientMessageId, roomName, timestamp, duplicate: false } });
    socket.to(roomKey(roomName)).emit('message:new', message);

    // delivery receipts: every other user with a live socket in the room
    const recipients = new Set();
    for (const sid of io.of('/').adapter.rooms.get(roomKey(roomName)) || []) {
      const s = io.of('/').sockets.get(sid);
      if (s && s.data.userId !== userId) recipients.add(s.data.userId);
    }
    const deliveredAt = Date.now();
    for (const r of recipients) {
      rec.deliveredTo.set(r, deliveredAt);
      io.to(userKey(userId)).emit('message:delivered', {
        messageId: message.id, clientMessageId, roomName, userId: r, deliveredAt,
      });
    }
  });

  handle(socket, 'message:read', (p, reply) => {
    requireObject(p);
    const ids = requireStringArray(p, 'messageIds');
    let count = 0;
    for (const id of ids) {
      const rec = findMessage(id);
      if (!rec) continue;
      count += 1;
      const m = rec.message;
      if (m.userId === userId) continue; // own message
      if (!rec.readBy.has(userId)) rec.readBy.set(userId, Date.now());
      if (!rec.deliveredTo.has(userId)) rec.deliveredTo.set(userId, rec.readBy.get(userId));
      io.to(userKey(m.userId)).emit('message:read', {
        messageId: m.id, clientMessageId: m.clientMessageId, roomName: m.roomName, userId, readAt: rec.readBy.get(userId),
      });
    }
    reply({ count });
  });

  handle(socket, 'delivery:status', (p, reply) => {
    requireObject(p);
    const ids = requireStringArray(p, 'messageIds');
    const statuses = ids.map((id) => {
      const rec = findMessage(id);
      if (!rec) return { messageId: id, clientMessageId: null, status: 'unknown', deliveredTo: [], readBy: [] };
      return {
        messageId: rec.message.id,
        clientMessageId: rec.message.clientMessageId,
        status: deliveryStatus(rec),
        deliveredTo: [...rec.deliveredTo.keys()],
        readBy: [...rec.readBy.keys()],
      };
    });
    reply({ statuses });
  });

  handle(socket, 'message:edit', (p, reply) => {
    requireObject(p);
    const messageId = requireString(p, 'messageId');
    if (typeof p.content !== 'string') throw invalid('content must be a string', { field: 'content' });
    const rec = findMessage(messageId);
    if (!rec) throw new ApiError('NOT_FOUND', `message ${messageId} not found`, { messageId });
    const m = rec.message;
    m.content = p.content;
    m.editedAt = typeof p.editedAt === 'number' && Number.isFinite(p.editedAt) ? p.editedAt : Date.now();
    m.editedBy = userId;
    const room = getRoom(m.roomName, true);
    room.lastMessageAt = Math.max(room.lastMessageAt ?? 0, m.editedAt);
    reply({ message: m });
    socket.to(roomKey(m.roomName)).emit('message:updated', { message: m });
  });

  handle(socket, 'sync:channels', (p, reply) => {
    if (p !== undefined && p !== null) requireObject(p);
    const channels = roomsOfUser(userId).map((roomName) => {
      const room = state.rooms.get(roomName);
      return { roomName, members: [...room.members], lastMessageAt: room.lastMessageAt };
    });
    reply({ channels, serverTime: Date.now() });
  });

  handle(socket, 'sync:messages', (p, reply) => {
    requireObject(p);
    const roomName = requireString(p, 'roomName');
    const since = p.since === undefined || p.since === null ? 0 : Number(p.since);
    if (!Number.isFinite(since)) throw invalid('since must be a number (ms)', { field: 'since' });
    const messages = state.messages
      .map((r) => r.message)
      .filter((m) => m.roomName === roomName && (m.timestamp > since || (m.editedAt !== undefined && m.editedAt > since)));
    reply({ messages, serverTime: Date.now() });
  });

  handle(socket, 'presence:subscribe', (p, reply) => {
    requireObject(p);
    const ids = requireStringArray(p, 'userIds');
    reply({ presences: ids.map(presenceOf) });
  });

  handle(socket, 'presence:update', (p, reply) => {
    requireObject(p);
    const status = p.status;
    if (!PRESENCE_STATUSES.includes(status)) {
      throw invalid(`status must be one of ${PRESENCE_STATUSES.join('|')}`, { field: 'status' });
    }
    const customStatus = optionalCustomStatus(p);
    const rec = state.presence.get(userId) || {};
    rec.status = status;
    if (customStatus !== undefined) rec.customStatus = customStatus;
    else if (p.customStatus === null) delete rec.customStatus;
    if (status === 'offline') rec.lastSeenAt = Date.now();
    else delete rec.lastSeenAt;
    state.presence.set(userId, rec);
    socket.broadcast.emit('presence:changed', presenceOf(userId));
    reply();
  });

  const onTyping = (start) => (p, reply) => {
    requireObject(p);
    const roomName = requireString(p, 'roomName');
    const threadId = optionalString(p, 'threadId');
    if (!start) {
      if (!typingStop(userId, roomName, threadId, socket.id)) {
        // not typing: still tell the caller the current state
        const entry = state.typing.get(typingKey(roomName, threadId)) || { roomName, threadId, users: new Map() };
        socket.emit('typing:event', typingPayload(entry));
      }
      reply();
      return;
    }
    const key = typingKey(roomName, threadId);
    let entry = state.typing.get(key);
    if (!entry) { entry = { roomName, threadId, users: new Map() }; state.typing.set(key, entry); }
    let u = entry.users.get(userId);
    if (u) clearTimeout(u.timer);
    else {
      u = { userId, userName, userAvatar: avatar, startedAt: Date.now(), timer: null };
      entry.users.set(userId, u);
    }
    u.timer = setTimeout(() => typingStop(userId, roomName, threadId), CONFIG.typingTimeout);
    emitTyping(entry, socket.id);
    reply();
  };
  handle(socket, 'typing:start', onTyping(true));
  handle(socket, 'typing:stop', onTyping(false));

  // Benchmark baseline: acks with exactly the arguments it got, nothing else.
  socket.on('echo', (...args) => {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    if (ack) ack(...args);
  });

  socket.on('ping', (...args) => {
    const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    const timestamp = Date.now();
    state.stats.pingsAnswered += 1;
    socket.emit('pong', { timestamp });
    if (ack) ack({ timestamp });
  });

  socket.on('disconnect', (reason) => {
    log('disconnect', socket.id, userId, reason);
    const s = userSockets.get(userId);
    if (s) s.delete(socket.id);
    if (!s || s.size === 0) {
      userSockets.delete(userId);
      for (const entry of [...state.typing.values()]) {
        if (entry.users.has(userId)) typingStop(userId, entry.roomName, entry.threadId);
      }
      const lastSeenAt = Date.now();
      const p = state.presence.get(userId) || {};
      p.status = 'offline';
      p.lastSeenAt = lastSeenAt;
      state.presence.set(userId, p);
      io.emit('presence:changed', { userId, status: 'offline', lastSeenAt });
    }
  });
});

// ---------------------------------------------------------------------------
// Fault control
// ---------------------------------------------------------------------------
function dropAll() {
  let n = 0;
  for (const conn of Object.values(io.engine.clients)) {
    n += 1;
    if (conn.__lq) conn.__lq.length = 0;
    if (conn.transport?.name === 'websocket' && conn.transport.socket) {
      conn.transport.socket.terminate(); // no close frame, no DISCONNECT packet
    } else {
      conn.close(true);
    }
  }
  return n;
}

let realtimeListening = false;
let realtimePort = CONFIG.realtimePort;

function listenRealtime() {
  return new Promise((resolve, reject) => {
    const onErr = (e) => { httpServer.off('listening', onOk); reject(e); };
    const onOk = () => {
      httpServer.off('error', onErr);
      realtimeListening = true;
      realtimePort = httpServer.address().port;
      resolve(realtimePort);
    };
    httpServer.once('error', onErr);
    httpServer.once('listening', onOk);
    httpServer.listen(realtimePort, HOST);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let restarting = null;

async function restartRealtime(downMs) {
  if (realtimeListening) {
    realtimeListening = false;
    const closed = new Promise((r) => httpServer.close(() => r()));
    dropAll();
    for (const s of tcpSockets) s.destroy();
    await Promise.race([closed, sleep(2000)]);
  }
  await sleep(downMs);
  // bind may briefly fail right after close; retry a few times
  for (let i = 0; ; i += 1) {
    try { await listenRealtime(); break; } catch (e) {
      if (i >= 20) throw e;
      await sleep(100);
    }
  }
}

function readBody(req, limit = 10 * 1024 * 1024) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { reject(new Error('body too large')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) { resolve({}); return; }
      try { resolve(JSON.parse(text)); } catch { reject(new Error('invalid JSON body')); }
    });
    req.on('error', reject);
  });
}

function websocketConns() {
  return Object.values(io.engine.clients).filter((c) => c.readyState === 'open' && c.transport?.name === 'websocket');
}

function resetAll() {
  clearTypingState();
  for (const name of state.rooms.keys()) io.socketsLeave(roomKey(name));
  state = freshState();
  setSilence(false);
  faults.latencyMs = 0;
  faults.rejectAuth = 0;
}

const routes = {
  'GET /health': () => ({ ok: true }),
  'GET /token': (_req, url) => {
    const q = url.searchParams;
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = q.has('expiresIn') ? Number(q.get('expiresIn')) : 3600;
    if (!Number.isFinite(expiresIn)) throw Object.assign(new Error('expiresIn must be a number'), { status: 400 });
    const claims = { sub: q.get('sub') || 'user', iat: now, exp: now + Math.floor(expiresIn) };
    if (q.get('name')) claims.name = q.get('name');
    if (q.get('avatar')) claims.avatar = q.get('avatar');
    const bad = q.get('bad') === '1' || q.get('bad') === 'true';
    return { token: signJwt(claims, bad ? `${CONFIG.jwtSecret}-wrong` : CONFIG.jwtSecret) };
  },
  'POST /drop': () => ({ ok: true, dropped: dropAll() }),
  'POST /silence': (_req, _url, body) => {
    setSilence(body.on === undefined ? true : !!body.on);
    return { ok: true, silenced: faults.silenced };
  },
  'POST /latency': (_req, _url, body) => {
    const ms = Number(body.ms ?? 0);
    if (!Number.isFinite(ms) || ms < 0) throw Object.assign(new Error('ms must be a number >= 0'), { status: 400 });
    faults.latencyMs = Math.floor(ms);
    return { ok: true, latencyMs: faults.latencyMs };
  },
  'POST /restart': async (_req, _url, body) => {
    const downMs = body.downMs === undefined ? 1000 : Number(body.downMs);
    if (!Number.isFinite(downMs) || downMs < 0) throw Object.assign(new Error('downMs must be a number >= 0'), { status: 400 });
    if (restarting) await restarting;
    restarting = restartRealtime(downMs);
    try { await restarting; } finally { restarting = null; }
    return { ok: true, downMs, port: realtimePort };
  },
  'POST /reject-auth': (_req, _url, body) => {
    const count = body.count === undefined ? 1 : Number(body.count);
    if (!Number.isFinite(count) || count < 0) throw Object.assign(new Error('count must be a number >= 0'), { status: 400 });
    faults.rejectAuth = Math.floor(count);
    return { ok: true, pending: faults.rejectAuth };
  },
  'POST /raw': (_req, _url, body) => {
    if (typeof body.frame !== 'string') throw Object.assign(new Error('frame must be a string'), { status: 400 });
    const conns = websocketConns();
    for (const c of conns) outbound(c, () => c.transport.socket.send(body.frame, { binary: false }));
    return { ok: true, sent: faults.silenced ? 0 : conns.length };
  },
  'POST /raw-binary': (_req, _url, body) => {
    if (!Array.isArray(body.bytes) || !body.bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
      throw Object.assign(new Error('bytes must be an array of integers 0..255'), { status: 400 });
    }
    const buf = Buffer.from(body.bytes);
    const conns = websocketConns();
    for (const c of conns) outbound(c, () => c.transport.socket.send(buf, { binary: true }));
    return { ok: true, sent: faults.silenced ? 0 : conns.length };
  },
  'POST /emit': (_req, _url, body) => {
    if (typeof body.event !== 'string' || !body.event) throw Object.assign(new Error('event must be a non-empty string'), { status: 400 });
    const count = body.count === undefined ? 1 : Number(body.count);
    if (!Number.isInteger(count) || count < 0 || count > 10_000_000) throw Object.assign(new Error('count must be an integer >= 0'), { status: 400 });
    const target = typeof body.roomName === 'string' ? io.to(roomKey(body.roomName)) : io;
    const sequence = !!body.sequence;
    const started = Date.now();
    for (let i = 0; i < count; i += 1) {
      if (sequence) {
        const base = body.data && typeof body.data === 'object' && !Array.isArray(body.data) ? body.data : { value: body.data };
        target.emit(body.event, { ...base, seq: i });
      } else if (body.data === undefined) target.emit(body.event);
      else target.emit(body.event, body.data);
    }
    return { ok: true, sockets: io.of('/').sockets.size, count, elapsedMs: Date.now() - started };
  },
  'POST /disconnect': (_req, _url, body) => {
    let n = 0;
    for (const s of io.of('/').sockets.values()) {
      if (body.userId === undefined || s.data.userId === body.userId) { s.disconnect(true); n += 1; }
    }
    return { ok: true, disconnected: n };
  },
  'GET /received': () => ({
    messages: state.messages.map(({ message: m }) => ({
      id: m.id, clientMessageId: m.clientMessageId, roomName: m.roomName, userId: m.userId, content: m.content, timestamp: m.timestamp,
    })),
    sendCounts: { ...state.sendCounts },
  }),
  'GET /stats': () => ({
    authAttempts: state.stats.authAttempts,
    authRejected: state.stats.authRejected,
    connections: io.of('/').sockets.size,
    connectionsTotal: state.stats.connectionsTotal,
    pingsAnswered: state.stats.pingsAnswered,
  }),
  'GET /connections': () => ({
    connections: [...io.of('/').sockets.values()].map((s) => ({
      socketId: s.id,
      userId: s.data.userId,
      sessionId: s.data.sessionId,
      transport: s.conn.transport?.name,
      device: s.data.device,
      rooms: [...s.rooms].filter((r) => r.startsWith('r:')).map((r) => r.slice(2)),
    })),
  }),
  'GET /faults': () => ({ silenced: faults.silenced, latencyMs: faults.latencyMs, rejectAuth: faults.rejectAuth, listening: realtimeListening }),
  'POST /reset': () => { resetAll(); return { ok: true }; },
};

const controlServer = http.createServer(async (req, res) => {
  if (req.method === 'OPTIONS') { res.writeHead(204, corsHeaders(req)); res.end(); return; }
  const url = new URL(req.url, 'http://localhost');
  const route = routes[`${req.method} ${url.pathname}`];
  if (!route) {
    sendJson(req, res, 404, { error: `no route ${req.method} ${url.pathname}` });
    return;
  }
  try {
    const body = req.method === 'POST' ? await readBody(req) : {};
    const result = await route(req, url, body && typeof body === 'object' ? body : {});
    log('control', req.method, url.pathname, JSON.stringify(body));
    sendJson(req, res, 200, result);
  } catch (e) {
    sendJson(req, res, e.status || 400, { error: String(e.message || e) });
  }
});

// ---------------------------------------------------------------------------
// Start / stop
// ---------------------------------------------------------------------------
async function main() {
  await listenRealtime();
  await new Promise((resolve, reject) => {
    controlServer.once('error', reject);
    controlServer.listen(CONFIG.controlPort, HOST, resolve);
  });
  console.log(`READY realtime=${realtimePort} control=${controlServer.address().port}`);
}

let stopping = false;
function shutdown(sig) {
  if (stopping) return;
  stopping = true;
  log('shutdown on', sig);
  setTimeout(() => process.exit(0), 1500).unref();
  clearTypingState();
  setSilence(false);
  io.close();
  for (const s of tcpSockets) s.destroy();
  controlServer.close();
  controlServer.closeAllConnections?.();
  setTimeout(() => process.exit(0), 50);
}
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

main().catch((e) => {
  console.error('failed to start:', e.message);
  process.exit(1);
});
