//! Task sizes: Fargate CPU/memory combinations, and the EC2 instance types
//! that fit a task.

/// Fargate CPU units (1,024 per vCPU) and the memory sizes (MiB) each allows.
fn fargate_tiers() -> Vec<(u64, Vec<u64>)> {
    let gib = |from: u64, to: u64, step: u64| {
        (from..=to)
            .step_by(step as usize)
            .map(|g| g * 1024)
            .collect()
    };
    vec![
        (256, vec![512, 1024, 2048]),
        (512, gib(1, 4, 1)),
        (1024, gib(2, 8, 1)),
        (2048, gib(4, 16, 1)),
        (4096, gib(8, 30, 1)),
        (8192, gib(16, 60, 4)),
        (16384, gib(32, 120, 8)),
    ]
}

/// The smallest Fargate size that fits `cpus` (vCPUs) and `memory` (bytes).
/// Nothing requested gives 0.25 vCPU / 512 MiB. A memory request can raise
/// the CPU tier, as Fargate ties memory ranges to CPU sizes.
pub fn fargate_size(cpus: f64, memory_bytes: u64) -> Result<(u64, u64), String> {
    // 1 vCPU is 1,024 units (the original used 1,000 and under-sized tasks).
    let units = (cpus * 1024.0).ceil() as u64;
    let mib = memory_bytes.div_ceil(1024 * 1024);
    for (cpu, memories) in fargate_tiers() {
        if cpu < units {
            continue;
        }
        if let Some(m) = memories.iter().find(|m| **m >= mib) {
            return Ok((cpu, *m));
        }
    }
    Err(format!(
        "no Fargate task size fits {cpus} vCPU and {mib} MiB (the largest is 16 vCPU with 120 GiB)"
    ))
}

/// A GPU instance type: name, vCPUs, memory (GiB), GPUs.
pub struct GpuInstance {
    pub name: &'static str,
    pub vcpus: u64,
    pub memory_gib: u64,
    pub gpus: u64,
}

const GPU_INSTANCES: &[GpuInstance] = &[
    GpuInstance {
        name: "g4dn.xlarge",
        vcpus: 4,
        memory_gib: 16,
        gpus: 1,
    },
    GpuInstance {
        name: "g4dn.2xlarge",
        vcpus: 8,
        memory_gib: 32,
        gpus: 1,
    },
    GpuInstance {
        name: "g4dn.4xlarge",
        vcpus: 16,
        memory_gib: 64,
        gpus: 1,
    },
    GpuInstance {
        name: "g4dn.8xlarge",
        vcpus: 32,
        memory_gib: 128,
        gpus: 1,
    },
    GpuInstance {
        name: "g4dn.12xlarge",
        vcpus: 48,
        memory_gib: 192,
        gpus: 4,
    },
    GpuInstance {
        name: "g4dn.16xlarge",
        vcpus: 64,
        memory_gib: 256,
        gpus: 1,
    },
    GpuInstance {
        name: "g4dn.metal",
        vcpus: 96,
        memory_gib: 384,
        gpus: 8,
    },
    GpuInstance {
        name: "g5.12xlarge",
        vcpus: 48,
        memory_gib: 192,
        gpus: 4,
    },
    GpuInstance {
        name: "g5.48xlarge",
        vcpus: 192,
        memory_gib: 768,
        gpus: 8,
    },
];

/// The first GPU instance type with more memory than requested (the ECS agent
/// and the OS need some), at least the CPUs and at least the GPUs.
pub fn gpu_instance(cpus: f64, memory_bytes: u64, gpus: u64) -> Result<&'static str, String> {
    let gib = memory_bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    GPU_INSTANCES
        .iter()
        .find(|i| i.memory_gib as f64 > gib && i.vcpus as f64 >= cpus && i.gpus >= gpus)
        .map(|i| i.name)
        .ok_or_else(|| {
            format!(
                "no GPU instance type has more than {gib:.0} GiB, {cpus} vCPU and {gpus} GPUs; \
                 choose one with the placement constraint `node.machine == <type>`"
            )
        })
}

/// General-purpose sizes (name, vCPUs, GiB), from `large` up: m7i on
/// x86_64, m7g (Graviton) on arm64, both 4 GiB per vCPU.
const GENERAL_SIZES: &[(&str, u64, u64)] = &[
    ("large", 2, 8),
    ("xlarge", 4, 16),
    ("2xlarge", 8, 32),
    ("4xlarge", 16, 64),
    ("8xlarge", 32, 128),
    ("12xlarge", 48, 192),
    ("16xlarge", 64, 256),
];

