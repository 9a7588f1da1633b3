// Shared helpers of the end-to-end tests: Debian's Chromium through
// playwright-core, the static server, and the test server's control API.
import { chromium } from 'playwright-core';
import { serve } from '../serve.mjs';

export const realtimePort = process.env.REALTIME_PORT ?? '39101';
export const controlPort = process.env.CONTROL_PORT ?? '39102';
export const serverUrl = `http://127.0.0.1:${realtimePort}`;
export const controlUrl = `http://127.0.0.1:${controlPort}`;

export async function control(method, path, body) {
  const res = await fetch(`${controlUrl}${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  return res.json();
}

/** Debian's Chromium, headless; `args` are added to the usual flags. */
export async function launch({ args = [] } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', ...args],
  });
}

export async function staticServer() {
  const server = await serve(0);
  return { server, url: `http://127.0.0.1:${server.address().port}` };
}
