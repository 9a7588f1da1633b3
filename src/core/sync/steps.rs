//! The steps of a reconnect sync (channels, messages, presence, completion),
//! conflict resolution and the persisted state.

use super::*;

impl SyncService {
    pub(super) fn step_channels(&mut self, now: Millis) {
        self.progress(30, SyncStage::Channels);
        let id = self.request("sync:channels", json!({}), Kind::Channels, now);
        self.wait_for(id);
    }

    pub(super) fn on_channels(
        &mut self,
        request_id: u64,
        outcome: Result<&Value, String>,
        now: Millis,
    ) {
        let sync_id = self.sync_id();
        let (todo, synced, errors) = match channel_list(outcome) {
            Ok((channels, bad)) => {
                let todo: Fifo<String> = channels.iter().map(|c| c.channel_id.clone()).collect();
                let synced = to_u32(channels.len());
                if let Some(sync_id) = sync_id {
                    self.emit(SyncEvent::Channels { sync_id, channels });
                }
                (todo, synced, bad)
            }
            Err(message) => {
                self.emit(SyncEvent::Error {
                    sync_id,
                    request_id: Some(request_id),
                    stage: SyncStage::Channels,
                    channel_id: None,
                    message: cat!(message, "; syncing the channels known from earlier syncs"),
                });
                (self.channel_times.keys().cloned().collect(), 0, 1)
            }
        };
        if let Some(run) = &mut self.run {
            run.result.channels.synced = synced;
            run.result.channels.errors = run.result.channels.errors.saturating_add(errors);
            run.total = todo.len();
            run.done = 0;
            run.todo = todo;
        }
        self.progress(40, SyncStage::Messages);
        self.next_channel(now);
    }

    pub(super) fn next_channel(&mut self, now: Millis) {
        let next = self.run.as_mut().and_then(|r| r.todo.pop_front());
        match next {
            Some(channel_id) => {
                let id = self.request_messages(&channel_id, None, now);
                self.wait_for(id);
            }
            None => self.step_presence(now),
        }
    }

    pub(super) fn on_messages(
        &mut self,
        request_id: u64,
        channel_id: &str,
        outcome: Result<&Value, String>,
        awaited: bool,
        now: Millis,
    ) {
        let sync_id = if awaited { self.sync_id() } else { None };
        let counts = match outcome {
            Ok(data) => self.process_messages(channel_id, data, sync_id, request_id, now),
            Err(message) => {
                self.emit(SyncEvent::Error {
                    sync_id,
                    request_id: Some(request_id),
                    stage: SyncStage::Messages,
                    channel_id: Some(channel_id.to_owned()),
                    message,
                });
                MessageCounts {
                    errors: 1,
                    ..MessageCounts::default()
                }
            }
        };
        if !awaited {
            return;
        }
        let mut pct = None;
        if let Some(run) = &mut self.run {
            let m = &mut run.result.messages;
            m.synced = m.synced.saturating_add(counts.synced);
            m.conflicts = m.conflicts.saturating_add(counts.conflicts);
            m.errors = m.errors.saturating_add(counts.errors);
            run.done = run.done.saturating_add(1);
            let total = run.total.max(1);
            let share = run.done.min(total).saturating_mul(50) / total;
            pct = Some(40 + u8::try_from(share.min(50)).unwrap_or(50));
        }
        if let Some(p) = pct {
            self.progress(p, SyncStage::Messages);
        }
        self.next_channel(now);
    }

