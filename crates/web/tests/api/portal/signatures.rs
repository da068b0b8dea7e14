//! «Ιστορικό υπογραφών» (issue 11, item 5): the holder sees the signing log of their certificate
//! in the portal (when, the client, the digest, the address), newest first, fifty to a page;
//! nobody else's signatures; the ΔΨΠ sees the count on the card, in the console and the API.

use certdesk_domain::Status;
use certdesk_domain::remote_signing::SigningClient;
use certdesk_store::NewSignatures;
use chrono::{Duration, Utc};
use sha2::{Digest, Sha256};

use super::holder::{USERNAME, holder_get, issued_holder, sign_api, sign_buffer};
use super::{SIGNING_PASSWORD, emailed_code, portal_app, text_of, up_to_identification};
use crate::helpers::*;

const PATH: &str = "/portal/signatures";

/// Signatures written to the log as a client would leave them, `count` digests at `at`.
async fn logged(
    app: &TestApp,
    id: i64,
    count: usize,
    client: SigningClient,
    at: chrono::DateTime<Utc>,
) -> Vec<String> {
    let digests: Vec<String> = (0..count)
        .map(|i| hex::encode(Sha256::digest(format!("έγγραφο {id} {i} {at}").as_bytes())))
        .collect();
    assert!(
        app.store
            .record_signatures(&NewSignatures {
                application_id: id,
                at,
                digests: digests.clone(),
                client,
                address: Some("192.0.2.10".parse().unwrap()),
            })
            .await
            .unwrap()
    );
    digests
}

#[tokio::test]
async fn the_holder_reads_their_signing_log_newest_first_a_page_at_a_time() {
    let (app, person) = portal_app().await;
    let holder = issued_holder(&app, &person, "email").await;
    let (_, home) = holder_get(&app, &holder, "/portal").await;
    assert!(home.contains("href=\"/portal/signatures\""), "{home}");
    let (status, page) = holder_get(&app, &holder, PATH).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1 class=\"govgr-heading-l\">Ιστορικό υπογραφών</h1>"));
    assert!(page.contains("Δεν έχει γίνει ακόμη καμία υπογραφή με το πιστοποιητικό σας."));
    assert_eq!(text_of(&page, "signatures-total"), "0");

    // One signature through SignBuffer, over HTTP, with a code by email.
    let login = serde_json::json!({"Username": USERNAME, "Password": SIGNING_PASSWORD});
    let (status, otp) = sign_api(&app, "RequestOTP", &login).await;
    assert_eq!((status, otp["Outcome"].as_str()), (200, Some("0")), "{otp}");
    let code = emailed_code(&app, holder.id).await;
    let document = "Απόφαση 12/2026".as_bytes();
    let digest: [u8; 32] = Sha256::digest(document).into();
    let (status, signed) = sign_buffer(&app, SIGNING_PASSWORD, &code, &digest).await;
    assert_eq!(status, 200, "{signed}");
    let (_, page) = holder_get(&app, &holder, PATH).await;
    assert_eq!(text_of(&page, "signatures-total"), "1");
    assert!(page.contains("Διεπαφή υπογραφής (SignBuffer)"), "{page}");
    assert!(page.contains(&hex::encode(digest)));
    assert!(page.contains("127.0.0.1"));
    assert!(page.contains("Ημερομηνία και ώρα") && page.contains("Σύνοψη SHA-256"));

    // Sixty later ones by the CSC API: the first page has the newest fifty.
    let later = logged(
        &app,
        holder.id,
        60,
        SigningClient::Csc,
        Utc::now() + Duration::minutes(1),
    )
    .await;
    let (_, first) = holder_get(&app, &holder, PATH).await;
    assert_eq!(text_of(&first, "signatures-total"), "61");
    assert_eq!(first.matches("Διεπαφή CSC").count(), 50);
    assert!(first.contains(&later[59]), "the newest first");
    assert!(!first.contains(&later[9]));
    assert!(!first.contains(&hex::encode(digest)));
    let older = first
        .split("id=\"signatures-older\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a link to the older signatures")
        .to_owned();
    let (status, second) = holder_get(&app, &holder, &older).await;
    assert_eq!(status, 200);
    assert_eq!(second.matches("Διεπαφή CSC").count(), 10);
    assert!(second.contains(&later[0]) && second.contains(&later[9]));
    assert!(second.contains(&hex::encode(digest)), "the oldest last");
    assert!(!second.contains("id=\"signatures-older\""));
    assert!(second.contains("id=\"signatures-newest\""));
    // A page number that is not one is the first page.
    let (status, page) = holder_get(&app, &holder, "/portal/signatures?before=abc").await;
    assert_eq!(status, 200);
    assert!(page.contains(&later[59]));

    // Another holder's signatures are not in this log.
    let (_, other) = app.application_in(Status::Issued).await;
    let theirs = logged(&app, other, 1, SigningClient::Portal, Utc::now()).await;
    for page in [PATH, older.as_str()] {
        let (_, html) = holder_get(&app, &holder, page).await;
        assert!(!html.contains(&theirs[0]));
    }

    // The ΔΨΠ sees the count on the card, in the console and the API.
    let session = app.console_login(&app.admin).await;
    let card = app
        .console_get(&session, &format!("/employees/{}", person.employee_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(card.contains("Υπογραφές με το πιστοποιητικό"));
    assert_eq!(text_of(&card, "signature-count"), "61");
    let token = app.token().await;
    assert_eq!(
        app.card_ok(&token, person.employee_id).await["signature_count"],
        61
    );
}

#[tokio::test]
async fn before_issuance_there_is_no_signing_log() {
    let (app, person) = portal_app().await;
    let session = up_to_identification(&app, &person).await;
    let holder = super::holder::Holder {
        session,
        id: super::application_id(&app, &person).await,
        secret: None,
    };
    let (status, location) = holder_get(&app, &holder, PATH).await;
    assert_eq!((status, location.as_str()), (303, "/portal"));
    let (_, home) = holder_get(&app, &holder, "/portal").await;
    assert!(!home.contains("/portal/signatures"));
}
