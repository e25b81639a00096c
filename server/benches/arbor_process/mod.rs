//! A real `arbor serve` process on a loopback port, for the benches that need one (the crash
//! harness kills it; the evaluation bench reads its memory).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const ARBOR: &str = env!("CARGO_BIN_EXE_arbor");

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A running `arbor serve`, killed with SIGKILL when dropped.
pub struct Arbor {
    child: Child,
    pub base: String,
}

impl Arbor {
    pub async fn start(url: &str, log: &Path) -> anyhow::Result<Arbor> {
        let port = free_port()?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)?;
        let child = Command::new(ARBOR)
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("ARBOR_ADDR", format!("127.0.0.1:{port}"))
            .env("ARBOR_CONFIG", "/nonexistent")
            .env("ARBOR_LOG", "warn")
            // One key sends everything: the harness tests crashes, not the limiter.
            .env("ARBOR_API_RATE_LIMIT", "100000000")
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()?;
        let arbor = Arbor {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = http
                .get(format!("{}/readyz", arbor.base))
                .timeout(Duration::from_secs(2))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return Ok(arbor);
            }
            anyhow::ensure!(Instant::now() < deadline, "arbor did not become ready");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    pub fn kill(&mut self) -> anyhow::Result<()> {
        // `Child::kill` is SIGKILL on Unix: no shutdown, no flush, as a crash.
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Arbor {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

impl Arbor {
    /// The process's resident memory, in bytes.
    pub fn rss(&self) -> u64 {
        vm_rss(&format!("/proc/{}/status", self.child.id()))
    }
}

/// `VmRSS` of a `/proc/<pid>/status` file, in bytes (0 when unreadable).
pub fn vm_rss(status_path: &str) -> u64 {
    std::fs::read_to_string(status_path)
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}
