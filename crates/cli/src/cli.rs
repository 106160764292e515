//! Command-line definition. Flag names follow `docker compose`.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "docker-ecs",
    bin_name = "docker ecs",
    version,
    about = "Run a Compose application on Amazon ECS",
    long_about = "Run a Compose application on Amazon ECS (Fargate by default), as one CloudFormation stack.\n\nUse it as `docker ecs …` (Docker CLI plugin) or standalone as `docker-ecs …`.",
    disable_help_subcommand = true
)]
pub struct Cli {
    /// Log every AWS call to stderr: operation, region, status, retries and
    /// request ID (also on with RUST_LOG); secrets are never printed
    #[arg(short = 'D', long, global = true)]
    pub debug: bool,

    #[command(flatten)]
    pub project: ProjectArgs,

    #[command(flatten)]
    pub aws: AwsArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// The global Compose options; accepted before or after the subcommand.
#[derive(Args, Debug, Clone, Default)]
pub struct ProjectArgs {
    /// Compose configuration files
    #[arg(short = 'f', long = "file", global = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Project name
    #[arg(short = 'p', long = "project-name", global = true, value_name = "NAME")]
    pub project_name: Option<String>,

    /// Specify an alternate working directory (default: the path of the first Compose file)
    #[arg(long, global = true, value_name = "DIR")]
    pub project_directory: Option<PathBuf>,

    /// Specify an alternate environment file
    #[arg(long = "env-file", global = true, value_name = "FILE")]
    pub env_files: Vec<PathBuf>,

    /// Specify a profile to enable
    #[arg(
        long = "profile",
        id = "compose_profiles",
        global = true,
        value_name = "PROFILE"
    )]
    pub profiles: Vec<String>,
}

/// Where and as whom to reach AWS. `--profile` belongs to Compose (service
/// profiles), so the AWS profile is `--aws-profile` (or AWS_PROFILE).
#[derive(Args, Debug, Clone, Default)]
pub struct AwsArgs {
    /// AWS profile to use (default: AWS_PROFILE, then "default")
    #[arg(long, global = true, value_name = "NAME", help_heading = "AWS")]
    pub aws_profile: Option<String>,

    /// AWS region (default: AWS_REGION, then the profile's region)
    #[arg(long, global = true, value_name = "REGION", help_heading = "AWS")]
    pub region: Option<String>,

    /// Send AWS API calls to this endpoint (AWS_ENDPOINT_URL is honoured too)
    #[arg(long, global = true, value_name = "URL", help_heading = "AWS")]
    pub endpoint_url: Option<String>,

    /// Docker context to use: an ecs context keeps an AWS profile and region
    /// (default: DOCKER_CONTEXT, then `docker context use`)
    #[arg(long, global = true, value_name = "NAME", help_heading = "AWS")]
    pub context: Option<String>,

