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
        /// Days until the token stops working (1 to 3650); without it, until revoked.
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=3650))]
        expires_in_days: Option<u32>,
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
            expires_in_days,
            database,
        } => {
            flotilla_store::check_name("token name", &name)?;
            let role: Role = role.parse().map_err(|err| format!("--role: {err}"))?;
            let store = database.open().await?;
            let expires_at = expires_in_days
                .map(|days| flotilla_store::now_millis() + i64::from(days) * 86_400_000);
            let request = match expires_in_days {
                Some(days) => serde_json::json!({
                    "name": name, "role": role.as_str(), "expires_in_days": days
                }),
                None => serde_json::json!({ "name": name, "role": role.as_str() }),
            };
            let token = audited(
                &store,
                "token.create",
                &name,
                request,
                store.create_expiring_token(&name, role, expires_at),
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
