//! The session's vocabulary: handles, what it asks the host to do
//! ([`Output`]), what it tells the app ([`Event`], [`Answer`]) and its typed
//! errors ([`SessionError`], each with a stable [`SessionError::code`]).

use crate::core::decimal::{cat, display_for_tests};

use crate::core::conflict::{ConflictError, ConflictEvent};
use crate::core::connection::{
    AckError, ConnState, ConnectionError, DisconnectReason, HttpRequest,
};
use crate::core::delivery::{DeliveryError, DeliveryEvent, DeliveryStatus};
use crate::core::presence::{CustomStatus, PresenceError, PresenceStatus, UserPresence};
use crate::core::quality::Quality;
use crate::core::queue::{QueueError, QueueEvent};
use crate::core::store::StoreError;
use crate::core::sync::{Conflict, SyncError, SyncEvent, SyncResult, SyncStage, SyncedMessage};
use crate::core::typing::{RoomTypingChange, TypingError};
use crate::core::Millis;

/// Who an event is for: the client ([`Handle::CLIENT`]) or one attached
/// service. Handles are never reused within a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handle(pub u32);

impl Handle {
    /// The client (the connection) itself.
    pub const CLIENT: Handle = Handle(0);
}

/// An asynchronous command's id: its outcome comes out once as
/// [`Output::Done`] with this ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Ticket(pub u64);

/// A cross-tab lock request (see [`Output::AcquireLock`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LockId(pub u64);

/// The kind of an attached service (for errors and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceKind {
    /// The client itself.
    Client,
    /// `PresenceService`.
    Presence,
    /// `TypingService`.
    Typing,
    /// `DeliveryEventHandler`.
    Delivery,
    /// `OfflineQueueService`.
    Queue,
    /// `SyncService`.
    Sync,
    /// `ConflictResolutionService`.
    Conflict,
    /// `RoomsService`.
    Rooms,
    /// `RoomManagerService`.
    RoomManager,
    /// `EventDispatcherService`.
    Dispatcher,
}

impl ServiceKind {
    /// The class name JavaScript knows.
    pub fn class_name(self) -> &'static str {
        match self {
            ServiceKind::Client => "RealtimeClient",
            ServiceKind::Presence => "PresenceService",
            ServiceKind::Typing => "TypingService",
            ServiceKind::Delivery => "DeliveryEventHandler",
            ServiceKind::Queue => "OfflineQueueService",
            ServiceKind::Sync => "SyncService",
            ServiceKind::Conflict => "ConflictResolutionService",
            ServiceKind::Rooms => "RoomsService",
            ServiceKind::RoomManager => "RoomManagerService",
            ServiceKind::Dispatcher => "EventDispatcherService",
        }
    }
}

/// What the host must do or tell the app, drained with `Session::poll`.
// Outputs are short-lived; boxing the events would only burden matching.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Open a WebSocket to `url`, dropping any previous one.
    Open {
        /// The WebSocket URL.
        url: String,
    },
    /// Send this text frame on the open socket.
    Send(String),
    /// Close and drop the socket; its close is not reported back.
    Close,
    /// Abort and drop the stream; its end is not reported back.
    CloseStream,
    /// An HTTP request, or the event stream (dropping any previous one),
    /// reported with `handle_fetch(id, ..)`.
    Http(HttpRequest),
    /// Ask for the exclusive cross-tab lock `name` (Web Locks); answer with
    /// `handle_lock_granted`, or `handle_lock_unavailable` where the
    /// browser has none (the session then runs a storage lease itself).
    AcquireLock {
        /// The request.
        lock: LockId,
        /// The lock's name.
        name: String,
    },
    /// Release (or withdraw) the lock request `lock`.
    ReleaseLock {
        /// The request.
        lock: LockId,
    },
    /// This session wrote `key` in the shared storage: tell the page's
    /// other sessions (`handle_storage_changed(Some(key))`), which the
    /// browser's `storage` event does not reach (it goes to other pages).
    StorageChanged {
        /// The key written or removed.
        key: String,
    },
    /// Tell the app.
    Event {
        /// The client or the service the event belongs to.
        target: Handle,
        /// What happened.
        event: Event,
    },
    /// An asynchronous command finished.
    Done {
        /// The command's ticket.
        ticket: Ticket,
        /// Its outcome.
        result: Result<Answer, SessionError>,
    },
}

