//! Interpolation and dotenv parsing on any text, against a small environment
//! that includes a large value.
#![no_main]
use compose::interpolate::{Budget, Lookup, substitute};
use libfuzzer_sys::fuzz_target;

struct Env(String);

impl Lookup for Env {
    fn lookup(&self, name: &str) -> Option<&str> {
        match name {
            "A" => Some("a"),
            "EMPTY" => Some(""),
            "BIG" => Some(&self.0),
            _ => None,
        }
    }
}

fuzz_target!(|text: &str| {
    let env = Env("b".repeat(64 * 1024));
    let _ = substitute(text, &env, &mut |_| {}, &mut Budget::default());
    let _ = compose::env::parse_dotenv(text, &env);
});
