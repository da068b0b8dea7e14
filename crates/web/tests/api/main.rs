//! HTTP integration tests of certdesk's JSON API and console (SPEC §3, §4, §7): a real server on a
//! random port over a fresh SQLite file per test, driven with reqwest.

mod applications;
mod auth;
mod bad_input;
mod cancel;
mod console;
mod helpers;
mod openapi;
mod search;
