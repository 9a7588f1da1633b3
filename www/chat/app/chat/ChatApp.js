'use client';
// The chat: sign-in, then one ChatSession for the signed-in user (per tab:
// the choice is kept in sessionStorage, so a reload stays signed in). On the
// server and before hydration it renders the signed-out shell and touches no
// browser API.
import { useEffect, useState, useSyncExternalStore } from 'react';
import { USERS } from '../users.js';
import { ChatSession } from './session.js';
import { Chat } from './Chat.js';

const KEY = 'chat-demo:user';
const userListeners = new Set();
const readUser = () => sessionStorage.getItem(KEY);
const subscribeUser = (fn) => { userListeners.add(fn); return () => userListeners.delete(fn); };
function setUser(id) {
  if (id) sessionStorage.setItem(KEY, id); else sessionStorage.removeItem(KEY);
  for (const fn of userListeners) fn();
}

// Sessions by user, released a tick after their last unmount: strict mode's
// unmount and remount keep the one session (and its one connection).
const sessions = new Map();
function acquire(userId, make) {
  let entry = sessions.get(userId);
  if (!entry) sessions.set(userId, (entry = { session: make(), refs: 0, timer: null }));
  clearTimeout(entry.timer);
  entry.refs++;
  return entry.session;
}
function release(userId) {
  const entry = sessions.get(userId);
  if (!entry || --entry.refs > 0) return;
  entry.timer = setTimeout(() => { sessions.delete(userId); entry.session.dispose(); }, 0);
}

export default function ChatApp() {
  const userId = useSyncExternalStore(subscribeUser, readUser, () => null);
  const [session, setSession] = useState(null);
  const [error, setError] = useState(null);

  useEffect(() => {
    if (!userId) return undefined;
    let live = true;
    let held = false;
    fetch(`/api/session?user=${encodeURIComponent(userId)}`)
      .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`sign-in failed: ${r.status}`))))
      .then((cfg) => {
        if (!live) return;
        held = true;
        setSession(acquire(userId, () => new ChatSession(cfg)));
      })
      .catch((e) => live && setError(e.message));
    return () => {
      live = false;
      if (held) release(userId);
      setSession(null);
    };
  }, [userId]);

  if (!userId) return <SignIn error={error} />;
  if (!session) return <div className="splash">Signing in…</div>;
  return <Chat session={session} onSignOut={() => setUser(null)} />;
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
