// `PresenceService`: each method checks its arguments and forwards them to
// the native service (src/native.ts); statuses, idle detection, privacy and
// the heartbeat live in the wasm.
import { callback as fn, absent, boolean, fields, id, ids, oneOf, typeError, type SchemaOf } from './check.js';
import {
  CUSTOM_STATUS, PRESENCE_STATUSES, live, serviceArgs, singleton, type RealtimeClient, type Renames,
} from './client.js';
import * as native from './native.js';
import type {
  ActivityRelay, CustomStatus, CustomStatusChangeCallback, CustomStatusInput, FilteredUserPresence, PresenceChangeCallback,
  PresenceServiceConfig, PresenceServiceOptions, PresenceSettings, PresenceSettingsInput, PresenceStatus,
  PresenceVisibilityResult,
  StatusChangeCallback,
  UserPresence,
} from './types.js';

/** @internal The options schema (also `RealtimeIntegrationConfig`'s). */
export const OPTIONS: SchemaOf<PresenceServiceConfig> = {
  idleTimeoutMs: 'ms', hiddenAwayDelayMs: 'ms', heartbeatIntervalMs: 'ms', activityThrottleMs: 'ms',
  debug: 'bool', userId: 'id', detectActivity: 'bool', enableIdleDetection: 'bool', idleTimeout: 'ms',
  heartbeatInterval: 'ms', enablePrivacyFiltering: 'bool', graphqlEndpoint: 'str', getAuthToken: 'fn',
};

const RENAMES: Renames = [['idleTimeout', 'idleTimeoutMs'], ['heartbeatInterval', 'heartbeatIntervalMs']];

const SETTINGS: SchemaOf<PresenceSettingsInput> = {
  visibility: { oneOf: ['everyone', 'contacts', 'nobody'] }, showOnlineStatus: 'bool', showLastSeen: 'bool',
  allowReadReceipts: 'bool', invisibleMode: 'bool',
};

const of = (self: PresenceService): native.NativePresence => native.presences.of(self);

/** Services made with nchat's `enablePrivacyFiltering: false`. */
const unfiltered = new WeakSet<PresenceService>();

/** nchat's default privacy settings (those of a user who never chose any). */
export const DEFAULT_PRESENCE_SETTINGS: Readonly<Required<PresenceSettingsInput>> = Object.freeze({
  visibility: 'everyone', showLastSeen: true, showOnlineStatus: true, allowReadReceipts: true, invisibleMode: false,
});

/**
 * Presence of the current user and of the users they follow: status
 * (online, away, busy, offline), custom status with expiry, invisible mode,
 * privacy settings and contacts, idle detection (also across tabs) and a
 * heartbeat while connected.
 */
export class PresenceService {
  /**
   * Presence on `client` (`PresenceServiceOptions`). The current user is
   * the one the server authenticates unless `userId` is given. Status is
   * sent on every (re)connection and every `heartbeatIntervalMs`.
   */
  constructor(clientOrConfig?: RealtimeClient | PresenceServiceConfig, options?: PresenceServiceOptions) {
    const [n, o] = serviceArgs<PresenceServiceConfig>(clientOrConfig, options, 'new PresenceService()', OPTIONS, RENAMES);
    // nchat's `enableIdleDetection: false`: no auto-away; its GraphQL keys stay here.
    const { enableIdleDetection, enablePrivacyFiltering, graphqlEndpoint, getAuthToken, ...rest } = o ?? {};
    if (enablePrivacyFiltering === false) unfiltered.add(this);
    native.presences.bind(this, native.newPresence(n, o && (enableIdleDetection === false ? { ...rest, idleTimeoutMs: 0 } : rest)));
  }

  /** Frees the service's wasm memory now (it is disposed first). */
  free(): void {
    native.presences.free(this);
  }

  /** `free()`, for `using`. */
  [Symbol.dispose](): void {
    this.free();
  }

  /**
   * Chooses a status. A chosen `busy`, `away` or `offline` is never
   * overridden by idle detection; `online` ends auto-away.
   */
  setStatus(status: PresenceStatus): void {
    of(this).setStatus(oneOf(status, 'setStatus(): status', PRESENCE_STATUSES));
  }

