// `ConflictResolutionService`: each method checks its arguments and forwards
// them to the native service (src/native.ts); detection, the strategies and
// the stored history live in the wasm.
import {
  MAX_SAFE, U32_MAX, absent, callback as fn, fields, id as nonEmpty, json, oneOf, optFields, req, type SchemaOf,
} from './check.js';
import { clientArg, type RealtimeClient, realtimeClient } from './client.js';
import * as native from './native.js';

/** What changed on two sides. */
export type ConflictType =
  | 'message:edit' | 'message:delete' | 'channel:settings' | 'user:settings' | 'file:upload' | 'thread:reply';

/** How a conflict is resolved. */
export type ResolutionStrategy = 'last-write-wins' | 'server-wins' | 'client-wins' | 'merge' | 'manual';

/** How bad a conflict is. */
export type ConflictSeverity = 'low' | 'medium' | 'high' | 'critical';

/** The two versions of one thing (timestamps in ms since the epoch). */
export interface ConflictEntity {
  id: string;
  type: ConflictType;
  localData: unknown;
  remoteData: unknown;
  localTimestamp: number;
  remoteTimestamp: number;
  localVersion?: number;
  remoteVersion?: number;
  localHash?: string;
  remoteHash?: string;
  metadata?: Record<string, unknown>;
}

/** What `detectConflict` found. */
export interface ConflictDetectionResult {
  hasConflict: boolean;
  conflictType?: ConflictType;
  severity: ConflictSeverity;
  entity: ConflictEntity;
  suggestedStrategy: ResolutionStrategy;
  reason?: string;
}

/** What a resolution yields. */
export interface ConflictResolutionResult {
  id: string;
  type: ConflictType;
  strategy: ResolutionStrategy;
  resolvedData: unknown;
  conflictedFields?: string[];
  timestamp: number;
  requiresUserAction: boolean;
  resolutionMetadata?: Record<string, unknown>;
}

/** One resolution in the history. */
export interface ConflictHistoryEntry {
  id: string;
  type: ConflictType;
  detectedAt: number;
  resolvedAt?: number;
  strategy: ResolutionStrategy;
  entity: ConflictEntity;
  resolution?: ConflictResolutionResult;
  userAction?: { timestamp: number; userId: string; choice: 'local' | 'remote' | 'merged' | 'custom' };
}

/** The events of `subscribe` (`conflict:error`: the history could not be read or stored). */
export type ConflictEventType =
  | 'conflict:detected' | 'conflict:resolved' | 'conflict:manual-required' | 'conflict:history-updated'
  | 'conflict:error';

/** A `subscribe` listener. */
export type ConflictEventListener = (
  event: ConflictEventType,
  data?: {
    detection?: ConflictDetectionResult;
    resolution?: ConflictResolutionResult;
    history?: ConflictHistoryEntry;
    error?: { code: string; message: string };
  },
) => void;

/** The options of `ConflictResolutionService`. */
export interface ConflictResolutionConfig {
  /** Suggested when there is no conflict (default `'last-write-wins'`). */
  defaultStrategy?: ResolutionStrategy;
  /** Keep and store a history of resolutions (default true). */
  enableHistory?: boolean;
  /** The most history entries kept (default 100). */
  maxHistorySize?: number;
  /** `autoResolve` resolves low-severity conflicts (default true). */
  autoResolveLowSeverity?: boolean;
  /** Log events to the console. */
  debug?: boolean;
  /** The `localStorage` key of the history (default `'nchat:conflict-history'`). */
  storageKey?: string;
}

/** `getStats()`: counts over the history. */
export interface ConflictStats {
  totalConflicts: number;
  resolvedConflicts: number;
  pendingConflicts: number;
  byType: Record<ConflictType, number>;
  byStrategy: Record<ResolutionStrategy, number>;
}

const TYPES: ConflictType[] = [
  'message:edit', 'message:delete', 'channel:settings', 'user:settings', 'file:upload', 'thread:reply',
];
const STRATEGIES: ResolutionStrategy[] = ['last-write-wins', 'server-wins', 'client-wins', 'merge', 'manual'];

const CONFIG: SchemaOf<ConflictResolutionConfig> = {
  defaultStrategy: { oneOf: STRATEGIES }, enableHistory: 'bool', maxHistorySize: { max: U32_MAX },
  autoResolveLowSeverity: 'bool', debug: 'bool', storageKey: 'id',
};

const ENTITY: SchemaOf<ConflictEntity> = {
  id: req('id'), type: req({ oneOf: TYPES }), localData: 'json', remoteData: 'json',
  localTimestamp: req({ max: MAX_SAFE }), remoteTimestamp: req({ max: MAX_SAFE }), localVersion: 'num',
  remoteVersion: 'num', localHash: 'str', remoteHash: 'str', metadata: 'json',
};

const DETECTION: SchemaOf<ConflictDetectionResult> = {
  hasConflict: req('bool'), conflictType: { oneOf: TYPES }, severity: req({ oneOf: ['low', 'medium', 'high', 'critical'] }),
  entity: req({ fields: ENTITY }), suggestedStrategy: req({ oneOf: STRATEGIES }), reason: 'str',
};

