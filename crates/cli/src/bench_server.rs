//! The server `bench-http` drives: a real `certdesk serve` (this very binary) in a process of its
//! own, on a port of its choosing, so that its memory is read apart from the clients' and its
//! threads do not share a runtime with them. Its log goes to a file beside the bench's data.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;

/// The line `certdesk serve` writes once it listens (text logs).
const LISTENING: &str = "certdesk: http://";
/// How long a server may take to start (migrations of an existing database included).
const START_TIMEOUT: Duration = Duration::from_secs(120);

pub struct ServerChild {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    pub log: PathBuf,
}

impl ServerChild {
    /// Starts `certdesk serve --db db_url` on a free local port, with the key-encryption key
    /// `kek` (hex) of its CA, and waits until it listens; its log goes to `work_dir/NAME.log`.
    pub fn start(
        name: &str,
        db_url: &str,
        kek: &str,
        work_dir: &Path,
    ) -> anyhow::Result<ServerChild> {
        let log = work_dir.join(format!("{name}.log"));
        let mut child = Command::new(std::env::current_exe()?)
            .args(["serve", "--db", db_url, "--listen", "127.0.0.1:0"])
            .env("CERTDESK_KEK", kek)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("cannot start certdesk serve")?;
        let started = Instant::now();
        let base = loop {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if let Some(at) = text.find(LISTENING) {
                let address = text[at + LISTENING.len()..]
                    .split(['/', '\n'])
                    .next()
                    .unwrap_or_default();
                break format!("http://{address}");
            }
            if let Some(status) = child.try_wait()? {
                anyhow::bail!(
                    "certdesk serve stopped ({status}) before listening; its log:\n{text}"
                );
            }
            if started.elapsed() > START_TIMEOUT {
                let _ = child.kill();
                anyhow::bail!("certdesk serve did not listen within {START_TIMEOUT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        Ok(ServerChild { child, base, log })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's peak resident memory so far (VmHWM), from /proc (Linux).
    pub fn peak_rss_mib(&self) -> Option<f64> {
        peak_rss_mib_of(&format!("/proc/{}/status", self.child.id()))
    }
}

impl ServerChild {
    /// What the server's process has used so far: CPU time (user and system, every thread)
    /// and context switches (voluntary and not, summed over its threads), from /proc (Linux).
    pub fn usage(&self) -> Option<Usage> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).ok()?;
        // The fields after the command's name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        let ticks: u64 =
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
        let mut switches = 0;
        for task in std::fs::read_dir(format!("/proc/{}/task", self.child.id())).ok()? {
            let status =
                std::fs::read_to_string(task.ok()?.path().join("status")).unwrap_or_default();
            switches += status
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>();
        }
        Some(Usage {
            // USER_HZ is 100 on Linux for every architecture the product is built for.
            cpu: Duration::from_millis(ticks * 10),
            switches,
        })
    }
}

/// A reading of [`ServerChild::usage`].
#[derive(Clone, Copy)]
pub struct Usage {
    pub cpu: Duration,
    pub switches: u64,
}

impl Usage {
    /// What was used between `before` and this reading, per one of `count` operations:
    /// CPU microseconds and context switches.
    pub fn per_operation_since(&self, before: &Usage, count: usize) -> (f64, f64) {
        let count = count.max(1) as f64;
        (
            self.cpu.saturating_sub(before.cpu).as_secs_f64() * 1e6 / count,
            self.switches.saturating_sub(before.switches) as f64 / count,
        )
    }
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// VmHWM of the status file of a process (`/proc/self/status` for this one), in MiB.
pub fn peak_rss_mib_of(status_file: &str) -> Option<f64> {
    let status = std::fs::read_to_string(status_file).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}