/// What a finished asynchronous command yields.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Nothing (`connect`).
    Unit,
    /// The ack of a request, as the JSON array of its arguments.
    Ack(String),
    /// A latency sample in ms (`measureLatency`).
    Latency(Millis),
    /// The end of a queue flush.
    Flushed {
        /// Messages sent.
        sent: u32,
        /// Messages that failed.
        failed: u32,
    },
    /// The end of a reconnect sync.
    Synced(SyncResult),
    /// The answer of a manual `syncMessages`.
    Messages {
        /// Server messages to apply.
        messages: Vec<SyncedMessage>,
        /// Conflicts found.
        conflicts: Vec<Conflict>,
    },
    /// The statuses asked for with `syncDeliveryStatus` (those tracked).
    Statuses(Vec<DeliveryStatus>),
    /// Every cached presence, after a `fetchPresence`.
    Presences(Vec<UserPresence>),
    /// A JSON value (a rooms service's room, or `{messageId}`).
    Json(crate::core::json::Value),
}

/// Something the app hears about (the class's listeners of `target`).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The connection state changed.
    State {
        /// The new state.
        state: ConnState,
        /// The previous one.
        previous: ConnState,
    },
    /// The browser went online or offline.
    Online(bool),
    /// The transport changed (`client.transport`).
    Transport {
        /// The one that runs now.
        transport: crate::core::connection::Transport,
        /// Why.
        reason: &'static str,
    },
    /// The server refused the token: the app's `refreshToken` is asked for a
    /// fresh one (`updateToken`, or `refresh_failed`).
    RefreshToken,
    /// The quality band changed.
    Quality(Quality),
    /// A latency sample came in: the new average round trip, in ms.
    Latency(f64),
    /// The connection ended.
    Disconnected(DisconnectReason),
    /// A reconnect attempt starts (for debug logs).
    ReconnectAttempt(u32),
    /// Connected again after a lost connection or an offline period
    /// (nchat's `onReconnection(attempts, wasOffline)`).
    Reconnected {
        /// Reconnect attempts it took.
        attempts: u32,
        /// The browser went offline since `clearWasOffline()`.
        was_offline: bool,
    },
    /// A server event: `data` is the JSON array `["name", ...args]`.
    Server {
        /// The event name.
        name: String,
        /// The whole payload array as JSON text.
        data: String,
    },
    /// An `onError` report of the client.
    Error(ClientError),
    /// Another user's visible presence changed.
    PresenceChanged(UserPresence),
    /// The current user's status changed.
    OwnStatus {
        /// The status.
        status: PresenceStatus,
        /// Auto-away is in effect.
        auto: bool,
    },
    /// The current user's custom status changed.
    OwnCustomStatus(Option<CustomStatus>),
    /// The typing users of one room changed.
    Typing(RoomTypingChange),
    /// A delivery event.
    Delivery(DeliveryEvent),
    /// A queue event.
    Queue(QueueEvent),
    /// A sync event.
    Sync(SyncEvent),
    /// A conflict resolution event.
    Conflict(ConflictEvent),
    /// A rooms service's event.
    Rooms(crate::core::rooms::RoomsEvent),
    /// An event a dispatcher sent to a room (its local subscribers).
    Dispatch(crate::core::dispatch::Dispatched),
    /// A server payload or answer was dropped, or an emit refused; the
    /// service goes on (for debug logs).
    Dropped(SessionError),
    /// A service's own debug message (its `debug` option).
    Log(String),
}