  /** The current user's status: `away` during auto-away, else the chosen one. */
  getStatus(): PresenceStatus {
    return of(this).getStatus();
  }

  /** The current user's status (as `getStatus()`). */
  get status(): PresenceStatus {
    return of(this).status;
  }

  /** Whether idle or hidden-tab auto-away is in effect. */
  get isAutoAway(): boolean {
    return of(this).isAutoAway;
  }

  /** The current user id, `undefined` until known. */
  get userId(): string | undefined {
    return of(this).userId;
  }

  /**
   * Sets the custom status (`{text?, emoji?, expiresAt?}`); it clears
   * itself at `expiresAt`. Throws for an empty one or an expiry not in the
   * future. `null` removes it (nchat).
   */
  setCustomStatus(customStatus: CustomStatusInput | null): void {
    if (customStatus === null) return this.clearCustomStatus();
    of(this).setCustomStatus(fields(customStatus, 'setCustomStatus(): customStatus', CUSTOM_STATUS));
  }

  /** Removes the custom status. */
  clearCustomStatus(): void {
    of(this).clearCustomStatus();
  }

  /** The current user's custom status, `null` when none (as in nchat). */
  getCustomStatus(): CustomStatus | null {
    return of(this).getCustomStatus() ?? null;
  }

  /**
   * Appear offline to everyone (`true`) or show the real status again; in
   * effect at once, the promise (nchat's signature) resolves with `true`.
   */
  setInvisibleMode(invisible: boolean): Promise<boolean> {
    of(this).setInvisibleMode(boolean(invisible, 'setInvisibleMode(): invisible'));
    return Promise.resolve(true);
  }

  /** Whether invisible mode is on. */
  get isInvisible(): boolean {
    return of(this).isInvisible;
  }

  /**
   * Updates the current user's privacy settings with the given keys and
   * resolves with all of them: `updatePresenceSettings(settings)` or, as in
   * the seeds, `updatePresenceSettings(userId, settings)` where `userId`
   * must be the current user. Turning `invisibleMode` on acts like
   * `setInvisibleMode(true)`. The app persists the result.
   */
  updatePresenceSettings(
    userIdOrSettings: string | PresenceSettingsInput,
    settings?: PresenceSettingsInput,
  ): Promise<PresenceSettings> {
    const n = of(this);
    const what = 'updatePresenceSettings()';
    if (typeof userIdOrSettings === 'string') {
      id(userIdOrSettings, `${what}: userIdOrSettings`);
      fields(settings, `${what}: settings`, SETTINGS);
    } else if (absent(settings)) {
      fields(userIdOrSettings, `${what}: userIdOrSettings`, SETTINGS);
    } else {
      throw typeError(`${what}: userIdOrSettings`,
        "the current user's id when settings follow (updatePresenceSettings(userId, settings))", userIdOrSettings);
    }
    return n.updatePresenceSettings(userIdOrSettings, settings);
  }

  /**
   * nchat: the settings known for `userId` (the current user's own, another
   * user's as given by `setUserSettings`), `null` when never given.
   */
  getPresenceSettings(userId: string): Promise<PresenceSettings | null>;
  /** The current user's privacy settings (without an argument). */
  getPresenceSettings(): PresenceSettings;
  getPresenceSettings(userId?: string): PresenceSettings | Promise<PresenceSettings | null> {
    if (!arguments.length) return of(this).getPresenceSettings();
    const s: PresenceSettings | null = of(this).getPresenceSettings(id(userId, 'getPresenceSettings(): userId'));
    return Promise.resolve(s && { ...s, userId });
  }

  /** Replaces the current user's contacts (for `visibility: 'contacts'`). */
  setContacts(contactIds: string[]): void {
    of(this).setContacts(ids(contactIds, 'setContacts(): contactIds'));
  }

