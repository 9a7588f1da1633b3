//! The whole wasm surface: one [`Native`] per client, with `attach` (a
//! service by kind), `call` (every command and read, by [`Op`] code),
//! `detach` and `free`. Events and completions leave through the one sink
//! function given to the constructor ([`super::events`]); `js/src/native.ts`
//! holds the listeners and promises and builds the public classes' calls.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Function;
use wasm_bindgen::prelude::*;

use super::client::RealtimeClient;
use super::conflict::ConflictResolutionService;
use super::delivery::DeliveryEventHandler;
use super::dispatch::EventDispatcherService;
use super::ops::Op;
use super::presence::PresenceService;
use super::queue::OfflineQueueService;
use super::rooms::RoomsService;
use super::sync::SyncService;
use super::typing::TypingService;

/// A service attached to the client.
enum Service {
    Presence(PresenceService),
    Typing(TypingService),
    Delivery(DeliveryEventHandler),
    Queue(OfflineQueueService),
    Sync(SyncService),
    Conflict(ConflictResolutionService),
    Rooms(RoomsService),
    Dispatch(EventDispatcherService),
}

/// One client and its services, as JavaScript holds them.
#[wasm_bindgen]
pub struct Native {
    client: RealtimeClient,
    /// The attached services by handle (a borrow is never held across a
    /// call into a service, which may call JavaScript).
    services: RefCell<Vec<(u32, Rc<Service>)>>,
}

/// A method's value as JavaScript (`()` is `undefined`).
trait Value {
    fn js(self) -> JsValue;
}

impl Value for () {
    fn js(self) -> JsValue {
        JsValue::UNDEFINED
    }
}

/// [`Value`] for the types JavaScript takes as they are.
macro_rules! value {
    ($($t:ty),*) => {$(
        impl Value for $t {
            fn js(self) -> JsValue {
                self.into()
            }
        }
    )*};
}
value!(
    JsValue,
    bool,
    u32,
    f64,
    String,
    js_sys::Array,
    Option<f64>,
    Option<String>
);

/// A method's result as what `call` returns.
fn res<T: Value, E: Into<JsValue>>(r: Result<T, E>) -> Result<JsValue, JsValue> {
    r.map(Value::js).map_err(Into::into)
}

/// The error of an operation code that does not apply to the handle.
pub(super) fn unknown_op() -> JsValue {
    super::js::coded(
        "unknown_op",
        "chat-realtime: unknown operation (a mismatched build?)",
    )
}

#[wasm_bindgen]
impl Native {
    /// A client whose events and completions go to
    /// `sink(id, topic, payload, flag)`.
    #[wasm_bindgen(constructor)]
    pub fn new(sink: Function) -> Native {
        Native {
            client: RealtimeClient::new(sink),
            services: RefCell::new(Vec::new()),
        }
    }

    /// Attaches a service of `kind` (1 presence, 2 typing, 3 delivery,
    /// 4 queue, 5 sync, 6 conflict resolution,
    /// 7 rooms, 8 room manager, 9 event dispatcher) with its options (`options.queue` a queue's handle);
    /// returns its handle.
    pub fn attach(&self, kind: u8, options: JsValue) -> Result<u32, JsValue> {
        let hub = self.client.hub();
        let (handle, service) = match kind {
            1 => PresenceService::new(hub, options).map(|s| (s.handle(), Service::Presence(s))),
            2 => TypingService::new(hub, options).map(|s| (s.handle(), Service::Typing(s))),
            3 => {
                DeliveryEventHandler::new(hub, options).map(|s| (s.handle(), Service::Delivery(s)))
            }
            4 => OfflineQueueService::new(hub, options).map(|s| (s.handle(), Service::Queue(s))),
            5 => SyncService::new(hub, options).map(|s| (s.handle(), Service::Sync(s))),
            6 => ConflictResolutionService::new(hub, options)
                .map(|s| (s.handle(), Service::Conflict(s))),
            7 | 8 => {
                RoomsService::new(hub, options, kind == 8).map(|s| (s.handle(), Service::Rooms(s)))
            }
            9 => EventDispatcherService::new(hub, options)
                .map(|s| (s.handle(), Service::Dispatch(s))),
            _ => Err(unknown_op()),
        }?;
        self.services
            .borrow_mut()
            .push((handle.0, Rc::new(service)));
        Ok(handle.0)
    }

