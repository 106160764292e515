//! The one way the loader reads a file: bounded in size, and, for files that
//! a Compose file names, regular files only. A FIFO would block forever and
//! `/dev/zero` would never end; both are refused by name before any read.

use crate::error::Error;
use crate::limits;
use std::io::Read;
use std::path::Path;

/// What is being read, for messages and for its limits.
#[derive(Debug, Clone, Copy)]
pub struct FileKind {
    /// "compose file", "env file", …
    pub what: &'static str,
    pub max_bytes: u64,
    /// Named by a Compose file (not typed by the user): regular files only.
    pub from_input: bool,
}

pub const COMPOSE_FILE: FileKind = FileKind {
    what: "compose file",
    max_bytes: limits::MAX_COMPOSE_FILE_BYTES,
    from_input: false,
};
/// A Compose file reached through `include` or `extends.file`.
pub const REFERENCED_COMPOSE_FILE: FileKind = FileKind {
    from_input: true,
    ..COMPOSE_FILE
};
pub const ENV_FILE: FileKind = FileKind {
    what: "env file",
    max_bytes: limits::MAX_ENV_FILE_BYTES,
    from_input: true,
};
pub const LABEL_FILE: FileKind = FileKind {
    what: "label file",
    ..ENV_FILE
};
pub const SECRET_FILE: FileKind = FileKind {
    what: "secret file",
    max_bytes: limits::MAX_SECRET_FILE_BYTES,
    from_input: true,
};

/// Why a file could not be read. `missing` lets callers treat an absent
/// optional file differently from an unreadable one.
#[derive(Debug, Clone)]
pub struct ReadError {
    pub missing: bool,
    pub message: String,
    pub help: String,
}

impl ReadError {
    /// As an [`Error`] about the file itself (the message names it).
    pub fn into_error(self) -> Error {
        Error::new(self.message).with_help(self.help)
    }
}

fn refuse(kind: FileKind, path: &Path, is: &str, help: String) -> ReadError {
    ReadError {
        missing: false,
        message: format!("{} {} is {is}", kind.what, path.display()),
        help,
    }
}

/// What sort of file `meta` describes, when it is not a regular file.
fn special(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_char_device() || t.is_block_device() {
            return Some("a device");
        }
        if t.is_socket() {
            return Some("a socket");
        }
    }
    Some("not a regular file")
}

/// Read a whole file within `kind`'s limits.
pub fn read_bytes(path: &Path, kind: FileKind) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| ReadError {
        missing: e.kind() == std::io::ErrorKind::NotFound,
        message: match e.kind() {
            std::io::ErrorKind::NotFound => {
                format!("{} {} does not exist", kind.what, path.display())
            }
            _ => format!("cannot read {} {}: {e}", kind.what, path.display()),
        },
        help: format!("check the path of the {}", kind.what),
    })?;
    match special(&meta) {
        // A pipe typed on the command line (`-f <(…)`) is the user's own;
        // one named by a file could block the process forever.
        Some(is) if kind.from_input || meta.is_dir() || !is.starts_with("a FIFO") => {
            return Err(refuse(
                kind,
                path,
                is,
                format!("point it at a regular {}", kind.what),
            ));
        }
        _ => {}
    }
    if meta.is_file() && meta.len() > kind.max_bytes {
        return Err(too_large(kind, path, meta.len()));
    }
    let file = std::fs::File::open(path).map_err(|e| ReadError {
        missing: false,
        message: format!("cannot read {} {}: {e}", kind.what, path.display()),
        help: format!("check the permissions of the {}", kind.what),
    })?;
    let mut buf = Vec::new();
    // One byte past the limit tells a file that grew since the check.
    file.take(kind.max_bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ReadError {
            missing: false,
            message: format!("cannot read {} {}: {e}", kind.what, path.display()),
            help: format!("check the {}", kind.what),
        })?;
    if buf.len() as u64 > kind.max_bytes {
        return Err(too_large(kind, path, buf.len() as u64));
    }
    Ok(buf)
}

fn too_large(kind: FileKind, path: &Path, size: u64) -> ReadError {
    let size = if size > kind.max_bytes {
        format!("over {}", limits::bytes(kind.max_bytes))
    } else {
        limits::bytes(size)
    };
    ReadError {
        missing: false,
        message: format!(
            "{} {} is too large: {size}, the limit is {}",
            kind.what,
            path.display(),
            limits::bytes(kind.max_bytes)
        ),
        help: format!(
            "a {} must be smaller; check that the path is right",
            kind.what
        ),
    }
}

/// Read a whole file as UTF-8 text within `kind`'s limits.
pub fn read_text(path: &Path, kind: FileKind) -> Result<String, ReadError> {
    let bytes = read_bytes(path, kind)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.into_bytes();
        let prefix = String::from_utf8_lossy(&bytes[..valid]);
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ReadError {
            missing: false,
            message: format!(
                "{} {} is not UTF-8 text: invalid byte at line {line}, column {column}",
                kind.what,
                path.display()
            ),
            help: format!("save the {} as UTF-8", kind.what),
        }
    })
}

/// Read standard input (`-f -`) within the Compose file limit.
pub fn read_stdin() -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    std::io::stdin()
        .take(COMPOSE_FILE.max_bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|e| ReadError {
            missing: false,
            message: format!("cannot read the compose file from standard input: {e}"),
            help: "pipe a Compose file into `-f -`".into(),
        })?;
    if buf.len() as u64 > COMPOSE_FILE.max_bytes {
        return Err(too_large(COMPOSE_FILE, Path::new("-"), buf.len() as u64));
    }
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_and_a_device_are_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let e = read_bytes(dir.path(), ENV_FILE).unwrap_err();
        assert!(e.message.contains("is a directory"), "{}", e.message);
        #[cfg(unix)]
        {
            let e = read_bytes(Path::new("/dev/zero"), COMPOSE_FILE).unwrap_err();
            assert!(e.message.contains("is a device"), "{}", e.message);
        }
    }

    #[test]
    fn a_file_over_its_limit_is_refused_with_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("big.env");
        std::fs::write(&f, vec![b'a'; (limits::MAX_SECRET_FILE_BYTES + 1) as usize]).unwrap();
        let e = read_bytes(&f, SECRET_FILE).unwrap_err();
        assert!(e.message.contains("the limit is 64 KiB"), "{}", e.message);
        assert!(read_bytes(&f, ENV_FILE).is_ok());
    }

    #[test]
    fn a_missing_file_says_so() {
        let e = read_bytes(Path::new("/nonexistent/x.env"), ENV_FILE).unwrap_err();
        assert!(e.missing);
        assert!(e.message.contains("/nonexistent/x.env does not exist"));
    }
}
