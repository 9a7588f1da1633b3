//! `ConflictResolutionService`: the conflict machine
//! ([`crate::core::conflict`]) of the client's session, its history in
//! `localStorage`. Entities, detections and choices come as JavaScript
//! values and go into the core as JSON; results come back the same way.
//! Every operation is one [`Command`] through one path (small wasm).

use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, U32_MAX};
use super::hub::{Hub, ServiceRef};
use super::js::to_js;
use super::ops::Op;
use crate::core::conflict::{Command, ConflictConfig, STRATEGIES};
use crate::core::json::{self, Value};
use crate::core::session::{Handle, ServiceKind};

const OPTIONS: &[Field] = &[
    opt("defaultStrategy", Kind::OneOf(&STRATEGIES)),
    opt("enableHistory", Kind::Bool),
    opt("maxHistorySize", Kind::UInt(U32_MAX)),
    opt("autoResolveLowSeverity", Kind::Bool),
    opt("debug", Kind::Bool),
    opt("storageKey", Kind::Id),
];

/// A JavaScript value as JSON (`what` names it when it has no JSON form).
fn value(v: &JsValue, what: &str) -> Result<Value, JsValue> {
    let text = args::json(v, what)?.ok_or_else(|| args::invalid(what))?;
    json::from_str(&text).map_err(|_| args::invalid(what))
}

/// Detects and resolves conflicts between local and remote versions, with
/// a stored history of resolutions.
pub struct ConflictResolutionService {
    svc: ServiceRef,
}

impl ConflictResolutionService {
    /// The service's handle in the session.
    pub(crate) fn handle(&self) -> Handle {
        self.svc.handle
    }

    /// A service on `hub` with `ConflictResolutionConfig` options.
    pub(crate) fn new(hub: &Hub, options: JsValue) -> Result<Self, JsValue> {
        let opts = args::Record::new(args::opt_fields(&options, "config", OPTIONS)?);
        let d = ConflictConfig::default();
        let strategy = opts.str("defaultStrategy");
        let config = ConflictConfig {
            default_strategy: STRATEGIES
                .into_iter()
                .find(|s| Some(*s) == strategy.as_deref())
                .unwrap_or(d.default_strategy),
            enable_history: opts.flag("enableHistory").unwrap_or(d.enable_history),
            max_history_size: opts
                .int("maxHistorySize")
                .map_or(d.max_history_size, |n| n as usize),
            auto_resolve_low_severity: opts
                .flag("autoResolveLowSeverity")
                .unwrap_or(d.auto_resolve_low_severity),
            storage_key: opts.str("storageKey").unwrap_or(d.storage_key),
        };
        let handle = hub
            .run_quiet(|s, _| Ok(s.attach_conflict(config)))
            .map_err(|e| e.to_js(Some("new ConflictResolutionService()")))?;
        let debug = opts.flag("debug").unwrap_or(false);
        Ok(Self {
            svc: ServiceRef::new(hub.clone(), handle, ServiceKind::Conflict, debug),
        })
    }

    /// Runs operation `op` (a `Conflict…` code) with its arguments: its
    /// value (`undefined` for none; `subscribe` only checks the service is
    /// live before JavaScript adds the listener).
    pub(crate) fn call(
        &self,
        op: Op,
        a: JsValue,
        b: JsValue,
        c: JsValue,
    ) -> Result<JsValue, JsValue> {
        let command = match op {
            Op::ConflictInitialize => Command::Initialize,
            Op::ConflictDestroy => Command::Destroy,
            Op::ConflictInitialized => Command::Initialized,
            Op::ConflictSubscribe => Command::Initialized,
            Op::ConflictDetectConflict => Command::Detect(value(&a, "entity")?),
            Op::ConflictResolveConflict => Command::Resolve(
                value(&a, "detection")?,
                args::opt_id(&b, "strategy")?,
                match c.is_undefined() {
                    true => None,
                    false => Some(value(&c, "userChoice")?),
                },
            ),
            Op::ConflictAutoResolve => Command::AutoResolve(value(&a, "detection")?),
            Op::ConflictGetHistory => Command::History(
                args::opt_id(&a, "filter.type")?,
                args::opt_count(&b, "filter.limit", U32_MAX)?.map(|n| n as usize),
            ),
            Op::ConflictGetHistoryEntry => Command::Entry(args::string(&a, "id")?),
            Op::ConflictClearHistory => Command::Clear,
            Op::ConflictGetStats => Command::Stats,
            _ => {
                return Err(super::js::coded(
                    "unknown_op",
                    "chat-realtime: unknown operation",
                ))
            }
        };
        let subscribe = op == Op::ConflictSubscribe;
        let out = self
            .svc
            .run(|s, h, now| s.conflict(h, command, now))
            .map_err(|e| e.to_js(None))?;
        Ok(match out {
            Some(v) if !subscribe => to_js(&v),
            _ => JsValue::UNDEFINED,
        })
    }
}
