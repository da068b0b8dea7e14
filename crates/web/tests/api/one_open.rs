//! "At most one open application per employee" (SPEC §2), in every state: the partial unique
//! index of the migrations must agree with `Status::is_terminal` (the store's unit test reads the
//! index's list; this one tries it, on the store under test).

use certdesk_domain::Status;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn a_new_application_waits_for_the_open_one_to_close() {
    let app = spawn_app().await;
    let token = app.token().await;
    for status in Status::ALL {
        let (employee, _) = app.application_in(status).await;
        let body = json!({ "afm": employee.afm, "email": employee.email });
        let response = app.create_application(&token, &body).await;
        if status.is_terminal() {
            assert_eq!(response.status(), 201, "a new application after {status:?}");
        } else {
            assert_error(response, 409, "open_application_exists").await;
        }
    }
}
