//! `certdesk import FILE.csv --org CODE [--update] [--encoding windows-1253]`: employees from the
//! HR registry's CSV export, through `certdesk_app::import` (the API's import is the same). One
//! bad row and nothing is imported; each error is printed with its line, field and reason.
//! A bar with rows/s and the time left on a terminal; plain lines at every tenth otherwise.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use certdesk_app::import::{Encoding, ImportOptions, ImportProgress, ImportSummary, Phase};
use certdesk_store::Store;
use chrono::Utc;
use indicatif::{ProgressBar, ProgressStyle};

/// Errors printed at most (all are counted).
const PRINTED: usize = 100;

pub async fn run(
    store: &dyn Store,
    file: &Path,
    org: &str,
    update: bool,
    encoding: &str,
) -> anyhow::Result<ImportSummary> {
    let encoding = Encoding::parse(encoding)
        .with_context(|| format!("unknown encoding {encoding:?}: utf-8 or windows-1253"))?;
    let organisation = store
        .organisation_by_code(org)
        .await?
        .with_context(|| format!("no organisation with code {org:?}"))?;
    if !file.is_file() {
        bail!("cannot open {}", file.display());
    }
    let started = Instant::now();
    let progress = Progress::new();
    let outcome = certdesk_app::import::import_file(
        store,
        organisation.id,
        file,
        ImportOptions { update, encoding },
        &progress,
        Utc::now(),
    )
    .await?;
    progress.finish();
    match outcome {
        Ok(summary) => {
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "imported {} employees into {} ({} new, {} updated) in {seconds:.1} s ({:.0} rows/s)",
                summary.rows,
                organisation.code,
                summary.inserted,
                summary.updated,
                summary.rows as f64 / seconds.max(1e-9),
            );
            Ok(summary)
        }
        Err(refusal) => {
            for error in refusal.errors.iter().take(PRINTED) {
                eprintln!("{error}");
            }
            if refusal.error_count > PRINTED as u64 {
                eprintln!("… και άλλα {} λάθη", refusal.error_count - PRINTED as u64);
            }
            bail!(
                "{} error(s) in {}: nothing was imported",
                refusal.error_count,
                file.display()
            )
        }
    }
}

/// The bar on a terminal, plain lines elsewhere.
struct Progress {
    bar: Option<ProgressBar>,
    state: Mutex<State>,
}

struct State {
    phase: &'static str,
    file_bytes: u64,
    started: Instant,
    next_tenth: u64,
}

impl Progress {
    fn new() -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{msg:10} [{bar:40}] {percent:>3}% · {prefix} · {eta} ακόμη",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar
        });
        Progress {
            bar,
            state: Mutex::new(State {
                phase: "",
                file_bytes: 0,
                started: Instant::now(),
                next_tenth: 1,
            }),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl ImportProgress for Progress {
    fn phase(&self, phase: Phase, file_bytes: u64) {
        let name = match phase {
            Phase::Checking => "έλεγχος",
            Phase::Storing => "αποθήκευση",
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        *state = State {
            phase: name,
            file_bytes,
            started: Instant::now(),
            next_tenth: 1,
        };
        if let Some(bar) = &self.bar {
            bar.reset();
            bar.set_length(file_bytes);
            bar.set_message(name);
        }
    }

    fn advanced(&self, bytes_read: u64, rows: u64) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let per_second = rows as f64 / state.started.elapsed().as_secs_f64().max(1e-9);
        let counts = format!("{rows} γραμμές, {per_second:.0} γραμμές/s");
        match &self.bar {
            Some(bar) => {
                bar.set_prefix(counts);
                bar.set_position(bytes_read);
            }
            None => {
                let tenths = (bytes_read * 10)
                    .checked_div(state.file_bytes)
                    .unwrap_or(10);
                if tenths >= state.next_tenth {
                    eprintln!("{}: {}% ({counts})", state.phase, tenths.min(10) * 10);
                    state.next_tenth = tenths + 1;
                }
            }
        }
    }
}
