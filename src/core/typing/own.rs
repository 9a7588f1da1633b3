//! The current user's typing: debounce, throttle, keep-alive and auto-stop.

use super::wire::Target;
use super::TypingEffect;
use super::{OwnRoom, TypingError, TypingService, EVENT_START, EVENT_STOP};
use crate::core::json::Value;
use crate::core::{room, Millis};

impl TypingService {
    /// Start typing now in a channel (or its thread): sends `typing:start`
    /// unless one went out for this room within `throttle_ms`, and (re)arms
    /// the auto-stop. Does nothing while disconnected or not broadcasting.
    pub fn start_typing(
        &mut self,
        channel_id: &str,
        thread_id: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        let target = Target::channel(channel_id, thread_id)?;
        self.start(target, now);
        Ok(())
    }

    /// [`Self::start_typing`] in a thread.
    pub fn start_typing_in_thread(
        &mut self,
        channel_id: &str,
        thread_id: &str,
        now: Millis,
    ) -> Result<(), TypingError> {
        self.start_typing(channel_id, Some(thread_id), now)
    }

    /// [`Self::start_typing`] in a DM (`dm:{dm_id}`).
    pub fn start_typing_in_dm(&mut self, dm_id: &str, now: Millis) -> Result<(), TypingError> {
        let target = Target::dm(dm_id)?;
        self.start(target, now);
        Ok(())
    }

    /// Stop typing in a channel room (`thread_id: None`) or a thread room, or
    /// in every room when `channel_id` is `None`. Sends `typing:stop` for rooms
    /// the server was told we type in.
    pub fn stop_typing(
        &mut self,
        channel_id: Option<&str>,
        thread_id: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        match channel_id {
            None if thread_id.is_some() => Err(TypingError::ThreadWithoutChannel),
            None => {
                self.stop_all(now);
                Ok(())
            }
            Some(channel_id) => {
                let target = Target::channel(channel_id, thread_id)?;
                self.stop_room(&target.key, now);
                Ok(())
            }
        }
    }

    /// Stop typing in a DM.
    pub fn stop_typing_in_dm(&mut self, dm_id: &str, now: Millis) -> Result<(), TypingError> {
        let target = Target::dm(dm_id)?;
        self.stop_room(&target.key, now);
        Ok(())
    }

    /// The message input of a channel (or thread) changed to `value`.
    /// Non-blank: typing starts once the input settles for `debounce_ms`
    /// (or `debounce_max_wait_ms` into a burst); while typing, keystrokes
    /// re-arm the auto-stop and re-send `typing:start` at most once per
    /// `throttle_ms`. Blank: stops at once.
    pub fn handle_input_change(
        &mut self,
        channel_id: &str,
        value: &str,
        thread_id: Option<&str>,
        now: Millis,
    ) -> Result<(), TypingError> {
        let target = Target::channel(channel_id, thread_id)?;
        self.input(target, value, now);
        Ok(())
    }

    /// [`Self::handle_input_change`] for a DM.
    pub fn handle_input_change_in_dm(
        &mut self,
        dm_id: &str,
        value: &str,
        now: Millis,
    ) -> Result<(), TypingError> {
        let target = Target::dm(dm_id)?;
        self.input(target, value, now);
        Ok(())
    }

    /// Whether we are typing (started, not stopped) in a channel or thread.
    pub fn is_typing(&self, channel_id: &str, thread_id: Option<&str>) -> bool {
        self.is_typing_in_room(&room::key(channel_id, thread_id))
    }

    /// Whether we are typing in the room with this name.
    pub fn is_typing_in_room(&self, room_name: &str) -> bool {
        self.own.get(room_name).is_some_and(|r| r.active)
    }

    /// nchat's `currentContext`: where we type, `{roomName, roomType,
    /// threadId?}` of the room typed in last, else of another room we still
    /// type in; `None` when we type nowhere (so it is `None` exactly when
    /// no room is typing, as nchat's `isTyping` reads it).
    pub fn current_context(&self) -> Option<Value> {
        let active = |k: &String| self.own.get(k).filter(|r| r.active);
        let room = self.current.as_ref().and_then(active);
        room.or_else(|| self.own.values().find(|r| r.active))
            .map(|r| r.target.context())
    }

