'use client';
// Presence and typing privacy: who sees what of the current user.
import { useRealtimePresence, useRealtimeTyping } from 'chat-realtime/react';

export function PrivacyPanel({ channel, onClose }) {
  const { settings: presence, updatePresenceSettings } = useRealtimePresence();
  const { privacySettings: typing, updatePrivacySettings } = useRealtimeTyping(channel);
  // The hooks re-read the settings after a change; a refusal leaves them as they were.
  const setPresence = (change) => { updatePresenceSettings(change).catch(() => {}); };
  const check = (label, value, onChange, id) => (
    <label className="check">
      <input type="checkbox" checked={value} data-testid={id} onChange={(e) => onChange(e.target.checked)} />
      {label}
    </label>
  );
  return (
    <aside className="privacy" data-testid="privacy-panel">
      <div className="privacy-head">
        <h3>Privacy</h3>
        <button type="button" className="link" onClick={onClose}>close</button>
      </div>
      {presence && typing ? (
        <>
          <h4>Presence</h4>
          <label>
            Who sees my presence
            <select value={presence.visibility} onChange={(e) => setPresence({ visibility: e.target.value })}>
              <option value="everyone">everyone</option>
              <option value="contacts">contacts</option>
              <option value="nobody">nobody</option>
            </select>
          </label>
          {check('Show when I am online', presence.showOnlineStatus, (v) => setPresence({ showOnlineStatus: v }), 'privacy-online')}
          {check('Show when I was last seen', presence.showLastSeen, (v) => setPresence({ showLastSeen: v }), 'privacy-lastseen')}
          {check('Invisible (appear offline)', presence.invisibleMode, (v) => setPresence({ invisibleMode: v }), 'privacy-invisible')}
          <h4>Messages</h4>
          {check('Send read receipts', presence.allowReadReceipts, (v) => setPresence({ allowReadReceipts: v }), 'privacy-receipts')}
          {check('Let others see when I type', typing.broadcastTyping, (v) => updatePrivacySettings({ broadcastTyping: v }), 'privacy-typing')}
          <label>
            Show typing of
            <select value={typing.typingVisibility} onChange={(e) => updatePrivacySettings({ typingVisibility: e.target.value })}>
              <option value="everyone">everyone</option>
              <option value="contacts">contacts</option>
              <option value="nobody">nobody</option>
            </select>
          </label>
        </>
      ) : <p className="muted">Not signed in.</p>}
    </aside>
  );
}
