//! App emits and the requests waiting for an answer: buffering while not
//! connected, ack ids, deadlines, and what a lost link does to each request.

use super::{AckError, Buffered, Connection, ConnectionError, Effect, Kind, Phase, Request};
use crate::core::ack::{classify_ack, AckOutcome};
use crate::core::codec::{event_payload, SocketKind, SocketPacket};
use crate::core::Millis;

/// Event names Socket.IO reserves.
const RESERVED: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// The answer to a leave whose link was lost: the next connection is a new
/// socket that is in no room, so the room is left.
const LEFT_WITH_THE_LINK: &str = r#"[{"success":true}]"#;

/// Whether an emit's argument is an object with a non-empty string
/// `clientMessageId`: the server de-duplicates those, so they are re-sent
/// after a lost link instead of failing.
fn carries_client_message_id(arg_json: &str) -> bool {
    arg_json.trim_start().starts_with('{')
        && crate::core::json::from_str(arg_json).is_ok_and(|a| {
            a.get("clientMessageId")
                .and_then(|id| id.as_str())
                .is_some_and(|id| !id.is_empty())
        })
}

/// `[data]` of an accepted ack's first argument, `[]` without one.
fn ack_data(args_json_array: &str) -> String {
    let data = crate::core::json::from_str(args_json_array)
        .ok()
        .and_then(|a| a.get(0)?.get("data").map(|d| d.to_text()));
    crate::core::decimal::cat!('[', data.as_deref().unwrap_or(""), ']')
}

impl Connection {
    /// Emits `name` with one JSON argument (`None`: no argument). Sent at once
    /// when connected, else buffered; `false` when refused (buffer full; a
    /// `BufferOverflow` effect reports it).
    pub fn emit(
        &mut self,
        name: &str,
        arg_json: Option<&str>,
        _now: Millis,
    ) -> Result<bool, ConnectionError> {
        let data = Self::payload(name, arg_json)?;
        if self.phase == Phase::Live {
            self.send_event(&data, None);
            return Ok(true);
        }
        Ok(self.buffer_event(name, data, None))
    }

    /// Emits only if connected; dropped otherwise. Returns whether it was sent.
    pub fn emit_volatile(
        &mut self,
        name: &str,
        arg_json: Option<&str>,
    ) -> Result<bool, ConnectionError> {
        let data = Self::payload(name, arg_json)?;
        let live = self.phase == Phase::Live;
        if live {
            self.send_event(&data, None);
        }
        Ok(live)
    }

    /// Emits `name` asking for an ack; returns a request id answered by
    /// `AckOk` or `AckErr` (timeout, disconnect, full buffer). One whose
    /// argument carries a `clientMessageId` does not fail when the link
    /// drops: it is re-sent, in order, after the next connect, until its own
    /// deadline (`Timeout`); `disconnect()` still fails it.
    pub fn emit_with_ack(
        &mut self,
        name: &str,
        arg_json: Option<&str>,
        timeout_ms: Option<Millis>,
        now: Millis,
    ) -> Result<u64, ConnectionError> {
        self.emit_ack(name, arg_json, timeout_ms, false, now)
    }

    /// [`Self::emit_with_ack`] answered as nchat's `emitAsync`: a
    /// `{success:true, data}` ack answers `[data]` (`[]` without `data`), a
    /// `{success:false, error}` one fails as [`AckError::Rejected`]; any other
    /// ack (a plain Socket.IO server's) answers as it is.
    pub fn emit_for_data(
        &mut self,
        name: &str,
        arg_json: Option<&str>,
        timeout_ms: Option<Millis>,
        now: Millis,
    ) -> Result<u64, ConnectionError> {
        self.emit_ack(name, arg_json, timeout_ms, true, now)
    }

    fn emit_ack(
        &mut self,
        name: &str,
        arg_json: Option<&str>,
        timeout_ms: Option<Millis>,
        unwrap: bool,
        now: Millis,
    ) -> Result<u64, ConnectionError> {
        let data = Self::payload(name, arg_json)?;
        let resend = arg_json
            .filter(|a| carries_client_message_id(a))
            .map(|_| data.clone());
        let timeout_ms = timeout_ms.unwrap_or(self.cfg.ack_timeout_ms);
        let request = self.new_request(
            name,
            timeout_ms,
            now,
            Kind::App {
                resend,
                data: unwrap,
            },
        );
        if self.phase == Phase::Live {
            self.send_event(&data, Some(request));
        } else if !self.buffer_event(name, data, Some(request)) {
            let limit = self.cfg.buffer_limit;
            self.fail_request(request, AckError::BufferFull { limit });
        }
        Ok(request)
    }