    /// Room names we are typing in.
    pub fn own_typing_rooms(&self) -> Vec<String> {
        self.own
            .iter()
            .filter(|(_, r)| r.active)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// When `typing:start` is re-sent to keep the server's indicator alive:
    /// `keepalive_ms` after the last one, if that is before the auto-stop.
    pub(super) fn keepalive_at(&self, key: &str, room: &OwnRoom) -> Option<Millis> {
        if self.config.keepalive_ms == 0
            || !room.active
            || !room.server_typing
            || room.start_pending
        {
            return None;
        }
        let interval = self.config.keepalive_ms.max(self.config.throttle_ms);
        let at = self.last_start_sent.get(key)?.saturating_add(interval);
        (at < room.auto_stop_at).then_some(at)
    }

    pub(super) fn prune_throttle(&mut self, now: Millis) {
        let throttle = self.config.throttle_ms;
        let own = &self.own;
        self.last_start_sent
            .retain(|key, &mut at| own.contains_key(key) || now < at.saturating_add(throttle));
    }

    pub(super) fn room_entry(&mut self, target: Target, now: Millis) -> &mut OwnRoom {
        self.own.get_or_insert_with(target.key.clone(), || OwnRoom {
            target,
            debounce_at: None,
            burst_start: now,
            active: false,
            server_typing: false,
            start_pending: false,
            auto_stop_at: now,
        })
    }

    pub(super) fn start(&mut self, target: Target, now: Millis) {
        if !self.can_send() {
            self.log(|| {
                crate::core::decimal::cat!(
                    "not sending typing in ",
                    target.key,
                    ": offline or not broadcasting"
                )
            });
            return;
        }
        self.prune_throttle(now);
        let timeout = self.config.typing_timeout_ms;
        let key = target.key.clone();
        let room = self.room_entry(target, now);
        room.debounce_at = None;
        room.auto_stop_at = now.saturating_add(timeout);
        self.request_start(&key, now);
    }

    pub(super) fn input(&mut self, target: Target, value: &str, now: Millis) {
        if value.trim().is_empty() {
            self.stop_room(&target.key, now);
            return;
        }
        if !self.can_send() {
            return;
        }
        self.prune_throttle(now);
        let config = self.config;
        let key = target.key.clone();
        let room = self.room_entry(target, now);
        room.auto_stop_at = now.saturating_add(config.typing_timeout_ms);
        if room.active {
            self.request_start(&key, now);
            return;
        }
        if room.debounce_at.is_none() {
            room.burst_start = now;
        }
        let mut at = now.saturating_add(config.debounce_ms);
        if config.debounce_max_wait_ms > 0 {
            at = at.min(room.burst_start.saturating_add(config.debounce_max_wait_ms));
        }
        room.debounce_at = Some(at);
    }

    /// Marks the room typing and sends `typing:start` unless throttled, in
    /// which case it goes out when the throttle window ends.
    pub(super) fn request_start(&mut self, key: &str, now: Millis) {
        let throttle = self.config.throttle_ms;
        let allowed = self
            .last_start_sent
            .get(key)
            .is_none_or(|&at| now >= at.saturating_add(throttle));
        let Some(room) = self.own.get_mut(key) else {
            return;
        };
        room.active = true;
        self.current = Some(key.to_owned());
        if allowed {
            room.server_typing = true;
            room.start_pending = false;
            let payload = room.target.payload();
            self.last_start_sent.insert(key.to_owned(), now);
            self.effects.push_back(TypingEffect::Send {
                event: EVENT_START,
                payload,
            });
        } else {
            room.start_pending = true;
        }
    }

    pub(super) fn stop_room(&mut self, key: &str, now: Millis) {
        let Some(room) = self.own.remove(key) else {
            return;
        };
        if room.server_typing && self.connected {
            self.effects.push_back(TypingEffect::Send {
                event: EVENT_STOP,
                payload: room.target.payload(),
            });
        }
        self.prune_throttle(now);
    }

    pub(super) fn stop_all(&mut self, now: Millis) {
        let keys: Vec<String> = self.own.keys().cloned().collect();
        for key in keys {
            self.stop_room(&key, now);
        }
    }
}
