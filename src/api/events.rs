//! The session's app outputs as JavaScript: events to the listeners of
//! their target, completions to their promises. Listeners are taken out of
//! the app state before any of them is called, so they may call back in.

use std::cell::RefCell;

use js_sys::{Array, Function};
use wasm_bindgen::prelude::*;

use super::hub::{App, Settle, Topic};
use super::js::{
    call, call_listeners, debug_log, event_data, parse_json, thrown_message, to_js, Deferred,
};
use crate::core::connection::AckError;
use crate::core::delivery::DeliveryError;
use crate::core::session::{Answer, ClientError, Event, Handle, Output, ServiceKind, SessionError};

/// One app output of the driver.
pub(crate) fn deliver(app: &RefCell<App>, output: Output) {
    match output {
        Output::Done { ticket, result } => {
            let pending = app.try_borrow_mut().ok().and_then(|mut a| {
                let pos = a.tickets.iter().position(|(t, ..)| *t == ticket)?;
                Some(a.tickets.swap_remove(pos))
            });
            if let Some((_, deferred, settle)) = pending {
                settle_js(deferred, settle, result);
            }
        }
        Output::Event { target, event } => dispatch(app, target, event),
        _ => {}
    }
}

fn settle_js(d: Deferred, settle: Settle, result: Result<Answer, SessionError>) {
    let value = match result {
        Ok(Answer::Unit) => JsValue::UNDEFINED,
        Ok(Answer::Ack(text)) => Array::from(&parse_json(&text)).get(0),
        Ok(Answer::Latency(rtt)) => JsValue::from_f64(rtt as f64),
        Ok(Answer::Flushed { sent, failed }) => {
            to_js(&serde_json::json!({ "sent": sent, "failed": failed }))
        }
        Ok(Answer::Synced(result)) => to_js(&result),
        Ok(Answer::Messages {
            messages,
            conflicts,
        }) => to_js(&serde_json::json!({ "messages": messages, "conflicts": conflicts })),
        Ok(Answer::Statuses(list)) => to_js(&list),
        Err(e) => return reject(d, settle, e),
    };
    d.resolve(&value);
}

fn reject(d: Deferred, settle: Settle, e: SessionError) {
    use SessionError as E;
    let message = match (settle, e) {
        (Settle::Ack, E::Ack(error)) => return d.reject_with(&ack_error(&error)),
        (Settle::Flush, E::Disposed(_)) => "the OfflineQueueService was disposed".into(),
        (Settle::Sync | Settle::SyncMessages, E::Disposed(_)) => {
            "the SyncService was disposed".into()
        }
        (Settle::SyncMessages, E::SyncStep { message, .. }) => format!("syncMessages(): {message}"),
        (Settle::Statuses, E::Disposed(_)) => {
            "syncDeliveryStatus(): the DeliveryEventHandler was disposed".into()
        }
        (Settle::Statuses, E::Delivery(DeliveryError::UnknownRequest(_))) => {
            "syncDeliveryStatus(): delivery:status got no answer in time; statuses are re-requested on reconnect".into()
        }
        (Settle::Statuses, e) => format!("syncDeliveryStatus(): {e}"),
        (_, e) => e.to_string(),
    };
    d.reject(&message);
}

/// The `Error` a failed request's promise rejects with: the message, the
/// `event`, and for a server rejection its `code` (e.g. `ROOM_NOT_FOUND`).
fn ack_error(error: &AckError) -> JsValue {
    let err = js_sys::Error::new(&error.to_string());
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
    if let AckError::Rejected { code, .. } = error {
        let _ = js_sys::Reflect::set(&err, &"code".into(), &code.as_str().into());
    }
    err.into()
}

/// The listeners of `target` on topics `pick` chooses, and its options.
fn listeners(
    app: &RefCell<App>,
    target: Handle,
    pick: impl Fn(&Topic) -> bool,
) -> (Vec<Function>, ServiceKind, bool) {
    match app.try_borrow_mut() {
        Ok(mut a) => {
            let (kind, debug) = a.info(target);
            (a.take(target, pick), kind, debug)
        }
        Err(_) => (Vec::new(), ServiceKind::Client, false),
    }
}

fn prefix(kind: ServiceKind) -> &'static str {
    match kind {
        ServiceKind::Client => "client",
        ServiceKind::Presence => "presence",
        ServiceKind::Typing => "typing",
        ServiceKind::Delivery => "delivery",
        ServiceKind::Queue => "queue",
        ServiceKind::Sync => "sync",
    }
}

