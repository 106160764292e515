//! The YAML reader (fast path and serde-saphyr) on any text: it returns
//! documents or an error, within its budgets.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let _ = compose::yaml::parse_documents(text, 0);
});
