//! Backups and restores, as docs/deployment.md › Backups gives them: `arbor backup <file>` (the
//! real binary) on SQLite while the server takes writes, and `pg_dump` → `pg_restore` into a fresh
//! PostgreSQL database. Each restored copy is opened by a fresh Arbor that must answer the same data.

use crate::api::{api, env, key};
use crate::support::{Engine, TestApp, TestDatabase};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// `arbor backup <file>` against `database_url`: (success, stdout, stderr).
fn arbor_backup(database_url: &str, file: &Path) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .arg("backup")
        .arg(file)
        .env("DATABASE_URL", database_url)
        .env("ARBOR_LOG", "warn")
        .env("ARBOR_CONFIG", "/nonexistent/arbor.toml")
        .output()
        .unwrap_or_else(|e| panic!("spawn arbor: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every identity id of the key's environment, read through the REST API page by page.
async fn listed_identities(app: &TestApp, key: &str) -> BTreeSet<String> {
    let api = api(app);
    let mut ids = BTreeSet::new();
    for page in 1.. {
        let (status, body) = api
            .get(&format!("/identities?take=100&page={page}"), key)
            .await;
        assert_eq!(status, 200, "{body}");
        let items = body["items"].as_array().cloned().unwrap_or_default();
        if items.is_empty() {
            break;
        }
        ids.extend(
            items
                .iter()
                .filter_map(|i| i["identity"]["id"].as_str().map(str::to_owned)),
        );
    }
    ids
}

async fn sqlite_query_one(url_path: &Path, sql: &str) -> String {
    use sqlx::{ConnectOptions, Connection};
    let mut conn = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(url_path)
        .connect()
        .await
        .unwrap_or_else(|e| panic!("open {}: {e}", url_path.display()));
    let value: String = sqlx::query_scalar(sql)
        .fetch_one(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let _ = conn.close().await;
    value
}

/// The backup is taken while two clients keep creating identities over HTTP. It must be a
/// consistent snapshot: intact, fully migrated, holding every identity acknowledged before it
/// began, none without its membership and audit event, and nothing nobody created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_backup_under_write_load_is_consistent_and_restorable() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let backend = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let seed: Vec<Value> = (0..100)
        .map(|i| json!({ "email": format!("seed{i:03}@example.com"), "first_name": "Seed", "last_name": format!("Row {i}") }))
        .collect();
    let (status, body) = api(&app)
        .post(
            "/identities/bulk-create",
            &backend,
            json!({ "identities": seed }),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let progress = Arc::new(tokio::sync::Notify::new());
    let mut writers = Vec::new();
    for writer in 0..2 {
        let (acked, stop, progress) = (acked.clone(), stop.clone(), progress.clone());
        let (base, key) = (app.base.clone(), backend.clone());
        writers.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut refused = Vec::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let response = http
                    .post(format!("{base}/api/v1/identities"))
                    .header("X-API-Key", &key)
                    .json(&json!({ "email": format!("load{writer}-{n}@example.com"), "first_name": "Load", "last_name": format!("{writer} {n}") }))
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status() == 201 => {
                        let body: Value = r.json().await.unwrap_or(Value::Null);
                        let id = body["id"].as_str().unwrap_or_default().to_owned();
                        acked.lock().unwrap_or_else(|p| p.into_inner()).push(id);
                        progress.notify_one();
                    }
                    Ok(r) => {
                        let status = r.status();
                        refused.push(format!("{status}: {}", r.text().await.unwrap_or_default()));
                    }
                    Err(e) => refused.push(e.to_string()),
                }
            }
            refused
        }));
    }
    // Under way: the writers have committed some identities before the backup starts.
    while acked.lock().unwrap_or_else(|p| p.into_inner()).len() < 20 {
        progress.notified().await;
    }
    let before: BTreeSet<String> = acked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .cloned()
        .collect();
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let copy = dir.path().join("arbor-backup.db");
    let (ok, stdout, stderr) = tokio::task::spawn_blocking({
        let (url, copy) = (app.database_url().to_owned(), copy.clone());
        move || arbor_backup(&url, &copy)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let during = acked.lock().unwrap_or_else(|p| p.into_inner()).len() - before.len();
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        let refused = writer.await.unwrap_or_else(|e| panic!("writer: {e}"));
        assert!(
            refused.is_empty(),
            "writes refused under the backup: {refused:?}"
        );
    }
    assert!(ok, "backup failed: {stderr}");
    assert!(stdout.contains("integrity ok"), "{stdout}");
    assert!(
        during > 0,
        "the writers kept committing while the backup ran"
    );
    let all_acked: BTreeSet<String> = acked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .cloned()
        .collect();

    assert_eq!(
        sqlite_query_one(&copy, "PRAGMA integrity_check").await,
        "ok"
    );
    let copy_url = format!("sqlite:{}", copy.display());
    let unmigrated = app::store::Db::connect(&copy_url)
        .await
        .unwrap_or_else(|e| panic!("open the copy: {e}"));
    assert!(
        unmigrated.is_ready().await,
        "every migration is in the copy"
    );
    let half_written = [
        "identities i WHERE NOT EXISTS (SELECT 1 FROM app_memberships m WHERE m.identity_id = i.id)",
        "identities i WHERE NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.resource_id = i.id AND a.action = 'identity.created')",
    ];
    for from_where in half_written {
        let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {from_where}"))
            .fetch_one(unmigrated.reader())
            .await
            .unwrap_or_else(|e| panic!("{from_where}: {e}"));
        assert_eq!(n, 0, "half-written in the copy: {from_where}");
    }
    unmigrated.close().await;

    // A fresh Arbor on the copy answers with the same key.
    let restored = TestApp::spawn_on(
        TestDatabase::sqlite_file(dir, "arbor-backup.db"),
        "target/site",
    )
    .await;
    let served = listed_identities(&restored, &backend).await;
    let missing: Vec<&String> = before.difference(&served).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing: {missing:?}"
    );
    let loaded: Vec<&String> = served
        .iter()
        .filter(|id| !all_acked.contains(*id))
        .collect();
    assert_eq!(
        loaded.len(),
        100,
        "the 100 seeded rows and acknowledged writes only"
    );
}

