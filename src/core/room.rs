//! Room names, in one place: every service turns the app's ids into
//! Socket.IO room names (and back) with these functions, so a channel joined
//! with `joinChannel` is the room typing, receipts, the queue and sync talk
//! about.
//!
//! The rule:
//!
//! - a channel id becomes `channel:{id}`; an id that already holds a `:`
//!   (`dm:42`, `channel:general`, `team:7`) is a room name and stays as it is;
//! - a DM id becomes `dm:{id}`, with the same exception;
//! - a thread is not a Socket.IO room: messages and typing of a thread go to
//!   its channel's room with a `threadId`. Where a thread needs its own key
//!   (typing lists, listeners) it is `{room}:thread:{threadId}`.
//!
//! So `startTyping('dm:42')`, `startTypingInDM('42')` and
//! `joinChannel('dm:42')` all mean the room `dm:42`.

use crate::core::decimal::cat;

/// Prefix of channel rooms.
pub const CHANNEL_PREFIX: &str = "channel:";
/// Prefix of DM rooms.
pub const DM_PREFIX: &str = "dm:";
/// Separator of thread keys.
pub const THREAD_INFIX: &str = ":thread:";

/// The room of a channel id (see the module docs). Infallible: an empty id
/// gives `channel:`; callers that take ids from the app use [`room_name`].
pub fn channel_room(channel_id: &str) -> String {
    if channel_id.contains(':') {
        channel_id.to_owned()
    } else {
        cat!(CHANNEL_PREFIX, channel_id)
    }
}

/// The room of a DM id: `dm:{id}`, or the id when it holds a `:`.
pub fn dm_room(dm_id: &str) -> String {
    if dm_id.contains(':') {
        dm_id.to_owned()
    } else {
        cat!(DM_PREFIX, dm_id)
    }
}

/// The key of a thread of `room`: `{room}:thread:{thread_id}`.
pub fn thread_key(room: &str, thread_id: &str) -> String {
    cat!(room, THREAD_INFIX, thread_id)
}

/// The key of a channel, or of one of its threads: [`channel_room`], then
/// [`thread_key`] when `thread_id` is a non-empty id.
pub fn key(channel_id: &str, thread_id: Option<&str>) -> String {
    let room = channel_room(channel_id);
    match thread_id {
        Some(t) if !t.is_empty() => thread_key(&room, t),
        _ => room,
    }
}

/// [`channel_room`] of an id from the app; a blank id is refused.
pub fn room_name(channel_id: &str) -> Result<String, String> {
    if channel_id.trim().is_empty() {
        return Err("the channel id must be a non-empty string".into());
    }
    Ok(channel_room(channel_id))
}

/// The channel id of a room: `channel:abc` gives `abc`; any other room
/// (`dm:42`, `team:7`, `channel:a:thread:b`) is returned as it is, which
/// [`channel_room`] maps back to the same room.
pub fn channel_id_of(room: &str) -> String {
    match room.strip_prefix(CHANNEL_PREFIX) {
        Some(rest) if !rest.is_empty() && !rest.contains(':') => rest.to_owned(),
        _ => room.to_owned(),
    }
}

/// nchat's room names (`parseRoomName`): exactly `type:id` with a type of
/// `channel`, `thread`, `user` or `dm` and a non-empty id; the type and id.
/// The server itself takes any room name it knows.
pub fn typed(name: &str) -> Option<(&str, &str)> {
    let (t, id) = name.split_once(':')?;
    let known = ["channel", "thread", "user", "dm"].contains(&t);
    (known && !id.is_empty() && !id.contains(':')).then_some((t, id))
}

/// The kind of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RoomType {
    /// `channel:{id}` (or any other room name).
    Channel,
    /// `{room}:thread:{threadId}`.
    Thread,
    /// `dm:{id}`.
    Dm,
}

impl RoomType {
    /// `channel`, `thread` or `dm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Channel => "channel",
            Self::Thread => "thread",
            Self::Dm => "dm",
        }
    }
}

/// A room name or thread key taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomInfo {
    /// Channel, thread or DM.
    pub room_type: RoomType,
    /// The channel id ([`channel_id_of`] the room; the DM id for DMs).
    pub channel_id: String,
    /// The thread id of thread keys.
    pub thread_id: Option<String>,
}

