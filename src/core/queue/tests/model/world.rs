//! The model's world: tabs, the lock manager, the server, and the operations.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;

use crate::core::json::{json, Value};

use super::shared::{Shared, TabStore};
use super::{config, Op, Reply, TABS};
use crate::core::queue::*;
use crate::core::Millis;

const LEADER: &str = "nchat:offline-queue:leader";

pub(super) struct Tab {
    pub(super) q: OfflineQueueService,
    pub(super) inst: usize,
    pub(super) connected: bool,
    /// Whether its queue led after its last action.
    leading: bool,
    /// When it was last granted the lock, and whether it could not know
    /// then that its view was behind (see `World::check_takeover`).
    granted: Option<(Millis, bool)>,
    /// After a takeover it could not judge: the changes (up to this global
    /// sequence number) its view lacked then. Until they reach it, its own
    /// later records hide them from it.
    unsure_upto: Option<u64>,
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
    /// Entry ids removed by hand (not by a send).
    removed_ids: BTreeSet<String>,
    pub(super) first_delivery: Vec<String>,
    pub(super) handoffs: u64,
    /// Times a tab started leading with a stale view without being able to
    /// know it (see `check_takeover`): only then can a sent entry be sent
    /// again.
    pub(super) stale_takeovers: u32,
    /// The current tenure sent while its `held` record was not stored.
    unrecorded: bool,
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
            removed_ids: BTreeSet::new(),
            first_delivery: Vec::new(),
            handoffs: 0,
            stale_takeovers: 0,
            unrecorded: false,
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
                leading: false,
                granted: None,
                unsure_upto: None,
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
        self.check_takeover(t);
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
                    let recorded = self
                        .store
                        .borrow()
                        .truth
                        .get(LEADER)
                        .is_some_and(|r| r.starts_with("held "));
                    self.unrecorded |= !recorded;
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
                QueueEffect::AcquireFlushLock { lock_id } => {
                    self.waiters.push((inst, t, lock_id));
                }
                QueueEffect::ReleaseFlushLock { lock_id } => {
                    if self.lock == Some((inst, lock_id)) {
                        self.lock = None;
                    }
                    self.waiters
                        .retain(|&(i, _, f)| !(i == inst && f == lock_id));
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
                        self.removed_ids.insert(m.id);
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
        let (inst, tab, lock_id) = self.waiters.remove(0);
        if self.tabs[tab].inst != inst {
            return;
        }
        self.lock = Some((inst, lock_id));
        self.handoffs += 1;
        // No cache sync here: a browser's lock grant is not ordered with the
        // storage changes the previous holder made before releasing it.
        let blind = {
            let s = self.store.borrow();
            let still_unsure = self.tabs[tab]
                .unsure_upto
                .is_some_and(|upto| s.unseen[tab].front().is_some_and(|c| c.0 <= upto));
            s.stale
                && (self.unrecorded
                    || still_unsure
                    || s.unseen[tab].iter().any(|(_, k, v)| {
                        k == LEADER && v.as_deref().is_some_and(|v| v.starts_with("held "))
                    }))
        };
        self.tabs[tab].granted = Some((self.now, blind));
        self.act(tab, |q, now| q.on_flush_lock_acquired(lock_id, now));
    }

    /// Tab `t` starts leading. With a stale cache it could not know it was
    /// behind the previous leader when its view lacked that leader's `held`
    /// record at the grant (or the leader sent without one stored, or the
    /// tab's view is still behind an earlier such takeover of its own), or
    /// when it led because the wait ran out (the leader went away without
    /// its release): such a takeover is counted, and what its view still
    /// lacks may be sent again (now, or once a late change adds it back).
    /// Any other new leader must see every entry the previous one removed.
    fn check_takeover(&mut self, t: usize) {
        let leading = self.tabs[t].q.holds_flush_lock();
        if leading && !self.tabs[t].leading {
            let behind = {
                let s = self.store.borrow();
                s.stale
                    && s.unseen[t].iter().any(|(_, k, v)| {
                        v.is_none()
                            && s.caches[t].contains_key(k)
                            && k.split(":m:")
                                .nth(1)
                                .is_some_and(|id| !self.removed_ids.contains(id))
                    })
            };
            let (at, blind) = self.tabs[t].granted.unwrap_or((self.now, false));
            let forced = self.store.borrow().stale && self.now >= at + TAKEOVER_WAIT_MS;
            if blind || forced {
                self.stale_takeovers += 1;
                self.tabs[t].unsure_upto = Some(self.store.borrow().seq);
            }
            assert!(
                !behind || blind || forced,
                "tab {t} leads {} ms after its grant with a view behind a removal",
                self.now - at
            );
            self.unrecorded = false;
        }
        self.tabs[t].leading = leading;
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
            leading: false,
            granted: None,
            unsure_upto: None,
        };
        self.next_inst += 1;
        self.after(tab);
    }

    /// Space back, every event delivered, every cache up to date, every tab
    /// connected; answers and hands the lock over until nothing moves.
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
                // Every change reaches every cache in the end, also the
                // changes whose storage events were lost.
                self.sync_cache(t);
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
