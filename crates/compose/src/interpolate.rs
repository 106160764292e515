//! Variable interpolation, as in the Compose Specification:
//! `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?err}`,
//! `${VAR?err}`, `${VAR:+replacement}`, `${VAR+replacement}`, nesting inside
//! the default/replacement/message, and `$$` for a literal dollar.

use crate::error::{Error, Result};
use crate::limits;
use crate::node::{KeyPath, Node, Value};

/// Why a template could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateError {
    /// `${VAR:?msg}` / `${VAR?msg}` with the variable missing (or empty for `:?`).
    Required { name: String, message: String },
    /// Syntax error: a `$` not followed by a name, `$$` or `{...}`.
    Invalid { template: String },
    /// `${…}` nested past [`limits::MAX_INTERPOLATION_DEPTH`].
    TooDeep,
    /// The text produced went past [`limits::MAX_EXPANDED_BYTES`].
    TooLarge,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Required { name, message } => {
                write!(f, "required variable {name} is missing a value: {message}")
            }
            TemplateError::Invalid { template } => {
                write!(f, "invalid interpolation format {template:?}")
            }
            TemplateError::TooDeep => write!(
                f,
                "`${{…}}` is nested more than {} levels deep",
                limits::MAX_INTERPOLATION_DEPTH
            ),
            TemplateError::TooLarge => write!(
                f,
                "variables expand to more than {} of text",
                limits::bytes(limits::MAX_EXPANDED_BYTES as u64)
            ),
        }
    }
}

