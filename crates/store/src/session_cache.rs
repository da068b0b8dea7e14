//! Sessions read in the last moment, kept in memory (issue 12).
//!
//! Every authenticated request reads its session (with the account and its organisations)
//! before doing anything: on SQLite that is a hand-off to a worker thread of its own, on
//! PostgreSQL a round trip, and a profile of searches over HTTP showed a third of the server's
//! CPU in such hand-offs. A session read here is served from memory for [`SESSION_CACHE_TTL`] at
//! most, and not at all once this store has written to sessions or accounts since (every such
//! write calls [`SessionCache::invalidate`]): a logout, a disabled account, a changed role or
//! organisation, a new second factor take effect at once in this process. Another process on the
//! same database (a second server on PostgreSQL, a `certdesk` command beside a running server)
//! is seen within the TTL: that second is the price, and the reason the TTL is short.
//!
//! The expiry of the session itself is checked on every use, cached or not.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::SessionRecord;

/// How long a session read from the database is used without reading it again.
pub const SESSION_CACHE_TTL: Duration = Duration::from_secs(1);

/// Beyond this many sessions the cache starts again empty (a burst of logins cannot grow it).
const CAPACITY: usize = 10_000;

pub(crate) struct SessionCache {
    ttl: Duration,
    /// Bumped by every write to sessions or accounts; entries of an older one are not used.
    generation: AtomicU64,
    entries: Mutex<HashMap<String, Entry>>,
}

struct Entry {
    record: SessionRecord,
    generation: u64,
    read_at: Instant,
}

impl Default for SessionCache {
    fn default() -> SessionCache {
        SessionCache::new(SESSION_CACHE_TTL)
    }
}

impl SessionCache {
    /// A cache that keeps sessions for `ttl` (zero: never).
    pub(crate) fn new(ttl: Duration) -> SessionCache {
        SessionCache {
            ttl,
            generation: AtomicU64::new(0),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// To take before reading a session from the database, and give back to [`Self::put`]: a
    /// write that lands in between makes the read too old to keep.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The session of `token_hash` if it was read less than the TTL ago (at `instant`), nothing
    /// was written since, and it is still open at `now`.
    pub(crate) fn get(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
        instant: Instant,
    ) -> Option<SessionRecord> {
        if self.ttl.is_zero() {
            return None;
        }
        let generation = self.generation();
        let entries = self.entries.lock().expect("the session cache's lock");
        let entry = entries.get(token_hash)?;
        let fresh = entry.generation == generation
            && instant.saturating_duration_since(entry.read_at) < self.ttl
            && entry.record.expires_at > now;
        fresh.then(|| entry.record.clone())
    }

    /// Keeps `record`, read at `instant` after [`Self::generation`] gave `generation`.
    pub(crate) fn put(
        &self,
        token_hash: &str,
        record: &SessionRecord,
        generation: u64,
        instant: Instant,
    ) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().expect("the session cache's lock");
        // Under the lock: an invalidation either came before (and this read is dropped) or
        // comes after (and clears it).
        if generation != self.generation() {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            token_hash.to_owned(),
            Entry {
                record: record.clone(),
                generation,
                read_at: instant,
            },
        );
    }

    /// Forgets the session of `token_hash` (its last use was written): a read of it that raced
    /// with the write may still keep the old last use, which only makes the next use write it
    /// again.
    pub(crate) fn forget(&self, token_hash: &str) {
        self.entries
            .lock()
            .expect("the session cache's lock")
            .remove(token_hash);
    }

    /// Forgets every session: to call after each write to sessions or accounts has committed.
    pub(crate) fn invalidate(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.entries
            .lock()
            .expect("the session cache's lock")
            .clear();
    }
}

#[cfg(test)]
mod tests {
    use certdesk_domain::Role;
    use certdesk_domain::second_factor::AccountSecurity;
    use chrono::TimeZone;

    use super::*;
    use crate::SessionKind;

    fn session(expires_at: DateTime<Utc>) -> SessionRecord {
        SessionRecord {
            administrator_id: 7,
            username: "dpp@example.gr".into(),
            full_name: "Ελένη Παπαδοπούλου".into(),
            organisation_ids: vec![1, 2],
            role: Role::Administrator,
            kind: SessionKind::Api,
            csrf_token: "csrf".into(),
            expires_at,
            last_seen_at: expires_at - chrono::Duration::hours(1),
            security: AccountSecurity {
                must_change_password: false,
                second_factor_required: true,
                second_factor_enrolled: true,
            },
            pending_totp_secret: None,
        }
    }

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap()
    }

    /// A session open for an hour after noon.
    fn open_session() -> SessionRecord {
        session(noon() + chrono::Duration::hours(1))
    }

    #[test]
    fn a_session_read_a_moment_ago_is_served_until_its_ttl() {
        let cache = SessionCache::default();
        let read_at = Instant::now();
        let record = open_session();
        cache.put("h", &record, cache.generation(), read_at);
        let hit = cache.get(
            "h",
            noon(),
            read_at + SESSION_CACHE_TTL - Duration::from_millis(1),
        );
        assert_eq!(hit.map(|r| r.administrator_id), Some(7));
        assert!(
            cache
                .get("h", noon(), read_at + SESSION_CACHE_TTL)
                .is_none()
        );
        assert!(cache.get("other", noon(), read_at).is_none());
    }

    #[test]
    fn a_cached_session_that_expired_is_not_served() {
        let cache = SessionCache::default();
        let read_at = Instant::now();
        cache.put("h", &session(noon()), cache.generation(), read_at);
        assert!(cache.get("h", noon(), read_at).is_none());
        let before = noon() - chrono::Duration::seconds(1);
        assert!(cache.get("h", before, read_at).is_some());
    }

    #[test]
    fn a_write_forgets_what_was_read_before_it() {
        let cache = SessionCache::default();
        let now = Instant::now();
        let record = open_session();
        cache.put("h", &record, cache.generation(), now);
        cache.invalidate();
        assert!(cache.get("h", noon(), now).is_none());
        // A read that began before the write is not kept after it.
        let generation = cache.generation();
        cache.invalidate();
        cache.put("h", &record, generation, now);
        assert!(cache.get("h", noon(), now).is_none());
    }

    #[test]
    fn a_ttl_of_zero_keeps_nothing() {
        let cache = SessionCache::new(Duration::ZERO);
        let now = Instant::now();
        let record = open_session();
        cache.put("h", &record, cache.generation(), now);
        assert!(cache.get("h", noon(), now).is_none());
    }

    #[test]
    fn a_full_cache_starts_again() {
        let cache = SessionCache::default();
        let now = Instant::now();
        let record = open_session();
        for i in 0..CAPACITY {
            cache.put(&format!("h{i}"), &record, cache.generation(), now);
        }
        cache.put("last", &record, cache.generation(), now);
        assert!(cache.get("h0", noon(), now).is_none());
        assert!(cache.get("last", noon(), now).is_some());
    }
}
