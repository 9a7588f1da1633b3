//! ConflictResolutionService core: detects conflicts between a local and a
//! remote version of an entity, resolves them with a strategy, and keeps a
//! bounded history, newest first, in storage (`{"history": [...]}` under
//! `nchat:conflict-history`, the format of the TypeScript service it
//! replaces, so a history stored by it loads).
//!
//! Entities, detections and results are JSON values in the shapes of the
//! JavaScript API; the rules are in `rules.rs`. Time comes in as `now`.
//! Events (`conflict:detected`, `conflict:resolved`,
//! `conflict:manual-required` is declared by the API but never sent,
//! `conflict:history-updated`, and `conflict:error` for storage problems)
//! are drained with [`ConflictService::drain_effects`].
//!
//! Like the service it replaces: the history is read from storage by
//! [`ConflictService::initialize`] (it replaces what is in memory) and the
//! whole history is written after every change and by
//! [`ConflictService::destroy`]; detection and resolution work whether or
//! not it was initialized.

mod rules;

use crate::core::decimal::{cat, display_for_tests};
use crate::core::json::{self, json, Map, Value};
use crate::core::store::{KeyValueStore, StoreError};
use crate::core::Millis;

pub use rules::{merge, Entity, STRATEGIES, TYPES};

/// The service's options (the defaults are the TypeScript service's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictConfig {
    /// The strategy suggested when there is no conflict.
    pub default_strategy: &'static str,
    /// Keep (and store) a history of resolutions.
    pub enable_history: bool,
    /// The most entries kept.
    pub max_history_size: usize,
    /// `auto_resolve` resolves low-severity conflicts.
    pub auto_resolve_low_severity: bool,
    /// The storage key of the history.
    pub storage_key: String,
}

impl Default for ConflictConfig {
    fn default() -> Self {
        Self {
            default_strategy: "last-write-wins",
            enable_history: true,
            max_history_size: 100,
            auto_resolve_low_severity: true,
            storage_key: "nchat:conflict-history".into(),
        }
    }
}

/// An argument that does not fit (the JavaScript layer checks first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictError(pub &'static str);

impl ConflictError {
    /// What went wrong, in words.
    pub fn message(&self) -> String {
        cat!(self.0, " is not valid")
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        "invalid_argument"
    }
}

display_for_tests!(ConflictError);

/// A call of the JavaScript API, run by [`ConflictService::command`] (one
/// entry keeps the wasm small).
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// [`ConflictService::initialize`].
    Initialize,
    /// [`ConflictService::destroy`].
    Destroy,
    /// [`ConflictService::initialized`].
    Initialized,
    /// [`ConflictService::detect`] of the entity.
    Detect(Value),
    /// [`ConflictService::resolve`]: detection, strategy, user choice.
    Resolve(Value, Option<String>, Option<Value>),
    /// [`ConflictService::auto_resolve`] of the detection.
    AutoResolve(Value),
    /// [`ConflictService::history`]: type and limit.
    History(Option<String>, Option<usize>),
    /// [`ConflictService::history_entry`] of the id.
    Entry(String),
    /// [`ConflictService::clear_history`].
    Clear,
    /// [`ConflictService::stats`].
    Stats,
}

/// An event for the app's listeners: `listener(name, data)`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConflictEvent {
    /// `conflict:detected`, `conflict:resolved`, `conflict:history-updated`
    /// or `conflict:error`.
    pub name: &'static str,
    /// `{detection}`, `{resolution}`, `{history}` or `{error: {code, message}}`.
    pub data: Value,
}

/// The conflict machine. Owns its store.
pub struct ConflictService {
    config: ConflictConfig,
    store: Box<dyn KeyValueStore>,
    /// Newest first, at most `max_history_size`.
    history: Vec<Value>,
    initialized: bool,
    effects: Vec<ConflictEvent>,
}

impl std::fmt::Debug for ConflictService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConflictService")
            .field("history", &self.history.len())
            .field("initialized", &self.initialized)
            .finish_non_exhaustive()
    }
}

/// Whether JavaScript reads the value as true.
fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::Number(n)) => n.as_u64() != Some(0),
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// The string at `key` of an entry.
fn text<'a>(entry: &'a Value, key: &str) -> &'a str {
    entry.get(key).and_then(Value::as_str).unwrap_or("")
}

impl ConflictService {
    /// A service on `store`; nothing is read before [`Self::initialize`].
    pub fn new(config: ConflictConfig, store: Box<dyn KeyValueStore>) -> Self {
        Self {
            config,
            store,
            history: Vec::new(),
            initialized: false,
            effects: Vec::new(),
        }
    }

    /// Loads the stored history (with history on); a second call does
    /// nothing.
    pub fn initialize(&mut self) {
        if self.initialized {
            return;
        }
        if self.config.enable_history {
            self.load();
        }
        self.initialized = true;
    }

