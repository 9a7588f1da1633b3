// `RoomManagerService` (nchat's `room-manager.service.ts`): each method
// checks its arguments and forwards them to the native room manager
// (src/native.ts); joins kept while offline, the re-join after a reconnect,
// listener counts and the auto-leave 5 s after the last listener live in
// the wasm.
import { U32_MAX, callback as fn, id, json, oneOf, optFields, string, type SchemaOf } from './check.js';
import { clientArg, type RealtimeClient, realtimeClient } from './client.js';
import * as native from './native.js';
import { room, type RealtimeRoomType } from './room-names.js';

/** `RoomManagerService` options (nchat's defaults: false, true, 100, 10000, true). */
export interface RoomManagerConfig {
  /** Debug logs. */
  debug?: boolean;
  /** Re-join the rooms after a reconnect (off: they stay, not joined). */
  autoRejoinOnReconnect?: boolean;
  /** At most this many rooms. */
  maxRooms?: number;
  /** How long a join may take, in ms. */
  joinTimeout?: number;
  /** Accepted for nchat's API; the GraphQL subscription bridge is not part of this package. */
  enableSubscriptionBridge?: boolean;
}

/** A room as the manager reports it. */
export interface RoomInfo {
  /** The room name, e.g. `channel:<id>`. */
  name: string;
  type: RealtimeRoomType;
  /** The id after the type. */
  resourceId: string;
  /** When it was joined (ms since the epoch). */
  joinedAt: number;
  /** Joined on the server now. */
  isJoined: boolean;
  /** Local listeners (`addRoomListener`). */
  listenerCount: number;
  metadata?: Record<string, unknown>;
}

/** `joinRoom` options. */
export interface RoomJoinOptions {
  /** Accepted for nchat's API (GraphQL subscriptions are not part of this package). */
  subscribeToUpdates?: boolean;
  metadata?: Record<string, unknown>;
  /** Join again even when joined. */
  force?: boolean;
}

/** `onRoomJoined` listener. */
export type RoomJoinedListener = (roomInfo: RoomInfo) => void;
/** `onRoomLeft` listener. */
export type RoomLeftListener = (roomName: string) => void;
/** `onRoomError` listener (the `Error` has the server's `code`). */
export type RoomErrorListener = (roomName: string, error: Error) => void;
/** `onReconnected` listener: the rooms re-joined. */
export type RoomReconnectedListener = (roomNames: string[]) => void;

const OPTIONS: SchemaOf<RoomManagerConfig> = {
  debug: 'bool', autoRejoinOnReconnect: 'bool', maxRooms: { max: U32_MAX }, joinTimeout: 'intMs',
  enableSubscriptionBridge: 'bool',
};
const JOIN: SchemaOf<RoomJoinOptions> = { subscribeToUpdates: 'bool', metadata: 'any', force: 'bool' };
const TYPES: readonly RealtimeRoomType[] = ['channel', 'thread', 'user', 'dm'];

const of = (self: RoomManagerService): native.NativeObject => native.roomManagers.of(self);

/** `joinRoom` of `name` (checked) with `options`, checked for `method`. */
function join(self: RoomManagerService, name: string, options: unknown, method: string): Promise<RoomInfo> {
  const n = of(self);
  const o = optFields<RoomJoinOptions>(options, `${method}: options`, JOIN);
  json(o?.metadata, `${method}: options.metadata`);
  return n.join(name, o);
}

/** Room membership with listener counts, kept across reconnects. */
export class RoomManagerService {
  /** A room manager on `client` (default: the module's client). */
  constructor(config?: RoomManagerConfig, client?: RealtimeClient) {
    const what = 'new RoomManagerService()';
    const n = clientArg(client ?? realtimeClient, `${what}: client`);
    native.roomManagers.bind(this, native.newRooms(n, true, optFields(config, `${what}: config`, OPTIONS)));
  }

  /** Hears the server's `room:joined` from now on. */
  initialize(): void {
    of(this).initialize();
  }

  /** The current user: leaves the previous user's room, joins `user:<id>`. */
  setCurrentUserId(userId: string | null): void {
    of(this).setCurrentUserId(userId === null ? null : id(userId, 'setCurrentUserId(): userId'));
  }

  /** Leaves every room, drops every listener; `initialize()` starts it again. */
  destroy(): void {
    of(this).destroy();
  }

  /** Joins `type:id` (kept and joined on connect when offline); rejects when refused. */
  joinRoom(roomName: string, options?: RoomJoinOptions): Promise<RoomInfo> {
    return join(this, id(roomName, 'joinRoom(): roomName'), options, 'joinRoom()');
  }

