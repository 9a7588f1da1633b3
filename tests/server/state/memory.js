// The shared state ("the database") of one instance alone, in memory.
// state/redis.js implements the same interface over Redis, so that several
// instances agree; README.md says which state is shared.

const typingKey = (roomName, threadId) => `${roomName}\u0000${threadId ?? ''}`;

/** Presence as the real server's row would hold it, plus the live connection count. */
export const blankPresence = () => ({
  status: 'offline', customStatus: null, customEmoji: null, expiresAt: null, lastSeenAt: null, connections: 0,
});

export function createMemoryStore() {
  let data;
  const connections = new Map(); // userId -> live sockets (kept by reset: the sockets stay)
  let messageSeq = 0; // message ids keep counting up over resets
  let typingSeq = 0;

  function clear() {
    data = {
      rooms: new Set(),
      members: new Map(), // roomName -> Set<userId>
      lastMessageAt: new Map(), // roomName -> ms
      presence: new Map(), // userId -> presence without `connections`
      typing: new Map(), // typingKey -> { roomName, threadId, rows: Map<field, entry> }
      messages: new Map(), // id -> message
      byClientId: new Map(), // clientMessageId -> id
      roomMessages: new Map(), // roomName -> [id]
      delivered: new Map(), // id -> Map<userId, ms>
      read: new Map(), // id -> Map<userId, ms>
    };
  }
  clear();

  const presenceOf = (userId) => {
    const p = data.presence.get(userId);
    if (!p) return null;
    return { ...p, connections: connections.get(userId) ?? 0 };
  };
  const setPresence = (userId, fields) => {
    const p = { ...blankPresence(), ...fields }; // every write is a full row, as the real upsert
    delete p.connections;
    data.presence.set(userId, p);
    return presenceOf(userId);
  };
  const liveTyping = (entry, now) => {
    for (const [f, row] of entry.rows) if (row.expiresAt <= now) entry.rows.delete(f);
    return [...entry.rows.values()].sort((a, b) => a.startedAt - b.startedAt);
  };

  return {
    kind: 'memory',
    async reset() { clear(); },

    // rooms
    async addRooms(names) { for (const n of names) data.rooms.add(n); },
    async hasRoom(name) { return typeof name === 'string' && data.rooms.has(name); },
    async listRooms() { return [...data.rooms].sort(); },
    async addMember(roomName, userId) {
      if (!data.members.has(roomName)) data.members.set(roomName, new Set());
      data.members.get(roomName).add(userId);
    },
    async removeMember(roomName, userId) { data.members.get(roomName)?.delete(userId); },
    async members(roomName) { return [...(data.members.get(roomName) ?? [])].sort(); },
    async roomsOfMember(userId) {
      return [...data.members].filter(([name, m]) => m.has(userId) && data.rooms.has(name)).map(([n]) => n).sort();
    },
    async touchRoom(roomName, ms) {
      data.lastMessageAt.set(roomName, Math.max(data.lastMessageAt.get(roomName) ?? 0, ms));
    },
    async lastMessageAt(roomName) { return data.lastMessageAt.get(roomName) ?? null; },

    // presence
    async presenceConnect(userId) {
      connections.set(userId, (connections.get(userId) ?? 0) + 1);
      // the real upsert to 'online' writes NULL custom status and emoji
      return setPresence(userId, { status: 'online' });
    },
    async presenceDisconnect(userId, now) {
      const n = Math.max((connections.get(userId) ?? 0) - 1, 0);
      if (n === 0) connections.delete(userId); else connections.set(userId, n);
      if (n > 0) return presenceOf(userId) ?? { ...blankPresence(), status: 'online', connections: n };
      return setPresence(userId, { status: 'offline', lastSeenAt: now });
    },
    async presenceUpdate(userId, { status, customStatus, customEmoji, expiresAt }, now) {
      return setPresence(userId, { status, customStatus, customEmoji, expiresAt, lastSeenAt: status === 'offline' ? now : null });
    },
    async presenceGet(userId) {
      const p = presenceOf(userId);
      if (p) return p;
      const n = connections.get(userId) ?? 0;
      return n > 0 ? { ...blankPresence(), status: 'online', connections: n } : null;
    },

    // typing: rows without a thread never conflict (NULL in the real unique key), so each start adds one
    async typingStart(roomName, threadId, user, now, ttl) {
      const key = typingKey(roomName, threadId);
      let entry = data.typing.get(key);
      if (!entry) { entry = { roomName, threadId, rows: new Map() }; data.typing.set(key, entry); }
      typingSeq += 1;
      const field = threadId ? user.userId : `${user.userId}\u0000${typingSeq}`;
      entry.rows.set(field, { ...user, startedAt: now, expiresAt: now + ttl });
    },
    async typingStop(roomName, threadId, userId) {
      const entry = data.typing.get(typingKey(roomName, threadId));
      if (!entry) return;
      for (const [f, row] of entry.rows) if (row.userId === userId) entry.rows.delete(f);
    },
    async typingUsers(roomName, threadId, now) {
      const entry = data.typing.get(typingKey(roomName, threadId));
      return entry ? liveTyping(entry, now) : [];
    },
    async typingClearUser(userId, now) {
      const out = [];
      for (const entry of data.typing.values()) {
        const had = liveTyping(entry, now).some((r) => r.userId === userId);
        for (const [f, row] of entry.rows) if (row.userId === userId) entry.rows.delete(f);
        if (had) out.push({ roomName: entry.roomName, threadId: entry.threadId });
      }
      return out;
    },

    // messages (extensions)
    async nextMessageSeq() { messageSeq += 1; return messageSeq; },
    async claimClientMessageId(clientMessageId, id) {
      const existing = data.byClientId.get(clientMessageId);
      if (existing) return existing;
      data.byClientId.set(clientMessageId, id);
      return null;
    },
    async saveMessage(m) {
      const isNew = !data.messages.has(m.id);
      data.messages.set(m.id, structuredClone(m));
      if (isNew) {
        if (!data.roomMessages.has(m.roomName)) data.roomMessages.set(m.roomName, []);
        data.roomMessages.get(m.roomName).push(m.id);
      }
    },
    async getMessage(idOrClientId) {
      if (typeof idOrClientId !== 'string') return null;
      const id = data.messages.has(idOrClientId) ? idOrClientId : data.byClientId.get(idOrClientId);
      const m = id && data.messages.get(id);
      return m ? structuredClone(m) : null;
    },
    async roomMessages(roomName) {
      return (data.roomMessages.get(roomName) ?? []).map((id) => structuredClone(data.messages.get(id)));
    },
    async markDelivered(id, userId, at) {
      if (!data.delivered.has(id)) data.delivered.set(id, new Map());
      const d = data.delivered.get(id);
      if (!d.has(userId)) d.set(userId, at);
      return d.get(userId);
    },
    async markRead(id, userId, at) {
      if (!data.read.has(id)) data.read.set(id, new Map());
      const r = data.read.get(id);
      if (!r.has(userId)) r.set(userId, at);
      return r.get(userId);
    },
    async receipts(id) {
      return {
        deliveredTo: [...(data.delivered.get(id) ?? new Map())].sort((a, b) => a[1] - b[1]).map(([u]) => u),
        readBy: [...(data.read.get(id) ?? new Map())].sort((a, b) => a[1] - b[1]).map(([u]) => u),
      };
    },
  };
}
