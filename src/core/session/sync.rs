//! Sync services on the session: attach, commands, the reconnect sequence
//! (its queue step flushes the attached queue, its requests go through the
//! connection) and the calls waiting for a sync or a channel's messages.

use crate::core::json::Value;

use super::services::Machine;
use super::{Answer, Event, Handle, ServiceKind, Session, SessionError, Ticket, Waiter};
use crate::core::sync::{
    LocalMessage, SyncConfig, SyncEffect, SyncError, SyncEvent, SyncService, SyncStage,
};
use crate::core::Millis;

/// How a sync service starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncAttach {
    /// The queue flushed first in every reconnect sync.
    pub queue: Option<Handle>,
    /// Run the reconnect sequence after every reconnect.
    pub auto: bool,
    /// Users whose presence is re-subscribed by the sequence.
    pub presence_user_ids: Vec<String>,
}

/// A sync service in the session.
pub(super) struct SyncSlot {
    pub core: SyncService,
    queue: Option<Handle>,
    auto: bool,
    presence_ids: Vec<String>,
    /// `syncOnReconnect` calls by sync id.
    sync_waiters: Vec<(u64, Ticket)>,
    /// `syncMessages`, `syncChannels` and `syncPresence` calls by request id.
    message_waiters: Vec<(u64, Ticket)>,
    storage_key: String,
}

impl SyncSlot {
    /// Whether a change of `key` (`None`: cleared) concerns it.
    pub fn watches(&self, key: Option<&str>) -> bool {
        key.is_none_or(|k| k == self.storage_key)
    }
}

impl Session {
    /// Opens a sync service on the session's store (storage problems are
    /// events waiting in [`Session::poll`]).
    pub fn attach_sync(
        &mut self,
        config: SyncConfig,
        attach: SyncAttach,
        now: Millis,
    ) -> Result<Handle, SessionError> {
        self.now = now;
        let storage_key = config.storage_key.clone();
        let core = SyncService::open(config, (self.store)(), now);
        let handle = self.add_service(Machine::Sync(Box::new(SyncSlot {
            core,
            queue: attach.queue,
            auto: attach.auto,
            presence_ids: attach.presence_user_ids,
            sync_waiters: Vec::new(),
            message_waiters: Vec::new(),
            storage_key,
        })));
        self.route();
        Ok(handle)
    }

    /// The sync machine of `handle` (for reads).
    pub fn sync(&self, handle: Handle) -> Result<&SyncService, SessionError> {
        self.slot_ref::<SyncSlot>(handle).map(|s| &s.core)
    }

    /// Runs the reconnect sequence now (joining a running one); `user_ids`
    /// replace the configured presence users for this run. The ticket
    /// completes with [`Answer::Synced`].
    pub fn sync_on_reconnect(
        &mut self,
        handle: Handle,
        user_ids: Option<Vec<String>>,
        now: Millis,
    ) -> Result<Ticket, SessionError> {
        let ticket = self.ticket();
        self.on_slot(handle, now, |s: &mut SyncSlot, now| {
            let ids = user_ids.unwrap_or_else(|| s.presence_ids.clone());
            let id = s.core.sync_on_reconnect(&ids, now);
            s.sync_waiters.push((id, ticket));
            Ok(ticket)
        })
    }

    /// Syncs one channel; the ticket completes with [`Answer::Messages`] or
    /// the step's failure.
    pub fn sync_messages(
        &mut self,
        handle: Handle,
        channel_id: &str,
        since: Option<Millis>,
        now: Millis,
    ) -> Result<Ticket, SessionError> {
        let ticket = self.ticket();
        self.on_slot(handle, now, |s: &mut SyncSlot, now| {
            let id = s.core.sync_messages(channel_id, since, now)?;
            s.message_waiters.push((id, ticket));
            Ok(ticket)
        })
    }

    /// nchat's `syncChannels`: the ticket completes with `{synced, errors}`.
    pub fn sync_channels(&mut self, handle: Handle, now: Millis) -> Result<Ticket, SessionError> {
        let ticket = self.ticket();
        self.on_slot(handle, now, |s: &mut SyncSlot, now| {
            let id = s.core.sync_channels(now);
            s.message_waiters.push((id, ticket));
            Ok(ticket)
        })
    }

    /// nchat's `syncPresence`: re-subscribes the configured presence users
    /// (none configured: those the session's presence service follows); the
    /// ticket completes with `{synced}`.
    pub fn sync_presence(&mut self, handle: Handle, now: Millis) -> Result<Ticket, SessionError> {
        let ticket = self.ticket();
        let followed = self.services.iter().find_map(|s| match &s.machine {
            Machine::Presence(p) => Some(p.core.subscriptions()),
            _ => None,
        });
        self.on_slot(handle, now, |s: &mut SyncSlot, now| {
            let ids = match &s.presence_ids[..] {
                [] => followed.unwrap_or_default(),
                ids => ids.to_vec(),
            };
            let id = s.core.sync_presence(ids, now);
            s.message_waiters.push((id, ticket));
            Ok(ticket)
        })
    }

    /// nchat's `cancelSync`: the running reconnect sync ends; those waiting
    /// for it fail with `cancelled`.
    pub fn sync_cancel(&mut self, handle: Handle, now: Millis) -> Result<(), SessionError> {
        self.on_slot(handle, now, |s: &mut SyncSlot, _| {
            s.core.cancel_sync();
            Ok(())
        })
    }

