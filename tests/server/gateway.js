// The SSE backend's sessions (docs/sse-wire.md), built as a gateway: each
// session holds an internal socket.io-client connection to this same instance
// with the user's claims, so every Socket.IO handler (rooms, messages, typing,
// presence, nchat's events, the extensions, the faults) serves SSE and polling
// clients exactly as it serves Socket.IO clients, and with Redis the session's
// socket gets the other instances' broadcasts through the adapter. What that
// socket receives is mapped to SSE events, numbered `<sessionId>.<seq>` and
// kept (the last 1,000) for a resume within SSE_GRACE_MS.
import crypto from 'node:crypto';
import { io as ioc } from 'socket.io-client';
import { GATEWAY_KEY } from './auth.js';
import { HOST, log } from './config.js';
import { frame, HttpError, mapEvent } from './ssewire.js';

const KEEP = 1000;
/** The connection's own events: kept (so their ids can be resumed from), never replayed. */
const OWN = new Set(['init', 'connection']);
/** Events the server never acks: `/api/realtime/emit` answers them at once with `{ack:null}`. */
const NO_ACK = new Set(['typing:start', 'typing:stop', 'presence:update', 'ping', 'pong', 'delivery:sync']);
/** Names socket.io-client refuses to emit. */
const RESERVED = new Set(['connect', 'connect_error', 'disconnect', 'disconnecting', 'newListener', 'removeListener']);
const READY_WAIT_MS = 5000;