  /** Leaves a room (not while it has listeners). */
  leaveRoom(roomName: string): void {
    of(this).leaveRoom(id(roomName, 'leaveRoom(): roomName'));
  }

  /** Joins a channel's room. */
  joinChannel(channelId: string, options?: RoomJoinOptions): Promise<RoomInfo> {
    return join(this, room('channel', channelId, 'joinChannel(): channelId', true), options, 'joinChannel()');
  }

  /** Leaves a channel's room. */
  leaveChannel(channelId: string): void {
    of(this).leaveRoom(room('channel', channelId, 'leaveChannel(): channelId', true));
  }

  /** Joins a thread's room. */
  joinThread(threadId: string, options?: RoomJoinOptions): Promise<RoomInfo> {
    return join(this, room('thread', threadId, 'joinThread(): threadId'), options, 'joinThread()');
  }

  /** Leaves a thread's room. */
  leaveThread(threadId: string): void {
    of(this).leaveRoom(room('thread', threadId, 'leaveThread(): threadId'));
  }

  /** Whether `roomName` is joined now. */
  isInRoom(roomName: string): boolean {
    return of(this).isInRoom(string(roomName, 'isInRoom(): roomName'));
  }

  /** A room, or `undefined`. */
  getRoom(roomName: string): RoomInfo | undefined {
    return of(this).getRoom(string(roomName, 'getRoom(): roomName'));
  }

  /** The rooms joined now. */
  getJoinedRooms(): RoomInfo[] {
    return (of(this).getRooms() as RoomInfo[]).filter((r) => r.isJoined);
  }

  /** Every room's name (joined or not). */
  getRoomNames(): string[] {
    return (of(this).getRooms() as RoomInfo[]).map((r) => r.name);
  }

  /** The rooms of one type. */
  getRoomsByType(type: RealtimeRoomType): RoomInfo[] {
    const t = oneOf(type, 'getRoomsByType(): type', TYPES);
    return (of(this).getRooms() as RoomInfo[]).filter((r) => r.type === t);
  }

  /** One more listener of a room. */
  addRoomListener(roomName: string): void {
    of(this).addRoomListener(string(roomName, 'addRoomListener(): roomName'));
  }

  /** One listener fewer; at 0 the room (unless a user room) is left 5 s later if still at 0. */
  removeRoomListener(roomName: string): void {
    of(this).removeRoomListener(string(roomName, 'removeRoomListener(): roomName'));
  }

  /** A room was joined. */
  onRoomJoined(listener: RoomJoinedListener): () => void {
    return of(this).listen('roomJoined', fn(listener, 'onRoomJoined(): listener'));
  }

  /** A room was left. */
  onRoomLeft(listener: RoomLeftListener): () => void {
    return of(this).listen('roomLeft', fn(listener, 'onRoomLeft(): listener'));
  }

  /** A room could not be (re-)joined. */
  onRoomError(listener: RoomErrorListener): () => void {
    const f = fn<RoomErrorListener>(listener, 'onRoomError(): listener');
    return of(this).listen('roomError', (room: string, e: { code: string; message: string }) =>
      f(room, Object.assign(new Error(e.message), { code: e.code })));
  }

  /** Rooms re-joined after a reconnect. */
  onReconnected(listener: RoomReconnectedListener): () => void {
    return of(this).listen('reconnected', fn(listener, 'onReconnected(): listener'));
  }

  /** Whether `initialize()` ran (and no `destroy()` since). */
  get initialized(): boolean {
    return of(this).initialized;
  }

  /** How many rooms it keeps (joined or not). */
  get roomCount(): number {
    return this.getRoomNames().length;
  }

  /** How many rooms are joined now. */
  get joinedRoomCount(): number {
    return this.getJoinedRooms().length;
  }

  /** Frees the manager's wasm memory now. */
  free(): void {
    native.roomManagers.free(this);
  }
}

let instance: RoomManagerService | undefined;

/** The module's room manager (made with `config` on first call). */
export function getRoomManager(config?: RoomManagerConfig): RoomManagerService {
  const c = optFields<RoomManagerConfig>(config, 'getRoomManager(): config', OPTIONS);
  return (instance ??= new RoomManagerService(c));
}

/** The module's room manager, initialized. */
export function initializeRoomManager(config?: RoomManagerConfig): RoomManagerService {
  const m = getRoomManager(optFields(config, 'initializeRoomManager(): config', OPTIONS));
  m.initialize();
  return m;
}

/** Destroys and drops the module's room manager. */
export function resetRoomManager(): void {
  instance?.destroy();
  instance = undefined;
}