const FILTER: SchemaOf<{ type?: ConflictType; limit?: number }> = { type: { oneOf: TYPES }, limit: { max: U32_MAX } };

/** The config argument of `what`. */
const configArg = (v: unknown, what: string): ConflictResolutionConfig | undefined =>
  optFields<ConflictResolutionConfig>(v, `${what}: config`, CONFIG);

const of = (self: ConflictResolutionService): native.NativeConflict => native.conflicts.of(self);

/**
 * Detects and resolves conflicts between local and remote versions of
 * messages and settings, with a history of resolutions kept in
 * `localStorage`.
 */
export class ConflictResolutionService {
  /**
   * A service (`ConflictResolutionConfig`; unknown keys are an error) on
   * `client`, by default the module's client. The stored history is read
   * by `initialize()`.
   */
  constructor(config?: ConflictResolutionConfig, client?: RealtimeClient) {
    const what = 'new ConflictResolutionService()';
    const options = configArg(config, what);
    native.conflicts.bind(this, native.newConflict(clientArg(client ?? realtimeClient, `${what}: client`), options));
  }

  /** Frees the service's wasm memory now (what is stored stays). */
  free(): void {
    native.conflicts.free(this);
  }

  /** `free()`, for `using`. */
  [Symbol.dispose](): void {
    this.free();
  }

  /** Reads the stored history (history on); a second call does nothing. */
  initialize(): void {
    of(this).initialize();
  }

  /** Stores the history and drops the listeners; `initialize()` may run again. */
  destroy(): void {
    of(this).destroy();
  }

  /**
   * Whether the versions conflict (versions differ; else not when both
   * timestamps are less than 1 s apart; else hashes differ; else the data
   * differ), how badly, and the strategy to use. A conflict is also sent as
   * `conflict:detected`.
   */
  detectConflict(entity: ConflictEntity): ConflictDetectionResult {
    return of(this).detectConflict(fields(entity, 'detectConflict(): entity', ENTITY));
  }

  /**
   * Resolves with `strategy` (default: the suggested one); `manual` takes
   * `userChoice`, else yields the remote data with `requiresUserAction`.
   * Sent as `conflict:resolved` and added to the history.
   */
  resolveConflict(
    detection: ConflictDetectionResult, strategy?: ResolutionStrategy, userChoice?: unknown,
  ): ConflictResolutionResult {
    return of(this).resolveConflict(
      fields(detection, 'resolveConflict(): detection', DETECTION),
      absent(strategy) ? undefined : oneOf(strategy, 'resolveConflict(): strategy', STRATEGIES),
      json(userChoice, 'resolveConflict(): userChoice'),
    );
  }

  /** Resolves a low-severity detection not suggested `manual` (with `autoResolveLowSeverity`); else `null`. */
  autoResolve(detection: ConflictDetectionResult): ConflictResolutionResult | null {
    return of(this).autoResolve(fields(detection, 'autoResolve(): detection', DETECTION));
  }

  /** The history, newest first; `filter.type` keeps one type, `filter.limit` the first entries. */
  getHistory(filter?: { type?: ConflictType; limit?: number }): ConflictHistoryEntry[] {
    const f = optFields<{ type?: ConflictType; limit?: number }>(filter, 'getHistory(): filter', FILTER);
    return of(this).getHistory(f?.type, f?.limit);
  }

  /** The newest history entry of `id`. */
  getHistoryEntry(id: string): ConflictHistoryEntry | undefined {
    return of(this).getHistoryEntry(nonEmpty(id, 'getHistoryEntry(): id'));
  }

  /** Empties the history, in `localStorage` too. */
  clearHistory(): void {
    of(this).clearHistory();
  }

  /** `listener(event, data)` for every conflict event; returns an unsubscribe function. */
  subscribe(listener: ConflictEventListener): () => void {
    return of(this).subscribe(fn(listener, 'subscribe(): listener'));
  }

  /** Whether `initialize()` ran (and `destroy()` not since). */
  get initialized(): boolean {
    return of(this).initialized;
  }

  /** Counts over the history, by type and by strategy. */
  getStats(): ConflictStats {
    return of(this).getStats();
  }
}

let instance: ConflictResolutionService | null = null;

/** The module's service, made with `config` on first call. */
export function getConflictResolutionService(config?: ConflictResolutionConfig): ConflictResolutionService {
  const options = configArg(config, 'getConflictResolutionService()');
  return (instance ??= new ConflictResolutionService(options));
}

/** The module's service, initialized. */
export function initializeConflictResolution(config?: ConflictResolutionConfig): ConflictResolutionService {
  const service = getConflictResolutionService(configArg(config, 'initializeConflictResolution()'));
  service.initialize();
  return service;
}

/** Destroys the module's service; the next `getConflictResolutionService` makes a new one. */
export function resetConflictResolution(): void {
  instance?.destroy();
  instance = null;
}
