//! Configuration: environment variables, then an optional `arbor.toml`, then defaults.

use app::services::mail::smtp::Smtp;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;

pub const DEFAULT_DATABASE_URL: &str = "sqlite:data/arbor.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// Settings that can come from the environment or `arbor.toml` (same names, lower-case, without
/// the `ARBOR_` prefix: `database_url`, `addr`, `public_url`, `log`, `log_format`, `site_root`,
/// `api_rate_limit`, `evaluate_rate_limit`, `trusted_proxies`, `smtp_url`, `mail_from`, `public_rate_limit`,
/// `request_timeout`, `metrics_addr`, `migrate_on_start`).
#[derive(Debug, Clone, Default, Deserialize, clap::Args)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Database: `sqlite:<path>` (created and migrated on first start) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Address to listen on.
    #[arg(long, env = "ARBOR_ADDR", global = true)]
    pub addr: Option<String>,
    /// The URL people use to reach Arbor (Origin checks; `Secure` cookies when https).
    #[arg(long, env = "ARBOR_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Log filter, e.g. `info` or `arbor=debug,sqlx=warn`.
    #[arg(long, env = "ARBOR_LOG", global = true)]
    pub log: Option<String>,
    /// Log format: `text` or `json`.
    #[arg(long, env = "ARBOR_LOG_FORMAT", global = true)]
    pub log_format: Option<String>,
    /// Folder with the built browser assets (`pkg/arbor.js`, `pkg/arbor_bg.wasm`, `pkg/arbor.css`).
    #[arg(long, env = "ARBOR_SITE_ROOT", global = true)]
    pub site_root: Option<String>,
    /// REST API requests a minute per API key (default 6000), evaluation aside.
    #[arg(long, env = "ARBOR_API_RATE_LIMIT", global = true)]
    pub api_rate_limit: Option<u64>,
    /// Permission evaluation requests (`/permissions/evaluate`, `/permissions/evaluate/bulk`) a
    /// minute per API key (default 1200000, i.e. 20,000 a second); 0 means no limit.
    #[arg(long, env = "ARBOR_EVALUATE_RATE_LIMIT", global = true)]
    pub evaluate_rate_limit: Option<u64>,
    /// Comma-separated IP addresses or networks (`10.0.0.0/8`) of reverse proxies in front of
    /// Arbor: from these, the client address of the limits is read from `X-Forwarded-For`
    /// (default: none, the TCP peer is the client).
    #[arg(long, env = "ARBOR_TRUSTED_PROXIES", global = true)]
    pub trusted_proxies: Option<String>,
    /// SMTP server for outgoing email (lettre URL): `smtp://host:25`, `smtp://user:pass@host:587?tls=required`
    /// (STARTTLS), `smtps://user:pass@host:465`. Unset: email stays in the dashboard's Dev mailbox.
    #[arg(long, env = "SMTP_URL", global = true)]
    pub smtp_url: Option<String>,
    /// The sender of outgoing email (default `Arbor <no-reply@localhost>`).
    #[arg(long, env = "ARBOR_MAIL_FROM", global = true)]
    pub mail_from: Option<String>,
    /// Costly unauthenticated requests (sign-up, sign-ins, forgot-password, accepting invites) a
    /// minute per client address (default 60).
    #[arg(long, env = "ARBOR_PUBLIC_RATE_LIMIT", global = true)]
    pub public_rate_limit: Option<u32>,
    /// Seconds a request may take before it is answered 503 `request.timeout` (default 30).
    #[arg(long, env = "ARBOR_REQUEST_TIMEOUT", global = true)]
    pub request_timeout: Option<u64>,
    /// Address of a second listener serving `GET /metrics` (Prometheus); unset: no metrics.
    #[arg(long, env = "ARBOR_METRICS_ADDR", global = true)]
    pub metrics_addr: Option<String>,
    /// Whether `arbor serve` applies pending migrations at start (default true). Set false on
    /// nodes of a rolling restart: `arbor migrate` runs once, and a node whose schema is behind
    /// its binary answers 503 on /readyz instead of migrating (docs/deployment.md).
    #[arg(long, env = "ARBOR_MIGRATE_ON_START", global = true, action = clap::ArgAction::Set,
          value_parser = clap::builder::BoolishValueParser::new())]
    pub migrate_on_start: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub addr: SocketAddr,
    pub public_url: String,
    pub log: String,
    pub log_format: LogFormat,
    pub site_root: PathBuf,
    pub api_rate_limit: u64,
    /// Evaluation requests a minute per API key; 0 is no limit.
    pub evaluate_rate_limit: u64,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Where outgoing email goes; `None` holds it in the Dev mailbox.
    pub smtp: Option<Smtp>,
    /// `SMTP_URL` with its password replaced, for logs.
    pub smtp_display: Option<String>,
    pub public_rate_limit: u32,
    pub request_timeout: std::time::Duration,
    /// Where `/metrics` is served; `None`: nowhere.
    pub metrics_addr: Option<SocketAddr>,
    /// `arbor serve` migrates before serving (else it leaves that to `arbor migrate`).
    pub migrate_on_start: bool,
}

