// `SyncService`: each method checks its arguments and forwards them to the
// native service (src/native.ts); the reconnect sequence, conflict rules and
// stored sync times live in the wasm.
import {
  MAX_SAFE, U32_MAX, absent, callback as fn, fields, id, id as nonEmpty, optId, optMs, req, strings, type SchemaOf,
} from './check.js';
import { live, serviceArgs, singleton, type RealtimeClient, type Renames } from './client.js';
import * as native from './native.js';
import { queueArg } from './queue.js';
import type {
  ConflictResolution, LocalMessage, SyncListener, SyncMessage, SyncMessagesResult, SyncResult, SyncServiceConfig,
  SyncServiceOptions, SyncStatus,
} from './types.js';

const OPTIONS: SchemaOf<SyncServiceConfig> = {
  queue: 'any', autoSyncOnReconnect: 'bool', presenceUserIds: 'strings', storageKey: 'id',
  requestTimeoutMs: 'intMs', queueFlushTimeoutMs: 'intMs', maxMessagesPerChannel: { max: U32_MAX }, debug: 'bool',
  syncTimeout: 'intMs',
};

const RENAMES: Renames = [['syncTimeout', 'requestTimeoutMs']];

const LOCAL_MESSAGE: SchemaOf<LocalMessage> = { id: req('id'), content: req('str'), editedAt: { max: MAX_SAFE } };

const SYNC_MESSAGE: SchemaOf<SyncMessage> = {
  id: req('id'), channelId: req('id'), content: req('str'), userId: req('id'), createdAt: req('str'),
  updatedAt: 'str', type: req('str'), threadId: 'id', isDeleted: 'bool', isEdited: 'bool',
};

const of = (self: SyncService): native.NativeSync => native.syncs.of(self);

/**
 * Reconnect synchronisation: flushes the offline queue, then re-syncs
 * channels, messages missed per channel and presence; resolves edit
 * conflicts (last write wins, server-initiated edits win).
 */
export class SyncService {
  /**
   * A sync service on `client` (`SyncServiceOptions`; unknown keys are an
   * error). `options.queue` is flushed first in every reconnect sync.
   */
  constructor(clientOrConfig?: RealtimeClient | SyncServiceConfig, options?: SyncServiceOptions) {
    const what = 'new SyncService()';
    const [n, checked] = serviceArgs<SyncServiceOptions>(clientOrConfig, options, what, OPTIONS, RENAMES);
    const queue = absent(checked?.queue) ? undefined : queueArg(checked?.queue, `${what}: options.queue`);
    native.syncs.bind(this, native.newSync(n, checked && { ...checked, queue }));
  }

  /** Frees the service's wasm memory now (it is disposed first). */
  free(): void {
    native.syncs.free(this);
  }

  /** `free()`, for `using`. */
  [Symbol.dispose](): void {
    this.free();
  }

  /**
   * Runs the reconnect sequence now (joining one that runs) and resolves
   * with its `SyncResult`. `presenceUserIds` replaces the configured ids
   * for this run.
   */
  syncOnReconnect(presenceUserIds?: string[]): Promise<SyncResult> {
    return of(this).syncOnReconnect(absent(presenceUserIds)
      ? undefined : strings(presenceUserIds, 'syncOnReconnect(): presenceUserIds'));
  }

  /**
   * Syncs one channel since `since` (ms since the epoch, nchat's), else
   * since its last sync time, at most `maxMessagesPerChannel`; resolves with
   * `{messages, conflicts}` (server versions that lost a conflict left
   * out), rejects when the request fails.
   */
  syncMessages(channelId: string, since?: number): Promise<SyncMessagesResult> {
    const n = of(this);
    return n.syncMessages(id(channelId, 'syncMessages(): channelId'), optMs(since, 'syncMessages(): since'));
  }

  /**
   * Registers (or updates) a message the app shows, `{id, content,
   * editedAt?}`, so a differing server version is detected as a conflict.
   */
  recordLocalMessage(message: LocalMessage): void {
    of(this).recordLocalMessage(fields(message, 'recordLocalMessage(): message', LOCAL_MESSAGE));
  }

