//! `flotilla user …`: account administration from the shell, for the first admin and for
//! recovering a lost password. Passwords come from standard input, never from arguments
//! (which other users can read in the process list).

use std::io::BufRead;

use clap::Subcommand;
use flotilla_store::Role;

use crate::audit::audited;
use crate::DatabaseArgs;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input.
    Add {
        name: String,
        /// admin, operator or viewer.
        #[arg(long)]
        role: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Set a new password (read from standard input).
    ResetPassword {
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|err| format!("cannot read the password from standard input: {err}"))?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    flotilla_store::check_password(&password).map_err(|err| format!("{err}, on standard input"))?;
    Ok(password)
}

pub async fn run(command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Add {
            name,
            role,
            database,
        } => {
            flotilla_store::check_name("user name", &name)?;
            let role: Role = role.parse().map_err(|err| format!("--role: {err}"))?;
            let password = read_password()?;
            let store = database.open().await?;
            let request = serde_json::json!({ "name": name, "role": role.as_str() });
            audited(
                &store,
                "user.add",
                &name,
                request,
                store.add_user(&name, &password, role),
            )
            .await?;
            println!("added {role} {name}");
        }
        UserCommand::ResetPassword { name, database } => {
            let password = read_password()?;
            let store = database.open().await?;
            // The password itself never reaches the audit log.
            let request = serde_json::json!({ "name": name });
            audited(
                &store,
                "user.reset-password",
                &name,
                request,
                store.set_password(&name, &password),
            )
            .await?;
            println!("password of {name} reset");
        }
    }
    Ok(())
}
