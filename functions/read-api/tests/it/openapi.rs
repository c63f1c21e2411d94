use std::path::PathBuf;
use std::process::Stdio;

use serde_json::Value;

use crate::helpers::spawn;

const PATHS: &[&str] = &[
    "/health",
    "/health/freshness",
    "/api/v1/markets",
    "/api/v1/markets/{ticker}",
    "/api/v1/markets/{ticker}/history",
    "/api/v1/markets/{ticker}/trades",
    "/api/v1/markets/{ticker}/candles",
    "/api/v1/events",
    "/api/v1/events/{event_ticker}",
    "/api/v1/series",
    "/api/v1/series/{ticker}",
    "/api/v1/games",
    "/api/v1/games/{espn_event_id}",
    "/api/v1/games/{espn_event_id}/states",
    "/api/v1/runs",
    "/api/v1/trades",
    "/api/v1/positions",
    "/api/v1/backtests",
    "/api/v1/backtests/{id}",
    "/api/v1/games/{espn_event_id}/markets",
    "/api/v1/games/{espn_event_id}/timeline",
    "/api/v1/markets/{ticker}/game",
    "/api/v1/links",
    "/api/v1/history/games",
    "/api/v1/history/odds",
    "/api/v1/history/elo",
];

/// Every `$ref` in the document, which must all resolve.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_its_references_resolve() {
    let app = spawn().await;
    let (status, doc) = app.get("/openapi.json").await;
    assert_eq!(status, 200);
    assert!(
        doc["openapi"].as_str().expect("version").starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().expect("paths");
    for path in PATHS {
        let op = &paths.get(*path).unwrap_or_else(|| panic!("{path} missing"))["get"];
        assert!(op["responses"]["200"].is_object(), "{path} has no 200");
    }
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(!found.is_empty());
    for r in found {
        let pointer = r.strip_prefix('#').expect("a local reference");
        assert!(doc.pointer(pointer).is_some(), "{r} does not resolve");
    }
    let response = app.client.get(app.url("/docs")).send().await.expect("sent");
    assert_eq!(response.status().as_u16(), 200);
    let html = response.text().await.expect("text");
    assert!(html.contains("openapi.json"));
    assert!(
        !html.contains("https://"),
        "the docs page loads nothing external"
    );
}

/// `schemathesis` from PATH (scripts/test.sh puts its venv there), or the repository's `.venv`.
fn schemathesis() -> PathBuf {
    if let Some(path) = std::env::var_os("SCHEMATHESIS") {
        return PathBuf::from(path);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("schemathesis"))
            .find(|p| p.is_file())
    });
    let repo_venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/schemathesis");
    on_path
        .or_else(|| repo_venv.is_file().then_some(repo_venv))
        .expect(
            "schemathesis not found: run scripts/test.sh, or \
             pip install -r scripts/requirements-test.txt, or set SCHEMATHESIS",
        )
}

/// Runs `schemathesis run` against `url` with `checks` from a scratch directory, so its cache
/// never lands in the repository.
async fn run_schemathesis(url: &str, checks: &str, extra: &[&str]) -> (bool, String) {
    run_schemathesis_with(url, checks, extra, "").await
}

/// The same, with `config` as the run's `schemathesis.toml`.
async fn run_schemathesis_with(
    url: &str,
    checks: &str,
    extra: &[&str],
    config: &str,
) -> (bool, String) {
    let scratch = std::env::temp_dir().join(format!(
        "read-api-st-{}-{}",
        std::process::id(),
        checks.replace(',', "-")
    ));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    std::fs::write(scratch.join("schemathesis.toml"), config).expect("schemathesis.toml");
    let output = tokio::process::Command::new(schemathesis())
        .args([
            "run",
            url,
            "--checks",
            checks,
            "--max-examples",
            "15",
            "--workers",
            "2",
            "--seed",
            "20261121",
            "--no-color",
        ])
        .args(extra)
        .current_dir(&scratch)
        .stdin(Stdio::null())
        .output()
        .await
        .expect("running schemathesis");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Property-based run of every operation in the document (schema-valid and schema-violating
/// inputs): any 5xx fails the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_finds_no_server_error_anywhere_in_the_document() {
    let app = spawn().await;
    let (ok, output) = run_schemathesis(
        &app.url("/openapi.json"),
        "not_a_server_error",
        &["--phases", "examples,coverage,fuzzing"],
    )
    .await;
    assert!(ok, "schemathesis found a failure:\n{output}");
    let tested = format!("Tested: {}", PATHS.len());
    assert!(
        output.contains(&tested),
        "schemathesis did not test every operation:\n{output}"
    );
}

/// The run above can fail: with the schema sabotaged so /api/v1/series answers 500,
/// schemathesis exits non-zero.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_fails_when_an_endpoint_answers_5xx() {
    let app = spawn().await;
    sqlx::query("alter table series rename column fee_type to fee_kind")
        .execute(&app.db.pool)
        .await
        .expect("sabotage");
    let (ok, output) = run_schemathesis(
        &app.url("/openapi.json"),
        "not_a_server_error",
        &[
            "--phases",
            "examples,fuzzing",
            "--include-path",
            "/api/v1/series",
        ],
    )
    .await;
    assert!(!ok, "schemathesis missed a 500:\n{output}");
}

/// Every check schemathesis has (schema-valid requests accepted, schema-violating ones refused,
/// status codes, content types and bodies as documented): the document says exactly what the
/// server accepts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemathesis_with_every_check_finds_the_document_exact() {
    let app = spawn().await;
    // A cursor is opaque: only one the server issued is valid, which no schema can say. Each list
    // is therefore sent a real cursor it issued (from a one-row first page), or the empty
    // cursor (the first page) where the seed has a single page.
    let mut config = String::new();
    for path in PATHS.iter().filter(|p| !p.starts_with("/health")) {
        let concrete = path
            .replace("{ticker}", "KXNFLGAME-25NOV20BUFHOU-BUF")
            .replace("{espn_event_id}", "401772001");
        if concrete.contains('{') {
            continue;
        }
        let (status, page) = app.get(&format!("{concrete}?limit=1")).await;
        if status != 200 || page.get("items").is_none() {
            continue;
        }
        let cursor = page["next_cursor"].as_str().unwrap_or("");
        config.push_str(&format!(
            "[[operations]]\ninclude-path = \"{path}\"\nparameters = {{ \"query.cursor\" = \"{cursor}\" }}\n\n"
        ));
    }
    let (ok, output) = run_schemathesis_with(
        &app.url("/openapi.json"),
        "all",
        &["--phases", "examples,coverage,fuzzing"],
        &config,
    )
    .await;
    assert!(ok, "schemathesis --checks all found a failure:\n{output}");
    let tested = format!("Tested: {}", PATHS.len());
    assert!(
        output.contains(&tested),
        "schemathesis did not test every operation:\n{output}"
    );
}