  /** Forgets a registered local message; returns whether it was known. */
  forgetLocalMessage(id: string): boolean {
    return of(this).forgetLocalMessage(nonEmpty(id, 'forgetLocalMessage(): id'));
  }

  /** Replaces the users whose presence is re-subscribed after a reconnect. */
  setPresenceUserIds(ids: string[]): void {
    of(this).setPresenceUserIds(strings(ids, 'setPresenceUserIds(): ids'));
  }

  /**
   * The last sync time of `channelId`, or of the last completed reconnect
   * sync without an argument; `undefined` if never synced.
   */
  getLastSyncTime(channelId?: string): number | undefined {
    return of(this).getLastSyncTime(optId(channelId, 'getLastSyncTime(): channelId'));
  }

  /** Whether a reconnect sync is running. */
  get isSyncing(): boolean {
    return of(this).isSyncing;
  }

  /** nchat: `'syncing'` while a reconnect sync runs, `'completed'` once one finished, else `'idle'` (also after `cancelSync()`; a failed step is a `sync:error`, not a failed sync). */
  get syncStatus(): SyncStatus {
    return of(this).syncStatus;
  }

  /** `callback(event, data)` for every sync event; returns an unsubscribe function. */
  subscribe(callback: SyncListener): () => void {
    return of(this).subscribe(fn(callback, 'subscribe(): callback'));
  }

  // ---- nchat's names (services/realtime/sync.service.ts) ----------------------

  /** nchat: the service runs from construction; this only refuses a disposed one. */
  initialize(): void {
    live(of(this), 'SyncService');
  }

  /** nchat's name of `dispose()` (stored sync times stay). */
  destroy(): void {
    of(this).dispose();
  }

  /** nchat: not disposed. */
  get initialized(): boolean {
    return !of(this).disposed;
  }

  /** nchat: `sync:channels` on its own; `{synced, errors}` (`{synced: 0, errors: 1}` when it fails). */
  syncChannels(): Promise<{ synced: number; errors: number }> {
    return of(this).syncChannels();
  }

  /**
   * nchat: re-subscribes the presence users (`presenceUserIds`, else those
   * the presence service follows); `{synced}`, 0 when it fails.
   */
  syncPresence(): Promise<{ synced: number }> {
    return of(this).syncPresence();
  }

  /**
   * nchat: ends a running reconnect sync; its `syncOnReconnect` promises
   * reject with code `cancelled`, `sync:failed` is emitted and
   * `syncStatus` is `'idle'`. Nothing when none runs.
   */
  cancelSync(): void {
    of(this).cancelSync();
  }

  /**
   * nchat's rule for two versions of a message: the server's when it is as
   * recent or more (`updatedAt`, else `createdAt`) or `isEdited`, else the
   * local one.
   */
  reconcileConflicts(local: SyncMessage, remote: SyncMessage): ConflictResolution {
    const m = 'reconcileConflicts()';
    const [server, timestamp]: [boolean, number] = of(this).reconcileConflicts(
      fields(local, `${m}: local`, SYNC_MESSAGE), fields(remote, `${m}: remote`, SYNC_MESSAGE));
    const w = server ? remote : local;
    return { messageId: w.id, resolution: server ? 'server' : 'local', finalContent: w.content, timestamp };
  }

  /** nchat: when the last reconnect sync completed, `null` if never. */
  getLastSyncTimestamp(): number | null {
    return of(this).getLastSyncTime() ?? null;
  }

  /** nchat: when `channelId` was last synced, `null` if never. */
  getChannelSyncTimestamp(channelId: string): number | null {
    return of(this).getLastSyncTime(id(channelId, 'getChannelSyncTimestamp(): channelId')) ?? null;
  }

  /**
   * Stops listening to the client and other tabs and rejects pending
   * promises. Stored sync times stay. Idempotent.
   */
  dispose(): void {
    of(this).dispose();
  }
}

/** nchat's module sync service (on `realtimeClient`): get, initialize, reset. */
export const [getSyncService, initializeSyncService, resetSyncService] =
  singleton((config?: SyncServiceConfig) => new SyncService(config));
