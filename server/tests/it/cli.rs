//! `arbor bootstrap`, `arbor migrate` and `arbor serve` without migrating, run as the real binary.

use crate::on_both_engines;
use crate::support::{Engine, TestDatabase};
use std::io::Write;
use std::process::{Command, Stdio};

on_both_engines!(
    bootstrap_creates_a_tenant_without_a_browser_and_refuses_a_duplicate,
    bootstrap_never_takes_a_reserved_slug,
    a_node_that_does_not_migrate_is_unready_until_arbor_migrate
);

fn arbor(
    database_url: &str,
    args: &[&str],
    stdin: &str,
    env_password: Option<&str>,
) -> (bool, String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_arbor"));
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("ARBOR_LOG", "warn")
        .env("ARBOR_CONFIG", "/nonexistent/arbor.toml")
        .env_remove("ARBOR_BOOTSTRAP_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(password) = env_password {
        command.env("ARBOR_BOOTSTRAP_PASSWORD", password);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("spawn arbor: {e}"));
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait arbor: {e}"));
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn bootstrap_creates_a_tenant_without_a_browser_and_refuses_a_duplicate(engine: Engine) {
    let database = TestDatabase::create(engine).await;
    let url = database.url.clone();
    let bootstrap = [
        "bootstrap",
        "--email",
        "ops@example.com",
        "--first-name",
        "Op",
        "--last-name",
        "Erator",
        "--company",
        "Ops Co",
        "--application",
        "Console",
    ];
    let (ok, _, stderr) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || arbor(&url, &["migrate"], "", None)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(ok, "migrate failed: {stderr}");

    let (ok, stdout, stderr) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || arbor(&url, &bootstrap, "a long ops passphrase\n", None)
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(ok, "bootstrap failed: {stderr}");
    assert!(stdout.contains("account: ops-co"), "{stdout}");
    assert!(stdout.contains("application: console"), "{stdout}");
    assert!(
        stdout.contains("environments: development production"),
        "{stdout}"
    );

    let (ok, _, stderr) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || arbor(&url, &bootstrap, "", Some("another long passphrase"))
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!ok, "a second admin with the same email must be refused");
    assert!(stderr.contains("admins.email_taken"), "{stderr}");

    let (ok, _, stderr) = tokio::task::spawn_blocking({
        let url = url.clone();
        move || {
            arbor(
                &url,
                &[
                    "bootstrap",
                    "--email",
                    "x",
                    "--first-name",
                    "",
                    "--last-name",
                    "L",
                    "--company",
                    "C",
                    "--application",
                    "A",
                ],
                "short\n",
                None,
            )
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(!ok);
    assert!(
        stderr.contains("--email: Enter a valid email address"),
        "{stderr}"
    );
    assert!(
        stderr.contains("--password: Use at least 8 characters."),
        "{stderr}"
    );
    drop(database);
}

/// Company "API" with application "V1" would have put the account's dashboard at `/api/v1/…`, the
/// REST API's prefix: the reserved slug takes its next free form.
async fn bootstrap_never_takes_a_reserved_slug(engine: Engine) {
    let database = TestDatabase::create(engine).await;
    let url = database.url.clone();
    let (ok, stdout, stderr) = tokio::task::spawn_blocking(move || {
        arbor(&url, &["migrate"], "", None);
        arbor(
            &url,
            &[
                "bootstrap",
                "--email",
                "api@example.com",
                "--first-name",
                "Api",
                "--last-name",
                "Owner",
                "--company",
                "API",
                "--application",
                "V1",
            ],
            "a long api passphrase\n",
            None,
        )
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(ok, "bootstrap failed: {stderr}");
    assert!(stdout.contains("account: api-2\n"), "{stdout}");
    // `v1` is the identity API's first path segment (/v1/identity/auth).
    assert!(stdout.contains("application: v1-2\n"), "{stdout}");
}

/// The rolling restart of docs/deployment.md: a node started with `ARBOR_MIGRATE_ON_START=false`
/// on a database behind its binary serves, but answers 503 on `/readyz` (the load balancer keeps
/// it out) until `arbor migrate` has run once; then it is ready without a restart.
async fn a_node_that_does_not_migrate_is_unready_until_arbor_migrate(engine: Engine) {
    use std::io::BufRead;
    let database = TestDatabase::create(engine).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"));
    let mut node = Command::new(env!("CARGO_BIN_EXE_arbor"))
        .arg("serve")
        .env("DATABASE_URL", &database.url)
        .env("ARBOR_ADDR", format!("127.0.0.1:{port}"))
        .env("ARBOR_MIGRATE_ON_START", "false")
        .env("ARBOR_LOG", "warn")
        .env("ARBOR_CONFIG", "/nonexistent/arbor.toml")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn arbor serve: {e}"));
    // `arbor serve` prints this line once it listens.
    let stdout = node.stdout.take();
    let listening = tokio::task::spawn_blocking(move || {
        stdout.is_some_and(|out| {
            std::io::BufReader::new(out)
                .lines()
                .map_while(Result::ok)
                .any(|line| line.starts_with("Arbor is running"))
        })
    })
    .await
    .unwrap_or(false);
    let readyz = || async {
        reqwest::get(format!("http://127.0.0.1:{port}/readyz"))
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    let before = if listening { readyz().await } else { 0 };
    let url = database.url.clone();
    let (migrated, _, stderr) =
        tokio::task::spawn_blocking(move || arbor(&url, &["migrate"], "", None))
            .await
            .unwrap_or_else(|e| panic!("{e}"));
    let after = if listening { readyz().await } else { 0 };
    let _ = node.kill();
    let _ = node.wait();
    assert!(listening, "arbor serve did not start");
    assert_eq!(before, 503, "migrations pending: not ready");
    assert!(migrated, "{stderr}");
    assert_eq!(after, 200, "ready once `arbor migrate` ran");
}
