//! The authorization matrix (issue 10, section 4): every route the router serves
//! (`certdesk_web::route_table`), asked by six callers, answers as the table below says. A route
//! with no row fails the test, and so does a row for a route that no longer exists.
//!
//! The callers: no one; the ΔΨΠ of organisation A; the ΔΨΠ of organisation B; a beneficiary of
//! A (logged in to the portal); the operator; the auditor. Each sends every credential it has
//! (its cookie, its bearer token, its CSRF token), so that a refusal is the route's decision,
//! not a missing form field. The route's parameters name A's data: an employee of A whose
//! certificate was issued, their application, another ΔΨΠ account of A.
//!
//! Besides the status, every answer is checked for two things: a refused request changes
//! nothing (applications, histories, emails, accounts, organisations, revocations), and no
//! caller but A's ΔΨΠ and the auditor ever receives the ΑΦΜ of A's employee (nor, but for the
//! beneficiary themselves, the beneficiary's).

use std::collections::BTreeSet;

use certdesk_domain::{Role, Status};
use certdesk_store::Scope;
use certdesk_web::Route;
use reqwest::header::{AUTHORIZATION, COOKIE};

use crate::helpers::*;
use crate::portal::{Person, portal_app, portal_login, portal_page};

/// What a caller gets from a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Served to anyone: whatever the answer, it is not a server error.
    Public,
    /// Let through: neither 401, 403 nor 404, nor a redirect to a login page (a 409 or a 422
    /// means the caller was let in and the request itself was refused).
    Yes,
    /// Asked to log in: 401, or a redirect to the console's login or the portal's start.
    Login,
    /// 403: logged in, but this role may not.
    Forbidden,
    /// 404: the data is another organisation's, and its existence is not confirmed.
    NotFound,
}
use Expect::*;

/// The callers, in the order of the matrix's columns.
const CALLERS: [&str; 6] = [
    "anonymous",
    "ΔΨΠ of A",
    "ΔΨΠ of B",
    "beneficiary",
    "operator",
    "auditor",
];

