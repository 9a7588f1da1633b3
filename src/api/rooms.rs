//! `RoomsService` and `RoomManagerService`: the rooms machine
//! ([`crate::core::rooms`]) of the client's session, one per instance; the
//! manager's rules with `manager`. Joins go through the client's
//! connection, which re-joins them after every reconnect.

use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, U32_MAX};
use super::hub::{Hub, ServiceRef, Settle};
use super::js::to_js;
use super::ops::Op;
use crate::core::json::{from_str, Value};
use crate::core::rooms::{RoomsConfig, RoomsQuery};
use crate::core::session::{Handle, RoomsCmd, ServiceKind, Session};
use crate::core::Millis;

const ROOMS_OPTIONS: &[Field] = &[
    opt("autoRejoinOnReconnect", Kind::Bool),
    opt("maxTrackedRooms", Kind::UInt(U32_MAX)),
    opt("debug", Kind::Bool),
];

const MANAGER_OPTIONS: &[Field] = &[
    opt("debug", Kind::Bool),
    opt("autoRejoinOnReconnect", Kind::Bool),
    opt("maxRooms", Kind::UInt(U32_MAX)),
    opt("joinTimeout", Kind::IntMs),
    opt("enableSubscriptionBridge", Kind::Bool),
];

const JOIN_OPTIONS: &[Field] = &[
    opt("subscribeToUpdates", Kind::Bool),
    opt("metadata", Kind::Any),
    opt("force", Kind::Bool),
];

/// A rooms service (or room manager) of a client.
pub struct RoomsService {
    svc: ServiceRef,
    join_timeout: Option<Millis>,
}

/// A JSON object argument (`undefined`: none).
fn json_arg(value: &JsValue, what: &str) -> Result<Option<Value>, JsValue> {
    match args::json(value, what)? {
        Some(text) => from_str(&text).map(Some).map_err(|_| args::invalid(what)),
        None => Ok(None),
    }
}

impl RoomsService {
    /// The service's handle in the session.
    pub(crate) fn handle(&self) -> Handle {
        self.svc.handle
    }

    /// A rooms service on the client (`manager`: a `RoomManagerService`),
    /// with nchat's options and defaults (unknown keys are an error).
    pub(crate) fn new(hub: &Hub, options: JsValue, manager: bool) -> Result<RoomsService, JsValue> {
        let schema = if manager {
            MANAGER_OPTIONS
        } else {
            ROOMS_OPTIONS
        };
        let opts = args::Record::new(args::opt_fields(&options, "options", schema)?);
        let max = if manager {
            "maxRooms"
        } else {
            "maxTrackedRooms"
        };
        let config = RoomsConfig {
            manager,
            max_rooms: opts.int(max).map_or(100, |n| n.min(u32::MAX as u64) as u32),
            auto_rejoin: opts.flag("autoRejoinOnReconnect").unwrap_or(true),
        };
        let join_timeout = opts.int("joinTimeout").or(manager.then_some(10_000));
        let hub = hub.clone();
        let handle = hub
            .run(|s, now| Ok(s.attach_rooms(config, now)))
            .map_err(|e| e.to_js(None))?;
        let kind = if manager {
            ServiceKind::RoomManager
        } else {
            ServiceKind::Rooms
        };
        let debug = opts.flag("debug").unwrap_or(false) || hub.debug(Handle::CLIENT);
        Ok(RoomsService {
            svc: ServiceRef::new(hub, handle, kind, debug),
            join_timeout,
        })
    }

    /// Runs one operation (`a`: a room name, user id or join payload).
    pub(crate) fn op(&self, op: Op, a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
        let query = match op {
            Op::RoomsInitialized => Some(RoomsQuery::Initialized),
            Op::RoomsIsInRoom => Some(RoomsQuery::IsInRoom),
            Op::RoomsGetRoom => Some(RoomsQuery::Room),
            Op::RoomsGetRooms => Some(RoomsQuery::Rooms),
            Op::RoomsGetRoomMembers => Some(RoomsQuery::Members),
            _ => None,
        };
        if let Some(q) = query {
            let name = a.as_string().unwrap_or_default();
            let v = self
                .svc
                .read(|s, h| s.rooms(h).ok().map(|m| m.query(q, &name)));
            return Ok(to_js(&v.unwrap_or_default()));
        }
        if op == Op::RoomsDispose {
            self.svc.dispose();
            return Ok(JsValue::UNDEFINED);
        }
        let metadata;
        let set_user = op == Op::RoomsSetCurrentUserId;
        let user = if set_user {
            args::opt_id(&a, "userId")?
        } else {
            None
        };
        let owned = if set_user || matches!(op, Op::RoomsInitialize | Op::RoomsDestroy) {
            String::new()
        } else {
            args::id(&a, "roomName")?
        };
        let name = owned.as_str();
        let cmd = match op {
            Op::RoomsInitialize => RoomsCmd::Initialize,
            Op::RoomsDestroy => RoomsCmd::Destroy,
            Op::RoomsLeaveRoom => RoomsCmd::Leave(name),
            Op::RoomsAddRoomListener => RoomsCmd::Listener(name, true),
            Op::RoomsRemoveRoomListener => RoomsCmd::Listener(name, false),
            Op::RoomsSetCurrentUserId => RoomsCmd::SetUser(user),
            Op::RoomsJoinRoom => {
                let opts = args::Record::new(args::opt_fields(&b, "options", JOIN_OPTIONS)?);
                // `metadata` (any JSON) is not in the checked copy.
                let raw = js_sys::Reflect::get(&b, &"metadata".into()).unwrap_or_default();
                metadata = json_arg(&raw, "options.metadata")?;
                RoomsCmd::Join {
                    name,
                    metadata,
                    force: opts.flag("force").unwrap_or(false),
                    timeout: self.join_timeout,
                }
            }
            Op::RoomsSendMessage => RoomsCmd::Send {
                room: name,
                payload: json_arg(&b, "payload")?.unwrap_or_default(),
            },
            _ => return Err(JsValue::UNDEFINED),
        };
        let ticketed = matches!(cmd, RoomsCmd::Join { .. } | RoomsCmd::Send { .. });
        if ticketed {
            let ticket = |s: &mut Session, h, now| {
                s.rooms_do(h, cmd, now)
                    .map(|t| t.unwrap_or(crate::core::session::Ticket(0)))
            };
            return self
                .svc
                .request(ticket, Settle::Ack)
                .map(JsValue::from_f64)
                .map_err(|e| e.to_js(None));
        }
        self.svc
            .run(|s, h, now| s.rooms_do(h, cmd, now))
            .map(|_| JsValue::UNDEFINED)
            .map_err(|e| e.to_js(None))
    }
}
