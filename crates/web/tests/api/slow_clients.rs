//! Clients that are slow on purpose (slowloris) or by accident: the header-read timeout, the
//! bound on connections and the whole-request timeout of `certdesk_web::serve`, with short
//! limits so that no test waits long.

use std::time::{Duration, Instant};

use certdesk_web::ServeLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::helpers::*;

const SHORT: Duration = Duration::from_millis(300);

async fn app_with(limits: ServeLimits) -> TestApp {
    let serving = Serving {
        limits,
        ..Default::default()
    };
    spawn_app_serving(serving, |_| {}, |_| {}).await
}

fn socket_address(app: &TestApp) -> String {
    app.address.trim_start_matches("http://").to_owned()
}

/// A connection that has sent the start of a request's header and then nothing.
async fn partial_request(app: &TestApp) -> TcpStream {
    let mut stream = TcpStream::connect(socket_address(app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .await
        .unwrap();
    stream
}

/// Reads until the server closes the connection (EOF or reset), at most `patience`; returns
/// what was read, or `None` if the connection was still open then.
async fn until_closed(stream: &mut TcpStream, patience: Duration) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(patience, async {
        let mut buffer = [0u8; 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    read.ok().map(|()| received)
}

/// A normal request with a fresh client (no pooled connection to reuse).
async fn healthz(app: &TestApp, patience: Duration) -> reqwest::Response {
    reqwest::Client::builder()
        .timeout(patience)
        .build()
        .unwrap()
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("the server answers a normal request")
}

#[tokio::test]
async fn many_half_sent_requests_neither_block_others_nor_stay_open() {
    let header_timeout = Duration::from_secs(2);
    let app = app_with(ServeLimits {
        header_read_timeout: header_timeout,
        ..Default::default()
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..200 {
        held.push(partial_request(&app).await);
    }
    let started = Instant::now();
    let response = healthz(&app, header_timeout).await;
    assert_eq!(response.status(), 200);
    assert!(
        started.elapsed() < header_timeout,
        "answered while the 200 connections were held, in {:?}",
        started.elapsed()
    );
    for (i, stream) in held.iter_mut().enumerate() {
        let received = until_closed(stream, header_timeout * 3).await;
        let received = received.unwrap_or_else(|| panic!("connection {i} was not closed"));
        assert!(
            !received.starts_with(b"HTTP/1.1 200"),
            "connection {i} got no answer"
        );
    }
}

#[tokio::test]
async fn a_header_sent_slower_than_the_timeout_is_cut_off() {
    let app = app_with(ServeLimits {
        header_read_timeout: SHORT,
        ..Default::default()
    })
    .await;
    let mut stream = partial_request(&app).await;
    let started = Instant::now();
    // One header line every 100 ms: never idle for long, but the header never ends in time.
    let mut closed_at = None;
    for i in 0..30 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if stream
            .write_all(format!("x\r\nX-Line-{i}: ").as_bytes())
            .await
            .is_err()
        {
            closed_at = Some(started.elapsed());
            break;
        }
        let mut byte = [0u8; 1];
        if let Ok(read) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut byte)).await
        {
            assert!(!matches!(read, Ok(1..)), "no answer to a cut-off header");
            closed_at = Some(started.elapsed());
            break;
        }
    }
    let closed_at = closed_at.expect("the server closed the connection");
    assert!(
        closed_at >= SHORT && closed_at < SHORT * 5,
        "closed after {closed_at:?}, the timeout being {SHORT:?}"
    );
}

#[tokio::test]
async fn a_header_sent_in_pieces_within_the_timeout_is_answered() {
    let app = app_with(ServeLimits {
        header_read_timeout: Duration::from_secs(5),
        ..Default::default()
    })
    .await;
    let mut stream = partial_request(&app).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream
        .write_all(b"1\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let received = until_closed(&mut stream, Duration::from_secs(5))
        .await
        .expect("the answer, then the close");
    assert!(
        received.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed_too() {
    // Else idle browsers' connections would hold the slots of the bound for ever.
    let app = app_with(ServeLimits {
        header_read_timeout: SHORT,
        ..Default::default()
    })
    .await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let received = until_closed(&mut stream, SHORT * 5)
        .await
        .expect("closed once idle for the header timeout");
    assert!(
        received.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&received)
    );
}

#[tokio::test]
async fn connections_beyond_the_bound_wait_for_a_free_slot() {
    let app = app_with(ServeLimits {
        header_read_timeout: SHORT,
        max_connections: 2,
        ..Default::default()
    })
    .await;
    let _held = [partial_request(&app).await, partial_request(&app).await];
    let started = Instant::now();
    let response = healthz(&app, Duration::from_secs(5)).await;
    assert_eq!(response.status(), 200);
    // Accepted only once the header timeout freed a slot.
    let waited = started.elapsed();
    assert!(
        waited >= SHORT - Duration::from_millis(50),
        "answered after {waited:?}, before a slot was free"
    );
}

#[tokio::test]
async fn a_request_whose_body_never_ends_is_answered_503() {
    let app = app_with(ServeLimits {
        request_timeout: SHORT,
        ..Default::default()
    })
    .await;
    let mut stream = TcpStream::connect(socket_address(&app)).await.unwrap();
    // The header in full, then half of the body it announces.
    stream
        .write_all(
            b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":",
        )
        .await
        .unwrap();
    let started = Instant::now();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
        .await
        .expect("an answer before the test gives up")
        .unwrap();
    let answer = String::from_utf8_lossy(&buffer[..read]);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(started.elapsed() >= SHORT - Duration::from_millis(50));
}
