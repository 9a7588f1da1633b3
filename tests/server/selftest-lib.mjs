// Helpers of the self-tests: spawn servers and redis-server on free ports,
// Socket.IO and raw Engine.IO clients, waiting for events.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { io as ioc } from 'socket.io-client';
import WebSocket from 'ws';

const here = path.dirname(fileURLToPath(import.meta.url));
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Resolve with the promise's value, or with `fallback` after ms (timer cleared either way). */
export function within(promise, ms, fallback = null) {
  let t;
  return Promise.race([promise, new Promise((r) => { t = setTimeout(() => r(fallback), ms); })]).finally(() => clearTimeout(t));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

async function stopProcess(proc, name) {
  if (!proc || proc.exitCode !== null || proc.signalCode !== null) return null;
  const exited = new Promise((r) => proc.once('exit', (code, sig) => r({ code, sig })));
  proc.kill('SIGTERM');
  const res = await within(exited, 3000);
  if (!res) { proc.kill('SIGKILL'); throw new Error(`${name} did not exit on SIGTERM`); }
  return res;
}

/** redis-server on a free loopback port, no persistence, in its own temp dir. */
export async function startRedis() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'selftest-redis-'));
  const proc = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('redis-server did not get ready')), 10000);
    proc.stdout.on('data', (d) => {
      buf += d;
      if (/Ready to accept connections/.test(buf)) { clearTimeout(t); resolve(); }
    });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`redis-server exited ${code}`)); });
  });
  proc.stdout.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() { await stopProcess(proc, 'redis-server'); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

/** server.js on free ports; `env` adds to the defaults below. */
export async function startServer(env = {}) {
  const proc = spawn(process.execPath, [path.join(here, 'server.js')], {
    env: {
      ...process.env, REALTIME_PORT: '0', CONTROL_PORT: '0', PING_INTERVAL_MS: '1000', PING_TIMEOUT_MS: '1000', ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const m = await new Promise((resolve, reject) => {
    let buf = '';
    const t = setTimeout(() => reject(new Error('server did not print READY')), 10000);
    proc.stdout.on('data', (d) => {
      buf += d;
      const r = buf.match(/READY realtime=(\d+) control=(\d+)/);
      if (r) { clearTimeout(t); resolve(r); }
    });
    proc.once('exit', (code) => { clearTimeout(t); reject(new Error(`server exited ${code}`)); });
  });
  proc.stdout.resume();
  const rt = `http://127.0.0.1:${m[1]}`;
  const ctlBase = `http://127.0.0.1:${m[2]}`;
  async function ctl(method, p, body) {
    const res = await fetch(ctlBase + p, {
      method,
      headers: body ? { 'Content-Type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const json = await res.json();
    if (!res.ok) throw new Error(`${method} ${p} -> ${res.status} ${JSON.stringify(json)}`);
    return json;
  }
  const clients = new Set();
  const srv = {
    proc, rt, ctlBase, ctl, clients,
    async token(sub, extra = '') {
      return (await ctl('GET', `/token?sub=${encodeURIComponent(sub)}&name=${encodeURIComponent(sub.toUpperCase())}${extra}`)).token;
    },
    /** A socket.io-client socket, resolved once `connected` arrived (its payload in `__connected`). */
    async connect(sub, opts = {}) {
      const tok = opts.token ?? (await srv.token(sub));
      const sock = ioc(rt, {
        auth: { token: tok, device: { type: 'web', os: 'linux', browser: 'node' } },
        transports: ['websocket'],
        forceNew: true,
        reconnectionDelay: 100,
        reconnectionDelayMax: 200,
        timeout: 1000,
        ...opts.io,
      });
      clients.add(sock);
      if (opts.noWait) return sock;
      sock.__connected = await next(sock, 'connected', () => true, 3000);
      return sock;
    },
    /** The CONNECT_ERROR of a handshake with `auth`. */
    connectError(auth, extra = {}) {
      const sock = ioc(rt, { auth, transports: ['websocket'], forceNew: true, reconnection: false, ...extra });
      clients.add(sock);
      return next(sock, 'connect_error').finally(() => sock.close());
    },
    closeClients() { for (const c of clients) c.close(); clients.clear(); },
    /** Close clients, wait until the server saw them go, /reset. */
    async fresh() {
      srv.closeClients();
      // SSE sessions outlive their streams (the grace): /reset ends them at once
      if ((await ctl('GET', '/stats')).sseSessions > 0) await ctl('POST', '/reset');
      for (let i = 0; i < 100 && (await ctl('GET', '/stats')).connections > 0; i += 1) await sleep(10);
      await ctl('POST', '/reset');
    },
    async stop() {
      srv.closeClients();
      const res = await stopProcess(proc, 'server');
      if (res) assert.equal(res.code, 0, 'server exits cleanly on SIGTERM');
    },
  };
  return srv;
}

/** Wait for the next `event` on `sock` matching `pred`. Call before triggering the action. */
export function next(sock, event, pred = () => true, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { sock.off(event, h); reject(new Error(`timeout waiting for ${event}`)); }, timeoutMs);
    function h(...args) {
      if (!pred(...args)) return;
      clearTimeout(t);
      sock.off(event, h);
      resolve(args[0]);
    }
    sock.on(event, h);
  });
}

/** Collect every payload of `event` into an array. */
export function collect(sock, event) {
  const out = [];
  sock.on(event, (d) => out.push(d));
  return out;
}

export const ack = (sock, event, payload, timeoutMs = 2000) => sock.timeout(timeoutMs).emitWithAck(event, payload);

/** Raw Engine.IO/Socket.IO websocket client, up to and including `connected`. */
export async function rawClient(srv, sub) {
  const tok = await srv.token(sub);
  const ws = new WebSocket(`${srv.rt.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
  const frames = [];
  ws.on('message', (data, isBinary) => frames.push(isBinary ? Buffer.from(data) : data.toString()));
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  const waitFrame = async (pred, timeoutMs = 2000) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const i = frames.findIndex(pred);
      if (i >= 0) return frames.splice(i, 1)[0];
      await sleep(10);
    }
    throw new Error('timeout waiting for raw frame');
  };
  await waitFrame((f) => typeof f === 'string' && f.startsWith('0{'));
  ws.send(`40${JSON.stringify({ token: tok })}`);
  await waitFrame((f) => typeof f === 'string' && f.startsWith('40{'));
  await waitFrame((f) => typeof f === 'string' && f.startsWith('42["connected"'));
  return { ws, frames, waitFrame };
}

/** A request to the SSE backend's HTTP API: `{status, headers, json}`. */
export async function api(srv, method, p, { token, session, body, headers = {} } = {}) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (session) h['X-Realtime-Session'] = session;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  const res = await fetch(srv.rt + p, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

/** Parse SSE text: complete frames out, the unfinished rest back. */
function parseFrames(buf, out) {
  const parts = buf.replace(/\r\n?/g, '\n').split('\n\n');
  const rest = parts.pop();
  for (const block of parts) {
    let id = null;
    const data = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id:')) id = line.slice(3).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (!data.length) continue;
    const msg = JSON.parse(data.join('\n'));
    out.push({ id, type: msg.type, data: msg.data });
  }
  return rest;
}

/**
 * `GET /api/realtime/stream` with node's fetch, read as it streams. Resolves once
 * the headers came: `{status, headers, json (refusals), events, take(pred), ended, close()}`.
 * `take` waits for the next event (after the last one taken) matching `pred`.
 */
export async function openStream(srv, token, { lastEventId, query = '', headers = {}, path = '/api/realtime/stream' } = {}) {
  const ac = new AbortController();
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  if (lastEventId) h['Last-Event-ID'] = lastEventId;
  const res = await fetch(`${srv.rt}${path}${query}`, { headers: h, signal: ac.signal });
  const st = {
    status: res.status, headers: res.headers, events: [], pos: 0, ended: false, json: null,
    close() { ac.abort(); },
    async take(pred = () => true, timeoutMs = 2000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const i = st.events.findIndex((e, k) => k >= st.pos && pred(e));
        if (i >= 0) { st.pos = i + 1; return st.events[i]; }
        if (Date.now() > end) throw new Error(`timeout waiting for an SSE event (${st.events.length} seen)`);
        await sleep(10);
      }
    },
    /** Wait until the stream ended (the server closed it). */
    async waitEnd(timeoutMs = 2000) {
      const end = Date.now() + timeoutMs;
      while (!st.ended) { if (Date.now() > end) throw new Error('the stream did not end'); await sleep(10); }
    },
  };
  srv.clients.add(st);
  if (res.status !== 200) { st.json = await res.json(); st.ended = true; return st; }
  (async () => {
    const dec = new TextDecoder();
    let buf = '';
    for await (const chunk of res.body) buf = parseFrames(buf + dec.decode(chunk, { stream: true }), st.events);
  })().catch(() => {}).finally(() => { st.ended = true; });
  return st;
}
