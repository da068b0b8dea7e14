//! The application history (Ιστορικό αίτησης): append-only and tamper-evident. Each entry carries
//! a SHA-256 hash over its own content and the hash of the entry before it, so changing,
//! removing or reordering any entry breaks the chain from that point on.
//!
//! The chain is kept per application: entries of different applications never wait for each
//! other, which keeps concurrent writers (many servers, one database) independent.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::transition::{Action, ActorKind};

/// A SHA-256 hash, hex-encoded (64 lowercase hex digits).
pub type HistoryHash = String;

/// The `prev_hash` of the first entry of every application.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub application_id: i64,
    /// 1 for the first entry of an application, then 2, 3, ...
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub action: Action,
    /// The description (Περιγραφή) as recorded, in Greek.
    pub description: String,
    /// The optional reason given by the person who made the change.
    pub reason: Option<String>,
    pub actor_kind: ActorKind,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub prev_hash: HistoryHash,
    pub hash: HistoryHash,
}

/// Timestamps are kept to the millisecond so that they survive any store unchanged (the hash
/// covers them).
pub fn history_time(now: DateTime<Utc>) -> DateTime<Utc> {
    now.trunc_subsecs(3)
}

impl HistoryEntry {
    /// The hash this entry must carry, computed from its content and `prev_hash`.
    pub fn compute_hash(&self) -> HistoryHash {
        let mut hasher = Sha256::new();
        // Length-prefixed fields: no two different entries encode to the same bytes.
        let mut field = |bytes: &[u8]| {
            hasher.update((bytes.len() as u64).to_be_bytes());
            hasher.update(bytes);
        };
        field(self.prev_hash.as_bytes());
        field(&self.application_id.to_be_bytes());
        field(&self.seq.to_be_bytes());
        field(self.at.timestamp_millis().to_be_bytes().as_slice());
        field(self.action.code().as_bytes());
        field(self.description.as_bytes());
        field(self.reason.as_deref().unwrap_or("").as_bytes());
        field(&[u8::from(self.reason.is_some())]);
        field(self.actor_kind.code().as_bytes());
        field(&self.actor_id.unwrap_or(-1).to_be_bytes());
        field(self.actor_name.as_bytes());
        hex::encode(hasher.finalize())
    }

    /// Seals a new entry: links it to the previous one and computes its hash.
    #[allow(clippy::too_many_arguments)]
    pub fn seal(
        application_id: i64,
        previous: Option<(&str, i64)>,
        at: DateTime<Utc>,
        action: Action,
        description: String,
        reason: Option<String>,
        actor_kind: ActorKind,
        actor_id: Option<i64>,
        actor_name: String,
    ) -> HistoryEntry {
        let (prev_hash, prev_seq) = previous.unwrap_or((GENESIS_HASH, 0));
        let mut entry = HistoryEntry {
            application_id,
            seq: prev_seq + 1,
            at: history_time(at),
            action,
            description,
            reason,
            actor_kind,
            actor_id,
            actor_name,
            prev_hash: prev_hash.to_owned(),
            hash: String::new(),
        };
        entry.hash = entry.compute_hash();
        entry
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("entry {seq} of application {application_id}: its hash does not match its content")]
    HashMismatch { application_id: i64, seq: i64 },
    #[error("entry {seq} of application {application_id}: it does not link to the entry before it")]
    BrokenLink { application_id: i64, seq: i64 },
}

/// Verifies the history of one application, given in order of `seq`.
pub fn verify_chain(entries: &[HistoryEntry]) -> Result<(), ChainError> {
    let mut prev_hash = GENESIS_HASH;
    for (index, entry) in entries.iter().enumerate() {
        let expected_seq = index as i64 + 1;
        if entry.prev_hash != prev_hash || entry.seq != expected_seq {
            return Err(ChainError::BrokenLink {
                application_id: entry.application_id,
                seq: entry.seq,
            });
        }
        if entry.compute_hash() != entry.hash {
            return Err(ChainError::HashMismatch {
                application_id: entry.application_id,
                seq: entry.seq,
            });
        }
        prev_hash = &entry.hash;
    }
    Ok(())
}