    /// Registers (or updates) a message the app shows.
    pub fn sync_record_local(
        &mut self,
        handle: Handle,
        message: LocalMessage,
        now: Millis,
    ) -> Result<(), SessionError> {
        self.on_slot(handle, now, |s: &mut SyncSlot, _| {
            Ok(s.core.record_local_message(message)?)
        })
    }

    /// Forgets a registered local message; whether it was known.
    pub fn sync_forget_local(
        &mut self,
        handle: Handle,
        id: &str,
        now: Millis,
    ) -> Result<bool, SessionError> {
        self.on_slot(handle, now, |s: &mut SyncSlot, _| {
            Ok(s.core.forget_local_message(id))
        })
    }

    /// Replaces the users re-subscribed after a reconnect.
    pub fn sync_set_presence_ids(
        &mut self,
        handle: Handle,
        ids: Vec<String>,
    ) -> Result<(), SessionError> {
        self.slot::<SyncSlot>(handle)?.presence_ids = ids;
        Ok(())
    }

    /// After a reconnect: the syncs that run by themselves start.
    pub(super) fn auto_syncs(&mut self) {
        let now = self.now;
        for s in &mut self.services {
            if let Machine::Sync(y) = &mut s.machine {
                if y.auto {
                    y.core.sync_on_reconnect(&y.presence_ids, now);
                }
            }
        }
    }

    pub(super) fn sync_effects(&mut self, handle: Handle, effects: Vec<SyncEffect>) {
        for effect in effects {
            match effect {
                SyncEffect::Request {
                    request_id,
                    event,
                    payload,
                    timeout_ms,
                } => {
                    let waiter = Waiter::Service(handle, request_id);
                    if let Err(e) = self.request_for(waiter, &event, &payload, Some(timeout_ms)) {
                        self.sync_answer(handle, request_id, Err(e.message()));
                    }
                }
                SyncEffect::FlushQueue { .. } => {
                    let queue = self.slot_ref::<SyncSlot>(handle).ok().and_then(|s| s.queue);
                    let flushing = queue.is_some_and(|q| self.flush_for_sync(q, handle));
                    if !flushing {
                        let now = self.now;
                        if let Ok(s) = self.slot::<SyncSlot>(handle) {
                            s.core.on_queue_flushed(0, 0, now);
                        }
                    }
                }
                SyncEffect::Answer { request_id, value } => {
                    let Ok(s) = self.slot::<SyncSlot>(handle) else {
                        continue;
                    };
                    let (mine, rest) = std::mem::take(&mut s.message_waiters)
                        .into_iter()
                        .partition::<Vec<_>, _>(|(w, _)| *w == request_id);
                    s.message_waiters = rest;
                    for (_, t) in mine {
                        self.done(t, Ok(Answer::Json(value.clone())));
                    }
                }
                SyncEffect::Event(ev) => {
                    let settled = self.sync_settles(handle, &ev);
                    self.event(handle, Event::Sync(ev));
                    for (ticket, result) in settled {
                        self.done(ticket, result);
                    }
                }
            }
        }
    }

    /// The calls an event completes (several `syncOnReconnect` calls may
    /// wait for one sync).
    fn sync_settles(
        &mut self,
        handle: Handle,
        ev: &SyncEvent,
    ) -> Vec<(Ticket, Result<Answer, SessionError>)> {
        let Ok(s) = self.slot::<SyncSlot>(handle) else {
            return Vec::new();
        };
        let take = |list: &mut Vec<(u64, Ticket)>, id: u64| {
            let (mine, rest): (Vec<_>, Vec<_>) = std::mem::take(list)
                .into_iter()
                .partition(|(w, _)| *w == id);
            *list = rest;
            mine.into_iter().map(|(_, t)| t)
        };
        match ev {
            SyncEvent::Completed { sync_id, result } => take(&mut s.sync_waiters, *sync_id)
                .map(|t| (t, Ok(Answer::Synced(*result))))
                .collect(),
            SyncEvent::Failed { sync_id, .. } => take(&mut s.sync_waiters, *sync_id)
                .map(|t| (t, Err(SyncError::Cancelled.into())))
                .collect(),
            SyncEvent::Messages {
                request_id,
                messages,
                conflicts,
                ..
            } => take(&mut s.message_waiters, *request_id)
                .map(|t| {
                    let answer = Answer::Messages {
                        messages: messages.clone(),
                        conflicts: conflicts.clone(),
                    };
                    (t, Ok(answer))
                })
                .collect(),
            SyncEvent::Error {
                request_id: Some(request_id),
                stage: SyncStage::Messages,
                message,
                sync_id: None,
                ..
            } => take(&mut s.message_waiters, *request_id)
                .map(|t| {
                    let stage = SyncStage::Messages;
                    let message = message.clone();
                    (t, Err(SessionError::SyncStep { stage, message }))
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The answer of a sync request (an unknown id was timed out already).
    pub(super) fn sync_answer(
        &mut self,
        handle: Handle,
        request_id: u64,
        result: Result<Value, String>,
    ) {
        let now = self.now;
        if let Ok(s) = self.slot::<SyncSlot>(handle) {
            let _ = s.core.on_response(request_id, result, now);
        }
    }

    /// A sync service goes: its calls fail.
    pub(super) fn sync_detached(&mut self, slot: &mut SyncSlot) {
        slot.queue = None;
        let waiters = std::mem::take(&mut slot.sync_waiters)
            .into_iter()
            .chain(std::mem::take(&mut slot.message_waiters));
        for (_, ticket) in waiters {
            self.done(ticket, Err(SessionError::Disposed(ServiceKind::Sync)));
        }
    }
}
