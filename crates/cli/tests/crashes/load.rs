//! The load: ΔΨΠ operations over HTTP from concurrent clients, each answer written down, and a
//! phase that ends by killing the server while requests are in flight.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::{Value, json};

/// Concurrent HTTP clients.
const CLIENTS: usize = 16;

/// An operation left without an answer this often is given up (and the test fails on it).
const MAX_ATTEMPTS: usize = 5;

/// One request of a ΔΨΠ.
#[derive(Debug, Clone)]
pub enum Op {
    /// `POST /api/v1/applications/{id}/cancel`.
    Cancel(i64),
    /// `POST /api/v1/applications/{id}/approve`.
    Approve(i64),
    /// `POST /api/v1/applications` for an employee with none.
    Start { afm: String, email: String },
}

/// What one attempt of an operation got.
#[derive(Debug, Clone)]
pub enum Answer {
    /// An HTTP answer: its status and JSON body.
    Http(u16, Value),
    /// No answer: the server died with the request in flight (or refused the connection). The
    /// operation may or may not have happened; it is tried again on the next server. (The
    /// error is for the failure messages, which print it.)
    Lost(#[allow(dead_code)] String),
}

impl Answer {
    pub fn status(&self) -> Option<u16> {
        match self {
            Answer::Http(status, _) => Some(*status),
            Answer::Lost(_) => None,
        }
    }

    /// The `error.code` of an error answer.
    pub fn error_code(&self) -> Option<&str> {
        match self {
            Answer::Http(_, body) => body["error"]["code"].as_str(),
            Answer::Lost(_) => None,
        }
    }
}

/// Every operation, the ones still to send, and every answer each got.
pub struct Load {
    client: reqwest::Client,
    token: String,
    pub ops: Vec<Op>,
    queue: Mutex<VecDeque<usize>>,
    answers: Mutex<Vec<Vec<Answer>>>,
    answered: AtomicUsize,
}

impl Load {
    pub fn new(ops: Vec<Op>, token: String) -> Arc<Load> {
        let count = ops.len();
        Arc::new(Load {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            token,
            ops,
            queue: Mutex::new((0..count).collect()),
            answers: Mutex::new(vec![Vec::new(); count]),
            answered: AtomicUsize::new(0),
        })
    }

    /// How many HTTP answers came so far, over every phase.
    pub fn answered(&self) -> usize {
        self.answered.load(Ordering::SeqCst)
    }

    pub fn left(&self) -> usize {
        self.queue.lock().unwrap().len()
    }

    /// Every attempt of every operation, in the order of [`Load::ops`].
    pub fn answers(&self) -> Vec<Vec<Answer>> {
        self.answers.lock().unwrap().clone()
    }

    /// Sends the operations still queued to `base` from [`CLIENTS`] clients until the queue is
    /// empty or `stop` is raised; an operation that got no answer goes back to the queue.
    pub async fn run(self: &Arc<Self>, base: &str, stop: &Arc<AtomicBool>) {
        let clients: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let load = self.clone();
                let base = base.to_owned();
                let stop = stop.clone();
                tokio::spawn(async move { load.client_loop(&base, &stop).await })
            })
            .collect();
        for client in clients {
            client.await.unwrap();
        }
    }

    async fn client_loop(&self, base: &str, stop: &AtomicBool) {
        while !stop.load(Ordering::SeqCst) {
            let Some(index) = self.queue.lock().unwrap().pop_front() else {
                return;
            };
            let answer = self.send(base, &self.ops[index]).await;
            let lost = matches!(answer, Answer::Lost(_));
            let attempts = {
                let mut answers = self.answers.lock().unwrap();
                answers[index].push(answer);
                answers[index].len()
            };
            if !lost {
                self.answered.fetch_add(1, Ordering::SeqCst);
            } else if attempts < MAX_ATTEMPTS {
                self.queue.lock().unwrap().push_back(index);
            }
        }
    }

    async fn send(&self, base: &str, op: &Op) -> Answer {
        let request = match op {
            Op::Cancel(id) => self
                .client
                .post(format!("{base}/api/v1/applications/{id}/cancel")),
            Op::Approve(id) => self
                .client
                .post(format!("{base}/api/v1/applications/{id}/approve")),
            Op::Start { afm, email } => self
                .client
                .post(format!("{base}/api/v1/applications"))
                .json(&json!({ "afm": afm, "email": email })),
        };
        let response = match request.bearer_auth(&self.token).send().await {
            Ok(response) => response,
            Err(error) => return Answer::Lost(error.to_string()),
        };
        let status = response.status().as_u16();
        match response.bytes().await {
            Ok(body) => Answer::Http(status, serde_json::from_slice(&body).unwrap_or(Value::Null)),
            // The head came, the body did not: the server died between the two.
            Err(error) => Answer::Lost(format!("{status}, then {error}")),
        }
    }

    /// Waits, polling, until `count` answers came in all (or the queue ran dry).
    pub async fn wait_for_answers(&self, count: usize) {
        while self.answered() < count && self.left() > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}
