//! The monitoring dashboard's static files, embedded in the binary (see `build.rs`), served the
//! same way under Lambda and with `--serve`:
//! - Vite's content-hashed files under `/assets/` are cached for a year, immutable;
//!   everything else (`index.html`) is `no-cache` with an ETag, so a deploy shows at once;
//! - a `.br` / `.gz` twin written at build time (`scripts/compress.mjs`) is sent when the
//!   client's `Accept-Encoding` allows it;
//! - the client routes (`/markets/KX…`, `/games/…`) answer `index.html`, so deep links load.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "$DASHBOARD_DIR"]
struct Files;

/// Whether this binary carries the real dashboard (false: the how-to-build placeholder).
pub const BUILT: bool = matches!(env!("DASHBOARD_BUILT").as_bytes(), b"1");

/// The app's client-side pages: each root, and one path segment below it where it has detail
/// pages. Anything else that is not a file stays a JSON 404.
const PAGES: &[(&str, bool)] = &[
    ("/games", true),
    ("/markets", true),
    ("/backtests", true),
    ("/trades", false),
];

/// Hashed build output: its name changes with its content, so it can be cached forever.
const IMMUTABLE_PREFIX: &str = "assets/";

/// Whether `path` is a client-side page that loads `index.html`.
pub fn is_page(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    PAGES.iter().any(|(root, detail)| {
        path == *root
            || (*detail
                && path
                    .strip_prefix(root)
                    .and_then(|rest| rest.strip_prefix('/'))
                    .is_some_and(|id| !id.is_empty() && !id.contains('/')))
    })
}

/// Whether `path` is one of the dashboard's public files or pages (no API key needed).
pub fn is_public(path: &str) -> bool {
    is_page(path) || file_name(path).is_some_and(|name| Files::get(name).is_some())
}

fn file_name(path: &str) -> Option<&str> {
    path.strip_prefix('/').filter(|name| !name.is_empty())
}

/// The response for a GET/HEAD of `path`, or `None` when the dashboard has nothing there.
pub fn respond(method: &Method, path: &str, headers: &HeaderMap) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let name = match file_name(path) {
        Some(name) if Files::get(name).is_some() => name,
        _ if is_page(path) => "index.html",
        _ => return None,
    };
    Some(file(name, headers, method == Method::HEAD))
}

fn file(name: &str, headers: &HeaderMap, head: bool) -> Response {
    let Some(plain) = Files::get(name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&plain.metadata.sha256_hash()[..16]));
    let cache = if name.starts_with(IMMUTABLE_PREFIX) {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let mut response = Response::builder()
        .header(header::CONTENT_TYPE, content_type(name))
        .header(header::CACHE_CONTROL, cache)
        .header(header::ETAG, &etag)
        .header(header::VARY, "Accept-Encoding");
    let not_modified = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    if not_modified {
        return response
            .status(StatusCode::NOT_MODIFIED)
            .body(Body::empty())
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    let accepted = accepted_encodings(headers);
    let mut body = plain.data;
    for (encoding, suffix) in [("br", ".br"), ("gzip", ".gz")] {
        if accepted.contains(&encoding) {
            if let Some(twin) = Files::get(&format!("{name}{suffix}")) {
                body = twin.data;
                response = response.header(header::CONTENT_ENCODING, encoding);
                break;
            }
        }
    }
    let length = body.len();
    let body = if head {
        Body::empty()
    } else {
        Body::from(body)
    };
    response
        .header(header::CONTENT_LENGTH, HeaderValue::from(length))
        .body(body)
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// The codings `Accept-Encoding` allows (`q=0` refuses one).
fn accepted_encodings(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|item| {
            let mut parts = item.split(';').map(str::trim);
            let coding = parts.next().filter(|c| !c.is_empty())?;
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (!refused).then_some(coding)
        })
        .collect()
}

fn content_type(name: &str) -> &'static str {
    let ext = name.rsplit('.').next().unwrap_or("");
    match ext {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        "br" | "gz" => "application/octet-stream",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_pages_are_the_roots_and_one_segment_detail_pages() {
        for page in [
            "/",
            "/games",
            "/games/401772001",
            "/markets/KXNFLGAME-25NOV20BUFHOU-BUF",
            "/markets/KX.A_B",
            "/backtests",
            "/trades",
        ] {
            assert!(is_page(page), "{page}");
        }
        for other in ["/trades/1", "/markets/", "/markets/a/b", "/nope", "/api/v1"] {
            assert!(!is_page(other), "{other}");
        }
    }

    #[test]
    fn accept_encoding_honours_q_zero() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=1.0, br;q=0, deflate"),
        );
        assert_eq!(accepted_encodings(&headers), ["gzip", "deflate"]);
    }
}