    /// Stores the history (with history on) and ends the initialization;
    /// [`Self::initialize`] may run again.
    pub fn destroy(&mut self) {
        if self.config.enable_history {
            self.save();
        }
        self.initialized = false;
    }

    /// Runs `command`: its value, `None` for none (`undefined`).
    pub fn command(
        &mut self,
        command: Command,
        now: Millis,
    ) -> Result<Option<Value>, ConflictError> {
        Ok(Some(match command {
            Command::Initialize => {
                self.initialize();
                return Ok(None);
            }
            Command::Destroy => {
                self.destroy();
                return Ok(None);
            }
            Command::Clear => {
                self.clear_history();
                return Ok(None);
            }
            Command::Initialized => Value::Bool(self.initialized),
            Command::Detect(entity) => self.detect(entity)?,
            Command::Resolve(d, strategy, choice) => {
                self.resolve(&d, strategy.as_deref(), choice, now)?
            }
            Command::AutoResolve(d) => self.auto_resolve(&d, now)?.unwrap_or_default(),
            Command::History(kind, limit) => self.history(kind.as_deref(), limit),
            Command::Entry(id) => return Ok(self.history_entry(&id).cloned()),
            Command::Stats => self.stats(),
        }))
    }

    /// Whether [`Self::initialize`] ran (and no [`Self::destroy`] since).
    pub fn initialized(&self) -> bool {
        self.initialized
    }

    /// The events since the last call.
    pub fn drain_effects(&mut self) -> Vec<ConflictEvent> {
        std::mem::take(&mut self.effects)
    }

    fn emit(&mut self, name: &'static str, key: &str, value: Value) {
        let mut data = Map::new();
        data.push(key, value);
        self.effects.push(ConflictEvent {
            name,
            data: Value::Object(data),
        });
    }

    /// The detection of `entity` (`{hasConflict, conflictType?, severity,
    /// entity, suggestedStrategy, reason?}`); a conflict is also sent as
    /// `conflict:detected`.
    pub fn detect(&mut self, entity: Value) -> Result<Value, ConflictError> {
        let e = Entity::read(&entity).map_err(ConflictError)?;
        let conflict = e.has_conflict();
        let severity = if conflict { e.severity() } else { "low" };
        let mut d = Map::new();
        d.push("hasConflict", conflict);
        if conflict {
            d.push("conflictType", e.type_name());
            d.push("reason", e.reason());
        }
        d.push("severity", severity);
        d.push(
            "suggestedStrategy",
            match conflict {
                true => e.suggested(severity),
                false => self.config.default_strategy,
            },
        );
        d.push("entity", entity.clone());
        let detection = Value::Object(d);
        if !conflict {
            return Ok(detection);
        }
        self.emit("conflict:detected", "detection", detection.clone());
        Ok(detection)
    }

    /// Resolves a detection with `strategy` (else its `suggestedStrategy`):
    /// `{id, type, strategy, resolvedData, conflictedFields?, timestamp,
    /// requiresUserAction}`, sent as `conflict:resolved` and added to the
    /// history. `manual` takes `choice`; without one it yields the remote
    /// data and requires user action.
    pub fn resolve(
        &mut self,
        detection: &Value,
        strategy: Option<&str>,
        choice: Option<Value>,
        now: Millis,
    ) -> Result<Value, ConflictError> {
        let strategy = strategy.or_else(|| detection.get("suggestedStrategy")?.as_str());
        let strategy = strategy
            .and_then(|s| STRATEGIES.iter().find(|x| **x == s))
            .ok_or(ConflictError("strategy"))?;
        let entity = detection.get("entity").ok_or(ConflictError("entity"))?;
        let e = Entity::read(entity).map_err(ConflictError)?;
        let mut fields = Vec::new();
        let mut user_action = false;
        let data = match *strategy {
            "last-write-wins" if e.remote_ts <= e.local_ts => e.local.cloned(),
            "client-wins" => e.local.cloned(),
            "merge" => merge(e.local, e.remote, "", &mut fields),
            "manual" if choice.is_some() => choice,
            "manual" => {
                user_action = true;
                e.remote.cloned()
            }
            _ => e.remote.cloned(),
        };
        let mut result = Map::new();
        result.push("id", e.id());
        result.push("type", e.type_name());
        result.push("strategy", *strategy);
        result.push_opt("resolvedData", data);
        if !fields.is_empty() {
            result.push("conflictedFields", Value::Array(fields));
        }
        result.push("timestamp", now);
        result.push("requiresUserAction", user_action);
        let result = Value::Object(result);
        self.emit("conflict:resolved", "resolution", result.clone());
        if self.config.enable_history {
            let mut entry = Map::new();
            entry.push("id", e.id());
            entry.push("type", e.type_name());
            entry.push("detectedAt", now);
            entry.push("resolvedAt", now);
            entry.push("strategy", *strategy);
            entry.push("entity", entity.clone());
            entry.push("resolution", result.clone());
            let entry = Value::Object(entry);
            self.history.insert(0, entry.clone());
            self.history.truncate(self.config.max_history_size);
            self.save();
            self.emit("conflict:history-updated", "history", entry);
        }
        Ok(result)
    }

