//! Finding employees (SPEC §4) through `GET /api/v1/employees`.

use certdesk_domain::Status;
use serde_json::Value;

use crate::helpers::*;

struct People {
    giorgos: Employee,
    maria: Employee,
    eleni: Employee,
    christos: Employee,
}

const FINANCE: &str = "Διεύθυνση Οικονομικών";
const STAFF: &str = "Διεύθυνση Προσωπικού";
const IT: &str = "Τμήμα Πληροφορικής";

async fn people(app: &TestApp) -> People {
    let people = People {
        giorgos: app
            .add_employee_to(app.org_id, "Παπαδόπουλος", "Γιώργος", FINANCE)
            .await,
        maria: app
            .add_employee_to(app.org_id, "Παπαδοπούλου-Γεωργίου", "Μαρία", STAFF)
            .await,
        eleni: app
            .add_employee_to(app.org_id, "Νικολάου", "Ελένη", FINANCE)
            .await,
        christos: app
            .add_employee_to(app.org_id, "Άλλος", "Χρήστος", IT)
            .await,
    };
    app.drive_application(&people.eleni, Status::AwaitingApproval)
        .await;
    people
}

fn ids(body: &Value) -> Vec<i64> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn names_match_by_prefix_ignoring_case_accents_final_sigma_and_script() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let token = app.token().await;

    for q in [
        "ΠΑΠΑΔΟΠΟΥΛΟΣ",
        "παπαδοπουλος",
        "Παπαδοπουλοσ",
        "papadopoulos",
        "PAPADOPOULOS",
        "παπαδόπουλος γιωργ",
        "γιώργος",
        "giorgos",
    ] {
        let found = app.search_ok(&token, &[("q", q)]).await;
        assert_eq!(ids(&found), vec![p.giorgos.id], "q={q}: {found}");
        assert_eq!(found["total"], 1, "q={q}");
    }

    // A prefix finds both Παπαδόπουλος and Παπαδοπούλου, sorted by surname.
    for q in ["Παπαδόπουλ", "παπαδοπ", "papadop"] {
        let found = app.search_ok(&token, &[("q", q)]).await;
        assert_eq!(
            ids(&found),
            vec![p.giorgos.id, p.maria.id],
            "q={q}: {found}"
        );
    }

    // The second word of a double surname.
    for q in ["georgiou", "Γεωργίου", "γεωργ"] {
        let found = app.search_ok(&token, &[("q", q)]).await;
        assert_eq!(ids(&found), vec![p.maria.id], "q={q}: {found}");
    }

    // Surname and given-name prefixes together.
    let found = app.search_ok(&token, &[("q", "νικολ ελ")]).await;
    assert_eq!(ids(&found), vec![p.eleni.id], "{found}");
    let found = app.search_ok(&token, &[("q", "ελ νικολ")]).await;
    assert_eq!(ids(&found), vec![p.eleni.id], "either order: {found}");
    let found = app.search_ok(&token, &[("q", "νικολ χρ")]).await;
    assert_eq!(found["total"], 0, "every word must match: {found}");

    // Not a substring match.
    let found = app.search_ok(&token, &[("q", "πουλος")]).await;
    assert_eq!(found["total"], 0, "{found}");
    let _ = p.christos;
}

#[tokio::test]
async fn exact_fields_status_and_unit_filters() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let token = app.token().await;

    let found = app
        .search_ok(&token, &[("afm", p.maria.afm.as_str())])
        .await;
    assert_eq!(ids(&found), vec![p.maria.id]);
    let row = &found["items"][0];
    assert_eq!(row["afm"], p.maria.afm);
    assert_eq!(row["surname"], "Παπαδοπούλου-Γεωργίου");
    assert_eq!(row["given_name"], "Μαρία");
    assert_eq!(row["father_name"], "Ιωάννης");
    assert_eq!(row["unit"], STAFF);
    assert_eq!(row["status"], "none");
    assert_eq!(row["status_label"], "Δεν έχει υποβληθεί αίτηση");

    let found = app
        .search_ok(&token, &[("email", p.christos.email.as_str())])
        .await;
    assert_eq!(ids(&found), vec![p.christos.id]);

    let found = app.search_ok(&token, &[("status", "none")]).await;
    assert_eq!(
        ids(&found),
        vec![p.christos.id, p.giorgos.id, p.maria.id],
        "{found}"
    );
    assert_eq!(found["total"], 3);

    let found = app
        .search_ok(&token, &[("status", "awaiting_approval")])
        .await;
    assert_eq!(ids(&found), vec![p.eleni.id]);
    assert_eq!(found["items"][0]["status"], "awaiting_approval");
    assert_eq!(
        found["items"][0]["status_label"],
        "Αναμένεται η έγκριση της αίτησης έκδοσης του πιστοποιητικού"
    );
    let found = app.search_ok(&token, &[("status", "issued")]).await;
    assert_eq!(found["total"], 0);

    let found = app.search_ok(&token, &[("unit", FINANCE)]).await;
    assert_eq!(ids(&found), vec![p.eleni.id, p.giorgos.id], "{found}");

    // Filters combine.
    let found = app
        .search_ok(&token, &[("unit", FINANCE), ("status", "none")])
        .await;
    assert_eq!(ids(&found), vec![p.giorgos.id]);
    let found = app
        .search_ok(&token, &[("q", "papadop"), ("unit", STAFF)])
        .await;
    assert_eq!(ids(&found), vec![p.maria.id]);
}

