//! The time-stamping authority (TSA) that gives the portal's PDF signatures their signature
//! timestamp (PAdES B-T; RFC 3161 over HTTP: a POST of `application/timestamp-query`, answered
//! `application/timestamp-reply`). `certdesk serve --tsa-url` configures one; without it the
//! signatures are B-B. The request and the check of the reply are `certdesk_pdf`'s
//! ([`TimestampRequest`]); here is only the exchange.
//!
//! Plain `http://` only: this build's HTTP client has no TLS, and RFC 3161 needs none (the
//! request carries a digest, the reply is signed by the TSA and checked against the request).

use std::time::Duration;

use certdesk_pdf::{TimestampError, TimestampRequest};
use rand::Rng;

use crate::error::{AppError, AppResult};

/// How long one exchange with the TSA may take, connecting included.
pub const TSA_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest reply read (a token with the TSA's certificates is a few kilobytes).
const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Why there is no timestamp: nothing is signed then.
#[derive(Debug, thiserror::Error)]
pub enum TsaFailure {
    #[error("the TSA did not answer: {0}")]
    Unreachable(String),
    #[error("the TSA answered HTTP {0}")]
    Status(u16),
    #[error("the TSA's reply is refused: {0}")]
    Reply(#[from] TimestampError),
}

/// A configured TSA.
#[derive(Debug, Clone)]
pub struct Tsa {
    url: reqwest::Url,
    http: reqwest::Client,
}

impl Tsa {
    /// The TSA at `url` (`http://…`).
    pub fn new(url: &str) -> AppResult<Tsa> {
        let bad = |why: &str| AppError::Configuration(format!("--tsa-url: {why}"));
        let url = reqwest::Url::parse(url.trim()).map_err(|e| bad(&e.to_string()))?;
        if url.scheme() != "http" || url.host_str().is_none() {
            return Err(bad(
                "η διεύθυνση της αρχής χρονοσήμανσης πρέπει να είναι http://… (RFC 3161· αυτή η \
                 έκδοση δεν έχει TLS) / the time-stamping authority's URL must be http://… \
                 (RFC 3161; this build has no TLS)",
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(TSA_TIMEOUT)
            .connect_timeout(TSA_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| bad(&e.to_string()))?;
        Ok(Tsa { url, http })
    }

    /// The TSA's host (and port), as the portal names it; never the path or any credentials.
    pub fn host(&self) -> String {
        let host = self.url.host_str().unwrap_or_default();
        match self.url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    /// The time-stamp token (DER) over `signature`, checked against the request.
    pub async fn stamp(&self, signature: &[u8]) -> Result<Vec<u8>, TsaFailure> {
        let request = TimestampRequest::new(signature, rand::rng().random())
            .map_err(|e| TsaFailure::Unreachable(format!("cannot encode the request: {e}")))?;
        let unreachable = |e: reqwest::Error| TsaFailure::Unreachable(e.to_string());
        let mut response = self
            .http
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .header(reqwest::header::ACCEPT, "application/timestamp-reply")
            .body(request.der().to_vec())
            .send()
            .await
            .map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(TsaFailure::Status(response.status().as_u16()));
        }
        let mut reply = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if reply.len() + chunk.len() > MAX_REPLY_BYTES {
                return Err(TsaFailure::Reply(TimestampError::Malformed(
                    "the reply is too large".to_owned(),
                )));
            }
            reply.extend_from_slice(&chunk);
        }
        Ok(request.token(&reply)?)
    }

    /// The tokens over each of `signatures`, in their order, asked for at once; the first
    /// failure fails them all ([`AppError::TimestampFailed`]).
    pub async fn stamp_all(&self, signatures: &[Vec<u8>]) -> AppResult<Vec<Vec<u8>>> {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, signature) in signatures.iter().enumerate() {
            let (tsa, signature) = (self.clone(), signature.clone());
            tasks.spawn(async move { (i, tsa.stamp(&signature).await) });
        }
        let mut tokens = vec![Vec::new(); signatures.len()];
        while let Some(joined) = tasks.join_next().await {
            let (i, stamped) =
                joined.map_err(|e| AppError::Configuration(format!("asking the TSA: {e}")))?;
            match stamped {
                Ok(token) => tokens[i] = token,
                Err(failure) => {
                    tracing::warn!(tsa = %self.host(), %failure, "no signature timestamp");
                    return Err(AppError::TimestampFailed(failure.to_string()));
                }
            }
        }
        Ok(tokens)
    }
}

impl crate::App {
    /// The signature timestamp of each of `signatures`, in their order, from the configured
    /// TSA; `None` each when there is none (B-B).
    pub async fn signature_timestamps(
        &self,
        signatures: &[Vec<u8>],
    ) -> AppResult<Vec<Option<Vec<u8>>>> {
        match &self.tsa {
            None => Ok(vec![None; signatures.len()]),
            Some(tsa) => Ok(tsa
                .stamp_all(signatures)
                .await?
                .into_iter()
                .map(Some)
                .collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_http_url_is_a_tsa() {
        let tsa = Tsa::new("http://tsa.example.gr:8080/tsr").unwrap();
        assert_eq!(tsa.host(), "tsa.example.gr:8080");
        assert_eq!(
            Tsa::new("http://user:secret@tsa.example.gr/")
                .unwrap()
                .host(),
            "tsa.example.gr"
        );
        for bad in [
            "https://tsa.example.gr/",
            "tsa.example.gr",
            "ftp://tsa/",
            "",
        ] {
            assert!(
                matches!(Tsa::new(bad), Err(AppError::Configuration(_))),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn a_tsa_that_is_not_there_fails_every_signature() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        drop(listener);
        let tsa = Tsa::new(&format!("http://{address}/")).unwrap();
        let failed = tsa.stamp_all(&[vec![1, 2, 3], vec![4, 5, 6]]).await;
        assert!(
            matches!(failed, Err(AppError::TimestampFailed(_))),
            "{failed:?}"
        );
    }
}
