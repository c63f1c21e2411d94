//! Real PostgreSQL for tests (docs/architecture.md, "The crates"). The server is
//! `TEST_DATABASE_URL` when set (an admin URL: the harness creates databases on it), otherwise a
//! throwaway cluster started once per test binary and removed when the binary exits. Every test
//! gets its own database, cloned from a template migrated once, so tests run in parallel.

mod app;
pub mod fake_espn;
pub mod fake_kalshi;

pub use app::FunctionApp;

use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::OnceCell;

use crate::config::DatabaseUrl;
use crate::pgcluster::LocalCluster;

struct Server {
    /// URL of the server's `postgres` database with a `{db}` placeholder for the database name.
    url_pattern: String,
    template: String,
}

static SERVER: OnceCell<Server> = OnceCell::const_new();

/// A freshly migrated database of its own for one test.
pub struct TestDb {
    pub pool: PgPool,
    pub url: DatabaseUrl,
    pub name: String,
}

impl TestDb {
    /// The URL as a plain string (to hand to a child process as `DATABASE_URL`).
    pub fn url_string(&self) -> String {
        self.url.expose().to_owned()
    }
}

/// Installs a test subscriber when `TEST_LOG` is set; silent otherwise.
pub fn init_test_logging() {
    if std::env::var_os("TEST_LOG").is_some() {
        crate::telemetry::init(crate::config::Environment::Development);
    }
}

async fn server() -> &'static Server {
    SERVER
        .get_or_init(|| async {
            let url_pattern = match std::env::var("TEST_DATABASE_URL") {
                Ok(url) if !url.is_empty() => with_database(&url, "{db}"),
                _ => {
                    let cluster = LocalCluster::throwaway(std::process::id()).await.expect(
                        "starting a throwaway PostgreSQL (set TEST_DATABASE_URL to use another)",
                    );
                    cluster.url("{db}")
                }
            };
            let template = format!("precog_template_{}", uuid::Uuid::new_v4().simple());
            let admin_url = url_pattern.replace("{db}", "postgres");
            let mut admin = PgConnection::connect(&admin_url)
                .await
                .expect("connecting to the test server");
            sqlx::query(&format!("create database {template}"))
                .execute(&mut admin)
                .await
                .expect("creating the template database");
            admin.close().await.ok();
            let mut conn = PgConnection::connect(&url_pattern.replace("{db}", &template))
                .await
                .expect("connecting to the template database");
            crate::db::MIGRATOR
                .run(&mut conn)
                .await
                .expect("migrating the template database");
            conn.close().await.ok();
            Server {
                url_pattern,
                template,
            }
        })
        .await
}

/// A new database with every migration applied.
pub async fn test_db() -> TestDb {
    init_test_logging();
    let server = server().await;
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&server.url_pattern.replace("{db}", "postgres"))
        .await
        .expect("connecting to the test server");
    // Concurrent clones of one template can collide on its lock; a short retry settles it.
    let mut attempt = 0;
    loop {
        let created = sqlx::query(&format!(
            "create database {name} template {}",
            server.template
        ))
        .execute(&mut admin)
        .await;
        match created {
            Ok(_) => break,
            Err(e) if attempt < 20 => {
                attempt += 1;
                tracing::debug!(error = %e, "retrying database clone");
                tokio::time::sleep(std::time::Duration::from_millis(50 * attempt)).await;
            }
            Err(e) => panic!("creating test database {name}: {e}"),
        }
    }
    admin.close().await.ok();
    let url = DatabaseUrl::parse(
        "TEST_DATABASE_URL",
        server.url_pattern.replace("{db}", &name),
    )
    .expect("a postgres URL");
    let pool = crate::db::lazy_pool(&url, 8).expect("a pool");
    TestDb { pool, url, name }
}

/// A new database with no tables at all (for testing `--migrate` itself).
pub async fn empty_db() -> TestDb {
    init_test_logging();
    let server = server().await;
    let name = format!("e_{}", uuid::Uuid::new_v4().simple());
    let mut admin = PgConnection::connect(&server.url_pattern.replace("{db}", "postgres"))
        .await
        .expect("connecting to the test server");
    sqlx::query(&format!("create database {name} template template0"))
        .execute(&mut admin)
        .await
        .expect("creating an empty database");
    admin.close().await.ok();
    let url = DatabaseUrl::parse(
        "TEST_DATABASE_URL",
        server.url_pattern.replace("{db}", &name),
    )
    .expect("a postgres URL");
    let pool = crate::db::lazy_pool(&url, 4).expect("a pool");
    TestDb { pool, url, name }
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let host_part = &base[scheme_end..];
    let base = match host_part.find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

/// Serves `app` on a fresh loopback port for the rest of the test process; returns the address.
pub async fn serve_loopback(app: axum::Router) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a loopback port");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// A loopback port nothing listens on: connecting to it is refused at once.
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("address").port()
}

/// The one JSON summary a once-mode run printed, after checking it exited with `code` (the
/// panic message carries its stderr).
pub fn exit_summary(output: &std::process::Output, code: i32) -> serde_json::Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("one JSON document on stdout ({e}); stderr: {stderr}"))
}

/// One once-mode run of a function binary, as a benchmark sees it.
pub struct OnceRun {
    pub seconds: f64,
    pub summary: serde_json::Value,
}

impl OnceRun {
    pub fn rows_written(&self) -> u64 {
        self.summary["rows_written"].as_u64().unwrap_or(0)
    }

    pub fn peak_rss_mb(&self) -> f64 {
        self.summary["peak_rss_kb"].as_f64().unwrap_or(0.0) / 1024.0
    }
}

/// Runs a function binary (off the async runtime, so in-process fakes keep serving), times it,
/// and returns its JSON summary; panics with its stderr when it prints none or is not `ok`.
pub async fn run_once_ok(mut command: std::process::Command) -> OnceRun {
    let started = std::time::Instant::now();
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("join")
        .expect("running the function");
    let seconds = started.elapsed().as_secs_f64();
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "no summary ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(summary["status"], "ok", "{summary}");
    OnceRun { seconds, summary }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            super::with_database("postgres://u:p@h:5432/postgres?sslmode=disable", "{db}"),
            "postgres://u:p@h:5432/{db}?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h", "x"), "postgres://h/x");
    }
}
