//! Errors that point at the input: file, line, column and key path, plus what to do.

use crate::node::{KeyPath, Span};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every file the loader read, so spans can be turned back into file/line/column
/// and a source snippet.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
}

impl SourceMap {
    pub fn add(&mut self, path: PathBuf, text: Arc<str>) -> u32 {
        self.files.push(SourceFile { path, text });
        (self.files.len() - 1) as u32
    }
    pub fn get(&self, id: u32) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }
    pub fn path(&self, span: Span) -> Option<&Path> {
        self.get(span.source).map(|f| f.path.as_path())
    }
}

/// Where an error is, once resolved against the [`SourceMap`].
#[derive(Debug, Clone)]
pub struct Location {
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    /// The lines around the error, and the label's place in them.
    snippet: Snippet,
    label_offset: usize,
    label_len: usize,
}

/// How many lines around an error a snippet shows, and how many characters
/// of each line: a long line is cut around the error's column (the renderer
/// cannot pad past 65,535 columns, and nobody reads that far anyway).
const CONTEXT_LINES: usize = 2;
const WINDOW_CHARS: usize = 160;
const WINDOW_LEAD: usize = 60;

/// The lines around an error, cut to a window, for the snippet renderer.
#[derive(Debug, Clone)]
struct Snippet {
    name: String,
    text: String,
    /// 0-based number of the first line of `text` in the file.
    first_line: usize,
    lines: usize,
    /// The label, for the renderer's `[file:line:column]` header (0-based).
    label: (usize, usize),
    label_line: usize,
    label_column: usize,
}

impl miette::SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        before: usize,
        after: usize,
    ) -> std::result::Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        if before == 0 && after == 0 && span.offset() == self.label.0 {
            let (start, len) = self.label;
            let end = (start + len).min(self.text.len());
            return Ok(Box::new(miette::MietteSpanContents::new_named(
                self.name.clone(),
                &self.text.as_bytes()[start..end],
                (start, end - start).into(),
                self.label_line,
                self.label_column,
                1,
            )));
        }
        Ok(Box::new(miette::MietteSpanContents::new_named(
            self.name.clone(),
            self.text.as_bytes(),
            (0, self.text.len()).into(),
            self.first_line,
            0,
            self.lines,
        )))
    }
}

/// Cut `text` to the lines around byte `offset`, each to the same window of
/// characters; returns the snippet and the label's offset and length in it.
/// `at` is the error's 1-based line and column, as the header shows them.
fn snippet(
    name: String,
    text: &str,
    offset: usize,
    len: usize,
    at: (u32, u32),
) -> (Snippet, usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    // The parser knows the line; counting newlines from the top for every
    // error would make thousands of warnings in a large file quadratic.
    let line_index = match at.0 {
        0 => text[..line_start].matches('\n').count(),
        line => line as usize - 1,
    };
    let column = text[line_start..offset].chars().count();
    // Only the lines around it are read.
    let mut near_start = line_start;
    let mut before = 0;
    while before < CONTEXT_LINES && near_start > 0 {
        near_start = text[..near_start - 1].rfind('\n').map_or(0, |i| i + 1);
        before += 1;
    }
    let wanted = before + CONTEXT_LINES + 1;
    let near: Vec<&str> = text[near_start..]
        .splitn(wanted + 1, '\n')
        .take(wanted)
        .collect();
    let long = near.iter().any(|l| l.chars().count() > WINDOW_CHARS);
    let from = if long && column > WINDOW_LEAD {
        column - WINDOW_LEAD
    } else {
        0
    };
    let first = line_index.saturating_sub(before);
    let last = first + near.len().saturating_sub(1);
    let mut out = String::new();
    let (mut label_offset, mut label_len) = (0, 0);
    for (i, line) in (first..).zip(near.iter()) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let (cut, lead) = window(line, from, long);
        if i == line_index {
            // Where the label starts and ends, in this cut line.
            let before: usize = line
                .chars()
                .skip(from)
                .take(column - from)
                .map(char::len_utf8)
                .sum();
            label_offset = out.len() + lead + before;
            let room = cut.len() - lead - before;
            label_len = len.min(room);
        }
        out.push_str(&cut);
        if i < last {
            out.push('\n');
        }
    }
    let snippet = Snippet {
        name,
        text: out,
        first_line: first,
        lines: last + 1 - first,
        label: (label_offset, label_len.max(1)),
        label_line: at.0.saturating_sub(1) as usize,
        label_column: at.1.saturating_sub(1) as usize,
    };
    (snippet, label_offset, label_len)
}

