//! `arbor serve | migrate | bootstrap`.

use crate::config::{Config, Settings};
use app::model::SignupForm;
use app::services::{SystemClock, tenancy};
use clap::{Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Parser, Debug)]
#[command(
    name = "arbor",
    version,
    about = "Arbor: self-hostable identity & access management",
    after_help = "Every option can also be set in arbor.toml (same names in snake_case, e.g. \
                  database_url = \"sqlite:data/arbor.db\"); the environment wins over the file.\n\
                  ARBOR_BOOTSTRAP_PASSWORD supplies the password for `arbor bootstrap` \
                  (otherwise it is read from the first line of standard input)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub settings: Settings,
    /// Optional configuration file.
    #[arg(
        long,
        env = "ARBOR_CONFIG",
        default_value = "arbor.toml",
        global = true
    )]
    pub config: PathBuf,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the dashboard and API (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an account with its owner admin, application, and Development and Production
    /// environments, without a browser. Prints the slugs.
    Bootstrap {
        #[arg(long)]
        email: String,
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        /// The company (account) name.
        #[arg(long)]
        company: String,
        /// The first application's name.
        #[arg(long)]
        application: String,
    },
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = Config::resolve(cli.settings, Some(cli.config)).map_err(anyhow::Error::msg)?;
    crate::telemetry::init(&config.log, config.log_format);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate => {
            let db = crate::open_database(&config.database_url).await?;
            db.close().await;
            println!(
                "Database at {} is up to date.",
                crate::redact(&config.database_url)
            );
            Ok(())
        }
        Command::Bootstrap {
            email,
            first_name,
            last_name,
            company,
            application,
        } => {
            let password = match std::env::var("ARBOR_BOOTSTRAP_PASSWORD") {
                Ok(password) => password,
                Err(_) => read_password_line()?,
            };
            let form = SignupForm {
                email,
                password,
                first_name,
                last_name,
                account_name: company,
                application_name: application,
            };
            bootstrap(config, form).await
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let db = crate::open_database(&config.database_url).await?;
    let services = crate::services(db, Arc::new(SystemClock), &config);
    let listener = tokio::net::TcpListener::bind(config.addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.addr))?;
    let pkg = config.site_root.join("pkg").join("arbor.js");
    if !pkg.exists() {
        tracing::warn!(
            path = %pkg.display(),
            "browser assets not found: pages will render but not hydrate (build with `cargo xtask build`)"
        );
    }
    tracing::info!(
        database = %crate::redact(&config.database_url),
        addr = %config.addr,
        "Arbor is ready"
    );
    println!("Arbor is running: open {}", config.public_url);
    crate::serve(listener, crate::router(services, &config)).await
}

fn read_password_line() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_owned())
}

async fn bootstrap(config: Config, form: SignupForm) -> anyhow::Result<()> {
    let valid = match form.validate() {
        Ok(valid) => valid,
        Err(errors) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| format!("  --{}: {}", e.field.replace('_', "-"), e.message))
                .collect();
            anyhow::bail!("cannot bootstrap:\n{}", lines.join("\n"));
        }
    };
    let db = crate::open_database(&config.database_url).await?;
    let services = crate::services(db.clone(), Arc::new(SystemClock), &config);
    let created = tenancy::create_account(&services, &valid)
        .await
        .map_err(|e| anyhow::anyhow!("{} ({})", e, e.code()))?;
    db.close().await;
    println!("account: {}", created.account_slug);
    println!("application: {}", created.application_slug);
    println!("environments: {}", created.environment_slugs.join(" "));
    println!("sign in at {}/signin", config.public_url);
    Ok(())
}
