use crate::helpers::spawn;

#[tokio::test]
async fn events_carry_the_fee_that_applies() {
    let app = spawn().await;
    let (status, body) = app.get("/api/v1/events?series=KXNFLGAME").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["fee_type"], "quadratic", "the series fee");
    assert_eq!(items[0]["fee_multiplier"], "0.07");
    assert_eq!(items[1]["fee_type"], "flat", "the event's override");
    assert_eq!(items[1]["fee_multiplier"], "0.01");

    let (status, body) = app.get("/api/v1/events/KXNFLGAME-25NOV23NYJBAL").await;
    assert_eq!(status, 200);
    assert_eq!(body["fee_type_override"], "flat");
    let (status, _) = app.get("/api/v1/events/KXNOPE").await;
    assert_eq!(status, 404);
    app.bad("/api/v1/events/a'b", "event_ticker").await;
}

#[tokio::test]
async fn series_list_filters_by_category_and_pages() {
    let app = spawn().await;
    let (_, body) = app.get("/api/v1/series?category=Sports").await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["fee_multiplier"], "0.07");
    assert_eq!(items[0]["tags"][0], "Football");

    let (_, first) = app.get("/api/v1/series?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let (_, second) = app
        .get(&format!("/api/v1/series?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(second["items"][0]["ticker"], "KXOTHER");

    let (status, body) = app.get("/api/v1/series/KXOTHER").await;
    assert_eq!(status, 200);
    assert_eq!(body["fee_type"], "flat");
    let (status, _) = app.get("/api/v1/series/KXNOPE").await;
    assert_eq!(status, 404);
}
