// socket.io-client 4.x (its minified UMD bundle, loaded by sio.html), websocket
// transport only, behind the bench adapter.
import { install, server } from './harness.js';

let socket = null;
const listeners = [];

install({
  name: 'socket.io-client',
  connect(token) {
    return new Promise((resolve, reject) => {
      socket = globalThis.io(server, { transports: ['websocket'], auth: { token }, forceNew: true });
      for (const [event, fn] of listeners) socket.on(event, fn);
      // Ready when the server says so (the nself server registers its
      // handlers only after its `connected` event), as our client is.
      socket.once('connected', () => resolve());
      socket.once('connect_error', reject);
    });
  },
  on(event, fn) {
    listeners.push([event, fn]);
    socket?.on(event, fn);
  },
  request: (event, data) => socket.emitWithAck(event, data),
  echo: (data, timeoutMs) => socket.timeout(timeoutMs).emitWithAck('echo', data),
});
