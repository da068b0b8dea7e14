//! The test harness: a real server on a random port over a fresh database of the store under test
//! (`CERTDESK_TEST_STORE`, see `backend.rs`), and fixtures that go through the store and the domain
//! directly (fast, no HTTP).

mod app;
mod ca;
mod fixtures;
mod http;

pub use app::*;
pub use ca::*;
pub use fixtures::*;
pub use http::*;
