// One signed-in user's realtime session: the package's client and services,
// and the app's own state (the messages of each channel), each with a
// version the components read through useSyncExternalStore.
import {
  RealtimeClient, PresenceService, TypingService, OfflineQueueService, DeliveryEventHandler,
} from 'chat-realtime';
import { CHANNELS, USERS } from '../users.js';

/** A value with listeners: `bump()` tells them, `version` is the snapshot. */
class Signal {
  version = 0;
  listeners = new Set();
  subscribe = (fn) => { this.listeners.add(fn); return () => this.listeners.delete(fn); };
  get = () => this.version;
  bump = () => { this.version++; for (const fn of this.listeners) fn(); };
}

const channelOf = (roomName) => String(roomName ?? '').replace(/^channel:/, '');
const timeOf = (t) => (typeof t === 'number' ? t : Date.parse(t)) || Date.now();

export class ChatSession {
  /** `cfg`: what /api/session answered. */
  constructor(cfg) {
    this.user = cfg.user;
    this.others = USERS.filter((u) => u.id !== cfg.user.id);
    this.connection = new Signal();
    this.messages = new Signal();
    this.presenceSignal = new Signal();
    this.typingSignal = new Signal();
    this.deliverySignal = new Signal();
    this.queueSignal = new Signal();
    this.privacySignal = new Signal();
    /** channelId -> Map(key -> message), key = clientMessageId or server id. */
    this.byChannel = new Map(CHANNELS.map((c) => [c, new Map()]));
    this.unread = new Map(CHANNELS.map((c) => [c, 0]));
    this.active = CHANNELS[0];
    this.readAcked = new Set();
    this.stops = [];

    const client = new RealtimeClient();
    client.initialize({ url: cfg.url, reconnectDelayMs: 500, reconnectDelayMaxMs: 3000, maxReconnectAttempts: 1_000_000, qualityIntervalMs: 5000 });
    this.client = client;
    this.presence = new PresenceService(client, { userId: cfg.user.id, idleTimeoutMs: cfg.idleTimeoutMs });
    this.typing = new TypingService(client, { userId: cfg.user.id });
    this.typing.setUserNames(Object.fromEntries(USERS.map((u) => [u.id, u.name])));
    // One queue per user, so two demo users in one browser keep theirs apart.
    this.queue = new OfflineQueueService(client, { storageKey: `chat-demo:${cfg.user.id}:queue` });
    this.delivery = new DeliveryEventHandler(client, { queue: this.queue, readBatchMs: 300 });

    const c = this.connection.bump;
    this.stops.push(
      client.onStateChange((state) => { c(); if (state === 'connected') this.#onConnected(); }),
      client.onQualityChange(c),
      client.onOfflineStatusChange(c),
      client.on('message:new', (m) => this.#onMessage(m)),
      this.presence.onPresenceChange(this.presenceSignal.bump),
      this.presence.onStatusChange(this.presenceSignal.bump),
      this.presence.onCustomStatusChange(this.presenceSignal.bump),
      this.typing.subscribe(this.typingSignal.bump),
      this.delivery.subscribe(this.deliverySignal.bump),
      this.queue.subscribe(this.queueSignal.bump),
    );
    // Latency samples change the average without an event of their own.
    const timer = setInterval(c, 2000);
    this.stops.push(() => clearInterval(timer));
    // What a reload left in the queue is shown as pending.
    for (const q of this.queue.getQueuedMessages()) this.#addOwn(q);
    client.connect(cfg.token).catch((e) => { this.error = e.message; c(); });
    // Joined once: the client re-joins its rooms after every reconnect.
    for (const ch of CHANNELS) {
      client.joinChannel(ch).catch((e) => { this.error = `joining ${ch}: ${e.message}`; c(); });
    }
  }

  async #onConnected() {
    this.presence.subscribeToUsers(this.others.map((u) => u.id));
    // History where the server offers it (the test server's sync:messages
    // extension; the nself server keeps none): merged by id, so a reconnect
    // also brings what was missed.
    await Promise.all(CHANNELS.map(async (ch) => {
      try {
        const ack = await this.client.emitAsync('sync:messages', { roomName: `channel:${ch}`, since: 0 }, 5000);
        for (const m of ack?.data?.messages ?? ack?.messages ?? []) this.#onMessage(m, true);
      } catch { /* no history on this server */ }
    }));
  }

  #addOwn(q) {
    this.#put(q.channelId, { key: q.clientMessageId, clientMessageId: q.clientMessageId, id: null, channelId: q.channelId, userId: this.user.id, content: q.content, timestamp: q.createdAt, mine: true });
  }

  #onMessage(m, history = false) {
    const channelId = channelOf(m.roomName);
    if (!this.byChannel.has(channelId)) return;
    const cid = m.clientMessageId ?? m.metadata?.clientMessageId ?? null;
    const mine = m.userId === this.user.id;
    const key = cid ?? m.id ?? `${m.userId}:${m.timestamp}`;
    const isNew = !this.byChannel.get(channelId).has(key);
    this.#put(channelId, { key, clientMessageId: cid, id: m.id ?? null, channelId, userId: m.userId, content: m.content, timestamp: timeOf(m.timestamp), mine });
    if (isNew && !mine && !history && channelId !== this.active) this.unread.set(channelId, this.unread.get(channelId) + 1);
    this.messages.bump();
  }

  #put(channelId, msg) {
    const map = this.byChannel.get(channelId);
    if (!map) return;
    const old = map.get(msg.key);
    map.set(msg.key, old ? { ...old, id: msg.id ?? old.id, timestamp: old.mine ? old.timestamp : msg.timestamp } : msg);
    this.messages.bump();
  }

  /** The messages of a channel, oldest first (a new array per change). */
  list(channelId) {
    const map = this.byChannel.get(channelId);
    const version = this.messages.version;
    if (map._cache?.version === version) return map._cache.list;
    const list = [...map.values()].sort((a, b) => a.timestamp - b.timestamp);
    map._cache = { version, list };
    return list;
  }

  setActive(channelId) {
    this.active = channelId;
    this.unread.set(channelId, 0);
    this.messages.bump();
  }

  /** Sends through the offline queue: at once when connected, else when back. */
  send(channelId, content) {
    const q = this.queue.queueMessage({ channelId, content, type: 'text' });
    this.typing.stopTyping(channelId);
    this.#addOwn(q);
    return q;
  }

  /** Read receipts for the others' messages shown in `channelId`. */
  acknowledgeVisible(channelId) {
    if (!this.presence.getPresenceSettings().allowReadReceipts) return;
    for (const m of this.list(channelId)) {
      if (m.mine || !m.id || this.readAcked.has(m.id)) continue;
      this.readAcked.add(m.id);
      this.delivery.acknowledgeRead(m.id, channelId);
    }
  }

  dispose() {
    for (const stop of this.stops.splice(0)) stop();
    this.typing.stopTyping();
    for (const s of [this.delivery, this.queue, this.typing, this.presence]) s.dispose();
    this.client.disconnect();
    this.client.destroy?.();
  }
}