  /**
   * Gives another user's privacy settings (missing keys take the defaults);
   * what the current user sees of them follows.
   */
  setUserSettings(userId: string, settings: PresenceSettingsInput): void {
    of(this).setUserSettings(id(userId, 'setUserSettings(): userId'), fields(settings, 'setUserSettings(): settings', SETTINGS));
  }

  /** What `viewerId` may see of `targetId`'s presence (known at once; a promise, as in nchat). */
  canViewPresence(viewerId: string, targetId: string): Promise<PresenceVisibilityResult> {
    return Promise.resolve(of(this).canViewPresence(id(viewerId, 'canViewPresence(): viewerId'),
      id(targetId, 'canViewPresence(): targetId')));
  }

  /**
   * A user's presence as the current user may see it, `undefined` when
   * unknown (subscribe to learn it).
   */
  getPresence(userId: string): UserPresence | undefined {
    return of(this).getPresence(id(userId, 'getPresence(): userId'));
  }

  /**
   * Follows users' presence (at most 100 in all; more is an error and
   * nothing is subscribed). Their current presence arrives with the
   * server's answer. Returns how many were new.
   */
  subscribeToUsers(userIds: string[]): number {
    return of(this).subscribeToUsers(ids(userIds, 'subscribeToUsers(): userIds'));
  }

  /**
   * Stops following users (not re-subscribed after a reconnect) and drops
   * their cached presence; those followed go to the server as
   * `presence:unsubscribe` when connected. Returns how many were followed.
   */
  unsubscribeFromUsers(userIds: string[]): number {
    return of(this).unsubscribeFromUsers(ids(userIds, 'unsubscribeFromUsers(): userIds'));
  }

  /**
   * nchat's `fetchPresence`: asks the server for these users' presence
   * (`presence:get`) and resolves with every cached presence by user id;
   * never rejects (disconnected or unanswered, with the cache as it is).
   */
  fetchPresence(userIds: string[]): Promise<Map<string, UserPresence>> {
    return of(this).fetchPresence(ids(userIds, 'fetchPresence(): userIds'))
      .then((list: UserPresence[]) => new Map(list.map((p) => [p.userId, p])));
  }

  /** The followed user ids, sorted. */
  getSubscriptions(): string[] {
    return of(this).getSubscriptions();
  }

  /**
   * `callback(presence)` when a followed user's visible presence changes.
   * Returns an unsubscribe function.
   */
  onPresenceChange(callback: PresenceChangeCallback): () => void {
    return of(this).onPresenceChange(fn(callback, 'onPresenceChange(): callback'));
  }

  /** `callback(status, auto)` when the current user's status changes. */
  onStatusChange(callback: StatusChangeCallback): () => void {
    return of(this).onStatusChange(fn(callback, 'onStatusChange(): callback'));
  }

  /**
   * `callback(customStatus | null)` when the current user's custom status
   * is set, cleared or expires.
   */
  onCustomStatusChange(callback: CustomStatusChangeCallback): () => void {
    return of(this).onCustomStatusChange(fn(callback, 'onCustomStatusChange(): callback'));
  }

  /** How activity reaches the app's other tabs. */
  get activityRelay(): ActivityRelay {
    return of(this).activityRelay;
  }

  /** Timers set so far (for idle-cost measurements). */
  get timerWakeups(): number {
    return of(this).timerWakeups;
  }

  // ---- nchat's names (services/realtime/presence.service.ts) ------------------

  /** nchat: the service runs from construction; this only refuses a disposed one. */
  initialize(): void {
    live(of(this), 'PresenceService');
  }

  /** nchat's name of `dispose()`. */
  destroy(): void {
    of(this).dispose();
  }

  /** nchat: not disposed. */
  get initialized(): boolean {
    return !of(this).disposed;
  }

  /** nchat: sends the status now and every `heartbeatInterval` (a no-op while it runs; it starts with each connection). */
  startHeartbeat(): void {
    of(this).heartbeat(true);
  }

  /** nchat: no periodic `presence:update` until `startHeartbeat()` or the next connection. */
  stopHeartbeat(): void {
    of(this).heartbeat(false);
  }

