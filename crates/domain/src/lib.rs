//! The rules of certdesk, free of IO: the states of an issuance application and the transitions
//! between them, the tamper-evident history, validation of what people type, and the Greek text
//! folding used by search. Time is always passed in (`now`), never read here.

pub mod certificate;
pub mod employee;
pub mod history;
pub mod identity;
pub mod lang;
pub mod notification;
pub mod otp;
pub mod status;
pub mod text;
pub mod throttle;
pub mod transition;
pub mod validation;

pub use history::{HistoryEntry, HistoryHash};
pub use lang::Lang;
pub use status::Status;
pub use transition::{
    Action, Actor, ActorKind, Application, Command, DomainError, Effect, Transition,
};
