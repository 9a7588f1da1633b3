// The control API (CONTROL_PORT): tokens, rooms, the extensions switch, faults
// and what this instance saw. Every route acts on this instance only, except
// that rooms and /reset's data live in the shared store (Redis) when there is one.
import http from 'node:http';
import { signJwt, tokenClaims } from './auth.js';
import { log, sleep } from './config.js';
import { dropAll, faults, outbound, setSilence, websocketConns } from './faults.js';

export function corsHeaders(req) {
  return {
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers'] || 'Content-Type',
    'Access-Control-Allow-Private-Network': 'true',
    'Access-Control-Max-Age': '600',
  };
}

export function sendJson(req, res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...corsHeaders(req), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
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

const bad = (message) => Object.assign(new Error(message), { status: 400 });

function roomNames(body) {
  const names = body.names;
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string' && n.length > 0)) {
    throw bad('names must be an array of non-empty strings');
  }
  return names;
}

/** Back to the start-up state: shared data, ROOMS, counters, faults, extensions on. Sockets stay. */
export async function resetAll(ctx) {
  const { io, store, inst, config } = ctx;
  await ctx.gateway?.endAll(); // every SSE session ends (its socket goes, as a client's would)
  const rooms = await store.listRooms();
  if (rooms.length) io.socketsLeave(rooms);
  inst.reset();
  await store.reset();
  await store.addRooms(config.rooms);
  setSilence(io, false);
  faults.latencyMs = 0;
  faults.rejectAuth = 0;
  Object.assign(faults, { blockWebsocket: false, blockSse: false, sseReplay: 0, tokensExpiredAt: 0 });
  ctx.pollLog?.reset();
}

const onOf = (body) => (body.on === undefined ? true : !!body.on);

