use crate::helpers::spawn;

#[tokio::test]
async fn live_games_come_with_their_latest_state() {
    let app = spawn().await;
    let (status, body) = app.get("/api/v1/games?state=in").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["espn_event_id"], "401772001");
    assert_eq!(items[0]["latest"]["home_score"], 3);
    assert_eq!(items[0]["latest"]["home_win_probability"], "0.41");

    let (_, body) = app.get("/api/v1/games?league=football/nfl").await;
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["espn_event_id"], "401772001", "newest first");
    assert!(items[1]["latest"].is_null());

    let (_, body) = app.get("/api/v1/games?date=2026-11-19").await;
    assert_eq!(body["items"][0]["espn_event_id"], "401772002");

    let (_, first) = app.get("/api/v1/games?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let (_, second) = app
        .get(&format!("/api/v1/games?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(second["items"][0]["espn_event_id"], "401772002");
}

#[tokio::test]
async fn one_game_and_its_state_history() {
    let app = spawn().await;
    let (status, body) = app.get("/api/v1/games/401772001").await;
    assert_eq!(status, 200);
    assert_eq!(body["short_name"], "BUF @ HOU");
    let (status, body) = app.get("/api/v1/games/401772001/states").await;
    assert_eq!(status, 200, "{body}");
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["period"], 1, "oldest first");

    let (_, first) = app.get("/api/v1/games/401772001/states?limit=1").await;
    let cursor = first["next_cursor"].as_str().expect("cursor");
    let (_, second) = app
        .get(&format!(
            "/api/v1/games/401772001/states?limit=1&cursor={cursor}"
        ))
        .await;
    assert_eq!(second["items"][0]["period"], 2);

    let (status, _) = app.get("/api/v1/games/999").await;
    assert_eq!(status, 404);
    let (status, _) = app.get("/api/v1/games/999/states").await;
    assert_eq!(status, 404);
    // An inverted window is empty, not an error (the document cannot relate two parameters).
    let (status, body) = app
        .get("/api/v1/games/401772001/states?start=2026-11-21T00:00:00Z&end=2026-11-20T00:00:00Z")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["items"].as_array().map(Vec::len), Some(0), "{body}");
}
