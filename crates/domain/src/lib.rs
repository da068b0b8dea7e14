//! The rules of certdesk, free of IO: the states of an issuance application and the transitions
//! between them, the tamper-evident history, validation of what people type, identification,
//! what signing needs (password and one-time code), password hashing and the ΔΨΠ's password
//! policy, a ΔΨΠ's second factor and sessions' idle timeout, throttling policies, and
//! the Greek text folding used by search. Time and randomness are always passed in (`now`, a
//! salt), never read here.

pub mod account_password;
pub mod certificate;
pub mod csc;
pub mod email_proof;
pub mod employee;
pub mod history;
pub mod identity;
pub mod job;
pub mod lang;
pub mod name_index;
pub mod notification;
pub mod otp;
pub mod paging;
pub mod password;
pub mod remote_signing;
pub mod revocation_request;
pub mod role;
pub mod second_factor;
pub mod security;
pub mod session;
pub mod signing;
pub mod status;
pub mod subject;
pub mod text;
pub mod throttle;
pub mod transition;
pub mod validation;

pub use certificate::{RevocationCategory, RevocationReason};
pub use history::{HistoryEntry, HistoryHash};
pub use lang::Lang;
pub use role::Role;
pub use security::{SecurityEvent, SecurityEventKind};
pub use signing::SigningProof;
pub use status::Status;
pub use transition::{
    Action, Actor, ActorKind, Application, Command, DomainError, Effect, Transition,
};
pub use validation::{Field, ValidationError};
