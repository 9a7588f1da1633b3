//! The model's world: tabs, the lock manager, the server, and the operations.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use crate::core::json::{json, Value};

use super::shared::{Shared, TabStore};
use super::{config, Op, Reply, TABS};
use crate::core::queue::*;
use crate::core::Millis;

pub(super) struct Tab {
    pub(super) q: OfflineQueueService,
    pub(super) inst: usize,
    pub(super) connected: bool,
}

struct Req {
    tab: usize,
    inst: usize,
    request_id: u64,
    cid: String,
}

/// Everything one case runs on, and what it observed.
pub(super) struct World {
    pub(super) store: Rc<RefCell<Shared>>,
    pub(super) tabs: Vec<Tab>,
    next_inst: usize,
    next_label: usize,
    now: Millis,
    lock: Option<(usize, u64)>,
    waiters: Vec<(usize, usize, u64)>,
    reqs: Vec<Req>,
    pub(super) deliveries: BTreeMap<String, u32>,
    pub(super) ambiguous: BTreeMap<String, u32>,
    /// (instance, cid, id) in queueing order.
    pub(super) queued: Vec<(usize, String, String)>,
    /// Message ids named by a `message:failed` or `queue:error`.
    pub(super) signalled: BTreeSet<String>,
    /// Client ids that were `failed` at some point or retried by hand.
    pub(super) troubled: BTreeSet<String>,
    pub(super) removed: BTreeSet<String>,
    pub(super) first_delivery: Vec<String>,
    pub(super) handoffs: u64,
    pub(super) reloads: u64,
    pub(super) not_stored_reports: u64,
}

impl World {
    pub(super) fn new(seed: u64, stale: bool) -> Self {
        let store = Rc::new(RefCell::new(Shared {
            stale,
            caches: vec![BTreeMap::new(); TABS],
            unseen: vec![VecDeque::new(); TABS],
            events: vec![VecDeque::new(); TABS],
            ..Shared::default()
        }));
        let mut w = World {
            store,
            tabs: Vec::new(),
            next_inst: 0,
            next_label: 0,
            now: 1_000,
            lock: None,
            waiters: Vec::new(),
            reqs: Vec::new(),
            deliveries: BTreeMap::new(),
            ambiguous: BTreeMap::new(),
            queued: Vec::new(),
            signalled: BTreeSet::new(),
            troubled: BTreeSet::new(),
            removed: BTreeSet::new(),
            first_delivery: Vec::new(),
            handoffs: 0,
            reloads: 0,
            not_stored_reports: 0,
        };
        for t in 0..TABS {
            let q = w.open(t, seed.wrapping_add(t as u64));
            let inst = w.next_inst;
            w.next_inst += 1;
            w.tabs.push(Tab {
                q,
                inst,
                connected: false,
            });
            w.after(t);
        }
        w
    }

    fn open(&self, tab: usize, seed: u64) -> OfflineQueueService {
        let store = TabStore {
            shared: self.store.clone(),
            tab,
        };
        OfflineQueueService::open(config(), Box::new(store), seed, self.now)
    }

    fn deliver(&mut self, cid: &str, ambiguous: bool) {
        let n = self.deliveries.entry(cid.to_owned()).or_default();
        *n += 1;
        if *n == 1 {
            self.first_delivery.push(cid.to_owned());
        }
        if ambiguous {
            *self.ambiguous.entry(cid.to_owned()).or_default() += 1;
        }
    }

    /// Runs `f` on tab `t`, then carries out its effects and queues storage
    /// events for the other tabs.
    fn act<T>(&mut self, t: usize, f: impl FnOnce(&mut OfflineQueueService, Millis) -> T) -> T {
        let now = self.now;
        let out = f(&mut self.tabs[t].q, now);
        self.after(t);
        out
    }

    fn after(&mut self, t: usize) {
        let inst = self.tabs[t].inst;
        for fx in self.tabs[t].q.drain_effects() {
            match fx {
                QueueEffect::Request {
                    request_id,
                    event,
                    payload,
                    ..
                } => {
                    assert_eq!(event, "message:send");
                    assert!(self.tabs[t].connected, "sent while disconnected");
                    let cid = payload["clientMessageId"].as_str().unwrap().to_owned();
                    assert_eq!(payload["metadata"]["clientMessageId"], json!(cid));
                    self.reqs.push(Req {
                        tab: t,
                        inst,
                        request_id,
                        cid,
                    });
                }
                QueueEffect::Event(ev) => self.record(&ev),
                QueueEffect::AcquireFlushLock { flush_id } => {
                    self.waiters.push((inst, t, flush_id));
                }
                QueueEffect::ReleaseFlushLock { flush_id } => {
                    if self.lock == Some((inst, flush_id)) {
                        self.lock = None;
                    }
                    self.waiters
                        .retain(|&(i, _, f)| !(i == inst && f == flush_id));
                }
            }
        }
    }