export function createGateway(ctx) {
  const { io, config, faults, listener, store, inst } = ctx;
  const sessions = new Map();
  const implicit = new Map(); // userId -> (a promise of) the session of seed-route requests without X-Realtime-Session
  let counter = 0;

  const write = (s, text) => { if (s.stream && !faults.silenced) s.stream.write(text); };

  /**
   * Whether a channel session's stream carries an event: its own (`init`,
   * `connection`) and those whose room is the channel. A user-wide session carries all.
   */
  function carries(s, type, data) {
    if (s.channel === null || OWN.has(type)) return true;
    const room = type === 'channel_message' || type === 'message' ? data?.channelId
      : type === 'channel_init' ? data?.channel
        : type === 'channel_event' || type === 'broadcast' ? data?.data?.roomName
          : undefined;
    return room === s.channel;
  }

  /** Number, keep and (with a stream, if it carries it) send one event. */
  function push(s, type, data) {
    s.seq += 1;
    s.events.push({ seq: s.seq, type, data });
    if (s.events.length > KEEP) s.events.shift();
    if (carries(s, type, data)) write(s, frame(`${s.id}.${s.seq}`, type, data));
  }

  async function initData(s, resumed) {
    let channels = [];
    try { channels = await store.roomsOfMember(s.userId); } catch (e) { log('init channels failed', e.message); }
    // pingInterval/pingTimeout (ms): the stream's liveness window, as Engine.IO's handshake states it.
    return {
      userId: s.userId, username: s.username, channels, sessionId: s.id, timestamp: Date.now(), resumed,
      pingInterval: config.pingInterval, pingTimeout: config.pingTimeout,
    };
  }
  const connectionData = (s, resumed) => ({ status: 'connected', userId: s.userId, timestamp: Date.now(), resumed });

  function setReady(s, ready) {
    s.ready = ready;
    if (!ready) return;
    for (const w of s.waiters.splice(0)) w.resolve();
  }

  /** The internal socket's `connected`: the first makes the session live, a later one (after /restart) joins the rooms again. */
  async function onConnected(s) {
    if (!s.live) {
      const init = await initData(s, false);
      if (s.ended) return;
      push(s, 'init', init);
      push(s, 'connection', connectionData(s, false));
      s.live = true;
      for (const m of s.early.splice(0)) push(s, m.type, m.data);
    } else {
      for (const roomName of s.rooms) {
        await s.client.timeout(2000).emitWithAck('room:join', { roomName }).catch(() => {});
      }
    }
    setReady(s, true);
  }

  function connectInternal(s) {
    return new Promise((resolve, reject) => {
      const c = ioc(`http://${HOST}:${listener.state.port}`, {
        auth: { gatewayClaims: s.claims, gatewaySession: s.id },
        extraHeaders: { 'x-gateway-key': GATEWAY_KEY },
        transports: ['websocket'],
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 1000,
        timeout: READY_WAIT_MS,
      });
      s.client = c;
      const t = setTimeout(() => reject(new Error('the internal connection timed out')), READY_WAIT_MS);
      c.onAny((event, ...args) => {
        if (s.ended) return;
        if (event === 'connected') {
          onConnected(s).then(() => { clearTimeout(t); resolve(); }, (e) => { clearTimeout(t); reject(e); });
          return;
        }
        const m = mapEvent(event, args);
        if (s.live) push(s, m.type, m.data);
        else s.early.push(m); // presence:changed (its own online) comes before `connected`
      });
      c.on('disconnect', (reason) => {
        setReady(s, false);
        log('gateway socket gone', s.id, reason);
        // a server-side disconnect (/disconnect, shutdown): the session ends, as a Socket.IO client stops there
        if (reason === 'io server disconnect') end(s);
      });
      c.on('connect_error', (e) => log('gateway connect_error', s.id, e.message));
    });
  }

  /**
   * A new session of the user of `claims`, live (init and connection kept) once its socket is `connected`.
   * With `channel` its stream carries only that channel's events (`carries`).
   */
  async function open(claims, channel = null) {
    counter += 1;
    const id = `${crypto.randomBytes(4).toString('hex')}${counter.toString(36)}`;
    const s = {
      id, userId: claims.userId, username: typeof claims.name === 'string' ? claims.name : claims.userId, claims,
      seq: 0, events: [], early: [], live: false, ended: false, ready: false, waiters: [], rooms: new Set(), channel,
      stream: null, streamSocket: null, pingTimer: null, graceTimer: null, client: null,
    };
    sessions.set(id, s);
    try {
      await connectInternal(s);
    } catch (e) {
      end(s);
      throw new HttpError(503, 'UNAVAILABLE', `session not opened: ${e.message}`);
    }
    return s;
  }

  function startGrace(s) {
    clearTimeout(s.graceTimer);
    if (!s.ended) s.graceTimer = setTimeout(() => end(s), config.sseGrace);
  }

  /** A request of a session without a stream keeps it alive for another grace. */
  const touch = (s) => { if (!s.stream) startGrace(s); };

  function detach(s) {
    clearInterval(s.pingTimer);
    s.pingTimer = null;
    s.stream = null;
    s.streamSocket = null;
    startGrace(s);
  }

  /** True when a resume from `seq` can replay everything after it (not older than what is kept). */
  function canResume(s, seq) {
    if (seq > s.seq) return false;
    return s.events.length === 0 || seq >= s.events[0].seq - 1;
  }

  /**
   * Serve `res` as the stream of `s`. A new session: everything kept (init,
   * connection, what came meanwhile). A resume from `fromSeq`: init and
   * connection without ids (`resumed: true`), the kept events after `fromSeq`
   * (and `/sse/replay`'s count before it), then live events.
   */
  async function attach(s, req, res, fromSeq) {
    if (s.stream) { const old = s.stream; detach(s); old.end(); }
    clearTimeout(s.graceTimer);
    let text = '';
    if (fromSeq === null) {
      text = s.events.filter((e) => carries(s, e.type, e.data)).map((e) => frame(`${s.id}.${e.seq}`, e.type, e.data)).join('');
    } else {
      const init = await initData(s, true);
      const extra = faults.sseReplay;
      faults.sseReplay = 0;
      text = frame(null, 'init', init) + frame(null, 'connection', connectionData(s, true));
      for (const e of s.events) {
        if (e.seq > fromSeq - extra && !OWN.has(e.type) && carries(s, e.type, e.data)) text += frame(`${s.id}.${e.seq}`, e.type, e.data);
      }
    }
    if (s.ended || res.writableEnded || res.destroyed || req.socket.destroyed) {
      // the client went meanwhile: a new session it never heard of ends, a resumed one waits for the next resume
      if (fromSeq === null) end(s); else if (!s.stream) startGrace(s);
      return;
    }
    if (s.stream) { const old = s.stream; detach(s); old.end(); } // a resume that raced this one
    clearTimeout(s.graceTimer);
    s.stream = res;
    s.streamSocket = req.socket;
    if (!faults.silenced) res.write(text);
    s.pingTimer = setInterval(() => write(s, frame(null, 'ping', { timestamp: Date.now() })), config.pingInterval);
    res.on('close', () => { if (s.stream === res) detach(s); });
  }

  /** End `s` now: its stream ends, its socket disconnects (presence goes offline if it was the user's last). */
  function end(s) {
    if (s.ended) return;
    s.ended = true;
    sessions.delete(s.id);
    clearTimeout(s.graceTimer);
    clearInterval(s.pingTimer);
    const res = s.stream;
    s.stream = null;
    res?.end();
    s.client?.close();
    for (const w of s.waiters.splice(0)) w.reject(new HttpError(404, 'SESSION_NOT_FOUND', 'the session ended'));
  }

  function waitReady(s) {
    if (s.ended) return Promise.reject(new HttpError(404, 'SESSION_NOT_FOUND', 'the session ended'));
    if (s.ready) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new HttpError(503, 'UNAVAILABLE', 'the session is reconnecting')), READY_WAIT_MS);
      s.waiters.push({ resolve: () => { clearTimeout(t); resolve(); }, reject: (e) => { clearTimeout(t); reject(e); } });
    });
  }

  /**
   * `socket.emit(event, data, ack)` on the session's socket; resolves with what the
   * ack carries (its first argument), or null: at once for NO_ACK events and with
   * `wantAck` false, else when no ack came within SSE_ACK_WAIT_MS (+ the /latency).
   */
  async function emit(s, event, data, wantAck) {
    if (RESERVED.has(event)) throw new HttpError(400, 'INVALID_BODY', `"${event}" is a reserved event name`);
    await waitReady(s);
    const args = data === undefined ? [] : [data];
    if (!wantAck || NO_ACK.has(event)) { s.client.emit(event, ...args); return null; }
    const got = await new Promise((resolve) => {
      s.client.timeout(config.sseAckWait + faults.latencyMs).emit(event, ...args, (err, ...a) => resolve(err ? null : a));
    });
    const ack = got && got.length ? got[0] ?? null : null;
    const roomName = data && typeof data === 'object' ? data.roomName : undefined;
    if (ack?.success === true && typeof roomName === 'string') {
      if (event === 'room:join') {
        s.rooms.add(roomName);
        let members = [];
        try { members = await store.members(roomName); } catch (e) { log('members failed', e.message); }
        if (!s.ended) push(s, 'channel_init', { channel: roomName, members, timestamp: Date.now() });
      } else if (event === 'room:leave') {
        s.rooms.delete(roomName);
      }
    }
    return ack;
  }

  /** The live session `id` of `userId`, or null. */
  function find(id, userId) {
    const s = typeof id === 'string' ? sessions.get(id) : undefined;
    return s && !s.ended && s.userId === userId ? s : null;
  }

  /** The session of a seed-route request without a session of its own: one per user, kept by its requests. */
  async function implicitFor(claims) {
    // a session still opening is shared by the requests that come meanwhile; an ended one is replaced
    const have = await (implicit.get(claims.userId) ?? Promise.resolve(null)).catch(() => null);
    if (have && !have.ended) return have;
    const opening = open(claims).then((s) => { startGrace(s); return s; });
    implicit.set(claims.userId, opening);
    return opening;
  }

  /** End every open stream: `abrupt` destroys the TCP connection (/drop), else the response ends (sessions stay). */
  function cutStreams(abrupt = false) {
    let n = 0;
    for (const s of sessions.values()) {
      if (!s.stream) continue;
      n += 1;
      const { stream, streamSocket } = s;
      detach(s);
      if (abrupt) streamSocket?.destroy(); else stream.end();
    }
    return n;
  }

  /** End every session (/reset) and wait until the server saw their sockets go. */
  async function endAll() {
    for (const s of [...sessions.values()]) end(s);
    for (let i = 0; i < 200; i += 1) {
      if (![...io.of('/').sockets.values()].some((x) => x.data.gateway)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    await inst.settle();
  }

  const transportOf = (id) => (sessions.get(id)?.stream ? 'sse' : 'poll');
  const stats = () => ({ sseSessions: sessions.size, sseStreams: [...sessions.values()].filter((s) => s.stream).length });
  const sessionsOf = (userId) => [...sessions.values()].filter((s) => s.userId === userId).length;

  return {
    open, attach, canResume, find, touch, startGrace, end, emit, implicitFor, cutStreams, endAll, transportOf, stats, sessionsOf,
  };
}
