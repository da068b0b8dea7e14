//! `POST /api/v1/employees/import` (issue 12): an HR system's CSV export, all of it or nothing,
//! every bad line named; the update mode; the encodings and the body's limits.

use reqwest::header::{ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use certdesk_testkit::probe::ProbedStore;

use crate::helpers::*;

const HEADER: &str =
    "afm,surname,given_name,father_name,id_card,birth_date,email,mobile,unit,position";

/// A row of a good employee.
fn row(afm: &str, surname: &str, given_name: &str) -> String {
    format!("{afm},{surname},{given_name},Ιωάννης,,1980-02-29,,,Τμήμα Μισθοδοσίας,Υπάλληλος")
}

/// A Greek tag of `i` for names (digits are not allowed in one): 2499 is «γδιι».
fn letters(i: usize) -> String {
    const DIGITS: [char; 10] = ['α', 'β', 'γ', 'δ', 'ε', 'ζ', 'η', 'θ', 'ι', 'κ'];
    i.to_string()
        .chars()
        .map(|d| DIGITS[d.to_digit(10).unwrap() as usize])
        .collect()
}

fn file_of(rows: &[String]) -> String {
    let mut file = format!("{HEADER}\r\n");
    for row in rows {
        file.push_str(row);
        file.push_str("\r\n");
    }
    file
}

impl TestApp {
    async fn import_as(
        &self,
        token: &str,
        query: &[(&str, &str)],
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.client
            .post(self.url("/api/v1/employees/import"))
            .query(query)
            .header(AUTHORIZATION, format!("Bearer {token}"))
            .header(CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    async fn import_csv(
        &self,
        token: &str,
        query: &[(&str, &str)],
        body: String,
    ) -> reqwest::Response {
        self.import_as(token, query, "text/csv", body).await
    }

    async fn total(&self, token: &str, query: &[(&str, &str)]) -> i64 {
        self.search_ok(token, query).await["total"]
            .as_i64()
            .unwrap()
    }
}

async fn ok(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

#[tokio::test]
async fn an_hr_system_imports_a_file_and_finds_its_employees_by_any_name() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (a, b, c) = (next_afm(), next_afm(), next_afm());
    // A byte-order mark, Windows line ends, a double surname, a quoted unit with a comma.
    let file = format!(
        "\u{feff}{}",
        file_of(&[
            row(&a, "Παπαδοπούλου-Νικολάου", "Ελένη"),
            row(&b, "Γεωργίου", "Νικόλαος"),
            format!(
                "{c},Παπάς,Άννα,Κωνσταντίνος,ΑΒ123456,,a.papa@example.gr,6912345678,\"Διεύθυνση Α, Τμήμα Β\",Προϊσταμένη"
            ),
        ])
    );
    let body = ok(app.import_csv(&token, &[], file).await).await;
    assert_eq!(body, json!({"rows": 3, "inserted": 3, "updated": 0}));

    // The search keys were built in the same pass: Greek, Latin, the second surname.
    assert_eq!(app.total(&token, &[("q", "παπ")]).await, 2);
    assert_eq!(app.total(&token, &[("q", "pap")]).await, 2);
    assert_eq!(app.total(&token, &[("q", "νικολαου")]).await, 1);
    let found = app.search_ok(&token, &[("afm", &c)]).await;
    assert_eq!(found["items"][0]["unit"], "Διεύθυνση Α, Τμήμα Β");
    let card = app
        .card_ok(&token, found["items"][0]["id"].as_i64().unwrap())
        .await;
    assert_eq!(card["id_card"], "AB123456", "{card}");
}

#[tokio::test]
async fn one_bad_row_imports_nothing_and_every_error_names_its_line_and_field() {
    let app = spawn_app().await;
    let token = app.token().await;
    let registered = app.add_employee("Υπάρχων", "Υπάλληλος").await;
    let mut rows: Vec<String> = (0..2500)
        .map(|i| row(&next_afm(), &format!("Επώνυμο{}", letters(i)), "Όνομα"))
        .collect();
    let repeated = rows[10].split(',').next().unwrap().to_owned();
    // Line 1 is the header: row i is on line i + 2.
    rows[1200] = row(&afm_with_wrong_check_digit(), "Λάθος", "Ψηφίο");
    rows[1700] = row(&repeated, "Δεύτερη", "Φορά");
    rows[2400] = row(&registered.afm, "Ήδη", "Εδώ");
    rows[2450] = format!("{},Κομμένη", next_afm());
    let before = app.probe.employee_rows().await;

    let response = app.import_csv(&token, &[], file_of(&rows)).await;
    let body = assert_error(response, 422, "invalid_csv").await;
    let lines: Vec<(i64, Option<&str>)> = body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["line"].as_i64().unwrap(), l["field"].as_str()))
        .collect();
    assert_eq!(
        lines,
        [
            (1202, Some("afm")),
            (1702, Some("afm")),
            (2402, Some("afm")),
            (2452, None)
        ],
        "{body}"
    );
    assert_eq!(body["error_count"], 4);
    let messages = &body["lines"];
    assert!(
        messages[0]["message"]
            .as_str()
            .unwrap()
            .contains("ψηφίο ελέγχου"),
        "{body}"
    );
    assert_eq!(
        messages[1]["message"],
        format!("ο ΑΦΜ {repeated} υπάρχει ήδη στη γραμμή 12")
    );
    assert!(
        messages[2]["message"]
            .as_str()
            .unwrap()
            .contains("ήδη καταχωρισμένος")
    );
    assert_eq!(messages[3]["message"], "έχει 2 πεδία αντί για 10");
    assert_eq!(
        app.probe.employee_rows().await,
        before,
        "nothing was imported"
    );

    // In English where asked.
    let response = app
        .client
        .post(app.url("/api/v1/employees/import"))
        .header(AUTHORIZATION, format!("Bearer {token}"))
        .header(CONTENT_TYPE, "text/csv")
        .header(ACCEPT_LANGUAGE, "en")
        .body(file_of(&rows[2390..2410]))
        .send()
        .await
        .unwrap();
    let body = assert_error(response, 422, "invalid_csv").await;
    assert_eq!(
        body["message"],
        "The file has 1 error(s): nothing was imported."
    );
    assert_eq!(
        body["lines"][0]["message"],
        format!(
            "the ΑΦΜ {} is registered in the organisation already",
            registered.afm
        )
    );

    // The good rows alone go in, across several batches.
    rows.retain(|r| {
        !r.contains("Λάθος")
            && !r.contains("Δεύτερη")
            && !r.contains("Ήδη")
            && !r.contains("Κομμένη")
    });
    let body = ok(app.import_csv(&token, &[], file_of(&rows)).await).await;
    assert_eq!(body["inserted"], 2496);
    assert_eq!(app.probe.employee_rows().await.0, before.0 + 2496);
    let last = format!("επωνυμο{}", letters(2499));
    assert_eq!(app.total(&token, &[("q", &last)]).await, 1);
}

#[tokio::test]
async fn the_update_mode_rewrites_registered_employees_and_their_search_keys() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (a, b) = (next_afm(), next_afm());
    ok(app
        .import_csv(
            &token,
            &[],
            file_of(&[row(&a, "Αλεξίου", "Μαρία"), row(&b, "Βλάχου", "Ιωάννα")]),
        )
        .await)
    .await;

    let again = file_of(&[
        row(&a, "Αλεξίου-Δήμου", "Μαρία"),
        row(&b, "Βλάχου", "Ιωάννα"),
        row(&next_afm(), "Γκίκα", "Σοφία"),
    ]);
    // Without the update mode the registered ΑΦΜ are errors.
    let body = assert_error(
        app.import_csv(&token, &[], again.clone()).await,
        422,
        "invalid_csv",
    )
    .await;
    assert_eq!(body["error_count"], 2);

    let body = ok(app.import_csv(&token, &[("update", "true")], again).await).await;
    assert_eq!(body, json!({"rows": 3, "inserted": 1, "updated": 2}));
    assert_eq!(app.total(&token, &[("q", "δημου")]).await, 1);
    assert_eq!(app.total(&token, &[("q", "dimou")]).await, 1);
    assert_eq!(app.total(&token, &[("q", "αλεξιου")]).await, 1);
    assert_eq!(app.total(&token, &[("q", "γκικα")]).await, 1);

    // A name the update removed is no longer found.
    ok(app
        .import_csv(
            &token,
            &[("update", "true")],
            file_of(&[row(&a, "Δήμου", "Μαρία")]),
        )
        .await)
    .await;
    assert_eq!(app.total(&token, &[("q", "αλεξιου")]).await, 0);
    assert_eq!(app.total(&token, &[("q", "alexiou")]).await, 0);
    assert_eq!(app.total(&token, &[("q", "δημου μαρια")]).await, 1);
}