#[tokio::test]
async fn results_are_sorted_by_surname_and_paginated_with_the_total() {
    let app = spawn_app().await;
    let p = people(&app).await;
    let token = app.token().await;

    // Sorted by the folded surname: Άλλος, Νικολάου, Παπαδόπουλος, Παπαδοπούλου-Γεωργίου.
    let all = app.search_ok(&token, &[]).await;
    assert_eq!(all["total"], 4);
    assert_eq!(
        ids(&all),
        vec![p.christos.id, p.eleni.id, p.giorgos.id, p.maria.id]
    );

    let first = app.search_ok(&token, &[("per_page", "2")]).await;
    assert_eq!(first["total"], 4);
    assert_eq!(first["page"], 1);
    assert_eq!(first["per_page"], 2);
    assert_eq!(ids(&first), vec![p.christos.id, p.eleni.id]);

    let second = app
        .search_ok(&token, &[("per_page", "2"), ("page", "2")])
        .await;
    assert_eq!(second["total"], 4);
    assert_eq!(second["page"], 2);
    assert_eq!(ids(&second), vec![p.giorgos.id, p.maria.id]);

    let beyond = app
        .search_ok(&token, &[("per_page", "2"), ("page", "3")])
        .await;
    assert_eq!(beyond["total"], 4, "the total does not depend on the page");
    assert_eq!(ids(&beyond), Vec::<i64>::new());

    // A short last page tells the total itself: the rows before it and its own.
    let last = app
        .search_ok(&token, &[("per_page", "3"), ("page", "2")])
        .await;
    assert_eq!(last["total"], 4);
    assert_eq!(last["total_exact"], true);
    assert_eq!(ids(&last), vec![p.maria.id]);
}

#[tokio::test]
async fn id_card_and_username_are_exact() {
    let app = spawn_app().await;
    let token = app.token().await;
    let ids_inserted = app
        .store
        .insert_employees(
            app.org_id,
            &[certdesk_domain::employee::EmployeeInput {
                afm: &next_afm(),
                surname: "Καρρά",
                given_name: "Δήμητρα",
                father_name: "Νικόλαος",
                id_card: "AB123456",
                email: "d.karra@example.gr",
                unit: IT,
                position: "Προϊσταμένη",
                ..Default::default()
            }
            .validate()
            .unwrap()],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let karra = ids_inserted[0];
    for id_card in ["AB123456", "ab123456", "ΑΒ123456"] {
        let found = app.search_ok(&token, &[("id_card", id_card)]).await;
        assert_eq!(ids(&found), vec![karra], "id_card={id_card}");
    }
    let found = app.search_ok(&token, &[("id_card", "AB123457")]).await;
    assert_eq!(found["total"], 0);
    let found = app
        .search_ok(&token, &[("email", "D.Karra@Example.gr")])
        .await;
    assert_eq!(ids(&found), vec![karra], "email ignores case");

    // The username reserved at identification finds the employee until it is released.
    let (employee, id) = app.application_in(Status::AwaitingSignature).await;
    let username = app.store.reserved_username(id).await.unwrap().unwrap();
    let found = app
        .search_ok(&token, &[("username", username.as_str())])
        .await;
    assert_eq!(ids(&found), vec![employee.id]);
    assert_eq!(app.cancel(&token, id, None).await.status(), 200);
    let found = app
        .search_ok(&token, &[("username", username.as_str())])
        .await;
    assert_eq!(found["total"], 0, "a released username finds no one");
}
