'use client';
// The app's reads of a ChatSession: each one a useSyncExternalStore over one
// of the session's signals, so a change re-renders only the components that
// read it. The server snapshot is the disconnected state (no session yet).
import { useEffect, useState, useSyncExternalStore } from 'react';

const never = () => () => {};
const zero = () => 0;

/** Re-renders on `signal`'s changes; returns its version. */
function useSignal(signal) {
  return useSyncExternalStore(signal?.subscribe ?? never, signal?.get ?? zero, zero);
}

/** State, quality, average latency, reconnect attempts, online. */
export function useConnectionStatus(s) {
  useSignal(s.connection);
  const c = s.client;
  return {
    state: c.state, quality: c.connectionQuality, averageLatency: c.averageLatency,
    reconnectAttempts: c.reconnectAttempts, isOnline: c.isOnline, error: s.error,
  };
}

/** The messages of a channel and the unread counts. */
export function useMessages(s, channelId) {
  useSignal(s.messages);
  return { messages: s.list(channelId), unread: s.unread, active: s.active };
}

/** Another user's presence as we may see it (undefined before it is known). */
export function usePresence(s, userId) {
  useSignal(s.presenceSignal);
  return s.presence.getPresence(userId);
}

/** The current user's status, auto-away and custom status. */
export function useOwnPresence(s) {
  useSignal(s.presenceSignal);
  return { status: s.presence.status, auto: s.presence.isAutoAway, custom: s.presence.getCustomStatus() };
}

/** Who is typing in a channel, as a sentence (null when nobody is). */
export function useTypingText(s, channelId) {
  useSignal(s.typingSignal);
  return s.typing.getTypingText(channelId);
}

/** Delivery state of one of our messages: pending, sending, sent, delivered, read, failed. */
export function useDeliveryState(s, clientMessageId) {
  useSignal(s.deliverySignal);
  return clientMessageId ? s.delivery.getStatus(clientMessageId)?.state : undefined;
}

/** Messages waiting in the offline queue. */
export function useQueueLength(s) {
  useSignal(s.queueSignal);
  return s.queue.getQueueLength();
}

/** Presence and typing privacy settings. */
export function usePrivacy(s) {
  useSignal(s.privacySignal);
  return { presence: s.presence.getPresenceSettings(), typing: s.typing.privacySettings };
}

/** Re-renders every `ms` (relative times such as "last seen 2 min ago"). */
export function useNow(ms) {
  const [now, setNow] = useState(0);
  useEffect(() => {
    setNow(Date.now());
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
