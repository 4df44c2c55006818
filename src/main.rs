//! `mednum-kit`: parse the command line, run one command, print the whole error chain once.

use std::process::ExitCode;

use clap::Parser;
use mednum_kit::cli::{Cli, Command};
use mednum_kit::{cmd, config::Config, logging};

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose);
    let result = Config::resolve(&cli.data_dir).and_then(|config| match &cli.command {
        Command::Serve(args) => cmd::serve::run(args, &config),
        Command::Pack(command) => cmd::pack::run(command, &config),
        Command::Key(command) => cmd::key::run(command),
        Command::Trust(command) => cmd::trust::run(command, &config),
        Command::System(command) => cmd::system::run(command, &config),
        Command::Admin(command) => cmd::admin::run(command, &config),
        Command::Report(command) => cmd::report::run(command, &config),
        Command::Sync(command) => cmd::sync::run(command, &config),
        Command::Catalog(command) => cmd::sync::catalog(command),
        Command::Peers { wait } => cmd::peers::run(*wait),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            cmd::report(&err);
            ExitCode::FAILURE
        }
    }
}
