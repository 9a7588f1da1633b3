//! `ConflictResolutionService`: the conflict machine
//! ([`crate::core::conflict`]) of the client's session, its history in
//! `localStorage`. Entities, detections and choices come as JavaScript
//! values and go into the core as JSON; results come back the same way.

use wasm_bindgen::prelude::*;

use super::args::{self, opt, Field, Kind, U32_MAX};
use super::hub::{ApiError, Hub, ServiceRef};
use super::js::to_js;
use crate::core::conflict::{ConflictConfig, ConflictError, ConflictService, STRATEGIES};
use crate::core::json::{self, Value};
use crate::core::session::{Handle, ServiceKind, SessionError};
use crate::core::Millis;

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

    /// Runs a command on the machine, then pumps (its events go out now).
    fn run<T>(
        &self,
        f: impl FnOnce(&mut ConflictService, Millis) -> Result<T, ConflictError>,
    ) -> Result<T, JsValue> {
        self.svc
            .run(|s, h, now| s.conflict(h, now, f))
            .map_err(|e| e.to_js(None))
    }

    /// Reads the machine.
    fn read<T>(&self, f: impl FnOnce(&ConflictService) -> T) -> Result<T, JsValue> {
        self.svc
            .read(|s, h| s.conflict_ref(h).ok().map(f))
            .ok_or_else(|| {
                ApiError::Session(SessionError::Disposed(ServiceKind::Conflict)).to_js(None)
            })
    }

    /// Loads the stored history (once).
    pub fn initialize(&self) -> Result<(), JsValue> {
        self.run(|c, _| Ok(c.initialize()))
    }

    /// Stores the history; `initialize` may run again.
    pub fn destroy(&self) -> Result<(), JsValue> {
        self.run(|c, _| Ok(c.destroy()))
    }

    /// Whether it is initialized.
    pub fn initialized(&self) -> bool {
        self.read(ConflictService::initialized).unwrap_or(false)
    }

    /// `ConflictDetectionResult` of an entity.
    pub fn detect_conflict(&self, entity: JsValue) -> Result<JsValue, JsValue> {
        let e = value(&entity, "entity")?;
        self.run(|c, _| c.detect(e)).map(|v| to_js(&v))
    }

    /// `ConflictResolutionResult` of a detection.
    pub fn resolve_conflict(
        &self,
        detection: JsValue,
        strategy: JsValue,
        choice: JsValue,
    ) -> Result<JsValue, JsValue> {
        let d = value(&detection, "detection")?;
        let strategy = args::opt_id(&strategy, "strategy")?;
        let choice = match choice.is_undefined() {
            true => None,
            false => Some(value(&choice, "userChoice")?),
        };
        self.run(|c, now| c.resolve(&d, strategy.as_deref(), choice, now))
            .map(|v| to_js(&v))
    }

    /// The resolution of a low-severity detection, else `null`.
    pub fn auto_resolve(&self, detection: JsValue) -> Result<JsValue, JsValue> {
        let d = value(&detection, "detection")?;
        self.run(|c, now| c.auto_resolve(&d, now))
            .map(|v| v.map_or(JsValue::NULL, |v| to_js(&v)))
    }

    /// The history, newest first, of one type and at most `limit` entries.
    pub fn get_history(&self, kind: JsValue, limit: JsValue) -> Result<JsValue, JsValue> {
        let kind = args::opt_id(&kind, "filter.type")?;
        let limit = args::opt_count(&limit, "filter.limit", U32_MAX)?;
        self.read(|c| to_js(&c.history(kind.as_deref(), limit.map(|n| n as usize))))
    }

    /// The newest history entry of `id`, else `undefined`.
    pub fn get_history_entry(&self, id: JsValue) -> Result<JsValue, JsValue> {
        let id = args::string(&id, "id")?;
        self.read(|c| c.history_entry(&id).map_or(JsValue::UNDEFINED, to_js))
    }

    /// Empties the history, in storage too.
    pub fn clear_history(&self) -> Result<(), JsValue> {
        self.run(|c, _| Ok(c.clear_history()))
    }

    /// The counts over the history.
    pub fn get_stats(&self) -> Result<JsValue, JsValue> {
        self.read(|c| to_js(&c.stats()))
    }

    /// Checks the service is live before JavaScript adds a listener.
    pub fn subscribe(&self) -> Result<(), JsValue> {
        self.read(|_| ())
    }
}
