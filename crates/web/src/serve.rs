//! The accept loop: HTTP/1.1 over TCP with the limits a public server needs against slow or
//! greedy clients, which `axum::serve` does not set.
//!
//! - A client must send a request's whole header within `header_read_timeout` (hyper closes the
//!   connection otherwise); this also closes idle keep-alive connections, since hyper's clock
//!   runs while it waits for the next request's header.
//! - At most `max_connections` connections are served at once. Beyond that the loop stops
//!   accepting: new connections wait in the kernel's accept queue (and are refused by the kernel
//!   once it is full) until a connection ends. Waiting is chosen over closing them at once
//!   because the header timeout frees slots within seconds, and a legitimate client then gets
//!   its answer late instead of an error.
//! - A request (handler and reading the body) that takes longer than `request_timeout` is
//!   answered 503; an import of employees has `import_timeout`, because its work grows with its
//!   file (up to 256 MiB, a million rows: minutes on PostgreSQL).
//!
//! Handlers may extract `ConnectInfo<SocketAddr>` (the TCP peer).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::IntoResponse;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::Service;

/// The transport's limits; the defaults are production's, tests shorten them.
#[derive(Debug, Clone, Copy)]
pub struct ServeLimits {
    /// The time a client has to send a request's header.
    pub header_read_timeout: Duration,
    /// The time a request may take before it is answered 503.
    pub request_timeout: Duration,
    /// The same for `POST /api/v1/employees/import`.
    pub import_timeout: Duration,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
}

impl Default for ServeLimits {
    fn default() -> Self {
        ServeLimits {
            header_read_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            import_timeout: Duration::from_secs(30 * 60),
            max_connections: 1024,
        }
    }
}

/// Serves a router made of [`router`](crate::router) and more (e.g. the demo's built-in
/// registry) with the default limits until Ctrl-C / SIGTERM.
pub async fn serve_router(listener: TcpListener, router: Router) -> io::Result<()> {
    serve_router_with(listener, router, ServeLimits::default()).await
}

/// As [`serve_router`], with other limits.
pub async fn serve_router_with(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
) -> io::Result<()> {
    serve_router_until(listener, router, limits, shutdown_signal()).await
}

/// As [`serve_router_with`], until `shutdown` completes instead of a signal (tests, which must
/// not take the process's Ctrl-C). Then no connection is accepted any more, idle ones are
/// closed, and the function returns once the requests in progress are answered.
pub async fn serve_router_until(
    listener: TcpListener,
    router: Router,
    limits: ServeLimits,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let router = router.layer(axum::middleware::from_fn(
        move |request: Request, next: Next| async move {
            let allowed = match request.uri().path() {
                crate::api::IMPORT_PATH => limits.import_timeout,
                _ => limits.request_timeout,
            };
            tokio::time::timeout(allowed, next.run(request))
                .await
                .unwrap_or_else(|_| StatusCode::SERVICE_UNAVAILABLE.into_response())
        },
    ));
    let mut make_service = router.into_make_service_with_connect_info::<SocketAddr>();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        // A slot first, then the connection: at the bound, connections stay in the queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(service) = make_service.call(peer).await;
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// A failed accept: one client's problem is skipped; anything else (out of file descriptors)
/// is waited out rather than spun on.
async fn accept_failed(error: io::Error) {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
