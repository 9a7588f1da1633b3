//! One sans-IO hub for a client: the connection and every attached service
//! (presence, typing, delivery, queue, sync), with the routing between them.
//!
//! Modelled on quinn-proto's `Connection`: the host feeds inputs (commands,
//! socket events, browser events, `handle_timeout`), then drains
//! [`Session::poll`] and keeps one timer aimed at [`Session::next_deadline`].
//! Everything between the machines happens inside: a service's emit goes
//! through the connection, a server event reaches the services that want
//! it, a (re)connect tells every service, the queue flushes on connect,
//! sync runs after a reconnect, receipts follow the attached queue, and a
//! request's answer goes back to whoever asked.
//!
//! The rules, by input:
//!
//! * **Connected** (ready, rooms re-joined): pending `connect`s resolve;
//!   presence and typing take the connection's user id (unless given one)
//!   and start; delivery re-requests statuses and sends held read acks; the
//!   queue flushes; after a *re*connect every sync with `autoSyncOnReconnect`
//!   runs, once all the others have seen the reconnect.
//! * **Disconnected**: presence, typing, delivery and the queue stop (the
//!   queue's message in flight goes back in line without using an attempt).
//! * **Server events**: `authenticated` names the user of presence and
//!   typing; `presence:changed`, `typing:event`, `message:delivered` and
//!   `message:read` reach their services; every event then reaches the app.
//! * **Online again**: the queues flush (when connected).
//! * **Visibility**: presence hears it; becoming visible checks the link.
//! * **Storage changes** (another tab): the queue re-reads the entry, sync
//!   re-reads its times, a lease waiter looks again. The session's own
//!   writes of queue entries and leases reach its other queues and lease
//!   waiters at once, and the page's other sessions through the host
//!   (`relay.rs`).
//! * **Requests** of services go out as acked emits; a queue send while not
//!   connected, or failed with the link, is not an attempt.
//! * **Queue events** move the receipts of every attached delivery handler;
//!   a flush's end answers who waited for it (a `flushQueue()`, a sync's
//!   queue step). A queue's flush lock is held while it leads (connected),
//!   not per flush (`core::queue`).
//!
//! Timers: [`Session::next_deadline`] is the minimum over the machines and
//! the storage leases; presence and typing report a bound that may be early
//! (an early wake finds nothing due) so activity does not move it per event.

mod client;
mod conflict;
mod delivery;
mod dispatch;
mod locks;
mod presence;
mod queue;
mod relay;
mod rooms;
mod route;
mod services;
mod sync;
mod types;
mod typing;

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;

use crate::core::fifo::Fifo;

pub use client::ClientConfig;
pub use delivery::DeliveryCommands;
pub use locks::{LockMode, LEASE_MS, LEASE_POLL_MS};
pub use presence::{PresenceAttach, PresenceCommands};
pub use queue::QueueAttach;
pub use rooms::RoomsCmd;
pub use sync::SyncAttach;
pub use types::*;
pub use typing::TypingCommands;

use super::connection::Connection;
use super::store::KeyValueStore;
use super::Millis;
use services::Service;

/// Makes the store a queue or a sync service (or a lease) reads and writes:
/// `localStorage` in the browser, a shared memory store in tests.
pub type StoreFactory = Box<dyn Fn() -> Box<dyn KeyValueStore>>;

/// Who waits for the answer of a connection request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Waiter {
    /// An app `emitAsync`, `joinChannel` or `leaveChannel`.
    App(Ticket),
    /// An app `measureLatency`.
    Latency(Ticket),
    /// A presence service's `presence:subscribe`, with the service's mark
    /// when it was sent.
    Subscribe(Handle, u64),
    /// A presence service's `presence:get` (`fetchPresence`), with its mark.
    Fetch(Handle, Ticket, u64),
    /// A service request (delivery, queue or sync) with the service's id.
    Service(Handle, u64),
}

