// `RoomsService` (nchat's `rooms.service.ts`): each method checks its
// arguments and forwards them to the native rooms service (src/native.ts);
// membership, member counts, pending joins, the room limit, message routing
// and the re-join after a reconnect live in the wasm.
import { callback as fn, id, json, optFields, string, strings, U32_MAX, type SchemaOf } from './check.js';
import { clientArg, type RealtimeClient, realtimeClient } from './client.js';
import * as native from './native.js';
import type { RoomType } from './types.js';

/** Who may join a room. */
export type RoomVisibility = 'public' | 'private';

/** A room as `RoomsService` reports it. */
export interface Room {
  name: string;
  type: RoomType;
  visibility: RoomVisibility;
  memberCount?: number;
  createdAt?: Date;
  metadata?: Record<string, unknown>;
}

/** A member of a room. */
export interface RoomMember {
  userId: string;
  userName?: string;
  userAvatar?: string;
  joinedAt: Date;
}

/** A `message:new` payload (as the server sends it). */
export interface MessageEvent {
  roomName: string;
  messageId: string;
  userId: string;
  userName?: string;
  userAvatar?: string;
  content: string;
  threadId?: string;
  replyTo?: string;
  metadata?: Record<string, unknown>;
  timestamp: string;
}

/** `RoomsService` options (nchat's defaults: true, 100, false). */
export interface RoomsServiceConfig {
  /** Re-join the rooms after a reconnect (off: they are dropped when the connection is lost). */
  autoRejoinOnReconnect?: boolean;
  /** At most this many rooms (joined and being joined). */
  maxTrackedRooms?: number;
  /** Debug logs. */
  debug?: boolean;
}

/** `onUserJoin` listener. */
export type RoomJoinListener = (roomName: string, member: RoomMember) => void;
/** `onUserLeave` listener. */
export type RoomLeaveListener = (roomName: string, userId: string) => void;
/** `onRoomMessage` / `onMessage` listener. */
export type MessageListener = (message: MessageEvent) => void;
/** `onRoomStateChange` listener: the joined room names. */
export type RoomStateListener = (rooms: string[]) => void;

/** `sendMessage` options. */
export interface SendMessageOptions {
  threadId?: string;
  replyTo?: string;
  metadata?: Record<string, unknown>;
}

const OPTIONS: SchemaOf<RoomsServiceConfig> = {
  autoRejoinOnReconnect: 'bool', maxTrackedRooms: { max: U32_MAX }, debug: 'bool',
};
const SEND: SchemaOf<SendMessageOptions> = { threadId: 'id', replyTo: 'str', metadata: 'any' };

const of = (self: RoomsService): native.NativeObject => native.rooms.of(self);

/** Members with their `joinedAt` as a `Date`. */
const members = (list: Array<{ joinedAt: number }>): RoomMember[] =>
  list.map((m) => ({ ...m, joinedAt: new Date(m.joinedAt) }) as RoomMember);

/** Room (channel, DM, thread) membership and events on the nself realtime server. */
export class RoomsService {
  /** A rooms service on `client` (default: the module's client). */
  constructor(config?: RoomsServiceConfig, client?: RealtimeClient) {
    const what = 'new RoomsService()';
    const n = clientArg(client ?? realtimeClient, `${what}: client`);
    native.rooms.bind(this, native.newRooms(n, false, optFields(config, `${what}: config`, OPTIONS)));
  }

  /** Hears the server's room events from now on. */
  initialize(): void {
    of(this).initialize();
  }

  /** Leaves every room, drops every listener; `initialize()` starts it again. */
  destroy(): void {
    of(this).destroy();
  }

  /** Joins a room (resolves at once when joined); rejects when not connected or refused. */
  joinRoom(roomName: string): Promise<Room> {
    return of(this).join(id(roomName, 'joinRoom(): roomName'));
  }

  /** Joins rooms; resolves with those joined. */
  joinRooms(roomNames: string[]): Promise<Map<string, Room>> {
    const n = of(this);
    const names = strings(roomNames, 'joinRooms(): roomNames');
    const joined = new Map<string, Room>();
    const one = (r: string): Promise<unknown> => n.join(r).then((room: Room) => joined.set(r, room), () => undefined);
    return Promise.all(names.map(one)).then(() => joined);
  }

