//! `docker-ecs`: run a Compose application on Amazon ECS.
//!
//! Works standalone and as a Docker CLI plugin (`docker ecs …`).

mod aws;
mod cli;
mod commands;
mod context;
mod deploy;
mod ecs_params;
mod images;
mod plugin;
mod progress;
mod report;
mod stack;

use clap::{CommandFactory, Parser};
use cli::{Cli, Command};
use commands::Failure;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match plugin::prepare_args(std::env::args_os().collect()) {
        plugin::Invocation::Metadata => {
            println!("{}", plugin::metadata_json());
            return ExitCode::SUCCESS;
        }
        plugin::Invocation::Run(args) => args,
    };
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    aws::debug::enable(cli.debug);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Compose(e)) => {
            report::compose_error(&e);
            ExitCode::FAILURE
        }
        Err(Failure::Many(errors)) => {
            for e in &errors {
                report::compose_error(e);
            }
            if errors.len() > 1 {
                report::error(&format!("{} errors", errors.len()));
            }
            ExitCode::FAILURE
        }
        Err(Failure::Message(m)) => {
            report::error(&m);
            ExitCode::FAILURE
        }
        Err(Failure::Exit(code)) => ExitCode::from(code),
        Err(Failure::Interrupted(m, code)) => {
            report::warning(&m);
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> commands::Outcome {
    match &cli.command {
        Command::Config(args) => commands::config::run(&cli.project, args),
        Command::Convert(args) => {
            // Offline, but a context named on the command line must exist
            // and be an ecs context, as for every other command.
            aws::with_context(&cli.aws)?;
            commands::convert::run(&cli.project, &cli.aws, args)
        }
        Command::Up(args) => commands::up::run(&cli.project, &cli.aws, args),
        Command::Down(args) => commands::down::run(&cli.project, &cli.aws, args),
        Command::Ps(args) => commands::ps::run(&cli.project, &cli.aws, args),
        Command::Logs(args) => commands::logs::run(&cli.project, &cli.aws, args),
        Command::Exec(args) => commands::exec::run(&cli.project, &cli.aws, args),
        Command::Ls(args) => commands::ls::run(&cli.aws, args),
        Command::Context(command) => commands::context::run(&cli.aws, command),
        Command::Secret(command) => commands::secret::run(&cli.project, &cli.aws, command),
        Command::Volume(command) => commands::volume::run(&cli.project, &cli.aws, command),
        Command::Install => commands::install(&cli.aws),
        Command::Version(args) => commands::version::run(args),
        Command::Completion { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(*shell, &mut cmd, "docker-ecs", &mut std::io::stdout());
            Ok(())
        }
    }
}
