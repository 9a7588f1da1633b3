//! The session's app outputs as calls of the JavaScript sink
//! (`js/src/native.ts` holds the listeners and promises):
//! `sink(ticket, "done", value, ok)` for a completion and
//! `sink(handle, topic, args, flag)` for an event. No Rust borrow is held
//! while the sink runs, so listeners may call back in.

use crate::core::decimal::cat;
use std::cell::RefCell;

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use super::hub::{App, Settle};
use super::js::{debug_log, parse_json, to_js};
use crate::core::connection::AckError;
use crate::core::delivery::DeliveryError;
use crate::core::json::{Map, ToJson, Value};
use crate::core::session::{Answer, ClientError, Event, Handle, Output, ServiceKind, SessionError};

/// Calls the sink (a throwing sink is ignored: listeners' throws are caught
/// in JavaScript).
fn emit(sink: &Function, id: f64, topic: &str, payload: &JsValue, flag: &JsValue) {
    let _ = sink.call4(
        &JsValue::UNDEFINED,
        &JsValue::from_f64(id),
        &JsValue::from_str(topic),
        payload,
        flag,
    );
}

/// One app output of the driver.
pub(crate) fn deliver(app: &RefCell<App>, sink: &Function, output: Output) {
    match output {
        Output::Done { ticket, result } => {
            let pending = app.try_borrow_mut().ok().and_then(|mut a| {
                let pos = a.tickets.iter().position(|(t, _)| *t == ticket)?;
                Some(a.tickets.swap_remove(pos).1)
            });
            if let Some(settle) = pending {
                let (ok, value) = settle_js(settle, result);
                emit(sink, ticket.0 as f64, "done", &value, &ok.into());
            }
        }
        Output::Event { target, event } => dispatch(app, sink, target, event),
        _ => {}
    }
}

/// Whether the request succeeded, and its value or rejection reason.
fn settle_js(settle: Settle, result: Result<Answer, SessionError>) -> (bool, JsValue) {
    let value = match result {
        Ok(Answer::Unit) => JsValue::UNDEFINED,
        Ok(Answer::Ack(text)) => Array::from(&parse_json(&text)).get_unchecked(0),
        Ok(Answer::Latency(rtt)) => JsValue::from_f64(rtt as f64),
        Ok(Answer::Flushed { sent, failed }) => {
            let mut o = Map::new();
            o.push("sent", sent);
            o.push("failed", failed);
            to_js(&Value::Object(o))
        }
        Ok(Answer::Synced(result)) => to_js(&result),
        Ok(Answer::Messages {
            messages,
            conflicts,
        }) => {
            let mut o = Map::new();
            o.push("messages", messages.to_json());
            o.push("conflicts", conflicts.to_json());
            to_js(&Value::Object(o))
        }
        Ok(Answer::Statuses(list)) => to_js(&list),
        Ok(Answer::Presences(list)) => list
            .iter()
            .map(super::presence::presence_js)
            .collect::<Array>()
            .into(),
        Ok(Answer::Json(v)) => to_js(&v),
        Err(e) => return (false, reject(settle, e)),
    };
    (true, value)
}

fn reject(settle: Settle, e: SessionError) -> JsValue {
    use SessionError as E;
    let code = e.code();
    let message = match (settle, e) {
        (Settle::Ack, E::Ack(error)) => return ack_error(&error),
        (Settle::SyncMessages, E::SyncStep { message, .. }) => cat!("syncMessages(): ", message),
        (Settle::Statuses, E::Delivery(DeliveryError::UnknownRequest(_))) => {
            "syncDeliveryStatus(): delivery:sync got no answer in time; statuses are re-requested on reconnect".into()
        }
        (Settle::Statuses, e) => cat!("syncDeliveryStatus(): ", e),
        (_, e) => e.message(),
    };
    super::js::coded(code, &message)
}

/// The `Error` a failed request's promise rejects with: the message, the
/// `event`, and for a server rejection its `code` (e.g. `ROOM_NOT_FOUND`).
fn ack_error(error: &AckError) -> JsValue {
    let err = js_sys::Error::new(&error.message());
    let event = match error {
        AckError::Timeout { event, .. }
        | AckError::Disconnected { event }
        | AckError::Rejected { event, .. }
        | AckError::Cancelled { event, .. } => Some(event.as_str()),
        AckError::BufferFull { .. } => None,
    };
    if let Some(e) = event {
        let _ = js_sys::Reflect::set(&err, &"event".into(), &e.into());
    }
    // The server's code for a rejection (e.g. `ROOM_NOT_FOUND`), else ours
    // (`timeout`, `disconnected`, ...).
    let code = match error {
        AckError::Rejected { code, .. } => code.as_str(),
        other => other.code(),
    };
    let _ = js_sys::Reflect::set(&err, &"code".into(), &code.into());
    err.into()
}

/// The kind and `debug` option of `target`.
fn info(app: &RefCell<App>, target: Handle) -> (ServiceKind, bool) {
    app.try_borrow()
        .map(|a| a.info(target))
        .unwrap_or((ServiceKind::Client, false))
}

fn prefix(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::Client => "client",
        ServiceKind::Presence => "presence",
        ServiceKind::Typing => "typing",
        ServiceKind::Delivery => "delivery",
        ServiceKind::Queue => "queue",
        ServiceKind::Sync => "sync",
        ServiceKind::Conflict => "conflict",
        ServiceKind::Rooms | ServiceKind::RoomManager => "rooms",
        ServiceKind::Dispatcher => "dispatcher",
    }
}

