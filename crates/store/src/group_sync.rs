//! Group commit for the embedded store (issue 12): commits share one fsync instead of waiting
//! for one each.
//!
//! The SQLite writer commits with `synchronous = NORMAL` (the commit reaches the operating
//! system, not the disk); before a write is answered, [`GroupSync::durable`] waits for an fsync of
//! the write-ahead log that began after that commit. Whoever finds no sync running starts one on
//! behalf of every commit made before it began; the others wait for it, and one of them starts the
//! next. So a write is answered only once it is on disk, as with `synchronous = FULL`, and under
//! load one fsync covers many commits.

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Makes what was written so far durable (an fsync), blocking.
pub type SyncFn = Arc<dyn Fn() -> io::Result<()> + Send + Sync>;

pub struct GroupSync {
    /// Tickets handed out: one per commit awaiting durability.
    requested: AtomicU64,
    /// Every ticket up to this one is durable.
    synced: AtomicU64,
    /// Held by the one sync running.
    running: tokio::sync::Mutex<()>,
    sync: SyncFn,
    /// Syncs done, for the tests and the figures.
    syncs: AtomicU64,
}

impl GroupSync {
    pub fn new(sync: SyncFn) -> GroupSync {
        GroupSync {
            requested: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            running: tokio::sync::Mutex::new(()),
            sync,
            syncs: AtomicU64::new(0),
        }
    }

    /// Returns once everything committed before the call is durable.
    pub async fn durable(&self) -> io::Result<()> {
        let ticket = self.requested.fetch_add(1, Ordering::SeqCst) + 1;
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        let _running = self.running.lock().await;
        // A sync that ran while this one waited may have covered it.
        if self.synced.load(Ordering::SeqCst) >= ticket {
            return Ok(());
        }
        // Every ticket handed out so far belongs to a commit already made.
        let covered = self.requested.load(Ordering::SeqCst);
        let sync = Arc::clone(&self.sync);
        tokio::task::spawn_blocking(move || sync())
            .await
            .map_err(io::Error::other)??;
        self.syncs.fetch_add(1, Ordering::SeqCst);
        self.synced.fetch_max(covered, Ordering::SeqCst);
        Ok(())
    }

    /// How many syncs have run.
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::sync::{Condvar, Mutex};

    /// A sync that reports when it starts and waits for the test to let it finish.
    struct HeldSync {
        started: Mutex<mpsc::Sender<()>>,
        gate: Arc<(Mutex<bool>, Condvar)>,
    }

    /// Opened by the test to let the held sync finish.
    type Gate = Arc<(Mutex<bool>, Condvar)>;

    fn held() -> (SyncFn, mpsc::Receiver<()>, Gate) {
        let (tx, rx) = mpsc::channel();
        let gate = Arc::new((Mutex::new(false), Condvar::new()));
        let held = HeldSync {
            started: Mutex::new(tx),
            gate: Arc::clone(&gate),
        };
        let sync: SyncFn = Arc::new(move || {
            held.started.lock().unwrap().send(()).unwrap();
            let (open, cvar) = &*held.gate;
            let _open = cvar.wait_while(open.lock().unwrap(), |o| !*o).unwrap();
            Ok(())
        });
        (sync, rx, gate)
    }

    fn open(gate: &(Mutex<bool>, Condvar)) {
        *gate.0.lock().unwrap() = true;
        gate.1.notify_all();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn commits_waiting_together_share_a_sync_that_began_after_them() {
        let (sync, started, gate) = held();
        let group = Arc::new(GroupSync::new(sync));

        // The first commit's sync starts and is held on the disk.
        let first = tokio::spawn({
            let group = Arc::clone(&group);
            async move { group.durable().await }
        });
        let started = tokio::task::spawn_blocking(move || {
            started.recv().unwrap();
            started
        })
        .await
        .unwrap();
        // Fifty commits made while it runs: that sync began before them, so it cannot answer
        // them.
        let waiting: Vec<_> = (0..50)
            .map(|_| {
                let group = Arc::clone(&group);
                tokio::spawn(async move { group.durable().await })
            })
            .collect();
        while group.requested.load(Ordering::SeqCst) < 51 {
            tokio::task::yield_now().await;
        }
        assert!(!first.is_finished() && waiting.iter().all(|w| !w.is_finished()));
        open(&gate);
        first.await.unwrap().unwrap();
        for w in waiting {
            w.await.unwrap().unwrap();
        }
        drop(started);
        // One sync for the first, one for the fifty that waited behind it.
        assert_eq!(group.syncs(), 2);
    }

    #[tokio::test]
    async fn a_failed_sync_answers_an_error_and_the_next_commit_syncs_again() {
        let calls = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&calls);
        let group = GroupSync::new(Arc::new(move || {
            match counted.fetch_add(1, Ordering::SeqCst) {
                0 => Err(io::Error::other("disk full")),
                _ => Ok(()),
            }
        }));
        assert!(group.durable().await.is_err());
        group.durable().await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        assert_eq!(group.syncs(), 1);
    }
}
