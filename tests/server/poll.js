// The polling fallback's per-room log (`GET /poll?channelId=&since=`, docs/sse-wire.md):
// every broadcast this instance's adapter delivers (its own, and with Redis the
// other instances' too) is recorded, mapped as on the SSE stream, under each
// room it went to; broadcasts to everyone (presence) under '*', which every
// room's answer includes. Timestamps are strictly increasing ms, and `now` is
// taken from the same clock, so `since = now` never loses or repeats an event.
import { mapEvent } from './ssewire.js';

const KEEP = 1000;
const EVERYONE = '*';
const EVENT = 2;
const BINARY_EVENT = 5;

/**
 * The prototype of the in-memory base adapter (socket.io-adapter's `Adapter`):
 * the Redis adapter calls it for local delivery of its own and of remote
 * broadcasts alike, so a patch there sees each delivered broadcast once.
 */
function baseAdapterPrototype(adapter) {
  let base = null;
  for (let p = Object.getPrototypeOf(adapter); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.prototype.hasOwnProperty.call(p, 'broadcast')) base = p;
  }
  if (!base) throw new Error('no adapter broadcast() to record the poll log from');
  return base;
}

export function createPollLog(io) {
  const rooms = new Map(); // room -> [{id, type, data, timestamp}]
  let last = 0;
  let n = 0;
  const tick = () => { last = Math.max(Date.now(), last + 1); return last; };

  function record(packet, opts) {
    if (!packet || (packet.type !== EVENT && packet.type !== BINARY_EVENT) || !Array.isArray(packet.data)) return;
    const [event, ...args] = packet.data;
    if (typeof event !== 'string') return;
    const targets = opts?.rooms?.size ? [...opts.rooms].filter((r) => typeof r === 'string' && !r.startsWith('\u0000')) : [EVERYONE];
    if (targets.length === 0) return; // a user's own room (receipts): not a room's event
    const m = mapEvent(event, args);
    n += 1;
    const ev = { id: `p${n}`, type: m.type, data: m.data, timestamp: tick() };
    for (const r of targets) {
      if (!rooms.has(r)) rooms.set(r, []);
      const list = rooms.get(r);
      list.push(ev);
      if (list.length > KEEP) list.shift();
    }
  }

  const proto = baseAdapterPrototype(io.of('/').adapter);
  if (!proto.__pollPatched) {
    const orig = proto.broadcast;
    proto.broadcast = function patchedBroadcast(packet, opts) {
      try { this.__pollLog?.(packet, opts); } catch (e) { console.error('poll log failed:', e); }
      return orig.call(this, packet, opts);
    };
    proto.__pollPatched = true;
  }
  io.of('/').adapter.__pollLog = record;

  return {
    /** The events of `room` (and to everyone) after `since`, in order, and the `now` to ask from next. */
    query(room, since) {
      const out = [...(rooms.get(room) ?? []), ...(rooms.get(EVERYONE) ?? [])]
        .filter((e) => e.timestamp > since)
        .sort((a, b) => a.timestamp - b.timestamp);
      return { events: out, now: tick() };
    },
    reset() { rooms.clear(); },
  };
}
