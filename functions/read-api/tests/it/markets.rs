use crate::helpers::spawn;

const BUF: &str = "KXNFLGAME-25NOV20BUFHOU-BUF";

#[tokio::test]
async fn the_market_list_carries_each_markets_latest_snapshot_with_exact_prices() {
    let app = spawn().await;
    let (status, body) = app.get("/api/v1/markets").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    let buf = &items[0];
    assert_eq!(buf["ticker"], BUF);
    assert_eq!(buf["latest"]["observed_at"], "2026-11-20T12:02:00Z");
    assert_eq!(buf["latest"]["yes_bid"], "0.6100");
    assert!(items[1]["latest"].is_null(), "a market never snapshotted");
    assert!(body.get("next_cursor").is_none(), "one page only");
}

#[tokio::test]
async fn market_filters_select_by_status_event_and_title() {
    let app = spawn().await;
    let (_, body) = app.get("/api/v1/markets?status=finalized").await;
    assert_eq!(body["items"].as_array().expect("items").len(), 1);
    assert_eq!(body["items"][0]["result"], "yes");
    let (_, body) = app
        .get("/api/v1/markets?event=KXNFLGAME-25NOV20BUFHOU&series=KXNFLGAME")
        .await;
    assert_eq!(body["items"].as_array().expect("items").len(), 2);
    let (_, body) = app.get("/api/v1/markets?q=houston").await;
    assert_eq!(body["items"][0]["ticker"], "KXNFLGAME-25NOV20BUFHOU-HOU");
    // `%` is literal in a search, not a wildcard.
    let (_, body) = app.get("/api/v1/markets?q=100%25").await;
    assert_eq!(body["items"].as_array().expect("items").len(), 1);
    let (_, body) = app.get("/api/v1/markets?q=%25%25").await;
    assert_eq!(body["items"].as_array().expect("items").len(), 0);
}

#[tokio::test]
async fn keyset_pages_visit_every_market_exactly_once() {
    let app = spawn().await;
    let mut seen = Vec::new();
    let mut path = "/api/v1/markets?limit=1".to_owned();
    loop {
        let (status, body) = app.get(&path).await;
        assert_eq!(status, 200, "{body}");
        for item in body["items"].as_array().expect("items") {
            seen.push(item["ticker"].as_str().expect("ticker").to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/markets?limit=1&cursor={cursor}"),
            None => break,
        }
        assert!(seen.len() <= 3, "pagination does not end");
    }
    assert_eq!(seen.len(), 3);
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, seen);
}

#[tokio::test]
async fn one_market_is_found_or_404() {
    let app = spawn().await;
    let (status, body) = app.get(&format!("/api/v1/markets/{BUF}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["latest"]["last_price"], "0.62");
    let (status, body) = app.get("/api/v1/markets/KXNOPE-1").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_found");
    app.bad("/api/v1/markets/bad%20ticker", "ticker").await;
}

#[tokio::test]
async fn history_returns_the_window_oldest_first_and_pages() {
    let app = spawn().await;
    let window = "start=2026-11-20T11:00:00Z&end=2026-11-20T13:00:00Z";
    let (status, body) = app
        .get(&format!("/api/v1/markets/{BUF}/history?{window}"))
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    let times: Vec<&str> = items
        .iter()
        .map(|s| s["observed_at"].as_str().expect("time"))
        .collect();
    assert_eq!(
        times,
        [
            "2026-11-20T12:00:00Z",
            "2026-11-20T12:01:00Z",
            "2026-11-20T12:02:00Z"
        ]
    );

    let (_, first) = app
        .get(&format!("/api/v1/markets/{BUF}/history?{window}&limit=2"))
        .await;
    assert_eq!(first["items"].as_array().expect("items").len(), 2);
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let (_, second) = app
        .get(&format!(
            "/api/v1/markets/{BUF}/history?{window}&limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(second["items"][0]["observed_at"], "2026-11-20T12:02:00Z");
    assert!(second.get("next_cursor").is_none());

    // The end is exclusive.
    let (_, body) = app
        .get(&format!(
            "/api/v1/markets/{BUF}/history?start=2026-11-20T12:00:00Z&end=2026-11-20T12:02:00Z"
        ))
        .await;
    assert_eq!(body["items"].as_array().expect("items").len(), 2);
}

#[tokio::test]
async fn a_downsampled_history_keeps_the_last_snapshot_of_each_bucket() {
    let app = spawn().await;
    let window = "start=2026-11-20T11:00:00Z&end=2026-11-20T13:00:00Z";
    let (status, body) = app
        .get(&format!(
            "/api/v1/markets/{BUF}/history?{window}&interval=120"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    // Buckets [12:00, 12:02) and [12:02, 12:04): the last of each.
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["bucket"], "2026-11-20T12:00:00Z");
    assert_eq!(items[0]["observed_at"], "2026-11-20T12:01:00Z");
    assert_eq!(items[1]["observed_at"], "2026-11-20T12:02:00Z");
    assert_eq!(body["interval_seconds"], 120);

    let (_, first) = app
        .get(&format!(
            "/api/v1/markets/{BUF}/history?{window}&interval=120&limit=1"
        ))
        .await;
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let (_, second) = app
        .get(&format!(
            "/api/v1/markets/{BUF}/history?{window}&interval=120&limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(second["items"][0]["observed_at"], "2026-11-20T12:02:00Z");
}

#[tokio::test]
async fn history_refuses_bad_windows_naming_the_parameter() {
    let app = spawn().await;
    let base = format!("/api/v1/markets/{BUF}/history");
    app.bad(&format!("{base}?start=yesterday"), "start").await;
    app.bad(&format!("{base}?end=2026-13-01T00:00:00Z"), "end")
        .await;
    // An inverted or empty window is empty, not an error (the document cannot relate them).
    for window in [
        "start=2026-11-21T00:00:00Z&end=2026-11-20T00:00:00Z",
        "start=2026-11-20T12:00:00Z&end=2026-11-20T12:00:00Z",
    ] {
        let (status, body) = app.get(&format!("{base}?{window}")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(0), "{body}");
    }
    app.bad(&format!("{base}?interval=0"), "interval").await;
    app.bad(&format!("{base}?limit=5001"), "limit").await;
    app.bad(&format!("{base}?cursor=not-a-cursor"), "cursor")
        .await;
    let (status, _) = app.get("/api/v1/markets/KXNOPE-1/history").await;
    assert_eq!(status, 404);
}