    fn record(&mut self, ev: &QueueEvent) {
        match ev {
            QueueEvent::Failed { message, .. } => {
                self.signalled.insert(message.id.clone());
                self.troubled.insert(message.client_message_id.clone());
            }
            QueueEvent::Error {
                message_id: Some(id),
                reason,
                ..
            } => {
                if *reason != QueueErrorReason::Corrupt {
                    self.not_stored_reports += 1;
                }
                self.signalled.insert(id.clone());
            }
            _ => {}
        }
    }

    fn ack(reply: Reply) -> Result<Value, String> {
        match reply {
            Reply::Bare | Reply::Lost => Ok(json!({"success": true})),
            Reply::MessageId => Ok(json!({"success": true, "messageId": "srv"})),
            Reply::Data => Ok(json!({"success": true, "data": {"id": "srv"}})),
            Reply::Rejected => Ok(
                json!({"success": false, "error": {"code": "RATE_LIMITED", "message": "slow down"}}),
            ),
            Reply::Transport => Err("transport error".into()),
        }
    }

    fn answer(&mut self, pick: usize, reply: Reply) {
        if self.reqs.is_empty() {
            return;
        }
        let r = self.reqs.remove(pick % self.reqs.len());
        assert_eq!(self.tabs[r.tab].inst, r.inst);
        let delivered = !matches!(reply, Reply::Rejected | Reply::Transport);
        if matches!(reply, Reply::Lost) {
            self.deliver(&r.cid, true);
            return;
        }
        let ack = Self::ack(reply);
        let res = self.act(r.tab, |q, now| q.on_response(r.request_id, ack, now));
        if delivered {
            // A late answer to a request the queue already gave up on still
            // reached the server.
            self.deliver(&r.cid, res.is_err());
        }
    }

    fn drop_requests(&mut self, t: usize, delivered: bool) {
        let (mine, rest): (Vec<Req>, Vec<Req>) = std::mem::take(&mut self.reqs)
            .into_iter()
            .partition(|r| r.tab == t);
        self.reqs = rest;
        for r in mine {
            if delivered {
                self.deliver(&r.cid, true);
            }
        }
    }

    pub(super) fn apply(&mut self, op: &Op) {
        match *op {
            Op::Enqueue { tab, n } => {
                for _ in 0..n {
                    self.next_label += 1;
                    let label = format!("m{}", self.next_label);
                    let inst = self.tabs[tab].inst;
                    let res = self.act(tab, |q, now| {
                        q.queue_message(NewMessage::text("room", &label), now)
                    });
                    if let Ok(m) = res {
                        self.queued.push((inst, m.client_message_id, m.id));
                    }
                }
            }
            Op::Connect { tab } => {
                self.tabs[tab].connected = true;
                self.act(tab, |q, now| q.on_connected(now));
            }
            Op::Disconnect { tab, delivered } => {
                self.drop_requests(tab, delivered);
                self.tabs[tab].connected = false;
                self.act(tab, |q, now| q.on_disconnected(now));
            }
            Op::GrantLock => self.grant(),
            Op::Answer { pick, reply } => self.answer(pick, reply),
            Op::Advance { ms } => {
                self.now += ms;
                for t in 0..TABS {
                    if self.tabs[t]
                        .q
                        .next_deadline()
                        .is_some_and(|d| d <= self.now)
                    {
                        self.act(t, |q, now| q.handle_timeout(now));
                    }
                }
            }
            Op::Events { tab, n } => self.events(tab, n),
            Op::Propagate { tab, n } => {
                let mut s = self.store.borrow_mut();
                let upto = s.unseen[tab]
                    .get(n - 1)
                    .or(s.unseen[tab].back())
                    .map_or(0, |c| c.0);
                s.propagate(tab, upto);
            }
            Op::DropEvents { tab } => self.store.borrow_mut().events[tab].clear(),
            Op::Reload { tab, delivered } => self.reload(tab, delivered),
            Op::Remove { tab, pick } => {
                let list = self.tabs[tab].q.get_queued_messages();
                if !list.is_empty() {
                    let m = list[pick % list.len()].clone();
                    if self.act(tab, |q, now| q.remove_message(&m.id, now)).is_ok() {
                        self.removed.insert(m.client_message_id);
                    }
                }
            }
            Op::Retry { tab, pick } => {
                let list: Vec<QueuedMessage> = self.tabs[tab]
                    .q
                    .get_queued_messages()
                    .into_iter()
                    .filter(|m| m.status == QueuedStatus::Failed)
                    .collect();
                if !list.is_empty() {
                    let m = list[pick % list.len()].clone();
                    self.troubled.insert(m.client_message_id.clone());
                    let _ = self.act(tab, |q, now| q.retry_message(&m.id, now));
                }
            }
            Op::Flush { tab } => {
                self.act(tab, |q, now| q.flush_queue(now));
            }
            Op::Full(full) => {
                let mut s = self.store.borrow_mut();
                s.quota = full.then(|| s.used());
            }
        }
    }