    pub(super) fn process_messages(
        &mut self,
        channel_id: &str,
        data: &Value,
        sync_id: Option<u64>,
        request_id: u64,
        now: Millis,
    ) -> MessageCounts {
        let mut counts = MessageCounts::default();
        let Some(list) = data.get("messages").and_then(Value::as_array) else {
            self.emit(SyncEvent::Error {
                sync_id,
                request_id: Some(request_id),
                stage: SyncStage::Messages,
                channel_id: Some(channel_id.to_owned()),
                message: "malformed server answer: data.messages missing".into(),
            });
            counts.errors = 1;
            return counts;
        };
        let mut apply: Vec<SyncedMessage> = Vec::new();
        let mut conflicts: Vec<Conflict> = Vec::new();
        let mut newest: Option<Millis> = None;
        let mut seen: VecSet<String> = VecSet::new();
        for v in list {
            let Some(msg) = parse_message(v, channel_id) else {
                counts.errors = counts.errors.saturating_add(1);
                continue;
            };
            if !seen.insert(msg.id.clone()) {
                continue;
            }
            counts.synced = counts.synced.saturating_add(1);
            let t = msg.edited_at.unwrap_or(0).max(msg.timestamp);
            newest = Some(newest.map_or(t, |n| n.max(t)));
            let local = self.locals.get(&msg.id).map(|(m, _)| m.clone());
            match local {
                Some(local) if local.content != msg.content => {
                    let resolution = resolve(&local, &msg);
                    let conflict = Conflict {
                        message_id: msg.id.clone(),
                        channel_id: channel_id.to_owned(),
                        local: ConflictSide {
                            content: local.content.clone(),
                            edited_at: local.edited_at,
                            edited_by: None,
                        },
                        server: ConflictSide {
                            content: msg.content.clone(),
                            edited_at: msg.edited_at,
                            edited_by: msg.edited_by.clone(),
                        },
                        resolution,
                    };
                    self.emit(SyncEvent::Conflict {
                        sync_id,
                        message_id: conflict.message_id.clone(),
                        channel_id: conflict.channel_id.clone(),
                        local: conflict.local.clone(),
                        server: conflict.server.clone(),
                        resolution,
                    });
                    conflicts.push(conflict);
                    counts.conflicts = counts.conflicts.saturating_add(1);
                    if resolution == Resolution::Server {
                        if let Some((l, _)) = self.locals.get_mut(&msg.id) {
                            l.content = msg.content.clone();
                            l.edited_at = msg.edited_at.or(Some(msg.timestamp));
                        }
                        apply.push(msg);
                    }
                }
                _ => apply.push(msg),
            }
        }
        let server_time = data.get("serverTime").and_then(time::parse);
        if let Some(t) = server_time.or(newest) {
            let entry = self.channel_times.entry(channel_id.to_owned()).or_insert(0);
            *entry = (*entry).max(t);
            self.persist(now);
        }
        self.emit(SyncEvent::Messages {
            sync_id,
            request_id,
            channel_id: channel_id.to_owned(),
            room_name: channel_room(channel_id),
            messages: apply,
            conflicts,
        });
        counts
    }

    pub(super) fn step_presence(&mut self, now: Millis) {
        self.progress(95, SyncStage::Presence);
        let ids = self
            .run
            .as_ref()
            .map(|r| r.presence_ids.clone())
            .unwrap_or_default();
        if ids.is_empty() {
            self.complete(now);
            return;
        }
        let id = self.request(
            "presence:subscribe",
            json!({ "userIds": ids }),
            Kind::Presence { user_ids: ids },
            now,
        );
        self.wait_for(id);
    }

    pub(super) fn on_presence(
        &mut self,
        request_id: u64,
        user_ids: Vec<String>,
        outcome: Result<&Value, String>,
        now: Millis,
    ) {
        let sync_id = self.sync_id();
        match outcome {
            Ok(data) => {
                let data = data.clone();
                if let Some(run) = &mut self.run {
                    run.result.presence.synced = to_u32(user_ids.len());
                }
                if let Some(sync_id) = sync_id {
                    self.emit(SyncEvent::Presence {
                        sync_id,
                        user_ids,
                        data,
                    });
                }
            }
            Err(message) => self.emit(SyncEvent::Error {
                sync_id,
                request_id: Some(request_id),
                stage: SyncStage::Presence,
                channel_id: None,
                message,
            }),
        }
        self.complete(now);
    }

    pub(super) fn complete(&mut self, now: Millis) {
        self.progress(100, SyncStage::Completed);
        let Some(mut run) = self.run.take() else {
            return;
        };
        run.result.duration = now.saturating_sub(run.started_at);
        self.completed = true;
        self.last_sync_at = Some(self.last_sync_at.map_or(now, |t| t.max(now)));
        self.persist(now);
        self.emit(SyncEvent::Completed {
            sync_id: run.sync_id,
            result: run.result,
        });
    }

    // ------------------------------------------------------------------
    // Storage
    // ------------------------------------------------------------------

    pub(super) fn merge_stored(&mut self, state: StoredState) {
        if let Some(t) = state.last_sync_at {
            self.last_sync_at = Some(self.last_sync_at.map_or(t, |x| x.max(t)));
        }
        for (channel, v) in state.channels {
            if channel.is_empty() {
                continue;
            }
            if let Some(t) = time::parse(&v) {
                let e = self.channel_times.entry(channel).or_insert(0);
                *e = (*e).max(t);
            }
        }
    }