    /// Runs operation `op` on `handle` (0: the client) with up to three
    /// arguments; returns its value (a promise's ticket for the operations
    /// that complete later).
    pub fn call(
        &self,
        handle: u32,
        op: u8,
        a: JsValue,
        b: JsValue,
        c: JsValue,
    ) -> Result<JsValue, JsValue> {
        let op = Op::from_u8(op).ok_or_else(unknown_op)?;
        if op == Op::Listening {
            let hub = self.client.hub();
            hub.set_listening(
                crate::core::session::Handle(handle),
                a.as_bool() != Some(false),
            );
            return Ok(JsValue::UNDEFINED);
        }
        if handle == 0 {
            return client_op(&self.client, op, a, b, c);
        }
        let service = self
            .services
            .borrow()
            .iter()
            .find(|(h, _)| *h == handle)
            .map(|(_, s)| s.clone());
        match service.as_deref() {
            Some(Service::Presence(s)) => presence_op(s, op, a, b),
            Some(Service::Typing(s)) => typing_op(s, op, a, b, c),
            Some(Service::Delivery(s)) => delivery_op(s, op, a, b, c),
            Some(Service::Queue(s)) => queue_op(s, op, a, b),
            Some(Service::Sync(s)) => sync_op(s, op, a, b),
            Some(Service::Conflict(s)) => s.call(op, a, b, c),
            Some(Service::Rooms(s)) => s.op(op, a, b, c),
            Some(Service::Dispatch(s)) => s.call(op, a, b),
            None => Err(unknown_op()),
        }
    }

    /// Disposes and drops the service `handle` (its wasm memory goes).
    pub fn detach(&self, handle: u32) {
        let removed = {
            let mut services = self.services.borrow_mut();
            let at = services.iter().position(|(h, _)| *h == handle);
            at.map(|i| services.remove(i))
        };
        drop(removed);
    }
}

fn client_op(
    s: &RealtimeClient,
    op: Op,
    a: JsValue,
    b: JsValue,
    c: JsValue,
) -> Result<JsValue, JsValue> {
    match op {
        Op::ClientInitialize => res(s.initialize(a)),
        Op::ClientConnect => res(s.connect(a)),
        Op::ClientDisconnect => res(s.disconnect()),
        Op::ClientEmit => res(s.emit(a, b)),
        Op::ClientEmitVolatile => res(s.emit_volatile(a, b)),
        Op::ClientEmitAsync => res(s.emit_async(a, b, c, true)),
        Op::ClientEmitCallback => res(s.emit_async(a, b, c, false)),
        Op::ClientJoinChannel => res(s.join_channel(a)),
        Op::ClientLeaveChannel => res(s.leave_channel(a)),
        Op::ClientSendTyping => res(s.send_typing(a, b)),
        Op::ClientUpdatePresence => res(s.update_presence(a, b)),
        Op::ClientMeasureLatency => res(s.measure_latency()),
        Op::ClientCheckConnection => res(s.check_connection()),
        Op::ClientIsConnected => Ok(s.is_connected().js()),
        Op::ClientState => Ok(s.state().js()),
        Op::ClientConnectionQuality => Ok(s.connection_quality().js()),
        Op::ClientAverageLatency => Ok(s.average_latency().js()),
        Op::ClientReconnectAttempts => Ok(s.reconnect_attempts().js()),
        Op::ClientWasOffline => Ok(s.was_offline().js()),
        Op::ClientIsOnline => Ok(s.is_online().js()),
        Op::ClientUserId => Ok(s.user_id().js()),
        Op::ClientSocketId => Ok(s.socket_id().js()),
        Op::ClientAuth => Ok(s.auth()),
        Op::ClientTimerWakeups => Ok(s.timer_wakeups().js()),
        Op::ClientUpdateToken => res(s.update_token(a)),
        Op::ClientClearWasOffline => res(s.clear_was_offline()),
        Op::ClientTransport => Ok(s.transport().js()),
        Op::ClientRefreshFailed => res(s.refresh_failed(a)),
        _ => Err(unknown_op()),
    }
}

