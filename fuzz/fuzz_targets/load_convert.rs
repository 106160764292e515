//! Load and convert any file, then render the template in both formats.
#![no_main]
use libfuzzer_sys::fuzz_target;

/// One folder for the whole run, rewritten by each input: a fresh temporary
/// folder per input spent more time in the kernel than in the loader.
fn scratch() -> &'static tempfile::TempDir {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().unwrap())
}

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    std::fs::write(dir.path().join("compose.yaml"), data).unwrap();
    let opts = compose::LoadOptions {
        cwd: dir.path().to_path_buf(),
        environment: compose::Environment::new(),
        project_name: Some("fuzz".into()),
        ..Default::default()
    };
    let Ok(loaded) = compose::load(&opts) else { return };
    if let Ok(c) = ecs::convert(&loaded.project, &loaded.positions, &ecs::Options::default()) {
        let _ = c.render(ecs::Format::Json);
        let _ = c.render(ecs::Format::Yaml);
    }
});
