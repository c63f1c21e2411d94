use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every non-2xx answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code: `bad_parameter`, `not_found`, `unauthorized`,
    /// `rate_limited`, `unavailable`, `internal`.
    pub error: String,
    /// What went wrong, for a person.
    pub message: String,
    /// The query or path parameter at fault, for `bad_parameter`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter: Option<String>,
}

/// Every way a request can fail. Bad input is always a 4xx; only the database can make a 5xx.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{parameter}: {message}")]
    BadParameter { parameter: String, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("missing or unknown API key")]
    Unauthorized,
    #[error("rate limit reached")]
    RateLimited { retry_after_secs: u64 },
    #[error("database unavailable: {0}")]
    Unavailable(sqlx::Error),
    #[error("database query failed: {0}")]
    Database(sqlx::Error),
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn bad(parameter: &str, message: impl Into<String>) -> Self {
        Self::BadParameter {
            parameter: parameter.to_owned(),
            message: message.into(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadParameter { .. } => StatusCode::BAD_REQUEST,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl From<sqlx::Error> for ApiError {
    /// A pool that cannot get a connection is the database being down (503, worth retrying);
    /// anything else is our bug (500).
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => Self::Unavailable(e),
            other => Self::Database(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (code, message, parameter) = match &self {
            Self::BadParameter { parameter, message } => {
                ("bad_parameter", message.clone(), Some(parameter.clone()))
            }
            Self::NotFound(what) => ("not_found", what.clone(), None),
            Self::Unauthorized => (
                "unauthorized",
                "send a valid API key as `Authorization: Bearer <key>`".to_owned(),
                None,
            ),
            Self::RateLimited { .. } => (
                "rate_limited",
                "too many requests; retry after the Retry-After header's seconds".to_owned(),
                None,
            ),
            Self::Unavailable(e) => {
                tracing::warn!(error = %precog::failure::Chain(e), "database unavailable");
                (
                    "unavailable",
                    "the database is unavailable".to_owned(),
                    None,
                )
            }
            Self::Database(e) => {
                // Logged in full; the client gets no SQL or schema detail.
                tracing::error!(error = %precog::failure::Chain(e), "query failed");
                ("internal", "internal error".to_owned(), None)
            }
        };
        let body = ErrorBody {
            error: code.to_owned(),
            message,
            parameter,
        };
        let mut response = (status, Json(body)).into_response();
        match self {
            Self::Unauthorized => {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::RateLimited { retry_after_secs } => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    HeaderValue::from(retry_after_secs.max(1)),
                );
            }
            _ => {}
        }
        response
    }
}
