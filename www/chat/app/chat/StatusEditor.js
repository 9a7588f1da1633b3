'use client';
// The current user's status (online, away, busy) and custom status.
import { useState } from 'react';
import { useConnectionStatus, useRealtimePresence } from 'chat-realtime/react';

const EMOJI = ['💬', '📅', '🍕', '🏠', '🎧', '🤒'];

export function StatusEditor() {
  const { status, customStatus: custom, isAutoAway, setStatus, setCustomStatus, clearCustomStatus } = useRealtimePresence();
  // Without a link, others see this user offline: the dot says so too.
  const { isConnected } = useConnectionStatus();
  const [open, setOpen] = useState(false);
  const [text, setText] = useState('');
  const [emoji, setEmoji] = useState(EMOJI[0]);
  const save = (e) => {
    e.preventDefault();
    if (text.trim()) setCustomStatus({ text: text.trim(), emoji });
    else clearCustomStatus();
    setOpen(false);
  };
  return (
    <span className="status-editor">
      <span className="dot" data-status={isConnected ? status : 'offline'} />
      <select
        data-testid="status-select"
        value={status}
        onChange={(e) => setStatus(e.target.value)}
        aria-label="your status"
      >
        {['online', 'away', 'busy'].map((s) => <option key={s} value={s}>{s}</option>)}
        {status === 'offline' && <option value="offline">offline</option>}
      </select>
      {isAutoAway && <span className="muted">(idle)</span>}
      <button type="button" className="link" data-testid="custom-status-open" onClick={() => { setText(custom?.text ?? ''); setOpen((o) => !o); }}>
        {custom ? `${custom.emoji ?? ''} ${custom.text ?? ''}`.trim() : 'set a status'}
      </button>
      {open && (
        <form className="popover" onSubmit={save}>
          <div className="emoji-row">
            {EMOJI.map((e) => (
              <button key={e} type="button" className={e === emoji ? 'on' : ''} onClick={() => setEmoji(e)}>{e}</button>
            ))}
          </div>
          <input data-testid="custom-status-input" value={text} maxLength={100} placeholder="What's your status?" onChange={(e) => setText(e.target.value)} autoFocus />
          <div className="row">
            <button type="submit" data-testid="custom-status-save">Save</button>
            <button type="button" onClick={() => { clearCustomStatus(); setOpen(false); }}>Clear</button>
          </div>
        </form>
      )}
    </span>
  );
}
