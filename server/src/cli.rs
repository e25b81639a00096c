//! `arbor serve | migrate | backup | bootstrap | api-key | mail | admin | openapi`.

use crate::config::{Config, Settings};
use app::error::AppError;
use app::model::{ApiKeyForm, SignupForm};
use app::services::Caller;
use app::services::{SystemClock, admin_security, api_keys, mail, tenancy};
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
                  (otherwise it is read from the first line of standard input).\n\
                  Email: with SMTP_URL set, `arbor serve` delivers queued email over SMTP \
                  (retries with backoff); without it, email stays in the dashboard's Dev mailbox \
                  (Tenant › Mailbox). `arbor mail send-test` checks the settings."
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
    /// Copy the SQLite database into a new file while `arbor serve` keeps running (a consistent
    /// snapshot, synced and integrity-checked). Refuses an existing file. For PostgreSQL use
    /// pg_dump (docs/deployment.md).
    Backup {
        /// The backup file to create; it must not exist.
        file: PathBuf,
    },
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
    /// Create, list or revoke the API keys of an environment (for automation; the dashboard's
    /// API Keys page does the same).
    #[command(name = "api-key", subcommand)]
    ApiKey(ApiKeyCommand),
    /// Outgoing email.
    #[command(subcommand)]
    Mail(MailCommand),
    /// Dashboard admins: the operator's escape hatch when an admin cannot use forgot-password.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Print the REST API's OpenAPI 3.1 document (what `/api/v1/openapi.json` serves) and exit:
    /// the source the SDKs are generated from (`scripts/sdk`).
    Openapi,
}

#[derive(Subcommand, Debug)]
pub enum MailCommand {
    /// Queue "Test email from Arbor" from an account to an address: a running `arbor serve`
    /// delivers it with its SMTP settings (or holds it in the Dev mailbox without SMTP_URL).
    #[command(name = "send-test")]
    SendTest {
        /// The account's slug.
        #[arg(long)]
        account: String,
        /// The recipient.
        #[arg(long)]
        to: String,
    },
}

/// The environment an `arbor api-key` command acts on, by slugs.
#[derive(clap::Args, Debug)]
pub struct EnvironmentSlugs {
    #[arg(long)]
    account: String,
    #[arg(long)]
    application: String,
    #[arg(long)]
    environment: String,
}

