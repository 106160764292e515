//! Every bound on what a Compose file can make the loader do, in one place.
//!
//! A Compose file often comes from someone else (a repository, a template, a
//! pull request), and CI runs `convert` on it. These limits keep any such
//! file from crashing, hanging or exhausting the process. Real files stay far
//! below each one; each has its own message, naming the limit.

/// A Compose file (given with `-f`, or reached through `include` and
/// `extends`). 5,000 realistic services take about 3 MB.
pub const MAX_COMPOSE_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// An env file (`.env`, `--env-file`, `env_file`, an `include`'s
/// `env_file`) or a `label_file`.
pub const MAX_ENV_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A secret file read at conversion (for `x-aws-keys`). Secrets Manager
/// holds at most 64 KiB per secret.
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// Text produced by expansion in one load: aliases replaying anchored
/// values, and interpolation. Counted in bytes, so that one large value
/// repeated many times is caught as surely as many small ones.
pub const MAX_EXPANDED_BYTES: usize = 64 * 1024 * 1024;

/// Nesting of YAML collections. Every later step walks the tree
/// recursively; this bound, checked while parsing, is what keeps those walks
/// shallow. Compose files nest about ten levels.
pub const MAX_NESTING_DEPTH: usize = 64;

/// Nesting of `${…}` inside a default, replacement or error message.
pub const MAX_INTERPOLATION_DEPTH: usize = 32;

/// Files in one chain of `extends` (a service extending one that extends
/// another, …) or of `include`.
pub const MAX_CHAIN_DEPTH: usize = 32;

/// Published ports one service may expand to, ranges included. ECS allows
/// 100 port mappings per container; the limit leaves room for the error to
/// say so instead of expanding `1-65535` into 65,535 entries.
pub const MAX_PORTS_PER_SERVICE: usize = 1024;

/// Human-readable size, for messages.
pub fn bytes(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else if n >= 1024 && n.is_multiple_of(1024) {
        format!("{} KiB", n / 1024)
    } else {
        format!("{n} bytes")
    }
}