/// «Γεωργίου,Ελένη» in Windows-1253.
fn windows_1253_row(afm: &str) -> Vec<u8> {
    let mut row = format!("{afm},").into_bytes();
    row.extend_from_slice(&[0xC3, 0xE5, 0xF9, 0xF1, 0xE3, 0xDF, 0xEF, 0xF5, b',']);
    row.extend_from_slice(&[0xC5, 0xEB, 0xDD, 0xED, 0xE7, b',']);
    row.extend_from_slice(&[0xC9, 0xF9, 0xDC, 0xED, 0xED, 0xE7, 0xF2]);
    row.extend_from_slice(b",,,,,,\r\n");
    row
}

#[tokio::test]
async fn a_windows_1253_file_needs_its_charset() {
    let app = spawn_app().await;
    let token = app.token().await;
    let mut file = format!("{HEADER}\r\n").into_bytes();
    file.extend(windows_1253_row(&next_afm()));

    let response = app.import_as(&token, &[], "text/csv", file.clone()).await;
    let body = assert_error(response, 422, "invalid_csv").await;
    assert_eq!(body["lines"][0]["line"], 2);
    assert!(
        body["lines"][0]["message"]
            .as_str()
            .unwrap()
            .contains("charset=windows-1253"),
        "{body}"
    );

    let response = app
        .import_as(&token, &[], "text/csv; charset=windows-1253", file)
        .await;
    assert_eq!(ok(response).await["inserted"], 1);
    let found = app.search_ok(&token, &[("q", "γεωργιου ελενη")]).await;
    assert_eq!(found["items"][0]["father_name"], "Ιωάννης");
}

