//! Environment variables and `.env` files, with Compose's dotenv rules.

use crate::error::{Error, Result};
use crate::interpolate::{self, Lookup, TemplateError};
use indexmap::IndexMap;
use std::path::Path;

/// An ordered variable set. Lookups distinguish "unset" from "empty".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Environment {
    vars: IndexMap<String, String>,
}

impl Environment {
    pub fn new() -> Self {
        Self::default()
    }

    /// The current process environment (non-UTF-8 entries are skipped).
    pub fn from_process() -> Self {
        let mut env = Self::new();
        for (k, v) in std::env::vars_os() {
            if let (Ok(k), Ok(v)) = (k.into_string(), v.into_string()) {
                env.vars.insert(k, v);
            }
        }
        env
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }
    pub fn contains(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
    pub fn len(&self) -> usize {
        self.vars.len()
    }
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

impl FromIterator<(String, String)> for Environment {
    fn from_iter<T: IntoIterator<Item = (String, String)>>(iter: T) -> Self {
        Environment {
            vars: iter.into_iter().collect(),
        }
    }
}

/// Variables visible while expanding a dotenv value: those defined earlier in
/// the same file, then the outer lookup.
struct Chained<'a> {
    local: &'a IndexMap<String, String>,
    outer: &'a dyn Lookup,
}

impl Lookup for Chained<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.local
            .get(name)
            .map(String::as_str)
            .or_else(|| self.outer.lookup(name))
    }
}

/// Read a dotenv file. Values may reference earlier variables and `outer`.
/// A bare `KEY` line takes its value from `outer` (and is skipped if unset).
pub fn read_dotenv(path: &Path, outer: &dyn Lookup) -> Result<IndexMap<String, String>> {
    let text = crate::read::read_text(path, crate::read::ENV_FILE).map_err(|e| e.into_error())?;
    parse_dotenv(&text, outer).map_err(|(line, msg)| {
        Error::new(format!("line {line}: {msg}"))
            .with_file(path)
            .with_help(
                "each line must be KEY=VALUE, `export KEY=VALUE`, a bare KEY, or a # comment",
            )
    })
}

/// Parse dotenv text. Errors carry a 1-based line number.
pub fn parse_dotenv(
    text: &str,
    outer: &dyn Lookup,
) -> std::result::Result<IndexMap<String, String>, (usize, String)> {
    let mut out: IndexMap<String, String> = IndexMap::new();
    // Each value may reference earlier ones: without a budget, a few lines
    // of `B=${A}${A}` would double the text at every line.
    let mut budget = interpolate::Budget::default();
    let src = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut rest = src;
    let line_of = |rest: &str| src[..src.len() - rest.len()].matches('\n').count() + 1;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace());
        if rest.is_empty() {
            break;
        }
        if rest.starts_with('#') {
            rest = rest.find('\n').map(|i| &rest[i..]).unwrap_or("");
            continue;
        }
        let line = line_of(rest);
        if let Some(after) = rest.strip_prefix("export")
            && after.starts_with([' ', '\t'])
        {
            rest = after.trim_start_matches([' ', '\t']);
        }
        // Key: up to `=` (or the YAML-style `:`) or end of line.
        let key_end = rest.find(['=', ':', '\n']).unwrap_or(rest.len());
        let key = rest[..key_end].trim_end_matches([' ', '\t', '\r']);
        if key.is_empty() {
            return Err((line, "missing variable name before `=`".into()));
        }
        if let Some(bad) = key
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '-' | '[' | ']')))
        {
            return Err((
                line,
                format!("unexpected character {bad:?} in variable name {key:?}"),
            ));
        }
        if rest[key_end..].starts_with(['=', ':']) {
            rest = rest[key_end + 1..].trim_start_matches([' ', '\t']);
        } else {
            // Bare name: inherit from the outer environment.
            if let Some(v) = outer.lookup(key) {
                out.insert(key.to_string(), v.to_string());
            }
            rest = &rest[key_end..];
            continue;
        }
        let key = key.to_string();
        let (value, remaining) = match rest.chars().next() {
            Some(q @ ('\'' | '"')) => {
                let body = &rest[1..];
                let close = find_closing_quote(body, q)
                    .ok_or_else(|| (line, format!("unterminated quoted value for {key}")))?;
                let raw = &body[..close];
                let after = &body[close + 1..];
                let after = after.find('\n').map(|i| &after[i..]).unwrap_or("");
                let value = if q == '"' {
                    let unescaped = unescape_double(raw);
                    expand(&unescaped, &out, outer, &mut budget)
                        .map_err(|e| (line, e.to_string()))?
                } else {
                    raw.to_string()
                };
                (value, after)
            }
            _ => {
                let end = rest.find('\n').unwrap_or(rest.len());
                let mut raw = &rest[..end];
                // An inline comment starts at a `#` preceded by whitespace.
                if let Some(i) = raw
                    .char_indices()
                    .find(|&(i, c)| c == '#' && (i == 0 || raw[..i].ends_with([' ', '\t'])))
                    .map(|(i, _)| i)
                {
                    raw = &raw[..i];
                }
                let raw = raw.trim();
                let value =
                    expand(raw, &out, outer, &mut budget).map_err(|e| (line, e.to_string()))?;
                (value, &rest[end..])
            }
        };
        out.insert(key, value);
        rest = remaining;
    }
    Ok(out)
}

fn find_closing_quote(body: &str, q: char) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        if c == '\\' && q == '"' {
            escaped = true;
            continue;
        }
        if c == q {
            return Some(i);
        }
    }
    None
}

fn unescape_double(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('"') => out.push('"'),
            Some('\\') => out.push('\\'),
            // Keep `\$` escaped so expansion treats it as a literal dollar.
            Some('$') => out.push_str("$$"),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn expand(
    raw: &str,
    local: &IndexMap<String, String>,
    outer: &dyn Lookup,
    budget: &mut interpolate::Budget,
) -> std::result::Result<String, TemplateError> {
    let chained = Chained { local, outer };
    interpolate::substitute(raw, &chained, &mut |_| {}, budget)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> IndexMap<String, String> {
        let outer = Environment::from_iter([("OUTER".to_string(), "o".to_string())]);
        parse_dotenv(text, &outer).unwrap()
    }

    #[test]
    fn basics() {
        let m = parse(
            "# comment\nA=1\nexport B = two words # trailing\nC='single $A'\nD=\"dq\\n$A\"\nE=${A}x\nF=${NOPE:-def}\nOUTER\nG=a#b\nH=\nI: colon\n",
        );
        assert_eq!(m["A"], "1");
        assert_eq!(m["B"], "two words");
        assert_eq!(m["C"], "single $A");
        assert_eq!(m["D"], "dq\n1");
        assert_eq!(m["E"], "1x");
        assert_eq!(m["F"], "def");
        assert_eq!(m["OUTER"], "o");
        assert_eq!(m["G"], "a#b");
        assert_eq!(m["H"], "");
        assert_eq!(m["I"], "colon");
    }

    #[test]
    fn multiline_quotes() {
        let m = parse("K=\"line1\nline2\"\nN=2\n");
        assert_eq!(m["K"], "line1\nline2");
        assert_eq!(m["N"], "2");
    }

    #[test]
    fn errors_have_lines() {
        let outer = Environment::new();
        let (line, _) = parse_dotenv("A=1\nB C=2\n", &outer).unwrap_err();
        assert_eq!(line, 2);
        assert!(parse_dotenv("A=\"open\n", &outer).is_err());
    }
}
