'use client';
// Presence and typing privacy: who sees what of the current user.
import { usePrivacy } from './hooks.js';

export function PrivacyPanel({ session, onClose }) {
  const { presence, typing } = usePrivacy(session);
  const setPresence = (change) => {
    session.presence.updatePresenceSettings(change).then(session.privacySignal.bump, session.privacySignal.bump);
  };
  const setTyping = (change) => { session.typing.updatePrivacySettings(change); session.privacySignal.bump(); };
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
      {check('Let others see when I type', typing.broadcastTyping, (v) => setTyping({ broadcastTyping: v }), 'privacy-typing')}
      <label>
        Show typing of
        <select value={typing.typingVisibility} onChange={(e) => setTyping({ typingVisibility: e.target.value })}>
          <option value="everyone">everyone</option>
          <option value="contacts">contacts</option>
          <option value="nobody">nobody</option>
        </select>
      </label>
    </aside>
  );
}