  /** Leaves a room (no-op when not in it); its room listeners go. */
  leaveRoom(roomName: string): void {
    const r = id(roomName, 'leaveRoom(): roomName');
    of(this).leaveRoom(r);
    of(this).unlisten(`message:${r}`);
  }

  /** Leaves rooms. */
  leaveRooms(roomNames: string[]): void {
    of(this);
    strings(roomNames, 'leaveRooms(): roomNames').forEach((r) => this.leaveRoom(r));
  }

  /** Leaves every room. */
  leaveAllRooms(): void {
    this.leaveRooms(this.getJoinedRoomNames());
  }

  /** Whether it is in `roomName`. */
  isInRoom(roomName: string): boolean {
    return of(this).isInRoom(string(roomName, 'isInRoom(): roomName'));
  }

  /** The joined rooms. */
  getJoinedRooms(): Room[] {
    return of(this).getRooms();
  }

  /** The joined room names. */
  getJoinedRoomNames(): string[] {
    return this.getJoinedRooms().map((r) => r.name);
  }

  /** A joined room, or `undefined`. */
  getRoom(roomName: string): Room | undefined {
    return of(this).getRoom(string(roomName, 'getRoom(): roomName')) ?? undefined;
  }

  /** The members known of a room. */
  getRoomMembers(roomName: string): RoomMember[] {
    return members(of(this).getRoomMembers(string(roomName, 'getRoomMembers(): roomName')));
  }

  /** Sends a message to a joined room; resolves with its id (`''` when the server gives none). */
  sendMessage(roomName: string, content: string, options?: SendMessageOptions): Promise<{ messageId: string }> {
    const o = optFields<SendMessageOptions>(options, 'sendMessage(): options', SEND);
    json(o?.metadata, 'sendMessage(): options.metadata');
    const payload = { roomName: id(roomName, 'sendMessage(): roomName'), content: string(content, 'sendMessage(): content'), ...o };
    return of(this).send(payload.roomName, payload);
  }

  /** A user joined a room. */
  onUserJoin(listener: RoomJoinListener): () => void {
    const f = fn<RoomJoinListener>(listener, 'onUserJoin(): listener');
    return of(this).listen('userJoin', (room: string, m: { joinedAt: number }) => f(room, members([m])[0]!));
  }

  /** A user left a room. */
  onUserLeave(listener: RoomLeaveListener): () => void {
    return of(this).listen('userLeave', fn(listener, 'onUserLeave(): listener'));
  }

  /** Messages of one room. */
  onRoomMessage(roomName: string, listener: MessageListener): () => void {
    const r = string(roomName, 'onRoomMessage(): roomName');
    return of(this).listen(`message:${r}`, fn(listener, 'onRoomMessage(): listener'));
  }

  /** Every message. */
  onMessage(listener: MessageListener): () => void {
    return of(this).listen('message', fn(listener, 'onMessage(): listener'));
  }

  /** The joined room names, now and on every change. */
  onRoomStateChange(listener: RoomStateListener): () => void {
    const off = of(this).listen('roomState', fn(listener, 'onRoomStateChange(): listener'));
    listener(this.getJoinedRoomNames());
    return off;
  }

  /** Whether `initialize()` ran (and no `destroy()` since). */
  get initialized(): boolean {
    return of(this).initialized;
  }

  /** How many rooms it is in. */
  get roomCount(): number {
    return this.getJoinedRooms().length;
  }

  /** Frees the service's wasm memory now. */
  free(): void {
    native.rooms.free(this);
  }
}

let instance: RoomsService | undefined;

/** The module's rooms service (made with `config` on first call). */
export function getRoomsService(config?: RoomsServiceConfig): RoomsService {
  const c = optFields<RoomsServiceConfig>(config, 'getRoomsService(): config', OPTIONS);
  return (instance ??= new RoomsService(c));
}

/** The module's rooms service, initialized. */
export function initializeRoomsService(config?: RoomsServiceConfig): RoomsService {
  const s = getRoomsService(optFields(config, 'initializeRoomsService(): config', OPTIONS));
  s.initialize();
  return s;
}

/** Destroys and drops the module's rooms service. */
export function resetRoomsService(): void {
  instance?.destroy();
  instance = undefined;
}
