//! The certificate names only what the registries confirmed (issue 10, §1): the HR record must
//! agree with the tax registry's names at the data check, or it cannot be confirmed, and both the
//! beneficiary and the ΔΨΠ are told which name disagrees.

use certdesk_domain::Status;

use super::{DEFAULT_HR, portal_app_with_hr, portal_login, portal_page, portal_post, status_of};
use crate::helpers::*;

#[tokio::test]
async fn a_record_that_disagrees_with_the_tax_registry_cannot_be_confirmed() {
    // HR typed another given name and father's name than the registry's «Ελένη», «Δημήτριος».
    let (app, person) = portal_app_with_hr(
        ",,,",
        None,
        Serving::default(),
        ("ΚΑΡΑΓΙΑΝΝΗ", "ΜΑΡΙΑ", "ΠΕΤΡΟΣ"),
    )
    .await;
    let session = portal_login(&app, &person.afm).await;
    let refused = portal_post(&app, &session, "/portal/confirm", &[]).await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("δεν συμφωνούν με το Μητρώο Φορολογουμένων: Όνομα, Όνομα Πατρός."),
        "{page}"
    );
    assert_eq!(status_of(&app, &person).await, Status::AwaitingDataCheck);
    assert!(portal_page(&app, &session).await.contains("Επιβεβαίωση"));

    // The ΔΨΠ sees the same on the card.
    let console = app.console_login(&app.admin).await;
    let card = app
        .console_get(&console, &format!("/employees/{}", person.employee_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(card.contains("id=\"data-disagreement\""), "{card}");
    assert!(card.contains("Όνομα, Όνομα Πατρός"), "{card}");
}

#[tokio::test]
async fn a_record_written_differently_but_the_same_is_confirmed() {
    let (app, person) = portal_app_with_hr(
        ",,,",
        None,
        Serving::default(),
        ("Καραγιαννη", "ελένη", DEFAULT_HR.2),
    )
    .await;
    let session = portal_login(&app, &person.afm).await;
    let confirmed = portal_post(&app, &session, "/portal/confirm", &[]).await;
    assert_eq!(confirmed.status(), 303);
    assert_eq!(status_of(&app, &person).await, Status::AwaitingApproval);
    let console = app.console_login(&app.admin).await;
    let card = app
        .console_get(&console, &format!("/employees/{}", person.employee_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(!card.contains("id=\"data-disagreement\""));
}
