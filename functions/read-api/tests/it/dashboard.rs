use read_api::dashboard::BUILT;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
};

use crate::helpers::{key_hash, spawn, spawn_with};

/// A client that shows the bytes as sent (no transparent gzip decoding).
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .build()
        .expect("client")
}

#[tokio::test]
async fn pages_load_index_html_no_cache_with_an_etag_and_deep_links_work() {
    let app = spawn().await;
    let client = raw_client();
    let root = client.get(app.url("/")).send().await.expect("sent");
    assert_eq!(root.status().as_u16(), 200);
    assert_eq!(root.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(root.headers()[CACHE_CONTROL], "no-cache");
    let etag = root.headers()[ETAG].clone();
    let index = root.text().await.expect("body");
    if BUILT {
        assert!(index.contains("/assets/"), "{index}");
    } else {
        assert!(index.contains("npm run build"), "{index}");
    }
    for deep in [
        "/markets/KXNFLGAME-25NOV20BUFHOU-BUF",
        "/markets?q=x",
        "/games/401772001",
        "/backtests/00000000-0000-0000-0000-0000000000b1",
        "/trades",
    ] {
        let r = client.get(app.url(deep)).send().await.expect("sent");
        assert_eq!(r.status().as_u16(), 200, "{deep}");
        assert_eq!(r.text().await.expect("body"), index, "{deep}");
    }
    let again = client
        .get(app.url("/games"))
        .header(IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status().as_u16(), 304);
    // Not a page, not a file: the API's JSON 404, as before.
    let (status, body) = app.get("/markets/a/b").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn hashed_assets_are_immutable_and_follow_accept_encoding() {
    let app = spawn().await;
    let client = raw_client();
    let index = client
        .get(app.url("/"))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .expect("body");
    if !BUILT {
        // The placeholder has no assets; an unknown asset is a 404, never index.html.
        let r = client
            .get(app.url("/assets/x.js"))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status().as_u16(), 404);
        return;
    }
    let start = index.find("/assets/").expect("an asset in index.html");
    let end = start + index[start..].find('"').expect("closing quote");
    let asset = &index[start..end];
    let plain = client.get(app.url(asset)).send().await.expect("sent");
    assert_eq!(plain.status().as_u16(), 200);
    assert_eq!(
        plain.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert!(plain.headers().get(CONTENT_ENCODING).is_none());
    let plain_len = plain.bytes().await.expect("body").len();
    for (accept, expect) in [
        ("gzip, deflate, br", "br"),
        ("gzip", "gzip"),
        ("br;q=0, gzip", "gzip"),
    ] {
        let r = client
            .get(app.url(asset))
            .header(ACCEPT_ENCODING, accept)
            .send()
            .await
            .expect("sent");
        assert_eq!(r.headers()[CONTENT_ENCODING], expect, "{accept}");
        assert!(r.bytes().await.expect("body").len() < plain_len, "{accept}");
    }
}

#[tokio::test]
async fn with_keys_the_dashboard_files_are_public_and_its_data_is_not() {
    let hashes = key_hash("alpha-key");
    let app = spawn_with([
        ("READ_API_RATE_PER_SECOND", "0"),
        ("READ_API_KEY_HASHES", hashes.as_str()),
    ])
    .await;
    let r = app
        .client
        .get(app.url("/markets"))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status().as_u16(), 200);
    let (status, _) = app.get("/api/v1/markets").await;
    assert_eq!(status, 401);
    let (status, _) = app.get("/health/freshness").await;
    assert_eq!(status, 200);
}
