use std::sync::Arc;

use axum::http::{header, HeaderMap, Method};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use sqlx::PgPool;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::auth::{self, Limiter};
use crate::config::{ApiConfig, CorsOrigins};
use crate::error::ApiError;
use crate::routes;

/// What every handler can reach: one pool and the validated configuration.
#[derive(Clone)]
pub struct AppState {
    pub pool: PgPool,
    pub config: Arc<ApiConfig>,
    pub limiter: Option<Arc<Limiter>>,
}

impl AppState {
    pub fn new(pool: PgPool, config: ApiConfig) -> Self {
        let limiter = config
            .rate_per_second
            .map(|rate| Limiter::new(rate, config.rate_burst));
        Self {
            pool,
            config: Arc::new(config),
            limiter,
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Precog read API",
        description = "Read-only access to Precog's Kalshi markets, ESPN games, collection runs, \
                       trades and positions. Lists page with opaque `cursor`s; every error is JSON \
                       `{error, message, parameter?}`."
    ),
    tags(
        (name = "health", description = "Database reachability and collector staleness"),
        (name = "markets", description = "Kalshi markets, their latest snapshot and history"),
        (name = "catalog", description = "Kalshi events and series, with fee parameters"),
        (name = "games", description = "ESPN games and their state history"),
        (name = "runs", description = "The collection ledger"),
        (name = "trading", description = "Trades and positions by execution environment (live, paper, backtest)"),
    )
)]
struct ApiDoc;

/// The OpenAPI document, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = OpenApiRouter::<AppState>::with_openapi(ApiDoc::openapi())
        .merge(routes::api())
        .split_for_parts();
    with_security(api)
}

/// Bearer keys are optional in the document: required only when the server has keys configured.
fn with_security(mut api: utoipa::openapi::OpenApi) -> utoipa::openapi::OpenApi {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "bearer",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .description(Some(
                    "An API key, when the server has READ_API_KEY_HASHES configured",
                ))
                .build(),
        ),
    );
    api.security = Some(vec![
        SecurityRequirement::new("bearer", Vec::<String>::new()),
        SecurityRequirement::default(),
    ]);
    api
}

/// The whole application: routes, OpenAPI, docs, then (outermost first) CORS, authentication,
/// rate limiting, tracing.
pub fn build_app(state: AppState) -> Router {
    let (router, api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::api())
        .split_for_parts();
    let api = Arc::new(with_security(api));
    let router = router
        .route(
            "/openapi.json",
            get(move || {
                let api = Arc::clone(&api);
                async move { Json(api.as_ref().clone()) }
            }),
        )
        .route("/docs", get(docs))
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::rate_limit,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        .layer(TraceLayer::new_for_http());
    let router = match &state.config.cors_origins {
        None => router,
        Some(origins) => router.layer(cors(origins)),
    };
    router.with_state(state)
}

fn cors(origins: &CorsOrigins) -> CorsLayer {
    let allow = match origins {
        CorsOrigins::Any => AllowOrigin::any(),
        CorsOrigins::List(list) => AllowOrigin::list(list.clone()),
    };
    CorsLayer::new()
        .allow_origin(allow)
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(3600))
}

/// The dashboard's files and client pages, else the JSON 404.
async fn not_found(method: Method, uri: axum::http::Uri, headers: HeaderMap) -> Response {
    crate::dashboard::respond(&method, uri.path(), &headers)
        .unwrap_or_else(|| ApiError::not_found("no such endpoint; see /docs").into_response())
}

/// A self-contained docs page (works offline: loads nothing from elsewhere): it reads
/// /openapi.json, with the API key typed in when the server requires one.
async fn docs() -> Html<&'static str> {
    Html(include_str!("docs.html"))
}
