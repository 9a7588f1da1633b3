//! Latency and liveness probes: a `ping` event answered by an ack or a
//! `pong` event, one in flight at a time, sent only while connected.

use super::{AckError, Connection, Effect, Kind, Phase, Probe};
use crate::core::codec::event_payload;
use crate::core::Millis;

/// The probe event.
const PROBE_EVENT: &str = "ping";
/// The server's answer event (the nself server answers `ping` this way).
pub(super) const PROBE_REPLY: &str = "pong";

impl Connection {
    /// Takes a latency sample now; answered by a `Latency` effect with the
    /// returned request id, or an `AckErr` on timeout.
    pub fn measure_latency(&mut self, now: Millis) -> u64 {
        self.start_probe(false, now)
    }

    pub(super) fn start_probe(&mut self, liveness: bool, now: Millis) -> u64 {
        let answer = if liveness {
            None
        } else {
            Some(self.next_request_id())
        };
        if let Some(p) = self.probe.as_mut() {
            // One probe in flight at a time: a new request rides on it.
            p.liveness |= liveness;
            let replaced = answer.and_then(|a| p.answer.replace(a));
            let request = p.request;
            if let Some(old) = replaced {
                self.push_probe_timeout(old, 0);
            }
            return answer.unwrap_or(request);
        }
        let request = self.new_request(PROBE_EVENT, self.cfg.probe_timeout_ms, now, Kind::Probe);
        self.probe = Some(Probe {
            request,
            sent_at: now,
            liveness,
            answer,
        });
        if self.phase == Phase::Live {
            self.send_probe(request, now);
        }
        answer.unwrap_or(request)
    }

    /// Going live: a `measure_latency` asked for while not connected is
    /// sent now, timed from now.
    pub(super) fn send_waiting_probe(&mut self, now: Millis) {
        let Some(p) = self.probe.as_mut() else {
            return;
        };
        let request = p.request;
        if self
            .requests
            .get(&request)
            .is_some_and(|r| r.ack_id.is_none())
        {
            p.sent_at = now;
            self.send_probe(request, now);
        }
    }

    fn send_probe(&mut self, request: u64, now: Millis) {
        let arg = crate::core::decimal::cat!("{\"timestamp\":", now, '}');
        let data = event_payload(PROBE_EVENT, Some(&arg));
        self.send_event(&data, Some(request));
    }

    pub(super) fn finish_probe(&mut self, now: Millis) {
        let Some(p) = self.probe.take() else {
            return;
        };
        self.remove_request(p.request);
        let rtt = now.saturating_sub(p.sent_at);
        self.window.push(rtt);
        self.effects.push_back(Effect::Latency {
            request: p.answer,
            rtt,
        });
        let q = self.window.quality();
        if q != self.quality {
            self.quality = q;
            self.effects
                .push_back(Effect::QualityChanged { quality: q });
        }
    }

    /// An unanswered probe drops the link (liveness) or fails its request;
    /// the quality timer starts the next sample.
    pub(super) fn probe_timeouts(&mut self, now: Millis) {
        if let Some(p) = self.probe {
            if self
                .requests
                .get(&p.request)
                .is_some_and(|r| now >= r.deadline)
            {
                self.probe = None;
                self.remove_request(p.request);
                if p.liveness {
                    self.drop_transport(super::DisconnectReason::PingTimeout, now);
                } else if let Some(answer) = p.answer {
                    self.push_probe_timeout(answer, self.cfg.probe_timeout_ms);
                }
            }
        }
        if self.phase == Phase::Live && self.quality_at.is_some_and(|d| now >= d) {
            self.quality_at = Some(now.saturating_add(self.cfg.quality_interval_ms));
            if self.probe.is_none() {
                self.start_probe(false, now);
            }
        }
    }

    /// Drops the probe with the link; a `measure_latency` waiting on it fails.
    pub(super) fn cancel_probe(&mut self) {
        if let Some(p) = self.probe.take() {
            self.remove_request(p.request);
            if let Some(request) = p.answer {
                self.effects.push_back(Effect::AckErr {
                    request,
                    error: AckError::Disconnected {
                        event: PROBE_EVENT.into(),
                    },
                });
            }
        }
    }

    fn push_probe_timeout(&mut self, request: u64, timeout_ms: Millis) {
        self.effects.push_back(Effect::AckErr {
            request,
            error: AckError::Timeout {
                event: PROBE_EVENT.into(),
                timeout_ms,
            },
        });
    }
}
