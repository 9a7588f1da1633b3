//! The queues' cross-tab flush lock: Web Locks through the host, or a lease
//! in the storage that the session runs itself on deadlines (no periodic
//! timer: a held lease is renewed at its half-life, a waiting one looks
//! again when the holder's lease would expire, at least [`LEASE_POLL_MS`]
//! apart, and when another tab changes its key).
//!
//! The lease stores `{owner, expiresAt}` under the lock's name; a tab that
//! dies holding it blocks the others for at most [`LEASE_MS`]. A holder that
//! could not renew in time (a throttled timer) and finds another owner has
//! lost it: its queue is told, so two tabs never send as leaders.

use super::{relay, Handle, LockId, Output, Session};
use crate::core::json;
use crate::core::store::KeyValueStore;
use crate::core::Millis;

/// How a queue's flush lock coordinates with other tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Web Locks through the host (`Output::AcquireLock`); the storage lease
    /// where the host has none.
    Auto,
    /// Always the storage lease.
    Lease,
}

/// How long a lease lasts without renewal.
pub const LEASE_MS: Millis = 10_000;
/// How often a waiting lease looks again.
pub const LEASE_POLL_MS: Millis = 250;

/// The stored lease: `{owner, expiresAt}`.
struct LeaseDoc {
    owner: String,
    expires_at: Millis,
}

impl LeaseDoc {
    /// Reads a stored lease; `None` for anything else.
    fn parse(text: &str) -> Option<Self> {
        let doc = json::from_str(text).ok()?;
        let doc = doc.as_object()?;
        Some(LeaseDoc {
            owner: doc.str_field("owner").ok()?,
            expires_at: doc.u64_field("expiresAt").ok()?,
        })
    }

    /// The stored text.
    fn text(&self) -> String {
        let mut o = json::Map::new();
        o.push("owner", self.owner.as_str());
        o.push("expiresAt", self.expires_at);
        json::Value::Object(o).to_text()
    }
}

/// A lease, waiting or held.
#[derive(Debug)]
struct Lease {
    owner: String,
    held: bool,
    expires_at: Millis,
    /// When to try (waiting) or renew (held) next.
    check_at: Millis,
    /// When the other owner's lease seen last expires.
    other_expires_at: Option<Millis>,
}

impl Lease {
    /// Takes or renews the lease under `key`; true when this owner holds it
    /// afterwards. A storage that cannot be read or written holds no lease
    /// for anyone: it is taken (the queue re-reads the store before each
    /// send and the server de-duplicates by clientMessageId).
    fn try_take(&mut self, store: &mut dyn KeyValueStore, key: &str, now: Millis) -> bool {
        match store.get(key) {
            Err(_) => return true,
            Ok(Some(text)) => {
                if let Some(doc) = LeaseDoc::parse(&text) {
                    if doc.owner != self.owner && doc.expires_at > now {
                        self.other_expires_at = Some(doc.expires_at);
                        return false;
                    }
                }
            }
            Ok(None) => {}
        }
        let expires_at = now.saturating_add(LEASE_MS);
        let doc = LeaseDoc {
            owner: self.owner.clone(),
            expires_at,
        };
        let text = doc.text();
        if store.set(key, &text).is_err() {
            return true;
        }
        self.expires_at = expires_at;
        // Read back: the last writer of a race wins.
        matches!(store.get(key), Ok(Some(t))
            if LeaseDoc::parse(&t).is_some_and(|d| d.owner == self.owner))
    }

    /// Removes the lease if this owner holds it.
    fn release(&mut self, store: &mut dyn KeyValueStore, key: &str) {
        if !std::mem::take(&mut self.held) {
            return;
        }
        if let Ok(Some(text)) = store.get(key) {
            if LeaseDoc::parse(&text).is_some_and(|d| d.owner == self.owner) {
                let _ = store.remove(key);
            }
        }
    }
}

#[derive(Debug)]
enum Kind {
    /// Web Locks, held by the host.
    Web,
    /// The storage lease.
    Lease(Lease),
}

#[derive(Debug)]
struct Lock {
    id: LockId,
    queue: Handle,
    /// The queue's id of this request.
    lock_id: u64,
    name: String,
    owner: String,
    kind: Kind,
}

/// The lock requests of the session's queues.
#[derive(Debug, Default)]
pub(super) struct Locks {
    next: u64,
    /// A few at a time: a list.
    entries: Vec<Lock>,
}

impl Locks {
    /// The earliest lease check, and the queue it is for.
    pub fn next_deadline(&self) -> Option<(Millis, Handle)> {
        self.entries
            .iter()
            .filter_map(|l| match &l.kind {
                Kind::Lease(lease) => Some((lease.check_at, l.queue)),
                Kind::Web => None,
            })
            .min()
    }
}

