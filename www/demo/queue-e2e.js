// Page of the offline-queue end-to-end tests: a client and an offline queue,
// driven by the test through `window.app`.
import { RealtimeClient, OfflineQueueService } from '/pkg/index.js';

const params = new URLSearchParams(location.search);
const control = params.get('control');
const user = params.get('user') ?? 'e2e';
const maxMessages = Number(params.get('max') ?? 100);

const client = new RealtimeClient();
client.initialize({ url: params.get('server'), reconnectDelayMs: 200, reconnectDelayMaxMs: 1000, maxReconnectAttempts: 100000 });
const queue = new OfflineQueueService(client, { maxMessages });
const events = [];
// Each event with the time, and for flushes and sends what this tab's
// localStorage held then (the diagnosis of a message sent twice).
const stored = () => Object.keys(localStorage).filter((k) => k.startsWith('nchat:offline-queue:m:')).length;
queue.subscribe((event, data) => events.push({
  event,
  at: Date.now(),
  reason: data?.reason,
  messageId: data?.messageId ?? data?.message?.id ?? null,
  cid: data?.message?.clientMessageId,
  persisted: data?.message?.persisted,
  duplicate: data?.duplicate,
  flushId: data?.flushId,
  count: data?.count ?? data?.sent,
  stored: event === 'queue:flushing' || event === 'queue:flushed' || event === 'message:sent' ? stored() : undefined,
}));

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
  // Queues `n` messages in bursts of `burst`, yielding to the event loop in
  // between, so another tab's writes and storage events interleave.
  async queueSpread(n, prefix, burst = 5, pauseMs = 0) {
    const ids = [];
    for (let i = 0; i < n; i++) {
      ids.push(queue.queueMessage({ channelId: 'e2e', content: `${prefix}${i}`, type: 'text' }).clientMessageId);
      if ((i + 1) % burst === 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
    return ids;
  },
  queuedCount() {
    return events.filter((e) => e.event === 'message:queued').length;
  },
};
document.getElementById('status').textContent = 'ready';