/// Looks a variable up; `None` when unset (distinct from set-but-empty).
pub trait Lookup {
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl Lookup for crate::env::Environment {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// The text interpolation may still produce. One budget covers a whole
/// load (or one env file), so that a large value used many times is caught
/// as surely as one used once.
#[derive(Debug)]
pub struct Budget {
    left: usize,
}

impl Default for Budget {
    fn default() -> Self {
        Budget {
            left: limits::MAX_EXPANDED_BYTES,
        }
    }
}

impl Budget {
    fn spend(&mut self, bytes: usize) -> std::result::Result<(), TemplateError> {
        self.left = self
            .left
            .checked_sub(bytes)
            .ok_or(TemplateError::TooLarge)?;
        Ok(())
    }
}

/// Expand one string. Variables that are unset without a default expand to ""
/// and are reported through `unset` (Compose prints a warning for each).
pub fn substitute(
    template: &str,
    env: &dyn Lookup,
    unset: &mut dyn FnMut(&str),
    budget: &mut Budget,
) -> std::result::Result<String, TemplateError> {
    substitute_at(template, env, unset, budget, 0)
}

fn substitute_at(
    template: &str,
    env: &dyn Lookup,
    unset: &mut dyn FnMut(&str),
    budget: &mut Budget,
    depth: usize,
) -> std::result::Result<String, TemplateError> {
    if !template.contains('$') {
        return Ok(template.to_string());
    }
    if depth > limits::MAX_INTERPOLATION_DEPTH {
        return Err(TemplateError::TooDeep);
    }
    let bytes = template.as_bytes();
    let mut out = String::with_capacity(template.len());
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c != b'$' {
            // Copy the whole run up to the next `$` (keeps UTF-8 intact).
            let next = template[i..]
                .find('$')
                .map(|n| i + n)
                .unwrap_or(bytes.len());
            out.push_str(&template[i..next]);
            i = next;
            continue;
        }
        match bytes.get(i + 1) {
            Some(b'$') => {
                out.push('$');
                i += 2;
            }
            Some(b'{') => {
                let close = closing_brace(template, i).ok_or_else(|| TemplateError::Invalid {
                    template: template.to_string(),
                })?;
                let inner = &template[i + 2..close];
                let value = expand_braced(inner, template, env, unset, budget, depth)?;
                budget.spend(value.len())?;
                out.push_str(&value);
                i = close + 1;
            }
            Some(&n) if is_name_start(n) => {
                let end = name_end(bytes, i + 1);
                let name = &template[i + 1..end];
                match env.lookup(name) {
                    Some(v) => {
                        budget.spend(v.len())?;
                        out.push_str(v);
                    }
                    None => unset(name),
                }
                i = end;
            }
            // Compose keeps a `$` that starts no variable (`cost $5`, `end$`).
            _ => {
                out.push('$');
                i += 1;
            }
        }
    }
    Ok(out)
}

fn is_name_start(b: u8) -> bool {
    b == b'_' || b.is_ascii_alphabetic()
}

fn name_end(bytes: &[u8], start: usize) -> usize {
    let mut j = start;
    while j < bytes.len() && (bytes[j] == b'_' || bytes[j].is_ascii_alphanumeric()) {
        j += 1;
    }
    j
}

/// Index of the `}` closing the `${` at `start`. Nested `${` and plain `{`
/// both open a level, as in Compose (`${A:-{x}}` is one expression).
fn closing_brace(s: &str, start: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut depth = 0usize;
    let mut i = start;
    while i < b.len() {
        if b[i] == b'$' && b.get(i + 1) == Some(&b'{') {
            depth += 1;
            i += 2;
            continue;
        }
        if b[i] == b'{' {
            depth += 1;
            i += 1;
            continue;
        }
        if b[i] == b'$' && b.get(i + 1) == Some(&b'$') {
            i += 2;
            continue;
        }
        if b[i] == b'}' {
            depth -= 1;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

fn expand_braced(
    inner: &str,
    template: &str,
    env: &dyn Lookup,
    unset: &mut dyn FnMut(&str),
    budget: &mut Budget,
    depth: usize,
) -> std::result::Result<String, TemplateError> {
    let mut nested =
        |arg: &str, unset: &mut dyn FnMut(&str)| substitute_at(arg, env, unset, budget, depth + 1);
    let bytes = inner.as_bytes();
    if bytes.is_empty() || !is_name_start(bytes[0]) {
        return Err(TemplateError::Invalid {
            template: template.to_string(),
        });
    }
    let end = name_end(bytes, 0);
    let name = &inner[..end];
    let rest = &inner[end..];
    let value = env.lookup(name);
    let (op, arg) = if rest.is_empty() {
        ("", "")
    } else if let Some(op) = [":-", ":?", ":+", "-", "?", "+"]
        .into_iter()
        .find(|op| rest.starts_with(op))
    {
        (op, &rest[op.len()..])
    } else {
        return Err(TemplateError::Invalid {
            template: template.to_string(),
        });
    };
    let non_empty = value.is_some_and(|v| !v.is_empty());
    Ok(match op {
        "" => match value {
            Some(v) => v.to_string(),
            None => {
                unset(name);
                String::new()
            }
        },
        ":-" => {
            let default = nested(arg, unset)?;
            if non_empty {
                value.unwrap().to_string()
            } else {
                default
            }
        }
        "-" => {
            let default = nested(arg, unset)?;
            value.map(str::to_string).unwrap_or(default)
        }
        ":+" => {
            let replacement = nested(arg, unset)?;
            if non_empty {
                replacement
            } else {
                String::new()
            }
        }
        "+" => {
            let replacement = nested(arg, unset)?;
            if value.is_some() {
                replacement
            } else {
                String::new()
            }
        }
        ":?" | "?" => {
            let message = nested(arg, unset)?;
            let ok = if op == ":?" {
                non_empty
            } else {
                value.is_some()
            };
            if !ok {
                return Err(TemplateError::Required {
                    name: name.to_string(),
                    message,
                });
            }
            value.unwrap().to_string()
        }
        _ => unreachable!(),
    })
}

/// After interpolation, Compose converts strings at these paths to the
/// scalar type the schema expects (`privileged: "${PRIV}"` → boolean).
#[derive(Clone, Copy)]
enum Cast {
    Int,
    Float,
    Bool,
}

const CASTS: &[(&[&str], Cast)] = &[
    (&["services", "*", "configs", "[]", "mode"], Cast::Int),
    (&["services", "*", "cpu_count"], Cast::Int),
    (&["services", "*", "cpu_percent"], Cast::Float),
    (&["services", "*", "cpu_period"], Cast::Int),
    (&["services", "*", "cpu_quota"], Cast::Int),
    (&["services", "*", "cpu_rt_period"], Cast::Int),
    (&["services", "*", "cpu_rt_runtime"], Cast::Int),
    (&["services", "*", "cpus"], Cast::Float),
    (&["services", "*", "cpu_shares"], Cast::Int),
    (&["services", "*", "init"], Cast::Bool),
    (&["services", "*", "deploy", "replicas"], Cast::Int),
    (
        &["services", "*", "deploy", "update_config", "parallelism"],
        Cast::Int,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "update_config",
            "max_failure_ratio",
        ],
        Cast::Float,
    ),
    (
        &["services", "*", "deploy", "rollback_config", "parallelism"],
        Cast::Int,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "rollback_config",
            "max_failure_ratio",
        ],
        Cast::Float,
    ),
    (
        &["services", "*", "deploy", "restart_policy", "max_attempts"],
        Cast::Int,
    ),
    (
        &[
            "services",
            "*",
            "deploy",
            "placement",
            "max_replicas_per_node",
        ],
        Cast::Int,
    ),
    (&["services", "*", "healthcheck", "retries"], Cast::Int),
    (&["services", "*", "healthcheck", "disable"], Cast::Bool),
    (&["services", "*", "oom_kill_disable"], Cast::Bool),
    (&["services", "*", "oom_score_adj"], Cast::Int),
    (&["services", "*", "pids_limit"], Cast::Int),
    (&["services", "*", "ports", "[]", "target"], Cast::Int),
    (&["services", "*", "privileged"], Cast::Bool),
    (&["services", "*", "read_only"], Cast::Bool),
    (&["services", "*", "scale"], Cast::Int),
    (&["services", "*", "secrets", "[]", "mode"], Cast::Int),
    (&["services", "*", "stdin_open"], Cast::Bool),
    (&["services", "*", "tty"], Cast::Bool),
    (&["services", "*", "ulimits", "*"], Cast::Int),
    (&["services", "*", "ulimits", "*", "hard"], Cast::Int),
    (&["services", "*", "ulimits", "*", "soft"], Cast::Int),
    (&["services", "*", "volumes", "[]", "read_only"], Cast::Bool),
    (
        &["services", "*", "volumes", "[]", "volume", "nocopy"],
        Cast::Bool,
    ),
    (&["networks", "*", "external"], Cast::Bool),
    (&["networks", "*", "internal"], Cast::Bool),
    (&["networks", "*", "attachable"], Cast::Bool),
    (&["networks", "*", "enable_ipv6"], Cast::Bool),
    (&["volumes", "*", "external"], Cast::Bool),
    (&["secrets", "*", "external"], Cast::Bool),
    (&["configs", "*", "external"], Cast::Bool),
];

fn cast_for(path: &KeyPath) -> Option<Cast> {
    CASTS
        .iter()
        .find(|(pattern, _)| path.matches(pattern))
        .map(|(_, c)| *c)
}

/// Interpolate every string value of a parsed file, in place.
pub fn interpolate_tree(
    node: &mut Node,
    path: &KeyPath,
    env: &dyn Lookup,
    warnings: &mut Vec<String>,
    budget: &mut Budget,
) -> Result<()> {
    // One path, extended and shortened on the way down and up: building a
    // fresh path for every node was a tenth of the loader's time. The
    // recursion is as deep as the YAML, which the parser bounds.
    let mut path = path.clone();
    interpolate_at(node, &mut path, env, warnings, budget)
}

fn interpolate_at(
    node: &mut Node,
    path: &mut KeyPath,
    env: &dyn Lookup,
    warnings: &mut Vec<String>,
    budget: &mut Budget,
) -> Result<()> {
    match &mut node.value {
        Value::Str(s) => {
            if s.contains('$') {
                let mut report = |name: &str| {
                    let w = format!(
                        "The \"{name}\" variable is not set. Defaulting to a blank string."
                    );
                    if !warnings.contains(&w) {
                        warnings.push(w);
                    }
                };
                let expanded = substitute(s, env, &mut report, budget).map_err(|e| {
                    let help = match &e {
                        TemplateError::Required { name, .. } => format!(
                            "set {name} in the environment, in the project's .env file or with --env-file"
                        ),
                        TemplateError::Invalid { .. } => {
                            "use $$ for a literal dollar sign; variables are written $NAME or ${NAME}"
                                .to_string()
                        }
                        TemplateError::TooDeep => {
                            "nest fewer `${…}` inside each other".to_string()
                        }
                        TemplateError::TooLarge => {
                            "use large values fewer times, or check that the variables hold what you expect".to_string()
                        }
                    };
                    Error::at(node.span, path, e.to_string()).with_help(help)
                })?;
                *s = expanded;
            }
            if let Some(cast) = cast_for(path) {
                node.value = cast_value(s, cast).map_err(|m| {
                    let help = match cast {
                        Cast::Int => "use a whole number",
                        Cast::Float => "use a number",
                        Cast::Bool => "use true or false",
                    };
                    Error::at(node.span, path, m).with_help(help)
                })?;
            }
            Ok(())
        }
        Value::Seq(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                path.push_index(i);
                let r = interpolate_at(item, path, env, warnings, budget);
                path.pop();
                r?;
            }
            Ok(())
        }
        Value::Map(map) => {
            for (k, v) in map.iter_mut() {
                path.push_key(&k.name);
                let r = interpolate_at(v, path, env, warnings, budget);
                path.pop();
                r?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn cast_value(s: &str, cast: Cast) -> std::result::Result<Value, String> {
    match cast {
        Cast::Int => s
            .parse::<i64>()
            .map(Value::Int)
            .map_err(|_| format!("invalid integer {s:?}")),
        Cast::Float => s
            .parse::<f64>()
            .map(Value::Float)
            .map_err(|_| format!("invalid number {s:?}")),
        Cast::Bool => match s.to_ascii_lowercase().as_str() {
            "true" | "y" | "yes" | "on" => Ok(Value::Bool(true)),
            "false" | "n" | "no" | "off" => Ok(Value::Bool(false)),
            _ => Err(format!("invalid boolean: {s}")),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Env(HashMap<&'static str, &'static str>);
    impl Lookup for Env {
        fn lookup(&self, name: &str) -> Option<&str> {
            self.0.get(name).copied()
        }
    }

    fn env() -> Env {
        Env(HashMap::from([("A", "a"), ("EMPTY", ""), ("N", "7")]))
    }

    fn sub(t: &str) -> std::result::Result<String, TemplateError> {
        substitute(t, &env(), &mut |_| {}, &mut Budget::default())
    }

    #[test]
    fn forms() {
        assert_eq!(sub("$A-${A}").unwrap(), "a-a");
        assert_eq!(sub("${MISSING:-d}").unwrap(), "d");
        assert_eq!(sub("${EMPTY:-d}").unwrap(), "d");
        assert_eq!(sub("${EMPTY-d}").unwrap(), "");
        assert_eq!(sub("${MISSING-d}").unwrap(), "d");
        assert_eq!(sub("${A:+r}").unwrap(), "r");
        assert_eq!(sub("${EMPTY:+r}").unwrap(), "");
        assert_eq!(sub("${EMPTY+r}").unwrap(), "r");
        assert_eq!(sub("${MISSING+r}").unwrap(), "");
        assert_eq!(sub("$$A").unwrap(), "$A");
        assert_eq!(sub("${MISSING:-${N}-x}").unwrap(), "7-x");
        assert_eq!(sub("${MISSING:-${ALSO:-deep}}").unwrap(), "deep");
    }

    #[test]
    fn required() {
        assert_eq!(
            sub("${EMPTY:?need it}").unwrap_err(),
            TemplateError::Required {
                name: "EMPTY".into(),
                message: "need it".into()
            }
        );
        assert_eq!(sub("${EMPTY?x}").unwrap(), "");
        assert!(sub("${MISSING?x}").is_err());
    }

    #[test]
    fn invalid() {
        for t in ["${}", "${A", "${1}", "${A!x}", "${ A}", "${A.b}"] {
            assert!(matches!(sub(t), Err(TemplateError::Invalid { .. })), "{t}");
        }
    }

    #[test]
    fn lone_dollar_is_literal() {
        assert_eq!(sub("a $ b").unwrap(), "a $ b");
        assert_eq!(sub("x$1").unwrap(), "x$1");
        assert_eq!(sub("end$").unwrap(), "end$");
        assert_eq!(sub("${A}}").unwrap(), "a}");
        assert_eq!(sub("${A:-{x}}").unwrap(), "a");
        assert_eq!(sub("${MISSING:-{x}}").unwrap(), "{x}");
    }

    #[test]
    fn deep_nesting_is_refused_without_recursing_further() {
        let mut t = String::from("x");
        for _ in 0..20_000 {
            t = format!("${{A:-{t}}}");
        }
        // A is set, so every level short-circuits only after parsing; the
        // depth check stops it before the stack could overflow.
        assert_eq!(sub(&t), Err(TemplateError::TooDeep));
        let mut ok = String::from("x");
        for _ in 0..limits::MAX_INTERPOLATION_DEPTH {
            ok = format!("${{MISSING:-{ok}}}");
        }
        assert_eq!(sub(&ok).unwrap(), "x");
    }

    #[test]
    fn a_large_value_used_many_times_runs_out_of_budget() {
        struct Big(String);
        impl Lookup for Big {
            fn lookup(&self, _: &str) -> Option<&str> {
                Some(&self.0)
            }
        }
        let env = Big("x".repeat(1 << 20));
        let mut budget = Budget::default();
        let mut result = Ok(String::new());
        for _ in 0..100 {
            result = substitute("$V$V", &env, &mut |_| {}, &mut budget);
            if result.is_err() {
                break;
            }
        }
        assert_eq!(result, Err(TemplateError::TooLarge));
    }

    #[test]
    fn unset_is_reported() {
        let mut seen = vec![];
        let out = substitute(
            "x${NOPE}y$NADA",
            &env(),
            &mut |n| seen.push(n.to_string()),
            &mut Budget::default(),
        )
        .unwrap();
        assert_eq!(out, "xy");
        assert_eq!(seen, ["NOPE", "NADA"]);
    }
}