/// `s.rsplit_once(sep)` on bytes: std's substring searcher brings string
/// slicing panics (and their `Debug` formatting) into the wasm.
fn rsplit_once<'a>(s: &'a str, sep: &str) -> Option<(&'a str, &'a str)> {
    let at = s
        .as_bytes()
        .windows(sep.len())
        .rposition(|w| w == sep.as_bytes())?;
    // `sep` is ASCII, so both ends are char boundaries.
    Some((s.get(..at)?, s.get(at + sep.len()..)?))
}

/// Takes apart `channel:{id}`, `dm:{id}` and `{room}:thread:{threadId}`
/// (the last `:thread:` splits). Other names are channels whose id is the
/// whole name.
pub fn parse(name: &str) -> RoomInfo {
    if let Some((room, thread)) = rsplit_once(name, THREAD_INFIX) {
        if !room.is_empty() && !thread.is_empty() {
            return RoomInfo {
                room_type: RoomType::Thread,
                channel_id: channel_id_of(room),
                thread_id: Some(thread.to_owned()),
            };
        }
    }
    match name.strip_prefix(DM_PREFIX) {
        Some(dm) if !dm.is_empty() => RoomInfo {
            room_type: RoomType::Dm,
            channel_id: dm.to_owned(),
            thread_id: None,
        },
        _ => RoomInfo {
            room_type: RoomType::Channel,
            channel_id: channel_id_of(name),
            thread_id: None,
        },
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_rule() {
        assert_eq!(channel_room("general"), "channel:general");
        assert_eq!(channel_room("dm:42"), "dm:42");
        assert_eq!(channel_room("channel:general"), "channel:general");
        assert_eq!(dm_room("42"), "dm:42");
        assert_eq!(dm_room("dm:42"), "dm:42");
        assert_eq!(key("c1", Some("t9")), "channel:c1:thread:t9");
        assert_eq!(key("dm:42", Some("t9")), "dm:42:thread:t9");
        assert_eq!(key("c1", Some("")), "channel:c1");
        assert_eq!(key("c1", None), "channel:c1");
        assert_eq!(room_name("dm:42").unwrap(), "dm:42");
        assert!(room_name(" ").is_err());
        assert_eq!(channel_id_of("channel:c1"), "c1");
        assert_eq!(channel_id_of("dm:42"), "dm:42");
        assert_eq!(channel_id_of("channel:a:thread:b"), "channel:a:thread:b");
        assert_eq!(typed("thread:t1"), Some(("thread", "t1")));
        assert_eq!(typed("user:u1"), Some(("user", "u1")));
        for bad in ["general", "team:7", "channel:", "channel:a:b", ":x"] {
            assert_eq!(typed(bad), None, "{bad}");
        }
    }

    #[test]
    fn parse_takes_keys_apart() {
        let info = |t, c: &str, th: Option<&str>| RoomInfo {
            room_type: t,
            channel_id: c.into(),
            thread_id: th.map(Into::into),
        };
        assert_eq!(parse("channel:c1"), info(RoomType::Channel, "c1", None));
        assert_eq!(parse("dm:42"), info(RoomType::Dm, "42", None));
        assert_eq!(
            parse("channel:c1:thread:t9"),
            info(RoomType::Thread, "c1", Some("t9"))
        );
        assert_eq!(
            parse("dm:42:thread:t9"),
            info(RoomType::Thread, "dm:42", Some("t9"))
        );
        assert_eq!(parse("lobby"), info(RoomType::Channel, "lobby", None));
        assert_eq!(parse("dm:"), info(RoomType::Channel, "dm:", None));
    }

    proptest! {
        #[test]
        fn ids_round_trip(id in "[a-z0-9:_-]{1,12}", thread in proptest::option::of("[a-z0-9]{1,6}")) {
            let room = channel_room(&id);
            prop_assert_eq!(channel_room(&channel_id_of(&room)), room.clone());
            prop_assert_eq!(channel_room(&room), room.clone());
            if let Some(t) = thread {
                let info = parse(&key(&id, Some(&t)));
                prop_assert_eq!(info.room_type, RoomType::Thread);
                prop_assert_eq!(info.thread_id.as_deref(), Some(t.as_str()));
                prop_assert_eq!(channel_room(&info.channel_id), room);
            }
        }

        #[test]
        fn any_name_parses(name in ".{0,30}") {
            let _ = parse(&name);
            let _ = channel_id_of(&name);
        }
    }
}
