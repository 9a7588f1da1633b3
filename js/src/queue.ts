// `OfflineQueueService`: each method checks its arguments and forwards them
// to the native queue (src/native.ts); storage, retries, the cross-tab lock
// and sending live in the wasm.
import {
  MAX_SAFE, U32_MAX, callback as fn, fields, id as nonEmpty, instance, req, type SchemaOf,
} from './check.js';
import { live, serviceArgs, singleton, type RealtimeClient, type Renames } from './client.js';
import * as native from './native.js';
import type {
  NewQueuedMessage, OfflineQueueConfig, OfflineQueueOptions, QuarantinedEntry, QueueEventName, QueueFlushResult,
  QueueListener, QueuedAttachment, QueuedMessage,
} from './types.js';

const UPDATE: SchemaOf<{ content?: string }> = { content: 'str' };
/** @internal The options schema (also `RealtimeIntegrationConfig`'s). */
export const OPTIONS: SchemaOf<OfflineQueueConfig> = {
  maxMessages: { max: U32_MAX }, maxBytes: { max: U32_MAX }, maxRetries: { max: U32_MAX },
  retryDelayMs: 'intMs', retryDelayMaxMs: 'intMs', requestTimeoutMs: 'intMs', storageKey: 'id',
  crossTabLock: { oneOf: ['auto', 'lease', 'none'] }, seed: { max: MAX_SAFE }, debug: 'bool',
  maxQueueSize: { max: U32_MAX }, baseRetryDelay: 'intMs', maxRetryDelay: 'intMs',
};

const RENAMES: Renames = [['maxQueueSize', 'maxMessages'], ['baseRetryDelay', 'retryDelayMs'], ['maxRetryDelay', 'retryDelayMaxMs']];

const ATTACHMENT: SchemaOf<QueuedAttachment> = {
  id: req('id'), type: req('id'), name: req('str'), size: req({ max: MAX_SAFE }), url: 'str', localPath: 'str',
};

const NEW_MESSAGE: SchemaOf<NewQueuedMessage> = {
  channelId: req('id'), content: req('str'), type: 'id', threadId: 'id', mentions: 'strings', clientMessageId: 'id',
  attachments: { items: ATTACHMENT },
};

/** @internal The native queue behind a `queue` argument (`attachQueue`, `options.queue`). */
export const queueArg = (v: unknown, what: string): native.NativeQueue =>
  instance(native.queues.find(v), v, what, 'an OfflineQueueService of this module that is not disposed');

const of = (self: OfflineQueueService): native.NativeQueue => native.queues.of(self);

/**
 * Messages written offline, persisted in `localStorage` (one key per
 * message), sent in order once connected, shared by tabs through a
 * cross-tab flush lock.
 */
export class OfflineQueueService {
  /**
   * A queue sending through `client`, loaded from `localStorage`
   * (`OfflineQueueOptions`; unknown keys are an error). It flushes when the
   * client (re)connects and when the browser comes back online.
   */
  constructor(clientOrConfig?: RealtimeClient | OfflineQueueConfig, options?: OfflineQueueOptions) {
    const what = 'new OfflineQueueService()';
    const [n, checked] = serviceArgs<OfflineQueueOptions>(clientOrConfig, options, what, OPTIONS, RENAMES);
    if (checked?.maxMessages === 0) throw new RangeError(`${what}: options.maxMessages must be at least 1`);
    native.queues.bind(this, native.newQueue(n, checked));
  }

  /** Frees the queue's wasm memory now (it is disposed first; what is stored stays). */
  free(): void {
    native.queues.free(this);
  }

  /** `free()`, for `using`. */
  [Symbol.dispose](): void {
    this.free();
  }

  /**
   * Adds a message (`{channelId, content, type?, threadId?, mentions?,
   * clientMessageId?, attachments?}`; `content` may be empty with
   * attachments) and returns the queued entry. Throws, changing
   * nothing, when the input is invalid or the queue is full (count or
   * byte budget): the oldest messages are never dropped.
   */
  queueMessage(message: NewQueuedMessage): QueuedMessage {
    return of(this).queueMessage(fields(message, 'queueMessage(): message', NEW_MESSAGE));
  }

  /** The messages in order (queued, sending and failed). */
  getQueuedMessages(): QueuedMessage[] {
    return of(this).getQueuedMessages();
  }

  /** Number of messages held (queued, sending and failed). */
  getQueueLength(): number {
    return of(this).getQueueLength();
  }