pub const DEFAULT_REQUEST_TIMEOUT_SECS: u64 = 30;

impl Config {
    /// Command line / environment first, then the file, then defaults.
    pub fn resolve(cli: Settings, file: Option<PathBuf>) -> Result<Config, String> {
        let from_file = match file {
            Some(path) if path.exists() => {
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                toml::from_str::<Settings>(&text)
                    .map_err(|e| format!("invalid {}: {e}", path.display()))?
            }
            _ => Settings::default(),
        };
        let pick = |a: Option<String>, b: Option<String>, default: &str| {
            a.or(b).unwrap_or_else(|| default.to_owned())
        };
        let addr_text = pick(cli.addr, from_file.addr, DEFAULT_ADDR);
        let addr: SocketAddr = addr_text.parse().map_err(|e| {
            format!("ARBOR_ADDR `{addr_text}` is not an address like 127.0.0.1:3000: {e}")
        })?;
        let public_url = cli
            .public_url
            .or(from_file.public_url)
            .unwrap_or_else(|| format!("http://{addr}"))
            .trim_end_matches('/')
            .to_owned();
        let log_format = match pick(cli.log_format, from_file.log_format, "text").as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => {
                return Err(format!(
                    "ARBOR_LOG_FORMAT must be `text` or `json`, not `{other}`"
                ));
            }
        };
        let trusted_proxies = cli
            .trusted_proxies
            .or(from_file.trusted_proxies)
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                // A bare address is a network of one.
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|e| {
                        format!("ARBOR_TRUSTED_PROXIES: `{p}` is not an IP address or network: {e}")
                    })
            })
            .collect::<Result<Vec<ipnet::IpNet>, String>>()?;
        let mail_from = cli
            .mail_from
            .or(from_file.mail_from)
            .unwrap_or_else(|| app::services::mail::smtp::DEFAULT_FROM.to_owned());
        let smtp_url = cli
            .smtp_url
            .or(from_file.smtp_url)
            .filter(|u| !u.is_empty());
        let smtp = smtp_url
            .as_deref()
            .map(|url| Smtp::new(url, &mail_from))
            .transpose()?;
        let metrics_addr = cli
            .metrics_addr
            .or(from_file.metrics_addr)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse::<SocketAddr>().map_err(|e| {
                    format!("ARBOR_METRICS_ADDR `{a}` is not an address like 127.0.0.1:9090: {e}")
                })
            })
            .transpose()?;
        let request_timeout = cli
            .request_timeout
            .or(from_file.request_timeout)
            .unwrap_or(DEFAULT_REQUEST_TIMEOUT_SECS);
        if request_timeout == 0 {
            return Err("ARBOR_REQUEST_TIMEOUT must be at least 1 second".to_owned());
        }
        Ok(Config {
            public_rate_limit: cli
                .public_rate_limit
                .or(from_file.public_rate_limit)
                .unwrap_or(app::services::edge_limit::DEFAULT_PER_MINUTE)
                .max(1),
            request_timeout: std::time::Duration::from_secs(request_timeout),
            metrics_addr,
            migrate_on_start: cli
                .migrate_on_start
                .or(from_file.migrate_on_start)
                .unwrap_or(true),
            smtp,
            smtp_display: smtp_url.as_deref().map(crate::redact),
            database_url: pick(
                cli.database_url,
                from_file.database_url,
                DEFAULT_DATABASE_URL,
            ),
            addr,
            public_url,
            log: pick(cli.log, from_file.log, "info"),
            log_format,
            site_root: PathBuf::from(pick(cli.site_root, from_file.site_root, "target/site")),
            api_rate_limit: cli
                .api_rate_limit
                .or(from_file.api_rate_limit)
                .unwrap_or(app::services::rate_limit::DEFAULT_PER_MINUTE),
            evaluate_rate_limit: cli
                .evaluate_rate_limit
                .or(from_file.evaluate_rate_limit)
                .unwrap_or(app::services::rate_limit::DEFAULT_EVALUATE_PER_MINUTE),
            trusted_proxies,
        })
    }

    /// `Secure` cookies whenever Arbor is reached over https.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// HSTS goes with https for the same reason.
    pub fn https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_a_local_sqlite_file_on_port_3000() {
        let config = Config::resolve(Settings::default(), None);
        let config = config.ok();
        assert_eq!(
            config.as_ref().map(|c| c.database_url.as_str()),
            Some(DEFAULT_DATABASE_URL)
        );
        assert_eq!(
            config.as_ref().map(|c| c.public_url.as_str()),
            Some("http://127.0.0.1:3000")
        );
        assert_eq!(config.as_ref().map(|c| c.secure_cookies()), Some(false));
        assert_eq!(config.map(|c| c.migrate_on_start), Some(true));
    }

    #[test]
    fn migrating_at_start_can_be_left_to_arbor_migrate() {
        use clap::Parser;
        #[derive(Parser)]
        struct Args {
            #[command(flatten)]
            settings: Settings,
        }
        for (flag, expected) in [("false", false), ("0", false), ("true", true)] {
            let args = Args::try_parse_from(["arbor", "--migrate-on-start", flag]).ok();
            let config = args.and_then(|a| Config::resolve(a.settings, None).ok());
            assert_eq!(config.map(|c| c.migrate_on_start), Some(expected), "{flag}");
        }
    }

    #[test]
    fn the_file_fills_what_the_environment_leaves_open() {
        let dir = tempfile::tempdir().ok();
        let path = dir
            .as_ref()
            .map(|d| d.path().join("arbor.toml"))
            .unwrap_or_default();
        let written = std::fs::write(
            &path,
            "database_url = \"sqlite:/srv/arbor.db\"\naddr = \"0.0.0.0:8080\"\nlog_format = \"json\"\n",
        );
        assert!(written.is_ok());
        let cli = Settings {
            addr: Some("127.0.0.1:9000".into()),
            ..Settings::default()
        };
        let config = Config::resolve(cli, Some(path.clone())).ok();
        assert_eq!(
            config.as_ref().map(|c| c.database_url.as_str()),
            Some("sqlite:/srv/arbor.db")
        );
        assert_eq!(
            config.as_ref().map(|c| c.addr.to_string()),
            Some("127.0.0.1:9000".to_owned())
        );
        assert_eq!(config.map(|c| c.log_format), Some(LogFormat::Json));

        let typo = std::fs::write(&path, "databse_url = \"x\"\n");
        assert!(typo.is_ok());
        let message = Config::resolve(Settings::default(), Some(path))
            .err()
            .unwrap_or_default();
        assert!(message.contains("databse_url"), "{message}");
    }

    #[test]
    fn smtp_settings_are_checked_and_the_password_stays_out_of_the_display() {
        let config = Config::resolve(Settings::default(), None).ok();
        assert!(
            config.is_some_and(|c| c.smtp.is_none()),
            "no SMTP_URL: held"
        );
        let with_smtp = Settings {
            smtp_url: Some("smtps://mailer:s3cret@mail.example.com:465".into()),
            mail_from: Some("Acme <no-reply@acme.test>".into()),
            ..Settings::default()
        };
        let config = Config::resolve(with_smtp, None).ok();
        assert!(config.as_ref().is_some_and(|c| c.smtp.is_some()));
        assert_eq!(
            config.and_then(|c| c.smtp_display),
            Some("smtps://mailer:***@mail.example.com:465".to_owned())
        );
        let bad_from = Settings {
            smtp_url: Some("smtp://127.0.0.1:25".into()),
            mail_from: Some("nobody".into()),
            ..Settings::default()
        };
        let message = Config::resolve(bad_from, None).err().unwrap_or_default();
        assert!(message.contains("ARBOR_MAIL_FROM"), "{message}");
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks() {
        let settings = Settings {
            trusted_proxies: Some("10.0.0.0/8, 192.0.2.7".into()),
            ..Settings::default()
        };
        let config = Config::resolve(settings, None).ok();
        let proxies: Vec<String> = config
            .map(|c| c.trusted_proxies.iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        assert_eq!(proxies, ["10.0.0.0/8", "192.0.2.7/32"]);
        let bad = Settings {
            trusted_proxies: Some("proxy.local".into()),
            ..Settings::default()
        };
        let message = Config::resolve(bad, None).err().unwrap_or_default();
        assert!(message.contains("ARBOR_TRUSTED_PROXIES"), "{message}");
    }

    #[test]
    fn bad_values_are_explained() {
        let bad = Settings {
            addr: Some("nowhere".into()),
            ..Settings::default()
        };
        let message = Config::resolve(bad, None).err().unwrap_or_default();
        assert!(message.contains("ARBOR_ADDR"), "{message}");
    }
}