fn presence_op(s: &PresenceService, op: Op, a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
    match op {
        Op::PresenceSetStatus => res(s.set_status(a)),
        Op::PresenceGetStatus => Ok(s.get_status().js()),
        Op::PresenceStatus => Ok(s.status().js()),
        Op::PresenceIsAutoAway => Ok(s.is_auto_away().js()),
        Op::PresenceUserId => Ok(s.user_id().js()),
        Op::PresenceSetCustomStatus => res(s.set_custom_status(a)),
        Op::PresenceClearCustomStatus => res(s.clear_custom_status()),
        Op::PresenceGetCustomStatus => Ok(s.get_custom_status().js()),
        Op::PresenceSetInvisibleMode => res(s.set_invisible_mode(a)),
        Op::PresenceIsInvisible => Ok(s.is_invisible().js()),
        Op::PresenceUpdatePresenceSettings => res(s.update_presence_settings(a, b)),
        Op::PresenceGetPresenceSettings => res(s.get_presence_settings(a)),
        Op::PresenceSetContacts => res(s.set_contacts(a)),
        Op::PresenceHeartbeat => res(s.heartbeat(a)),
        Op::PresenceSetCurrentUserId => res(s.set_current_user_id(a)),
        Op::PresenceSetUserSettings => res(s.set_user_settings(a, b)),
        Op::PresenceGetCachedContacts => Ok(s.get_cached_contacts()),
        Op::PresenceClearPresenceSettingsCache => res(s.clear_presence_settings_cache()),
        Op::PresenceCanViewPresence => res(s.can_view_presence(a, b)),
        Op::PresenceGetPresence => res(s.get_presence(a)),
        Op::PresenceSubscribeToUsers => res(s.subscribe_to_users(a)),
        Op::PresenceUnsubscribeFromUsers => res(s.unsubscribe_from_users(a)),
        Op::PresenceGetSubscriptions => Ok(s.get_subscriptions().js()),
        Op::PresenceFetchPresence => res(s.fetch_presence(a)),
        Op::PresenceActivityRelay => Ok(s.activity_relay().js()),
        Op::PresenceTimerWakeups => Ok(s.timer_wakeups().js()),
        Op::PresenceDispose => {
            s.dispose();
            Ok(JsValue::UNDEFINED)
        }
        _ => Err(unknown_op()),
    }
}

fn typing_op(
    s: &TypingService,
    op: Op,
    a: JsValue,
    b: JsValue,
    c: JsValue,
) -> Result<JsValue, JsValue> {
    match op {
        Op::TypingStartTyping => res(s.start_typing(a, b)),
        Op::TypingStartTypingInThread => res(s.start_typing_in_thread(a, b)),
        Op::TypingStartTypingInDm => res(s.start_typing_in_dm(a, b)),
        Op::TypingStopTyping => res(s.stop_typing(a, b)),
        Op::TypingStopTypingInDm => res(s.stop_typing_in_dm(a)),
        Op::TypingHandleInputChange => res(s.handle_input_change(a, b, c)),
        Op::TypingHandleDmInputChange => res(s.handle_dm_input_change(a, b)),
        Op::TypingGetTypingUsers => res(s.get_typing_users(a, b)),
        Op::TypingGetTypingUsersInDm => res(s.get_typing_users_in_dm(a)),
        Op::TypingGetTypingText => res(s.get_typing_text(a, b)),
        Op::TypingGetTypingTextInDm => res(s.get_typing_text_in_dm(a)),
        Op::TypingRoomTyping => res(s.room_typing(a, b, c)),
        Op::TypingUpdatePrivacySettings => res(s.update_privacy_settings(a)),
        Op::TypingPrivacySettings => Ok(s.privacy_settings().js()),
        Op::TypingSetContacts => res(s.set_contacts(a)),
        Op::TypingContact => res(s.contact(a, b)),
        Op::TypingActiveRooms => Ok(s.active_rooms()),
        Op::TypingClearRoom => res(s.clear_room(a, b, c)),
        Op::TypingSetCurrentUserId => res(s.set_current_user_id(a)),
        Op::TypingSetUserNames => res(s.set_user_names(a)),
        Op::TypingClearAllTypingState => res(s.clear_all_typing_state()),
        Op::TypingCurrentContext => Ok(s.current_context()),
        Op::TypingUserId => Ok(s.user_id().js()),
        Op::TypingTimerWakeups => Ok(s.timer_wakeups().js()),
        Op::TypingDispose => {
            s.dispose();
            Ok(JsValue::UNDEFINED)
        }
        _ => Err(unknown_op()),
    }
}

