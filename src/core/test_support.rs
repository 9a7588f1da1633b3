//! Helpers shared by the cores' host tests.

use crate::core::json::{json, Value};
use proptest::prelude::*;
use proptest::strategy::Union;

/// Arbitrary JSON up to three levels deep: scalars, strings (one of
/// `strings` or any up to 12 characters) and arrays and objects whose keys
/// are one of `keys` or a short random word.
pub(crate) fn arb_json(
    strings: &'static [&'static str],
    keys: &'static [&'static str],
) -> impl Strategy<Value = Value> {
    let words = |list: &'static [&'static str], any: &'static str| {
        Union::new(
            list.iter()
                .map(|w| Just((*w).to_owned()).boxed())
                .chain(std::iter::once(any.boxed())),
        )
    };
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        words(strings, ".{0,12}").prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(words(keys, "[a-z]{1,4}"), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// An event as `{event, data}`: its name and its JSON form, as the app's
/// listeners get them (`(event, data)`).
pub(crate) trait Tagged {
    /// `{event: name, data}`.
    fn tagged(&self) -> Value;
}

macro_rules! tagged {
    ($($t:ty),*) => {$(
        impl Tagged for $t {
            fn tagged(&self) -> Value {
                json!({"event": self.name(), "data": crate::core::json::ToJson::to_json(self)})
            }
        }
    )*};
}

tagged!(
    crate::core::queue::QueueEvent,
    crate::core::sync::SyncEvent,
    crate::core::delivery::DeliveryEvent
);
