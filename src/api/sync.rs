//! `SyncService`: the sync machine ([`crate::core::sync`]) of the client's
//! session, on `localStorage` (per-channel last-sync times, shared by tabs
//! through the `storage` event) and, optionally, an offline queue.
//!
//! After a *re*connect (not the first connect) the reconnect sequence runs by
//! itself when `autoSyncOnReconnect` is on (the default): flush the queue,
//! `sync:channels`, `sync:messages` per channel since its last sync,
//! `presence:subscribe`. It starts once every other service of the session
//! (the queue included) has seen the reconnect.

use crate::core::decimal::cat;
use wasm_bindgen::prelude::*;

use super::args::{self, opt, req, Field, Kind, MAX_SAFE, U32_MAX};
use super::hub::{ApiError, Hub, ServiceRef, Settle};
use super::js::{coded, INVALID};
use super::queue::queue_option;
use crate::core::session::{Handle, ServiceKind, Session, SessionError, SyncAttach};
use crate::core::sync::{LocalMessage, SyncConfig, SyncService as SyncCore};
use crate::core::Millis;

const SYNC_OPTIONS: &[Field] = &[
    opt("queue", Kind::Any),
    opt("autoSyncOnReconnect", Kind::Bool),
    opt("presenceUserIds", Kind::Strings),
    opt("storageKey", Kind::Id),
    opt("requestTimeoutMs", Kind::IntMs),
    opt("queueFlushTimeoutMs", Kind::IntMs),
    opt("maxMessagesPerChannel", Kind::UInt(U32_MAX)),
    opt("debug", Kind::Bool),
];

const LOCAL_MESSAGE: &[Field] = &[
    req("id", Kind::Id),
    req("content", Kind::Str),
    opt("editedAt", Kind::UInt(MAX_SAFE)),
];

/// Reconnect synchronisation: flushes the offline queue, then re-syncs
/// channels, messages missed per channel and presence; resolves edit
/// conflicts (last write wins, server-initiated edits win).
pub struct SyncService {
    svc: ServiceRef,
}

impl SyncService {
    /// The service's handle in the session.
    pub(crate) fn handle(&self) -> Handle {
        self.svc.handle
    }

    /// Runs a command, then pumps; a refusal names `method`.
    fn run<T>(
        &self,
        method: &str,
        f: impl FnOnce(&mut Session, Handle, Millis) -> Result<T, SessionError>,
    ) -> Result<T, JsValue> {
        self.svc.run(f).map_err(|e| match e {
            ApiError::Session(e @ SessionError::Sync(_)) => coded(e.code(), &cat!(method, ": ", e)),
            e => e.to_js(None),
        })
    }

    /// Reads the live service.
    fn read<T>(&self, f: impl FnOnce(&SyncCore) -> T) -> Result<T, JsValue> {
        let disposed = || ApiError::Session(SessionError::Disposed(ServiceKind::Sync)).to_js(None);
        if self.svc.is_disposed() {
            return Err(disposed());
        }
        self.svc
            .read(|s, h| s.sync(h).ok().map(f))
            .ok_or_else(disposed)
    }
}

impl SyncService {
    /// A sync service on `client` (`SyncServiceOptions`; unknown keys are an
    /// error). `options.queue` is flushed first in every reconnect sync.
    pub(crate) fn new(hub: &Hub, options: JsValue) -> Result<SyncService, JsValue> {
        let what = "new SyncService()";
        let hub = hub.clone();
        let checked = args::opt_fields(&options, "options", SYNC_OPTIONS)?;
        let opts = args::Record::new(checked);
        let queue = queue_option(&options, "new SyncService()", &hub)?;
        let d = SyncConfig::default();
        let storage_key = match opts.str("storageKey") {
            Some(k) if k.trim().is_empty() => {
                return Err(coded(
                    INVALID,
                    "new SyncService(): storageKey must be a non-empty string",
                ))
            }
            Some(k) => k,
            None => d.storage_key.clone(),
        };
        let config = SyncConfig {
            request_timeout_ms: opts.int("requestTimeoutMs").unwrap_or(d.request_timeout_ms),
            queue_flush_timeout_ms: opts
                .int("queueFlushTimeoutMs")
                .unwrap_or(d.queue_flush_timeout_ms),
            legacy_key: opts
                .str("storageKey")
                .map_or(d.legacy_key.clone(), |_| None),
            storage_key: storage_key.clone(),
            max_local_messages: d.max_local_messages,
            max_messages_per_channel: opts
                .int("maxMessagesPerChannel")
                .map_or(d.max_messages_per_channel, |n| n as u32),
        };
        let attach = SyncAttach {
            queue,
            auto: opts.flag("autoSyncOnReconnect").unwrap_or(true),
            presence_user_ids: opts.strings("presenceUserIds").unwrap_or_default(),
        };
        let handle = hub
            .run_quiet(|s, now| s.attach_sync(config, attach, now))
            .map_err(|e| e.to_js(Some(what)))?;
        let debug = opts.flag("debug").unwrap_or(false) || hub.debug(Handle::CLIENT);
        // Load-time reports (an unreadable state) wait for a microtask.
        hub.driver.hold(handle);
        Ok(SyncService {
            svc: ServiceRef::new(hub, handle, ServiceKind::Sync, debug),
        })
    }

