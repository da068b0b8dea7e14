//! `certdesk bench-data --rows N --out FILE`: an HR registry's CSV export of N made-up employees
//! (the demo's names: common surnames far more often than the rest, double surnames, accents;
//! valid ΑΦΜ, ΑΔΤ, emails and mobiles), for trying `certdesk import` at scale. bench-http
//! writes its largest organisation's file with it.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::Path;

use anyhow::Context;
use certdesk_store::NewEmployee;
use rand::SeedableRng;
use rand::rngs::StdRng;

use crate::demo::person;
use crate::demo_names::ORGANISATIONS;

/// Writes `rows` employees of the demo organisation `organisation` to `path`, handing each to
/// `seen` as it goes.
pub fn write_csv(
    path: &Path,
    rows: usize,
    seed: u64,
    organisation: usize,
    mut seen: impl FnMut(&NewEmployee),
) -> anyhow::Result<()> {
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut out = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 20, file));
    out.write_record(certdesk_app::import::HEADER)?;
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut afms, mut emails) = (HashSet::new(), HashMap::new());
    let demo = &ORGANISATIONS[organisation % ORGANISATIONS.len()];
    for _ in 0..rows {
        let e = person(&mut rng, demo, &mut afms, &mut emails).employee;
        let birth_date = e.birth_date.map(|d| d.to_string()).unwrap_or_default();
        out.write_record([
            e.afm.as_str(),
            e.surname.as_str(),
            e.given_name.as_str(),
            e.father_name.as_str(),
            e.id_card.as_ref().map_or("", |c| c.as_str()),
            &birth_date,
            e.email.as_ref().map_or("", |m| m.as_str()),
            e.mobile.as_ref().map_or("", |m| m.as_str()),
            &e.unit,
            &e.position,
        ])?;
        seen(&e);
    }
    out.into_inner()
        .map_err(|e| anyhow::anyhow!("cannot write {}: {}", path.display(), e.error()))?
        .flush()?;
    Ok(())
}
