// The shared state over Redis (env REDIS_URL): the same interface as
// state/memory.js, so every instance sees the same rooms, members, presence,
// typing rows and (for the extensions) messages and receipts, as the real
// servers share one Postgres database.
import { blankPresence } from './memory.js';

const typingKey = (roomName, threadId) => `${roomName}\u0000${threadId ?? ''}`;

// Keep the larger value: lastMessageAt never goes back when instances race.
const MAX_SCRIPT = `local v = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > v then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) return tonumber(ARGV[2]) end
return v`;
// Connection count minus one, never below zero (GREATEST(n - 1, 0) on the real server).
const DECR_SCRIPT = `local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) n = 0 end
return n`;

const parse = (s) => (s === null || s === undefined ? null : JSON.parse(s));

/** `client` is a connected node-redis v4 client (not the adapter's subscriber). */
export function createRedisStore(client, prefix) {
  const d = `${prefix}d:`; // data: cleared by /reset
  const p = `${prefix}p:`; // kept: live connection counts, id counters
  const k = {
    rooms: `${d}rooms`,
    members: (r) => `${d}members:${r}`,
    memberOf: (u) => `${d}memberof:${u}`,
    lastMsg: `${d}lastmsg`,
    presence: `${d}presence`,
    conn: `${p}conn`,
    typing: (key) => `${d}typing:${key}`,
    typingKeys: `${d}typingkeys`,
    seq: `${p}seq`,
    typingSeq: `${p}typingseq`,
    msg: (id) => `${d}msg:${id}`,
    cmid: `${d}cmid`,
    roomMsgs: (r) => `${d}roommsgs:${r}`,
    delivered: (id) => `${d}deliv:${id}`,
    read: (id) => `${d}read:${id}`,
  };

  async function presenceOf(userId) {
    const [raw, n] = await Promise.all([client.hGet(k.presence, userId), client.hGet(k.conn, userId)]);
    const connections = Number(n ?? 0);
    if (raw) return { ...parse(raw), connections };
    return connections > 0 ? { ...blankPresence(), status: 'online', connections } : null;
  }
  async function setPresence(userId, fields) {
    const rec = { ...blankPresence(), ...fields };
    delete rec.connections;
    await client.hSet(k.presence, userId, JSON.stringify(rec));
    return presenceOf(userId);
  }
  async function liveTyping(key, now) {
    const all = await client.hGetAll(k.typing(key));
    const rows = [];
    const dead = [];
    for (const [f, v] of Object.entries(all)) {
      const row = parse(v);
      if (row.expiresAt <= now) dead.push(f); else rows.push(row);
    }
    if (dead.length) await client.hDel(k.typing(key), dead);
    return rows.sort((a, b) => a.startedAt - b.startedAt);
  }
  const sortedByTime = (h) => Object.entries(h).sort((a, b) => Number(a[1]) - Number(b[1])).map(([u]) => u);

  return {
    kind: 'redis',
    async reset() {
      const keys = [];
      for await (const key of client.scanIterator({ MATCH: `${d}*`, COUNT: 500 })) keys.push(key);
      for (let i = 0; i < keys.length; i += 500) await client.unlink(keys.slice(i, i + 500));
    },

    // rooms
    async addRooms(names) { if (names.length) await client.sAdd(k.rooms, names); },
    async hasRoom(name) { return typeof name === 'string' && (await client.sIsMember(k.rooms, name)); },
    async listRooms() { return (await client.sMembers(k.rooms)).sort(); },
    async addMember(roomName, userId) {
      await Promise.all([client.sAdd(k.members(roomName), userId), client.sAdd(k.memberOf(userId), roomName)]);
    },
    async removeMember(roomName, userId) {
      await Promise.all([client.sRem(k.members(roomName), userId), client.sRem(k.memberOf(userId), roomName)]);
    },
    async members(roomName) { return (await client.sMembers(k.members(roomName))).sort(); },
    async roomsOfMember(userId) {
      const names = await client.sMembers(k.memberOf(userId));
      const live = [];
      for (const n of names) if (await client.sIsMember(k.rooms, n)) live.push(n);
      return live.sort();
    },
    async touchRoom(roomName, ms) {
      await client.eval(MAX_SCRIPT, { keys: [k.lastMsg], arguments: [roomName, String(ms)] });
    },
    async lastMessageAt(roomName) {
      const v = await client.hGet(k.lastMsg, roomName);
      return v === null || v === undefined ? null : Number(v);
    },

    // presence
    async presenceConnect(userId) {
      await client.hIncrBy(k.conn, userId, 1);
      return setPresence(userId, { status: 'online' });
    },
    async presenceDisconnect(userId, now) {
      const n = Number(await client.eval(DECR_SCRIPT, { keys: [k.conn], arguments: [userId] }));
      if (n > 0) return presenceOf(userId);
      return setPresence(userId, { status: 'offline', lastSeenAt: now });
    },
    async presenceUpdate(userId, { status, customStatus, customEmoji, expiresAt }, now) {
      return setPresence(userId, { status, customStatus, customEmoji, expiresAt, lastSeenAt: status === 'offline' ? now : null });
    },
    async presenceGet(userId) { return presenceOf(userId); },

    // typing
    async typingStart(roomName, threadId, user, now, ttl) {
      const key = typingKey(roomName, threadId);
      const field = threadId ? user.userId : `${user.userId}\u0000${await client.incr(k.typingSeq)}`;
      await Promise.all([
        client.hSet(k.typing(key), field, JSON.stringify({ ...user, startedAt: now, expiresAt: now + ttl })),
        client.sAdd(k.typingKeys, JSON.stringify([roomName, threadId ?? null])),
      ]);
    },
    async typingStop(roomName, threadId, userId) {
      const key = k.typing(typingKey(roomName, threadId));
      const all = await client.hGetAll(key);
      const mine = Object.entries(all).filter(([, v]) => parse(v).userId === userId).map(([f]) => f);
      if (mine.length) await client.hDel(key, mine);
    },
    async typingUsers(roomName, threadId, now) { return liveTyping(typingKey(roomName, threadId), now); },
    async typingClearUser(userId, now) {
      const out = [];
      for (const raw of await client.sMembers(k.typingKeys)) {
        const [roomName, threadId] = parse(raw);
        const key = typingKey(roomName, threadId);
        const had = (await liveTyping(key, now)).some((r) => r.userId === userId);
        await this.typingStop(roomName, threadId, userId);
        if (had) out.push({ roomName, threadId });
      }
      return out;
    },

    // messages (extensions)
    async nextMessageSeq() { return Number(await client.incr(k.seq)); },
    async claimClientMessageId(clientMessageId, id) {
      if (await client.hSetNX(k.cmid, clientMessageId, id)) return null;
      return client.hGet(k.cmid, clientMessageId);
    },
    async saveMessage(m) {
      const isNew = await client.set(k.msg(m.id), JSON.stringify(m), { NX: true });
      if (isNew) await client.rPush(k.roomMsgs(m.roomName), m.id);
      else await client.set(k.msg(m.id), JSON.stringify(m));
    },
    async getMessage(idOrClientId) {
      if (typeof idOrClientId !== 'string') return null;
      let raw = await client.get(k.msg(idOrClientId));
      if (!raw) {
        const id = await client.hGet(k.cmid, idOrClientId);
        if (id) raw = await client.get(k.msg(id));
      }
      return parse(raw);
    },
    async roomMessages(roomName) {
      const ids = await client.lRange(k.roomMsgs(roomName), 0, -1);
      if (!ids.length) return [];
      return (await client.mGet(ids.map(k.msg))).filter(Boolean).map(parse);
    },
    async markDelivered(id, userId, at) {
      await client.hSetNX(k.delivered(id), userId, String(at));
      return Number(await client.hGet(k.delivered(id), userId));
    },
    async markRead(id, userId, at) {
      await client.hSetNX(k.read(id), userId, String(at));
      return Number(await client.hGet(k.read(id), userId));
    },
    async receipts(id) {
      const [dl, rd] = await Promise.all([client.hGetAll(k.delivered(id)), client.hGetAll(k.read(id))]);
      return { deliveredTo: sortedByTime(dl), readBy: sortedByTime(rd) };
    },
  };
}