    /// Docker's configuration directory (docker passes it to plugins)
    #[arg(long = "config", global = true, value_name = "DIR", hide = true)]
    pub docker_config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse, resolve and render the Compose file in canonical format
    #[command(
        after_help = "Examples:\n  docker ecs config\n  docker ecs config --format json\n  docker ecs -f compose.yaml -f compose.prod.yaml config --services"
    )]
    Config(ConfigArgs),

    /// Convert the Compose project to a CloudFormation template (offline)
    #[command(
        after_help = "Examples:\n  docker ecs convert\n  docker ecs convert --format json -o template.json\n  docker ecs -f compose.yaml -f compose.prod.yaml convert --strict\n\nNo AWS account is needed: the VPC and subnets are template parameters\n(defaults from x-aws-vpc / x-aws-subnets) that `docker ecs up` fills in."
    )]
    Convert(ConvertArgs),

    /// Deploy the project to Amazon ECS and wait until it is running
    #[command(
        after_help = "Examples:\n  docker ecs up\n  docker ecs up --dry-run\n  docker ecs --region eu-west-1 up --progress plain --wait-timeout 1800\n\nCreates the stack, or updates it through a change set, and waits.\nCtrl-C detaches: the deployment goes on; run `docker ecs up` again to follow it.\nExit status: 0 when the stack is complete, 1 when it failed or rolled back, 130 when detached."
    )]
    Up(UpArgs),

    /// Delete the project's stack and wait
    #[command(
        after_help = "Examples:\n  docker ecs down\n  docker ecs -p myapp down\n\nEFS file systems and Secrets Manager secrets are kept; down lists them."
    )]
    Down(DownArgs),

    /// List the project's services and tasks
    #[command(
        after_help = "Examples:\n  docker ecs ps\n  docker ecs ps -a web\n  docker ecs ps --format json"
    )]
    Ps(PsArgs),

    /// Show the services' logs (CloudWatch Logs)
    #[command(
        after_help = "Examples:\n  docker ecs logs\n  docker ecs logs -f --tail 20 web\n  docker ecs logs --since 10m -t"
    )]
    Logs(LogsArgs),

    /// Run a command in a running task of a service (ECS Exec)
    #[command(
        after_help = "Examples:\n  docker ecs exec web\n  docker ecs exec --index 2 web cat /etc/hosts\n  docker ecs exec -T worker env\n\nNeeds x-aws-enable_exec: true on the service and AWS's session-manager-plugin on PATH.\nECS runs every command in an interactive session with a terminal; -T is accepted so that docker compose scripts run unchanged.\nExit status: the remote command's, as the session reports it; 1 when the session cannot start."
    )]
    Exec(ExecArgs),

    /// List the projects deployed in the region
    #[command(
        after_help = "Examples:\n  docker ecs ls\n  docker ecs ls --filter name=shop --format json"
    )]
    Ls(LsArgs),

    /// Manage ecs contexts: Docker contexts that keep an AWS profile and region
    #[command(
        subcommand,
        after_help = "Examples:\n  docker ecs context create prod --profile prod --region eu-west-1\n  docker ecs context create ci --from-env\n  docker ecs context create dev --access-keys --region us-east-1\n  docker context use prod    # or: docker --context prod ecs up"
    )]
    Context(ContextCommand),

    /// Manage secrets in AWS Secrets Manager
    #[command(
        subcommand,
        after_help = "Examples:\n  docker ecs secret create db-password ./password.txt\n  printf %s \"$TOKEN\" | docker ecs secret create api-token - --label team=web\n  docker ecs secret ls\n  docker ecs secret rm db-password"
    )]
    Secret(SecretCommand),

    /// Manage volumes (Amazon EFS file systems)
    #[command(
        subcommand,
        after_help = "Examples:\n  docker ecs volume create data\n  docker ecs volume create db --opt performance_mode=maxIO --opt lifecycle_policy=AFTER_30_DAYS\n  docker ecs volume ls\n  docker ecs volume rm data"
    )]
    Volume(VolumeCommand),

    /// Install docker-ecs as a Docker CLI plugin (`docker ecs …`)
    #[command(
        after_help = "Copies this binary to $DOCKER_CONFIG/cli-plugins/docker-ecs (default ~/.docker/cli-plugins)."
    )]
    Install,

    /// Show the docker-ecs version information
    Version(VersionArgs),

    /// Generate shell completion scripts
    #[command(
        after_help = "Examples:\n  docker-ecs completion bash > /etc/bash_completion.d/docker-ecs\n  docker-ecs completion zsh > \"${fpath[1]}/_docker-ecs\"\n  docker-ecs completion fish > ~/.config/fish/completions/docker-ecs.fish"
    )]
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum DocFormat {
    #[default]
    Yaml,
    Json,
}

#[derive(Args, Debug)]
pub struct ConfigArgs {
    /// Format the output
    #[arg(long, value_enum, default_value_t = DocFormat::Yaml)]
    pub format: DocFormat,

    /// Only validate the configuration, don't print anything
    #[arg(short, long)]
    pub quiet: bool,

    /// Print the service names, one per line
    #[arg(long)]
    pub services: bool,

    /// Print the volume names, one per line
    #[arg(long)]
    pub volumes: bool,

    /// Print the network names, one per line
    #[arg(long)]
    pub networks: bool,

    /// Print the profile names, one per line
    #[arg(long)]
    pub profiles: bool,

    /// Print the image names, one per line
    #[arg(long)]
    pub images: bool,

