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
    #[command(flatten)]
    pub project: ProjectArgs,

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

    /// Save to file (default to stdout)
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Treat warnings (ignored Compose keys) as errors
    #[arg(long)]
    pub strict: bool,
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
