//! `/metrics` (issue 12, part 8): the exposition parses, a cancellation is counted and timed under
//! its route's template, and the gauges read from the database follow the outbox and the jobs.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use certdesk_domain::Status;
use certdesk_web::WebConfig;
use certdesk_web::metrics::MetricsToken;
use serde_json::json;

use crate::helpers::*;

const CANCEL_ROUTE: &str = "/api/v1/applications/{id}/cancel";

/// The samples of an exposition, by their name and labels as written (`name{a="b"}`).
type Samples = BTreeMap<String, f64>;

async fn scrape(app: &TestApp) -> (String, Samples) {
    let response = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/openmetrics-text; version=1.0.0"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    let samples = parse(&text);
    (text, samples)
}

/// Parses the text format, failing on any line that is neither a comment the format knows nor
/// a sample `name{label="value",…} number`.
fn parse(text: &str) -> Samples {
    assert!(text.ends_with("# EOF\n"), "the exposition ends with # EOF");
    let mut samples = Samples::new();
    for line in text.lines() {
        if let Some(comment) = line.strip_prefix("# ") {
            let mut words = comment.splitn(3, ' ');
            match (words.next(), words.next(), words.next()) {
                (Some("EOF"), None, None) => {}
                (Some("HELP"), Some(name), Some(_)) => assert!(is_name(name), "{line}"),
                (Some("TYPE"), Some(name), Some(kind)) => {
                    assert!(is_name(name), "{line}");
                    assert!(
                        ["counter", "gauge", "histogram", "info", "unknown"].contains(&kind),
                        "{line}"
                    );
                }
                (Some("UNIT"), Some(name), Some(unit)) => {
                    assert!(is_name(name) && name.ends_with(unit), "{line}");
                }
                _ => panic!("not a comment of the format: {line:?}"),
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            other => other
                .parse()
                .unwrap_or_else(|_| panic!("not a number: {line:?}")),
        };
        let name = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels
                    .strip_suffix('}')
                    .unwrap_or_else(|| panic!("labels not closed: {line:?}"));
                for label in split_labels(labels) {
                    let (key, value) = label
                        .split_once('=')
                        .unwrap_or_else(|| panic!("not a label: {label:?} in {line:?}"));
                    assert!(is_name(key), "label name {key:?} in {line:?}");
                    assert!(
                        value.len() >= 2 && value.starts_with('"') && value.ends_with('"'),
                        "label value {value:?} in {line:?}"
                    );
                }
                name
            }
            None => series,
        };
        assert!(is_name(name), "metric name {name:?} in {line:?}");
        assert!(
            samples.insert(series.to_owned(), value).is_none(),
            "a series twice: {line}"
        );
    }
    samples
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// `a="x",b="y,z"` into its labels, commas inside quotes kept.
fn split_labels(labels: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in labels.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                parts.push(&labels[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if start < labels.len() {
        parts.push(&labels[start..]);
    }
    parts
}

fn sample(samples: &Samples, series: &str) -> f64 {
    *samples
        .get(series)
        .unwrap_or_else(|| panic!("no {series} in {:#?}", samples.keys()))
}

fn cancel_count(samples: &Samples) -> f64 {
    let series = format!(
        "certdesk_http_request_duration_seconds_count{{method=\"POST\",route=\"{CANCEL_ROUTE}\",status=\"2xx\"}}"
    );
    samples.get(&series).copied().unwrap_or(0.0)
}

/// Scrapes until `series` has `value` (the database gauges are read at most once a second).
async fn wait_for(app: &TestApp, series: &str, value: f64) -> Samples {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, samples) = scrape(app).await;
        if samples.get(series) == Some(&value) {
            return samples;
        }
        assert!(
            Instant::now() < deadline,
            "{series} never became {value}: {:?}",
            samples.get(series)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_exposition_parses_and_names_every_series() {
    let app = spawn_app().await;
    let (text, samples) = scrape(&app).await;
    for series in [
        "certdesk_cancellations_total",
        "certdesk_issuances_total",
        "certdesk_signatures_total{client=\"portal\"}",
        "certdesk_signatures_total{client=\"csc\"}",
        "certdesk_signatures_total{client=\"sign_buffer\"}",
        "certdesk_job_failures_total{kind=\"issue_certificate\"}",
        "certdesk_jobs_waiting{kind=\"issue_certificate\"}",
        "certdesk_jobs_waiting{kind=\"expire_application\"}",
        "certdesk_jobs_failed{kind=\"expire_certificate\"}",
        "certdesk_jobs_running{kind=\"issue_certificate\"}",
        "certdesk_outbox_unsent",
    ] {
        assert_eq!(
            sample(&samples, series),
            0.0,
            "{series} on a new installation"
        );
    }
    assert_eq!(sample(&samples, "certdesk_database_up"), 1.0);
    // The pools: SQLite's reader and its one writer, or PostgreSQL's one pool.
    let pools: Vec<&String> = samples
        .keys()
        .filter(|s| s.starts_with("certdesk_db_pool_max_connections{"))
        .collect();
    assert!(!pools.is_empty(), "{text}");
    for max in pools {
        let pool = max.trim_start_matches("certdesk_db_pool_max_connections");
        assert!(sample(&samples, max) >= 1.0, "{max}");
        let open = sample(&samples, &format!("certdesk_db_pool_connections{pool}"));
        let idle = sample(
            &samples,
            &format!("certdesk_db_pool_idle_connections{pool}"),
        );
        assert!(idle <= open && open <= sample(&samples, max), "{text}");
    }
    // No personal data: no ΑΦΜ, no address, no name of the installation's people.
    assert!(!text.contains(&app.admin.username), "{text}");
}

#[tokio::test]
async fn a_cancellation_is_counted_and_timed_under_its_route_template() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, id) = app.application_in(Status::AwaitingApproval).await;
    let (_, before) = scrape(&app).await;

    let response = app.cancel(&token, id, None).await;
    assert_eq!(response.status(), 200);
    // Refused (409): timed under the same route, in its own status class, and not counted.
    let again = app.cancel(&token, id, None).await;
    assert_eq!(again.status(), 409);

    let (text, after) = scrape(&app).await;
    assert_eq!(
        sample(&after, "certdesk_cancellations_total"),
        sample(&before, "certdesk_cancellations_total") + 1.0
    );
    assert_eq!(cancel_count(&after), cancel_count(&before) + 1.0);
    let refused = format!(
        "certdesk_http_request_duration_seconds_count{{method=\"POST\",route=\"{CANCEL_ROUTE}\",status=\"4xx\"}}"
    );
    assert_eq!(sample(&after, &refused), 1.0);
    // The histogram's buckets are cumulative, up to +Inf, which holds every request.
    let inf = format!(
        "certdesk_http_request_duration_seconds_bucket{{le=\"+Inf\",method=\"POST\",route=\"{CANCEL_ROUTE}\",status=\"2xx\"}}"
    );
    assert_eq!(sample(&after, &inf), cancel_count(&after), "{text}");
    // The route's template, never the path with the application's id.
    assert!(
        !text.contains(&format!("/api/v1/applications/{id}/cancel")),
        "{text}"
    );
}

#[tokio::test]
async fn requests_no_route_matched_share_one_series() {
    let app = spawn_app().await;
    for path in ["/no/such/page", "/another/made-up/path?x=1"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 404);
    }
    let (text, samples) = scrape(&app).await;
    assert_eq!(
        sample(
            &samples,
            "certdesk_http_request_duration_seconds_count{method=\"GET\",route=\"unmatched\",status=\"4xx\"}"
        ),
        2.0
    );
    assert!(!text.contains("made-up"), "{text}");
}

