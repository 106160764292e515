//! Load and convert any file, then render the template in both formats.
#![no_main]
use docker_ecs_fuzz::scratch;
use libfuzzer_sys::fuzz_target;

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
