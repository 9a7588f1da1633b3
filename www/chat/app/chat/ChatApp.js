'use client';
// The chat: sign-in, then chat-realtime/react's RealtimeProvider runs the
// signed-in user's realtime session (per tab: the choice is kept in
// sessionStorage, so a reload stays signed in). On the server and before
// hydration it renders the signed-out shell and touches no browser API (the
// provider starts nothing there).
import { useEffect, useMemo, useState, useSyncExternalStore } from 'react';
import { RealtimeProvider } from 'chat-realtime/react';
import { USERS } from '../users.js';
import { Chat } from './Chat.js';

const KEY = 'chat-demo:user';
const userListeners = new Set();
const readUser = () => sessionStorage.getItem(KEY);
const subscribeUser = (fn) => { userListeners.add(fn); return () => userListeners.delete(fn); };
function setUser(id) {
  if (id) sessionStorage.setItem(KEY, id); else sessionStorage.removeItem(KEY);
  for (const fn of userListeners) fn();
}

/** The provider's config for what /api/session answered. */
function realtimeConfig({ user, token, url, idleTimeoutMs }) {
  return {
    realtimeUrl: url,
    token,
    userId: user.id,
    // Keep trying while the tab is open, soon after a lost link; a latency sample every 5 s for the header.
    clientOptions: { reconnectDelayMs: 500, reconnectDelayMaxMs: 3000, maxReconnectAttempts: 1_000_000, qualityIntervalMs: 5000 },
    presenceOptions: { idleTimeoutMs },
    // One queue per user, so two demo users in one browser keep theirs apart.
    queueOptions: { storageKey: `chat-demo:${user.id}:queue` },
    deliveryOptions: { readBatchMs: 300 },
  };
}

export default function ChatApp() {
  const userId = useSyncExternalStore(subscribeUser, readUser, () => null);
  const [session, setSession] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    if (!userId) return undefined;
    let live = true;
    fetch(`/api/session?user=${encodeURIComponent(userId)}`)
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`sign-in failed: ${r.status}`))))
      .then((cfg) => live && setSession(cfg))
      .catch((e) => live && setError(e.message));
    return () => {
      live = false;
      setSession(null);
    };
  }, [userId]);

  const config = useMemo(() => session && realtimeConfig(session), [session]);
  return (
    <RealtimeProvider config={config}>
      {!userId ? <SignIn error={error} />
        : !session ? <div className="splash">{error ?? 'Signing in…'}</div>
          : <Chat user={session.user} onSignOut={() => setUser(null)} />}
    </RealtimeProvider>
  );
}

function SignIn({ error }) {
  // Until hydration the buttons do nothing: say when they work.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  return (
    <main className="signin" data-ready={ready ? 'true' : undefined}>
      <h1>chat-realtime</h1>
      <p>Sign in as one of the demo users. Open a second window as someone else to chat.</p>
      <div className="signin-users">
        {USERS.map((u) => (
          <button key={u.id} type="button" data-testid={`signin-${u.id}`} onClick={() => setUser(u.id)}>
            <span className="avatar" data-user={u.id}>{u.name[0]}</span>
            {u.name}
          </button>
        ))}
      </div>
      {error && <p className="error">{error}</p>}
    </main>
  );
}
