'use client';
// The signed-in chat: header, sidebar (channels, people), messages, composer.
// Everything realtime comes from chat-realtime/react's hooks under the
// RealtimeProvider (ChatApp.js); the messages are the app's (messages.js).
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import {
  useConnectionStatus, useDeliveryStatus, useOfflineQueue, useRealtime, useRealtimeIntegration, useRealtimePresence,
  useRealtimeRooms, useRealtimeTyping,
} from 'chat-realtime/react';
import { CHANNELS, USERS, nameOf } from '../users.js';
import { MessageStore, useMessageStore } from './messages.js';
import { PrivacyPanel } from './PrivacyPanel.js';
import { StatusEditor } from './StatusEditor.js';

const NAMES = Object.fromEntries(USERS.map((u) => [u.id, u.name]));

export function Chat({ user, onSignOut }) {
  const store = useMemo(() => new MessageStore(user.id), [user.id]);
  const others = useMemo(() => USERS.filter((u) => u.id !== user.id), [user.id]);
  const [channel, setChannel] = useState(store.active);
  const [privacyOpen, setPrivacyOpen] = useState(false);
  const pick = (ch) => { store.setActive(ch); setChannel(ch); };
  return (
    <div className="app">
      <Wiring store={store} />
      <Header user={user} onSignOut={onSignOut} onPrivacy={() => setPrivacyOpen((o) => !o)} />
      <OfflineBanner store={store} />
      <div className="body">
        <aside className="sidebar">
          <Channels store={store} channel={channel} onPick={pick} />
          <People user={user} others={others} />
        </aside>
        <main className="main">
          <h2 className="channel-title"># {channel}</h2>
          <Messages store={store} channel={channel} />
          <Typing channel={channel} />
          <Composer store={store} channel={channel} />
        </main>
        {privacyOpen && <PrivacyPanel channel={channel} onClose={() => setPrivacyOpen(false)} />}
      </div>
    </div>
  );
}

/**
 * What the session does for the app, rendering nothing: joins the channels
 * (the room manager re-joins them after a reconnect), feeds the messages to
 * the store (with history on every connect), shows what the queue holds
 * (after a reload too) and names the typing users.
 */
function Wiring({ store }) {
  const { on, emitAsync, state } = useRealtime();
  const { joinChannel } = useRealtimeRooms();
  const { typing } = useRealtimeIntegration();
  const { messages: queued } = useOfflineQueue();
  useEffect(() => {
    for (const ch of CHANNELS) joinChannel(ch).catch((e) => store.setNotice(`joining #${ch}: ${e.message}`));
  }, [joinChannel, store]);
  useEffect(() => on('message:new', (m) => store.receive(m)), [on, store]);
  useEffect(() => { if (state === 'connected') store.catchUp(emitAsync); }, [state, emitAsync, store]);
  useEffect(() => { for (const q of queued) store.addOwn(q); }, [queued, store]);
  useEffect(() => typing?.setUserNames(NAMES), [typing]);
  return null;
}

function Header({ user, onSignOut, onPrivacy }) {
  const c = useConnectionStatus();
  const { queueLength } = useOfflineQueue();
  const live = c.state === 'connected';
  return (
    <header className="header">
      <div className="who">
        <span className="avatar" data-user={user.id}>{user.name[0]}</span>
        <strong data-testid="me">{user.name}</strong>
        <StatusEditor />
      </div>
      <div className="conn" data-testid="connection" data-state={c.state}>
        <span className="conn-dot" data-state={c.state} />
        <span data-testid="conn-state">{c.state}</span>
        {/* Quality and latency describe a live link: not shown without one. */}
        {live && (
          <>
            <span className="sep">·</span>
            <span title="connection quality" data-testid="quality">{c.quality}</span>
            <span className="sep">·</span>
            <span title="average latency" data-testid="latency">
              {c.averageLatency == null ? '– ms' : `${Math.round(c.averageLatency)} ms avg`}
            </span>
          </>
        )}
        {c.reconnectAttempts > 0 && <span className="attempts">retry {c.reconnectAttempts}</span>}
        {queueLength > 0 && <span className="badge" data-testid="queued-badge" title="messages waiting to be sent">{queueLength} queued</span>}
      </div>
      <div className="actions">
        <button type="button" onClick={onPrivacy} data-testid="privacy-toggle">Privacy</button>
        <button type="button" onClick={onSignOut}>Sign out</button>
      </div>
    </header>
  );
}

function OfflineBanner({ store }) {
  const c = useConnectionStatus();
  const { queueLength } = useOfflineQueue();
  useMessageStore(store);
  const notice = store.notice;
  if (c.state === 'connected' && c.isOnline && !c.error && !notice) return null;
  const text = !c.isOnline ? 'You are offline. Messages you send are kept and go out when you are back.'
    : c.state !== 'connected' ? (c.error ? `Not connected: ${c.error.message}` : `${c.state === 'reconnecting' ? 'Reconnecting' : 'Connecting'}…`)
      : notice ?? c.error.message;
  return (
    <div className="banner" data-testid="offline-banner" data-online={String(c.isOnline)}>
      {text}
      {queueLength > 0 && <span className="badge">{queueLength} queued</span>}
    </div>
  );
}

