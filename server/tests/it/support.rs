//! `TestApp::spawn(engine)`: a running Arbor with its own database and a manual clock.

use app::error::AppError;
use app::model::AdminProfile;
use app::services::admin_auth::AdminPrincipal;
use app::services::{ManualClock, Services};
use server::config::{Config, Settings};
use sqlx::Row;
use std::sync::Arc;
use time::macros::datetime;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// Generates `mod <test> { sqlite(), postgres() }` for each `async fn <test>(Engine)`.
#[macro_export]
macro_rules! on_both_engines {
    ($($name:ident),+ $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::support::Engine::Sqlite).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::support::Engine::Postgres).await;
                }
            }
        )+
    };
}

/// The admin URL of the PostgreSQL server the tests may create databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("ARBOR_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "ARBOR_TEST_POSTGRES_URL is not set. Run ./scripts/test (it starts PostgreSQL), or set it \
             to a server where the user may CREATE DATABASE, e.g. postgres://arbor:arbor@127.0.0.1:5432/postgres"
        )
    })
}

/// A fresh database for one test; dropped (or deleted) when the test ends.
pub struct TestDatabase {
    pub url: String,
    engine: Engine,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDatabase {
    pub async fn create(engine: Engine) -> TestDatabase {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
                let url = format!("sqlite:{}/arbor.db", dir.path().display());
                TestDatabase {
                    url,
                    engine,
                    name: String::new(),
                    _dir: Some(dir),
                }
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("arbor_test_{}", uuid::Uuid::now_v7().simple());
                sqlx::any::install_default_drivers();
                let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin}: {e}"));
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap_or_else(|e| panic!("CREATE DATABASE: {e}"));
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                TestDatabase {
                    url: format!("{base}/{name}"),
                    engine,
                    name,
                    _dir: None,
                }
            }
        }
    }

    /// An SQLite file made elsewhere (a backup), deleted with `dir`.
    pub fn sqlite_file(dir: tempfile::TempDir, file: &str) -> TestDatabase {
        TestDatabase {
            url: format!("sqlite:{}", dir.path().join(file).display()),
            engine: Engine::Sqlite,
            name: String::new(),
            _dir: Some(dir),
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.engine != Engine::Postgres {
            return;
        }
        let name = self.name.clone();
        // Drop runs outside async: a short-lived runtime on its own thread drops the database.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(mut conn) =
                    <sqlx::AnyConnection as sqlx::Connection>::connect(&postgres_admin_url()).await
                {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut conn)
                        .await;
                }
            });
        })
        .join();
    }
}

pub struct TestApp {
    pub base: String,
    pub services: Services,
    pub clock: Arc<ManualClock>,
    /// Kept so the database lives (and is dropped) with the app.
    _database: TestDatabase,
}