/// The smallest general-purpose instance type with more memory than the
/// task asks for (the ECS agent and the OS need some) and at least its
/// vCPUs.
pub fn general_instance(cpus: f64, memory_bytes: u64, arm64: bool) -> Result<String, String> {
    let gib = memory_bytes as f64 / (1024.0 * 1024.0 * 1024.0);
    let family = if arm64 { "m7g" } else { "m7i" };
    GENERAL_SIZES
        .iter()
        .find(|(_, vcpus, mem)| *mem as f64 > gib && *vcpus as f64 >= cpus)
        .map(|(size, _, _)| format!("{family}.{size}"))
        .ok_or_else(|| {
            format!(
                "no {family} instance type has more than {gib:.0} GiB and {cpus} vCPU; \
                 name one with `x-aws-instance_type`"
            )
        })
}

/// Is the instance type a Graviton (arm64) one? The letter `g` after the
/// generation says so: `m7g.large`, `c7gn.xlarge`, `g5g.xlarge`, but not
/// `g4dn.xlarge`.
pub fn is_graviton(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or_default();
    family
        .trim_start_matches(|c: char| c.is_ascii_lowercase())
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .contains('g')
}

/// Inferentia and Trainium instances run the Neuron AMI.
pub fn is_neuron(instance_type: &str) -> bool {
    instance_type.starts_with("inf") || instance_type.starts_with("trn")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;
    const GIB: u64 = 1024 * MIB;

    #[test]
    fn fargate_sizes_from_the_original_tests() {
        assert_eq!(fargate_size(0.0, 0).unwrap(), (256, 512));
        assert_eq!(fargate_size(0.5, 2048 * MIB).unwrap(), (512, 2048));
        assert_eq!(fargate_size(4.0, 8192 * MIB).unwrap(), (4096, 8192));
        // One vCPU is 1,024 units: it fits the 1,024 tier with its smallest memory.
        assert_eq!(fargate_size(1.0, 0).unwrap(), (1024, 2048));
        // Memory raises the tier.
        assert_eq!(fargate_size(0.25, 6 * GIB).unwrap(), (1024, 6144));
        assert_eq!(fargate_size(8.0, 0).unwrap(), (8192, 16384));
        assert!(fargate_size(32.0, 0).is_err());
        assert!(fargate_size(1.0, 200 * GIB).is_err());
    }

    #[test]
    fn gpu_types_from_the_original_tests() {
        assert_eq!(gpu_instance(0.0, 0, 1).unwrap(), "g4dn.xlarge");
        assert_eq!(gpu_instance(0.0, 0, 4).unwrap(), "g4dn.12xlarge");
        assert_eq!(gpu_instance(0.0, 300 * GIB, 2).unwrap(), "g4dn.metal");
        assert_eq!(gpu_instance(32.0, 32 * GIB, 2).unwrap(), "g4dn.12xlarge");
        assert!(gpu_instance(0.0, 0, 16).is_err());
    }

    #[test]
    fn general_types_fit_the_task_with_room_for_the_agent() {
        assert_eq!(general_instance(0.0, 0, false).unwrap(), "m7i.large");
        assert_eq!(general_instance(0.0, 2 * GIB, true).unwrap(), "m7g.large");
        // 8 GiB exactly leaves nothing for the agent: the next size.
        assert_eq!(general_instance(1.0, 8 * GIB, false).unwrap(), "m7i.xlarge");
        assert_eq!(general_instance(6.0, 0, false).unwrap(), "m7i.2xlarge");
        assert!(general_instance(100.0, 0, false).is_err());
    }

    #[test]
    fn graviton_and_neuron_families_are_told_apart() {
        for arm in [
            "m7g.large",
            "c7gn.xlarge",
            "g5g.xlarge",
            "t4g.small",
            "r8gd.2xlarge",
        ] {
            assert!(is_graviton(arm), "{arm}");
        }
        for x86 in [
            "m7i.large",
            "g4dn.xlarge",
            "p5.48xlarge",
            "inf2.xlarge",
            "c6in.large",
        ] {
            assert!(!is_graviton(x86), "{x86}");
        }
        assert!(is_neuron("inf2.xlarge") && is_neuron("trn1.2xlarge"));
        assert!(!is_neuron("m7i.large"));
    }
}