/// A PostgreSQL database dumped with the command docs/deployment.md gives and restored into a
/// fresh database answers the same lists and the same evaluation.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_dump_restores_into_a_fresh_database_with_the_same_answers() {
    let app = TestApp::spawn(Engine::Postgres).await;
    let (admin, _) = app.sign_up("ada@example.com", "Engines").await;
    let dev = env("development");
    let role = app
        .role_granting(&admin, &dev, "Reader", &["invoice.read"])
        .await;
    let view = app.call(&admin, "hierarchy", json!({ "env": dev })).await;
    let root = view.body["nodes"][0]["id"].clone();
    let backend = key(&app, &admin, "development", json!({ "name": "Backend" })).await;
    let api = api(&app);
    let rows: Vec<Value> = (0..30)
        .map(|i| json!({ "email": format!("row{i:02}@example.com"), "first_name": "Row", "last_name": format!("{i}"), "role_id": role, "node_id": root }))
        .collect();
    let (status, body) = api
        .post(
            "/identities/bulk-create",
            &backend,
            json!({ "identities": rows }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let pat = body["results"][0]["data"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let (list, decision) = answers(&app, &backend, &pat, &root).await;
    assert_eq!(decision["allowed"], true, "{decision}");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(30));

    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dump = dir.path().join("arbor.dump");
    let fresh = TestDatabase::create(Engine::Postgres).await;
    let source_url = app.database_url().to_owned();
    let (target_url, dump_path) = (fresh.url.clone(), dump.clone());
    tokio::task::spawn_blocking(move || {
        // docs/deployment.md › Backups, word for word.
        run_pg(
            "pg_dump",
            &[
                "--format=custom",
                &format!("--file={}", dump_path.display()),
                &source_url,
            ],
        );
        run_pg(
            "pg_restore",
            &[
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                &format!("--dbname={target_url}"),
                &dump_path.display().to_string(),
            ],
        );
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));

    let restored = TestApp::spawn_on(fresh, "target/site").await;
    let (restored_list, restored_decision) = answers(&restored, &backend, &pat, &root).await;
    assert_eq!(restored_list, list);
    assert_eq!(restored_decision, decision);
}

/// The identities list and one evaluation, as the backend sees them.
async fn answers(app: &TestApp, key: &str, pat: &str, root: &Value) -> (Value, Value) {
    let api = api(app);
    let (listed, list) = api.get("/identities?take=100", key).await;
    let (evaluated, decision) = api
        .post(
            "/permissions/evaluate",
            key,
            json!({ "identity_id": pat, "permission": "invoice.read", "node_id": root }),
        )
        .await;
    assert_eq!((listed, evaluated), (200, 200), "{list} {decision}");
    (list, decision)
}

/// `arbor backup` never overwrites, never backs up a database that is not there, and sends
/// PostgreSQL users to pg_dump.
#[tokio::test]
async fn backup_refuses_an_existing_file_a_missing_database_and_postgresql() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let database = dir.path().join("arbor.db");
    let db = app::store::Db::connect(&format!("sqlite:{}", database.display()))
        .await
        .unwrap_or_else(|e| panic!("create: {e}"));
    db.migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    db.close().await;
    let url = format!("sqlite:{}", database.display());

    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, "keep me").unwrap_or_else(|e| panic!("write: {e}"));
    let (ok, _, stderr) = arbor_backup(&url, &taken);
    assert!(!ok, "an existing file is refused");
    assert!(stderr.contains("already exists"), "{stderr}");
    assert_eq!(
        std::fs::read_to_string(&taken).unwrap_or_default(),
        "keep me",
        "nothing overwritten"
    );

    let nowhere = dir.path().join("missing.db");
    let target = dir.path().join("copy.db");
    let (ok, _, stderr) = arbor_backup(&format!("sqlite:{}", nowhere.display()), &target);
    assert!(!ok && stderr.contains("no SQLite database"), "{stderr}");
    assert!(!nowhere.exists() && !target.exists(), "nothing created");

    let (ok, _, stderr) = arbor_backup("postgres://arbor:s3cret@127.0.0.1:1/arbor", &target);
    assert!(!ok, "PostgreSQL is refused");
    assert!(
        stderr.contains(server::backup::PG_DUMP_COMMAND),
        "names the pg_dump command: {stderr}"
    );
    assert!(!stderr.contains("s3cret"), "{stderr}");
    assert!(!target.exists());

    let (ok, stdout, stderr) = arbor_backup(&url, &target);
    assert!(ok, "{stderr}");
    assert!(stdout.contains("integrity ok"), "{stdout}");
}

/// A PostgreSQL client program of the newest installed version (`scripts/ensure-postgres.sh`
/// installs Debian's packages under /usr/lib/postgresql/<version>/bin), else from PATH.
fn pg_program(name: &str) -> PathBuf {
    let newest = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin").join(name)))
        })
        .filter(|(_, path)| path.exists())
        .max();
    newest.map_or_else(|| PathBuf::from(name), |(_, path)| path)
}

fn run_pg(name: &str, args: &[&str]) {
    let output = Command::new(pg_program(name))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} (PostgreSQL client programs): {e}"));
    assert!(
        output.status.success(),
        "{name} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}