function routes(ctx) {
  const { io, store, inst, config, listener } = ctx;
  const local = () => io.of('/').sockets;
  return {
    'GET /health': () => ({ ok: true }),
    'GET /token': (_req, url) => {
      const q = url.searchParams;
      const wrong = q.get('bad') === '1' || q.get('bad') === 'true';
      return { token: signJwt(tokenClaims(q), wrong ? `${config.jwtSecret}-wrong` : config.jwtSecret) };
    },
    'GET /rooms': async () => ({ rooms: await store.listRooms() }),
    'POST /rooms': async (_req, _url, body) => {
      await store.addRooms(roomNames(body));
      return { ok: true, rooms: await store.listRooms() };
    },
    'GET /extensions': () => ({ extensions: inst.extensions }),
    'POST /extensions': (_req, _url, body) => {
      inst.extensions = body.on === undefined ? true : !!body.on;
      return { ok: true, extensions: inst.extensions };
    },
    // the SSE gateway's own sockets stay (a client's link is what drops): the streams are cut instead
    'POST /drop': () => ({ ok: true, dropped: dropAll(io, { keepGateway: true }) + ctx.gateway.cutStreams(true) }),
    'POST /block-websocket': (_req, _url, body) => {
      faults.blockWebsocket = onOf(body);
      return { ok: true, blockWebsocket: faults.blockWebsocket };
    },
    'POST /block-sse': (_req, _url, body) => {
      faults.blockSse = onOf(body);
      return { ok: true, blockSse: faults.blockSse };
    },
    'POST /sse/cut': () => ({ ok: true, cut: ctx.gateway.cutStreams() }),
    'POST /sse/replay': (_req, _url, body) => {
      const count = body.count === undefined ? 1 : Number(body.count);
      if (!Number.isInteger(count) || count < 0) throw bad('count must be an integer >= 0');
      faults.sseReplay = count;
      return { ok: true, sseReplay: count };
    },
    'POST /expire-tokens': async () => {
      faults.tokensExpiredAt = Date.now();
      const cut = ctx.gateway.cutStreams();
      await sleep(2); // a token fetched after this answer is issued after the cut-off
      return { ok: true, cut };
    },
    'POST /silence': (_req, _url, body) => {
      setSilence(io, body.on === undefined ? true : !!body.on);
      return { ok: true, silenced: faults.silenced };
    },
    'POST /latency': (_req, _url, body) => {
      const ms = Number(body.ms ?? 0);
      if (!Number.isFinite(ms) || ms < 0) throw bad('ms must be a number >= 0');
      faults.latencyMs = Math.floor(ms);
      return { ok: true, latencyMs: faults.latencyMs };
    },
    'POST /restart': async (_req, _url, body) => {
      const downMs = body.downMs === undefined ? 1000 : Number(body.downMs);
      if (!Number.isFinite(downMs) || downMs < 0) throw bad('downMs must be a number >= 0');
      await listener.restart(downMs);
      return { ok: true, downMs, port: listener.state.port };
    },
    'POST /reject-auth': (_req, _url, body) => {
      const count = body.count === undefined ? 1 : Number(body.count);
      if (!Number.isFinite(count) || count < 0) throw bad('count must be a number >= 0');
      faults.rejectAuth = Math.floor(count);
      return { ok: true, pending: faults.rejectAuth };
    },
    'POST /raw': (_req, _url, body) => {
      if (typeof body.frame !== 'string') throw bad('frame must be a string');
      const conns = websocketConns(io);
      for (const c of conns) outbound(c, () => c.transport.socket.send(body.frame, { binary: false }));
      return { ok: true, sent: faults.silenced ? 0 : conns.length };
    },
    'POST /raw-binary': (_req, _url, body) => {
      if (!Array.isArray(body.bytes) || !body.bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) {
        throw bad('bytes must be an array of integers 0..255');
      }
      const buf = Buffer.from(body.bytes);
      const conns = websocketConns(io);
      for (const c of conns) outbound(c, () => c.transport.socket.send(buf, { binary: true }));
      return { ok: true, sent: faults.silenced ? 0 : conns.length };
    },
    'POST /emit': (_req, _url, body) => {
      if (typeof body.event !== 'string' || !body.event) throw bad('event must be a non-empty string');
      const count = body.count === undefined ? 1 : Number(body.count);
      if (!Number.isInteger(count) || count < 0 || count > 10_000_000) throw bad('count must be an integer >= 0');
      // this instance's sockets only (a burst through Redis would measure Redis)
      const target = typeof body.roomName === 'string' ? io.local.to(body.roomName) : io.local;
      const sequence = !!body.sequence;
      const started = Date.now();
      for (let i = 0; i < count; i += 1) {
        if (sequence) {
          const base = body.data && typeof body.data === 'object' && !Array.isArray(body.data) ? body.data : { value: body.data };
          target.emit(body.event, { ...base, seq: i });
        } else if (body.data === undefined) target.emit(body.event);
        else target.emit(body.event, body.data);
      }
      return { ok: true, sockets: local().size, count, elapsedMs: Date.now() - started };
    },
    'POST /disconnect': (_req, _url, body) => {
      let n = 0;
      for (const s of local().values()) {
        if (body.userId === undefined || s.data.userId === body.userId) { s.disconnect(true); n += 1; }
      }
      return { ok: true, disconnected: n };
    },
    'GET /received': () => ({ messages: inst.received.map((m) => ({ ...m })), sendCounts: { ...inst.sendCounts } }),
    'GET /dispatched': () => ({ dispatches: inst.dispatched.map((d) => ({ ...d })) }),
    'GET /stats': () => ({ ...inst.stats, connections: local().size, ...ctx.gateway.stats() }),
    'GET /violations': () => ({ count: inst.stats.contractViolations, recent: [...inst.violations] }),
    'GET /connections': () => ({
      connections: [...local().values()].map((s) => ({
        socketId: s.id,
        userId: s.data.userId,
        sessionId: s.data.sessionId,
        transport: s.data.gateway ? ctx.gateway.transportOf(s.data.gateway) : s.conn.transport?.name,
        device: s.data.device,
        latencyMs: s.data.latencyMs ?? null,
        rooms: [...s.rooms].filter((r) => r !== s.id && !r.startsWith('\u0000')).sort(),
        presenceSubscriptions: [...(s.data.presenceSubs ?? [])].sort(),
        authRefreshes: s.data.authRefreshes ?? 0,
      })),
    }),
    'GET /faults': () => ({
      silenced: faults.silenced,
      latencyMs: faults.latencyMs,
      rejectAuth: faults.rejectAuth,
      listening: listener.state.listening,
      blockWebsocket: faults.blockWebsocket,
      blockSse: faults.blockSse,
      sseReplay: faults.sseReplay,
      tokensExpired: faults.tokensExpiredAt > 0,
    }),
    'POST /reset': async () => { await resetAll(ctx); return { ok: true }; },
  };
}

export function createControlServer(ctx) {
  const table = routes(ctx);
  return http.createServer(async (req, res) => {
    if (req.method === 'OPTIONS') { res.writeHead(204, corsHeaders(req)); res.end(); return; }
    const url = new URL(req.url, 'http://localhost');
    const route = table[`${req.method} ${url.pathname}`];
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
}
