//! CloudFormation's hard limits, checked before anything is deployed.

/// Resources, parameters and outputs per template, and the template size
/// accepted through S3 (`up` uploads anything over 51,200 bytes there).
pub const MAX_RESOURCES: usize = 500;
pub const MAX_PARAMETERS: usize = 200;
pub const MAX_OUTPUTS: usize = 200;
pub const MAX_TEMPLATE_BYTES: usize = 1_000_000;

/// Child stacks of a split project: a service's is one of this many
/// buckets, chosen from its name alone, so no edit of another service moves
/// it. At about 20 resources a service (a heavy one), 256 buckets hold
/// thousands of services, and the root's 256 stack resources leave room for
/// what the services share.
pub const CHILD_STACK_BUCKETS: u64 = 256;

/// Listeners per load balancer (an Elastic Load Balancing quota): each
/// published port is one listener.
pub const MAX_LISTENERS_PER_LOAD_BALANCER: usize = 50;

/// What the limits count in a template.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counts {
    pub resources: usize,
    pub parameters: usize,
    pub outputs: usize,
    /// The size of the body `up` sends.
    pub bytes: usize,
}

impl Counts {
    /// Count the sections of a template in its JSON form.
    pub fn of_value(template: &serde_json::Value, bytes: usize) -> Self {
        let count = |section: &str| {
            template
                .get(section)
                .and_then(|v| v.as_object())
                .map_or(0, |m| m.len())
        };
        Counts {
            resources: count("Resources"),
            parameters: count("Parameters"),
            outputs: count("Outputs"),
            bytes,
        }
    }
}

/// Every limit the template breaks, as a sentence.
pub fn check(counts: &Counts) -> Vec<String> {
    let mut broken = Vec::new();
    for (n, section, limit) in [
        (counts.resources, "resources", MAX_RESOURCES),
        (counts.parameters, "parameters", MAX_PARAMETERS),
        (counts.outputs, "outputs", MAX_OUTPUTS),
    ] {
        if n > limit {
            broken.push(format!(
                "the template has {n} {section}, over CloudFormation's limit of {limit} per stack"
            ));
        }
    }
    if counts.bytes > MAX_TEMPLATE_BYTES {
        broken.push(format!(
            "the template is {} bytes, over CloudFormation's limit of {MAX_TEMPLATE_BYTES} bytes",
            counts.bytes
        ));
    }
    broken
}

/// Containers in one task definition (an ECS quota that cannot be raised):
/// the init containers and sidecars count.
pub const MAX_CONTAINERS_PER_TASK: usize = 10;