fn lease(owner: &str, now: Millis) -> Kind {
    Kind::Lease(Lease {
        owner: owner.to_owned(),
        held: false,
        expires_at: 0,
        // The first try is a deadline due now: the grant comes after the
        // call that asked for it, as a Web Lock's would.
        check_at: now,
        other_expires_at: None,
    })
}

impl Session {
    /// Asks for the flush lock `name` for `queue`'s request `lock_id`.
    pub(super) fn request_lock(
        &mut self,
        queue: Handle,
        lock_id: u64,
        name: String,
        owner: String,
        mode: LockMode,
    ) -> LockId {
        self.locks.next = self.locks.next.wrapping_add(1);
        let id = LockId(self.locks.next);
        let kind = match mode {
            LockMode::Auto => {
                self.outputs.push_back(Output::AcquireLock {
                    lock: id,
                    name: name.clone(),
                });
                Kind::Web
            }
            LockMode::Lease => lease(&owner, self.now),
        };
        self.locks.entries.push(Lock {
            id,
            queue,
            lock_id,
            name,
            owner,
            kind,
        });
        id
    }

    /// Releases (or withdraws) a lock request.
    pub(super) fn release_lock(&mut self, id: LockId) {
        let Some(pos) = self.locks.entries.iter().position(|l| l.id == id) else {
            return;
        };
        let lock = self.locks.entries.remove(pos);
        match lock.kind {
            Kind::Web => self.outputs.push_back(Output::ReleaseLock { lock: id }),
            Kind::Lease(mut lease) => lease.release(
                relay::noting(&self.store, &self.written, Handle::CLIENT).as_mut(),
                &lock.name,
            ),
        }
    }

    /// The host holds the Web Lock `lock` now.
    pub fn handle_lock_granted(&mut self, lock: LockId, now: Millis) {
        self.now = now;
        match self.locks.entries.iter().find(|l| l.id == lock) {
            Some(l) => {
                let (queue, lock_id) = (l.queue, l.lock_id);
                self.queue_lock_granted(queue, lock_id);
            }
            // Released meanwhile: give it back.
            None => self.outputs.push_back(Output::ReleaseLock { lock }),
        }
        self.route();
    }

    /// The host has no Web Locks: the request becomes a storage lease.
    pub fn handle_lock_unavailable(&mut self, lock: LockId, now: Millis) {
        self.now = now;
        if let Some(l) = self.locks.entries.iter_mut().find(|l| l.id == lock) {
            if matches!(l.kind, Kind::Web) {
                l.kind = lease(&l.owner, now);
            }
        }
        self.route();
    }

    /// Tries waiting leases and renews held ones that are due; a held one
    /// found under another owner is lost.
    pub(super) fn leases_timeout(&mut self, now: Millis) {
        let mut granted = Vec::new();
        let mut lost = Vec::new();
        let mut store = None;
        for lock in self.locks.entries.iter_mut() {
            let Kind::Lease(lease) = &mut lock.kind else {
                continue;
            };
            if lease.check_at > now {
                continue;
            }
            let store = store
                .get_or_insert_with(|| relay::noting(&self.store, &self.written, Handle::CLIENT));
            lease.other_expires_at = None;
            let taken = lease.try_take(store.as_mut(), &lock.name, now);
            if lease.held && !taken && lease.other_expires_at.is_some() {
                lease.held = false;
                lost.push((lock.queue, lock.lock_id));
            } else if !lease.held && taken {
                lease.held = true;
                granted.push((lock.queue, lock.lock_id));
            }
            lease.check_at = if lease.held {
                lease
                    .expires_at
                    .saturating_sub(LEASE_MS / 2)
                    .max(now.saturating_add(1))
            } else {
                // Another tab's lease lasts until it expires or is removed
                // (a storage event): no need to look before.
                let poll = now.saturating_add(LEASE_POLL_MS);
                lease
                    .other_expires_at
                    .map_or(poll, |t| t.min(now.saturating_add(LEASE_MS)))
                    .max(poll)
            };
        }
        for (queue, lock_id) in lost {
            self.queue_lock_lost(queue, lock_id);
        }
        for (queue, lock_id) in granted {
            self.queue_lock_granted(queue, lock_id);
        }
    }

    /// Another tab changed `key`: a lease waiting on it looks again now.
    pub(super) fn leases_storage_changed(&mut self, key: Option<&str>, now: Millis) {
        for lock in self.locks.entries.iter_mut() {
            if let Kind::Lease(lease) = &mut lock.kind {
                if !lease.held && key.is_none_or(|k| k == lock.name) {
                    lease.check_at = lease.check_at.min(now);
                }
            }
        }
    }
}
