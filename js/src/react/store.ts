// The one external store behind every hook: the `RealtimeProvider`'s live
// session (the module integration service, initialized once however often
// React mounts the provider) and a version bumped by every event of the
// client and its services. Hooks read the services through
// `useSyncExternalStore`; what they show is recomputed at most once per
// version and kept when equal, and listeners hear of changes at most once
// per animation frame, so a burst of events costs a bounded number of renders.
// No behaviour lives here: connection, typing, presence, queue and rooms are
// the services' (the wasm's).
import { useMemo, useSyncExternalStore } from 'react';
import { realtimeClient } from '../client.js';
import type { DeliveryEventHandler } from '../delivery.js';
import { getRealtimeIntegration, type RealtimeIntegrationConfig } from '../integration.js';
import type { PresenceService } from '../presence.js';
import type { OfflineQueueService } from '../queue.js';
import type { RoomManagerService } from '../room-manager.js';
import type { TypingService } from '../typing.js';
import type { RealtimeError } from '../types.js';

/** The services of the live session; `null` for one that is not enabled. */
export interface RealtimeServices {
  presence: PresenceService | null;
  typing: TypingService | null;
  delivery: DeliveryEventHandler | null;
  queue: OfflineQueueService | null;
  rooms: RoomManagerService;
}

/** The session a provider started. */
interface Live {
  key: string;
  refs: number;
  services: RealtimeServices;
  /** The client's last error since it last connected. */
  error: RealtimeError | null;
  offs: (() => void)[];
}

let live: Live | null = null;
let version = 0;
const listeners = new Set<() => void>();
let pending: [number, ReturnType<typeof setTimeout>] | null = null;

/** Tells the subscribed hooks (once per frame; every 100 ms where frames do not run, e.g. a hidden tab). */
function flush(): void {
  if (!pending) return;
  if (typeof cancelAnimationFrame === 'function') cancelAnimationFrame(pending[0]);
  clearTimeout(pending[1]);
  pending = null;
  for (const f of [...listeners]) f();
}

/** Something may have changed: a new version, and the hooks told in the next frame. */
export function changed(): void {
  version += 1;
  if (pending) return;
  pending = [typeof requestAnimationFrame === 'function' ? requestAnimationFrame(flush) : 0, setTimeout(flush, 100)];
}

/** `useSyncExternalStore`'s subscribe. */
function subscribe(f: () => void): () => void {
  listeners.add(f);
  return () => {
    listeners.delete(f);
  };
}

/** The live session's services, or `null` without a provider (and on the server). */
export const services = (): RealtimeServices | null => live?.services ?? null;

/** The client's last error since it last connected (`null` without a provider). */
export const lastError = (): RealtimeError | null => live?.error ?? null;

/** Ends the live session: its listeners go, the integration is destroyed (disconnected). */
function teardown(): void {
  const l = live;
  if (!l) return;
  live = null;
  for (const off of l.offs) off();
  getRealtimeIntegration().destroy();
  changed();
}

/**
 * The provider mounted with `config`: the same config again (React's
 * strict-mode remount, a second provider) shares the live session; another
 * one ends it and starts anew.
 */
export function acquire(config: RealtimeIntegrationConfig): void {
  const key = JSON.stringify(config);
  if (live?.key === key) {
    live.refs += 1;
    return;
  }
  teardown();
  const ri = getRealtimeIntegration();
  const offs: (() => void)[] = [];
  const l: Live = { key, refs: 1, error: null, offs, services: null as unknown as RealtimeServices };
  live = l;
  offs.push(
    realtimeClient.onStateChange((s) => {
      if (s === 'connected') l.error = null;
      changed();
    }),
    realtimeClient.onQualityChange(changed),
    realtimeClient.onOfflineStatusChange(changed),
    realtimeClient.onReconnection(changed),
    realtimeClient.onError((e) => {
      l.error = e;
      changed();
    }),
  );
  // Each latency sample moves the average: no timer of the store's own.
  offs.push(realtimeClient.onLatencyChange(changed));
  ri.initialize(config);
  const c = ri.getConfig();
  const s: RealtimeServices = (l.services = {
    presence: c.enablePresence ? ri.getPresence() : null,
    typing: c.enableTyping ? ri.getTyping() : null,
    delivery: c.enableDeliveryReceipts ? ri.getDelivery() : null,
    queue: c.enableOfflineQueue ? ri.getOfflineQueue() : null,
    rooms: ri.getRoomManager(),
  });
  if (s.presence) {
    offs.push(s.presence.onPresenceChange(changed), s.presence.onStatusChange(changed),
      s.presence.onCustomStatusChange(changed));
  }
  if (s.typing) offs.push(s.typing.onTypingChange(changed));
  if (s.delivery) offs.push(s.delivery.subscribe(changed));
  if (s.queue) offs.push(s.queue.subscribe(changed));
  offs.push(s.rooms.onRoomJoined(changed), s.rooms.onRoomLeft(changed), s.rooms.onRoomError(changed),
    s.rooms.onReconnected(changed));
  changed();
}

/**
 * The provider unmounted: the session ends once no provider holds it, after
 * the current task, so a remount at once (strict mode) keeps the connection.
 */
export function release(): void {
  const l = live;
  if (!l) return;
  l.refs -= 1;
  if (l.refs === 0) {
    queueMicrotask(() => {
      if (live === l && l.refs === 0) teardown();
    });
  }
}

/** An array or a plain object (not a class instance: services compare by identity). */
const plain = (v: unknown): v is object => {
  const p = typeof v === 'object' && v !== null && Object.getPrototypeOf(v);
  return p === Object.prototype || p === Array.prototype || p === null;
};

/** Structural equality of plain data (objects, arrays, Dates): equal snapshots keep their identity. */
function same(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (!plain(a) || !plain(b) || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const o = b as Record<string, unknown>;
  return ka.length === Object.keys(o).length && ka.every((k) => k in o && same((a as Record<string, unknown>)[k], o[k]));
}

/**
 * `read(services)` as a hook value: `initial` without a provider and on the
 * server; recomputed once per change and kept (same identity) when equal.
 * `initial` must be a constant (it is the server snapshot).
 */
export function useStore<T>(read: (s: RealtimeServices) => T, initial: T, deps: readonly unknown[]): T {
  const get = useMemo(() => {
    let at = -1;
    let value = initial;
    return (): T => {
      if (at !== version) {
        at = version;
        const next = live ? read(live.services) : initial;
        if (!same(value, next)) value = next;
      }
      return value;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  return useSyncExternalStore(subscribe, get, () => initial);
}
