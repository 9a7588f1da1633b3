// The one place the browser suites import the package, as its users do: the
// entry of the built `pkg/` (served as /pkg/; index.js, the TypeScript layer),
// initialized once.
import init, * as pkg from '/pkg/index.js';

await init();

export const {
  RealtimeClient, PresenceService, TypingService, DeliveryEventHandler, OfflineQueueService, SyncService,
  // nchat's module client and services (nchat.test.js).
  realtimeClient, getPresenceService, initializePresenceService, resetPresenceService, getTypingService,
  initializeTypingService, resetTypingService, getOfflineQueueService, initializeOfflineQueue, resetOfflineQueue,
  getSyncService, initializeSyncService, resetSyncService, getDeliveryEventHandler, initializeDeliveryHandler,
  resetDeliveryHandler,
  RoomsService, RoomManagerService, getRoomsService, initializeRoomsService, resetRoomsService, getRoomManager,
  initializeRoomManager, resetRoomManager, getChannelRoom, getThreadRoom, getUserRoom, getDMRoom, parseRoomName,
  REALTIME_EVENTS,
} = pkg;
export const {
  ConflictResolutionService, getConflictResolutionService, initializeConflictResolution, resetConflictResolution,
} = pkg;
export const {
  RealtimeIntegrationService, getRealtimeIntegration, initializeRealtimeIntegration, resetRealtimeIntegration,
} = pkg;
export const { DEFAULT_PRESENCE_SETTINGS } = pkg;
export const {
  EventDispatcherService, getEventDispatcher, initializeEventDispatcher, resetEventDispatcher,
} = pkg;

/**
 * Releases an object of the package at the end of a test, as Rust's Drop did
 * for the tests' locals (its timers, sockets and listeners go).
 */
export function release(obj) {
  obj.free();
}