    /// Save to file (default to stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Services to show (and their dependencies)
    pub service_names: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ConvertArgs {
    /// Format the output
    #[arg(long, value_enum, default_value_t = DocFormat::Yaml)]
    pub format: DocFormat,

    /// Save to file (default to stdout); child stacks go beside it, as
    /// FILE's name with `.<Child>` before its extension
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write the child stacks' templates to this directory, as <Child>.yaml
    /// (or .json)
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,

    /// Split into a root stack and child stacks even when one stack would do
    #[arg(long)]
    pub nested_stacks: bool,

    /// Treat warnings (ignored Compose keys) as errors
    #[arg(long)]
    pub strict: bool,

    /// Pin every image to its registry digest (needs the registries, and
    /// AWS credentials for ECR images)
    #[arg(long)]
    pub resolve_image_digests: bool,

    /// Run services on EC2 or FARGATE unless they say otherwise (over the
    /// project's x-aws-launch_type)
    #[arg(long, value_enum, ignore_case = true, value_name = "TYPE")]
    pub launch_type: Option<LaunchTypeArg>,

    /// ecs-cli's ecs-params file (default: ecs-params.yml beside the
    /// Compose file, when there is one); its values win over Compose's
    #[arg(long, value_name = "FILE")]
    pub ecs_params: Option<std::path::PathBuf>,
}

/// `--launch-type`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum LaunchTypeArg {
    #[value(name = "EC2")]
    Ec2,
    #[value(name = "FARGATE")]
    Fargate,
}

