use crate::helpers::{key_hash, spawn, spawn_with};

#[tokio::test]
async fn with_keys_configured_every_path_but_health_needs_a_valid_bearer_key() {
    let hashes = format!("{},{}", key_hash("alpha-key"), key_hash("beta-key"));
    let app = spawn_with([
        ("READ_API_RATE_PER_SECOND", "0"),
        ("READ_API_KEY_HASHES", hashes.as_str()),
    ])
    .await;
    for path in [
        "/api/v1/markets",
        "/openapi.json",
        "/docs",
        "/api/v2/nothing",
    ] {
        let response = app.client.get(app.url(path)).send().await.expect("sent");
        assert_eq!(response.status().as_u16(), 401, "{path}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
    }
    let wrong = app
        .client
        .get(app.url("/api/v1/markets"))
        .bearer_auth("gamma-key")
        .send()
        .await
        .expect("sent");
    assert_eq!(wrong.status().as_u16(), 401);
    for key in ["alpha-key", "beta-key"] {
        let right = app
            .client
            .get(app.url("/api/v1/markets"))
            .bearer_auth(key)
            .send()
            .await
            .expect("sent");
        assert_eq!(right.status().as_u16(), 200, "{key}");
    }
    let (status, _) = app.get("/health").await;
    assert_eq!(status, 200, "health stays open");
}

#[tokio::test]
async fn without_keys_configured_the_api_is_open() {
    let app = spawn().await;
    let (status, _) = app.get("/api/v1/markets").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_client_over_its_rate_gets_429_with_retry_after() {
    let hashes = key_hash("alpha-key");
    let app = spawn_with([
        ("READ_API_RATE_PER_SECOND", "1"),
        ("READ_API_RATE_BURST", "3"),
        ("READ_API_KEY_HASHES", hashes.as_str()),
    ])
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = app
            .client
            .get(app.url("/api/v1/series"))
            .bearer_auth("alpha-key")
            .send()
            .await
            .expect("sent");
        statuses.push(response.status().as_u16());
        if response.status().as_u16() == 429 {
            assert!(response.headers().contains_key("retry-after"));
            let body: serde_json::Value = response.json().await.expect("json");
            assert_eq!(body["error"], "rate_limited");
        }
    }
    assert_eq!(&statuses[..3], [200, 200, 200]);
    assert!(statuses[3..].contains(&429), "{statuses:?}");

    // Another client (here: the address, on the open /health) has its own bucket.
    let (status, _) = app.get("/health").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn cors_allows_only_the_configured_origins() {
    let app = spawn_with([
        ("READ_API_RATE_PER_SECOND", "0"),
        ("READ_API_CORS_ORIGINS", "https://precog.example"),
    ])
    .await;
    let allowed = app
        .client
        .get(app.url("/api/v1/markets"))
        .header("origin", "https://precog.example")
        .send()
        .await
        .expect("sent");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://precog.example"
    );
    let other = app
        .client
        .get(app.url("/api/v1/markets"))
        .header("origin", "https://evil.example")
        .send()
        .await
        .expect("sent");
    assert!(!other.headers().contains_key("access-control-allow-origin"));
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/markets"))
        .header("origin", "https://precog.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .send()
        .await
        .expect("sent");
    assert!(preflight.status().is_success());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://precog.example"
    );
}
