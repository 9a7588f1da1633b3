//! `RoomsService` and `RoomManagerService`: the rooms machine
//! ([`crate::core::rooms`]) of the client's session, one per instance; the
//! manager's rules with `manager`. Joins go through the client's
//! connection, which re-joins them after every reconnect.

use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, U32_MAX};
use super::hub::{Hub, ServiceRef, Settle};
use super::js::to_js;
use crate::core::json::{from_str, Value};
use crate::core::rooms::{Room, RoomsConfig};
use crate::core::session::{Handle, ServiceKind};
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

    /// Runs a command on the machine.
    fn run<T>(
        &self,
        f: impl FnOnce(&mut crate::core::rooms::RoomsMachine, Millis) -> T,
    ) -> Result<T, JsValue> {
        self.svc
            .run(|s, h, now| s.rooms_do(h, now, f))
            .map_err(|e| e.to_js(None))
    }

    /// Reads the machine (`None` once dropped).
    fn read<T>(&self, f: impl FnOnce(&crate::core::rooms::RoomsMachine) -> T) -> Option<T> {
        self.svc.read(|s, h| s.rooms(h).ok().map(f))
    }

    fn manager(&self) -> bool {
        self.read(|m| m.config().manager).unwrap_or(false)
    }

    /// A room as nchat's object.
    fn room_js(&self, room: &Room) -> JsValue {
        to_js(&room.to_value(self.manager()))
    }

    /// `initialize()`.
    pub fn initialize(&self) -> Result<(), JsValue> {
        self.run(|m, _| m.initialize())
    }

    /// `destroy()`: leaves every room and forgets them.
    pub fn destroy(&self) -> Result<(), JsValue> {
        self.run(|m, _| m.destroy())
    }

    /// `initialized`.
    pub fn initialized(&self) -> bool {
        self.read(|m| m.initialized()).unwrap_or(false)
    }

    /// `joinRoom(name, options?)`: a ticket resolving with the room.
    pub fn join_room(&self, name: JsValue, options: JsValue) -> Result<f64, JsValue> {
        let name = &args::id(&name, "roomName")?;
        let opts = args::Record::new(args::opt_fields(&options, "options", JOIN_OPTIONS)?);
        let metadata = json_arg(&opts.get("metadata"), "options.metadata")?;
        let force = opts.flag("force").unwrap_or(false);
        let timeout = self.join_timeout;
        self.svc
            .request(
                |s, h, now| s.rooms_join(h, name, metadata, force, timeout, now),
                Settle::Ack,
            )
            .map_err(|e| e.to_js(None))
    }

    /// `leaveRoom(name)`.
    pub fn leave_room(&self, name: JsValue) -> Result<(), JsValue> {
        let name = &args::id(&name, "roomName")?;
        self.run(|m, _| {
            m.leave(name);
        })
    }

    /// `isInRoom(name)`.
    pub fn is_in_room(&self, name: JsValue) -> Result<bool, JsValue> {
        let name = &args::string(&name, "roomName")?;
        Ok(self.read(|m| m.is_in_room(name)).unwrap_or(false))
    }

    /// `getRoom(name)`: the room, or `undefined`.
    pub fn get_room(&self, name: JsValue) -> Result<JsValue, JsValue> {
        let name = &args::string(&name, "roomName")?;
        let room = self.read(|m| m.room(name).cloned()).flatten();
        Ok(room.map_or(JsValue::UNDEFINED, |r| self.room_js(&r)))
    }

    /// Every room, in join order.
    pub fn get_rooms(&self) -> JsValue {
        let manager = self.manager();
        let list: Vec<Value> = self
            .read(|m| m.rooms().iter().map(|r| r.to_value(manager)).collect())
            .unwrap_or_default();
        to_js(&Value::Array(list))
    }

    /// `getRoomMembers(name)`: `[{userId, userName?, userAvatar?, joinedAt}]`.
    pub fn get_room_members(&self, name: JsValue) -> Result<JsValue, JsValue> {
        let name = &args::string(&name, "roomName")?;
        let list: Vec<Value> = self
            .read(|m| {
                m.room(name)
                    .map(|r| r.members.iter().map(|m| m.to_value()).collect())
            })
            .flatten()
            .unwrap_or_default();
        Ok(to_js(&Value::Array(list)))
    }

    /// `sendMessage(room, payload)`: a ticket resolving with `{messageId}`.
    pub fn send_message(&self, room: JsValue, payload: JsValue) -> Result<f64, JsValue> {
        let room = &args::id(&room, "roomName")?;
        let payload = json_arg(&payload, "payload")?.unwrap_or_default();
        self.svc
            .request(
                |s, h, now| s.rooms_send(h, room, &payload, now),
                Settle::Ack,
            )
            .map_err(|e| e.to_js(None))
    }

    /// `addRoomListener(name)` (`add`) or `removeRoomListener(name)`.
    pub fn room_listener(&self, name: JsValue, add: bool) -> Result<(), JsValue> {
        let name = &args::string(&name, "roomName")?;
        self.run(|m, now| m.listener(name, add, now))
    }

    /// `setCurrentUserId(userId | null)`.
    pub fn set_current_user_id(&self, user: JsValue) -> Result<(), JsValue> {
        let user = args::opt_id(&user, "userId")?;
        self.svc
            .run(|s, h, now| s.rooms_set_user(h, user, now))
            .map_err(|e| e.to_js(None))
    }

    /// Detaches the service (its rooms stay joined on the connection).
    pub fn dispose(&self) {
        self.svc.dispose();
    }
}
