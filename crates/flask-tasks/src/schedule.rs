//! Scheduled tasks (Celery beat): each schedule sends its task at the times of a 5-field
//! cron expression (UTC). Several beats may run (`myapp worker --beat` on every machine):
//! with a result backend, each time is claimed in Redis first, so a task is sent once per
//! time however many beats see it.

use std::sync::Arc;

use chrono::{DateTime, Timelike as _, Utc};
use serde_json::{Map, Value};

/// One schedule.
#[derive(Clone)]
pub(crate) struct Schedule {
    pub(crate) name: String,
    pub(crate) expression: String,
    pub(crate) cron: Option<cron_parser::Schedule>,
    pub(crate) task: &'static str,
    pub(crate) args: Arc<(Vec<Value>, Map<String, Value>)>,
}

impl Schedule {
    /// The first time after `after` it fires.
    pub(crate) fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron.as_ref()?.next_after(&after)
    }

    /// Whether it fires at `minute` (a time on a whole minute).
    pub(crate) fn fires_at(&self, minute: DateTime<Utc>) -> bool {
        self.cron.as_ref().is_some_and(|c| c.includes(&minute))
    }
}

/// `at`, down to its minute.
pub(crate) fn minute_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.with_second(0)
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(at)
}

/// Parses a cron expression, with the reason when it is not one.
pub(crate) fn parse(expression: &str) -> Result<cron_parser::Schedule, String> {
    expression.parse::<cron_parser::Schedule>().map_err(|e| {
        format!(
            "the schedule {expression:?} is not a 5-field cron expression (minute hour \
             day-of-month month day-of-week, as \"0 7 * * 1-5\"): {e}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(expression: &str) -> Schedule {
        Schedule {
            name: "s".into(),
            expression: expression.into(),
            cron: parse(expression).ok(),
            task: "t",
            args: Arc::new((Vec::new(), Map::new())),
        }
    }

    #[test]
    fn schedules_fire_on_their_minutes() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let weekday_mornings = schedule("0 7 * * 1-5");
        // 2026-12-05 is a Saturday.
        assert_eq!(
            weekday_mornings.next_after(at("2026-12-05T08:00:00Z")),
            Some(at("2026-12-07T07:00:00Z"))
        );
        assert!(weekday_mornings.fires_at(at("2026-12-08T07:00:00Z")));
        assert!(!weekday_mornings.fires_at(at("2026-12-06T07:00:00Z")));
        assert_eq!(
            minute_of(at("2026-12-08T07:00:59.5Z")),
            at("2026-12-08T07:00:00Z")
        );
        let err = parse("every day").unwrap_err();
        assert!(err.contains("not a 5-field cron expression"), "{err}");
    }
}
