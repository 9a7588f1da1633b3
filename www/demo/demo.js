// Imports the package (the wasm loads with it), connects with a development token from the local
// server's control API and shows the connection state live.
import { RealtimeClient } from '/pkg/index.js';

const params = new URLSearchParams(location.search);
const server = params.get('server') ?? 'http://127.0.0.1:3101';
const control = params.get('control') ?? 'http://127.0.0.1:3102';
const user = params.get('user') ?? 'demo';
const $ = (id) => document.getElementById(id);
const log = (line) => { $('log').textContent += `${new Date().toISOString().slice(11, 23)} ${line}\n`; };

function render(client) {
  $('state').textContent = client.state;
  $('state').dataset.state = client.state;
  $('quality').textContent = client.connectionQuality;
  $('latency').textContent = client.averageLatency === null ? '–' : `${client.averageLatency.toFixed(1)} ms`;
  $('attempts').textContent = String(client.reconnectAttempts);
  $('online').textContent = String(client.isOnline);
}

const client = new RealtimeClient();
window.__client = client;
client.initialize({ url: server, debug: params.has('debug'), qualityIntervalMs: 5000 });
client.onStateChange((state, previous) => { log(`state ${previous} -> ${state}`); render(client); });
client.onQualityChange(() => render(client));
client.onOfflineStatusChange((online) => { log(online ? 'back online' : 'offline'); render(client); });
client.onError((e) => log(`error ${e.code}: ${e.message}`));
client.on('authenticated', (a) => log(`authenticated as ${a.userId}`));
client.on('message:new', (m) => log(`message from ${m.userId}: ${m.content}`));
render(client);

$('ping').onclick = async () => {
  try { log(`latency ${await client.measureLatency()} ms`); } catch (e) { log(`ping failed: ${e.message}`); }
  render(client);
};
$('echo').onclick = async () => {
  const ack = await client.emitAsync('message:send', { roomName: 'channel:demo', content: 'hello from the demo', clientMessageId: crypto.randomUUID() });
  log(`sent: ${JSON.stringify(ack)}`);
};

try {
  const { token } = await (await fetch(`${control}/token?sub=${encodeURIComponent(user)}&name=${encodeURIComponent(user)}`)).json();
  await client.connect(token);
  await client.joinChannel('demo');
  log('connected and joined channel:demo');
} catch (e) {
  log(`connect failed: ${e.message}`);
}
