//! `madoguchi operator add NAME --role R`: issues a token and prints it alone on standard
//! output (so a script can capture it); only its hash is stored.

use clap::{Args, Subcommand, ValueEnum};

use super::output;
use super::target::Target;
use crate::api::Role;

/// Options of `operator`.
#[derive(Debug, Clone, Args)]
pub struct OperatorArgs {
    #[command(subcommand)]
    pub command: OperatorCommand,
}

/// `operator` subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum OperatorCommand {
    /// Issue a token for a new operator; the token is printed once, alone on stdout.
    Add(AddArgs),
}

/// The roles a token can have, as typed on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    Operator,
    Supervisor,
    /// Read-only FAQ search (the portal chatbot).
    Service,
    /// The phone system: screen pops only.
    Telephony,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Operator => Role::Operator,
            RoleArg::Supervisor => Role::Supervisor,
            RoleArg::Service => Role::Service,
            RoleArg::Telephony => Role::Telephony,
        }
    }
}

/// Options of `operator add`.
#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    /// The operator's name, as it appears in the audit trail.
    pub name: String,
    #[arg(long, value_enum, default_value = "operator")]
    pub role: RoleArg,
    /// Print {name, role, token} as JSON instead of the bare token.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub target: Target,
}

pub async fn run(args: OperatorArgs) -> anyhow::Result<()> {
    match args.command {
        OperatorCommand::Add(a) => {
            let session = a.target.connect().await?;
            let issued = session.client.add_operator(&a.name, a.role.into()).await;
            session.close().await;
            let issued = issued?;
            if a.json { output::json(&issued) } else { output::lines([issued.token]) }
        }
    }
}
