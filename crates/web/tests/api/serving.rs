//! `certdesk_web::serve_router_until`, the accept loop itself: what handlers get from it
//! (`ConnectInfo`) and how it stops.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::routing::get;
use certdesk_web::ServeLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn peer(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
    peer.to_string()
}

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "done"
}

/// Serves `router` on a random port until `stop` is sent; returns its address and the server.
async fn serve(
    router: Router,
) -> (
    SocketAddr,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(certdesk_web::serve_router_until(
        listener,
        router,
        ServeLimits::default(),
        async {
            let _ = stopped.await;
        },
    ));
    (address, stop, server)
}

#[tokio::test]
async fn handlers_see_the_peer_address() {
    let (address, _stop, _server) = serve(Router::new().route("/peer", get(peer))).await;
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let local = stream.local_addr().unwrap();
    stream
        .write_all(b"GET /peer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with(&local.to_string()), "{answer}");
}

#[tokio::test]
async fn shutting_down_finishes_the_requests_in_progress() {
    let (address, stop, server) = serve(Router::new().route("/slow", get(slow))).await;
    let client = reqwest::Client::new();
    let in_progress = tokio::spawn({
        let client = client.clone();
        async move { client.get(format!("http://{address}/slow")).send().await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.send(()).unwrap();
    let response = in_progress.await.unwrap().expect("the request in progress");
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "done");
    tokio::time::timeout(Duration::from_secs(5), server)
        .await
        .expect("the server stops")
        .unwrap()
        .unwrap();
    assert!(
        tokio::net::TcpStream::connect(address).await.is_err(),
        "no longer listening"
    );
}