    /// Delivers tab `tab`'s next `n` storage events (its cache holds the
    /// change by then, as in a browser).
    fn events(&mut self, tab: usize, n: usize) {
        for _ in 0..n {
            let next = {
                let mut s = self.store.borrow_mut();
                let next = s.events[tab].pop_front();
                if let Some((seq, _)) = next {
                    s.propagate(tab, seq);
                }
                next
            };
            let Some((_, key)) = next else { return };
            self.act(tab, |q, now| q.on_storage_changed(Some(&key), now));
        }
    }

    fn sync_cache(&mut self, tab: usize) {
        self.store.borrow_mut().propagate(tab, u64::MAX);
    }

    fn grant(&mut self) {
        if self.lock.is_some() || self.waiters.is_empty() {
            return;
        }
        let (inst, tab, flush_id) = self.waiters.remove(0);
        if self.tabs[tab].inst != inst {
            return;
        }
        self.lock = Some((inst, flush_id));
        self.handoffs += 1;
        // Model assumption: the lock's new holder sees what the previous
        // holder wrote before releasing it.
        self.sync_cache(tab);
        self.act(tab, |q, now| q.on_flush_lock_acquired(flush_id, now));
    }

    fn reload(&mut self, tab: usize, delivered: bool) {
        self.reloads += 1;
        self.drop_requests(tab, delivered);
        let old = self.tabs[tab].inst;
        if self.lock.is_some_and(|(i, _)| i == old) {
            self.lock = None;
        }
        self.waiters.retain(|&(i, _, _)| i != old);
        self.sync_cache(tab);
        self.store.borrow_mut().events[tab].clear();
        let q = self.open(tab, 0x5eed ^ self.next_inst as u64);
        self.tabs[tab] = Tab {
            q,
            inst: self.next_inst,
            connected: false,
        };
        self.next_inst += 1;
        self.after(tab);
    }

    /// Space back, every event delivered, every tab connected; answers and
    /// hands the lock over until nothing moves.
    pub(super) fn drain(&mut self) {
        self.store.borrow_mut().quota = None;
        for t in 0..TABS {
            self.tabs[t].connected = true;
            self.act(t, |q, now| q.on_connected(now));
        }
        let mut idle_rounds = 0;
        for _ in 0..20_000 {
            for t in 0..TABS {
                self.events(t, usize::MAX);
            }
            if self.lock.is_none() && !self.waiters.is_empty() {
                self.grant();
            } else if !self.reqs.is_empty() {
                self.answer(0, Reply::Bare);
            } else if let Some(d) = self.tabs.iter().filter_map(|t| t.q.next_deadline()).min() {
                self.now = self.now.max(d);
                for t in 0..TABS {
                    if self.tabs[t]
                        .q
                        .next_deadline()
                        .is_some_and(|d| d <= self.now)
                    {
                        self.act(t, |q, now| q.handle_timeout(now));
                    }
                }
            } else if idle_rounds < 2 {
                idle_rounds += 1;
                for t in 0..TABS {
                    self.act(t, |q, now| q.flush_queue(now));
                }
                continue;
            } else {
                return;
            }
            idle_rounds = 0;
        }
        panic!("the queues did not drain");
    }
}
