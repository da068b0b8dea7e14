//! The console over HTTP: login, the card, the cancellation form and escaping (SPEC §3, §9).

mod cancellation;
mod card;
mod escaping;
mod holder_tasks;
mod language;
mod login;
mod new_application;
