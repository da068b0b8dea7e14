//! The registries certdesk asks about people (issue 4, point 2): the **tax registry**, through
//! which a beneficiary logs in (OAuth2 authorization-code flow, as taxisnet offers it to public
//! bodies) and in which a ΔΨΠ looks an ΑΦΜ up, and the **Police ID-card registry**, against which
//! the identity is matched.
//!
//! Each is a trait ([`TaxRegistry`], [`PoliceRegistry`]) with a real HTTP client
//! ([`HttpTaxRegistry`], [`HttpPoliceRegistry`]); [`local`] is a registry that speaks the same
//! protocols from a file of people (`certdesk registry serve --people FILE`), for the demo, the
//! tests and anyone evaluating certdesk.
//!
//! # The protocols
//!
//! All paths are relative to the registry's base URL. The client authenticates with HTTP Basic
//! (client id and secret) everywhere except the browser's steps and the user-info call.
//!
//! | Request | Answer |
//! |---|---|
//! | `GET oauth2/authorize?response_type=code&client_id&redirect_uri&state&code_challenge&code_challenge_method=S256` (the browser) | the login page; on success `303` to `redirect_uri?code=…&state=…`; without an S256 challenge `303` to `redirect_uri?error=invalid_request&state=…` |
//! | `POST oauth2/token` form `grant_type=authorization_code&code&code_verifier&redirect_uri` (Basic) | `{"access_token","token_type":"Bearer","expires_in"}`, or `400 {"error":"invalid_grant"}`, `401 {"error":"invalid_client"}` |
//! | `GET oauth2/userinfo` (Bearer access token) | `{"afm","surname","given_name","father_name","birth_date"}` |
//! | `GET tax/persons/{afm}` (Basic) | the same person object, or `404` |
//! | `GET police/id-cards?afm=…` or `?id_card=…` (Basic) | `{"id_card","surname","given_name","father_name","birth_date"}`, or `404` |
//!
//! Dates are `YYYY-MM-DD`. An authorization code is good for one exchange, within 60 seconds,
//! with the `redirect_uri` it was issued for and the `code_verifier` whose S256 challenge came
//! with the authorization request (PKCE, RFC 7636: [`pkce`]); an access token for an hour.
//!
//! **The `state` is the caller's check.** The registry hands back whatever `state` it was given;
//! only the caller knows which one it sent. Make it with [`new_state`], keep it (e.g. in the
//! session cookie) when sending the browser to [`TaxRegistry::authorize_url`], and compare it with
//! the one on the callback with [`check_state`] *before* calling
//! [`TaxRegistry::exchange_code`]: a forged, replayed or missing state is refused there. Keep a
//! fresh [`pkce::new_verifier`] with it, send its [`pkce::challenge`] to `authorize_url` and the
//! verifier to `exchange_code`.
//!
//! # The people file
//!
//! UTF-8 CSV with the header
//!
//! ```text
//! afm,surname,given_name,father_name,birth_date,id_card,police_surname,police_given_name,police_father_name,police_birth_date
//! ```
//!
//! One line per person: ΑΦΜ, names and date of birth (`YYYY-MM-DD`) as the tax registry knows
//! them, and the ΑΔΤ (may be empty: no Police record). The tax registry answers with the first
//! five columns. The Police registry answers with the ΑΔΤ and, for each of surname, given name,
//! father's name and date of birth, the `police_*` column when it is not empty, else the tax
//! registry's value: a non-empty `police_*` column is how a person whose records do not match is
//! written. A bad line stops the load with its line number.
//!
//! # The demo file
//!
//! `crates/registry/demo-people.csv` holds the employees of the demo organisations of
//! `certdesk demo` (same ΑΦΜ, names, ΑΔΤ and dates of birth; it is generated from the demo's
//! seeded generator and a test of the `certdesk` crate keeps it in step: run
//! `CERTDESK_BLESS=1 cargo test -p certdesk demo_people_file` after changing the demo data).
//! Three of them have a Police record that does not match, so that the identification rejects
//! them:
//!
//! - the third employee of «Υπουργείο Εσωτερικών» (whose application, in the demo, awaits
//!   identification; ΑΦΜ 561014679): another father's name;
//! - the third employee of «Δήμος Αθηναίων» (also awaiting identification): another date of
//!   birth (ΑΦΜ 077497480);
//! - the tenth employee of «Υπουργείο Εσωτερικών» (no application yet, so a ΔΨΠ can start one
//!   and follow it to the rejection; ΑΦΜ 344230199): another surname.

mod client;
pub mod local;
mod model;
pub mod pkce;

pub use client::{HttpPoliceRegistry, HttpTaxRegistry, RegistryConfig};
pub use model::{
    PoliceQuery, PoliceRecord, PoliceRegistry, RegistryError, TaxIdentity, TaxPerson, TaxRegistry,
    check_state, new_state,
};
