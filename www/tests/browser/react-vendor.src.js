// React and react-dom for the `react` browser suite, bundled by esbuild into
// gen/react.js (development build: strict mode's double effects run) and
// mapped to the bare specifier `react` by runner.html's import map, so the
// built package's `chat-realtime/react` (pkg/react/) and the suite share one
// React. Built by browser-suites.test.mjs before the suite runs.
import * as React from 'react';
import { flushSync } from 'react-dom';
import { createRoot } from 'react-dom/client';

export const {
  Fragment, StrictMode, createElement, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState,
  useSyncExternalStore,
} = React;
export { createRoot, flushSync };
export default React;
