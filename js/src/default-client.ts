// The module's default `RealtimeClient`: what a service that nchat builds
// without a client (`new ConflictResolutionService(config)`, the module
// singletons) hangs off. Made on first use.
import { RealtimeClient } from './client.js';

let client: RealtimeClient | undefined;

/** @internal The default client, made on first use. */
export const defaultClient = (): RealtimeClient => (client ??= new RealtimeClient());
