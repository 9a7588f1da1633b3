// The module's default client: what nchat-style services use when no
// client is given (nchat's services all talk to its one `realtimeClient`).
// Made on first use; making a client before the wasm loads is fine.
import { RealtimeClient } from './client.js';

let shared: RealtimeClient | undefined;

/** The module's default `RealtimeClient` (made on first use). */
export function defaultClient(): RealtimeClient {
  return (shared ??= new RealtimeClient());
}
