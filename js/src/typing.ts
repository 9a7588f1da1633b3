// `TypingService`: each method checks its arguments and forwards them to
// the native service (src/native.ts); debounce, throttle, expiry and the
// typing text live in the wasm.
import {
  callback as fn, id, ids, isPlainObject, oneOf, optId, string, typeError, quote, fields,
  type SchemaOf,
} from './check.js';
import { live, serviceArgs, singleton, type RealtimeClient, type Renames } from './client.js';
import * as native from './native.js';
import type {
  TypingChangeCallback, TypingContext, TypingPrivacySettings, TypingRoomType, TypingServiceConfig, TypingServiceOptions,
  TypingUser,
} from './types.js';

const PRIVACY: SchemaOf<TypingPrivacySettings> = {
  broadcastTyping: 'bool', typingVisibility: { oneOf: ['everyone', 'contacts', 'nobody'] },
};

/** @internal The options schema (also `RealtimeIntegrationConfig`'s). */
export const OPTIONS: SchemaOf<TypingServiceConfig> = {
  typingTimeoutMs: 'ms', debounceMs: 'ms', debounceMaxWaitMs: 'ms', throttleMs: 'ms', batchMs: 'ms',
  keepAliveMs: 'ms', privacySettings: { fields: PRIVACY }, debug: 'bool', userId: 'id', enablePrivacyFiltering: 'bool',
  typingTimeout: 'ms',
  debounceInterval: 'ms', throttleInterval: 'ms', batchUpdateInterval: 'ms',
};

const RENAMES: Renames = [
  ['typingTimeout', 'typingTimeoutMs'], ['debounceInterval', 'debounceMs'], ['throttleInterval', 'throttleMs'],
  ['batchUpdateInterval', 'batchMs'],
];

const ROOM_TYPES: readonly TypingRoomType[] = ['channel', 'thread', 'dm'];

const of = (self: TypingService): native.NativeTyping => native.typings.of(self);

/**
 * Typing indicators: the current user's typing (debounced, throttled,
 * renewed while typing, stopped by itself) and other users' typing per
 * channel, thread and DM.
 */
export class TypingService {
  /**
   * Typing on `client` (`TypingServiceOptions`). The current user is the
   * one the server authenticates unless `userId` is given.
   */
  constructor(clientOrConfig?: RealtimeClient | TypingServiceConfig, options?: TypingServiceOptions) {
    native.typings.bind(this, native.newTyping(...serviceArgs(clientOrConfig, options, 'new TypingService()', OPTIONS, RENAMES)));
  }

  /** Frees the service's wasm memory now (it is disposed first). */
  free(): void {
    native.typings.free(this);
  }

  /** `free()`, for `using`. */
  [Symbol.dispose](): void {
    this.free();
  }

  /**
   * Starts typing now in a channel, or in its thread with `threadId`
   * (sent unless one went out for the room within `throttleMs`); it stops
   * by itself `typingTimeoutMs` later. Nothing is sent while disconnected.
   */
  startTyping(channelId: string, threadId?: string): void {
    of(this).startTyping(id(channelId, 'startTyping(): channelId'), optId(threadId, 'startTyping(): threadId'));
  }

  /** `startTyping(channelId, threadId)`. */
  startTypingInThread(channelId: string, threadId: string): void {
    of(this).startTypingInThread(id(channelId, 'startTypingInThread(): channelId'), id(threadId, 'startTypingInThread(): threadId'));
  }

  /**
   * Starts typing in a DM (`dm:{dmId}`). `recipientId` is accepted for the
   * seeds' signature; the server routes DM typing by room.
   */
  startTypingInDM(dmId: string, recipientId?: string): void {
    of(this).startTypingInDM(id(dmId, 'startTypingInDM(): dmId'), optId(recipientId, 'startTypingInDM(): recipientId'));
  }

  /** Stops typing in a channel (or its thread), or everywhere without arguments. */
  stopTyping(channelId?: string, threadId?: string): void {
    of(this).stopTyping(optId(channelId, 'stopTyping(): channelId'), optId(threadId, 'stopTyping(): threadId'));
  }

  /** Stops typing in a DM; without one, everywhere (nchat: the current room). */
  stopTypingInDM(dmId?: string): void {
    if (dmId === undefined) return of(this).stopTyping();
    of(this).stopTypingInDM(id(dmId, 'stopTypingInDM(): dmId'));
  }

