// `TypingService`: each method checks its arguments and forwards them to
// the native service (src/native.ts); debounce, throttle, expiry and the
// typing text live in the wasm.
import {
  callback as fn, id, ids, isPlainObject, oneOf, optFields, optId, string, typeError, quote, fields,
  type SchemaOf,
} from './check.js';
import { clientArg, type RealtimeClient } from './client.js';
import * as native from './native.js';
import type {
  RoomType, TypingChangeCallback, TypingPrivacySettings, TypingServiceOptions, TypingUser,
} from './types.js';

const PRIVACY: SchemaOf<TypingPrivacySettings> = {
  broadcastTyping: 'bool', typingVisibility: { oneOf: ['everyone', 'contacts', 'nobody'] },
};

const OPTIONS: SchemaOf<TypingServiceOptions> = {
  typingTimeoutMs: 'ms', debounceMs: 'ms', debounceMaxWaitMs: 'ms', throttleMs: 'ms', batchMs: 'ms',
  keepAliveMs: 'ms', privacySettings: { fields: PRIVACY }, debug: 'bool', userId: 'id',
};

const ROOM_TYPES: readonly RoomType[] = ['channel', 'thread', 'dm'];

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
  constructor(client: RealtimeClient, options?: TypingServiceOptions) {
    const what = 'new TypingService()';
    const n = clientArg(client, `${what}: client`);
    native.typings.bind(this, native.newTyping(n, optFields(options, `${what}: options`, OPTIONS)));
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

  /** Stops typing in a DM. */
  stopTypingInDM(dmId: string): void {
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

  /** `handleInputChange` for a DM. */
  handleDMInputChange(dmId: string, value: string): void {
    of(this).handleDMInputChange(id(dmId, 'handleDMInputChange(): dmId'), string(value, 'handleDMInputChange(): value'));
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
  onRoomTypingChange(channelId: string, roomType: RoomType, callback: TypingChangeCallback, threadId?: string): () => void {
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

  /** Forgets everyone's typing (callbacks hear the empty lists) and stops our own. */
  clearAllTypingState(): void {
    of(this).clearAllTypingState();
  }

  /** Whether the current user is typing in some room. */
  get isTyping(): boolean {
    return of(this).isTyping;
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