#[tokio::test]
async fn what_is_not_a_csv_for_one_of_the_callers_organisations_is_refused() {
    let app = spawn_app().await;
    let token = app.token().await;
    let file = file_of(&[row(&next_afm(), "Δοκιμή", "Άλφα")]);
    let response = app
        .import_as(&token, &[], "application/json", file.clone())
        .await;
    assert_error(response, 415, "unsupported_media_type").await;
    let response = app
        .import_as(&token, &[], "text/csv; charset=latin1", file.clone())
        .await;
    assert_error(response, 415, "unsupported_media_type").await;
    let response = app
        .import_csv(&token, &[("update", "ναι")], file.clone())
        .await;
    let body = assert_error(response, 400, "invalid_query").await;
    assert_eq!(body["field"], "update");
    let response = app
        .import_csv(&token, &[("org", "ALLOS")], file.clone())
        .await;
    let body = assert_error(response, 422, "invalid_field").await;
    assert_eq!(body["field"], "org");
    // Another organisation's code is answered as an unknown one.
    let (_, _) = app.add_organisation_with_admin("ALLOS").await;
    let response = app
        .import_csv(&token, &[("org", "ALLOS")], file.clone())
        .await;
    assert_error(response, 422, "invalid_field").await;
    let response = app
        .import_csv(&token, &[], "afm,name\n1,2\n".to_owned())
        .await;
    let body = assert_error(response, 422, "invalid_csv").await;
    assert_eq!(body["lines"][0]["line"], 1);
    // Its own code is taken.
    let body = ok(app.import_csv(&token, &[("org", "MINDIGITAL")], file).await).await;
    assert_eq!(body["inserted"], 1);
}