fn dispatch(app: &RefCell<App>, target: Handle, event: Event) {
    let is = |t: Topic| move |topic: &Topic| *topic == t;
    match event {
        Event::State { state, previous } => {
            let (fns, _, debug) = listeners(app, target, is(Topic::State));
            if debug {
                debug_log(&format!(
                    "state {} -> {}",
                    previous.as_str(),
                    state.as_str()
                ));
            }
            let args = Array::of2(&state.as_str().into(), &previous.as_str().into());
            call_client(app, "stateChange", &fns, &args);
        }
        Event::Online(online) => {
            let (fns, ..) = listeners(app, target, is(Topic::Online));
            call_client(
                app,
                "offlineStatusChange",
                &fns,
                &Array::of1(&online.into()),
            );
        }
        Event::Quality(q) => {
            let (fns, ..) = listeners(app, target, is(Topic::Quality));
            call_client(app, "qualityChange", &fns, &Array::of1(&q.as_str().into()));
        }
        Event::Disconnected(reason) => {
            let (fns, ..) = listeners(app, target, is(Topic::Disconnect));
            call_client(
                app,
                "disconnect",
                &fns,
                &Array::of1(&reason.as_str().into()),
            );
        }
        Event::ReconnectAttempt(n) => {
            if listeners(app, target, |_| false).2 {
                debug_log(&format!("reconnect attempt {n}"));
            }
        }
        Event::Server { name, data } => {
            let topic = Topic::Server(name.clone());
            let (fns, ..) = listeners(app, target, |t| *t == topic);
            if fns.is_empty() {
                return;
            }
            let args = Array::from(&parse_json(&data));
            args.shift();
            call_client(app, &name, &fns, &args);
        }
        Event::Error(error) => report(app, target, &error),
        Event::PresenceChanged(p) => {
            let (fns, ..) = listeners(app, target, is(Topic::Presence));
            let args = Array::of1(&super::presence::presence_js(&p));
            call_each(&fns, &args, "PresenceService onPresenceChange");
        }
        Event::OwnStatus { status, auto } => {
            let (fns, ..) = listeners(app, target, is(Topic::Status));
            let args = Array::of2(&status.as_str().into(), &auto.into());
            call_each(&fns, &args, "PresenceService onStatusChange");
        }
        Event::OwnCustomStatus(cs) => {
            let (fns, ..) = listeners(app, target, is(Topic::CustomStatus));
            let value = cs
                .as_ref()
                .map_or(JsValue::NULL, super::presence::custom_status_js);
            call_each(
                &fns,
                &Array::of1(&value),
                "PresenceService onCustomStatusChange",
            );
        }
        Event::Typing(change) => {
            let room = change.room_name.clone();
            let (fns, ..) = listeners(app, target, |t| {
                *t == Topic::TypingAll || matches!(t, Topic::TypingRoom(r) if *r == room)
            });
            let args = super::typing::change_args(&change);
            call_each(&fns, &args, "TypingService");
        }
        Event::Delivery(ev) => {
            let (fns, _, debug) = listeners(app, target, is(Topic::All));
            if debug {
                let u = ev.update();
                let (cid, state) = (&u.status.client_message_id, u.status.state);
                debug_log(&format!("delivery: {} {cid} -> {state}", ev.name()));
            }
            call_listeners("delivery", &fns, ev.name(), &event_data(&ev));
        }
        Event::Queue(ev) => service_event(app, target, "queue", ev.name(), &event_data(&ev)),
        Event::Sync(ev) => service_event(app, target, "sync", ev.name(), &event_data(&ev)),
        Event::Dropped(e) => {
            let (_, kind, debug) = listeners(app, target, |_| false);
            if debug {
                debug_log(&format!("{}: {e}", prefix(kind)));
            }
        }
        Event::Log(m) => {
            let (_, kind, _) = listeners(app, target, |_| false);
            debug_log(&format!("{}: {m}", prefix(kind)));
        }
    }
}

/// A queue or sync event: logged with `debug`, then to every listener.
fn service_event(app: &RefCell<App>, target: Handle, what: &str, name: &str, data: &JsValue) {
    let (fns, _, debug) = listeners(app, target, |t| *t == Topic::All);
    if debug {
        let text = js_sys::JSON::stringify(data)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_default();
        debug_log(&format!("{what}: {name} {text}"));
    }
    call_listeners(what, &fns, name, data);
}

/// An `onError` report: `{code, message, ...props}` to the client's
/// listeners (logged when `debug` or when nobody listens).
fn report(app: &RefCell<App>, target: Handle, error: &ClientError) {
    let (fns, _, debug) = listeners(app, target, |t| *t == Topic::Error);
    let code = error.code();
    let message = error.to_string();
    if debug || fns.is_empty() {
        debug_log(&format!("{code}: {message}"));
    }
    let err = js_sys::Object::new();
    let set = |k: &str, v: &str| {
        let _ = js_sys::Reflect::set(&err, &k.into(), &v.into());
    };
    set("code", code);
    set("message", &message);
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
    for f in fns {
        let _ = call(&f, &Array::of1(&err));
    }
}

/// Calls client listeners; one that throws is reported through `onError`
/// (code `listener`).
fn call_client(app: &RefCell<App>, event: &str, fns: &[Function], args: &Array) {
    for f in fns {
        if let Err(e) = call(f, args) {
            listener_threw(app, event, &e);
        }
    }
}

fn listener_threw(app: &RefCell<App>, event: &str, thrown: &JsValue) {
    let (fns, _, debug) = listeners(app, Handle::CLIENT, |t| *t == Topic::Error);
    let message = format!("a listener of {event:?} threw: {}", thrown_message(thrown));
    if debug || fns.is_empty() {
        debug_log(&format!("listener: {message}"));
    }
    let err = js_sys::Object::new();
    for (k, v) in [
        ("code", "listener"),
        ("message", &message),
        ("event", event),
    ] {
        let _ = js_sys::Reflect::set(&err, &k.into(), &v.into());
    }
    for f in fns {
        let _ = call(&f, &Array::of1(&err));
    }
}

/// Calls service callbacks; one that throws is logged, the others run.
fn call_each(fns: &[Function], args: &Array, what: &str) {
    for f in fns {
        if let Err(e) = call(f, args) {
            super::args::report_callback_error(what, &e);
        }
    }
}
