// What the SSE backend puts on the wire (docs/sse-wire.md): the mapping of a
// Socket.IO server event to an SSE event, SSE frames, the CORS headers of the
// realtime port's HTTP API and its JSON answers.

/**
 * A server event (`event` with its Socket.IO `args`) as an SSE event `{type, data}`:
 * `message:new` -> `channel_message` (`message` for a `dm:` room) with `channelId`,
 * `presence:changed` -> `presence`, `user:joined`/`user:left`/`room:*` -> `channel_event`,
 * anything else -> `broadcast {event, data}`.
 */
export function mapEvent(event, args) {
  const data = args.length ? args[0] ?? null : null;
  if (event === 'message:new' && data && typeof data === 'object' && !Array.isArray(data)) {
    const room = data.roomName;
    const type = typeof room === 'string' && room.startsWith('dm:') ? 'message' : 'channel_message';
    return { type, data: { ...data, channelId: room } };
  }
  if (event === 'presence:changed') return { type: 'presence', data };
  if (event === 'user:joined' || event === 'user:left' || event.startsWith('room:')) {
    return { type: 'channel_event', data: { event, data } };
  }
  return { type: 'broadcast', data: { event, data } };
}

/** One SSE frame; `id` null leaves the `id:` line out (the client's last id stays). */
export function frame(id, type, data) {
  const head = id === null ? '' : `id: ${id}\n`;
  return `${head}data: ${JSON.stringify({ type, data })}\n\n`;
}

/**
 * CORS of the realtime port: the test pages are on another origin and send
 * `Authorization`, `Last-Event-ID`, `X-Realtime-Session` and JSON bodies. The
 * Origin is reflected (with credentials), so `credentials: 'include'` works too.
 */
export function apiCors(req) {
  const origin = req.headers.origin;
  const h = {
    'Access-Control-Allow-Origin': origin || '*',
    'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
    'Access-Control-Allow-Headers': req.headers['access-control-request-headers']
      || 'Authorization, Content-Type, Last-Event-ID, X-Realtime-Session',
    'Access-Control-Expose-Headers': 'Content-Type, X-Realtime-Session',
    'Access-Control-Allow-Private-Network': 'true',
    'Access-Control-Max-Age': '600',
  };
  if (origin) {
    h['Access-Control-Allow-Credentials'] = 'true';
    h.Vary = 'Origin';
  }
  return h;
}

/** A JSON answer with a length (so the connection is kept alive for the next request). */
export function answer(req, res, status, body) {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { ...apiCors(req), 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** An HTTP refusal `{error:{code, message}}` (thrown by the routes, answered by the dispatcher). */
export class HttpError extends Error {
  constructor(status, code, message) {
    super(message ?? code);
    this.status = status;
    this.code = code;
  }
}

/** The JSON body of a request ({} when empty); a 400 when it is not JSON or not an object. */
export function readJson(req, limit = 1_000_000) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > limit) { reject(new HttpError(413, 'BODY_TOO_LARGE')); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8').trim();
      if (!text) { resolve({}); return; }
      let v;
      try { v = JSON.parse(text); } catch { reject(new HttpError(400, 'INVALID_BODY', 'the body is not JSON')); return; }
      if (!v || typeof v !== 'object' || Array.isArray(v)) { reject(new HttpError(400, 'INVALID_BODY', 'the body must be a JSON object')); return; }
      resolve(v);
    });
    req.on('error', reject);
  });
}