fn delivery_op(
    s: &DeliveryEventHandler,
    op: Op,
    a: JsValue,
    b: JsValue,
    c: JsValue,
) -> Result<JsValue, JsValue> {
    match op {
        Op::DeliveryTrackOutgoing => res(s.track_outgoing(a, b, c)),
        Op::DeliveryMarkSent => res(s.mark_sent(a, b, c)),
        Op::DeliveryMarkFailed => res(s.mark_failed(a, b)),
        Op::DeliveryMarkSending => res(s.mark_sending(a)),
        Op::DeliveryAcknowledgeRead => res(s.acknowledge_read(a, b)),
        Op::DeliveryFlushReadAcks => res(s.flush_read_acks()),
        Op::DeliverySyncDeliveryStatus => res(s.sync_delivery_status(a)),
        Op::DeliveryGetStatus => res(s.get_status(a)),
        Op::DeliveryUntrack => res(s.untrack(a)),
        Op::DeliveryAttachQueue => res(s.attach_queue(a)),
        Op::DeliveryDetachQueue => {
            s.detach_queue();
            Ok(JsValue::UNDEFINED)
        }
        Op::DeliverySubscribe => res(s.subscribe()),
        Op::DeliveryDispose => {
            s.dispose();
            Ok(JsValue::UNDEFINED)
        }
        _ => Err(unknown_op()),
    }
}

fn queue_op(s: &OfflineQueueService, op: Op, a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
    match op {
        Op::QueueQueueMessage => res(s.queue_message(a)),
        Op::QueueGetQueuedMessages => res(s.get_queued_messages()),
        Op::QueueGetQueueLength => res(s.get_queue_length()),
        Op::QueueRemoveMessage => res(s.remove_message(a)),
        Op::QueueRetryMessage => res(s.retry_message(a)),
        Op::QueueUpdateMessage => res(s.update_message(a, b)),
        Op::QueueClearQueue => res(s.clear_queue()),
        Op::QueueFlushQueue => res(s.flush_queue()),
        Op::QueueIsFlushing => Ok(s.is_flushing().js()),
        Op::QueueGetQuarantined => res(s.get_quarantined()),
        Op::QueueClearQuarantine => res(s.clear_quarantine()),
        Op::QueueSubscribe => res(s.subscribe()),
        Op::QueueDispose => {
            s.dispose();
            Ok(JsValue::UNDEFINED)
        }
        _ => Err(unknown_op()),
    }
}

fn sync_op(s: &SyncService, op: Op, a: JsValue, b: JsValue) -> Result<JsValue, JsValue> {
    match op {
        Op::SyncSyncOnReconnect => res(s.sync_on_reconnect(a)),
        Op::SyncSyncMessages => res(s.sync_messages(a, b)),
        Op::SyncRecordLocalMessage => res(s.record_local_message(a)),
        Op::SyncForgetLocalMessage => res(s.forget_local_message(a)),
        Op::SyncSetPresenceUserIds => res(s.set_presence_user_ids(a)),
        Op::SyncGetLastSyncTime => res(s.get_last_sync_time(a)),
        Op::SyncIsSyncing => Ok(s.is_syncing().js()),
        Op::SyncSyncStatus => Ok(s.sync_status().js()),
        Op::SyncSyncChannels => res(s.sync_channels()),
        Op::SyncSyncPresence => res(s.sync_presence()),
        Op::SyncCancelSync => res(s.cancel_sync()),
        Op::SyncReconcileConflicts => res(s.reconcile_conflicts(a, b)),
        Op::SyncSubscribe => res(s.subscribe()),
        Op::SyncDispose => {
            s.dispose();
            Ok(JsValue::UNDEFINED)
        }
        _ => Err(unknown_op()),
    }
}
