// The app's own state: the messages of each channel and the unread counts
// (messages are the app's data: the package carries them, it does not keep
// them). Components read it through useSyncExternalStore; everything
// realtime comes from chat-realtime/react's hooks.
import { useSyncExternalStore } from 'react';
import { CHANNELS } from '../users.js';

const channelOf = (roomName) => String(roomName ?? '').replace(/^channel:/, '');
const timeOf = (t) => (typeof t === 'number' ? t : Date.parse(t)) || Date.now();

export class MessageStore {
  /** channelId -> Map(key -> message), key = clientMessageId or server id. */
  byChannel = new Map(CHANNELS.map((c) => [c, new Map()]));
  unread = new Map(CHANNELS.map((c) => [c, 0]));
  active = CHANNELS[0];
  /** A problem to show in the banner (a channel that could not be joined). */
  notice = null;
  version = 0;
  #listeners = new Set();
  #lists = new Map();

  constructor(userId) {
    this.userId = userId;
  }

  subscribe = (fn) => {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  };

  getVersion = () => this.version;

  #bump() {
    this.version++;
    for (const fn of this.#listeners) fn();
  }

  /** A `message:new` from the server (or its history). */
  receive(m, history = false) {
    const channelId = channelOf(m.roomName);
    const map = this.byChannel.get(channelId);
    if (!map) return;
    const cid = m.clientMessageId ?? m.metadata?.clientMessageId ?? null;
    const mine = m.userId === this.userId;
    const key = cid ?? m.id ?? `${m.userId}:${m.timestamp}`;
    if (!map.has(key) && !mine && !history && channelId !== this.active) this.unread.set(channelId, this.unread.get(channelId) + 1);
    this.#put(map, { key, clientMessageId: cid, id: m.id ?? null, channelId, userId: m.userId, content: m.content, timestamp: timeOf(m.timestamp), mine });
  }

  /** One of ours, as the offline queue holds it (sent now or later). */
  addOwn(q) {
    const map = this.byChannel.get(q.channelId);
    if (!map || map.has(q.clientMessageId)) return;
    this.#put(map, { key: q.clientMessageId, clientMessageId: q.clientMessageId, id: null, channelId: q.channelId, userId: this.userId, content: q.content, timestamp: timeOf(q.createdAt), mine: true });
  }

  #put(map, msg) {
    const old = map.get(msg.key);
    map.set(msg.key, old ? { ...old, id: msg.id ?? old.id, timestamp: old.mine ? old.timestamp : msg.timestamp } : msg);
    this.#bump();
  }

  /** The messages of a channel, oldest first (a new array per change). */
  list(channelId) {
    const cached = this.#lists.get(channelId);
    if (cached?.version === this.version) return cached.list;
    const list = [...(this.byChannel.get(channelId)?.values() ?? [])].sort((a, b) => a.timestamp - b.timestamp);
    this.#lists.set(channelId, { version: this.version, list });
    return list;
  }

  setActive(channelId) {
    this.active = channelId;
    this.unread.set(channelId, 0);
    this.#bump();
  }

  setNotice(text) {
    this.notice = text;
    this.#bump();
  }

  /**
   * History where the server offers it (the test server's sync:messages
   * extension; the nself server keeps none): merged by key, so after a
   * reconnect it also brings what was missed.
   */
  async catchUp(emitAsync) {
    await Promise.all(CHANNELS.map(async (ch) => {
      try {
        const ack = await emitAsync('sync:messages', { roomName: `channel:${ch}`, since: 0 }, 5000);
        for (const m of ack?.data?.messages ?? ack?.messages ?? []) this.receive(m, true);
      } catch { /* no history on this server */ }
    }));
  }
}

/** Re-renders on the store's changes; returns its version. */
export const useMessageStore = (store) => useSyncExternalStore(store.subscribe, store.getVersion, () => 0);
