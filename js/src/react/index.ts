// `chat-realtime/react`: a provider that runs the realtime session and hooks
// that show its state (built on useSyncExternalStore, a bounded number of
// renders per burst of events). React >= 18 is a peer dependency.
export { RealtimeProvider, type RealtimeProviderProps } from './provider.js';
export {
  useConnectionStatus, useDeliveryStatus, useOfflineQueue, useRealtime, useRealtimeIntegration, useRealtimePresence,
  useRealtimeRooms, useRealtimeTyping,
} from './hooks.js';
export type {
  ConnectionStatus, UseOfflineQueueReturn, UseRealtimeIntegrationReturn, UseRealtimePresenceReturn, UseRealtimeReturn,
  UseRealtimeRoomsReturn, UseRealtimeTypingReturn,
} from './hooks.js';
export type { RealtimeServices } from './store.js';
