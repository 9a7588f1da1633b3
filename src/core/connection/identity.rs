//! Who the connection is for: the user id in the token's claims and in the
//! server's events. The token is read, not verified (the server verifies
//! it); a malformed token just gives no id.

use crate::core::json;

use crate::core::ack::id_text;

/// The `userId` (else `sub`) claim of a JWT: the payload segment,
/// base64url-decoded, as a JSON object. `None` for anything malformed.
pub fn jwt_user_id(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url_decode(payload)?;
    let claims = json::from_slice(&bytes).ok()?;
    ["userId", "sub"]
        .iter()
        .find_map(|k| claims.get(k).and_then(id_text))
}

/// The `userId` of an event's first argument (`data` is the event's JSON
/// array `["name", {userId, ...}]`), e.g. `connected` or `authenticated`.
pub fn event_user_id(data: &str) -> Option<String> {
    let value = json::from_str(data).ok()?;
    value.get(1)?.get("userId").and_then(id_text)
}

/// An event's first argument as JSON text, when it is an object.
pub fn event_object(data: &str) -> Option<String> {
    let value = json::from_str(data).ok()?;
    value
        .get(1)
        .filter(|v| v.is_object())
        .map(json::Value::to_text)
}

/// Base64url (or standard base64; padding optional), as JWTs and the
/// server's `Buffer.from(.., 'base64')` accept it.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3 + 2);
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in text.bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn b64(bytes: &[u8]) -> String {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n =
                chunk.iter().fold(0u32, |n, b| (n << 8) | u32::from(*b)) << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn token(claims: &str) -> String {
        format!("eyJhbGciOiJIUzI1NiJ9.{}.sig", b64(claims.as_bytes()))
    }

    #[test]
    fn user_id_then_sub_from_the_claims() {
        assert_eq!(
            jwt_user_id(&token(r#"{"userId":"alice","sub":"x","exp":1}"#)).as_deref(),
            Some("alice")
        );
        assert_eq!(
            jwt_user_id(&token(r#"{"sub":"bob"}"#)).as_deref(),
            Some("bob")
        );
        assert_eq!(jwt_user_id(&token(r#"{"userId":7}"#)).as_deref(), Some("7"));
        assert_eq!(
            jwt_user_id(&token(r#"{"userId":"","sub":"c"}"#)).as_deref(),
            Some("c")
        );
        // A real HS256 token as jsonwebtoken signs it (claims {"userId":"u-1","sessionId":"s_1"}).
        let real =
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VySWQiOiJ1LTEiLCJzZXNzaW9uSWQiOiJzXzEifQ.x";
        assert_eq!(jwt_user_id(real).as_deref(), Some("u-1"));
    }

    #[test]
    fn malformed_tokens_give_none() {
        for t in [
            "",
            "opaque-token",
            "a.b",
            "a.!!!.c",
            "a.e.c",
            &token("[1,2]"),
            &token("not json"),
            &token(r#"{"name":"x"}"#),
            &token(r#"{"userId":null,"sub":{"a":1}}"#),
        ] {
            assert_eq!(jwt_user_id(t), None, "{t:?}");
        }
    }

    #[test]
    fn event_payloads() {
        assert_eq!(
            event_user_id(r#"["authenticated",{"userId":"u2"}]"#).as_deref(),
            Some("u2")
        );
        assert_eq!(event_user_id(r#"["connected",{"socketId":"s"}]"#), None);
        assert_eq!(event_user_id(r#"["connected"]"#), None);
        assert_eq!(event_user_id("nope"), None);
    }

    proptest! {
        #[test]
        fn decoding_round_trips_and_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64), junk in ".{0,40}") {
            prop_assert_eq!(base64url_decode(&b64(&bytes)), Some(bytes));
            let _ = jwt_user_id(&junk);
            let _ = jwt_user_id(&format!("h.{junk}.s"));
        }
    }
}