/// A line cut to the window of characters starting at `from`, with `…`
/// where text was cut, and the byte length of the leading `…`.
fn window(line: &str, from: usize, long: bool) -> (String, usize) {
    if !long {
        return (line.to_string(), 0);
    }
    let mut out = String::new();
    let mut lead = 0;
    if from > 0 && line.chars().count() > from {
        out.push('…');
        lead = out.len();
    }
    let mut chars = line.chars().skip(from);
    out.extend(chars.by_ref().take(WINDOW_CHARS));
    if chars.next().is_some() {
        out.push('…');
    }
    (out, lead)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Boxed so `Result<T, Error>` stays small on the happy path.
#[derive(Debug, Clone)]
pub struct Error(Box<Inner>);

#[derive(Debug, Clone)]
struct Inner {
    message: String,
    path: Option<String>,
    span: Option<Span>,
    file: Option<PathBuf>,
    help: Option<String>,
    location: Option<Location>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            message: message.into(),
            path: None,
            span: None,
            file: None,
            help: None,
            location: None,
        }))
    }

    /// Error about the value at `span`, reached through key path `path`.
    pub fn at(span: Span, path: &KeyPath, message: impl Into<String>) -> Self {
        Error::new(message).with_span(span).with_path(path)
    }

    pub fn with_span(mut self, span: Span) -> Self {
        if span.is_known() && self.0.span.is_none() {
            self.0.span = Some(span);
        }
        self
    }
    pub fn with_path(mut self, path: &KeyPath) -> Self {
        if !path.is_empty() && self.0.path.is_none() {
            self.0.path = Some(path.to_string());
        }
        self
    }
    pub fn with_path_str(mut self, path: impl Into<String>) -> Self {
        if self.0.path.is_none() {
            self.0.path = Some(path.into());
        }
        self
    }
    pub fn with_file(mut self, file: impl Into<PathBuf>) -> Self {
        if self.0.file.is_none() {
            self.0.file = Some(file.into());
        }
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        if self.0.help.is_none() {
            self.0.help = Some(help.into());
        }
        self
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }
    pub fn key_path(&self) -> Option<&str> {
        self.0.path.as_deref()
    }
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }
    pub fn span(&self) -> Option<Span> {
        self.0.span
    }
    pub fn location(&self) -> Option<&Location> {
        self.0.location.as_ref()
    }
    pub fn file(&self) -> Option<&Path> {
        self.0
            .location
            .as_ref()
            .map(|l| l.file.as_path())
            .or(self.0.file.as_deref())
    }

    /// Turn the span into a file/line/column using the loader's sources.
    pub fn resolve(mut self, sources: &SourceMap) -> Self {
        if self.0.location.is_none()
            && let Some(span) = self.0.span
            && let Some(src) = sources.get(span.source)
        {
            let (snippet, label_offset, label_len) = snippet(
                src.path.display().to_string(),
                &src.text,
                span.offset as usize,
                span.len as usize,
                (span.line, span.column),
            );
            self.0.location = Some(Location {
                file: src.path.clone(),
                line: span.line,
                column: span.column,
                snippet,
                label_offset,
                label_len,
            });
        }
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.0.location {
            write!(f, "{}:{}:{}: ", loc.file.display(), loc.line, loc.column)?;
        } else if let Some(file) = &self.0.file {
            write!(f, "{}: ", file.display())?;
        }
        if let Some(path) = &self.0.path {
            write!(f, "{path}: ")?;
        }
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Error {}

impl miette::Diagnostic for Error {
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.0
            .help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0
            .location
            .as_ref()
            .map(|l| &l.snippet as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let loc = self.0.location.as_ref()?;
        let label = miette::LabeledSpan::new(
            Some(self.0.message.clone()),
            loc.label_offset,
            loc.label_len.max(1),
        );
        Some(Box::new(std::iter::once(label)))
    }
}
