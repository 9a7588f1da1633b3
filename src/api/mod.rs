//! The `#[wasm_bindgen]` surface seen from JavaScript.