/// A large import (SQLite makes its indexes again for one, in the same transaction): every
/// index is back after it, and each order of the search still finds by every key.
#[tokio::test]
async fn a_large_import_leaves_every_index_as_it_was() {
    let app = spawn_app().await;
    let token = app.token().await;
    let indexes = app.probe.employee_indexes().await;
    assert!(indexes.len() >= 10, "{indexes:?}");
    let analysed = match app.probe.store() {
        ProbedStore::Postgres => Some([
            app.probe.last_analysed("employees").await,
            app.probe.last_analysed("employee_name_keys").await,
        ]),
        ProbedStore::Sqlite => None,
    };
    let rows: Vec<String> = (0..20_000)
        .map(|i| {
            let surname = if i % 2 == 0 {
                "Ζαχαρίου"
            } else {
                "Ξενάκη"
            };
            row(&next_afm(), &format!("{surname}-{}", letters(i)), "Όνομα")
        })
        .collect();
    let body = ok(app.import_csv(&token, &[], file_of(&rows)).await).await;
    assert_eq!(body["inserted"], 20_000);
    assert_eq!(app.probe.employee_indexes().await, indexes);
    if let Some(before) = &analysed {
        // Else the planner counts none of the rows until autovacuum gets to them.
        let after = [
            app.probe.last_analysed("employees").await,
            app.probe.last_analysed("employee_name_keys").await,
        ];
        for (table, (before, after)) in ["employees", "employee_name_keys"]
            .iter()
            .zip(before.iter().zip(&after))
        {
            assert!(
                after.is_some() && after != before,
                "{table}: {before:?} → {after:?}"
            );
        }
    }
    let found = app.search_ok(&token, &[("q", "ξενακη")]).await;
    assert_eq!(found["total"], 1000, "counted up to 1,000: {found}");
    assert_eq!(found["total_exact"], false);
    // Installation-wide the same walk is counted on the token's key range.
    let everywhere = app
        .store
        .search_employees(
            &certdesk_store::Scope::Everything,
            &certdesk_store::EmployeeQuery {
                name_tokens: vec!["ξενακη".to_owned()],
                page: 2,
                per_page: 20,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        everywhere.total,
        certdesk_domain::paging::Total::more_than_cap()
    );
    let ids: Vec<i64> = everywhere.items.iter().map(|e| e.id).collect();
    let second_page: Vec<i64> = app
        .search_ok(
            &token,
            &[("q", "ξενακη"), ("page", "2"), ("per_page", "20")],
        )
        .await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids, second_page,
        "one organisation: the same page either way"
    );
    let last = format!("ζαχαριου-{}", letters(19_998));
    assert_eq!(app.total(&token, &[("q", &last)]).await, 1);
    assert_eq!(app.total(&token, &[("q", &letters(19_999))]).await, 1);
    assert_eq!(app.total(&token, &[("q", "xenaki")]).await, 1000);
}

#[tokio::test]
async fn a_file_announced_past_the_limit_is_refused_with_413_before_it_is_sent() {
    let app = spawn_app().await;
    let token = app.token().await;
    let before = app.total(&token, &[]).await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    // The header of a request announcing 256 MiB and one byte (the documented limit is 256 MiB),
    // then the file's first line; the rest is never sent.
    let head = format!(
        "POST /api/v1/employees/import HTTP/1.1\r\nHost: localhost\r\n\
         Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n\
         Content-Length: {}\r\n\r\n{HEADER}\r\n",
        256 * 1024 * 1024 + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // A guard, not a measure: the answer comes at once, and the server closes the connection.
    tokio::time::timeout(
        std::time::Duration::from_secs(30),
        stream.read_to_end(&mut answer),
    )
    .await
    .expect("an answer before the test gives up")
    .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let body: Value = serde_json::from_str(answer.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "payload_too_large", "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.chars().any(|c| ('α'..='ω').contains(&c)),
        "a Greek message by default: {message}"
    );
    assert_eq!(app.total(&token, &[]).await, before, "nothing imported");
}

/// An import's work grows with its file: it may take longer than the time any other request
/// gets (`ServeLimits::import_timeout`), and is answered in full. Here the client pauses in the
/// middle of its file for longer than a short request timeout; the same pause in another
/// request's body is answered 503.
#[tokio::test]
async fn an_import_may_take_longer_than_other_requests() {
    let request_timeout = std::time::Duration::from_millis(800);
    let serving = Serving {
        limits: certdesk_web::ServeLimits {
            request_timeout,
            ..Default::default()
        },
        ..Default::default()
    };
    let app = spawn_app_serving(serving, |_| {}, |_| {}).await;
    let token = app.token().await;
    let address = app.address.trim_start_matches("http://").to_owned();
    let file = file_of(&[row(&next_afm(), "Αργυρίου", "Θεόδωρος")]);
    let send_with_a_pause = |path: &'static str, content_type: &'static str, body: String| {
        let (address, token) = (address.clone(), token.clone());
        async move {
            let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
            let head = format!(
                "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let (first, rest) = body.split_at(body.len() / 2);
            stream.write_all(head.as_bytes()).await.unwrap();
            stream.write_all(first.as_bytes()).await.unwrap();
            tokio::time::sleep(request_timeout * 2).await;
            // The server may have answered and closed already (the 503).
            let _ = stream.write_all(rest.as_bytes()).await;
            let mut answer = Vec::new();
            let _ = stream.read_to_end(&mut answer).await;
            String::from_utf8_lossy(&answer).into_owned()
        }
    };
    let answer = send_with_a_pause("/api/v1/employees/import", "text/csv", file).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"inserted\":1"), "{answer}");
    let login = r#"{"username":"nobody","password":"whatever"}"#.to_owned();
    let answer = send_with_a_pause("/api/v1/auth/login", "application/json", login).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
}
