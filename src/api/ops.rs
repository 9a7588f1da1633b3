//! The operation codes of [`super::native::Native::call`]: one table, which
//! `js/src/ops.ts` mirrors (`www/tests/layer.test.mjs` checks both say the same). A code is
//! `<Class><Method>`; the class decides which handle it applies to.

/// Defines [`Op`] and its decoding from the number JavaScript passes.
macro_rules! ops {
    ($($name:ident = $n:literal,)*) => {
        /// One command or read of the JavaScript layer.
        #[repr(u8)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub(crate) enum Op {
            $(
                #[allow(missing_docs)]
                $name = $n,
            )*
        }

        impl Op {
            /// The operation `n` names, if any.
            pub fn from_u8(n: u8) -> Option<Op> {
                match n {
                    $($n => Some(Op::$name),)*
                    _ => None,
                }
            }
        }
    };
}

ops! {
    ClientInitialize = 0,
    ClientConnect = 1,
    ClientDisconnect = 2,
    ClientEmit = 3,
    ClientEmitVolatile = 4,
    ClientEmitAsync = 5,
    ClientJoinChannel = 6,
    ClientLeaveChannel = 7,
    ClientSendTyping = 8,
    ClientUpdatePresence = 9,
    ClientMeasureLatency = 10,
    ClientCheckConnection = 11,
    ClientIsConnected = 12,
    ClientState = 13,
    ClientConnectionQuality = 14,
    ClientAverageLatency = 15,
    ClientReconnectAttempts = 16,
    ClientWasOffline = 17,
    ClientIsOnline = 18,
    ClientUserId = 19,
    ClientSocketId = 20,
    ClientTimerWakeups = 21,
    PresenceSetStatus = 22,
    PresenceGetStatus = 23,
    PresenceStatus = 24,
    PresenceIsAutoAway = 25,
    PresenceUserId = 26,
    PresenceSetCustomStatus = 27,
    PresenceClearCustomStatus = 28,
    PresenceGetCustomStatus = 29,
    PresenceSetInvisibleMode = 30,
    PresenceIsInvisible = 31,
    PresenceUpdatePresenceSettings = 32,
    PresenceGetPresenceSettings = 33,
    PresenceSetContacts = 34,
    PresenceSetUserSettings = 35,
    PresenceCanViewPresence = 36,
    PresenceGetPresence = 37,
    PresenceSubscribeToUsers = 38,
    PresenceUnsubscribeFromUsers = 39,
    PresenceGetSubscriptions = 40,
    PresenceActivityRelay = 41,
    PresenceTimerWakeups = 42,
    PresenceDispose = 43,
    TypingStartTyping = 44,
    TypingStartTypingInThread = 45,
    TypingStartTypingInDm = 46,
    TypingStopTyping = 47,
    TypingStopTypingInDm = 48,
    TypingHandleInputChange = 49,
    TypingHandleDmInputChange = 50,
    TypingGetTypingUsers = 51,
    TypingGetTypingUsersInDm = 52,
    TypingGetTypingText = 53,
    TypingGetTypingTextInDm = 54,
    TypingRoomTyping = 55,
    TypingUpdatePrivacySettings = 56,
    TypingPrivacySettings = 57,
    TypingSetContacts = 58,
    TypingSetUserNames = 59,
    TypingClearAllTypingState = 60,
    TypingIsTyping = 61,
    TypingUserId = 62,
    TypingTimerWakeups = 63,
    TypingDispose = 64,
    DeliveryTrackOutgoing = 65,
    DeliveryMarkSent = 66,
    DeliveryMarkFailed = 67,
    DeliveryMarkSending = 68,
    DeliveryAcknowledgeRead = 69,
    DeliveryFlushReadAcks = 70,
    DeliverySyncDeliveryStatus = 71,
    DeliveryGetStatus = 72,
    DeliveryUntrack = 73,
    DeliveryAttachQueue = 74,
    DeliveryDetachQueue = 75,
    DeliverySubscribe = 76,
    DeliveryDispose = 77,
    QueueQueueMessage = 78,
    QueueGetQueuedMessages = 79,
    QueueGetQueueLength = 80,
    QueueRemoveMessage = 81,
    QueueRetryMessage = 82,
    QueueClearQueue = 83,
    QueueFlushQueue = 84,
    QueueIsFlushing = 85,
    QueueGetQuarantined = 86,
    QueueClearQuarantine = 87,
    QueueSubscribe = 88,
    QueueDispose = 89,
    SyncSyncOnReconnect = 90,
    SyncSyncMessages = 91,
    SyncRecordLocalMessage = 92,
    SyncForgetLocalMessage = 93,
    SyncSetPresenceUserIds = 94,
    SyncGetLastSyncTime = 95,
    SyncIsSyncing = 96,
    SyncSubscribe = 97,
    SyncDispose = 98,
    Listening = 99,
    RoomsInitialize = 180,
    RoomsDestroy = 181,
    RoomsInitialized = 182,
    RoomsJoinRoom = 183,
    RoomsLeaveRoom = 184,
    RoomsIsInRoom = 185,
    RoomsGetRoom = 186,
    RoomsGetRooms = 187,
    RoomsGetRoomMembers = 188,
    RoomsSendMessage = 189,
    RoomsAddRoomListener = 190,
    RoomsRemoveRoomListener = 191,
    RoomsSetCurrentUserId = 192,
    RoomsDispose = 193,
}