impl From<LaunchTypeArg> for ecs::LaunchType {
    fn from(l: LaunchTypeArg) -> Self {
        match l {
            LaunchTypeArg::Ec2 => ecs::LaunchType::Ec2,
            LaunchTypeArg::Fargate => ecs::LaunchType::Fargate,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ListFormat {
    #[default]
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct VersionArgs {
    /// Format the output
    #[arg(long, value_enum, default_value_t = VersionFormat::Pretty)]
    pub format: VersionFormat,
    /// Shows only the version number
    #[arg(long)]
    pub short: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum VersionFormat {
    #[default]
    Pretty,
    Json,
}

#[derive(Args, Debug)]
pub struct UpArgs {
    /// Progress display: auto (tty on a terminal, plain otherwise), tty, plain or quiet
    #[arg(long, value_enum, default_value_t = crate::progress::Mode::Auto)]
    pub progress: crate::progress::Mode,

    /// Show what would change (a change set), change nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Deploy as a root stack and child stacks even when one stack would do
    /// (a project deployed that way stays so)
    #[arg(long)]
    pub nested_stacks: bool,

    /// Stop waiting after this many seconds (the deployment goes on)
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,

    /// Start the deployment and return without waiting
    #[arg(short, long)]
    pub detach: bool,

    /// Treat warnings (ignored Compose keys) as errors
    #[arg(long)]
    pub strict: bool,

    /// Deploy image tags as they are instead of their digests (a re-pushed
    /// tag then does not roll out)
    #[arg(long)]
    pub no_resolve_image_digests: bool,

    /// Run services on EC2 or FARGATE unless they say otherwise (over the
    /// project's x-aws-launch_type)
    #[arg(long, value_enum, ignore_case = true, value_name = "TYPE")]
    pub launch_type: Option<LaunchTypeArg>,

    /// ecs-cli's ecs-params file (default: ecs-params.yml beside the
    /// Compose file, when there is one); its values win over Compose's
    #[arg(long, value_name = "FILE")]
    pub ecs_params: Option<std::path::PathBuf>,
}

#[derive(Args, Debug)]
pub struct DownArgs {
    /// Progress display: auto, tty, plain or quiet
    #[arg(long, value_enum, default_value_t = crate::progress::Mode::Auto)]
    pub progress: crate::progress::Mode,

    /// Stop waiting after this many seconds (the deletion goes on)
    #[arg(long, value_name = "SECONDS")]
    pub wait_timeout: Option<u64>,
}

#[derive(Args, Debug)]
pub struct PsArgs {
    /// Show stopped tasks too
    #[arg(short, long)]
    pub all: bool,

    /// Format the output
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// Only display task IDs
    #[arg(short, long)]
    pub quiet: bool,

    /// Services to show (default: all)
    pub services: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    /// The task to run in, as `ps` numbers them (1: the oldest)
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub index: usize,

    /// Accepted for docker compose's sake: ECS always opens a terminal
    #[arg(short = 'T', long = "no-TTY")]
    pub no_tty: bool,

    /// The service
    pub service: String,

    /// The command and its arguments (default: sh)
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<String>,
}

#[derive(Args, Debug)]
pub struct LogsArgs {
    /// Follow log output (`-f` after `logs` means this, as in docker compose)
    #[arg(long)]
    pub follow: bool,

    /// Show logs since a timestamp (2026-01-02T15:04:05Z) or relative time (42m)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,

    /// Show logs before a timestamp or relative time
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,

    /// Number of lines to show from the end of the logs of each task
    #[arg(short = 'n', long, value_name = "N")]
    pub tail: Option<usize>,

    /// Show timestamps
    #[arg(short, long)]
    pub timestamps: bool,

    /// Don't print the prefix in logs
    #[arg(long)]
    pub no_log_prefix: bool,

    /// Produce monochrome output
    #[arg(long)]
    pub no_color: bool,

    /// Services to show (default: all)
    pub services: Vec<String>,
}

#[derive(Args, Debug)]
pub struct LsArgs {
    /// Format the output
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,

    /// Filter output based on conditions provided (name=VALUE)
    #[arg(long, value_name = "FILTER")]
    pub filter: Option<String>,

    /// Only display project names
    #[arg(short, long)]
    pub quiet: bool,
}

/// `ls` of contexts, secrets and volumes.
#[derive(Args, Debug, Clone, Copy)]
pub struct ListArgs {
    /// Format the output
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
    /// Only show names
    #[arg(short, long)]
    pub quiet: bool,
}

/// `inspect NAME…` and `rm NAME…`.
#[derive(Args, Debug)]
pub struct NamesArgs {
    #[arg(required = true)]
    pub names: Vec<String>,
}

#[derive(Subcommand, Debug)]
pub enum ContextCommand {
    /// Create an ecs context
    Create(ContextCreateArgs),
    /// List the ecs contexts
    #[command(alias = "list")]
    Ls(ListArgs),
    /// Display detailed information on contexts
    Inspect(NamesArgs),
    /// Remove ecs contexts
    #[command(alias = "remove")]
    Rm {
        #[arg(required = true)]
        names: Vec<String>,
        /// Remove the context in use too
        #[arg(long)]
        force: bool,
    },
}

/// `--profile NAME` (here: an AWS profile) and `--region` are the global
/// AWS options; exactly one credentials source is required.
#[derive(Args, Debug)]
#[command(group(
    clap::ArgGroup::new("source").args(["from_env", "access_keys"]).multiple(false)
))]
pub struct ContextCreateArgs {
    /// Context name
    pub name: String,

    /// Take credentials and region from the environment when commands run
    #[arg(long)]
    pub from_env: bool,

    /// Store new access keys in a new AWS profile (asked for, or --access-key-id plus stdin)
    #[arg(long)]
    pub access_keys: bool,

    /// Access key ID for --access-keys
    #[arg(long, value_name = "ID", requires = "access_keys")]
    pub access_key_id: Option<String>,

    /// Read the secret access key for --access-keys from stdin
    #[arg(long, requires = "access_keys")]
    pub secret_access_key_stdin: bool,

    /// Description of the context
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum SecretCommand {
    /// Create a secret from a file, or from stdin with `-`
    Create {
        /// Secret name
        name: String,
        /// File holding the value, or `-` for stdin
        file: String,
        /// Description of the secret
        #[arg(long)]
        description: Option<String>,
        /// Label (tag) as KEY=VALUE; repeatable
        #[arg(short, long = "label", value_name = "KEY=VALUE")]
        labels: Vec<String>,
    },
    /// List the secrets docker-ecs manages
    #[command(alias = "list")]
    Ls(ListArgs),
    /// Show a secret's details (never its value)
    Inspect(NamesArgs),
    /// Delete secrets (recoverable for 7 days unless --force)
    #[command(alias = "remove")]
    Rm {
        #[arg(required = true)]
        names: Vec<String>,
        /// Delete at once, without the recovery window
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum VolumeCommand {
    /// Create an EFS file system
    Create {
        /// Volume name
        name: String,
        /// EFS option as KEY=VALUE (performance_mode, throughput_mode,
        /// provisioned_throughput, lifecycle_policy, backup_policy); repeatable
        #[arg(short, long = "opt", value_name = "KEY=VALUE")]
        options: Vec<String>,
    },
    /// List the volumes docker-ecs manages
    #[command(alias = "list")]
    Ls(ListArgs),
    /// Show a volume's details
    Inspect(NamesArgs),
    /// Delete volumes (their data is lost)
    #[command(alias = "remove")]
    Rm(NamesArgs),
}

#[cfg(test)]
mod tests {
    /// clap checks the whole command tree (no two flags share a name,
    /// globals included) only when a subcommand is used; check them all.
    #[test]
    fn the_command_tree_is_consistent() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
