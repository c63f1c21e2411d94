use precog::runner::{BadEvent, Event};
use serde::Deserialize;

/// What an invocation does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Back up every table (resuming an unfinished backup), then apply retention.
    #[default]
    Backup,
    /// Load a backup into `target_database_url`.
    Restore,
    /// Restore the latest (or named) backup into a scratch database and compare it.
    Verify,
}

/// `{}` backs up. `{"mode":"restore","target_database_url":"postgres://…/precog_copy"}` restores
/// the latest complete backup (or `"backup":"20261121T030000Z"`); `{"mode":"verify"}` checks one.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupEvent {
    #[serde(default)]
    pub mode: Mode,
    /// Restore only: the database to load into (never logged).
    pub target_database_url: Option<String>,
    /// Restore/verify: a backup id; default the newest complete backup.
    pub backup: Option<String>,
    /// Restore only: load into a database that has rows but was not made by a restore.
    #[serde(default)]
    pub allow_non_empty: bool,
    /// Backup only: continue an unfinished backup, or do nothing (the follow-up schedule).
    #[serde(default)]
    pub resume_only: bool,
    /// Backup only: keep game states marked `source = 'backfill'` (loaded after the game) in the
    /// training export, which leaves them out by default.
    #[serde(default)]
    pub training_include_backfilled: bool,
    /// The invocation's budget when not under Lambda (Lambda's own deadline caps it).
    pub max_seconds: Option<u64>,
}

impl std::fmt::Debug for BackupEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackupEvent")
            .field("mode", &self.mode)
            .field(
                "target_database_url",
                &self.target_database_url.as_ref().map(|_| "<redacted>"),
            )
            .field("backup", &self.backup)
            .field("allow_non_empty", &self.allow_non_empty)
            .field("resume_only", &self.resume_only)
            .field(
                "training_include_backfilled",
                &self.training_include_backfilled,
            )
            .field("max_seconds", &self.max_seconds)
            .finish()
    }
}

/// A backup or restore of real data takes longer than a collector's pass; Lambda's 900 s
/// deadline still caps these there.
const DEFAULT_BACKUP_SECONDS: u64 = 870;
const DEFAULT_RESTORE_SECONDS: u64 = 24 * 3600;

impl Event for BackupEvent {
    fn validate(&self) -> Result<(), BadEvent> {
        match (self.mode, &self.target_database_url) {
            (Mode::Restore, None) => {
                return Err(BadEvent::new(
                    "target_database_url",
                    "is required when mode is restore",
                ))
            }
            (Mode::Restore, Some(url))
                if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) =>
            {
                return Err(BadEvent::new(
                    "target_database_url",
                    "must be a postgres:// URL",
                ))
            }
            (Mode::Backup | Mode::Verify, Some(_)) => {
                return Err(BadEvent::new(
                    "target_database_url",
                    "is only for mode restore",
                ))
            }
            _ => {}
        }
        if self.allow_non_empty && self.mode != Mode::Restore {
            return Err(BadEvent::new("allow_non_empty", "is only for mode restore"));
        }
        if self.resume_only && self.mode != Mode::Backup {
            return Err(BadEvent::new("resume_only", "is only for mode backup"));
        }
        if self.training_include_backfilled && self.mode != Mode::Backup {
            return Err(BadEvent::new(
                "training_include_backfilled",
                "is only for mode backup",
            ));
        }
        if let Some(id) = &self.backup {
            if self.mode == Mode::Backup {
                return Err(BadEvent::new(
                    "backup",
                    "is only for modes restore and verify",
                ));
            }
            if crate::manifest::parse_id(id).is_none() {
                return Err(BadEvent::new(
                    "backup",
                    format!("`{id}` is not a backup id (like 20261121T030000Z)"),
                ));
            }
        }
        if let Some(seconds) = self.max_seconds {
            if !(1..=7 * 86_400).contains(&seconds) {
                return Err(BadEvent::new("max_seconds", "must be between 1 and 604800"));
            }
        }
        Ok(())
    }

    fn max_seconds(&self) -> Option<u64> {
        Some(self.max_seconds.unwrap_or(match self.mode {
            Mode::Restore => DEFAULT_RESTORE_SECONDS,
            Mode::Backup | Mode::Verify => DEFAULT_BACKUP_SECONDS,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use precog::runner::{parse_event, Trigger};
    use serde_json::json;

    fn parse(value: serde_json::Value) -> Result<BackupEvent, BadEvent> {
        parse_event::<BackupEvent>(value, Trigger::Manual).map(|(e, _)| e)
    }

    #[test]
    fn an_empty_event_is_a_backup() {
        assert_eq!(parse(json!({})).expect("valid").mode, Mode::Backup);
    }

    #[test]
    fn bad_events_are_refused_naming_the_field() {
        for (event, field) in [
            (json!({"mode": "restore"}), "target_database_url"),
            (
                json!({"mode": "restore", "target_database_url": "mysql://x"}),
                "target_database_url",
            ),
            (
                json!({"target_database_url": "postgres://x/y"}),
                "target_database_url",
            ),
            (json!({"mode": "verify", "backup": "yesterday"}), "backup"),
            (json!({"backup": "20261121T030000Z"}), "backup"),
            (
                json!({"mode": "verify", "allow_non_empty": true}),
                "allow_non_empty",
            ),
            (json!({"mode": "fix"}), "mode"),
            (json!({"mdoe": "verify"}), "mdoe"),
            (
                json!({"mode": "verify", "resume_only": true}),
                "resume_only",
            ),
            (
                json!({"mode": "verify", "training_include_backfilled": true}),
                "training_include_backfilled",
            ),
        ] {
            let bad = parse(event.clone()).expect_err(&event.to_string());
            assert_eq!(bad.field, field, "{event}: {bad}");
        }
    }

    #[test]
    fn a_restore_names_its_target_and_optionally_a_backup() {
        let event = parse(json!({
            "mode": "restore",
            "target_database_url": "postgres://localhost/copy",
            "backup": "20261121T030000Z",
        }))
        .expect("valid");
        assert_eq!(event.mode, Mode::Restore);
        assert_eq!(event.max_seconds(), Some(DEFAULT_RESTORE_SECONDS));
        assert!(!format!("{event:?}").contains("localhost"));
    }
}
