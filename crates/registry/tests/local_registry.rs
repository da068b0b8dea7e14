//! The HTTP clients against the local registry, over real sockets: the whole login the way a
//! browser does it, the lookups, and what must be refused.

use std::time::{Duration, Instant};

use certdesk_domain::validation::{Afm, IdCard, afm_with_check_digit};
use certdesk_registry::local::{self, People};
use certdesk_registry::{
    HttpPoliceRegistry, HttpTaxRegistry, PoliceQuery, PoliceRegistry, RegistryConfig,
    RegistryError, TaxRegistry, check_state, new_state, pkce,
};
use chrono::NaiveDate;
use reqwest::{StatusCode, Url};

const CLIENT_ID: &str = "certdesk";
const SECRET: &str = "s3cret-for-tests";
const REDIRECT: &str = "http://127.0.0.1:9/portal/login/callback?lang=el";

fn afm(first8: &str) -> String {
    afm_with_check_digit(first8)
}

fn people_csv() -> String {
    format!(
        "afm,surname,given_name,father_name,birth_date,id_card,police_surname,police_given_name,police_father_name,police_birth_date\n\
         {},Παπαδόπουλος,Γεώργιος,Ιωάννης,1980-05-17,AB123456,,,,\n\
         {},Νικολάου,Μαρία,Κωνσταντίνος,1975-11-02,ΑΕ654321,,,Νικόλαος,\n\
         {},Οικονόμου,Ελένη,Δημήτριος,1990-01-30,,,,,\n",
        afm("12345678"),
        afm("23456789"),
        afm("34567890"),
    )
}

/// Starts the local registry on a free port; its base URL.
async fn start() -> String {
    let people = People::from_csv(people_csv().as_bytes()).expect("the test people load");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(local::serve(listener, people, CLIENT_ID, SECRET));
    format!("http://{address}/")
}

fn tax(base: &str, secret: &str) -> HttpTaxRegistry {
    HttpTaxRegistry::new(&RegistryConfig::new(base, CLIENT_ID, secret)).unwrap()
}

fn police(base: &str, secret: &str) -> HttpPoliceRegistry {
    HttpPoliceRegistry::new(&RegistryConfig::new(base, CLIENT_ID, secret)).unwrap()
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of the attribute `name` in the tag `tag`.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let start = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// What a browser would submit from the login page: the form's action and its hidden fields.
fn login_form(page_url: &Url, html: &str) -> (Url, Vec<(String, String)>) {
    let form_start = html.find("<form").expect("the page has a form");
    let form_end = form_start + html[form_start..].find("</form>").unwrap();
    let form = &html[form_start..form_end];
    let form_tag = &form[..form.find('>').unwrap()];
    assert_eq!(attribute(form_tag, "method").as_deref(), Some("post"));
    let action = page_url
        .join(&attribute(form_tag, "action").unwrap())
        .unwrap();
    let mut fields = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap()];
        if attribute(tag, "type").as_deref() == Some("hidden") {
            fields.push((
                attribute(tag, "name").unwrap(),
                attribute(tag, "value").unwrap(),
            ));
        }
    }
    (action, fields)
}