/// The errors the client reports through `onError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientError {
    /// The server refused authentication.
    Auth {
        /// The server's message.
        message: String,
    },
    /// A malformed frame (the connection goes on).
    Protocol {
        /// What was wrong.
        message: String,
    },
    /// An emit was refused: the buffer is full.
    BufferOverflow {
        /// The refused event.
        event: String,
        /// The limit.
        limit: usize,
    },
    /// The WebSocket could not be opened.
    Transport {
        /// Why.
        message: String,
    },
    /// Reconnection gave up.
    ReconnectFailed {
        /// Attempts made.
        attempts: u32,
    },
    /// The ready event did not come in time.
    ReadyTimeout {
        /// The awaited event.
        event: String,
        /// The timeout.
        timeout_ms: Millis,
    },
    /// A room could not be re-joined.
    RejoinFailed {
        /// The room.
        room: String,
        /// The server's code.
        code: String,
        /// The server's message.
        message: String,
    },
}

impl ClientError {
    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            ClientError::Auth { message }
            | ClientError::Protocol { message }
            | ClientError::Transport { message } => message.clone(),
            ClientError::BufferOverflow { event, limit } => cat!(
                "emit of \"",
                event,
                "\" refused: ",
                limit,
                " events already wait for a connection"
            ),
            ClientError::ReconnectFailed { attempts } => {
                cat!("gave up reconnecting after ", attempts, " attempts")
            }
            ClientError::ReadyTimeout { event, timeout_ms } => cat!(
                "the server did not send \"",
                event,
                "\" within ",
                timeout_ms,
                " ms of connecting; retrying. For a plain Socket.IO server without a \
                 ready event, pass readyEvent: null to initialize()"
            ),
            ClientError::RejoinFailed {
                room,
                code,
                message,
            } => cat!(
                "re-joining room \"",
                room,
                "\" failed (",
                code,
                "): ",
                message
            ),
        }
    }

    /// The stable code of `RealtimeError.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::Auth { .. } => "auth",
            ClientError::Protocol { .. } => "protocol",
            ClientError::BufferOverflow { .. } => "buffer_overflow",
            ClientError::Transport { .. } => "transport",
            ClientError::ReconnectFailed { .. } => "reconnect_failed",
            ClientError::ReadyTimeout { .. } => "ready_timeout",
            ClientError::RejoinFailed { .. } => "rejoin_failed",
        }
    }
}

/// Why a pending `connect` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectFailure {
    /// The server refused the token.
    Auth {
        /// The server's message.
        message: String,
    },
    /// Reconnection gave up.
    ReconnectFailed {
        /// Attempts made.
        attempts: u32,
    },
    /// The ready event did not come in time (`ClientError::ReadyTimeout`).
    ReadyTimeout(ClientError),
    /// `connect` was called again.
    Superseded,
    /// `disconnect` was called.
    Disconnected,
}

impl ConnectFailure {
    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            ConnectFailure::Auth { message } => cat!("authentication failed: ", message),
            ConnectFailure::ReconnectFailed { attempts } => {
                cat!("gave up reconnecting after ", attempts, " attempts")
            }
            ConnectFailure::ReadyTimeout(e) => e.message(),
            ConnectFailure::Superseded => "connect() was called again with a new token".into(),
            ConnectFailure::Disconnected => "disconnect() was called".into(),
        }
    }
}

