// The app imports the installed package by its name, both entry points:
// the wasm loads with the root entry, the hooks come from chat-realtime/react.
// The server and token come in the query string (?server=…&token=…&user=…).
import { createElement as h } from 'react';
import { createRoot } from 'react-dom/client';
import { REALTIME_EVENTS } from 'chat-realtime';
import { RealtimeProvider, useConnectionStatus } from 'chat-realtime/react';

const q = new URLSearchParams(location.search);
const config = { realtimeUrl: q.get('server'), token: q.get('token'), userId: q.get('user') };

function Status() {
  const { state, quality } = useConnectionStatus();
  return h('p', { id: 'status', 'data-state': state }, `${state} (${quality}); ${Object.keys(REALTIME_EVENTS).length} events`);
}

createRoot(document.getElementById('root')).render(h(RealtimeProvider, { config }, h(Status)));
