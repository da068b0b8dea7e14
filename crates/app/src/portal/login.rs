//! Logging in through the tax registry (OAuth2 authorization code, as taxisnet offers it, with
//! PKCE S256). The state goes to the registry and into a cookie of the browser (the web layer's
//! part); its digest goes into the store, so that a callback can use it once only. The PKCE
//! verifier stays with the state in this browser; only its challenge goes to the registry.

use certdesk_registry::{RegistryError, check_state, new_state, pkce};
use certdesk_store::prelude::*;
use chrono::{DateTime, Duration, Utc};

use super::LoggedInPerson;
use crate::App;
use crate::error::{AppError, AppResult, Registry};
use crate::tokens::{new_token, token_hash};

/// How long a login started at the tax registry may take.
pub const LOGIN_STATE_LIFETIME: Duration = Duration::minutes(10);

/// A login sent to the tax registry.
pub struct StartedLogin {
    /// To keep in this browser (a cookie) until the callback.
    pub state: String,
    /// The PKCE verifier, kept with the state until the callback (never sent to the registry
    /// before the code's exchange).
    pub code_verifier: String,
    /// Where to send the browser.
    pub authorize_url: String,
}

/// A portal session just opened: the token goes to the browser, only its hash to the store.
pub struct OpenedPortalSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// What the tax registry sent the browser back with.
pub struct Callback<'a> {
    /// The state this browser kept.
    pub expected_state: &'a str,
    /// The PKCE verifier this browser kept with it.
    pub code_verifier: Option<&'a str>,
    pub state: Option<&'a str>,
    pub code: Option<&'a str>,
    /// The registry's `error` parameter (the person declined, or the registry failed).
    pub error: Option<&'a str>,
    /// The redirect URI the login was started with.
    pub redirect_uri: &'a str,
}

impl App {
    /// Starts a login: a fresh state, remembered for [`LOGIN_STATE_LIFETIME`], and a fresh PKCE
    /// verifier, whose challenge goes to the registry.
    pub async fn start_portal_login(&self, redirect_uri: &str) -> AppResult<StartedLogin> {
        let registry = self
            .registries
            .tax
            .as_ref()
            .ok_or(AppError::RegistryMissing(Registry::Tax))?;
        let state = new_state();
        let code_verifier = pkce::new_verifier();
        let expires_at = self.now() + LOGIN_STATE_LIFETIME;
        self.store()
            .create_portal_login_state(&token_hash(&state), expires_at)
            .await?;
        Ok(StartedLogin {
            authorize_url: registry.authorize_url(
                &state,
                &pkce::challenge(&code_verifier),
                redirect_uri,
            ),
            state,
            code_verifier,
        })
    }

    /// Ends a login: the state must be this browser's and unused, the code good for one
    /// exchange with this browser's verifier; then a portal session holds who the registry
    /// vouched for.
    pub async fn finish_portal_login(
        &self,
        callback: Callback<'_>,
    ) -> AppResult<OpenedPortalSession> {
        let registry = self
            .registries
            .tax
            .as_ref()
            .ok_or(AppError::RegistryMissing(Registry::Tax))?;
        if callback.error.is_some() {
            return Err(AppError::LoginRefused);
        }
        if check_state(callback.expected_state, callback.state).is_err() {
            return Err(AppError::LoginStateInvalid);
        }
        let fresh = self
            .store()
            .take_portal_login_state(&token_hash(callback.expected_state), self.now())
            .await?;
        if !fresh {
            return Err(AppError::LoginStateInvalid);
        }
        // A verifier lost or mangled with the state's cookie (the state is spent all the same):
        // the registry would refuse the code.
        let code_verifier = callback
            .code_verifier
            .filter(|v| pkce::is_verifier(v))
            .ok_or(AppError::LoginStateInvalid)?;
        let code = callback
            .code
            .filter(|c| !c.is_empty())
            .ok_or(AppError::LoginRefused)?;
        let identity = match registry
            .exchange_code(code, code_verifier, callback.redirect_uri)
            .await
        {
            Ok(identity) => identity,
            Err(RegistryError::Unavailable(detail)) => {
                tracing::warn!(%detail, "the tax registry did not answer the login");
                return Err(AppError::RegistryUnavailable(Registry::Tax));
            }
            Err(error) => {
                tracing::warn!(%error, "the tax registry refused the login");
                return Err(AppError::LoginRefused);
            }
        };
        let person = LoggedInPerson::from(&identity);
        let token = new_token();
        let now = self.now();
        let expires_at = now + Duration::hours(self.settings.session_hours);
        self.store()
            .create_portal_session(&NewPortalSession {
                token_hash: token_hash(&token),
                afm: identity.afm.clone(),
                identity: serde_json::to_string(&person).expect("a person serializes"),
                csrf_token: new_token(),
                created_at: now,
                expires_at,
            })
            .await?;
        Ok(OpenedPortalSession { token, expires_at })
    }
}