    /// Resolves a low-severity detection whose suggestion is not `manual`
    /// (with `auto_resolve_low_severity` on); `None` otherwise.
    pub fn auto_resolve(
        &mut self,
        detection: &Value,
        now: Millis,
    ) -> Result<Option<Value>, ConflictError> {
        let low = detection.get("severity").and_then(Value::as_str) == Some("low");
        let manual = detection.get("suggestedStrategy").and_then(Value::as_str) == Some("manual");
        if !self.config.auto_resolve_low_severity || !low || manual {
            return Ok(None);
        }
        self.resolve(detection, None, None, now).map(Some)
    }

    /// The history, newest first: only entries of `kind` when given, at
    /// most `limit` when given and not 0.
    pub fn history(&self, kind: Option<&str>, limit: Option<usize>) -> Value {
        let limit = limit.filter(|n| *n > 0).unwrap_or(usize::MAX);
        let mut out = Vec::new();
        for e in &self.history {
            if out.len() < limit && kind.is_none_or(|k| text(e, "type") == k) {
                out.push(e.clone());
            }
        }
        Value::Array(out)
    }

    /// The newest entry of `id`.
    pub fn history_entry(&self, id: &str) -> Option<&Value> {
        self.history.iter().find(|e| text(e, "id") == id)
    }

    /// Empties the history, in storage too.
    pub fn clear_history(&mut self) {
        self.history.clear();
        self.save();
    }

    /// `{totalConflicts, resolvedConflicts, pendingConflicts, byType,
    /// byStrategy}` over the history.
    pub fn stats(&self) -> Value {
        let (mut by_type, mut by_strategy) = (Map::new(), Map::new());
        let bump = |m: &mut Map, k: &str| {
            let n = m.get(k).and_then(Value::as_u64).unwrap_or(0);
            m.insert(k.to_owned(), Value::from(n.saturating_add(1)));
        };
        let mut resolved = 0usize;
        for e in &self.history {
            bump(&mut by_type, text(e, "type"));
            bump(&mut by_strategy, text(e, "strategy"));
            resolved += usize::from(truthy(e.get("resolvedAt")));
        }
        json!({
            "totalConflicts": self.history.len(),
            "resolvedConflicts": resolved,
            "pendingConflicts": self.history.len() - resolved,
            "byType": Value::Object(by_type),
            "byStrategy": Value::Object(by_strategy),
        })
    }

    // ----- storage -----------------------------------------------------

    /// A `conflict:error` with `code` and `message`.
    fn report(&mut self, code: &str, message: String) {
        let mut error = Map::new();
        error.push("code", code);
        error.push("message", message);
        self.emit("conflict:error", "error", Value::Object(error));
    }

    fn store_failed(&mut self, what: &str, e: &StoreError) {
        let message = cat!("could not ", what, " the conflict history: ", e.message());
        self.report(e.reason(), message);
    }

    /// Reads the stored history: an unreadable document is removed, entries
    /// without a string `id`, a known `type` and `strategy` are dropped,
    /// and at most `max_history_size` are kept; each is reported.
    fn load(&mut self) {
        let key = self.config.storage_key.clone();
        let stored = match self.store.get(&key) {
            Ok(Some(t)) => t,
            Ok(None) => return,
            Err(e) => return self.store_failed("read", &e),
        };
        let list = match json::from_str(&stored) {
            Ok(Value::Object(mut doc)) => match doc.remove("history") {
                None | Some(Value::Null) => Some(Vec::new()),
                Some(Value::Array(list)) => Some(list),
                Some(_) => None,
            },
            _ => None,
        };
        let Some(list) = list else {
            let _ = self.store.remove(&key);
            return self.report(
                "storage",
                "stored conflict history unreadable: removed".into(),
            );
        };
        let total = list.len();
        self.history.clear();
        for e in list {
            let fits = !text(&e, "id").is_empty()
                && TYPES.contains(&text(&e, "type"))
                && STRATEGIES.contains(&text(&e, "strategy"));
            if fits && self.history.len() < self.config.max_history_size {
                self.history.push(e);
            }
        }
        let dropped = total - self.history.len();
        if dropped > 0 {
            let message = cat!(
                dropped,
                " stored conflict history entries dropped (unreadable or over the limit)"
            );
            self.report("storage", message);
        }
    }

    /// Writes the whole history.
    fn save(&mut self) {
        let doc = json!({"history": Value::Array(self.history.clone())});
        if let Err(e) = self.store.set(&self.config.storage_key, &doc.to_text()) {
            self.store_failed("save", &e);
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
