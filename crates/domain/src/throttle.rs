//! How many failed logins an account tolerates before it is paused (SPEC §9: login is
//! rate-limited).

use chrono::{DateTime, Duration, Utc};

/// Failed attempts allowed within [`WINDOW`].
pub const MAX_FAILURES: u64 = 5;

/// The window over which failures are counted; after it, attempts are allowed again.
pub const WINDOW: Duration = Duration::minutes(15);

/// The start of the window that counts at `now`.
pub fn window_start(now: DateTime<Utc>) -> DateTime<Utc> {
    now - WINDOW
}

/// Whether a login may be tried, given the failures counted since [`window_start`].
pub fn login_allowed(recent_failures: u64) -> bool {
    recent_failures < MAX_FAILURES
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sixth_attempt_in_the_window_is_refused() {
        assert!(login_allowed(0));
        assert!(login_allowed(MAX_FAILURES - 1));
        assert!(!login_allowed(MAX_FAILURES));
    }
}
