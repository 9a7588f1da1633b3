// The package's entry: the classes users see, their types, and the wasm
// loader (`init`, the default export, and `initSync`), re-exported from
// src/native.ts, the only module that touches the wasm. In a browser the
// wasm loads with the module, so importing is enough.
export { default, initSync } from './native.js';
export type { InitInput, InitOutput, SyncInitInput } from './native.js';
export { RealtimeClient, realtimeClient } from './client.js';
export {
  PresenceService, getPresenceService, initializePresenceService, resetPresenceService, DEFAULT_PRESENCE_SETTINGS,
} from './presence.js';
export { TypingService, getTypingService, initializeTypingService, resetTypingService } from './typing.js';
export {
  DeliveryEventHandler, getDeliveryEventHandler, initializeDeliveryHandler, resetDeliveryHandler,
} from './delivery.js';
export { OfflineQueueService, getOfflineQueueService, initializeOfflineQueue, resetOfflineQueue } from './queue.js';
export { SyncService, getSyncService, initializeSyncService, resetSyncService } from './sync.js';
export * from './rooms.js';
export * from './room-manager.js';
export {
  REALTIME_EVENTS, getChannelRoom, getDMRoom, getThreadRoom, getUserRoom, parseRoomName,
} from './room-names.js';
export type { RealtimeEventName, RealtimeRoomType } from './room-names.js';
export type * from './types.js';
export {
  ConflictResolutionService, getConflictResolutionService, initializeConflictResolution, resetConflictResolution,
} from './conflict.js';
export type * from './conflict.js';
export * from './integration.js';
export * from './dispatcher.js';
