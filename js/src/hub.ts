// One client's side in JavaScript: the wasm `Native` object, the listeners
// (by handle and topic) and the pending promises (by ticket), fed by the
// wasm's one sink function. Shaping and forwarding only: every decision
// (what an event is, when a promise settles) is the wasm's. The wasm object
// comes from ./native.ts, the one module that touches the glue.

import { Op } from './ops.js';

/** Where the wasm sends events and completions: `(id, topic, payload, flag)`. */
export type Sink = (id: number, topic: string, payload: unknown, flag: unknown) => void;

/** The wasm's `Native` object of one client (src/api/native.rs). */
export interface WasmNative {
  attach(kind: number, options: unknown): number;
  call(handle: number, op: number, a: unknown, b: unknown, c: unknown): unknown;
  detach(handle: number): void;
  free(): void;
}

/** A listener function as the app gives it. */
export type Listener = (...args: any[]) => void;

interface Sub {
  handle: number;
  topic: string;
  f: Listener;
  once: boolean;
}

const PREFIX = '[chat-realtime]';

/** The message of a thrown value. */
const thrownMessage = (e: unknown): string =>
  (e instanceof Error ? e.message : typeof e === 'string' ? e : 'a non-Error value was thrown');

/** What a client listener's topic is called in a `listener` error report. */
const CLIENT_EVENTS: Record<string, string> = {
  state: 'stateChange', online: 'offlineStatusChange', quality: 'qualityChange', disconnect: 'disconnect',
  reconnection: 'reconnection', latency: 'latencyChange',
};

/** How a service callback is named when it throws. */
const SERVICE_CALLBACKS: Record<string, string> = {
  presence: 'PresenceService onPresenceChange',
  status: 'PresenceService onStatusChange',
  customStatus: 'PresenceService onCustomStatusChange',
  typing: 'TypingService',
  dispatch: 'EventDispatcherService subscribe',
};

/** A client and what JavaScript waits on; shared by the client's services. */
export class Hub {
  /** The wasm side, once made. */
  private wasm?: WasmNative;
  /** Live holders (the client and its services); the wasm goes with the last. */
  private refs = 0;
  private subs: Sub[] = [];
  private tickets = new Map<number, [(v: unknown) => void, (e: unknown) => void]>();
  /** Completions that came before their ticket was handed to JavaScript. */
  private early = new Map<number, [boolean, unknown]>();
  /** What the wasm was last told about each service: has it listeners? */
  private told = new Map<number, boolean>();

  /** A client: `create` makes its wasm object, given the sink, on first use. */
  constructor(private readonly create: (sink: Sink) => WasmNative) {}

  /** The wasm side (made now if this is its first use). */
  get native(): WasmNative {
    return (this.wasm ??= this.create((id, topic, payload, flag) => this.sink(id, topic, payload, flag)));
  }

  /** One more holder. */
  retain(): this {
    this.refs += 1;
    return this;
  }

  /** One holder fewer; the last frees the wasm object. */
  release(): void {
    this.refs -= 1;
    if (this.refs === 0) this.wasm?.free();
  }

  /** Adds a listener; returns its idempotent unsubscribe function. */
  listen(handle: number, topic: string, f: Listener, once = false): () => void {
    const sub: Sub = { handle, topic, f, once };
    this.subs.push(sub);
    this.tell(handle);
    return () => {
      this.subs = this.subs.filter((s) => s !== sub);
      this.tell(handle);
    };
  }

  /** Removes the listeners of `handle` on `topic` (only `f` when given). */
  unlisten(handle: number, topic: string, f?: Listener): void {
    this.subs = this.subs.filter((s) => !(s.handle === handle && s.topic === topic && (f === undefined || s.f === f)));
    this.tell(handle);
  }

  /** Drops every listener of `handle` (a disposed service). */
  forget(handle: number): void {
    this.subs = this.subs.filter((s) => s.handle !== handle);
    this.told.delete(handle);
  }

  /**
   * Tells the wasm whether service `handle` has listeners, when that changed
   * (a service nobody listens to gets no events built for it).
   */
  tell(handle: number): void {
    if (handle === 0) return;
    const has = this.subs.some((s) => s.handle === handle);
    if (this.told.get(handle) === has) return;
    this.told.set(handle, has);
    this.native.call(handle, Op.Listening, has, undefined, undefined);
  }

