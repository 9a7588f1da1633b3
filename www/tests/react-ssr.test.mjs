// `chat-realtime/react` rendered on the server (react-dom/server in Node):
// every hook shows the disconnected state and no browser API is touched,
// neither while rendering nor by the provider (its effects do not run there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';

// pkg/ sits outside www/: its `react` (the peer dependency) is www's, as an
// app's node_modules would give it.
const hook = `export async function resolve(s, c, next) {
  return next(s, s === 'react' ? { ...c, parentURL: ${JSON.stringify(import.meta.url)} } : c);
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);

/** Browser globals: any read of one (a `typeof` check too) is recorded. */
const BROWSER = [
  'window', 'document', 'navigator', 'localStorage', 'sessionStorage', 'WebSocket', 'BroadcastChannel', 'location',
  'requestAnimationFrame', 'cancelAnimationFrame', 'indexedDB', 'addEventListener', 'matchMedia',
];

test('the hooks render the disconnected state on the server and touch no browser API', async () => {
  const { createElement: h } = await import('react');
  const { renderToString } = await import('react-dom/server');
  const touched = [];
  const saved = BROWSER.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)]);
  for (const name of BROWSER) {
    Object.defineProperty(globalThis, name, {
      configurable: true,
      get() {
        touched.push(name);
        return undefined;
      },
    });
  }
  try {
    const r = await import('../../pkg/react/index.js');
    // The root entry checks `typeof window` once, to load the wasm only in a browser.
    assert.deepEqual([...new Set(touched)], ['window'], 'importing reads only `window`');
    touched.length = 0;

    const App = () => {
      const c = r.useConnectionStatus();
      const rt = r.useRealtime();
      const i = r.useRealtimeIntegration();
      const p = r.useRealtimePresence('bob');
      const t = r.useRealtimeTyping('general');
      const q = r.useOfflineQueue();
      const rooms = r.useRealtimeRooms();
      const d = r.useDeliveryStatus('cid');
      return h('p', null, [
        `state=${c.state} connected=${c.isConnected} quality=${c.quality} latency=${c.averageLatency}`,
        ` attempts=${c.reconnectAttempts} online=${c.isOnline} rt=${rt.connectionState}`,
        ` services=${[i.presence, i.typing, i.delivery, i.queue].every((s) => s === null)} queued=${i.status.queuedMessageCount}`,
        ` bob=${p.presence?.status ?? 'unknown'} me=${p.status} typing=${t.typingCount}:${t.typingText}`,
        ` queue=${q.queueLength} rooms=${rooms.roomNames.length} delivery=${d?.state ?? 'none'}`,
      ].join(''));
    };
    const config = { realtimeUrl: 'http://127.0.0.1:9', token: 'a.b.c', userId: 'ann' };
    const html = renderToString(h(r.RealtimeProvider, { config }, h(App)));
    assert.equal(html, '<p>state=disconnected connected=false quality=unknown latency=null attempts=0 online=true'
      + ' rt=disconnected services=true queued=0 bob=unknown me=online typing=0:null queue=0 rooms=0 delivery=none</p>');
    assert.deepEqual(touched, [], 'rendering touches no browser API');
  } finally {
    for (const [name, d] of saved) {
      if (d) Object.defineProperty(globalThis, name, d);
      else delete globalThis[name];
    }
  }
});