/// The instant every test starts at.
pub const START: time::OffsetDateTime = datetime!(2026-11-27 09:00 UTC);

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        Self::spawn_serving(engine, "target/site").await
    }

    /// Like `spawn`, serving the browser assets (`/pkg/…`, `/favicon.svg`) from `site_root`.
    pub async fn spawn_serving(engine: Engine, site_root: &str) -> TestApp {
        Self::spawn_on(TestDatabase::create(engine).await, site_root).await
    }

    /// A running Arbor on a database that already exists (a restored backup), migrated at start
    /// like `arbor serve`.
    pub async fn spawn_on(database: TestDatabase, site_root: &str) -> TestApp {
        // The server's warnings (a 503's database error, an internal error's cause) go to the
        // test's own captured output, printed only if it fails; ARBOR_TEST_LOG=debug prints
        // every test's logs as they happen.
        match std::env::var("ARBOR_TEST_LOG") {
            Ok(filter) => server::telemetry::init(&filter, server::config::LogFormat::Text),
            Err(_) => {
                let _ = tracing_subscriber::fmt()
                    .with_env_filter("warn")
                    .with_test_writer()
                    .with_ansi(false)
                    .try_init();
            }
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let config = Config::resolve(
            Settings {
                database_url: Some(database.url.clone()),
                addr: Some(addr.to_string()),
                site_root: Some(site_root.into()),
                ..Settings::default()
            },
            None,
        )
        .unwrap_or_else(|e| panic!("config: {e}"));
        let db = server::open_database(&database.url)
            .await
            .unwrap_or_else(|e| panic!("open database: {e}"));
        let clock = Arc::new(ManualClock::new(START));
        let services = server::services(db, clock.clone(), &config);
        let router = server::router(services.clone(), &config);
        tokio::spawn(server::serve(listener, router));
        TestApp {
            base: format!("http://{addr}"),
            services,
            clock,
            _database: database,
        }
    }

    /// Another Arbor node on this app's database: its own `Services` (caches, limits) sharing
    /// the clock, with the access-journal sync a served node runs (`start_access_sync`). Also
    /// starts that sync for this app, as `arbor serve` would.
    pub async fn second_node(&self) -> Services {
        let config = Config::resolve(
            Settings {
                database_url: Some(self._database.url.clone()),
                ..Settings::default()
            },
            None,
        )
        .unwrap_or_else(|e| panic!("config: {e}"));
        let db = server::open_database(&self._database.url)
            .await
            .unwrap_or_else(|e| panic!("open database: {e}"));
        let services = server::services(db, self.clock.clone(), &config);
        server::start_access_sync(&self.services, &self._database.url);
        server::start_access_sync(&services, &self._database.url);
        services
    }

    /// The URL of this app's database (for running the `arbor` binary against it).
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// A browser-like client: keeps cookies, sends no Origin unless told to.
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"))
    }

    /// Calls a server function (`/api/<endpoint>`) with JSON arguments.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        args: serde_json::Value,
    ) -> Reply {
        let response = client
            .post(format!("{}/api/{endpoint}", self.base))
            .json(&args)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {endpoint}: {e}"));
        Reply::read(response).await
    }

    /// Signs up a new account and returns the signed-in client with its landing.
    pub async fn sign_up(
        &self,
        email: &str,
        company: &str,
    ) -> (reqwest::Client, serde_json::Value) {
        let client = self.client();
        let reply = self
            .call(&client, "sign_up", signup_form(email, company))
            .await;
        assert_eq!(reply.status, 200, "sign-up failed: {}", reply.body);
        self.confirm_email_quietly(email).await;
        (client, reply.body)
    }

    /// Fixture state for tests about something else: the admin has already confirmed their
    /// email, and the sign-up's confirmation message is out of the outbox (admin_security.rs
    /// tests the confirmation itself, through its link).
    pub async fn confirm_email_quietly(&self, email: &str) {
        let mut tx = self
            .services
            .db
            .begin()
            .await
            .unwrap_or_else(|e| panic!("begin: {e}"));
        for sql in [
            "UPDATE admin_users SET email_verified_at = created_at WHERE email = $1",
            "DELETE FROM outbox WHERE kind = 'admin_email_verification' AND recipient = $1",
        ] {
            sqlx::query(sql)
                .bind(email)
                .execute(&mut *tx)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        tx.commit().await.unwrap_or_else(|e| panic!("commit: {e}"));
    }

    /// The admin with this email as the services see a signed-in admin, for tests that call the
    /// service layer in-process (many writes, no HTTP round trip).
    pub async fn admin_principal(&self, email: &str) -> AdminPrincipal {
        let row = sqlx::query("SELECT id, first_name, last_name FROM admin_users WHERE email = $1")
            .bind(email)
            .fetch_one(self.services.db.reader())
            .await
            .unwrap_or_else(|e| panic!("admin {email}: {e}"));
        let field = |name: &str| {
            row.try_get::<String, _>(name)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        AdminPrincipal {
            session_id: String::new(),
            profile: AdminProfile {
                id: field("id"),
                email: email.to_owned(),
                first_name: field("first_name"),
                last_name: field("last_name"),
            },
        }
    }

    /// A role named `name` in `env` holding `keys` (all of one resource, e.g. `invoice.read`),
    /// made through the dashboard's server functions; returns its id.
    pub async fn role_granting(
        &self,
        admin: &reqwest::Client,
        env: &serde_json::Value,
        name: &str,
        keys: &[&str],
    ) -> String {
        let resource = keys
            .first()
            .and_then(|k| k.rsplit_once('.'))
            .map_or("invoice", |(resource, _)| resource);
        let actions: Vec<&str> = keys
            .iter()
            .filter_map(|k| k.rsplit_once('.').map(|(_, action)| action))
            .collect();
        self.call(
            admin,
            "create_permission_group",
            serde_json::json!({ "env": env, "form": { "resource": resource, "actions": actions } }),
        )
        .await;
        let role = self
            .call(
                admin,
                "create_role",
                serde_json::json!({ "env": env, "form": { "name": name } }),
            )
            .await;
        let id = role.body["id"].as_str().unwrap_or_default().to_owned();
        let granted = self
            .call(
                admin,
                "set_role_permissions",
                serde_json::json!({ "env": env, "id": id, "permission_keys": keys }),
            )
            .await;
        assert_eq!(granted.status, 200, "grant: {}", granted.body);
        id
    }

    /// `SELECT COUNT(*) FROM <table> [WHERE …]` on the test database.
    pub async fn count(&self, sql_from_where: &str) -> i64 {
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {sql_from_where}"))
            .fetch_one(self.services.db.reader())
            .await
            .and_then(|r| r.try_get::<i64, _>("n"))
            .unwrap_or_else(|e| panic!("count {sql_from_where}: {e}"))
    }

    pub async fn strings(&self, sql: &str) -> Vec<String> {
        sqlx::query_scalar::<_, String>(sql)
            .fetch_all(self.services.db.reader())
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

pub const PASSWORD: &str = "correct horse battery staple";

pub fn signup_form(email: &str, company: &str) -> serde_json::Value {
    serde_json::json!({
        "form": {
            "email": email,
            "password": PASSWORD,
            "first_name": "Ada",
            "last_name": "Lovelace",
            "account_name": company,
            "application_name": "Billing Portal",
        }
    })
}

pub fn sign_in_form(email: &str, password: &str) -> serde_json::Value {
    serde_json::json!({ "form": { "email": email, "password": password } })
}

/// A server function's answer: status, JSON body, and the typed error when it failed.
pub struct Reply {
    pub status: u16,
    pub body: serde_json::Value,
    pub set_cookie: Vec<String>,
}

impl Reply {
    async fn read(response: reqwest::Response) -> Reply {
        let status = response.status().as_u16();
        let set_cookie = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let text = response.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text));
        Reply {
            status,
            body,
            set_cookie,
        }
    }

    pub fn error(&self) -> AppError {
        serde_json::from_value(self.body.clone())
            .unwrap_or_else(|e| panic!("not an AppError ({e}): {}", self.body))
    }

    pub fn code(&self) -> &'static str {
        self.error().code()
    }
}
