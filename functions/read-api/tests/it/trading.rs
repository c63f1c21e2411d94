use crate::helpers::spawn;

#[tokio::test]
async fn trades_default_to_live_and_filter_by_environment() {
    let app = spawn().await;
    let (status, body) = app.get("/api/v1/trades").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["action"], "sell", "newest first");
    assert_eq!(items[0]["price"], "0.62");
    assert!(items.iter().all(|t| t["execution_environment"] == "live"));

    let (_, body) = app.get("/api/v1/trades?execution_environment=paper").await;
    assert_eq!(body["items"].as_array().expect("items").len(), 1);

    let (_, first) = app.get("/api/v1/trades?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let (_, second) = app
        .get(&format!("/api/v1/trades?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(second["items"][0]["action"], "buy");
    assert!(second.get("next_cursor").is_none());
}

#[tokio::test]
async fn positions_filter_by_environment_and_status() {
    let app = spawn().await;
    let (_, body) = app
        .get("/api/v1/positions?execution_environment=paper&status=open")
        .await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["average_entry_price"], "0.40");
    let (_, body) = app.get("/api/v1/positions?status=open").await;
    assert_eq!(body["items"].as_array().expect("items").len(), 0);
    app.bad("/api/v1/positions?status=shut", "status").await;
}

#[tokio::test]
async fn the_run_ledger_filters_by_function_and_status() {
    let app = spawn().await;
    let (status, body) = app.get("/api/v1/runs").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().expect("items").len(), 3);
    assert_eq!(
        body["items"][0]["function"], "collect-kalshi",
        "newest first"
    );

    let (_, body) = app
        .get("/api/v1/runs?function=collect-kalshi&status=failed")
        .await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["id"], "00000000-0000-0000-0000-000000000001");

    let (_, first) = app.get("/api/v1/runs?limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let (_, second) = app
        .get(&format!("/api/v1/runs?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(second["items"][0]["function"], "nightly-backup");

    let (_, body) = app.get("/api/v1/runs?since=2099-01-01T00:00:00Z").await;
    assert_eq!(body["items"].as_array().expect("items").len(), 0);
}
