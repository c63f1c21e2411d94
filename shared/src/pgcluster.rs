//! A PostgreSQL cluster of our own, from the server binaries found on this machine: kept under the
//! repo for development (`.precog/postgres`, reused between runs) or in a temp dir for tests.
//! PostgreSQL refuses to run as root, so as root the server runs as an unprivileged system user.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{bail, Context};
use tokio::process::Command;

use crate::config::DatabaseUrl;

/// The unprivileged user the server runs as when we are root.
const SERVER_USER: &str = "precog-pg";
const PORT_FILE: &str = "precog.port";

/// A running cluster: trust auth on loopback, database superuser `postgres`.
#[derive(Debug, Clone)]
pub struct LocalCluster {
    pub data_dir: PathBuf,
    pub port: u16,
    bin_dir: PathBuf,
}

/// The development database every function uses when `DATABASE_URL` is unset: database
/// `precog` on the cluster under `PRECOG_LOCAL_PG_DIR` (default `.precog/postgres`), started and
/// created as needed.
pub async fn development_database() -> anyhow::Result<DatabaseUrl> {
    let dir = std::env::var_os("PRECOG_LOCAL_PG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(".precog/postgres"));
    let cluster = LocalCluster::ensure(&dir)
        .await
        .context("starting the local development PostgreSQL")?;
    let url = cluster.database("precog").await?;
    tracing::info!(port = cluster.port, dir = %cluster.data_dir.display(), "using the local development database");
    Ok(DatabaseUrl::parse("DATABASE_URL", url)?)
}

impl LocalCluster {
    /// Starts the cluster in `data_dir`, creating it first if needed; reuses it if already running.
    pub async fn ensure(data_dir: &Path) -> anyhow::Result<Self> {
        Self::start(data_dir, true).await
    }

    async fn start(data_dir: &Path, durable: bool) -> anyhow::Result<Self> {
        let bin_dir = find_server_binaries().await?;
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating {}", data_dir.display()))?;
        let data_dir = data_dir
            .canonicalize()
            .with_context(|| format!("resolving {}", data_dir.display()))?;
        let as_root = is_root().await;
        if as_root {
            ensure_server_user().await?;
            chown(&data_dir).await?;
        }
        if !data_dir.join("PG_VERSION").exists() {
            run_as_server(
                as_root,
                bin_dir.join("initdb"),
                &[
                    "-D",
                    path_str(&data_dir)?,
                    "--auth=trust",
                    "--username=postgres",
                    "--encoding=UTF8",
                    "--locale=C",
                ],
            )
            .await
            .context("initdb")?;
            if !durable {
                // A test cluster that loses data on a crash loses nothing of value.
                let conf = data_dir.join("postgresql.conf");
                let mut text = std::fs::read_to_string(&conf)?;
                text.push_str("\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
                text.push_str(&timescaledb_settings());
                std::fs::write(&conf, text)?;
            }
        }
        let cluster = Self {
            port: 0,
            data_dir,
            bin_dir,
        };
        if let Some(port) = cluster.running_port().await {
            return Ok(Self { port, ..cluster });
        }
        let port = free_port()?;
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={} -c max_connections=200",
            path_str(&cluster.data_dir)?
        );
        let log = cluster.data_dir.join("server.log");
        run_as_server(
            as_root,
            cluster.bin_dir.join("pg_ctl"),
            &[
                "-D",
                path_str(&cluster.data_dir)?,
                "-l",
                path_str(&log)?,
                "-o",
                &options,
                "-w",
                "start",
            ],
        )
        .await
        .with_context(|| format!("starting PostgreSQL (log: {})", log.display()))?;
        std::fs::write(cluster.data_dir.join(PORT_FILE), port.to_string())?;
        Ok(Self { port, ..cluster })
    }

    /// A throwaway cluster for tests, with durability off, removed when `owner_pid` exits.
    pub async fn throwaway(owner_pid: u32) -> anyhow::Result<Self> {
        let dir =
            std::env::temp_dir().join(format!("precog-pg-{owner_pid}-{}", uuid::Uuid::new_v4()));
        let cluster = Self::start(&dir, false).await?;
        let pg_ctl = cluster.bin_dir.join("pg_ctl");
        let runas = if is_root().await {
            format!("runuser -u {SERVER_USER} -- ")
        } else {
            String::new()
        };
        let dir = path_str(&cluster.data_dir)?;
        // A watchdog outlives nothing: when the test process is gone, stop and remove the cluster.
        let script = format!(
            "while kill -0 {owner_pid} 2>/dev/null; do sleep 1; done; \
             {runas}{pg} -D {dir} -m immediate stop >/dev/null 2>&1; rm -rf {dir}",
            pg = pg_ctl.display()
        );
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting the cluster watchdog")?;
        Ok(cluster)
    }

    /// The URL of database `name` on this cluster.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Creates database `name` unless it exists; returns its URL.
    pub async fn database(&self, name: &str) -> anyhow::Result<String> {
        use sqlx::Connection;
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
                .bind(name)
                .fetch_one(&mut admin)
                .await?;
        if !exists {
            sqlx::query(&format!("create database \"{name}\""))
                .execute(&mut admin)
                .await?;
        }
        Ok(self.url(name))
    }

    async fn running_port(&self) -> Option<u16> {
        let data_dir = path_str(&self.data_dir).ok()?;
        run_as_server(
            is_root().await,
            self.bin_dir.join("pg_ctl"),
            &["-D", data_dir, "status"],
        )
        .await
        .ok()?;
        std::fs::read_to_string(self.data_dir.join(PORT_FILE))
            .ok()?
            .trim()
            .parse()
            .ok()
    }
}

/// Env var that makes test clusters TimescaleDB clusters (scripts/test.sh's second variant; the
/// extension must be installed in this PostgreSQL, see scripts/install-timescaledb.sh).
pub const TIMESCALEDB_ENV: &str = "PRECOG_TEST_TIMESCALEDB";

/// `postgresql.conf` lines that load TimescaleDB when [`TIMESCALEDB_ENV`] is `1`. No background
/// workers: a test's template database must have no sessions to be cloned, and tests compress
/// chunks explicitly rather than waiting for a policy.
fn timescaledb_settings() -> String {
    if std::env::var(TIMESCALEDB_ENV).as_deref() != Ok("1") {
        return String::new();
    }
    "shared_preload_libraries = 'timescaledb'\ntimescaledb.telemetry_level = off\n\
     timescaledb.max_background_workers = 0\n"
        .to_owned()
}

fn path_str(path: &Path) -> anyhow::Result<&str> {
    path.to_str()
        .with_context(|| format!("{} is not UTF-8", path.display()))
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

async fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .await
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

async fn ensure_server_user() -> anyhow::Result<()> {
    let exists = Command::new("id")
        .arg(SERVER_USER)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await?
        .success();
    if !exists {
        let status = Command::new("useradd")
            .args([
                "--system",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVER_USER,
            ])
            .status()
            .await
            .context("useradd")?;
        // Another process may have created it at the same moment.
        let exists_now = Command::new("id")
            .arg(SERVER_USER)
            .stdout(Stdio::null())
            .status()
            .await?
            .success();
        if !status.success() && !exists_now {
            bail!("could not create the system user {SERVER_USER} to run PostgreSQL");
        }
    }
    Ok(())
}

async fn chown(dir: &Path) -> anyhow::Result<()> {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{SERVER_USER}:"))
        .arg(dir)
        .status()
        .await?;
    if !status.success() {
        bail!("chown {} failed", dir.display());
    }
    Ok(())
}

async fn run_as_server(as_root: bool, program: PathBuf, args: &[&str]) -> anyhow::Result<()> {
    let mut command = if as_root {
        let mut c = Command::new("runuser");
        c.args(["-u", SERVER_USER, "--"]).arg(&program);
        c
    } else {
        Command::new(&program)
    };
    let output = command
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {}", program.display()))?;
    if !output.status.success() {
        bail!(
            "{} failed: {}{}",
            program.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: `PG_BIN` if set, else `PATH`, else
/// Debian's versioned directories. As root on Debian, installs the server when it is missing.
async fn find_server_binaries() -> anyhow::Result<PathBuf> {
    if let Some(dir) = locate_server_binaries() {
        return Ok(dir);
    }
    if is_root().await && Path::new("/usr/bin/apt-get").exists() {
        tracing::info!("no PostgreSQL server binaries found; installing them with apt-get");
        let _ = Command::new("apt-get").arg("update").status().await;
        let status = Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", "postgresql"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .await?;
        if status.success() {
            if let Some(dir) = locate_server_binaries() {
                return Ok(dir);
            }
        }
    }
    bail!("PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL 15+ or set PG_BIN")
}

fn locate_server_binaries() -> Option<PathBuf> {
    let has_server = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(dir) = std::env::var_os("PG_BIN").map(PathBuf::from) {
        return has_server(&dir).then_some(dir);
    }
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    if let Some(dir) = on_path.into_iter().find(|d| has_server(d)) {
        return Some(dir);
    }
    let mut versioned: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| has_server(d))
        .collect();
    versioned.sort();
    versioned.pop()
}
