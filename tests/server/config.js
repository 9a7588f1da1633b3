// Settings from the environment, read once at start-up (README.md lists them).

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

function envList(name) {
  return (process.env[name] || '').split(',').map((s) => s.trim()).filter(Boolean);
}

export const HOST = '127.0.0.1';

export const CONFIG = {
  realtimePort: envInt('REALTIME_PORT', 3101),
  controlPort: envInt('CONTROL_PORT', 3102),
  jwtSecret: process.env.JWT_SECRET || 'dev-secret',
  pingInterval: envInt('PING_INTERVAL_MS', 25000),
  // The real server's default (REALTIME_PING_TIMEOUT) is 60 s.
  pingTimeout: envInt('PING_TIMEOUT_MS', 60000),
  maxPayload: envInt('MAX_PAYLOAD', 1000000),
  typingTimeout: envInt('TYPING_TIMEOUT_MS', 3000),
  // The real server awaits database writes before `connected`; this stands in for them.
  connectDelay: envInt('CONNECT_DELAY_MS', 50),
  rooms: envList('ROOMS'),
  // The SSE backend (docs/sse-wire.md): how long a session outlives its stream
  // (or its last request), and how long /api/realtime/emit waits for an ack.
  sseGrace: envInt('SSE_GRACE_MS', 10000),
  sseAckWait: envInt('SSE_ACK_WAIT_MS', 1000),
  redisUrl: process.env.REDIS_URL || '',
  redisPrefix: process.env.REDIS_PREFIX || 'crt:',
};

const VERBOSE = process.env.LOG === '1' || process.env.LOG === 'true';

/** Log only with LOG=1, so test output stays quiet. */
export const log = (...a) => { if (VERBOSE) console.log(new Date().toISOString(), ...a); };

/** Dates go on the wire as ISO-8601 strings, as the real server's JSON does. */
export const iso = (ms) => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
