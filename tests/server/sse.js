// The SSE backend's HTTP API on the realtime port (docs/sse-wire.md): the
// stream, sends, sessions without a stream, the seed's routes and polling.
// Sessions and their internal Socket.IO sockets are gateway.js's; the room log
// of polling is poll.js's; the mapping and the frames are ssewire.js's.
import { AuthError, authenticate, isGatewayRequest } from './auth.js';
import { log } from './config.js';
import {
  answer, apiCors, HttpError, readJson,
} from './ssewire.js';

/** The request's token: `Authorization: Bearer …`, else `?token=` (EventSource cannot set headers). */
function tokenOf(req, url) {
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Bearer\s+(.+)$/i.exec(h.trim());
    if (m) return m[1];
  }
  return url.searchParams.get('token') ?? undefined;
}

/** `<sessionId>.<seq>` -> {id, seq}, or null. */
function parseEventId(v) {
  const m = typeof v === 'string' ? /^(.+)\.(\d+)$/.exec(v.trim()) : null;
  return m ? { id: m[1], seq: Number(m[2]) } : null;
}

const STREAM_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
};

export function createSseApi(ctx, gateway, pollLog) {
  const { faults } = ctx;

  function auth(req, url) {
    try {
      return authenticate(ctx, tokenOf(req, url));
    } catch (e) {
      if (e instanceof AuthError) throw new HttpError(401, e.data.code, e.message);
      throw e;
    }
  }

  /** The session named by `X-Realtime-Session` (of this user), or null. */
  const sessionOf = (req, claims) => gateway.find(req.headers['x-realtime-session'], claims.userId);

  function requireSession(req, claims) {
    const s = sessionOf(req, claims);
    if (!s) throw new HttpError(404, 'SESSION_NOT_FOUND', 'no such session');
    return s;
  }

  /** The session of a seed-route request: its own, else the user's implicit one. */
  async function seedSession(req, claims, body) {
    if (body.userId !== undefined && body.userId !== claims.userId) {
      throw new HttpError(403, 'FORBIDDEN', 'userId is not the token\'s user');
    }
    const s = sessionOf(req, claims) ?? (await gateway.implicitFor(claims));
    gateway.touch(s);
    return s;
  }

  function channelIdOf(v) {
    if (typeof v !== 'string' || v.length === 0) throw new HttpError(400, 'INVALID_BODY', 'channelId must be a non-empty string');
    return v;
  }

  async function seedEmit(req, res, s, event, payload) {
    const ack = await gateway.emit(s, event, payload, true);
    gateway.touch(s);
    answer(req, res, 200, { ack });
  }

  /**
   * A stream: the user's (`channel` null) or one channel's. A `Last-Event-ID`
   * of a live session of the same kind resumes it. A channel stream's session
   * joins the channel first: a refusal is its HTTP error (404 ROOM_NOT_FOUND…).
   */
  async function stream(req, res, url, channel) {
    if (faults.blockSse) throw new HttpError(503, 'SSE_BLOCKED', 'the stream is blocked (POST /block-sse)');
    const claims = auth(req, url);
    const last = parseEventId(req.headers['last-event-id'] ?? url.searchParams.get('lastEventId'));
    let s = last ? gateway.find(last.id, claims.userId) : null;
    if (s && (s.channel !== channel || !gateway.canResume(s, last.seq))) s = null;
    log('sse stream', claims.userId, channel ?? '', s ? `resume ${last.id}.${last.seq}` : 'new');
    const resumed = !!s;
    if (!s) {
      s = await gateway.open(claims, channel); // a failure is a 503 (the client counts it towards falling back)
      if (channel !== null) {
        const ack = await gateway.emit(s, 'room:join', { roomName: channel }, true).catch((e) => { gateway.end(s); throw e; });
        if (ack?.success !== true) {
          gateway.end(s);
          const code = ack?.error?.code ?? 'JOIN_FAILED';
          throw new HttpError(code === 'ROOM_NOT_FOUND' ? 404 : 403, code, ack?.error?.message ?? 'the channel could not be joined');
        }
      }
    }
    res.writeHead(200, { ...apiCors(req), ...STREAM_HEADERS });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    await gateway.attach(s, req, res, resumed ? last.seq : null);
  }

  const routes = {
    'GET /api/realtime/stream': (req, res, url) => stream(req, res, url, null),

    'GET /api/realtime/stream/channel': (req, res, url) => {
      const id = decodeURIComponent(url.pathname.slice('/api/realtime/stream/channel/'.length));
      return stream(req, res, url, channelIdOf(id));
    },

    // Connection status and stats; the token is optional (a bad one is still a 401).
    'GET /api/realtime/status': async (req, res, url) => {
      const claims = tokenOf(req, url) === undefined ? null : auth(req, url);
      const body = {
        status: 'ok', timestamp: Date.now(), uptime: process.uptime(),
        connections: ctx.io.of('/').sockets.size, ...gateway.stats(),
      };
      if (claims) body.user = { userId: claims.userId, sessions: gateway.sessionsOf(claims.userId) };
      answer(req, res, 200, body);
    },

    'POST /api/realtime/connect': async (req, res, url) => {
      await readJson(req);
      const claims = auth(req, url);
      const s = await gateway.open(claims);
      gateway.startGrace(s);
      answer(req, res, 200, { type: 'init', data: s.events[0].data });
    },

    'POST /api/realtime/emit': async (req, res, url) => {
      const body = await readJson(req);
      const claims = auth(req, url);
      const s = requireSession(req, claims);
      if (typeof body.event !== 'string' || body.event.length === 0) throw new HttpError(400, 'INVALID_BODY', 'event must be a non-empty string');
      if (body.ack !== undefined && typeof body.ack !== 'boolean') throw new HttpError(400, 'INVALID_BODY', 'ack must be a boolean');
      gateway.touch(s);
      const ack = await gateway.emit(s, body.event, body.data, body.ack !== false);
      gateway.touch(s);
      answer(req, res, 200, { ack });
    },

    'DELETE /api/realtime/session': async (req, res, url) => {
      const claims = auth(req, url);
      gateway.end(requireSession(req, claims));
      answer(req, res, 200, { ok: true });
    },

    'POST /messages': async (req, res, url) => {
      const body = await readJson(req);
      const claims = auth(req, url);
      const roomName = channelIdOf(body.channelId);
      if (typeof body.content !== 'string') throw new HttpError(400, 'INVALID_BODY', 'content must be a string');
      const payload = { roomName, content: body.content };
      if (body.mentions !== undefined) payload.mentions = body.mentions;
      if (body.clientMessageId !== undefined) payload.clientMessageId = body.clientMessageId;
      if (body.threadId !== undefined) payload.threadId = body.threadId;
      await seedEmit(req, res, await seedSession(req, claims, body), 'message:send', payload);
    },

    'POST /typing': async (req, res, url) => {
      const body = await readJson(req);
      const claims = auth(req, url);
      const roomName = channelIdOf(body.channelId);
      if (typeof body.isTyping !== 'boolean') throw new HttpError(400, 'INVALID_BODY', 'isTyping must be a boolean');
      await seedEmit(req, res, await seedSession(req, claims, body), body.isTyping ? 'typing:start' : 'typing:stop', { roomName });
    },

    'POST /presence': async (req, res, url) => {
      const body = await readJson(req);
      const claims = auth(req, url);
      if (typeof body.status !== 'string') throw new HttpError(400, 'INVALID_BODY', 'status must be a string');
      await seedEmit(req, res, await seedSession(req, claims, body), 'presence:update', { status: body.status });
    },

    'GET /poll': async (req, res, url) => {
      const claims = auth(req, url);
      const room = channelIdOf(url.searchParams.get('channelId') ?? '');
      const since = Number(url.searchParams.get('since') ?? 0);
      if (!Number.isFinite(since)) throw new HttpError(400, 'INVALID_QUERY', 'since must be ms');
      const s = sessionOf(req, claims);
      if (s) gateway.touch(s);
      answer(req, res, 200, pollLog.query(room, since));
    },
  };

  /** Serve `req` if it is one of the routes above; false if not (the caller answers 404). */
  function handle(req, res, url) {
    let path = url.pathname;
    if (req.method === 'POST' && /^\/presence\/[^/]+$/.test(path)) path = '/presence'; // :channelId (presence is global)
    if (req.method === 'GET' && /^\/api\/realtime\/stream\/channel\/[^/]+$/.test(path)) path = '/api/realtime/stream/channel';
    const route = routes[`${req.method} ${path}`];
    if (!route) return false;
    route(req, res, url).catch((e) => {
      if (!(e instanceof HttpError)) console.error(`${req.method} ${path} failed:`, e);
      if (res.headersSent) { res.end(); return; }
      const status = e instanceof HttpError ? e.status : 500;
      const code = e instanceof HttpError ? e.code : 'INTERNAL_ERROR';
      answer(req, res, status, { error: { code, message: String(e.message || e) } });
    });
    return true;
  }

  return { handle };
}

/**
 * `/block-websocket`: WebSocket upgrades are refused (the TCP socket is destroyed
 * before any handshake), except the gateway's own. Wraps the upgrade listeners
 * already attached (Engine.IO's and /echo's).
 */
export function guardUpgrades(httpServer, faults) {
  const listeners = httpServer.listeners('upgrade');
  httpServer.removeAllListeners('upgrade');
  httpServer.on('upgrade', (req, socket, head) => {
    if (faults.blockWebsocket && !isGatewayRequest(req)) { socket.destroy(); return; }
    for (const l of listeners) l.call(httpServer, req, socket, head);
  });
}