/// The hub. See the module docs.
pub struct Session {
    conn: Option<Connection>,
    auth_extra: Option<String>,
    store: StoreFactory,
    /// What the queues and leases wrote, to tell the others (`relay.rs`).
    written: relay::WriteLog,
    services: Vec<Service>,
    /// Detached services, kept readable until forgotten.
    retired: Vec<Service>,
    next_handle: u32,
    next_ticket: u64,
    requests: Requests,
    connect_waiters: Vec<Ticket>,
    locks: locks::Locks,
    outputs: Fifo<Output>,
    now: Millis,
    /// The next deadline and whose it is.
    deadline: Option<(Millis, Handle)>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("initialized", &self.conn.is_some())
            .field("services", &self.services.len())
            .field("outputs", &self.outputs.len())
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session without a connection (see `initialize`) and no services.
    pub fn new(store: StoreFactory) -> Self {
        Self {
            conn: None,
            auth_extra: None,
            store,
            written: relay::WriteLog::default(),
            services: Vec::new(),
            retired: Vec::new(),
            next_handle: 1,
            next_ticket: 1,
            requests: Requests::default(),
            connect_waiters: Vec::new(),
            locks: locks::Locks::default(),
            outputs: Fifo::new(),
            now: 0,
            deadline: None,
        }
    }

    /// The next thing for the host to do or tell.
    pub fn poll(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// When `handle_timeout` must run next: the earliest deadline of the
    /// connection, the services and the leases (`None`: nothing pending).
    pub fn next_deadline(&self) -> Option<Millis> {
        self.deadline.map(|(at, _)| at)
    }

    /// Whose deadline [`Self::next_deadline`] is: [`Handle::CLIENT`] for the
    /// connection, else the service's (a lease is its queue's). A host that
    /// counts timer wakeups per service asks this.
    pub fn next_deadline_owner(&self) -> Option<Handle> {
        self.deadline.map(|(_, owner)| owner)
    }

    /// Runs everything due at `now`.
    pub fn handle_timeout(&mut self, now: Millis) {
        self.now = now;
        if let Some(c) = self.conn.as_mut() {
            c.handle_timeout(now);
        }
        self.route();
        self.services_timeout(now);
        self.leases_timeout(now);
        self.route();
    }

    /// The connection, once initialized (for reads).
    pub fn connection(&self) -> Option<&Connection> {
        self.conn.as_ref()
    }

    // ----- internals shared by the submodules --------------------------------

    fn ticket(&mut self) -> Ticket {
        let t = Ticket(self.next_ticket);
        self.next_ticket = self.next_ticket.wrapping_add(1).max(1);
        t
    }

    fn event(&mut self, target: Handle, event: Event) {
        self.outputs.push_back(Output::Event { target, event });
    }

    fn done(&mut self, ticket: Ticket, result: Result<Answer, SessionError>) {
        self.outputs.push_back(Output::Done { ticket, result });
    }

    /// Runs `f` on the connection (refused before `initialize`), then routes.
    fn with_conn<T>(
        &mut self,
        now: Millis,
        f: impl FnOnce(&mut Connection, Millis) -> Result<T, SessionError>,
    ) -> Result<T, SessionError> {
        self.now = now;
        let conn = self.conn.as_mut().ok_or(SessionError::NotInitialized)?;
        let r = f(conn, now);
        self.route();
        r
    }

    /// `user_id`, else the connection's user.
    fn client_user(&self, user_id: Option<&str>) -> Option<String> {
        user_id.map(str::to_owned).or_else(|| {
            self.conn
                .as_ref()
                .and_then(|c| c.user_id().map(str::to_owned))
        })
    }

    fn is_connected(&self) -> bool {
        self.conn.as_ref().is_some_and(Connection::is_connected)
    }

    /// Recomputes the cached deadline after an input.
    fn update_deadline(&mut self) {
        let now = self.now;
        let conn = self
            .conn
            .as_ref()
            .and_then(Connection::next_deadline)
            .map(|d| (d, Handle::CLIENT));
        let services = self
            .services
            .iter_mut()
            .filter_map(|s| s.deadline(now).map(|d| (d, s.handle)))
            .min();
        let leases = self.locks.next_deadline();
        self.deadline = [conn, services, leases].into_iter().flatten().min();
    }
}

/// The connection requests still waiting for their answers, with who
/// waits (a few at a time: a list, not a map).
#[derive(Debug, Default)]
struct Requests(Vec<(u64, Waiter)>);

impl Requests {
    fn insert(&mut self, id: u64, waiter: Waiter) {
        self.0.push((id, waiter));
    }

    fn remove(&mut self, id: u64) -> Option<Waiter> {
        let pos = self.0.iter().position(|(i, _)| *i == id)?;
        Some(self.0.remove(pos).1)
    }

    /// The ids whose waiter passes `f`, oldest first.
    fn ids(&self, f: impl Fn(&Waiter) -> bool) -> Vec<u64> {
        self.0
            .iter()
            .filter(|(_, w)| f(w))
            .map(|(id, _)| *id)
            .collect()
    }
}
