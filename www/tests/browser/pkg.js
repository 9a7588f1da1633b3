// The one place the browser suites import the package, as its users do: the
// built package's entry (pkg/index.js, the TypeScript layer, served as /pkg/),
// initialized once. When the entry changes, only this file changes.
import init, * as pkg from '/pkg/index.js';

await init();

export const {
  RealtimeClient, PresenceService, TypingService, DeliveryEventHandler, OfflineQueueService, SyncService,
} = pkg;

/**
 * Releases an object of the package at the end of a test, as Rust's Drop did
 * for the tests' locals (its timers, sockets and listeners go).
 */
export function release(obj) {
  obj.free();
}