/// Every route and what each caller gets. Columns: anonymous, ΔΨΠ of A, ΔΨΠ of B, beneficiary,
/// operator, auditor.
#[rustfmt::skip]
const MATRIX: &[(&str, &str, [Expect; 6])] = &[
    // The console: the ΔΨΠ's pages. The auditor reads, and changes nothing.
    ("GET",  "/",                                                           [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/login",                                                      [Public, Public, Public, Public, Public, Public]),
    ("POST", "/login",                                                      [Public, Public, Public, Public, Public, Public]),
    ("POST", "/logout",                                                     [Login, Yes, Yes, Login, Yes, Yes]),
    ("GET",  "/account",                                                    [Login, Yes, Yes, Login, Yes, Yes]),
    ("POST", "/account/logout-everywhere",                                  [Login, Yes, Yes, Login, Yes, Yes]),
    ("GET",  "/account/password",                                           [Login, Yes, Yes, Login, Yes, Yes]),
    ("POST", "/account/password",                                           [Login, Yes, Yes, Login, Yes, Yes]),
    ("GET",  "/account/totp",                                               [Login, Yes, Yes, Login, Yes, Yes]),
    ("POST", "/account/totp",                                               [Login, Yes, Yes, Login, Yes, Yes]),
    ("GET",  "/employees",                                                  [Login, Yes, Yes, Login, Forbidden, Yes]),
    ("GET",  "/employees/{id}",                                             [Login, Yes, NotFound, Login, Forbidden, Yes]),
    ("GET",  "/employees/{id}/cancel",                                      [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("POST", "/employees/{id}/cancel",                                      [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("GET",  "/applications/new",                                           [Login, Yes, Yes, Login, Forbidden, Forbidden]),
    ("POST", "/applications/new",                                           [Login, Yes, Yes, Login, Forbidden, Forbidden]),
    ("POST", "/employees/{id}/approve",                                     [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("POST", "/employees/{id}/reject",                                      [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("POST", "/employees/{id}/revoke",                                      [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    // Downloads are the ΔΨΠ's (`Role::may_download_certificates`): the auditor reads the card.
    ("GET",  "/employees/{id}/{file}",                                      [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    // The operator's pages.
    ("GET",  "/operator",                                                   [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/operator/organisations",                                     [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("POST", "/operator/organisations",                                     [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("GET",  "/operator/accounts",                                          [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("POST", "/operator/accounts",                                          [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("GET",  "/operator/accounts/{id}",                                     [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("POST", "/operator/accounts/{id}/organisations",                       [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("POST", "/operator/accounts/{id}/organisations/{organisation}/remove", [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("POST", "/operator/accounts/{id}/disable",                             [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("POST", "/operator/accounts/{id}/reset-password",                      [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("POST", "/operator/accounts/{id}/reset-otp",                           [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    ("POST", "/operator/accounts/{id}/end-sessions",                        [Login, Forbidden, Forbidden, Login, Yes, Forbidden]),
    // The auditor's security log.
    ("GET",  "/audit/security-log",                                         [Login, Forbidden, Forbidden, Login, Forbidden, Yes]),
    ("GET",  "/audit/security-log.jsonl",                                   [Login, Forbidden, Forbidden, Login, Forbidden, Yes]),
    // The language switch and the static assets.
    ("GET",  "/lang/{code}",                                                [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/assets/digigov.css",                                         [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/assets/console.css",                                         [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/assets/console.js",                                          [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/assets/fonts/{file}",                                        [Public, Public, Public, Public, Public, Public]),
    // The portal: only the beneficiary's own session reaches their application.
    ("GET",  "/portal",                                                     [Public, Public, Public, Yes, Public, Public]),
    ("GET",  "/portal/login",                                               [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/portal/start",                                               [Public, Public, Public, Public, Public, Public]),
    ("POST", "/portal/email-code/send",                                     [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/email-code",                                          [Login, Login, Login, Yes, Login, Login]),
    ("GET",  "/portal/callback",                                            [Public, Public, Public, Public, Public, Public]),
    ("POST", "/portal/logout",                                              [Public, Public, Public, Yes, Public, Public]),
    ("POST", "/portal/confirm",                                             [Login, Login, Login, Yes, Login, Login]),
    ("GET",  "/portal/certificate.pem",                                     [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/identification",                                      [Login, Login, Login, Yes, Login, Login]),
    ("GET",  "/portal/totp",                                                [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/totp",                                                [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/send-code",                                           [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/sign",                                                [Login, Login, Login, Yes, Login, Login]),
    ("GET",  "/portal/documents",                                           [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/documents",                                           [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/documents/send-code",                                 [Login, Login, Login, Yes, Login, Login]),
    // The holder's own pages (issue 11): a portal session, and an issued certificate to act on.
    ("GET",  "/portal/signing-password",                                    [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/signing-password",                                    [Login, Login, Login, Yes, Login, Login]),
    ("GET",  "/portal/otp-sync",                                            [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/otp-sync",                                            [Login, Login, Login, Yes, Login, Login]),
    ("GET",  "/portal/revocation-request",                                  [Login, Login, Login, Yes, Login, Login]),
    ("POST", "/portal/revocation-request",                                  [Login, Login, Login, Yes, Login, Login]),
    ("GET",  "/portal/signatures",                                          [Login, Login, Login, Yes, Login, Login]),
    // The PKI's publications: for relying parties, anyone.
    ("GET",  "/pki/crl",                                                    [Public, Public, Public, Public, Public, Public]),
    ("POST", "/pki/ocsp",                                                   [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/pki/ocsp/",                                                  [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/pki/ocsp/{*request}",                                        [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/pki/issuing-ca.crt",                                         [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/pki/root-ca.crt",                                            [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/pki/root-ca.crl",                                            [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/pki/pds-en",                                                 [Public, Public, Public, Public, Public, Public]),
    // The API: a bearer token; the operator acts on no application, the auditor only reads.
    ("POST", "/api/v1/auth/login",                                          [Public, Public, Public, Public, Public, Public]),
    ("POST", "/api/v1/auth/logout",                                         [Login, Yes, Yes, Login, Yes, Yes]),
    ("GET",  "/api/v1/employees",                                           [Login, Yes, Yes, Login, Forbidden, Yes]),
    ("GET",  "/api/v1/employees/{id}",                                      [Login, Yes, NotFound, Login, Forbidden, Yes]),
    ("POST", "/api/v1/employees/import",                                    [Login, Yes, Yes, Login, Forbidden, Forbidden]),
    ("POST", "/api/v1/applications",                                        [Login, Yes, Yes, Login, Forbidden, Forbidden]),
    ("POST", "/api/v1/applications/{id}/approve",                           [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("POST", "/api/v1/applications/{id}/reject",                            [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("POST", "/api/v1/applications/{id}/cancel",                            [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("POST", "/api/v1/applications/{id}/revoke",                            [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("GET",  "/api/v1/applications/{id}/certificate",                       [Login, Yes, NotFound, Login, Forbidden, Forbidden]),
    ("GET",  "/api/v1/openapi.json",                                        [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/api/docs",                                                   [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/api/docs/",                                                  [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/api/docs/{*rest}",                                           [Public, Public, Public, Public, Public, Public]),
    // The public sector's signing API: the username and signing password travel in each body,
    // so a session of any kind changes nothing (the signing tests check what it refuses).
    ("GET",  "/Sign/Api/status",                                            [Public, Public, Public, Public, Public, Public]),
    ("POST", "/Sign/Api/RequestOTP",                                        [Public, Public, Public, Public, Public, Public]),
    ("POST", "/Sign/Api/Certificates",                                      [Public, Public, Public, Public, Public, Public]),
    ("POST", "/Sign/Api/SignBuffer",                                        [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/Sign/Api/openapi.json",                                      [Public, Public, Public, Public, Public, Public]),
    // The CSC API: a holder's own bearer token from auth/login (HTTP Basic: username and
    // signing password); no console, portal or API session is one (the signing tests check it).
    ("GET",  "/csc/v1/info",                                                [Public, Public, Public, Public, Public, Public]),
    ("POST", "/csc/v1/info",                                                [Public, Public, Public, Public, Public, Public]),
    ("POST", "/csc/v1/auth/login",                                          [Public, Public, Public, Public, Public, Public]),
    ("POST", "/csc/v1/auth/revoke",                                         [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v1/credentials/list",                                    [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v1/credentials/info",                                    [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v1/credentials/sendOTP",                                 [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v1/credentials/authorize",                               [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v1/signatures/signHash",                                 [Login, Login, Login, Login, Login, Login]),
    ("GET",  "/csc/v1/openapi.json",                                        [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/csc/v2/info",                                                [Public, Public, Public, Public, Public, Public]),
    ("POST", "/csc/v2/info",                                                [Public, Public, Public, Public, Public, Public]),
    ("POST", "/csc/v2/auth/login",                                          [Public, Public, Public, Public, Public, Public]),
    ("POST", "/csc/v2/auth/revoke",                                         [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v2/credentials/list",                                    [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v2/credentials/info",                                    [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v2/credentials/sendOTP",                                 [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v2/credentials/authorize",                               [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v2/signatures/signHash",                                 [Login, Login, Login, Login, Login, Login]),
    ("POST", "/csc/v2/signatures/signDoc",                                  [Login, Login, Login, Login, Login, Login]),
    ("GET",  "/csc/v2/openapi.json",                                        [Public, Public, Public, Public, Public, Public]),
    ("GET",  "/healthz",                                                    [Public, Public, Public, Public, Public, Public]),
    // Aggregate counts only, open unless `serve --metrics-token` (tests/api/metrics.rs).
    ("GET",  "/metrics",                                                    [Public, Public, Public, Public, Public, Public]),
];

/// Routes that end the caller's session when they let it through. For them `Yes` also means
/// that the session (and, logging out everywhere, the API token too) no longer works; the caller
/// then logs in again.
const ENDS_SESSION: &[&str] = &[
    "POST /logout",
    "POST /account/logout-everywhere",
    "POST /portal/logout",
    "POST /api/v1/auth/logout",
];

/// One caller's credentials; `None` where it has none of that kind.
#[derive(Default, Clone)]
struct Credentials {
    cookie: Option<String>,
    bearer: Option<String>,
    csrf: Option<String>,
}

/// What the route's parameters name.
struct Targets {
    employee_id: i64,
    application_id: i64,
    account_id: i64,
    organisation_id: i64,
    /// Another organisation than the target's (to assign the account to).
    other_organisation_id: i64,
}

impl Targets {
    /// The form fields a request to `route` sends besides its CSRF token: what it needs to get
    /// past its own validation, so that a 404 can only mean the data is out of reach.
    fn form(&self, route: &str) -> Vec<(&'static str, String)> {
        match route {
            "POST /operator/accounts/{id}/organisations" => {
                vec![("organisation", self.other_organisation_id.to_string())]
            }
            "POST /employees/{id}/reject" => vec![("reason", "Δεν χρειάζεται".to_owned())],
            "POST /employees/{id}/revoke" => vec![("category", "employee_request".to_owned())],
            _ => Vec::new(),
        }
    }

    /// The JSON body of an API request to `route`, for the same reason.
    fn json(&self, route: &str) -> serde_json::Value {
        match route {
            "POST /api/v1/applications/{id}/reject" => {
                serde_json::json!({"reason": "Δεν χρειάζεται"})
            }
            "POST /api/v1/applications/{id}/revoke" => {
                serde_json::json!({"category": "employee_request"})
            }
            _ => serde_json::json!({}),
        }
    }

    fn concrete(&self, path: &str) -> String {
        let id = if path.starts_with("/operator/accounts/") {
            self.account_id
        } else if path.starts_with("/api/v1/applications/") {
            self.application_id
        } else {
            self.employee_id
        };
        let file = if path.starts_with("/assets/fonts/") {
            "roboto-greek-400-normal.woff2"
        } else {
            "certificate.pem"
        };
        path.replace("{id}", &id.to_string())
            .replace("{organisation}", &self.organisation_id.to_string())
            .replace("{file}", file)
            .replace("{code}", "en")
            .replace("{*request}", "MAA=")
            .replace("{*rest}", "swagger-ui.css")
    }
}

struct Matrix {
    app: TestApp,
    person: Person,
    /// A's employee with an issued certificate, whom the routes' parameters name.
    target: Employee,
    admin_b: Admin,
    operator: Admin,
    auditor: Admin,
    callers: [Credentials; 6],
}

impl Matrix {
    async fn new() -> Matrix {
        let (app, person) = portal_app().await;
        let (target, application_id) = app.application_in(Status::Issued).await;
        let other_admin = app
            .add_admin(app.org_id, "dpp2@mindigital.gr", "Άννα Νικολάου")
            .await;
        let (org_b, admin_b) = app.add_organisation_with_admin("YPES").await;
        let operator = app.add_account(Role::Operator, "operator@example.gr").await;
        let auditor = app.add_account(Role::Auditor, "auditor@example.gr").await;
        let targets = Targets {
            employee_id: target.id,
            application_id,
            account_id: other_admin.id,
            organisation_id: app.org_id,
            other_organisation_id: org_b,
        };
        let mut matrix = Matrix {
            app,
            person,
            target,
            admin_b,
            operator,
            auditor,
            callers: Default::default(),
        };
        for caller in 1..CALLERS.len() {
            matrix.log_in(caller).await;
        }
        matrix.walk(&targets).await;
        matrix
    }

    /// Gives caller `index` fresh credentials.
    async fn log_in(&mut self, index: usize) {
        let app = &self.app;
        let account = match index {
            1 => app.admin.clone(),
            2 => self.admin_b.clone(),
            3 => {
                let session = portal_login(app, &self.person.afm).await;
                let csrf = hidden_csrf(&portal_page(app, &session).await);
                self.callers[3] = Credentials {
                    cookie: Some(format!("{}={session}", app.cookie_name("certdesk_portal"))),
                    bearer: None,
                    csrf: Some(csrf),
                };
                return;
            }
            4 => self.operator.clone(),
            5 => self.auditor.clone(),
            _ => unreachable!("the anonymous caller has nothing to log in with"),
        };
        let (session, _) = app.console_login_as(&account).await;
        let csrf = app.console_csrf(&session, "/account").await;
        self.callers[index] = Credentials {
            cookie: Some(app.session_cookie(&session)),
            bearer: Some(app.token_for(&account).await),
            csrf: Some(csrf),
        };
    }

    async fn walk(&mut self, targets: &Targets) {
        let mut failures = Vec::new();
        for (method, path, expected) in MATRIX {
            let route = format!("{method} {path}");
            let url = targets.concrete(path);
            // A's ΔΨΠ last: what they are let do may change what the others would see.
            for caller in [0, 2, 3, 4, 5, 1] {
                let before = self.snapshot().await;
                let (status, location, body) = self.ask(caller, &route, &url, targets).await;
                let outcome = format!("{route} as {}: {status} {location} ", CALLERS[caller]);
                let ends_session = ENDS_SESSION.contains(&route.as_str());
                if let Err(why) = judge(expected[caller], status, &location, ends_session) {
                    failures.push(format!("{outcome}— {why}"));
                }
                if expected[caller] == Yes
                    && ends_session
                    && let Some(alive) = self.still_logged_in(caller, &route).await
                {
                    failures.push(format!("{outcome}— yet {alive} still works"));
                }
                let let_through = expected[caller] == Yes || (200..300).contains(&status);
                if !let_through && self.snapshot().await != before {
                    failures.push(format!("{outcome}— refused, yet it changed something"));
                }
                if let Some(leak) = self.leaked(caller, &body) {
                    failures.push(format!("{outcome}— the answer holds {leak}"));
                }
                if expected[caller] == Yes && ends_session {
                    self.log_in(caller).await;
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} of the matrix's answers are wrong:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }

    async fn ask(
        &self,
        caller: usize,
        route: &str,
        url: &str,
        targets: &Targets,
    ) -> (u16, String, String) {
        let credentials = &self.callers[caller];
        let app = &self.app;
        let method = route.split(' ').next().unwrap();
        let mut request = match method {
            "GET" => app.client.get(app.url(url)),
            "POST" => app.client.post(app.url(url)),
            other => panic!("the matrix has no requests for {other}"),
        };
        if let Some(cookie) = &credentials.cookie {
            request = request.header(COOKIE, cookie);
        }
        if let Some(bearer) = &credentials.bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {bearer}"));
        }
        if method == "POST" {
            request = if url.starts_with("/api/") || url.starts_with("/csc/") {
                request.json(&targets.json(route))
            } else if url.starts_with("/pki/") {
                request.body(Vec::new())
            } else {
                let mut form = vec![("csrf", credentials.csrf.clone().unwrap_or_default())];
                form.extend(targets.form(route));
                request.form(&form)
            };
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let body = String::from_utf8_lossy(&response.bytes().await.unwrap()).into_owned();
        (status, location, body)
    }

    /// What of the caller's credentials still works after `route` ended its session, if any.
    async fn still_logged_in(&self, caller: usize, route: &str) -> Option<&'static str> {
        let credentials = &self.callers[caller];
        let app = &self.app;
        let with_cookie = |path: &str| {
            app.client
                .get(app.url(path))
                .header(COOKIE, credentials.cookie.clone().unwrap_or_default())
        };
        if route.contains("/portal/") {
            let answer = with_cookie("/portal/totp").send().await.unwrap();
            return (location(&answer) != "/portal").then_some("the portal session");
        }
        if !route.contains("/api/") {
            let answer = with_cookie("/account").send().await.unwrap();
            if location(&answer) != "/login" {
                return Some("the console session");
            }
        }
        if route.contains("/api/") || route.contains("everywhere") {
            let bearer = credentials.bearer.clone().unwrap_or_default();
            let answer = app
                .client
                .post(app.url("/api/v1/auth/logout"))
                .bearer_auth(bearer)
                .send()
                .await
                .unwrap();
            if answer.status() != 401 {
                return Some("the API token");
            }
        }
        None
    }

    /// Data of A's people in an answer to a caller who may not see it.
    fn leaked(&self, caller: usize, body: &str) -> Option<String> {
        let (target, person) = (&self.target.afm, &self.person.afm);
        let forbidden: &[&String] = match caller {
            1 | 5 => &[],
            3 => &[target],
            _ => &[target, person],
        };
        forbidden
            .iter()
            .find(|afm| body.contains(afm.as_str()))
            .map(|afm| format!("the ΑΦΜ {afm}"))
    }

    /// What a request could change, read through the unscoped store.
    async fn snapshot(&self) -> String {
        let store = &self.app.store;
        let mut parts = Vec::new();
        for id in store.application_ids().await.unwrap() {
            let application = store.application(&Scope::Everything, id).await.unwrap();
            let history = store.history(&Scope::Everything, id).await.unwrap().len();
            let emails = store.outbox(id).await.unwrap().len();
            parts.push(format!(
                "{id}: {:?} {history} {emails}",
                application.map(|a| a.status)
            ));
        }
        for account in store.accounts().await.unwrap() {
            let record = store.administrator(account.id).await.unwrap();
            parts.push(format!("{account:?} {record:?}"));
        }
        parts.push(format!("{:?}", store.organisations().await.unwrap()));
        parts.push(format!("{:?}", store.revocations().await.unwrap()));
        parts.join("\n")
    }
}

fn judge(expected: Expect, status: u16, location: &str, ends_session: bool) -> Result<(), String> {
    let redirect = (300..400).contains(&status);
    let to_login = redirect && (location == "/login" || location.starts_with("/portal/login"));
    // Logging out sends the browser to the login page: that is the route's work, not a refusal.
    let to_login_after_work = to_login && ends_session && expected == Yes;
    let to_login = to_login && !to_login_after_work;
    // The portal sends whoever has no session to its start page, which is also where a
    // beneficiary's form returns: for them, the unchanged state tells a refusal apart.
    let to_portal_start = redirect && location == "/portal";
    if status >= 500 {
        return Err("a server error".to_owned());
    }
    let fine = match expected {
        Public => true,
        Yes => !matches!(status, 401 | 403 | 404) && !to_login,
        Login => status == 401 || to_login || to_portal_start,
        Forbidden => status == 403,
        NotFound => status == 404,
    };
    if fine {
        Ok(())
    } else {
        Err(format!("expected {expected:?}"))
    }
}

#[tokio::test]
async fn every_route_answers_every_caller_as_the_matrix_says() {
    let served: BTreeSet<String> = certdesk_web::route_table()
        .iter()
        .map(Route::to_string)
        .collect();
    let described: BTreeSet<String> = MATRIX.iter().map(|(m, p, _)| format!("{m} {p}")).collect();
    assert_eq!(
        MATRIX.len(),
        described.len(),
        "a route has two rows in the matrix"
    );
    let missing: Vec<_> = served.difference(&described).collect();
    assert!(
        missing.is_empty(),
        "routes without a row in the matrix (say who may reach them): {missing:?}"
    );
    let gone: Vec<_> = described.difference(&served).collect();
    assert!(
        gone.is_empty(),
        "rows for routes the router no longer serves: {gone:?}"
    );

    Matrix::new().await;
}
