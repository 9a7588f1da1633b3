// `DeliveryEventHandler`: each method checks its arguments and forwards them
// to the native handler (src/native.ts); delivery states, read-ack batching
// and status syncs live in the wasm.
import {
  U32_MAX, absent, callback as fn, id, id as nonEmpty, ids as nonEmptyIds, optCount, optMs, string, type SchemaOf,
} from './check.js';
import { live, serviceArgs, singleton, type RealtimeClient, type Renames } from './client.js';
import * as native from './native.js';
import { queueArg, type OfflineQueueService } from './queue.js';
import type { DeliveryHandlerConfig, DeliveryListener, DeliveryOptions, DeliveryStatus } from './types.js';

/** @internal The options schema (also `RealtimeIntegrationConfig`'s). */
export const OPTIONS: SchemaOf<DeliveryHandlerConfig> = {
  readBatchMs: 'intMs', batchReadAck: 'bool', autoSyncOnReconnect: 'bool', requestTimeoutMs: 'intMs', maxRecords: { max: U32_MAX }, queue: 'any',
  debug: 'bool', batchReadInterval: 'intMs',
};

const RENAMES: Renames = [['batchReadInterval', 'readBatchMs']];

const of = (self: DeliveryEventHandler): native.NativeDelivery => native.deliveries.of(self);

/**
 * Sent / delivered / read receipts of outgoing messages, batched read
 * acknowledgements and status re-synchronisation.
 */
export class DeliveryEventHandler {
  /**
   * A handler listening to `client` (`DeliveryOptions`; unknown keys are
   * an error). With `options.queue`, see `attachQueue`.
   */
  constructor(clientOrConfig?: RealtimeClient | DeliveryHandlerConfig, options?: DeliveryOptions) {
    const what = 'new DeliveryEventHandler()';
    const [n, checked] = serviceArgs<DeliveryOptions>(clientOrConfig, options, what, OPTIONS, RENAMES);
    const queue = absent(checked?.queue) ? undefined : queueArg(checked?.queue, `${what}: options.queue`);
    native.deliveries.bind(this, native.newDelivery(n, checked && { ...checked, queue }));
  }

  /** Frees the handler's wasm memory now (it is disposed first). */
  free(): void {
    native.deliveries.free(this);
  }

  /** `free()`, for `using`. */
  [Symbol.dispose](): void {
    this.free();
  }

  /**
   * Starts tracking a message the app is emitting now (state `sending`);
   * returns its status. Throws for empty ids or an id already tracked.
   */
  trackOutgoing(clientMessageId: string, channelId: string, totalRecipients?: number): DeliveryStatus {
    const m = 'trackOutgoing()';
    return of(this).trackOutgoing(id(clientMessageId, `${m}: clientMessageId`), id(channelId, `${m}: channelId`),
      optCount(totalRecipients, `${m}: totalRecipients`, U32_MAX));
  }

  /**
   * The server acknowledged the message: records its server id and moves
   * it to `sent` (emits `message:sent`). `timestamp` defaults to now.
   */
  markSent(clientMessageId: string, messageId: string, timestamp?: number): void {
    const m = 'markSent()';
    of(this).markSent(id(clientMessageId, `${m}: clientMessageId`), id(messageId, `${m}: messageId`),
      optMs(timestamp, `${m}: timestamp`));
  }

  /**
   * Sending failed: `failed` with `error` (emits `message:failed`).
   * Refused once the server has the message.
   */
  markFailed(clientMessageId: string, error: string): void {
    of(this).markFailed(id(clientMessageId, 'markFailed(): clientMessageId'), string(error, 'markFailed(): error'));
  }

  /** A `pending` or `failed` message is being (re-)sent: `sending`. */
  markSending(clientMessageId: string): void {
    of(this).markSending(id(clientMessageId, 'markSending(): clientMessageId'));
  }

  /**
   * Acknowledges that this user read `messageId` (server id) in
   * `channelId`. Acks are batched per channel and sent every
   * `readBatchMs` as one `message:batch-read-ack` (`batchReadAck: false`:
   * each at once as `message:read-ack`); held while disconnected.
   */
  acknowledgeRead(messageId: string, channelId: string): void {
    of(this).acknowledgeRead(id(messageId, 'acknowledgeRead(): messageId'), id(channelId, 'acknowledgeRead(): channelId'));
  }

  /** Sends the batched read acks now (e.g. before the page is hidden). */
  flushReadAcks(): void {
    of(this).flushReadAcks();
  }

  /**
   * Asks the server for the statuses of `ids` (client or server ids).
   * Resolves with the statuses of those that are tracked, after applying
   * the answer; rejects when the request fails.
   */
  syncDeliveryStatus(ids: string[]): Promise<DeliveryStatus[]> {
    return of(this).syncDeliveryStatus(nonEmptyIds(ids, 'syncDeliveryStatus(): ids'));
  }

  /** The status of a message by client or server id. */
  getStatus(id: string): DeliveryStatus | undefined {
    return of(this).getStatus(nonEmpty(id, 'getStatus(): id'));
  }

  /** Stops tracking a message; returns whether it was tracked. */
  untrack(id: string): boolean {
    return of(this).untrack(nonEmpty(id, 'untrack(): id'));
  }

  /**
   * Feeds this handler from `queue`: queued messages are tracked as
   * `pending`, and the queue's `message:sent` / `message:failed` move them
   * to `sent` / `failed`. Replaces a previously attached queue.
   */
  attachQueue(queue: OfflineQueueService): void {
    of(this).attachQueue(queueArg(queue, 'attachQueue(): queue'));
  }

  /** Stops listening to the attached queue, if any. */
  detachQueue(): void {
    of(this).detachQueue();
  }

  /**
   * `callback(event, data)` for `message:sent`, `message:delivered`,
   * `message:read` and `message:failed`; returns an unsubscribe function.
   */
  subscribe(callback: DeliveryListener): () => void {
    return of(this).subscribe(fn(callback, 'subscribe(): callback'));
  }

  // ---- nchat's names (services/realtime/delivery.ts) -------------------------

  /** nchat: the handler runs from construction; this only refuses a disposed one. */
  initialize(): void {
    live(of(this), 'DeliveryEventHandler');
  }

  /** nchat's name of `dispose()`. */
  destroy(): void {
    of(this).dispose();
  }

  /** nchat: not disposed. */
  isReady(): boolean {
    return !of(this).disposed;
  }

  /** nchat's name of `trackOutgoing` (one recipient by default, as in nchat). */
  trackOutgoingMessage(clientMessageId: string, channelId: string, totalRecipients?: number): void {
    const m = 'trackOutgoingMessage()';
    of(this).trackOutgoing(id(clientMessageId, `${m}: clientMessageId`), id(channelId, `${m}: channelId`),
      optCount(totalRecipients, `${m}: totalRecipients`, U32_MAX) ?? 1);
  }

  /**
   * Stops listening to the client and the queue, drops pending read acks
   * and rejects pending `syncDeliveryStatus()` promises. Idempotent.
   */
  dispose(): void {
    of(this).dispose();
  }
}

/** nchat's module delivery handler (on `realtimeClient`): get, initialize, reset. */
export const [getDeliveryEventHandler, initializeDeliveryHandler, resetDeliveryHandler] =
  singleton((config?: DeliveryHandlerConfig) => new DeliveryEventHandler(config));
