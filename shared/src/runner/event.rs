//! Events: parsed strictly (unknown fields refused, the message names the field) and validated
//! before the runner writes anything.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// An event or configuration the function refuses: exit code 2 in once mode, a non-retryable
/// error under Lambda. Nothing has been written when this is returned.
#[derive(Debug, Clone, thiserror::Error)]
#[error("bad event: {field}: {message}")]
pub struct BadEvent {
    pub field: String,
    pub message: String,
}

impl BadEvent {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Checks the `max_seconds` a function's event may carry (its own deadline, under the
/// platform's): from 1 s to a day.
pub fn check_max_seconds(max_seconds: Option<u64>) -> Result<(), BadEvent> {
    match max_seconds {
        Some(seconds) if !(1..=86_400).contains(&seconds) => {
            Err(BadEvent::new("max_seconds", "must be between 1 and 86400"))
        }
        _ => Ok(()),
    }
}

/// A function's event type. Derive `Deserialize` with `#[serde(deny_unknown_fields)]` so a
/// misspelt field is refused rather than ignored.
pub trait Event: DeserializeOwned + Send + Sync + 'static {
    /// Checks that need more than types (ranges, combinations); name the field.
    fn validate(&self) -> Result<(), BadEvent> {
        Ok(())
    }

    /// The invocation's own time budget (`max_seconds`), if the event sets one.
    fn max_seconds(&self) -> Option<u64> {
        None
    }
}

/// How the invocation was started; recorded in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// An EventBridge schedule (or a Railway cron, which says so with `--trigger schedule`).
    Schedule,
    /// A direct Lambda invocation with a plain event.
    Invoke,
    /// A person or script at a terminal.
    Manual,
}

impl Trigger {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Schedule => "schedule",
            Self::Invoke => "invoke",
            Self::Manual => "manual",
        }
    }
}

/// Unwraps EventBridge's scheduled-event envelope (the function's event is its `detail`), then
/// parses and validates the event. `null` counts as `{}`.
pub fn parse_event<E: Event>(
    payload: Value,
    default_trigger: Trigger,
) -> Result<(E, Trigger), BadEvent> {
    let (inner, trigger) = match payload {
        Value::Object(mut envelope)
            if envelope.contains_key("detail-type") && envelope.contains_key("source") =>
        {
            let detail = envelope.remove("detail").unwrap_or(Value::Null);
            (detail, Trigger::Schedule)
        }
        other => (other, default_trigger),
    };
    let inner = if inner.is_null() {
        Value::Object(Default::default())
    } else {
        inner
    };
    let event: E = serde_path_to_error::deserialize(inner).map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // serde names unknown/missing fields in the message itself; the path is `.` then.
        let field = if path == "." {
            field_from_message(&message).unwrap_or_else(|| "event".to_owned())
        } else {
            path
        };
        BadEvent::new(field, message)
    })?;
    event.validate()?;
    Ok((event, trigger))
}

fn field_from_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[serde(default)]
        interval_seconds: Option<u64>,
    }

    impl Event for Sample {
        fn validate(&self) -> Result<(), BadEvent> {
            match self.interval_seconds {
                Some(0) => Err(BadEvent::new("interval_seconds", "must be at least 1")),
                _ => Ok(()),
            }
        }
    }

    #[test]
    fn eventbridge_envelope_is_unwrapped_and_marked_scheduled() {
        let envelope = json!({
            "version": "0", "id": "53dc4d37", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "123456789012", "time": "2026-11-21T19:00:00Z",
            "region": "us-east-1", "resources": ["arn:aws:events:us-east-1:123:rule/x"],
            "detail": {"interval_seconds": 10}
        });
        let (event, trigger) = parse_event::<Sample>(envelope, Trigger::Invoke).expect("valid");
        assert_eq!(event.interval_seconds, Some(10));
        assert_eq!(trigger, Trigger::Schedule);
    }

    #[test]
    fn empty_and_null_events_are_the_default() {
        for payload in [json!({}), Value::Null] {
            let (event, trigger) = parse_event::<Sample>(payload, Trigger::Manual).expect("valid");
            assert_eq!(event.interval_seconds, None);
            assert_eq!(trigger, Trigger::Manual);
        }
    }

    #[test]
    fn refusals_name_the_field() {
        let cases = [
            (json!({"intervl_seconds": 5}), "intervl_seconds"),
            (json!({"interval_seconds": "ten"}), "interval_seconds"),
            (json!({"interval_seconds": 0}), "interval_seconds"),
        ];
        for (payload, field) in cases {
            let err = parse_event::<Sample>(payload.clone(), Trigger::Manual).expect_err("refused");
            assert_eq!(err.field, field, "for {payload}");
        }
    }
}