    pub(super) fn report_store_error(&mut self, err: &StoreError, action: &str) {
        let reason = err.reason();
        if self.store_error != Some(reason) {
            self.store_error = Some(reason);
            self.emit(SyncEvent::Error {
                sync_id: self.sync_id(),
                request_id: None,
                stage: SyncStage::Storage,
                channel_id: None,
                message: cat!(
                    "could not ",
                    action,
                    " the sync timestamps: ",
                    err.message(),
                    "; they are kept in memory"
                ),
            });
        }
    }

    /// Reads what an earlier build stored under its default key once: merged
    /// (later times win), saved under `storage_key`, then removed.
    pub(super) fn migrate_legacy(&mut self, now: Millis) {
        let Some(old) = self.config.legacy_key.clone() else {
            return;
        };
        if old == self.config.storage_key {
            return;
        }
        match self.store.get(&old) {
            Ok(Some(text)) => {
                if let Ok(state) = StoredState::parse(&text) {
                    self.merge_stored(state);
                    self.persist(now);
                }
                if self.store_error.is_none() {
                    if let Err(e) = self.store.remove(&old) {
                        self.report_store_error(&e, "remove the old copy of");
                    }
                }
            }
            Ok(None) => {}
            Err(e) => self.report_store_error(&e, "read"),
        }
    }

    /// Read-merge-write of the timestamps (later times win across tabs).
    pub(super) fn persist(&mut self, _now: Millis) {
        if let Ok(Some(text)) = self.store.get(&self.config.storage_key) {
            if let Ok(state) = StoredState::parse(&text) {
                self.merge_stored(state);
            }
        }
        let mut channels = Map::new();
        for (k, v) in &self.channel_times {
            channels.insert(k.clone(), Value::from(*v));
        }
        let doc = json!({
            "version": 1,
            "lastSyncAt": self.last_sync_at,
            "channels": channels,
        });
        match self.store.set(&self.config.storage_key, &doc.to_text()) {
            Ok(()) => self.store_error = None,
            Err(e) => self.report_store_error(&e, "save"),
        }
    }
}

pub(super) fn resolve(local: &LocalMessage, server: &SyncedMessage) -> Resolution {
    if server.edited_by.as_deref() == Some("server") {
        return Resolution::Server;
    }
    let server_time = server.edited_at.unwrap_or(server.timestamp);
    match local.edited_at {
        Some(local_time) if local_time > server_time => Resolution::Local,
        _ => Resolution::Server,
    }
}

/// The channels of a `sync:channels` answer (each once) and how many
/// entries were malformed.
pub(super) fn channel_list(
    outcome: Result<&Value, String>,
) -> Result<(Vec<SyncedChannel>, u32), String> {
    let list = outcome?
        .get("channels")
        .and_then(Value::as_array)
        .ok_or("malformed server answer: data.channels missing")?;
    let mut channels: Vec<SyncedChannel> = Vec::new();
    let mut bad: u32 = 0;
    for v in list {
        match parse_channel(v) {
            Some(c) if !channels.iter().any(|x| x.channel_id == c.channel_id) => channels.push(c),
            Some(_) => {}
            None => bad = bad.saturating_add(1),
        }
    }
    Ok((channels, bad))
}

pub(super) fn parse_channel(v: &Value) -> Option<SyncedChannel> {
    let room = str_field(v, "roomName");
    let channel_id = str_field(v, "channelId")
        .map(str::to_owned)
        .or_else(|| room.map(channel_id_of))?;
    let room_name = room
        .map(str::to_owned)
        .unwrap_or_else(|| channel_room(&channel_id));
    Some(SyncedChannel {
        channel_id,
        room_name,
        members: v.get("members").cloned().unwrap_or(Value::Null),
        last_message_at: v.get("lastMessageAt").and_then(time::parse),
    })
}

pub(super) fn parse_message(v: &Value, channel_id: &str) -> Option<SyncedMessage> {
    let id = str_field(v, "id")?.to_owned();
    let content = v.get("content").and_then(Value::as_str)?.to_owned();
    let timestamp = v
        .get("timestamp")
        .or_else(|| v.get("createdAt"))
        .and_then(time::parse)?;
    Some(SyncedMessage {
        id,
        client_message_id: str_field(v, "clientMessageId").map(str::to_owned),
        channel_id: channel_id.to_owned(),
        room_name: str_field(v, "roomName")
            .map(str::to_owned)
            .unwrap_or_else(|| channel_room(channel_id)),
        user_id: str_field(v, "userId").map(str::to_owned),
        content,
        timestamp,
        edited_at: v.get("editedAt").and_then(time::parse),
        edited_by: str_field(v, "editedBy").map(str::to_owned),
    })
}
