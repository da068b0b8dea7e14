//! HTTP integration tests of certdesk's JSON API and console (SPEC §3, §4, §7) and of its background
//! jobs (SPEC §8): a real server on a random port over a fresh database per test, driven with
//! reqwest. One suite for both stores: `CERTDESK_TEST_STORE=sqlite` (the default, a file per test)
//! or `CERTDESK_TEST_STORE=postgres` (a database per test on the server `CERTDESK_TEST_POSTGRES`
//! names, default `postgres://postgres@127.0.0.1:5432/test`); see `backend.rs`.

mod account;
mod applications;
mod auth;
mod authorization;
mod backend;
mod bad_input;
mod cancel;
mod certificates;
mod console;
mod faults;
mod headers;
mod helpers;
mod import;
mod jobs;
mod mail;
mod metrics;
mod one_open;
mod openapi;
mod pki;
mod portal;
mod roles;
mod search;
mod search_scale;
mod serving;
mod signing;
mod slow_clients;
mod smtp_sink;
mod throttling;