  /**
   * The message input of a channel (or thread) changed: typing starts once
   * it settles (debounced), keystrokes renew it (throttled), blank input
   * stops at once.
   */
  handleInputChange(channelId: string, value: string, threadId?: string): void {
    const m = 'handleInputChange()';
    of(this).handleInputChange(id(channelId, `${m}: channelId`), string(value, `${m}: value`), optId(threadId, `${m}: threadId`));
  }

  /** `handleInputChange` for a DM (`recipientId` as in `startTypingInDM`). */
  handleDMInputChange(dmId: string, value: string, recipientId?: string): void {
    const m = 'handleDMInputChange()';
    optId(recipientId, `${m}: recipientId`);
    of(this).handleDMInputChange(id(dmId, `${m}: dmId`), string(value, `${m}: value`));
  }

  /**
   * Users typing in a channel or thread (without the current user, privacy-filtered),
   * in the order they started typing.
   */
  getTypingUsers(channelId: string, threadId?: string): TypingUser[] {
    return of(this).getTypingUsers(id(channelId, 'getTypingUsers(): channelId'), optId(threadId, 'getTypingUsers(): threadId'));
  }

  /** Users typing in a DM. */
  getTypingUsersInDM(dmId: string): TypingUser[] {
    return of(this).getTypingUsersInDM(id(dmId, 'getTypingUsersInDM(): dmId'));
  }

  /**
   * "Alice is typing...", "Alice and Bob are typing...", "Alice, Bob, and
   * Charlie are typing...", "Alice, Bob, and 2 others are typing...", or
   * `null` when nobody is.
   */
  getTypingText(channelId: string, threadId?: string): string | null {
    return of(this).getTypingText(id(channelId, 'getTypingText(): channelId'), optId(threadId, 'getTypingText(): threadId'));
  }

  /** `getTypingText` for a DM. */
  getTypingTextInDM(dmId: string): string | null {
    return of(this).getTypingTextInDM(id(dmId, 'getTypingTextInDM(): dmId'));
  }

  /**
   * `callback(channelId, users, threadId, change)` when the typing users of
   * one room change (batched), and once now with the current ones.
   * `roomType` is `'channel'`, `'thread'` (with `threadId`) or `'dm'`.
   * Returns an unsubscribe function.
   */
  onRoomTypingChange(channelId: string, roomType: TypingRoomType, callback: TypingChangeCallback, threadId?: string): () => void {
    const m = 'onRoomTypingChange()';
    return of(this).onRoomTypingChange(id(channelId, `${m}: channelId`), oneOf(roomType, `${m}: roomType`, ROOM_TYPES),
      fn(callback, `${m}: callback`), optId(threadId, `${m}: threadId`));
  }

  /**
   * `callback(channelId, users, threadId, change)` for every room whose
   * typing users change; a burst within `batchMs` is one call per room.
   * Returns an unsubscribe function.
   */
  subscribe(callback: TypingChangeCallback): () => void {
    return of(this).subscribe(fn(callback, 'subscribe(): callback'));
  }

  /** The seeds' name of `subscribe`. */
  onTypingChange(callback: TypingChangeCallback): () => void {
    return of(this).onTypingChange(fn(callback, 'onTypingChange(): callback'));
  }

  /**
   * Changes the given privacy keys and returns all of them. Turning
   * `broadcastTyping` off stops any typing in progress and sends nothing
   * more; `typingVisibility` filters whose typing is shown.
   */
  updatePrivacySettings(settings: Partial<TypingPrivacySettings>): TypingPrivacySettings {
    return of(this).updatePrivacySettings(fields(settings, 'updatePrivacySettings(): settings', PRIVACY));
  }

  /** The current privacy settings. */
  get privacySettings(): TypingPrivacySettings {
    return of(this).privacySettings;
  }

  /** Replaces the current user's contacts (for `typingVisibility: 'contacts'`). */
  setContacts(contactIds: string[]): void {
    of(this).setContacts(ids(contactIds, 'setContacts(): contactIds'));
  }

  /** nchat: the rooms (`channel:<id>`, `channel:<id>:thread:<id>`, `dm:<id>`) where someone is shown typing. */
  getActiveTypingRooms(): string[] {
    return of(this).activeRooms();
  }

  /** nchat: forgets who types in one room (its listeners hear the empty list); our own typing goes on. */
  clearRoomTypingState(roomName: string, roomType: TypingRoomType, threadId?: string): void {
    const m = 'clearRoomTypingState()';
    of(this).clearRoom(id(roomName, `${m}: roomName`), oneOf(roomType, `${m}: roomType`, ROOM_TYPES),
      optId(threadId, `${m}: threadId`));
  }

