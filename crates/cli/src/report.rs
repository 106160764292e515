//! How errors and warnings reach the terminal.

use std::io::{IsTerminal, Write};

/// Write one whole message to stderr. Stderr is unbuffered, so `eprintln!`
/// with arguments makes a system call per piece; a project with many
/// warnings spent a millisecond on that alone.
fn emit(text: &str) {
    let _ = std::io::stderr().lock().write_all(text.as_bytes());
}

/// Print a loader error: one line with file:line:col, key path and message,
/// then the source snippet and the hint.
pub fn compose_error(err: &compose::Error) {
    let theme = if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let mut theme = theme;
    theme.characters.error = "error:".into();
    let handler = miette::GraphicalReportHandler::new_themed(theme)
        .with_context_lines(2)
        .with_wrap_lines(false);
    let mut out = String::new();
    if handler.render_report(&mut out, err).is_ok() {
        if !out.ends_with('\n') {
            out.push('\n');
        }
        emit(out.trim_start_matches(' '));
    } else {
        emit(&format!("error: {err}\n"));
    }
}

pub fn warning(msg: &str) {
    emit(&format!("WARN {msg}\n"));
}

/// Information on stderr, beside the output on stdout.
pub fn note(msg: &str) {
    emit(&format!("{msg}\n"));
}

/// A warning about the input: where, what, and what to do.
pub fn input_warning(w: &compose::Error) {
    match w.help() {
        Some(help) => emit(&format!("WARN {w} ({help})\n")),
        None => emit(&format!("WARN {w}\n")),
    }
}

/// A plain one-line error for everything that is not about the input files.
pub fn error(msg: &str) {
    emit(&format!("error: {msg}\n"));
}