  /** The promise of a ticket the wasm returned. */
  request(ticket: number): Promise<any> {
    return new Promise((resolve, reject) => {
      const done = this.early.get(ticket);
      if (done) {
        this.early.delete(ticket);
        (done[0] ? resolve : reject)(done[1]);
      } else {
        this.tickets.set(ticket, [resolve, reject]);
      }
    });
  }

  /** The listeners of `handle` whose topic passes `pick`, once-listeners removed. */
  private take(handle: number, pick: (topic: string) => boolean): Listener[] {
    const hit = (s: Sub): boolean => s.handle === handle && pick(s.topic);
    const fns = this.subs.filter(hit).map((s) => s.f);
    if (this.subs.some((s) => s.once && hit(s))) {
      this.subs = this.subs.filter((s) => !(s.once && hit(s)));
      this.tell(handle);
    }
    return fns;
  }

  /** Where the wasm's events and completions arrive. */
  private sink(id: number, topic: string, payload: unknown, flag: unknown): void {
    if (topic === 'done') {
      const pending = this.tickets.get(id);
      if (!pending) {
        this.early.set(id, [flag === true, payload]);
        return;
      }
      this.tickets.delete(id);
      pending[flag === true ? 0 : 1](payload);
      return;
    }
    const is = (t: string) => (x: string) => x === t;
    switch (topic) {
      case 'server': {
        const name = payload as string;
        const fns = this.take(id, is(`s:${name}`));
        if (fns.length === 0) return;
        let args: unknown[];
        try {
          const parsed: unknown = JSON.parse(flag as string);
          args = Array.isArray(parsed) ? parsed.slice(1) : [];
        } catch {
          args = [];
        }
        this.callClient(name, fns, args, false);
        return;
      }
      case 'error':
        this.report(this.take(id, is('error')), payload, flag === true);
        return;
      case 'typing': {
        const room = `typing:${flag as string}`;
        this.callEach(this.take(id, (t) => t === 'typing' || t === room), payload as unknown[], 'TypingService');
        return;
      }
      case 'all': {
        const [event, data] = payload as [string, unknown];
        for (const f of this.take(id, is('all'))) {
          try {
            f(event, data);
          } catch (e) {
            console.log(`${PREFIX} a ${flag as string} listener of ${JSON.stringify(event)} threw: ${thrownMessage(e)}`);
          }
        }
        return;
      }
      default: {
        const event = CLIENT_EVENTS[topic];
        if (event !== undefined) {
          this.callClient(event, this.take(id, is(topic)), payload as unknown[], flag === true);
        } else {
          // A string flag names a sub-topic too (a room's messages: `message:<room>`).
          const sub = typeof flag === 'string' ? `${topic}:${flag}` : topic;
          this.callEach(this.take(id, (t) => t === topic || t === sub), payload as unknown[], SERVICE_CALLBACKS[topic] ?? topic);
        }
      }
    }
  }

  /** Calls client listeners; one that throws is reported through `onError` (code `listener`). */
  private callClient(event: string, fns: Listener[], args: unknown[], debug: boolean): void {
    for (const f of fns) {
      try {
        f(...args);
      } catch (e) {
        const message = `a listener of ${JSON.stringify(event)} threw: ${thrownMessage(e)}`;
        const errorFns = this.take(0, (t) => t === 'error');
        if (debug || errorFns.length === 0) console.log(`${PREFIX} listener: ${message}`);
        for (const g of errorFns) {
          try {
            g({ code: 'listener', message, event });
          } catch {
            // An onError listener that throws is not reported again.
          }
        }
      }
    }
  }

  /** An `onError` report to the client's listeners (logged with `debug` or when nobody listens). */
  private report(fns: Listener[], error: unknown, debug: boolean): void {
    const e = error as { code: string; message: string };
    if (debug || fns.length === 0) console.log(`${PREFIX} ${e.code}: ${e.message}`);
    for (const f of fns) {
      try {
        f(error);
      } catch {
        // As above.
      }
    }
  }

  /** Calls service callbacks; one that throws is logged, the others run. */
  private callEach(fns: Listener[], args: unknown[], what: string): void {
    for (const f of fns) {
      try {
        f(...args);
      } catch (e) {
        console.error(`${PREFIX} a ${what} callback threw: ${thrownMessage(e)}`);
      }
    }
  }
}
