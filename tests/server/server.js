// Socket.IO test/development server for chat-realtime, modelled on the real
// nself realtime server, with extensions and a fault-control HTTP API.
// README.md in this folder is the contract. With REDIS_URL it scales out:
// the Socket.IO Redis adapter carries broadcasts between instances and the
// shared state lives in Redis.
import http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { createClient } from 'redis';
import { Server } from 'socket.io';
import { WebSocketServer } from 'ws';
import { authMiddleware } from './auth.js';
import { CONFIG, HOST, log } from './config.js';
import { onConnection } from './connection.js';
import { createControlServer, sendJson } from './control.js';
import { createListener, faults, setSilence } from './faults.js';
import { createGateway } from './gateway.js';
import { createPollLog } from './poll.js';
import { createSseApi, guardUpgrades } from './sse.js';
import { apiCors } from './ssewire.js';
import { createInstance } from './state/instance.js';
import { createMemoryStore } from './state/memory.js';
import { createRedisStore } from './state/redis.js';

const inst = createInstance();
let sseApi = null; // the SSE backend's routes (sse.js), once the store is up

const httpServer = http.createServer((req, res) => {
  if (req.method === 'OPTIONS') { res.writeHead(204, apiCors(req)); res.end(); return; }
  const url = new URL(req.url, 'http://localhost');
  if (sseApi?.handle(req, res, url)) return;
  if (url.pathname === '/health' && req.method === 'GET') {
    sendJson(req, res, 200, {
      status: 'healthy',
      timestamp: new Date().toISOString(),
      connections: io.of('/').sockets.size,
      uptime: process.uptime(),
    });
    return;
  }
  sendJson(req, res, 404, { error: 'not found' });
});
httpServer.keepAliveTimeout = 5000;

// Raw WebSocket echo on /echo (benchmark baseline): every message goes back as is.
const echoServer = new WebSocketServer({ noServer: true, maxPayload: CONFIG.maxPayload });
echoServer.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
httpServer.on('upgrade', (req, socket, head) => {
  if (new URL(req.url, 'http://localhost').pathname !== '/echo') return; // engine.io handles the rest
  echoServer.handleUpgrade(req, socket, head, (ws) => echoServer.emit('connection', ws, req));
});

const io = new Server(httpServer, {
  path: '/socket.io',
  serveClient: false,
  transports: ['polling', 'websocket'],
  pingInterval: CONFIG.pingInterval,
  pingTimeout: CONFIG.pingTimeout,
  maxHttpBufferSize: CONFIG.maxPayload,
  cors: { origin: true, credentials: true },
});

guardUpgrades(httpServer, faults); // /block-websocket

const listener = createListener({ httpServer, io, port: CONFIG.realtimePort });
const redisClients = [];

/** Redis clients log their errors (they reconnect by themselves) instead of crashing. */
function redisClient(base) {
  const c = base ? base.duplicate() : createClient({ url: CONFIG.redisUrl });
  let lastError = '';
  c.on('error', (e) => {
    if (String(e.message) !== lastError) console.error('redis:', e.message);
    lastError = String(e.message);
  });
  c.on('ready', () => { lastError = ''; });
  redisClients.push(c);
  return c;
}

async function createStore() {
  if (!CONFIG.redisUrl) return createMemoryStore();
  const pub = redisClient();
  const sub = redisClient(pub);
  const data = redisClient(pub);
  await Promise.all([pub.connect(), sub.connect(), data.connect()]);
  io.adapter(createAdapter(pub, sub, { requestsTimeout: 2000 }));
  return createRedisStore(data, CONFIG.redisPrefix);
}

let controlServer;

async function main() {
  const store = await createStore();
  await store.addRooms(CONFIG.rooms);
  const ctx = { io, store, inst, faults, config: CONFIG, listener };
  ctx.gateway = createGateway(ctx);
  ctx.pollLog = createPollLog(io); // after createStore: the Redis adapter replaces the namespace's adapter
  sseApi = createSseApi(ctx, ctx.gateway, ctx.pollLog);
  io.use(authMiddleware(ctx));
  io.on('connection', onConnection(ctx));
  controlServer = createControlServer(ctx);
  await listener.listen();
  await new Promise((resolve, reject) => {
    controlServer.once('error', reject);
    controlServer.listen(CONFIG.controlPort, HOST, resolve);
  });
  console.log(`READY realtime=${listener.state.port} control=${controlServer.address().port}${CONFIG.redisUrl ? ' redis=1' : ''}`);
}

let stopping = false;
/** Sockets go first (their presence bookkeeping still reaches Redis), then the adapter, then Redis. */
async function shutdown(sig) {
  if (stopping) return;
  stopping = true;
  log('shutdown on', sig);
  setTimeout(() => process.exit(0), 3000).unref();
  inst.clearTypingTimers();
  setSilence(io, false);
  controlServer?.close();
  controlServer?.closeAllConnections?.();
  for (const s of io.of('/').sockets.values()) s.disconnect(true);
  await inst.settle();
  // io.close() ends with httpServer.close(), which also waits for keep-alive connections
  // that never sent a request (node's fetch opens such ones); those are destroyed after a moment
  await Promise.race([new Promise((r) => io.close(() => r())), new Promise((r) => setTimeout(r, 500))]);
  listener.destroyAll();
  for (const c of redisClients) if (c.isOpen) await c.quit().catch(() => {});
  process.exit(0);
}
process.on('SIGTERM', () => { void shutdown('SIGTERM'); });
process.on('SIGINT', () => { void shutdown('SIGINT'); });
// A library promise failing (e.g. a Redis reply racing a shutdown) is logged, not fatal.
process.on('unhandledRejection', (e) => { console.error('unhandled rejection:', e); });

main().catch((e) => {
  console.error('failed to start:', e.message);
  process.exit(1);
});
