//! `RoomsService` and `RoomManagerService`: the rooms machine
//! ([`crate::core::rooms`]) of the client's session, one per instance; the
//! manager's rules with `manager`. Joins go through the client's
//! connection, which re-joins them after every reconnect.

use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, U32_MAX};
use super::hub::{Hub, ServiceRef, Settle};
use super::js::to_js;
use super::ops::Op;
use crate::core::json::from_str;
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

/// A rooms service (or room manager) of a client.
pub struct RoomsService {
    svc: ServiceRef,
    join_timeout: Option<Millis>,
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

    /// Runs one operation. The layer checked the arguments (js/src/rooms.ts,
    /// room-manager.ts): `a` a room name (or the user id, or `null`), `b`
    /// JSON text (the join's metadata, or the message payload), `c` a join's
    /// `force`.
    pub(crate) fn op(
        &self,
        op: Op,
        a: JsValue,
        b: JsValue,
        c: JsValue,
    ) -> Result<JsValue, JsValue> {
        let name = a.as_string().unwrap_or_default();
        let query = match op {
            Op::RoomsInitialized => Some(RoomsQuery::Initialized),
            Op::RoomsIsInRoom => Some(RoomsQuery::IsInRoom),
            Op::RoomsGetRoom => Some(RoomsQuery::Room),
            Op::RoomsGetRooms => Some(RoomsQuery::Rooms),
            Op::RoomsGetRoomMembers => Some(RoomsQuery::Members),
            _ => None,
        };
        if let Some(q) = query {
            let v = self
                .svc
                .read(|s, h| s.rooms(h).ok().map(|m| m.query(q, &name)));
            return Ok(to_js(&v.unwrap_or_default()));
        }
        let json = b.as_string().and_then(|t| from_str(&t).ok());
        let cmd = match op {
            Op::RoomsInitialize => RoomsCmd::Initialize,
            Op::RoomsDestroy => RoomsCmd::Destroy,
            Op::RoomsLeaveRoom => RoomsCmd::Leave(&name),
            Op::RoomsAddRoomListener => RoomsCmd::Listener(&name, true),
            Op::RoomsRemoveRoomListener => RoomsCmd::Listener(&name, false),
            Op::RoomsSetCurrentUserId => RoomsCmd::SetUser(a.as_string()),
            Op::RoomsJoinRoom => RoomsCmd::Join {
                name: &name,
                metadata: json,
                force: c.as_bool() == Some(true),
                timeout: self.join_timeout,
            },
            Op::RoomsSendMessage => RoomsCmd::Send {
                room: &name,
                payload: json.unwrap_or_default(),
            },
            Op::RoomsDispose => {
                self.svc.dispose();
                return Ok(JsValue::UNDEFINED);
            }
            _ => return Err(super::native::unknown_op()),
        };
        let ticketed = matches!(cmd, RoomsCmd::Join { .. } | RoomsCmd::Send { .. });
        let r = if ticketed {
            let ticket = |s: &mut Session, h, now| {
                s.rooms_do(h, cmd, now)
                    .map(|t| t.unwrap_or(crate::core::session::Ticket(0)))
            };
            self.svc.request(ticket, Settle::Ack).map(JsValue::from_f64)
        } else {
            self.svc
                .run(|s, h, now| s.rooms_do(h, cmd, now))
                .map(|_| JsValue::UNDEFINED)
        };
        r.map_err(|e| e.to_js(None))
    }
}
