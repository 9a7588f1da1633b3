//! `json!`: JSON literals in Rust, like serde_json's macro.

/// Builds a [`Value`](super::Value) from JSON-like syntax: `null`, arrays,
/// objects with string keys, and any Rust expression with a
/// [`ToJson`](super::ToJson) form as a leaf, taken by reference (`json!({"userIds": ids, "since": null})`).
macro_rules! json {
    (null) => {
        $crate::core::json::Value::Null
    };
    ([]) => {
        $crate::core::json::Value::Array(::std::vec::Vec::new())
    };
    ([ $($tt:tt)+ ]) => {
        $crate::core::json::Value::Array($crate::core::json::json!(@array [] $($tt)+))
    };
    ({}) => {
        $crate::core::json::Value::Object($crate::core::json::Map::new())
    };
    ({ $($tt:tt)+ }) => {{
        let mut object = $crate::core::json::Map::new();
        $crate::core::json::json!(@object object $($tt)+);
        $crate::core::json::Value::Object(object)
    }};

    // Arrays: the items so far, then the rest to munch.
    (@array [$($items:expr,)*]) => {
        ::std::vec![$($items,)*]
    };
    (@array [$($items:expr,)*] null $(, $($rest:tt)*)?) => {
        $crate::core::json::json!(@array [$($items,)* $crate::core::json::json!(null),] $($($rest)*)?)
    };
    (@array [$($items:expr,)*] [$($arr:tt)*] $(, $($rest:tt)*)?) => {
        $crate::core::json::json!(@array [$($items,)* $crate::core::json::json!([$($arr)*]),] $($($rest)*)?)
    };
    (@array [$($items:expr,)*] {$($obj:tt)*} $(, $($rest:tt)*)?) => {
        $crate::core::json::json!(@array [$($items,)* $crate::core::json::json!({$($obj)*}),] $($($rest)*)?)
    };
    (@array [$($items:expr,)*] $next:expr $(, $($rest:tt)*)?) => {
        $crate::core::json::json!(@array [$($items,)* $crate::core::json::json!($next),] $($($rest)*)?)
    };

    // Objects: one `key: value` at a time into `$object`.
    (@object $object:ident) => {};
    (@object $object:ident $key:tt : null $(, $($rest:tt)*)?) => {
        $object.insert(::std::string::String::from($key), $crate::core::json::Value::Null);
        $crate::core::json::json!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:tt : [$($arr:tt)*] $(, $($rest:tt)*)?) => {
        $object.insert(::std::string::String::from($key), $crate::core::json::json!([$($arr)*]));
        $crate::core::json::json!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:tt : {$($obj:tt)*} $(, $($rest:tt)*)?) => {
        $object.insert(::std::string::String::from($key), $crate::core::json::json!({$($obj)*}));
        $crate::core::json::json!(@object $object $($($rest)*)?);
    };
    (@object $object:ident $key:tt : $value:expr $(, $($rest:tt)*)?) => {
        $object.insert(::std::string::String::from($key), $crate::core::json::json!($value));
        $crate::core::json::json!(@object $object $($($rest)*)?);
    };

    ($other:expr) => {
        $crate::core::json::ToJson::to_json(&$other)
    };
}

pub(crate) use json;
