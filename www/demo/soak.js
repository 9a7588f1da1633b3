// Page of the fault soak: one client and one offline queue of user `user`,
// driven by www/tests/soak.test.mjs through `window.app`. It records what
// the queue signals, and what arrives in the soak room, by clientMessageId.
import { RealtimeClient, OfflineQueueService } from '/pkg/index.js';

const params = new URLSearchParams(location.search);
const control = params.get('control');
const user = params.get('user') ?? 'soak';
const room = params.get('room') ?? 'channel:soak';

const client = new RealtimeClient();
client.initialize({ url: params.get('server'), reconnectDelayMs: 200, reconnectDelayMaxMs: 2000, ackTimeoutMs: 4000, maxReconnectAttempts: 100000 });
const queue = new OfflineQueueService(client);
const signals = { failed: [], notPersisted: [], errors: [] };
queue.subscribe((event, data) => {
  if (event === 'message:failed') signals.failed.push(data.message.clientMessageId);
  if (event === 'queue:error') {
    signals.errors.push(data.reason);
    if (data.messageId) signals.notPersisted.push(data.messageId);
  }
});
const arrived = [];
client.on('message:new', (m) => {
  const cid = m?.clientMessageId ?? m?.metadata?.clientMessageId;
  if (cid) arrived.push(cid);
});

window.app = {
  client,
  queue,
  signals,
  arrived,
  async connect() {
    const { token } = await (await fetch(`${control}/token?sub=${encodeURIComponent(user)}`)).json();
    client.connect(token).catch((e) => { window.app.connectError = e.message; });
  },
  join() { return client.joinChannel(room).then(() => true, (e) => e.code ?? e.message); },
  queueMany(n, prefix) {
    const ids = [];
    for (let i = 0; i < n; i++) {
      try {
        ids.push(queue.queueMessage({ channelId: room, content: `${prefix}${i}`, type: 'text' }).clientMessageId);
      } catch (e) {
        ids.push({ refused: String(e.message) });
      }
    }
    return ids;
  },
  // Fills localStorage up to its quota with junk keys (the soak's "storage full").
  fillStorage() {
    const chunk = 'x'.repeat(256 * 1024);
    let i = 0;
    try { for (;; i++) localStorage.setItem(`soak-junk-${i}`, chunk); } catch { /* full */ }
    let small = 'y'.repeat(1024);
    try { for (let j = 0; ; j++) localStorage.setItem(`soak-junk-s${j}`, small); } catch { /* full */ }
    return i;
  },
  freeStorage() {
    for (const k of Object.keys(localStorage)) if (k.startsWith('soak-junk-')) localStorage.removeItem(k);
  },
  state() {
    const msgs = queue.getQueuedMessages();
    return {
      connected: client.isConnected,
      length: msgs.length,
      unpersisted: msgs.filter((m) => m.persisted === false).length,
      failed: msgs.filter((m) => m.status === 'failed').map((m) => m.clientMessageId),
    };
  },
};
document.getElementById('status').textContent = 'ready';