    /// Answers a server event that asked for an ack, with one JSON argument.
    pub fn ack(&mut self, ack_id: u64, arg_json: Option<&str>) -> Result<(), ConnectionError> {
        let data = match arg_json {
            Some(a) => {
                Self::check_json(a)?;
                crate::core::decimal::cat!('[', a, ']')
            }
            None => "[]".into(),
        };
        if self.phase >= Phase::AwaitingReady && self.wire.active == super::Transport::SocketIo {
            let nsp = self.cfg.namespace.clone();
            self.send_socket(SocketKind::Ack, &nsp, Some(ack_id), Some(&data));
        }
        Ok(())
    }

    fn payload(name: &str, arg_json: Option<&str>) -> Result<String, ConnectionError> {
        if name.is_empty() {
            return Err(ConnectionError::BadEventName(name.into(), "it is empty"));
        }
        if RESERVED.contains(&name) {
            return Err(ConnectionError::BadEventName(
                name.into(),
                "it is reserved by Socket.IO",
            ));
        }
        if let Some(a) = arg_json {
            Self::check_json(a)?;
        }
        Ok(event_payload(name, arg_json))
    }

    fn check_json(text: &str) -> Result<(), ConnectionError> {
        crate::core::json::validate(text).map_err(|e| ConnectionError::BadPayload(e.describe()))
    }

    fn buffer_event(&mut self, name: &str, data: String, request: Option<u64>) -> bool {
        if self.buffer.len() >= self.cfg.buffer_limit {
            self.effects.push_back(Effect::BufferOverflow {
                event: name.into(),
                limit: self.cfg.buffer_limit,
            });
            return false;
        }
        self.buffer.push_back(Buffered { data, request });
        true
    }

    /// Forgets `request` without an answer: not sent again after a lost
    /// link, its late ack ignored. For a caller that retries by itself (the
    /// offline queue). Whether it was pending.
    pub fn cancel(&mut self, request: u64) -> bool {
        self.buffer.retain(|b| b.request != Some(request));
        self.remove_request(request).is_some()
    }

    pub(super) fn new_request(
        &mut self,
        event: &str,
        timeout_ms: Millis,
        now: Millis,
        kind: Kind,
    ) -> u64 {
        let request = self.next_request_id();
        let deadline = now.saturating_add(timeout_ms);
        self.requests.insert(
            request,
            Request {
                event: event.into(),
                deadline,
                timeout_ms,
                ack_id: None,
                kind,
            },
        );
        self.deadlines.insert((deadline, request));
        request
    }

    pub(super) fn next_request_id(&mut self) -> u64 {
        let id = self.next_request;
        self.next_request = self.next_request.wrapping_add(1).max(1);
        id
    }

    pub(super) fn remove_request(&mut self, request: u64) -> Option<Request> {
        let r = self.requests.remove(&request)?;
        self.deadlines.remove(&(r.deadline, request));
        if let Some(id) = r.ack_id {
            self.ack_to_request.remove(&id);
        }
        Some(r)
    }

    fn fail_request(&mut self, request: u64, error: AckError) {
        if self.remove_request(request).is_some() {
            self.effects.push_back(Effect::AckErr { request, error });
        }
    }

    /// An ACK packet: settles the request it answers, by kind.
    pub(super) fn on_ack(&mut self, ack_id: Option<u64>, data: &str, now: Millis) {
        if let Some(request) = ack_id.and_then(|id| self.ack_to_request.remove(&id)) {
            self.settle(request, data, now);
        }
    }

    /// The answer `data` (the ack's JSON array) of `request`, by its kind.
    pub(super) fn settle(&mut self, request: u64, data: &str, now: Millis) {
        if self.probe.is_some_and(|p| p.request == request) {
            return self.finish_probe(now);
        }
        let Some(r) = self.remove_request(request) else {
            return;
        };
        let ok = Effect::AckOk {
            request,
            data: data.to_owned(),
        };
        match r.kind {
            Kind::App { data: true, .. } => match classify_ack(data) {
                AckOutcome::Accepted { .. } => self.effects.push_back(Effect::AckOk {
                    request,
                    data: ack_data(data),
                }),
                AckOutcome::Rejected { code, message } => {
                    self.push_rejected(request, &r.event, &code, &message)
                }
                AckOutcome::Malformed { .. } => self.effects.push_back(ok),
            },
            Kind::App { .. } | Kind::Probe => self.effects.push_back(ok),
            Kind::Join(room) => self.on_join_answer(request, &room, data),
            Kind::Leave => match classify_ack(data) {
                AckOutcome::Rejected { code, message } => {
                    self.push_rejected(request, &r.event, &code, &message)
                }
                _ => self.effects.push_back(ok),
            },
            Kind::Rejoin { room, stale } => {
                self.on_rejoin_answer(request, (&room, stale), data, now)
            }
        }
    }

