'use client';
// The signed-in chat: header, sidebar (channels, people), messages, composer.
import { useEffect, useRef, useState } from 'react';
import { CHANNELS, nameOf } from '../users.js';
import {
  useConnectionStatus, useDeliveryState, useMessages, useNow, useOwnPresence, usePresence, useQueueLength, useTypingText,
} from './hooks.js';
import { PrivacyPanel } from './PrivacyPanel.js';
import { StatusEditor } from './StatusEditor.js';

export function Chat({ session, onSignOut }) {
  const [channel, setChannel] = useState(session.active);
  const [privacyOpen, setPrivacyOpen] = useState(false);
  const pick = (ch) => { session.setActive(ch); setChannel(ch); };
  return (
    <div className="app">
      <Header session={session} onSignOut={onSignOut} onPrivacy={() => setPrivacyOpen((o) => !o)} />
      <OfflineBanner session={session} />
      <div className="body">
        <aside className="sidebar">
          <Channels session={session} channel={channel} onPick={pick} />
          <People session={session} />
        </aside>
        <main className="main">
          <h2 className="channel-title"># {channel}</h2>
          <Messages session={session} channel={channel} />
          <Typing session={session} channel={channel} />
          <Composer session={session} channel={channel} />
        </main>
        {privacyOpen && <PrivacyPanel session={session} onClose={() => setPrivacyOpen(false)} />}
      </div>
    </div>
  );
}

function Header({ session, onSignOut, onPrivacy }) {
  const c = useConnectionStatus(session);
  const queued = useQueueLength(session);
  return (
    <header className="header">
      <div className="who">
        <span className="avatar" data-user={session.user.id}>{session.user.name[0]}</span>
        <strong data-testid="me">{session.user.name}</strong>
        <StatusEditor session={session} />
      </div>
      <div className="conn" data-testid="connection" data-state={c.state}>
        <span className="conn-dot" data-state={c.state} />
        <span data-testid="conn-state">{c.state}</span>
        <span className="sep">·</span>
        {/* Quality and latency describe a live link: not shown without one. */}
        <span title="connection quality" data-testid="quality">{c.state === 'connected' ? c.quality : '–'}</span>
        <span className="sep">·</span>
        <span title="average latency" data-testid="latency">
          {c.state !== 'connected' || c.averageLatency == null ? '– ms' : `${Math.round(c.averageLatency)} ms avg`}
        </span>
        {c.reconnectAttempts > 0 && <span className="attempts">retry {c.reconnectAttempts}</span>}
        {queued > 0 && <span className="badge" data-testid="queued-badge" title="messages waiting to be sent">{queued} queued</span>}
      </div>
      <div className="actions">
        <button type="button" onClick={onPrivacy} data-testid="privacy-toggle">Privacy</button>
        <button type="button" onClick={onSignOut}>Sign out</button>
      </div>
    </header>
  );
}

function OfflineBanner({ session }) {
  const c = useConnectionStatus(session);
  const queued = useQueueLength(session);
  if (c.state === 'connected' && c.isOnline && !c.error) return null;
  const text = c.error && c.state !== 'connected' ? `Not connected: ${c.error}`
    : !c.isOnline ? 'You are offline. Messages you send are kept and go out when you are back.'
      : c.state === 'connected' ? c.error
        : `${c.state === 'reconnecting' ? 'Reconnecting' : 'Connecting'}…`;
  return (
    <div className="banner" data-testid="offline-banner" data-online={String(c.isOnline)}>
      {text}
      {queued > 0 && <span className="badge">{queued} queued</span>}
    </div>
  );
}

function Channels({ session, channel, onPick }) {
  const { unread } = useMessages(session, channel);
  return (
    <nav>
      <h3>Channels</h3>
      <ul className="channels">
        {CHANNELS.map((ch) => (
          <li key={ch}>
            <button type="button" className={ch === channel ? 'on' : ''} onClick={() => onPick(ch)} data-testid={`channel-${ch}`}>
              # {ch}
              {unread.get(ch) > 0 && <span className="unread">{unread.get(ch)}</span>}
            </button>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function People({ session }) {
  const now = useNow(15000);
  return (
    <section>
      <h3>People</h3>
      <ul className="people">
        <Me session={session} />
        {session.others.map((u) => <Person key={u.id} session={session} user={u} now={now} />)}
      </ul>
    </section>
  );
}

function Me({ session }) {
  const me = useOwnPresence(session);
  return (
    <li className="person" data-testid={`person-${session.user.id}`} data-status={me.status}>
      <span className="dot" data-status={me.status} />
      <span className="pname">{session.user.name} (you)</span>
      <span className="pstatus">
        {me.custom ? `${me.custom.emoji ?? ''} ${me.custom.text ?? ''}`.trim() : (me.auto ? 'away (idle)' : me.status)}
      </span>
    </li>
  );
}

function ago(ms, now) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  return `${Math.round(s / 3600)} h ago`;
}

function Person({ session, user, now }) {
  const p = usePresence(session, user.id);
  const status = p?.status ?? 'offline';
  const custom = p?.customStatus;
  const customText = custom ? `${custom.emoji ?? ''} ${custom.text ?? ''}`.trim() : '';
  const seen = status === 'offline' && p?.lastSeenAt ? `last seen ${ago(p.lastSeenAt.getTime(), now || Date.now())}` : null;
  return (
    <li className="person" data-testid={`person-${user.id}`} data-status={status}>
      <span className="dot" data-status={status} title={status} />
      <span className="pname">{user.name}</span>
      <span className="pstatus" data-testid={`custom-${user.id}`}>{customText || seen || status}</span>
    </li>
  );
}

function Messages({ session, channel }) {
  const { messages } = useMessages(session, channel);
  const end = useRef(null);
  useEffect(() => {
    end.current?.scrollIntoView({ block: 'end' });
    // Shown while the page is visible: read.
    const ack = () => { if (document.visibilityState === 'visible') session.acknowledgeVisible(channel); };
    ack();
    document.addEventListener('visibilitychange', ack);
    return () => document.removeEventListener('visibilitychange', ack);
  }, [session, channel, messages]);
  if (messages.length === 0) return <ol className="messages empty"><li>No messages in #{channel} yet.</li></ol>;
  return (
    <ol className="messages" data-testid="messages">
      {messages.map((m) => <Message key={m.key} session={session} m={m} />)}
      <li ref={end} className="end" aria-hidden />
    </ol>
  );
}

// Plain glyphs (not emoji): every system font has them.
const TICKS = { pending: '○', sending: '○', sent: '✓', delivered: '✓✓', read: '✓✓', failed: '!' };

function Message({ session, m }) {
  const state = useDeliveryState(session, m.mine ? m.clientMessageId : null) ?? (m.mine ? (m.id ? 'sent' : 'pending') : undefined);
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
}

function Typing({ session, channel }) {
  const text = useTypingText(session, channel);
  return <div className="typing" data-testid="typing">{text ?? '\u00a0'}</div>;
}

function Composer({ session, channel }) {
  const [text, setText] = useState('');
  const submit = (e) => {
    e.preventDefault();
    const content = text.trim();
    if (!content) return;
    session.send(channel, content);
    setText('');
  };
  return (
    <form className="composer" onSubmit={submit}>
      <input
        data-testid="composer"
        value={text}
        placeholder={`Message #${channel}`}
        onChange={(e) => { setText(e.target.value); session.typing.handleInputChange(channel, e.target.value); }}
        onBlur={() => session.typing.stopTyping(channel)}
      />
      <button type="submit" disabled={!text.trim()}>Send</button>
    </form>
  );
}
