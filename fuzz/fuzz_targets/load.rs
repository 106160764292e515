//! The whole loader on any file: compose.yaml holds the input; `.env` and a
//! second file it may reference are fixed.
#![no_main]
use docker_ecs_fuzz::scratch;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = scratch();
    std::fs::write(dir.path().join("compose.yaml"), data).unwrap();
    std::fs::write(dir.path().join(".env"), "TAG=1.0\nPORT=80\n").unwrap();
    std::fs::write(
        dir.path().join("base.yaml"),
        "services:\n  base:\n    image: nginx\n    environment: [A=1]\n",
    )
    .unwrap();
    let opts = compose::LoadOptions {
        cwd: dir.path().to_path_buf(),
        environment: compose::Environment::new(),
        ..Default::default()
    };
    if let Err(e) = compose::load(&opts) {
        // Rendering the error must not fail either.
        let _ = e.to_string();
    }
});
