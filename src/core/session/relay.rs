//! The session's own writes to the shared storage, told to whoever else
//! reads it in the same page. The browser's `storage` event reaches only
//! other pages, so without this a queue would never hear what another
//! client of its page (or another queue of its session) queued, sent or
//! released: a leader would not send that client's messages, and that
//! client's flush would wait for sends it never sees.
//!
//! Every store the session hands to a queue or a lease notes the keys
//! written through it. After each input the session tells its other queues
//! and lease waiters at once, and the host, with [`Output::StorageChanged`],
//! the page's other sessions (`handle_storage_changed`, as a storage event).

use std::cell::RefCell;
use std::rc::Rc;

use super::services::Machine;
use super::{Handle, Output, Session, StoreFactory};
use crate::core::store::{KeyValueStore, StoreError};

/// The keys written since the last relay, with the service that wrote each
/// ([`Handle::CLIENT`] for a lease).
pub(super) type WriteLog = Rc<RefCell<Vec<(Handle, String)>>>;

/// A store that notes each key written through it.
struct Noting {
    inner: Box<dyn KeyValueStore>,
    by: Handle,
    log: WriteLog,
}

impl Noting {
    fn note(&self, key: &str) {
        if let Ok(mut log) = self.log.try_borrow_mut() {
            log.push((self.by, key.to_owned()));
        }
    }
}

impl KeyValueStore for Noting {
    fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.get(key)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), StoreError> {
        self.inner.set(key, value)?;
        self.note(key);
        Ok(())
    }

    fn remove(&mut self, key: &str) -> Result<(), StoreError> {
        self.inner.remove(key)?;
        self.note(key);
        Ok(())
    }

    fn keys_with_prefix(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        self.inner.keys_with_prefix(prefix)
    }
}

/// A store from `factory` whose writes go into `log` as written by `by`.
pub(super) fn noting(factory: &StoreFactory, log: &WriteLog, by: Handle) -> Box<dyn KeyValueStore> {
    Box::new(Noting {
        inner: factory(),
        by,
        log: log.clone(),
    })
}

impl Session {
    /// Tells what was written since the last call (see the module docs);
    /// false when nothing was.
    pub(super) fn relay_writes(&mut self) -> bool {
        let written = match self.written.try_borrow_mut() {
            Ok(mut log) if !log.is_empty() => std::mem::take(&mut *log),
            _ => return false,
        };
        let now = self.now;
        for (by, key) in &written {
            for s in &mut self.services {
                match &mut s.machine {
                    Machine::Queue(q) if s.handle != *by => {
                        q.core.on_storage_changed(Some(key), now)
                    }
                    _ => {}
                }
            }
            self.leases_storage_changed(Some(key), now);
        }
        for (_, key) in written {
            self.outputs.push_back(Output::StorageChanged { key });
        }
        true
    }
}
