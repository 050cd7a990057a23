//! Starting the real service binaries, waiting for them, and reading their memory.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

/// One of lately's binaries, started by the bench; killed when dropped.
pub struct Service {
    pub child: tokio::process::Child,
    pub url: String,
    pub started: Instant,
}

impl Service {
    /// Starts `binary` listening on a free port (`addr_var` names its address variable).
    pub fn spawn(
        bin_dir: &Path,
        binary: &str,
        addr_var: &str,
        env: &[(&str, &str)],
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let program = bin_dir.join(binary);
        if !program.exists() {
            bail!("{} is missing: build it first", program.display());
        }
        // `LATELY_BENCH_LOG=info` (a `RUST_LOG` filter) shows what the services say, e.g. the
        // reader's "loaded snapshot" with where its start went; otherwise only warnings.
        let log = std::env::var("LATELY_BENCH_LOG").ok();
        let stdout = match log {
            Some(_) => std::process::Stdio::inherit(),
            None => std::process::Stdio::null(),
        };
        let started = Instant::now();
        let child = tokio::process::Command::new(&program)
            .env(addr_var, format!("127.0.0.1:{port}"))
            .env("RUST_LOG", log.as_deref().unwrap_or("warn"))
            .envs(env.iter().copied())
            .stdout(stdout)
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("start {}", program.display()))?;
        Ok(Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            started,
        })
    }

    /// Waits until `/readyz` answers 200; returns how long after the start that was.
    pub async fn ready(&self, client: &reqwest::Client) -> anyhow::Result<Duration> {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            if client
                .get(format!("{}/readyz", self.url))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200)
            {
                return Ok(self.started.elapsed());
            }
            if Instant::now() > deadline {
                bail!("{} never became ready", self.url);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Resident and peak resident memory in MB, from /proc (Linux).
    pub fn memory_mb(&self) -> Option<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        let kb = |field: &str| -> Option<f64> {
            let line = status.lines().find(|l| l.starts_with(field))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        };
        Some((kb("VmRSS:")? / 1024.0, kb("VmHWM:")? / 1024.0))
    }
}

/// CPU time in seconds: of process `pid` (user + system), or of the whole machine (every core's
/// busy time) when `pid` is `None`. From /proc, in the kernel's fixed `USER_HZ` of 100 ticks a
/// second. CPU per event is steadier than events per second on a shared two-core machine, and it
/// is what decides the rate there: the service, PostgreSQL and the clients take turns on the
/// same cores.
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let ticks: u64 = match pid {
        Some(pid) => {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            // The command name (field 2) may hold spaces; the rest follows its closing paren.
            let rest = &stat[stat.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // utime and stime are fields 14 and 15 of the line, 12 and 13 after the paren.
            fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?
        }
        None => {
            // user nice system idle iowait irq softirq steal (guest time is within user): the
            // work done, which leaves out idle, iowait and steal (time the hypervisor gave
            // someone else while this machine had work; see [`Steal`]).
            let fields = machine_ticks()?;
            fields.iter().take(7).sum::<u64>() - fields.get(3)? - fields.get(4)?
        }
    };
    Some(ticks as f64 / USER_HZ)
}

/// The kernel's fixed clock-tick rate for the times in /proc.
const USER_HZ: f64 = 100.0;

/// The whole machine's CPU times so far, in ticks: the `cpu` line of /proc/stat.
fn machine_ticks() -> Option<Vec<u64>> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().next()?.strip_prefix("cpu ")?;
    cpu.split_whitespace().map(|f| f.parse().ok()).collect()
}

/// The whole machine's steal time so far, in CPU seconds: how long its virtual CPUs were
/// ready to run but the hypervisor ran something else. On a shared host this is why the same
/// code measures faster or slower from one hour to the next; the bench reports it next to the
/// figures it disturbs.
fn steal_seconds() -> Option<f64> {
    Some(*machine_ticks()?.get(7)? as f64 / USER_HZ)
}

/// Measures the share of the machine's CPU time the hypervisor stole, from [`Steal::start`]
/// to [`Steal::share`].
pub struct Steal {
    at: std::time::Instant,
    stolen: Option<f64>,
}

impl Steal {
    pub fn start() -> Self {
        Self {
            at: std::time::Instant::now(),
            stolen: steal_seconds(),
        }
    }

    /// Stolen CPU time as a share of all the CPU time there was since the start.
    pub fn share(&self) -> Option<f64> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        let stolen = steal_seconds()? - self.stolen?;
        Some(stolen / (self.at.elapsed().as_secs_f64() * cores))
    }
}

pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// The p-th percentile (0..=1) of sorted durations, in milliseconds.
pub fn percentile(sorted: &[Duration], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    Some(sorted[i].as_secs_f64() * 1000.0)
}
