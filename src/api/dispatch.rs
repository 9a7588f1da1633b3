//! `EventDispatcherService`: the dispatcher machine
//! ([`crate::core::dispatch`]) of the client's session. Arguments come as
//! JavaScript values and go into the core as JSON; every operation is one
//! [`Command`] through one path (small wasm).

use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind};
use super::hub::{Hub, ServiceRef};
use super::ops::Op;
use crate::core::dispatch::{Command, DispatchConfig};
use crate::core::json::{self, Value};
use crate::core::session::{Handle, ServiceKind};

const OPTIONS: &[Field] = &[
    opt("debug", Kind::Bool),
    opt("serverVersion", Kind::Str),
    opt("isClientSide", Kind::Bool),
];

/// A JavaScript value as JSON.
fn value(v: &JsValue, what: &str) -> Result<Value, JsValue> {
    let text = args::json(v, what)?.ok_or_else(|| args::invalid(what))?;
    json::from_str(&text).map_err(|_| args::invalid(what))
}

/// Builds nchat's realtime event payloads and sends them to rooms: to the
/// local subscribers, and as `dispatch` to the server.
pub struct EventDispatcherService {
    svc: ServiceRef,
}

impl EventDispatcherService {
    /// The service's handle in the session.
    pub(crate) fn handle(&self) -> Handle {
        self.svc.handle
    }

    /// A dispatcher on `hub` with `EventDispatcherConfig` options.
    pub(crate) fn new(hub: &Hub, options: JsValue) -> Result<Self, JsValue> {
        let opts = args::Record::new(args::opt_fields(&options, "config", OPTIONS)?);
        let d = DispatchConfig::default();
        let config = DispatchConfig {
            server_version: opts.str("serverVersion").unwrap_or(d.server_version),
            is_client_side: opts.flag("isClientSide").unwrap_or(d.is_client_side),
        };
        let seed = super::queue::random_u64();
        let handle = hub
            .run_quiet(|s, _| Ok(s.attach_dispatcher(config, seed)))
            .map_err(|e| e.to_js(Some("new EventDispatcherService()")))?;
        let debug = opts.flag("debug").unwrap_or(false);
        Ok(Self {
            svc: ServiceRef::new(hub.clone(), handle, ServiceKind::Dispatcher, debug),
        })
    }

    /// Runs operation `op` (a `Dispatcher…` code) with its arguments: its
    /// value (`undefined` for none; `subscribe` only checks the service is
    /// live before JavaScript adds the listener).
    pub(crate) fn call(&self, op: Op, a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
        let command = match op {
            Op::DispatcherInitialize => Command::Initialize,
            Op::DispatcherDestroy => Command::Destroy,
            Op::DispatcherInitialized | Op::DispatcherSubscribe => Command::Initialized,
            Op::DispatcherDispatch => {
                Command::Dispatch(args::count(&a, "kind", 255.0)? as usize, value(&b, "args")?)
            }
            _ => return Err(super::native::unknown_op()),
        };
        let read = op == Op::DispatcherInitialized;
        let out = self
            .svc
            .run(|s, h, now| s.dispatch(h, command, now))
            .map_err(|e| e.to_js(None))?;
        Ok(match out {
            Some(Value::Bool(b)) if read => b.into(),
            _ => JsValue::UNDEFINED,
        })
    }
}
