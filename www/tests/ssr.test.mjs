// Server-side rendering: importing and using the package in Node (no window,
// no localStorage, no WebSocket on Node 20) must not crash: absent browser
// parts are error values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

test('the package loads and fails softly without a browser', async () => {
  const pkg = await import('../../pkg/index.js');
  pkg.initSync({ module: await readFile(new URL('../../pkg/chat_realtime_bg.wasm', import.meta.url)) });
  const client = new pkg.RealtimeClient();
  assert.equal(client.state, 'disconnected');
  assert.throws(() => client.emit('x', 1), /initialize/);
  client.initialize({ url: 'http://127.0.0.1:9', reconnection: false });
  const errors = [];
  client.onError((e) => errors.push(e));
  const hasWebSocket = typeof globalThis.WebSocket === 'function';
  const connecting = client.connect('token');
  connecting.catch(() => {});
  if (!hasWebSocket) {
    assert.equal(errors[0]?.code, 'transport');
    assert.match(errors[0].message, /WebSocket/);
  }
  client.disconnect();
  await assert.rejects(connecting);
  client.free();
});