  /** Removes a message that is not being sent; returns it. */
  removeMessage(id: string): QueuedMessage {
    return of(this).removeMessage(nonEmpty(id, 'removeMessage(): id'));
  }

  /** Puts a `failed` message back in line with its retry count reset. */
  retryMessage(id: string): void {
    of(this).retryMessage(nonEmpty(id, 'retryMessage(): id'));
  }

  /** Removes every message except one being sent; returns how many. */
  clearQueue(): number {
    return of(this).clearQueue();
  }

  /**
   * Sends everything sendable now, in order (joining a running flush).
   * Resolves with `{sent, failed}` when the flush ends; with zeros at once
   * when disconnected or empty.
   */
  flushQueue(): Promise<QueueFlushResult> {
    return of(this).flushQueue();
  }

  /** Whether a flush is running or waiting for the cross-tab lock. */
  get isFlushing(): boolean {
    return of(this).isFlushing;
  }

  /** Entries set aside because they were corrupt or tampered with. */
  getQuarantined(): QuarantinedEntry[] {
    return of(this).getQuarantined();
  }

  /** Deletes the entries set aside as corrupt. */
  clearQuarantine(): void {
    of(this).clearQuarantine();
  }

  /** `callback(event, data)` for every queue event; returns an unsubscribe function. */
  subscribe(callback: QueueListener): () => void;
  /** nchat's form: a callback of the event name only. */
  subscribe(callback: (event: QueueEventName) => void): () => void;
  subscribe(callback: Function): () => void {
    return of(this).subscribe(fn(callback, 'subscribe(): callback'));
  }

  // ---- nchat's names (services/realtime/offline-queue.ts) ---------------------

  /** nchat: the queue runs from construction; this only refuses a disposed one. */
  initialize(): void {
    live(of(this), 'OfflineQueueService');
  }

  /** nchat's name of `dispose()` (what is stored stays). */
  destroy(): void {
    of(this).dispose();
  }

  /** nchat: not disposed. */
  get initialized(): boolean {
    return !of(this).disposed;
  }

  /** nchat's name of `isFlushing`. */
  get flushing(): boolean {
    return of(this).isFlushing;
  }

  /** nchat: the messages of one channel, in order. */
  getQueuedMessagesForChannel(channelId: string): QueuedMessage[] {
    const n = of(this);
    nonEmpty(channelId, 'getQueuedMessagesForChannel(): channelId');
    return (n.getQueuedMessages() as QueuedMessage[]).filter((m) => m.channelId === channelId);
  }

  /** nchat: a message by id. */
  getQueuedMessage(id: string): QueuedMessage | undefined {
    const n = of(this);
    nonEmpty(id, 'getQueuedMessage(): id');
    return (n.getQueuedMessages() as QueuedMessage[]).find((m) => m.id === id);
  }

  /** nchat: removes a message; `false` when there is none with `id` (one being sent throws, as `removeMessage`). */
  removeFromQueue(id: string): boolean {
    const n = of(this);
    nonEmpty(id, 'removeFromQueue(): id');
    return (n.getQueuedMessages() as QueuedMessage[]).some((m) => m.id === id) && (n.removeMessage(id), true);
  }

  /**
   * nchat: changes a queued message's `content` (stored at once, for every
   * tab); `false` when there is no such message or it is being sent now.
   */
  updateQueuedMessage(id: string, updates: { content?: string }): boolean {
    const m = 'updateQueuedMessage()';
    const n = of(this);
    const c = fields<typeof updates>(updates, `${m}: updates`, UPDATE).content;
    nonEmpty(id, `${m}: id`);
    return c === undefined ? this.getQueuedMessage(id) !== undefined : n.updateMessage(id, c);
  }

  /** nchat: nothing held. */
  isEmpty(): boolean {
    return of(this).getQueueLength() === 0;
  }

  /**
   * Stops listening to the client and the browser, releases the cross-tab
   * lock and rejects pending `flushQueue()` promises. What is stored stays
   * stored: a new queue on the same key picks it up. Idempotent.
   */
  dispose(): void {
    of(this).dispose();
  }
}

/** nchat's module offline queue (on `realtimeClient`): get, initialize, reset. */
export const [getOfflineQueueService, initializeOfflineQueue, resetOfflineQueue] =
  singleton((config?: OfflineQueueConfig) => new OfflineQueueService(config));