    /// Runs the reconnect sequence now (joining one that runs) and resolves
    /// with its `SyncResult`. `presenceUserIds` replaces the configured ids
    /// for this run.
    pub fn sync_on_reconnect(&self, presence_user_ids: JsValue) -> Result<f64, JsValue> {
        let explicit = !args::absent(&presence_user_ids);
        let ids = if explicit {
            args::strings(&presence_user_ids, "presenceUserIds")?
        } else {
            Vec::new()
        };
        let ids = explicit.then_some(ids);
        self.svc
            .request(|s, h, now| s.sync_on_reconnect(h, ids, now), Settle::Sync)
            .map_err(|e| e.to_js(None))
    }

    /// Syncs one channel since `since` (ms), else its last sync time; resolves with
    /// `{messages, conflicts}` (server versions that lost a conflict left
    /// out), rejects when the request fails.
    pub fn sync_messages(&self, channel_id: JsValue, since: JsValue) -> Result<f64, JsValue> {
        let channel_id = &args::id(&channel_id, "channelId")?;
        let since = args::opt_ms(&since, "since")?;
        self.svc
            .request(
                |s, h, now| s.sync_messages(h, channel_id, since, now),
                Settle::SyncMessages,
            )
            .map_err(|e| match e {
                ApiError::Session(e @ SessionError::Sync(_)) => {
                    coded(e.code(), &cat!("syncMessages(): ", e))
                }
                e => e.to_js(None),
            })
    }

    /// nchat's `syncChannels`: `sync:channels` on its own; resolves with
    /// `{synced, errors}` (`{synced: 0, errors: 1}` when it fails).
    pub fn sync_channels(&self) -> Result<f64, JsValue> {
        self.svc
            .request(|s, h, now| s.sync_channels(h, now), Settle::Plain)
            .map_err(|e| e.to_js(None))
    }

    /// nchat's `syncPresence`: re-subscribes the presence users (configured,
    /// else those the presence service follows); resolves with `{synced}`.
    pub fn sync_presence(&self) -> Result<f64, JsValue> {
        self.svc
            .request(|s, h, now| s.sync_presence(h, now), Settle::Plain)
            .map_err(|e| e.to_js(None))
    }

    /// nchat's `cancelSync`: ends a running reconnect sync (`sync:failed`;
    /// its `syncOnReconnect` promises reject with code `cancelled`).
    pub fn cancel_sync(&self) -> Result<(), JsValue> {
        self.run("cancelSync()", |s, h, now| s.sync_cancel(h, now))
    }

    /// nchat's rule of `reconcileConflicts(local, remote)` (checked
    /// `SyncMessage`s): `[serverWins, now]` (the layer reads no clock).
    pub fn reconcile_conflicts(&self, local: JsValue, remote: JsValue) -> Result<JsValue, JsValue> {
        let json = |v: &JsValue, what| {
            let text = args::json(v, what)?.ok_or_else(|| args::invalid(what))?;
            crate::core::json::from_str(&text).map_err(|_| args::invalid(what))
        };
        let server =
            crate::core::sync::reconcile(&json(&local, "local")?, &json(&remote, "remote")?);
        let now = crate::browser::clock::now_ms() as f64;
        Ok(super::args::list(&[&server.into(), &now.into()]).into())
    }

    /// Registers (or updates) a message the app shows, `{id, content,
    /// editedAt?}`, so a differing server version is detected as a conflict.
    pub fn record_local_message(&self, message: JsValue) -> Result<(), JsValue> {
        let r = args::Record::new(Some(args::fields(&message, "message", LOCAL_MESSAGE)?));
        let msg = LocalMessage {
            id: r.str("id").unwrap_or_default(),
            content: r.str("content").unwrap_or_default(),
            edited_at: r.int("editedAt"),
        };
        self.run("recordLocalMessage()", |s, h, now| {
            s.sync_record_local(h, msg, now)
        })
    }

    /// Forgets a registered local message; returns whether it was known.
    pub fn forget_local_message(&self, id: JsValue) -> Result<bool, JsValue> {
        let id = &args::id(&id, "id")?;
        self.run("forgetLocalMessage()", |s, h, now| {
            s.sync_forget_local(h, id, now)
        })
    }

    /// Replaces the users whose presence is re-subscribed after a reconnect.
    pub fn set_presence_user_ids(&self, ids: JsValue) -> Result<(), JsValue> {
        let ids = args::strings(&ids, "ids")?;
        self.run("setPresenceUserIds()", |s, h, _| {
            s.sync_set_presence_ids(h, ids)
        })
    }

    /// The last sync time of `channelId`, or of the last completed reconnect
    /// sync without an argument; `undefined` if never synced.
    pub fn get_last_sync_time(&self, channel_id: JsValue) -> Result<Option<f64>, JsValue> {
        let channel_id = args::opt_id(&channel_id, "channelId")?;
        let t = self.read(|core| match channel_id {
            Some(c) => core.channel_sync_timestamp(&c),
            None => core.last_sync_timestamp(),
        })?;
        Ok(t.map(|t| t as f64))
    }

    /// Whether a reconnect sync is running.
    pub fn is_syncing(&self) -> bool {
        self.read(SyncCore::is_syncing).unwrap_or(false)
    }

    /// nchat's `syncStatus`: `idle`, `syncing` or `completed`.
    pub fn sync_status(&self) -> String {
        self.read(SyncCore::sync_status).unwrap_or("idle").into()
    }

    /// `callback(event, data)` for every sync event; JavaScript registers the
    /// callback once this check passes (the service is not disposed).
    pub fn subscribe(&self) -> Result<(), JsValue> {
        self.read(|_| ())?;
        Ok(())
    }

    /// Stops listening to the client and other tabs and rejects pending
    /// promises. Stored sync times stay. Idempotent.
    pub fn dispose(&self) {
        self.svc.dispose();
    }
}
