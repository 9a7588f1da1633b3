// `RealtimeProvider`: starts the module integration service (client and
// services, `initializeRealtimeIntegration`) from its `config` when mounted in
// a browser, and ends it when the last provider unmounts. It starts in a
// layout effect, so the services are live for the effects of the components
// below it. No effect runs on the server, so server-side rendering shows the
// disconnected state.
import { Fragment, createElement, useEffect, useLayoutEffect, useMemo, type ReactNode } from 'react';
import type { RealtimeIntegrationConfig } from '../integration.js';
import { acquire, release } from './store.js';

/** `RealtimeProvider`'s props. */
export interface RealtimeProviderProps {
  /**
   * The integration's config (`realtimeUrl`, `token`, `userId`, the
   * `enable…` flags, the services' options); with a token it connects.
   * `null` (e.g. signed out): nothing runs. A config with other values
   * starts over with them.
   */
  config: RealtimeIntegrationConfig | null;
  children?: ReactNode;
}

/** A layout effect in a browser; on the server neither runs (this one keeps React 18 from warning). */
const useStart = typeof window === 'undefined' ? useEffect : useLayoutEffect;

/**
 * Runs the realtime session of `config` for the hooks below it. A remount
 * with the same config (React's strict mode) keeps the one connection.
 */
export function RealtimeProvider({ config, children }: RealtimeProviderProps): ReactNode {
  const key = config && JSON.stringify(config);
  // The first config of equal ones: a new object with the same values keeps the session.
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const c = useMemo(() => config, [key]);
  useStart(() => {
    if (!c) return undefined;
    acquire(c);
    return release;
  }, [c]);
  return createElement(Fragment, null, children);
}
