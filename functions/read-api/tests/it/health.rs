use precog::config::{DatabaseUrl, Env};
use read_api::{build_app, ApiConfig, AppState};

use crate::helpers::{serve, spawn, spawn_with};

#[tokio::test]
async fn health_is_ok_with_a_reachable_database_and_fresh_collectors() {
    let app = spawn().await;
    let (status, body) = app.get("/health").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "ok");
    assert_eq!(body["database"]["reachable"], true);
    let (status, fresh) = app.get("/health/freshness").await;
    assert_eq!(status, 200, "{fresh}");
    let kalshi = body["functions"]
        .as_array()
        .expect("functions")
        .iter()
        .find(|f| f["function"] == "collect-kalshi")
        .expect("collect-kalshi listed");
    assert_eq!(kalshi["last_status"], "ok");
    assert_eq!(kalshi["stale"], false);
    assert!(kalshi["age_seconds"].as_i64().expect("age") >= 240);
}

#[tokio::test]
async fn a_stale_collector_leaves_health_200_degraded_and_makes_freshness_503() {
    let app = spawn_with([
        ("READ_API_RATE_PER_SECOND", "0"),
        ("READ_API_STALE_AFTER", "collect-kalshi=60,collect-espn=600"),
    ])
    .await;
    // Liveness: the API can serve, so a platform health check passes.
    let (status, body) = app.get("/health").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "degraded");
    // Freshness: for monitors and alerts.
    let (status, fresh) = app.get("/health/freshness").await;
    assert_eq!(status, 503, "{fresh}");
    assert_eq!(fresh["status"], "degraded");
    let functions = body["functions"].as_array().expect("functions");
    let stale: Vec<&str> = functions
        .iter()
        .filter(|f| f["stale"] == true)
        .map(|f| f["function"].as_str().expect("name"))
        .collect();
    // collect-espn never ran at all: infinitely stale.
    assert_eq!(stale, ["collect-espn", "collect-kalshi"]);
}

#[tokio::test]
async fn an_unreachable_database_makes_health_503_and_reads_503() {
    // A port nothing listens on: connections are refused at once.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let url = DatabaseUrl::parse("DATABASE_URL", format!("postgres://x@127.0.0.1:{port}/x"))
        .expect("url");
    let pool = precog::db::lazy_pool(&url, 1).expect("pool");
    let config =
        ApiConfig::from_env(&Env::from_pairs([("READ_API_RATE_PER_SECOND", "0")])).expect("config");
    let base = serve(build_app(AppState::new(pool, config))).await;
    let response = reqwest::get(format!("{base}/health")).await.expect("sent");
    assert_eq!(response.status().as_u16(), 503);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["status"], "down");
    assert_eq!(body["database"]["reachable"], false);
    let response = reqwest::get(format!("{base}/health/freshness"))
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 503);

    let response = reqwest::get(format!("{base}/api/v1/markets"))
        .await
        .expect("sent");
    assert_eq!(response.status().as_u16(), 503);
}
