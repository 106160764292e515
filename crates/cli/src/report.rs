//! How errors and warnings reach the terminal.

use std::io::IsTerminal;

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
        eprint!("{}", out.trim_start_matches(' '));
        if !out.ends_with('\n') {
            eprintln!();
        }
    } else {
        eprintln!("error: {err}");
    }
}

pub fn warning(msg: &str) {
    eprintln!("WARN {msg}");
}

/// A warning about the input: where, what, and what to do.
pub fn input_warning(w: &compose::Error) {
    match w.help() {
        Some(help) => eprintln!("WARN {w} ({help})"),
        None => eprintln!("WARN {w}"),
    }
}

/// A plain one-line error for everything that is not about the input files.
pub fn error(msg: &str) {
    eprintln!("error: {msg}");
}