  /** nchat: the current user is `userId` from now on, over the client's; `null`: the client's again. */
  setCurrentUserId(userId: string | null): void {
    of(this).setCurrentUserId(userId === null ? null : id(userId, 'setCurrentUserId(): userId'));
  }

  /** nchat's name of `getSubscriptions()`. */
  getSubscribedUserIds(): string[] {
    return of(this).getSubscriptions();
  }

  /** nchat: the known presences of the followed users, by user id. */
  getAllPresences(): Map<string, UserPresence> {
    const n = of(this);
    const all = new Map<string, UserPresence>();
    for (const u of n.getSubscriptions() as string[]) {
      const p: UserPresence | undefined = n.getPresence(u);
      if (p) all.set(u, p);
    }
    return all;
  }

  /**
   * nchat: the known presences of `targetIds` (as the current user may see
   * them) with `viewerId`'s privacy verdicts on each (all allowed with
   * `enablePrivacyFiltering: false`).
   */
  getVisiblePresence(viewerId: string, targetIds: string[]): Promise<Map<string, FilteredUserPresence>> {
    const n = of(this);
    const m = 'getVisiblePresence()';
    const viewer = id(viewerId, `${m}: viewerId`);
    const all = new Map<string, FilteredUserPresence>();
    for (const target of ids(targetIds, `${m}: targetIds`)) {
      const p: UserPresence | undefined = n.getPresence(target);
      const v: PresenceVisibilityResult = unfiltered.has(this)
        ? { canViewPresence: true, canViewOnlineStatus: true, canViewLastSeen: true, isContact: false, isInvisible: false }
        : n.canViewPresence(viewer, target);
      if (p) {
        all.set(target, {
          ...p, canViewOnlineStatus: v.canViewOnlineStatus, canViewLastSeen: v.canViewLastSeen, isContact: v.isContact,
          isFiltered: !v.canViewPresence || v.isInvisible,
        });
      }
    }
    return Promise.resolve(all);
  }

  /** nchat's name of `isInvisible`. */
  isInvisibleModeEnabled(): boolean {
    return of(this).isInvisible;
  }

  /** nchat: the current user's privacy settings (`getPresenceSettings()`). */
  getOwnPresenceSettings(): PresenceSettings | null {
    return of(this).getPresenceSettings();
  }

  /** nchat: whether `userId` is among the current user's contacts (`setContacts`). */
  isUserContact(userId: string): boolean {
    const n = of(this);
    const other = id(userId, 'isUserContact(): userId');
    const me: string | undefined = n.userId;
    return me !== undefined && n.canViewPresence(me, other).isContact;
  }

  /** nchat: forgets the contacts (`setContacts([])`). */
  clearContactsCache(): void {
    of(this).setContacts([]);
  }

  /** nchat: the current user's contacts, as `setContacts` gave them. */
  getCachedContacts(): string[] {
    return of(this).getCachedContacts();
  }

  /**
   * nchat reloads the contacts over GraphQL; here the app gives them
   * (`setContacts`), so this resolves at once and changes nothing.
   */
  refreshContacts(): Promise<void> {
    live(of(this), 'PresenceService');
    return Promise.resolve();
  }

  /** nchat: forgets the settings given for other users (`setUserSettings`); they take the defaults again. */
  clearPresenceSettingsCache(): void {
    of(this).clearPresenceSettingsCache();
  }

  /**
   * nchat: `clearPresenceSettingsCache()` and `clearContactsCache()`. The
   * current user's own settings stay: here they are the source (nchat
   * reloads its own over GraphQL).
   */
  clearPrivacyCaches(): void {
    const n = of(this);
    n.clearPresenceSettingsCache();
    n.setContacts([]);
  }

  /**
   * Stops the service: listeners, timer and client hook are removed and
   * callbacks dropped; nothing more is sent. Later calls that change state
   * throw. Idempotent.
   */
  dispose(): void {
    of(this).dispose();
  }
}

/** nchat's module presence service (on `realtimeClient`): get, initialize, reset. */
export const [getPresenceService, initializePresenceService, resetPresenceService] =
  singleton((config?: PresenceServiceConfig) => new PresenceService(config));