fn dispatch(app: &RefCell<App>, sink: &Function, target: Handle, event: Event) {
    let (kind, debug) = info(app, target);
    // A service nobody listens to: its events are skipped before they are
    // built (the debug log still shows them).
    let silent = !debug && app.try_borrow().is_ok_and(|a| a.silent(target));
    if silent
        && matches!(
            event,
            Event::PresenceChanged(_)
                | Event::OwnStatus { .. }
                | Event::OwnCustomStatus(_)
                | Event::Typing(_)
                | Event::Delivery(_)
                | Event::Queue(_)
                | Event::Sync(_)
                | Event::Conflict(_)
                | Event::Rooms(_)
                | Event::Dispatch(_)
        )
    {
        return;
    }
    let id = f64::from(target.0);
    let send = |topic: &str, args: &JsValue, flag: &JsValue| emit(sink, id, topic, args, flag);
    let client = |topic: &str, args: Array| send(topic, &args, &debug.into());
    match event {
        Event::State { state, previous } => {
            if debug {
                debug_log(&cat!("state ", previous.as_str(), " -> ", state.as_str()));
            }
            client(
                "state",
                super::args::list(&[&state.as_str().into(), &previous.as_str().into()]),
            );
        }
        Event::Online(online) => client("online", super::args::list(&[&online.into()])),
        // To `client.on('transport', …)` listeners, as a server event is.
        Event::Transport { transport, reason } => {
            // Both plain ASCII words: JSON strings as they are.
            let data = cat!(
                "[\"transport\",{\"transport\":\"",
                transport.as_str(),
                "\",\"reason\":\"",
                reason,
                "\"}]"
            );
            send("server", &"transport".into(), &JsValue::from_str(&data))
        }
        Event::RefreshToken => client("refreshToken", Array::new()),
        Event::Quality(q) => client("quality", super::args::list(&[&q.as_str().into()])),
        Event::Latency(avg) => client("latency", super::args::list(&[&avg.into()])),
        Event::Disconnected(reason) => {
            client("disconnect", super::args::list(&[&reason.as_str().into()]))
        }
        Event::Reconnected {
            attempts,
            was_offline,
        } => client(
            "reconnection",
            super::args::list(&[&attempts.into(), &was_offline.into()]),
        ),
        Event::ReconnectAttempt(n) => {
            if debug {
                debug_log(&cat!("reconnect attempt ", n));
            }
        }
        Event::Server { name, data } => send(
            "server",
            &JsValue::from_str(&name),
            &JsValue::from_str(&data),
        ),
        Event::Error(error) => send("error", &error_js(&error), &debug.into()),
        Event::PresenceChanged(p) => send(
            "presence",
            &super::args::list(&[&super::presence::presence_js(&p)]),
            &JsValue::UNDEFINED,
        ),
        Event::OwnStatus { status, auto } => send(
            "status",
            &super::args::list(&[&status.as_str().into(), &auto.into()]),
            &JsValue::UNDEFINED,
        ),
        Event::OwnCustomStatus(cs) => {
            let value = cs
                .as_ref()
                .map_or(JsValue::NULL, super::presence::custom_status_js);
            send(
                "customStatus",
                &super::args::list(&[&value]),
                &JsValue::UNDEFINED,
            )
        }
        Event::Typing(change) => send(
            "typing",
            &super::typing::change_args(&change),
            &JsValue::from_str(&change.room_name),
        ),
        Event::Delivery(ev) => {
            if debug {
                let u = ev.update();
                let (cid, state) = (&u.status.client_message_id, u.status.state);
                debug_log(&cat!(
                    "delivery: ",
                    ev.name(),
                    " ",
                    cid,
                    " -> ",
                    state.as_str()
                ));
            }
            let args = super::args::list(&[&ev.name().into(), &to_js(&ev)]);
            send("all", &args, &"delivery".into())
        }
        Event::Queue(ev) => service_event(sink, id, debug, "queue", ev.name(), &to_js(&ev)),
        Event::Sync(ev) => service_event(sink, id, debug, "sync", ev.name(), &to_js(&ev)),
        Event::Conflict(ev) => {
            service_event(sink, id, debug, "conflict", ev.name, &to_js(&ev.data))
        }
        Event::Dropped(e) => {
            if debug {
                debug_log(&cat!(prefix(kind), ": ", e));
            }
        }
        Event::Log(m) => debug_log(&cat!(prefix(kind), ": ", m)),
        // A subscriber's `(eventType, roomName, payload)`.
        Event::Dispatch(d) => send(
            "dispatch",
            &super::args::list(&[&d.event.into(), &d.room.into(), &to_js(&d.payload)]),
            &JsValue::UNDEFINED,
        ),
        Event::Rooms(e) => {
            let (topic, args, room) = e.wire();
            let room = room.map_or(JsValue::UNDEFINED, |r| JsValue::from_str(&r));
            send(topic, &to_js(&args), &room)
        }
    }
}

/// A queue or sync event: logged with `debug`, then to the sink.
fn service_event(sink: &Function, id: f64, debug: bool, what: &str, name: &str, data: &JsValue) {
    if debug {
        let text = js_sys::JSON::stringify(data)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        debug_log(&cat!(what, ": ", name, " ", text));
    }
    let args = super::args::list(&[&name.into(), data]);
    emit(sink, id, "all", &args, &what.into());
}

/// An `onError` report: `{code, message, ...props}`.
fn error_js(error: &ClientError) -> JsValue {
    let err = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&err, &k.into(), &v.into());
    };
    set("code", error.code());
    set("message", &error.message());
    match error {
        ClientError::BufferOverflow { event, .. } | ClientError::ReadyTimeout { event, .. } => {
            set("event", event)
        }
        ClientError::RejoinFailed { room, code, .. } => {
            set("room", room);
            set("serverCode", code);
        }
        _ => {}
    }
    err.into()
}