function Channels({ store, channel, onPick }) {
  useMessageStore(store);
  return (
    <nav>
      <h3>Channels</h3>
      <ul className="channels">
        {CHANNELS.map((ch) => (
          <li key={ch}>
            <button type="button" className={ch === channel ? 'on' : ''} onClick={() => onPick(ch)} data-testid={`channel-${ch}`}>
              # {ch}
              {store.unread.get(ch) > 0 && <span className="unread">{store.unread.get(ch)}</span>}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Re-renders every `ms` (relative times such as "last seen 2 min ago"). */
function useNow(ms) {
  const [now, setNow] = useState(0);
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

function People({ user, others }) {
  const now = useNow(15000);
  return (
    <section>
      <h3>People</h3>
      <ul className="people">
        <Me user={user} />
        {others.map((u) => <Person key={u.id} user={u} now={now} />)}
      </ul>
    </section>
  );
}

const customText = (c) => (c ? `${c.emoji ?? ''} ${c.text ?? ''}`.trim() : '');

function Me({ user }) {
  const { status, customStatus, isAutoAway } = useRealtimePresence();
  // While the link is down the others see this user offline: so does the list.
  const shown = useConnectionStatus().isConnected ? status : 'offline';
  return (
    <li className="person" data-testid={`person-${user.id}`} data-status={shown}>
      <span className="dot" data-status={shown} />
      <span className="pname">{user.name} (you)</span>
      <span className="pstatus">{customText(customStatus) || (isAutoAway ? 'away (idle)' : shown)}</span>
    </li>
  );
}

function ago(ms, now) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

function Person({ user, now }) {
  // Subscribed to this user's presence while shown.
  const { presence: p } = useRealtimePresence(user.id);
  const status = p?.status ?? 'offline';
  const seen = status === 'offline' && p?.lastSeenAt ? `last seen ${ago(p.lastSeenAt.getTime(), now || Date.now())}` : null;
  return (
    <li className="person" data-testid={`person-${user.id}`} data-status={status}>
      <span className="dot" data-status={status} title={status} />
      <span className="pname">{user.name}</span>
      <span className="pstatus" data-testid={`custom-${user.id}`}>{customText(p?.customStatus) || seen || status}</span>
    </li>
  );
}

function Messages({ store, channel }) {
  useMessageStore(store);
  const messages = store.list(channel);
  const { delivery } = useRealtimeIntegration();
  const { settings } = useRealtimePresence();
  const receipts = settings?.allowReadReceipts ?? false;
  const acked = useRef(new Set());
  const end = useRef(null);
  useEffect(() => { end.current?.scrollIntoView({ block: 'end' }); }, [channel, messages]);
  useEffect(() => {
    if (!delivery || !receipts) return undefined;
    // Shown while the page is visible: read.
    const ack = () => {
      if (document.visibilityState !== 'visible') return;
      for (const m of messages) {
        if (m.mine || !m.id || acked.current.has(m.id)) continue;
        acked.current.add(m.id);
        delivery.acknowledgeRead(m.id, channel);
      }
    };
    ack();
    document.addEventListener('visibilitychange', ack);
    return () => document.removeEventListener('visibilitychange', ack);
  }, [delivery, receipts, channel, messages]);
  if (messages.length === 0) return <ol className="messages empty"><li>No messages in #{channel} yet.</li></ol>;
  return (
    <ol className="messages" data-testid="messages">
      {messages.map((m) => <Message key={m.key} m={m} />)}
      <li ref={end} className="end" aria-hidden />
    </ol>
  );
}

// Plain glyphs (not emoji): every system font has them.
const TICKS = { pending: '○', sending: '○', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

const Message = memo(function Message({ m }) {
  const tracked = useDeliveryStatus(m.mine ? m.clientMessageId : null);
  const state = tracked?.state ?? (m.mine ? (m.id ? 'sent' : 'pending') : undefined);
  const time = new Date(m.timestamp).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <li className={`message${m.mine ? ' mine' : ''}`} data-testid="message" data-cid={m.clientMessageId ?? ''} data-from={m.userId}>
      {!m.mine && <span className="avatar small" data-user={m.userId}>{nameOf(m.userId)[0]}</span>}
      <div className="bubble">
        {!m.mine && <div className="from">{nameOf(m.userId)}</div>}
        <div className="content">{m.content}</div>
        <div className="meta">
          <time>{time}</time>
          {m.mine && <span className="ticks" data-testid="ticks" data-state={state} title={state}>{TICKS[state] ?? ''}</span>}
        </div>
      </div>
    </li>
  );
});

function Typing({ channel }) {
  const { typingText } = useRealtimeTyping(channel);
  return <div className="typing" data-testid="typing">{typingText ?? '\u00a0'}</div>;
}

function Composer({ store, channel }) {
  const [text, setText] = useState('');
  const { queueMessage } = useOfflineQueue();
  const { handleInputChange, handleMessageSend, stopTyping } = useRealtimeTyping(channel);
  const submit = (e) => {
    e.preventDefault();
    const content = text.trim();
    if (!content) return;
    // Through the offline queue: sent at once when connected, else when back.
    store.addOwn(queueMessage({ channelId: channel, content, type: 'text' }));
    handleMessageSend();
    setText('');
  };
  return (
    <form className="composer" onSubmit={submit}>
      <input
        data-testid="composer"
        value={text}
        placeholder={`Message #${channel}`}
        onChange={(e) => { setText(e.target.value); handleInputChange(e.target.value); }}
        onBlur={stopTyping}
      />
      <button type="submit" disabled={!text.trim()}>Send</button>
    </form>
  );
}
