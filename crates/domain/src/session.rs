//! How long a ΔΨΠ's console session or API token stays open without use (SPEC §9). The absolute
//! lifetime is the installation's setting; on top of it, a session unused for [`IDLE_TIMEOUT`]
//! is closed. The last use is written at most once per [`TOUCH_INTERVAL`], to spare the database
//! a write per request.

use chrono::{DateTime, Duration, Utc};

pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
pub const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// Whether a session last seen at `last_seen` is closed by idleness at `now`.
pub fn is_idle(last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen >= IDLE_TIMEOUT
}

/// Whether this use of the session should be written down.
pub fn needs_touch(last_seen: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - last_seen >= TOUCH_INTERVAL
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn thirty_minutes_without_use_close_a_session() {
        let seen = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        assert!(!is_idle(seen, seen));
        assert!(!is_idle(seen, seen + Duration::minutes(29)));
        assert!(is_idle(seen, seen + Duration::minutes(30)));
    }

    #[test]
    fn a_use_is_written_at_most_once_a_minute() {
        let seen = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        assert!(!needs_touch(seen, seen + Duration::seconds(59)));
        assert!(needs_touch(seen, seen + Duration::seconds(60)));
        // The idle time outlasts many touches: a busy session never closes by idleness.
        assert!(IDLE_TIMEOUT > TOUCH_INTERVAL * 10);
    }
}