#[derive(Subcommand, Debug)]
pub enum AdminCommand {
    /// Set an admin's password (read from the first line of standard input; the sign-up policy
    /// applies) and sign them out everywhere. Audited as the system.
    #[command(name = "reset-password")]
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create a key and print it once. Without --scope it has full access to its environment.
    Create {
        #[command(flatten)]
        env: EnvironmentSlugs,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A management permission the key may use (repeatable), e.g. identity.manage.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// When the key stops working: 30d, 90d, 1y, never, a date (2027-06-30) or an RFC 3339
        /// instant.
        #[arg(long, default_value = "never")]
        expires: String,
    },
    /// List the keys of an environment (never the keys themselves).
    List {
        #[command(flatten)]
        env: EnvironmentSlugs,
    },
    /// Revoke a key for good.
    Revoke {
        #[command(flatten)]
        env: EnvironmentSlugs,
        /// The key's id (from `arbor api-key list`).
        #[arg(long)]
        id: String,
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
        Command::Backup { file } => {
            let copied = crate::backup::sqlite(&config.database_url, &file).await?;
            println!(
                "backed up {} to {} ({} bytes, schema version {}, integrity ok)",
                crate::redact(&config.database_url),
                file.display(),
                copied.bytes,
                copied.schema_version
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
        Command::ApiKey(command) => api_key(config, command).await,
        Command::Admin(AdminCommand::ResetPassword { email }) => {
            let password = read_password_line()?;
            reset_admin_password(config, &email, &password).await
        }
        Command::Mail(MailCommand::SendTest { account, to }) => {
            send_test_mail(config, &account, &to).await
        }
        Command::Openapi => {
            let document = crate::api::document_json().map_err(anyhow::Error::msg)?;
            let pretty: serde_json::Value = serde_json::from_str(document)?;
            println!("{}", serde_json::to_string_pretty(&pretty)?);
            Ok(())
        }
    }
}

/// The operator, acting in the environment named on the command line.
async fn operator_in(
    s: &app::services::Services,
    env: &EnvironmentSlugs,
) -> Result<Caller, AppError> {
    let scope =
        api_keys::scope_by_slugs(s, &env.account, &env.application, &env.environment).await?;
    Ok(Caller::operator(scope))
}

async fn api_key(config: Config, command: ApiKeyCommand) -> anyhow::Result<()> {
    let db = crate::open_database(&config.database_url).await?;
    let s = crate::services(db.clone(), Arc::new(SystemClock), &config);
    let fail = |e: AppError| anyhow::anyhow!("{e} ({})", e.code());
    let outcome = match command {
        ApiKeyCommand::Create {
            env,
            name,
            description,
            scopes,
            expires,
        } => {
            let form = ApiKeyForm {
                name,
                description,
                expires,
                scopes,
            };
            // The service checks the same rules; here they become one line per flag.
            form.validate(Some(s.now())).map_err(|errors| {
                let lines: Vec<String> = errors
                    .iter()
                    .map(|e| format!("  --{}: {}", e.field, e.message))
                    .collect();
                anyhow::anyhow!("cannot create the key:\n{}", lines.join("\n"))
            })?;
            let caller = operator_in(&s, &env).await.map_err(fail)?;
            let created = api_keys::create(&s, &caller, &form).await.map_err(fail)?;
            println!("{}", created.key);
            eprintln!(
                "id {} · store this key now: it is shown only once and cannot be recovered.",
                created.api_key.id
            );
            Ok(())
        }
        ApiKeyCommand::List { env } => {
            let caller = operator_in(&s, &env).await.map_err(fail)?;
            for key in api_keys::list(&s, &caller).await.map_err(fail)? {
                let access = if key.scopes.is_empty() {
                    "full access".to_owned()
                } else {
                    key.scopes.join(",")
                };
                println!(
                    "{}\t{}\t{}\t{:?}\t{}\texpires {}\tlast used {}",
                    key.id,
                    key.name,
                    key.key_preview,
                    key.status,
                    access,
                    key.expires_at.as_deref().unwrap_or("never"),
                    key.last_used_at.as_deref().unwrap_or("never"),
                );
            }
            Ok(())
        }
        ApiKeyCommand::Revoke { env, id } => {
            let caller = operator_in(&s, &env).await.map_err(fail)?;
            api_keys::revoke(&s, &caller, &id).await.map_err(fail)?;
            println!("revoked {id}");
            Ok(())
        }
    };
    db.close().await;
    outcome
}

async fn reset_admin_password(config: Config, email: &str, password: &str) -> anyhow::Result<()> {
    let db = crate::open_database(&config.database_url).await?;
    let s = crate::services(db.clone(), Arc::new(SystemClock), &config);
    let outcome = admin_security::operator_reset_password(&s, email, password).await;
    db.close().await;
    match outcome {
        Ok(ended) => {
            println!("password of {email} changed; {ended} session(s) signed out");
            Ok(())
        }
        Err(AppError::Validation { errors }) => {
            let lines: Vec<String> = errors
                .iter()
                .map(|e| {
                    let source = if e.field == "password" {
                        "standard input"
                    } else {
                        "--email"
                    };
                    format!("  {source}: {}", e.message)
                })
                .collect();
            anyhow::bail!("cannot reset the password:\n{}", lines.join("\n"))
        }
        Err(e) => anyhow::bail!("{e} ({})", e.code()),
    }
}

async fn send_test_mail(config: Config, account: &str, to: &str) -> anyhow::Result<()> {
    let db = crate::open_database(&config.database_url).await?;
    let s = crate::services(db.clone(), Arc::new(SystemClock), &config);
    let fail = |e: AppError| anyhow::anyhow!("{e} ({})", e.code());
    let outcome = async {
        let caller = mail::mailbox::operator_in_account(&s, account)
            .await
            .map_err(fail)?;
        mail::mailbox::send_test(&s, &caller, to)
            .await
            .map_err(fail)
    }
    .await;
    db.close().await;
    let id = outcome?;
    println!("queued {id}");
    eprintln!(
        "{}",
        if config.smtp.is_some() {
            "a running `arbor serve` with these settings delivers it; the dashboard's Email page shows its status."
        } else {
            "SMTP_URL is not set: the message stays in the dashboard's Dev mailbox."
        }
    );
    Ok(())
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let db = if config.migrate_on_start {
        crate::open_database(&config.database_url).await?
    } else {
        let db = crate::connect_database(&config.database_url).await?;
        if !db.is_ready().await {
            tracing::warn!(
                "migrations pending and ARBOR_MIGRATE_ON_START=false: /readyz answers 503 until `arbor migrate` has run"
            );
        }
        db
    };
    let services = crate::services(db, Arc::new(SystemClock), &config);
    crate::start_mail_worker(&services, &config);
    crate::start_audit_purge(&services);
    crate::start_limit_purge(&services);
    crate::start_access_sync(&services, &config.database_url);
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
        smtp = config.smtp_display.as_deref().unwrap_or("off: email stays in the Dev mailbox"),
        "Arbor is ready"
    );
    if let Some(addr) = config.metrics_addr {
        crate::start_metrics(&services, addr).await?;
    }
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