#[tokio::test]
async fn the_outbox_and_job_gauges_follow_the_database() {
    let app = spawn_app().await;
    let token = app.token().await;
    let (_, samples) = scrape(&app).await;
    assert_eq!(sample(&samples, "certdesk_outbox_unsent"), 0.0);

    // Starting an application queues the «Έναρξη» email: one unsent message.
    let employee = app.add_employee("Μεταξά", "Ελένη").await;
    let body = json!({ "afm": employee.afm, "email": employee.email });
    assert_eq!(app.create_application(&token, &body).await.status(), 201);
    wait_for(&app, "certdesk_outbox_unsent", 1.0).await;

    // A signed application waits for its issuance: this server runs no worker, so the job
    // waits, unheld.
    let (_, id) = app.application_in(Status::AwaitingIssuance).await;
    let unsent = app
        .store
        .outbox(id)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.sent_at.is_none())
        .count();
    let samples = wait_for(&app, "certdesk_outbox_unsent", 1.0 + unsent as f64).await;
    assert_eq!(
        sample(
            &samples,
            "certdesk_jobs_waiting{kind=\"issue_certificate\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(&samples, "certdesk_jobs_failed{kind=\"issue_certificate\"}"),
        0.0
    );
}

#[tokio::test]
async fn with_a_metrics_token_only_its_bearer_reads() {
    let secret = "metrics-token-of-the-test-0123";
    let serving = Serving {
        web: WebConfig {
            metrics_token: MetricsToken::new(secret).unwrap(),
            ..Default::default()
        },
        ..Default::default()
    };
    let app = spawn_app_serving(serving, |_| {}, |_| {}).await;
    let token = app.token().await;
    for bearer in [
        None,
        Some("wrong-token-of-the-test-0123"),
        Some(token.as_str()),
    ] {
        let request = app.client.get(app.url("/metrics"));
        let request = match bearer {
            Some(bearer) => request.bearer_auth(bearer),
            None => request,
        };
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "bearer {bearer:?}");
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        assert!(!response.text().await.unwrap().contains("certdesk_"));
    }
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(secret)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    parse(&response.text().await.unwrap());
}
