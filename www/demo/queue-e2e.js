// Page of the offline-queue end-to-end tests: a client and an offline queue,
// driven by the test through `window.app`.
import init, { RealtimeClient, OfflineQueueService } from '/pkg/chat_realtime.js';

const params = new URLSearchParams(location.search);
const control = params.get('control');
const user = params.get('user') ?? 'e2e';

await init();
const client = new RealtimeClient();
client.initialize({ url: params.get('server'), reconnectDelayMs: 200, reconnectDelayMaxMs: 1000 });
const queue = new OfflineQueueService(client);
const events = [];
queue.subscribe((event, data) => events.push({ event, reason: data?.reason }));

window.app = {
  client,
  queue,
  events,
  async connect() {
    const { token } = await (await fetch(`${control}/token?sub=${encodeURIComponent(user)}`)).json();
    client.connect(token).catch((e) => { window.app.connectError = e.message; });
  },
  queueMany(n, prefix) {
    const ids = [];
    for (let i = 0; i < n; i++) ids.push(queue.queueMessage({ channelId: 'e2e', content: `${prefix}${i}`, type: 'text' }).clientMessageId);
    return ids;
  },
};
document.getElementById('status').textContent = 'ready';
