//! Importing employees from the HR registry's CSV export (SPEC §7: `certdesk import`, and
//! `POST /api/v1/employees/import` for HR systems).
//!
//! Two passes over the file, neither holding it: the first reads and checks every row (the
//! domain's validation, an ΑΦΜ twice in the file, an ΑΦΜ the organisation has already unless
//! updating) and reports every error with its line, up to [`MAX_REPORTED`]; only a file without
//! any goes to the second, which writes it in batches in one transaction (the store's bulk
//! path), so that nothing of a bad file is kept. The file is read on a blocking thread and
//! handed over a bounded channel, batch by batch: memory does not grow with the file.

pub mod csv_rows;
pub mod line_ends;

use std::path::{Path, PathBuf};

use certdesk_store::{ImportedBatch, NewEmployee, Store, StoreError};
use chrono::{DateTime, Utc};
use tokio::sync::mpsc;

use crate::{AppError, AppResult};
pub use csv_rows::{CsvRows, HEADER, RowError, RowProblem};
pub use line_ends::Encoding;

/// Errors listed at most (all are counted).
pub const MAX_REPORTED: usize = 1000;
const BATCH: usize = 5000;

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// A row whose ΑΦΜ the organisation has updates that employee (else it is an error).
    pub update: bool,
    pub encoding: Encoding,
}

/// What an import did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportSummary {
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
}

/// Why nothing was imported: the first errors, in the order of the file, and how many in all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRefusal {
    pub errors: Vec<RowError>,
    pub error_count: u64,
}

/// The two passes, as a progress bar shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Checking,
    Storing,
}

/// Told how far an import got; the CLI draws a bar with it.
pub trait ImportProgress: Send + Sync {
    fn phase(&self, phase: Phase, file_bytes: u64);
    fn advanced(&self, bytes_read: u64, rows: u64);
}

/// No progress shown (the API).
pub struct Quiet;

impl ImportProgress for Quiet {
    fn phase(&self, _: Phase, _: u64) {}
    fn advanced(&self, _: u64, _: u64) {}
}

/// Rows read since the last batch, good and bad.
struct Batch {
    rows: Vec<(u64, NewEmployee)>,
    errors: Vec<RowError>,
    bytes_read: u64,
}

/// Reads `path` on a blocking thread, in batches, into a channel of a few batches.
fn read_batches(path: PathBuf, encoding: Encoding) -> mpsc::Receiver<Batch> {
    let (sender, receiver) = mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let unreadable = |e: std::io::Error| Batch {
            rows: Vec::new(),
            errors: vec![RowError {
                line: 1,
                problem: RowProblem::Unreadable(e.to_string()),
            }],
            bytes_read: 0,
        };
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(e) => {
                let _ = sender.blocking_send(unreadable(e));
                return;
            }
        };
        let mut rows = match CsvRows::open(file, encoding) {
            Ok(rows) => rows,
            Err(error) => {
                let _ = sender.blocking_send(Batch {
                    rows: Vec::new(),
                    errors: vec![error],
                    bytes_read: 0,
                });
                return;
            }
        };
        loop {
            let mut batch = Batch {
                rows: Vec::with_capacity(BATCH),
                errors: Vec::new(),
                bytes_read: 0,
            };
            let mut end = false;
            while batch.rows.len() + batch.errors.len() < BATCH {
                match rows.next_row() {
                    Some(Ok(row)) => batch.rows.push(row),
                    Some(Err(error)) => batch.errors.push(error),
                    None => {
                        end = true;
                        break;
                    }
                }
            }
            batch.bytes_read = rows.bytes_read();
            // The receiver gone: the import stopped (a bad row in the store's pass, an error).
            if sender.blocking_send(batch).is_err() || end {
                return;
            }
        }
    });
    receiver
}

/// The errors of a pass, the first ones kept.
#[derive(Default)]
struct Errors {
    listed: Vec<RowError>,
    count: u64,
}

impl Errors {
    fn add(&mut self, errors: impl IntoIterator<Item = RowError>) {
        for error in errors {
            self.count += 1;
            if self.listed.len() < MAX_REPORTED {
                self.listed.push(error);
            }
        }
    }

    fn refusal(&mut self) -> Option<ImportRefusal> {
        if self.count == 0 {
            return None;
        }
        let mut errors = std::mem::take(&mut self.listed);
        // The store's errors come after the reader's of the same batch.
        errors.sort_by_key(|e| e.line);
        Some(ImportRefusal {
            errors,
            error_count: std::mem::take(&mut self.count),
        })
    }
}

/// The rows of `rows` whose ΑΦΜ the organisation has, as errors.
async fn registered(
    store: &dyn Store,
    organisation_id: i64,
    rows: &[(u64, NewEmployee)],
) -> AppResult<Vec<RowError>> {
    let afms: Vec<String> = rows
        .iter()
        .map(|(_, e)| e.afm.as_str().to_owned())
        .collect();
    let found: std::collections::HashSet<String> = store
        .registered_afms(organisation_id, &afms)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .iter()
        .filter(|(_, e)| found.contains(e.afm.as_str()))
        .map(|(line, e)| RowError {
            line: *line,
            problem: RowProblem::RegisteredAfm {
                afm: e.afm.as_str().to_owned(),
            },
        })
        .collect())
}

/// Imports the employees of the CSV file at `path` into the organisation: all of them, or
/// none and the reasons why.
pub async fn import_file(
    store: &dyn Store,
    organisation_id: i64,
    path: &Path,
    options: ImportOptions,
    progress: &dyn ImportProgress,
    now: DateTime<Utc>,
) -> AppResult<Result<ImportSummary, ImportRefusal>> {
    let file_bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);

    progress.phase(Phase::Checking, file_bytes);
    let mut errors = Errors::default();
    let mut rows = 0;
    let mut batches = read_batches(path.to_owned(), options.encoding);
    while let Some(batch) = batches.recv().await {
        rows += batch.rows.len() as u64;
        errors.add(batch.errors);
        if !options.update {
            errors.add(registered(store, organisation_id, &batch.rows).await?);
        }
        progress.advanced(batch.bytes_read, rows);
    }
    if let Some(refusal) = errors.refusal() {
        return Ok(Err(refusal));
    }

    progress.phase(Phase::Storing, file_bytes);
    let mut import = store.begin_import(organisation_id, rows, now).await?;
    let mut summary = ImportSummary::default();
    let mut batches = read_batches(path.to_owned(), options.encoding);
    while let Some(batch) = batches.recv().await {
        if !batch.errors.is_empty() {
            // The file changed since it was checked: nothing is kept.
            errors.add(batch.errors);
            break;
        }
        let (lines, employees): (Vec<u64>, Vec<NewEmployee>) = batch.rows.into_iter().unzip();
        match import.write(&employees, options.update).await {
            Ok(ImportedBatch { inserted, updated }) => {
                summary.rows += employees.len() as u64;
                summary.inserted += inserted;
                summary.updated += updated;
            }
            Err(StoreError::Duplicate(_)) => {
                // Registered by someone else since the check.
                drop(import);
                let rows: Vec<_> = lines.into_iter().zip(employees).collect();
                errors.add(registered(store, organisation_id, &rows).await?);
                return Ok(Err(errors.refusal().unwrap_or_else(|| ImportRefusal {
                    errors: Vec::new(),
                    error_count: 1,
                })));
            }
            Err(e) => return Err(AppError::from(e)),
        }
        progress.advanced(batch.bytes_read, summary.rows);
    }
    if let Some(refusal) = errors.refusal() {
        return Ok(Err(refusal));
    }
    import.commit().await?;
    Ok(Ok(summary))
}
