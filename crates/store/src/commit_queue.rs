//! Group commit of concurrent writers (issue 12): batches submitted while a transaction runs wait
//! in a queue, and the next transaction takes them all.
//!
//! A cancellation over HTTP is one transition; alone, it costs a transaction of its own (a dozen
//! statements handed to the database one at a time, then a commit). Sixteen clients cancelling at
//! once would queue sixteen such transactions behind the one writer. Here, the first submitter
//! starts a run; whoever submits while it runs waits, and the next run takes everything waiting,
//! up to a limit, as one input list. A run gives back two steps: the transaction (after which the
//! next run may start) and the answers (after the commit is durable), so that the next
//! transaction is written while the disk syncs the last. The queue knows nothing of SQL: the run
//! is the store's, and so is the rule for a combined run that fails (see `sql/applications.rs`).
//!
//! Runs go on in a task of their own, so a submitter that gives up (a client that hangs up) takes
//! no one else's answer with it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::oneshot;

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A run of the combined inputs: resolves once its transaction is over (the queue may start the
/// next), to the answers, one per input in order, which resolve once they may be given (durable).
pub(crate) type Run<O> = BoxFuture<BoxFuture<Vec<O>>>;

/// The queue of one store. `I` is one submitter's input, `O` its answer.
pub(crate) struct CommitQueue<I, O> {
    state: Mutex<State<I, O>>,
    /// A run takes inputs until their sizes reach this (and always at least one).
    limit: usize,
    /// How many runs may go on at once (1 where the database has one writer).
    lanes: usize,
    /// Runs made, for the tests and the figures.
    runs: AtomicU64,
}

struct State<I, O> {
    waiting: Vec<Waiting<I, O>>,
    /// Runs going on.
    running: usize,
    /// Of those, the ones started that have not taken their first inputs yet: inputs that
    /// started runs of their own are shared among them, not all taken by the first.
    starting: usize,
}

struct Waiting<I, O> {
    input: I,
    size: usize,
    answer: oneshot::Sender<O>,
}

/// The run ended without answering (its task was stopped: the runtime is shutting down).
#[derive(Debug)]
pub(crate) struct Unanswered;

impl<I: Send + 'static, O: Send + 'static> CommitQueue<I, O> {
    pub(crate) fn new(limit: usize, lanes: usize) -> CommitQueue<I, O> {
        CommitQueue {
            state: Mutex::new(State {
                waiting: Vec::new(),
                running: 0,
                starting: 0,
            }),
            limit: limit.max(1),
            lanes: lanes.max(1),
            runs: AtomicU64::new(0),
        }
    }

    /// Queues `input` (of `size` rows) and returns its answer. When fewer runs than the lanes
    /// are going on, one starts, with `run` doing the work for every input it takes.
    pub(crate) async fn submit<R>(
        self: &Arc<Self>,
        input: I,
        size: usize,
        run: R,
    ) -> Result<O, Unanswered>
    where
        R: Fn(Vec<I>) -> Run<O> + Send + Sync + 'static,
    {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut state = self.state.lock().expect("the commit queue's lock");
            state.waiting.push(Waiting {
                input,
                size,
                answer,
            });
            let start = state.running < self.lanes;
            if start {
                state.running += 1;
                state.starting += 1;
            }
            start
        };
        if start {
            tokio::spawn(Arc::clone(self).drain(run));
        }
        answered.await.map_err(|_| Unanswered)
    }

    /// Runs what waits until nothing does.
    async fn drain<R>(self: Arc<Self>, run: R)
    where
        R: Fn(Vec<I>) -> Run<O> + Send + Sync + 'static,
    {
        let mut first = true;
        loop {
            let taken = {
                let mut state = self.state.lock().expect("the commit queue's lock");
                let share = if first {
                    first = false;
                    let share = state.waiting.len().div_ceil(state.starting.max(1));
                    state.starting -= 1;
                    share
                } else {
                    state.waiting.len()
                };
                if state.waiting.is_empty() {
                    state.running -= 1;
                    return;
                }
                self.take(&mut state.waiting, share)
            };
            self.runs.fetch_add(1, Ordering::SeqCst);
            let (inputs, answers): (Vec<I>, Vec<oneshot::Sender<O>>) =
                taken.into_iter().map(|w| (w.input, w.answer)).unzip();
            let outputs = run(inputs).await;
            tokio::spawn(async move {
                for (answer, output) in answers.into_iter().zip(outputs.await) {
                    // A submitter that gave up no longer listens: nothing to tell it.
                    let _ = answer.send(output);
                }
            });
        }
    }

    /// The oldest of `waiting`, at most `share` of them, whose sizes fit the limit (at least
    /// one).
    fn take(&self, waiting: &mut Vec<Waiting<I, O>>, share: usize) -> Vec<Waiting<I, O>> {
        let mut total = 0;
        let count = waiting
            .iter()
            .take(share.max(1))
            .take_while(|w| {
                let fits = total == 0 || total + w.size <= self.limit;
                total += w.size;
                fits
            })
            .count();
        waiting.drain(..count).collect()
    }

    /// How many runs have been made.
    #[cfg(test)]
    pub(crate) fn runs(&self) -> u64 {
        self.runs.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::{Semaphore, mpsc};

    /// A run that reports the inputs it took and ends when the test lets it: each input's
    /// answer is the input doubled.
    #[allow(clippy::async_yields_async)]
    fn held(
        gate: Arc<Semaphore>,
        taken: mpsc::UnboundedSender<Vec<u32>>,
    ) -> impl Fn(Vec<u32>) -> Run<u32> + Clone + Send + Sync + 'static {
        move |inputs: Vec<u32>| {
            let gate = Arc::clone(&gate);
            let taken = taken.clone();
            Box::pin(async move {
                taken.send(inputs.clone()).unwrap();
                gate.acquire().await.unwrap().forget();
                let answers: BoxFuture<Vec<u32>> =
                    Box::pin(async move { inputs.iter().map(|i| i * 2).collect() });
                answers
            })
        }
    }

    type Taken = mpsc::UnboundedReceiver<Vec<u32>>;

    /// A queue of `limit` and `lanes` whose runs are `held` by the gate returned, and where
    /// each run's inputs are reported.
    #[allow(clippy::type_complexity)]
    fn held_queue(
        limit: usize,
        lanes: usize,
    ) -> (
        Arc<CommitQueue<u32, u32>>,
        Arc<Semaphore>,
        Taken,
        impl Fn(Vec<u32>) -> Run<u32> + Clone + Send + Sync + 'static,
    ) {
        let gate = Arc::new(Semaphore::new(0));
        let (tx, taken) = mpsc::unbounded_channel();
        let run = held(Arc::clone(&gate), tx);
        (Arc::new(CommitQueue::new(limit, lanes)), gate, taken, run)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn inputs_submitted_during_a_run_share_the_next_one() {
        let (queue, gate, mut taken, run) = held_queue(100, 1);

        let first = tokio::spawn({
            let (queue, run) = (Arc::clone(&queue), run.clone());
            async move { queue.submit(1, 1, run).await.unwrap() }
        });
        assert_eq!(taken.recv().await.unwrap(), vec![1]);
        // Twenty more while the first run is held: they wait for it.
        let more: Vec<_> = (2..=21)
            .map(|i| {
                let (queue, run) = (Arc::clone(&queue), run.clone());
                tokio::spawn(async move { queue.submit(i, 1, run).await.unwrap() })
            })
            .collect();
        while queue.state.lock().unwrap().waiting.len() < 20 {
            tokio::task::yield_now().await;
        }
        gate.add_permits(2);
        assert_eq!(first.await.unwrap(), 2);
        let mut second = taken.recv().await.unwrap();
        second.sort();
        assert_eq!(second, (2..=21).collect::<Vec<_>>());
        for (i, answer) in (2..=21).zip(more) {
            assert_eq!(answer.await.unwrap(), i * 2, "each gets its own answer");
        }
        assert_eq!(queue.runs(), 2);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_run_takes_inputs_up_to_the_limit_and_the_rest_wait_for_the_next() {
        let (queue, gate, mut taken, run) = held_queue(10, 1);

        let first = tokio::spawn({
            let (queue, run) = (Arc::clone(&queue), run.clone());
            async move { queue.submit(0, 1, run).await.unwrap() }
        });
        taken.recv().await.unwrap();
        // Three inputs of 4 rows each: two fit a run of 10, the third waits for the next.
        let mut more = Vec::new();
        for i in 1..=3 {
            let (submitting, run) = (Arc::clone(&queue), run.clone());
            more.push(tokio::spawn(
                async move { submitting.submit(i, 4, run).await },
            ));
            while queue.state.lock().unwrap().waiting.len() < i as usize {
                tokio::task::yield_now().await;
            }
        }
        gate.add_permits(3);
        first.await.unwrap();
        assert_eq!(taken.recv().await.unwrap(), vec![1, 2]);
        assert_eq!(taken.recv().await.unwrap(), vec![3]);
        for answer in more {
            answer.await.unwrap().unwrap();
        }
        assert_eq!(queue.runs(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn answers_wait_for_their_second_step_while_the_next_run_goes_on() {
        let queue = Arc::new(CommitQueue::<u32, u32>::new(100, 1));
        // The transaction ends at once; its answers (the durable step) wait for the gate.
        let durable = Arc::new(Semaphore::new(0));
        let (tx, mut taken) = mpsc::unbounded_channel();
        #[allow(clippy::async_yields_async)]
        let run = {
            let durable = Arc::clone(&durable);
            move |inputs: Vec<u32>| -> Run<u32> {
                let (durable, taken) = (Arc::clone(&durable), tx.clone());
                Box::pin(async move {
                    taken.send(inputs.clone()).unwrap();
                    let answers: BoxFuture<Vec<u32>> = Box::pin(async move {
                        durable.acquire().await.unwrap().forget();
                        inputs.iter().map(|i| i * 2).collect()
                    });
                    answers
                })
            }
        };
        let submit = |i: u32| {
            let (queue, run) = (Arc::clone(&queue), run.clone());
            tokio::spawn(async move { queue.submit(i, 1, run).await.unwrap() })
        };

        let first = submit(1);
        assert_eq!(taken.recv().await.unwrap(), vec![1]);
        // The next run starts while the first one's answer still waits to be durable.
        let second = submit(2);
        assert_eq!(taken.recv().await.unwrap(), vec![2]);
        assert!(
            !first.is_finished(),
            "answered before its commit was durable"
        );
        durable.add_permits(2);
        assert_eq!((first.await.unwrap(), second.await.unwrap()), (2, 4));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn with_two_lanes_a_second_run_starts_beside_a_held_one() {
        let (queue, gate, mut taken, run) = held_queue(100, 2);
        let submit = |i: u32| {
            let (queue, run) = (Arc::clone(&queue), run.clone());
            tokio::spawn(async move { queue.submit(i, 1, run).await.unwrap() })
        };

        let (first, second) = (submit(1), submit(2));
        // Both runs have taken their input while neither may finish.
        let mut both = [taken.recv().await.unwrap(), taken.recv().await.unwrap()];
        both.sort();
        assert_eq!(both, [vec![1], vec![2]]);
        // A third waits: both lanes are taken.
        let third = submit(3);
        while queue.state.lock().unwrap().waiting.is_empty() {
            tokio::task::yield_now().await;
        }
        gate.add_permits(3);
        assert_eq!(
            (
                first.await.unwrap(),
                second.await.unwrap(),
                third.await.unwrap()
            ),
            (2, 4, 6)
        );
        assert_eq!(queue.runs(), 3);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_submitter_that_gives_up_leaves_the_others_their_answers() {
        let (queue, gate, mut taken, run) = held_queue(100, 1);

        // The submitter that started the run is dropped while its run is held.
        let starter = tokio::spawn({
            let (queue, run) = (Arc::clone(&queue), run.clone());
            async move { queue.submit(1, 1, run).await }
        });
        taken.recv().await.unwrap();
        let waiting = tokio::spawn({
            let (queue, run) = (Arc::clone(&queue), run.clone());
            async move { queue.submit(2, 1, run).await.unwrap() }
        });
        while queue.state.lock().unwrap().waiting.is_empty() {
            tokio::task::yield_now().await;
        }
        starter.abort();
        gate.add_permits(2);
        assert_eq!(waiting.await.unwrap(), 4);
        assert_eq!(queue.runs(), 2);
    }
}
