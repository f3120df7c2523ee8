//! `flotilla token …`: bearer tokens for automation (CI pipelines redeploying a stack).

use clap::Subcommand;
use flotilla_store::Role;

use crate::audit::audited;
use crate::DatabaseArgs;

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Make a token and print it once; only its hash is kept.
    Create {
        name: String,
        /// admin, operator or viewer; or metrics, for a token that reads /metrics and nothing
        /// else.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token by name.
    Revoke {
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub async fn run(command: TokenCommand) -> Result<(), String> {
    match command {
        TokenCommand::Create {
            name,
            role,
            database,
        } => {
            flotilla_store::check_name("token name", &name)?;
            let role: Role = role.parse().map_err(|err| format!("--role: {err}"))?;
            let store = database.open().await?;
            let request = serde_json::json!({ "name": name, "role": role.as_str() });
            let token = audited(
                &store,
                "token.create",
                &name,
                request,
                store.create_token(&name, role),
            )
            .await?;
            eprintln!("token {name} ({role}) created; it is shown only this once:");
            println!("{token}");
        }
        TokenCommand::Revoke { name, database } => {
            let store = database.open().await?;
            let request = serde_json::json!({ "name": name });
            audited(
                &store,
                "token.revoke",
                &name,
                request,
                store.revoke_token(&name),
            )
            .await?;
            println!("token {name} revoked");
        }
    }
    Ok(())
}
