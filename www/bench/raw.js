// The raw browser WebSocket: the floor under any client library.
// - connect/events: a hand-written minimal Engine.IO v4 / Socket.IO v5 client
//   on the same server (open, CONNECT with auth, ping -> pong, `42[...]` events
//   JSON.parse'd and handed to the listener, `43<id>[...]` acks);
// - echo (ack benchmark): a plain WebSocket to the server's `/echo` endpoint,
//   one JSON text frame each way, JSON.parse'd.
import { install, server } from './harness.js';

const wsBase = server.replace(/^http/, 'ws');
let ws = null;
let echoWs = null;
const listeners = new Map();
const acks = new Map();
let nextAck = 0;
const echoWaiters = []; // the echo server answers in order
let pings = 0;

function onFrame(e) {
  const f = e.data;
  switch (f.charCodeAt(0)) {
    case 50: // '2' ping
      pings += 1;
      ws.send('3');
      break;
    case 52: { // '4' message
      const kind = f.charCodeAt(1);
      if (kind === 50) { // '2' event
        const args = JSON.parse(f.slice(2));
        const fn = listeners.get(args[0]);
        if (fn) fn(args[1]);
      } else if (kind === 51) { // '3' ack: 43<id>[...]
        const open = f.indexOf('[');
        const id = Number(f.slice(2, open));
        const done = acks.get(id);
        acks.delete(id);
        done?.(JSON.parse(f.slice(open))[0]);
      }
      break;
    }
    default:
  }
}

function connect(token) {
  return new Promise((resolve, reject) => {
    ws = new WebSocket(`${wsBase}/socket.io/?EIO=4&transport=websocket`);
    ws.onerror = () => reject(new Error('websocket error'));
    ws.onmessage = (e) => {
      const f = e.data;
      if (f[0] === '0') ws.send(`40${JSON.stringify({ token })}`);
      else if (f.startsWith('40')) {
        // Ready when the server says so: the nself server registers its
        // handlers only after its `connected` event.
        ws.onmessage = onFrame;
        listeners.set('connected', () => { listeners.delete('connected'); resolve(); });
      }
      else if (f.startsWith('44')) reject(new Error(`connect error ${f.slice(2)}`));
    };
  });
}

function openEcho() {
  return new Promise((resolve, reject) => {
    echoWs = new WebSocket(`${wsBase}/echo`);
    echoWs.onopen = () => resolve();
    echoWs.onerror = () => reject(new Error('echo websocket error'));
    echoWs.onmessage = (e) => echoWaiters.shift()?.(JSON.parse(e.data));
  });
}

install({
  name: 'raw WebSocket',
  connect,
  on: (event, fn) => listeners.set(event, fn),
  request(event, data) {
    return new Promise((resolve) => {
      const id = nextAck++;
      acks.set(id, resolve);
      ws.send(`42${id}${JSON.stringify([event, data])}`);
    });
  },
  async echo(data) {
    if (!echoWs) await openEcho();
    return new Promise((resolve) => {
      echoWaiters.push(resolve);
      echoWs.send(JSON.stringify(data));
    });
  },
  extra: { pings: () => pings },
});