    /// Fails every request whose deadline passed (a re-join's ends the wait for it).
    pub(super) fn expire_requests(&mut self, now: Millis) {
        while let Some(&(deadline, request)) = self.deadlines.first() {
            if deadline > now {
                break;
            }
            let Some(r) = self.remove_request(request) else {
                self.deadlines.pop_first();
                continue;
            };
            match r.kind {
                Kind::Rejoin { room, stale } => {
                    self.on_rejoin_timeout(request, (&room, stale), r.timeout_ms, now)
                }
                _ => self.effects.push_back(Effect::AckErr {
                    request,
                    error: AckError::Timeout {
                        event: r.event,
                        timeout_ms: r.timeout_ms,
                    },
                }),
            }
        }
    }

    /// The link is gone and with it every answer in flight. Per request sent:
    /// an app emit fails (`Disconnected`) unless it carries a
    /// `clientMessageId`, then it goes back to the buffer ahead of newer
    /// emits; an app join waits for the next re-join phase; a leave is done;
    /// a re-join is forgotten.
    pub(super) fn requests_on_link_lost(&mut self) {
        let sent: Vec<u64> = self
            .requests
            .iter()
            .filter(|(_, r)| r.ack_id.is_some())
            .map(|(id, _)| *id)
            .collect();
        // In id order already: the map iterates by key.
        self.ack_to_request.clear();
        self.rejoin_wait.clear();
        let mut resend = Vec::new();
        for id in sent {
            let Some(r) = self.requests.get_mut(&id) else {
                continue;
            };
            r.ack_id = None;
            let keep = match &r.kind {
                Kind::App {
                    resend: Some(data), ..
                } => {
                    resend.push(Buffered {
                        data: data.clone(),
                        request: Some(id),
                    });
                    true
                }
                Kind::Join(room) => self.rooms.contains(room), // parked
                _ => false,
            };
            if keep {
                continue;
            }
            let Some(r) = self.remove_request(id) else {
                continue;
            };
            match r.kind {
                Kind::Leave => self.effects.push_back(Effect::AckOk {
                    request: id,
                    data: LEFT_WITH_THE_LINK.into(),
                }),
                Kind::Rejoin { .. } | Kind::Probe => {}
                Kind::App { .. } | Kind::Join(_) => self.effects.push_back(Effect::AckErr {
                    request: id,
                    error: AckError::Disconnected { event: r.event },
                }),
            }
        }
        for b in resend.into_iter().rev() {
            self.buffer.push_front(b);
        }
    }

    /// `disconnect()` or an auth refusal: every request fails, buffered ones
    /// included (plain buffered emits stay for the next `connect`).
    pub(super) fn fail_all_requests(&mut self) {
        self.cancel_probe();
        let ids: Vec<u64> = self.requests.keys().copied().collect();
        // In id order already: the map iterates by key.
        for id in ids {
            let Some(r) = self.remove_request(id) else {
                continue;
            };
            if !matches!(r.kind, Kind::Rejoin { .. } | Kind::Probe) {
                self.effects.push_back(Effect::AckErr {
                    request: id,
                    error: AckError::Disconnected { event: r.event },
                });
            }
        }
        self.rejoin_wait.clear();
        self.buffer.retain(|b| b.request.is_none());
    }

    pub(super) fn send_event(&mut self, data: &str, request: Option<u64>) {
        if self.wire.active != super::Transport::SocketIo {
            return self.http_send(data, request);
        }
        let ack_id = request.map(|r| {
            let id = self.next_ack;
            self.next_ack = self.next_ack.wrapping_add(1);
            self.ack_to_request.insert(id, r);
            if let Some(req) = self.requests.get_mut(&r) {
                req.ack_id = Some(id);
            }
            id
        });
        let nsp = self.cfg.namespace.clone();
        self.send_socket(SocketKind::Event, &nsp, ack_id, Some(data));
    }

    pub(super) fn send_socket(
        &mut self,
        kind: SocketKind,
        nsp: &str,
        id: Option<u64>,
        data: Option<&str>,
    ) {
        let frame = SocketPacket {
            kind,
            nsp,
            id,
            data,
        }
        .encode_frame();
        self.effects.push_back(Effect::Send(frame));
    }
}