/// The value of the query parameter `name` of `url`.
fn param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Logs in as `afm` through the login page, with the S256 challenge of `verifier`; the (code,
/// state) of the callback.
async fn log_in_with(
    registry: &HttpTaxRegistry,
    state: &str,
    verifier: &str,
    afm: &str,
) -> (String, String) {
    let browser = browser();
    let page_url =
        Url::parse(&registry.authorize_url(state, &pkce::challenge(verifier), REDIRECT)).unwrap();
    let page = browser.get(page_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Παπαδόπουλος"), "the page lists the people");
    let (action, mut fields) = login_form(&page_url, &html);
    fields.push(("afm".to_owned(), afm.to_owned()));
    fields.push(("password".to_owned(), "anything".to_owned()));
    let answer = browser.post(action).form(&fields).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let location = answer.headers()[reqwest::header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(location.starts_with("http://127.0.0.1:9/portal/login/callback?lang=el&"));
    let callback = Url::parse(&location).unwrap();
    let get =
        |name: &str| param(&callback, name).unwrap_or_else(|| panic!("the callback has no {name}"));
    (get("code"), get("state"))
}

/// The verifier of every login through [`log_in`].
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

async fn log_in(registry: &HttpTaxRegistry, state: &str, afm: &str) -> (String, String) {
    log_in_with(registry, state, VERIFIER, afm).await
}

#[tokio::test]
async fn the_whole_login_gives_who_logged_in() {
    let base = start().await;
    let registry = tax(&base, SECRET);
    let state = new_state();
    let (code, returned_state) = log_in(&registry, &state, &afm("23456789")).await;
    check_state(&state, Some(&returned_state)).expect("our own state comes back");
    let who = registry
        .exchange_code(&code, VERIFIER, REDIRECT)
        .await
        .unwrap();
    assert_eq!(who.afm.as_str(), afm("23456789"));
    assert_eq!(who.surname.as_str(), "Νικολάου");
    assert_eq!(who.given_name.as_str(), "Μαρία");
    assert_eq!(who.father_name.as_str(), "Κωνσταντίνος");
    assert_eq!(
        who.birth_date,
        NaiveDate::from_ymd_opt(1975, 11, 2).unwrap()
    );
}

#[tokio::test]
async fn a_code_serves_once() {
    let base = start().await;
    let registry = tax(&base, SECRET);
    let (code, _) = log_in(&registry, "s", &afm("12345678")).await;
    registry
        .exchange_code(&code, VERIFIER, REDIRECT)
        .await
        .unwrap();
    let again = registry
        .exchange_code(&code, VERIFIER, REDIRECT)
        .await
        .unwrap_err();
    assert_eq!(
        again,
        RegistryError::Refused {
            error: "invalid_grant".to_owned()
        }
    );
    assert!(!again.is_retryable());
    let made_up = registry.exchange_code("0123abcd", VERIFIER, REDIRECT).await;
    assert!(matches!(made_up, Err(RegistryError::Refused { .. })));
}

#[tokio::test]
async fn a_code_needs_its_own_redirect_uri() {
    let base = start().await;
    let registry = tax(&base, SECRET);
    let (code, _) = log_in(&registry, "s", &afm("12345678")).await;
    let other = registry
        .exchange_code(&code, VERIFIER, "http://127.0.0.1:9/elsewhere")
        .await;
    assert_eq!(
        other.unwrap_err(),
        RegistryError::Refused {
            error: "invalid_grant".to_owned()
        }
    );
    // Refused codes are spent too.
    assert!(
        registry
            .exchange_code(&code, VERIFIER, REDIRECT)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_wrong_client_secret_is_refused() {
    let base = start().await;
    let (code, _) = log_in(&tax(&base, SECRET), "s", &afm("12345678")).await;
    let impostor = tax(&base, "not-the-secret");
    let invalid_client = RegistryError::Refused {
        error: "invalid_client".to_owned(),
    };
    assert_eq!(
        impostor
            .exchange_code(&code, VERIFIER, REDIRECT)
            .await
            .unwrap_err(),
        invalid_client
    );
    let someone = Afm::parse(&afm("12345678")).unwrap();
    assert_eq!(impostor.lookup(&someone).await.unwrap_err(), invalid_client);
    assert_eq!(
        police(&base, "not-the-secret")
            .id_card(&PoliceQuery::Afm(someone))
            .await
            .unwrap_err(),
        invalid_client
    );
}

#[tokio::test]
async fn the_state_is_the_callers_check() {
    let base = start().await;
    let registry = tax(&base, SECRET);
    // The registry hands back whatever state it was given, forged or not...
    let (_, returned) = log_in(&registry, "forged-by-someone", &afm("12345678")).await;
    assert_eq!(returned, "forged-by-someone");
    // ...so the caller compares it with the one it kept.
    let ours = new_state();
    assert_ne!(ours, new_state());
    assert!(matches!(
        check_state(&ours, Some(&returned)),
        Err(RegistryError::Protocol(_))
    ));
    assert!(check_state(&ours, None).is_err());
    assert!(check_state("", Some("")).is_err());
    assert!(check_state(&ours, Some(&ours)).is_ok());
}

#[tokio::test]
async fn the_login_page_refuses_unknown_people_and_clients() {
    let base = start().await;
    let registry = tax(&base, SECRET);
    let browser = browser();
    let challenge = pkce::challenge(VERIFIER);
    let page_url = Url::parse(&registry.authorize_url("s", &challenge, REDIRECT)).unwrap();
    let html = browser.get(page_url.clone()).send().await.unwrap();
    let (action, mut fields) = login_form(&page_url, &html.text().await.unwrap());
    fields.push(("afm".to_owned(), afm("99999999")));
    fields.push(("password".to_owned(), "x".to_owned()));
    let answer = browser.post(action).form(&fields).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert!(answer.text().await.unwrap().contains("Λάθος ΑΦΜ"));

    let other_client = format!(
        "{base}oauth2/authorize?response_type=code&client_id=someone&redirect_uri={REDIRECT}&state=s\
         &code_challenge={challenge}&code_challenge_method=S256"
    );
    let answer = browser.get(other_client).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_whole_login_with_a_fresh_verifier() {
    let base = start().await;
    let registry = tax(&base, SECRET);
    let verifier = pkce::new_verifier();
    let (code, _) = log_in_with(&registry, "s", &verifier, &afm("12345678")).await;
    let who = registry.exchange_code(&code, &verifier, REDIRECT).await;
    assert_eq!(who.unwrap().afm.as_str(), afm("12345678"));
}

#[tokio::test]
async fn a_login_without_an_s256_challenge_is_sent_back_with_invalid_request() {
    let base = start().await;
    let challenge = pkce::challenge(VERIFIER);
    let browser = browser();
    let authorize = |extra: &str| {
        let mut url = Url::parse(&format!("{base}oauth2/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", CLIENT_ID)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("state", "st");
        format!("{url}{extra}")
    };
    let refused = [
        String::new(),
        format!("&code_challenge={challenge}"),
        format!("&code_challenge={VERIFIER}&code_challenge_method=plain"),
        "&code_challenge_method=S256".to_owned(),
        "&code_challenge=short&code_challenge_method=S256".to_owned(),
    ];
    for extra in &refused {
        let answer = browser.get(authorize(extra)).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "{extra}");
        let back = Url::parse(
            answer.headers()[reqwest::header::LOCATION]
                .to_str()
                .unwrap(),
        )
        .unwrap();
        assert!(back.as_str().starts_with(REDIRECT), "{back}");
        assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
        assert_eq!(param(&back, "state").as_deref(), Some("st"));
        assert_eq!(param(&back, "code"), None, "{extra}");
    }
    let page = browser
        .get(authorize(&format!(
            "&code_challenge={challenge}&code_challenge_method=S256"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);

    // The form posted without the page's challenge gets no code either.
    let answer = browser
        .post(format!("{base}oauth2/authorize"))
        .form(&[
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("state", "st"),
            ("afm", &afm("12345678")),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let back = Url::parse(
        answer.headers()[reqwest::header::LOCATION]
            .to_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(param(&back, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&back, "code"), None);
}

#[tokio::test]
async fn a_code_needs_the_verifier_of_its_challenge() {
    let base = start().await;
    let registry = tax(&base, SECRET);
    let invalid_grant = RegistryError::Refused {
        error: "invalid_grant".to_owned(),
    };
    // Another well-formed verifier, or none: refused, and the code is spent.
    let (code, _) = log_in(&registry, "s", &afm("12345678")).await;
    let other = pkce::new_verifier();
    assert_eq!(
        registry
            .exchange_code(&code, &other, REDIRECT)
            .await
            .unwrap_err(),
        invalid_grant
    );
    assert_eq!(
        registry
            .exchange_code(&code, VERIFIER, REDIRECT)
            .await
            .unwrap_err(),
        invalid_grant
    );
    let (code, _) = log_in(&registry, "s", &afm("12345678")).await;
    assert_eq!(
        registry
            .exchange_code(&code, "", REDIRECT)
            .await
            .unwrap_err(),
        invalid_grant
    );
    // The challenge itself, as an eavesdropper of the authorization request has it.
    let (code, _) = log_in(&registry, "s", &afm("12345678")).await;
    let challenge = pkce::challenge(VERIFIER);
    assert_eq!(
        registry
            .exchange_code(&code, &challenge, REDIRECT)
            .await
            .unwrap_err(),
        invalid_grant
    );
    // On the wire: 400 with the OAuth2 error.
    let (code, _) = log_in(&registry, "s", &afm("12345678")).await;
    let answer = browser()
        .post(format!("{base}oauth2/token"))
        .basic_auth(CLIENT_ID, Some(SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["error"], "invalid_grant");
}

#[tokio::test]
async fn lookups_find_people_or_nobody() {
    let base = start().await;
    let registry = tax(&base, SECRET);
    let found = registry
        .lookup(&Afm::parse(&afm("12345678")).unwrap())
        .await
        .unwrap()
        .expect("known");
    assert_eq!(found.surname.as_str(), "Παπαδόπουλος");
    assert_eq!(found.father_name.as_str(), "Ιωάννης");
    let nobody = registry
        .lookup(&Afm::parse(&afm("99999999")).unwrap())
        .await
        .unwrap();
    assert_eq!(nobody, None);

    let police = police(&base, SECRET);
    let record = police
        .id_card(&PoliceQuery::Afm(Afm::parse(&afm("12345678")).unwrap()))
        .await
        .unwrap()
        .expect("has an ID card");
    assert_eq!(record.id_card.as_str(), "AB123456");
    assert_eq!(record.surname, found.surname);
    // By ΑΔΤ, written in Greek letters: the same record.
    let same = police
        .id_card(&PoliceQuery::IdCard(IdCard::parse("αβ123456").unwrap()))
        .await
        .unwrap();
    assert_eq!(same, Some(record));
    // The Police column overrides: another father's name.
    let mismatch = police
        .id_card(&PoliceQuery::Afm(Afm::parse(&afm("23456789")).unwrap()))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mismatch.father_name.as_str(), "Νικόλαος");
    assert_eq!(mismatch.surname.as_str(), "Νικολάου");
    assert_eq!(mismatch.id_card.as_str(), "AE654321");
    // No ΑΔΤ in the file: no Police record.
    let none = police
        .id_card(&PoliceQuery::Afm(Afm::parse(&afm("34567890")).unwrap()))
        .await
        .unwrap();
    assert_eq!(none, None);
    let unknown = police
        .id_card(&PoliceQuery::IdCard(IdCard::parse("ZZ000000").unwrap()))
        .await
        .unwrap();
    assert_eq!(unknown, None);
}

#[tokio::test]
async fn a_registry_that_does_not_answer_is_unavailable_quickly() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let started = Instant::now();
    let registry = tax(&closed, SECRET);
    let error = registry
        .lookup(&Afm::parse(&afm("12345678")).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, RegistryError::Unavailable(_)), "{error:?}");
    assert!(error.is_retryable());
    let error = registry
        .exchange_code("c", VERIFIER, REDIRECT)
        .await
        .unwrap_err();
    assert!(matches!(error, RegistryError::Unavailable(_)), "{error:?}");
    let error = police(&closed, SECRET)
        .id_card(&PoliceQuery::Afm(Afm::parse(&afm("12345678")).unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(error, RegistryError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_registry_that_hangs_times_out() {
    // Accepts connections and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let mut config = RegistryConfig::new(&base, CLIENT_ID, SECRET);
    config.timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = HttpTaxRegistry::new(&config)
        .unwrap()
        .lookup(&Afm::parse(&afm("12345678")).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(error, RegistryError::Unavailable(_)), "{error:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

/// A registry that answers `status` with `body` to everything.
async fn fake(status: StatusCode, body: &'static str) -> String {
    let app = axum::Router::new().fallback(move || async move { (status, body) });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{address}/")
}

#[tokio::test]
async fn server_errors_are_unavailable_and_nonsense_is_protocol() {
    let someone = Afm::parse(&afm("12345678")).unwrap();
    let down = fake(StatusCode::SERVICE_UNAVAILABLE, "maintenance").await;
    assert!(matches!(
        tax(&down, SECRET).lookup(&someone).await,
        Err(RegistryError::Unavailable(_))
    ));
    let nonsense = fake(StatusCode::OK, "<html>not json</html>").await;
    assert!(matches!(
        tax(&nonsense, SECRET).lookup(&someone).await,
        Err(RegistryError::Protocol(_))
    ));
    assert!(matches!(
        tax(&nonsense, SECRET)
            .exchange_code("c", VERIFIER, REDIRECT)
            .await,
        Err(RegistryError::Protocol(_))
    ));
    let invalid_person = fake(
        StatusCode::OK,
        r#"{"afm":"123","surname":"A","given_name":"B","father_name":"C","birth_date":"1980-01-01"}"#,
    )
    .await;
    assert!(matches!(
        tax(&invalid_person, SECRET).lookup(&someone).await,
        Err(RegistryError::Protocol(_))
    ));
}

#[test]
fn a_bad_people_file_names_the_line() {
    let csv = format!(
        "{}{},Α,Β,Γ,1980-13-01,,,,,\n",
        people_csv(),
        afm("45678901")
    );
    let error = People::from_csv(csv.as_bytes()).unwrap_err();
    assert_eq!(error.line, 5);
    assert!(error.message.contains("birth_date"), "{error}");
    let twice = format!(
        "{}{},Α,Β,Γ,1980-01-01,,,,,\n",
        people_csv(),
        afm("12345678")
    );
    assert_eq!(People::from_csv(twice.as_bytes()).unwrap_err().line, 5);
    let bad_afm = format!("{}123456780,Α,Β,Γ,1980-01-01,,,,,\n", people_csv());
    assert!(People::from_csv(bad_afm.as_bytes()).is_err());
}

#[test]
fn the_demo_file_loads_with_three_mismatches() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-people.csv");
    let people = People::load(&path).expect("the demo file loads");
    assert!(people.len() > 400, "{}", people.len());
    let text = std::fs::read_to_string(&path).unwrap();
    let mismatches = text
        .lines()
        .skip(1)
        .filter(|line| !line.ends_with(",,,,"))
        .count();
    assert_eq!(mismatches, 3);
}