/// Declares [`SessionError`]: its own variants, then one per service error
/// it wraps, each with the `From` that lets `?` lift it.
macro_rules! session_error {
    ($($(#[doc = $doc:literal])* $variant:ident($t:ty),)*) => {
        /// Every refusal and failure of the session, typed to the end.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum SessionError {
            /// No `initialize` yet.
            NotInitialized,
            /// The handle names no attached service of that kind (disposed).
            Disposed(ServiceKind),
            /// A queue of another client was given.
            ForeignQueue,
            /// `initialize` was called again while this waited.
            Reinitialized,
            /// A sync step failed (its `sync:error` says the same).
            SyncStep {
                /// The step.
                stage: SyncStage,
                /// What went wrong.
                message: String,
            },
            $($(#[doc = $doc])* $variant($t),)*
        }

        $(impl From<$t> for SessionError {
            fn from(e: $t) -> Self {
                SessionError::$variant(e)
            }
        })*
    };
}

session_error! {
    /// A refused connection call.
    Connection(ConnectionError),
    /// A request without its answer (timeout, disconnect, refusal, full buffer).
    Ack(AckError),
    /// `connect` did not get connected.
    Connect(ConnectFailure),
    /// A refused presence call.
    Presence(PresenceError),
    /// A refused typing call.
    Typing(TypingError),
    /// A refused delivery call or a failed status request.
    Delivery(DeliveryError),
    /// A refused queue call.
    Queue(QueueError),
    /// A refused sync call.
    Sync(SyncError),
    /// The storage refused.
    Store(StoreError),
    /// A conflict entity or detection that does not fit.
    Conflict(ConflictError),
    /// A refused rooms call.
    Rooms(crate::core::rooms::RoomsError),
}

impl SessionError {
    /// What went wrong, in words.
    pub fn message(&self) -> String {
        match self {
            SessionError::NotInitialized => {
                "RealtimeClient is not initialized: call initialize({ url }) first".into()
            }
            SessionError::Disposed(kind) => {
                cat!(
                    "this ",
                    kind.class_name(),
                    " was disposed; create a new one"
                )
            }
            SessionError::ForeignQueue => {
                "the OfflineQueueService belongs to another RealtimeClient".into()
            }
            SessionError::Reinitialized => "initialize() was called again".into(),
            SessionError::Connection(e) => e.message(),
            SessionError::Ack(e) => e.message(),
            SessionError::Connect(e) => e.message(),
            SessionError::Presence(e) => e.message(),
            SessionError::Typing(e) => e.message(),
            SessionError::Delivery(e) => e.message(),
            SessionError::Queue(e) => e.message(),
            SessionError::Sync(e) => e.message(),
            SessionError::SyncStep { message, .. } => message.clone(),
            SessionError::Store(e) => e.message(),
            SessionError::Conflict(e) => e.message(),
            SessionError::Rooms(e) => e.message(),
        }
    }

    /// A stable machine-readable code (never a message): the wrapped
    /// error's own code, so a refusal keeps what it was to the end
    /// (`queue_full`, `timeout`, `ROOM_NOT_FOUND`'s `rejected`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            SessionError::NotInitialized => "not_initialized",
            SessionError::Disposed(_) => "disposed",
            SessionError::ForeignQueue => "foreign_queue",
            SessionError::Reinitialized => "reinitialized",
            SessionError::Connection(e) => e.code(),
            SessionError::Ack(e) => e.code(),
            SessionError::Connect(e) => match e {
                ConnectFailure::Auth { .. } => "auth",
                ConnectFailure::ReconnectFailed { .. } => "reconnect_failed",
                ConnectFailure::ReadyTimeout(_) => "ready_timeout",
                ConnectFailure::Superseded => "superseded",
                ConnectFailure::Disconnected => "disconnected",
            },
            SessionError::Presence(e) => e.code(),
            SessionError::Typing(e) => e.code(),
            SessionError::Delivery(e) => e.code(),
            SessionError::Queue(e) => e.code(),
            SessionError::Sync(e) => e.code(),
            SessionError::SyncStep { .. } => "sync_failed",
            SessionError::Store(e) => e.reason(),
            SessionError::Conflict(e) => e.code(),
            SessionError::Rooms(e) => e.code(),
        }
    }
}

display_for_tests!(ClientError, ConnectFailure, SessionError);
