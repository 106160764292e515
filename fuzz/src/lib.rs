//! What the fuzz targets share.

/// One folder for the whole run, rewritten by each input: a fresh temporary
/// folder per input spent more time in the kernel than in the loader.
pub fn scratch() -> &'static tempfile::TempDir {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
}
