//! Other users typing: `typing:event`s in, the rooms' visible typists and
//! their text out, and the names learned on the way.

use super::*;

impl TypingService {
    // ----- incoming -----------------------------------------------------------

    pub(super) fn is_visible(&self, user_id: &str) -> bool {
        // The current user is never shown, also when set after their typing arrived.
        if self.current_user_id.as_deref() == Some(user_id) {
            return false;
        }
        match self.privacy.typing_visibility {
            _ if !self.config.privacy_filtering => true,
            Visibility::Everyone => true,
            Visibility::Contacts => self.contacts.contains(user_id),
            Visibility::Nobody => false,
        }
    }

    pub(super) fn visible_users(&self, key: &str) -> Vec<TypingUser> {
        self.remote
            .get(key)
            .map(|users| {
                users
                    .iter()
                    .filter(|u| self.is_visible(&u.user.user_id))
                    .map(|u| u.user.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    pub(super) fn mark_dirty(&mut self, key: &str, now: Millis) {
        self.dirty.insert(key.to_owned());
        if self.batch_at.is_none() {
            self.batch_at = Some(now.saturating_add(self.config.batch_ms));
        }
    }

    pub(super) fn mark_all_dirty(&mut self, now: Millis) {
        let keys: VecSet<String> = self
            .remote
            .keys()
            .chain(self.notified.keys())
            .cloned()
            .collect();
        for key in keys {
            self.mark_dirty(&key, now);
        }
    }

    /// A `typing:event` payload from the server: `{roomName, threadId?, users}`
    /// replaces the room's list (a `{roomName, threadId?, userId, userName?,
    /// userAvatar?, isTyping?}` payload updates one user). The current user is
    /// skipped; users expire `typing_timeout_ms` after their last report.
    /// The list is kept in the order users started typing (`startedAt`, then
    /// user id), whatever the order on the wire: the real server's is
    /// unspecified, and the typing text must not reorder names between two
    /// events. Malformed payloads are dropped with an error and change nothing.
    ///
    /// nchat's `typing:batch` (`{updates: [...]}`) comes here too: each
    /// update counts as one `typing:event`; a malformed one is skipped and
    /// reported (the first error), the others still apply.
    pub fn handle_typing_event(&mut self, payload: &Value, now: Millis) -> Result<(), TypingError> {
        let updates = match payload.get("updates") {
            Some(Value::Array(list)) => list.as_slice(),
            _ => std::slice::from_ref(payload),
        };
        let mut first = Ok(());
        for u in updates {
            let r = self.room_event(u, now);
            if first.is_ok() {
                first = r;
            }
        }
        first
    }

    fn room_event(&mut self, payload: &Value, now: Millis) -> Result<(), TypingError> {
        let (key, update) = parse_typing_event(payload)?;
        match &update {
            RoomUpdate::Replace(users) => {
                for u in users {
                    self.learn_name(u);
                }
            }
            RoomUpdate::Single(u, _) => self.learn_name(u),
        }
        let me = self.current_user_id.as_deref();
        let previous = self.remote.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let by_id: VecMap<&str, &TypingUser> = previous
            .iter()
            .map(|p| (p.user.user_id.as_str(), &p.user))
            .collect();
        let names = &self.names;
        let seen = |parsed: ParsedUser| {
            let prev = by_id.get(parsed.user_id.as_str()).copied();
            RemoteUser {
                user: parsed.into_user(prev, names, now),
                last_seen: now,
            }
        };
        let mut next: Vec<RemoteUser> = match update {
            RoomUpdate::Replace(users) => users
                .into_iter()
                .filter(|u| Some(u.user_id.as_str()) != me)
                .map(seen)
                .collect(),
            RoomUpdate::Single(user, typing) => {
                let mut list: Vec<RemoteUser> = previous
                    .iter()
                    .filter(|p| p.user.user_id != user.user_id)
                    .cloned()
                    .collect();
                if typing && Some(user.user_id.as_str()) != me {
                    list.push(seen(user));
                }
                list
            }
        };
        crate::core::sort::sort_by(&mut next, |a, b| {
            (a.user.started_at, &a.user.user_id) < (b.user.started_at, &b.user.user_id)
        });
        if next.is_empty() {
            self.remote.remove(&key);
        } else {
            self.remote.insert(key.clone(), next);
        }
        self.mark_dirty(&key, now);
        Ok(())
    }

    pub(super) fn remember_name(&mut self, user_id: &str, name: &str) {
        if name.is_empty() || self.names.get(user_id).is_some_and(|n| n == name) {
            return;
        }
        if self.names.len() >= MAX_KNOWN_NAMES && !self.names.contains_key(user_id) {
            let evicted = self.names.keys().next().cloned();
            if let Some(old) = evicted {
                self.names.remove(&old);
            }
        }
        self.names.insert(user_id.to_owned(), name.to_owned());
    }

    pub(super) fn learn_name(&mut self, user: &ParsedUser) {
        if let Some(name) = user.user_name() {
            self.remember_name(&user.user_id, name);
        }
    }

    /// Display names of users, for typing events without names (the real
    /// server sends only ids). Users shown under their id now get the name
    /// (batched notification). At most [`MAX_KNOWN_NAMES`] are kept.
    pub fn set_user_names<I, K, V>(&mut self, names: I, now: Millis)
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut renamed: Vec<String> = Vec::new();
        for (id, name) in names {
            let (id, name) = (id.as_ref(), name.as_ref());
            if id.is_empty() || name.is_empty() {
                continue;
            }
            self.remember_name(id, name);
            for (key, users) in self.remote.iter_mut() {
                for u in users.iter_mut() {
                    if u.user.user_id == id && u.user.user_name == id {
                        u.user.user_name = name.to_owned();
                        renamed.push(key.clone());
                    }
                }
            }
        }
        for key in renamed {
            self.mark_dirty(&key, now);
        }
    }

    /// The rooms where someone is shown typing now (nchat's `getActiveTypingRooms`).
    pub fn active_typing_rooms(&self) -> Vec<String> {
        self.remote
            .keys()
            .filter(|k| !self.visible_users(k).is_empty())
            .cloned()
            .collect()
    }

    /// Forgets who types in room `room` (nchat's `clearRoomTypingState`;
    /// its listeners hear the empty list with the next batch). Our own
    /// typing there, and its throttle, go on: they are wire timing.
    pub fn clear_room_typing_state(&mut self, room: &str, now: Millis) {
        if self.remote.remove(room).is_some() {
            self.mark_dirty(room, now);
        }
    }

    /// The name known for `user_id` (given or seen in a typing event).
    pub fn user_name(&self, user_id: &str) -> Option<&str> {
        self.names.get(user_id).map(String::as_str)
    }

    /// Users typing in a channel or thread (privacy-filtered, without the
    /// current user), in the order the server listed them.
    pub fn get_typing_users(&self, channel_id: &str, thread_id: Option<&str>) -> Vec<TypingUser> {
        self.visible_users(&room::key(channel_id, thread_id))
    }

    /// Users typing in the room with this name (e.g. `dm:{id}`).
    pub fn get_typing_users_in_room(&self, room_name: &str) -> Vec<TypingUser> {
        self.visible_users(room_name)
    }

    /// [`format_typing_text`] of [`Self::get_typing_users`].
    pub fn get_typing_text(&self, channel_id: &str, thread_id: Option<&str>) -> String {
        format_typing_text(&self.get_typing_users(channel_id, thread_id))
    }

    /// [`format_typing_text`] of [`Self::get_typing_users_in_room`].
    pub fn get_typing_text_in_room(&self, room_name: &str) -> String {
        format_typing_text(&self.get_typing_users_in_room(room_name))
    }

    /// Forget every other user's typing (batched notification) and stop our own.
    pub fn clear_all_typing_state(&mut self, now: Millis) {
        self.stop_all(now);
        self.mark_all_dirty(now);
        self.remote.clear();
    }
}