  /** nchat: `contactId` is a contact from now on (for `typingVisibility: 'contacts'`). */
  addContact(contactId: string): void {
    of(this).contact(id(contactId, 'addContact(): contactId'), true);
  }

  /** nchat: `contactId` is no longer a contact. */
  removeContact(contactId: string): void {
    of(this).contact(id(contactId, 'removeContact(): contactId'), false);
  }

  /** nchat: whether `userId` is a contact. */
  isContact(userId: string): boolean {
    return of(this).contact(id(userId, 'isContact(): userId'));
  }

  /**
   * Gives display names (`{userId: name}`) for typing users: the real
   * server sends only user ids, which are shown until a name is known.
   * Names seen in typing events are remembered too.
   */
  setUserNames(names: Record<string, string>): void {
    const n = of(this);
    const m = 'setUserNames()';
    if (!isPlainObject(names)) throw typeError(`${m}: names`, 'a plain object { userId: name }', names);
    for (const [userId, name] of Object.entries(names)) string(name, `${m}: names[${quote(userId)}]`);
    n.setUserNames(names);
  }

  // ---- nchat's names (services/realtime/typing.service.ts) --------------------

  /** nchat: the service runs from construction; this only refuses a disposed one. */
  initialize(): void {
    live(of(this), 'TypingService');
  }

  /** nchat's name of `dispose()`. */
  destroy(): void {
    of(this).dispose();
  }

  /** nchat: not disposed. */
  get initialized(): boolean {
    return !of(this).disposed;
  }

  /** nchat: the current user (never shown typing) is `userId` from now on; `null`: the client's again. */
  setCurrentUserId(userId: string | null): void {
    of(this).setCurrentUserId(userId === null ? null : id(userId, 'setCurrentUserId(): userId'));
  }

  /** nchat: the typing users of a room given by its type. */
  getTypingUsersInRoom(roomName: string, roomType: TypingRoomType, threadId?: string): TypingUser[] {
    const m = 'getTypingUsersInRoom()';
    const n = of(this);
    const room = id(roomName, `${m}: roomName`);
    const thread = optId(threadId, `${m}: threadId`);
    return oneOf(roomType, `${m}: roomType`, ROOM_TYPES) === 'dm' ? n.getTypingUsersInDM(room) : n.getTypingUsers(room, thread);
  }

  /** nchat: whether someone is typing in a channel or thread. */
  hasTypingUsers(roomName: string, threadId?: string): boolean {
    const m = 'hasTypingUsers()';
    return of(this).getTypingUsers(id(roomName, `${m}: roomName`), optId(threadId, `${m}: threadId`)).length > 0;
  }

  /** nchat: whether someone is typing in a DM. */
  hasTypingUsersInDM(dmId: string): boolean {
    return of(this).getTypingUsersInDM(id(dmId, 'hasTypingUsersInDM(): dmId')).length > 0;
  }

  /** nchat: the id of the DM between two users, the same from both sides. */
  static getDMRoomKey(userId1: string, userId2: string): string {
    const m = 'getDMRoomKey()';
    return [id(userId1, `${m}: userId1`), id(userId2, `${m}: userId2`)].sort().join(':');
  }

  /** Forgets everyone's typing (callbacks hear the empty lists) and stops our own. */
  clearAllTypingState(): void {
    of(this).clearAllTypingState();
  }

  /** Whether the current user is typing in some room (`currentContext !== null`). */
  get isTyping(): boolean {
    return of(this).currentContext !== null;
  }

  /**
   * nchat: where the current user types, the room typed in last (else
   * another still typing); `null` once typing stopped everywhere.
   */
  get currentContext(): TypingContext | null {
    return of(this).currentContext;
  }

  /** The current user id, `undefined` until known. */
  get userId(): string | undefined {
    return of(this).userId;
  }

  /** Timers set so far (none while nobody types). */
  get timerWakeups(): number {
    return of(this).timerWakeups;
  }

  /**
   * Stops the service: typing in progress is stopped (`typing:stop`), then
   * the timer and client hook are removed, callbacks dropped and nothing
   * more is sent. Later calls that change state throw. Idempotent.
   */
  dispose(): void {
    of(this).dispose();
  }
}

/** nchat's module typing service (on `realtimeClient`): get, initialize, reset. */
export const [getTypingService, initializeTypingService, resetTypingService] =
  singleton((config?: TypingServiceConfig) => new TypingService(config));
