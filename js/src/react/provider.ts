// `RealtimeProvider`: starts the module integration service (client and
// services, `initializeRealtimeIntegration`) from its `config` when mounted in
// a browser, and ends it when the last provider unmounts. No effect runs on
// the server, so server-side rendering shows the disconnected state.
import { Fragment, createElement, useEffect, type ReactNode } from 'react';
import type { RealtimeIntegrationConfig } from '../integration.js';
import { acquire, release } from './store.js';

/** `RealtimeProvider`'s props. */
export interface RealtimeProviderProps {
  /**
   * The integration's config (`realtimeUrl`, `token`, `userId`, the
   * `enable…` flags); with a token it connects. `null` (e.g. signed out):
   * nothing runs. A config with other values starts over with them.
   */
  config: RealtimeIntegrationConfig | null;
  children?: ReactNode;
}

/**
 * Runs the realtime session of `config` for the hooks below it. A remount
 * with the same config (React's strict mode) keeps the one connection.
 */
export function RealtimeProvider({ config, children }: RealtimeProviderProps): ReactNode {
  const key = config ? JSON.stringify(config) : null;
  useEffect(() => {
    if (key === null) return undefined;
    acquire(JSON.parse(key) as RealtimeIntegrationConfig);
    return release;
  }, [key]);
  return createElement(Fragment, null, children);
}
