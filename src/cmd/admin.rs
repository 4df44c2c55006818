//! `mednum-kit admin create-user|list-users|delete-user|set-password`.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{bail, Context, Result};

use crate::accounts::{password, Accounts, Role};
use crate::cli::{AdminCommand, PasswordArgs};
use crate::config::Config;

pub fn run(command: &AdminCommand, config: &Config) -> Result<()> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "impossible de créer le dossier `{}`",
            config.data_dir.display()
        )
    })?;
    let mut accounts = Accounts::open(&config.data_dir)?;
    match command {
        AdminCommand::CreateUser {
            name,
            role,
            password,
        } => {
            let name = crate::accounts::normalize_name(name)?;
            if accounts.user_with_hash(&name)?.is_some() {
                bail!(crate::accounts::AccountError::Exists(name));
            }
            let role = Role::parse(role).unwrap_or(Role::Conseiller);
            let hash = password::hash(&new_password(password)?)?;
            let user = accounts.create_user(&name, role, &hash)?;
            println!("compte « {} » créé ({})", user.name, role_label(user.role));
        }
        AdminCommand::ListUsers => {
            let users = accounts.users()?;
            if users.is_empty() {
                println!(
                    "aucun compte : créez le premier avec `mednum-kit admin create-user NOM \
                     --role admin`, ou depuis le portail (/admin)"
                );
            }
            for user in users {
                println!("{}\t{}", user.name, role_label(user.role));
            }
        }
        AdminCommand::DeleteUser { name } => {
            accounts.delete_user(name)?;
            println!("compte « {} » supprimé", name.trim().to_ascii_lowercase());
        }
        AdminCommand::SetPassword { name, password } => {
            let name = name.trim().to_ascii_lowercase();
            if accounts.user_with_hash(&name)?.is_none() {
                bail!(crate::accounts::AccountError::NoSuchUser(name));
            }
            let hash = password::hash(&new_password(password)?)?;
            accounts.set_password(&name, &hash)?;
            println!("mot de passe de « {name} » changé ; ses connexions en cours sont fermées");
        }
    }
    Ok(())
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Admin => "administration",
        Role::Conseiller => "conseiller",
    }
}

/// The new password: one line of stdin with `--password-stdin`, else typed twice on the
/// terminal without echo. Checked against the length rule.
fn new_password(args: &PasswordArgs) -> Result<String> {
    let password = if args.password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("lecture du mot de passe sur l'entrée standard")?;
        line.trim_end_matches(['\n', '\r']).to_owned()
    } else {
        let first = ask_hidden("Mot de passe (au moins 10 caractères) : ")?;
        password::check_rule(&first)?;
        let again = ask_hidden("Encore une fois : ")?;
        if again != first {
            bail!("les deux mots de passe sont différents : recommencez");
        }
        first
    };
    password::check_rule(&password)?;
    Ok(password)
}

/// Asks on the terminal (`/dev/tty`) with echo off, and puts echo back whatever happens.
fn ask_hidden(prompt: &str) -> Result<String> {
    use std::os::fd::AsRawFd;
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()
        .filter(|t| t.is_terminal());
    let Some(mut tty) = tty else {
        bail!("pas de terminal pour demander le mot de passe : utilisez `--password-stdin`");
    };
    let fd = tty.as_raw_fd();
    // SAFETY: tcgetattr/tcsetattr only read and write the termios struct passed by pointer.
    let saved = unsafe {
        let mut term: libc::termios = std::mem::zeroed();
        if libc::tcgetattr(fd, &mut term) != 0 {
            bail!("réglage du terminal impossible : utilisez `--password-stdin`");
        }
        let saved = term;
        term.c_lflag &= !libc::ECHO;
        term.c_lflag |= libc::ECHONL;
        libc::tcsetattr(fd, libc::TCSANOW, &term);
        saved
    };
    let _ = tty.write_all(prompt.as_bytes());
    let _ = tty.flush();
    let mut line = String::new();
    let read = std::io::BufReader::new(&tty).read_line(&mut line);
    // SAFETY: as above; puts back the settings read before.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &saved);
    }
    read.context("lecture du mot de passe")?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}
