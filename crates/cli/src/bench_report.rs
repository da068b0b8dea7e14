//! Where `bench-http`'s table goes besides standard output: a section of a Markdown file
//! (BENCHMARKS.md), between two markers, with the machine it was measured on, so that the file's
//! figures are always the last run's and say where they come from.

use std::path::Path;

use anyhow::Context;

const BEGIN: &str = "<!-- bench-http: begin (written by `certdesk bench-http --write`) -->";
const END: &str = "<!-- bench-http: end -->";

/// What the figures were measured on, from /proc (Linux); "unknown" where it cannot be read.
pub fn machine() -> String {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown CPU".to_owned(), |(_, m)| m.trim().to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory_gib = read("/proc/meminfo")
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or("unknown".to_owned(), |kib| {
            format!("{:.0} GiB", kib / 1024.0 / 1024.0)
        });
    let kernel = read("/proc/sys/kernel/osrelease");
    format!(
        "{model}, {cores} cores, {memory_gib} of memory, Linux {}",
        kernel.trim()
    )
}

/// The section for `table`: when, with what and on what it was measured.
pub fn section(table: &str, command: &str, store: &str) -> String {
    format!(
        "{BEGIN}\n## The last `certdesk bench-http` run\n\n\
         Measured {} UTC on {}, {store} store, certdesk {}, with:\n\n\
         ```sh\n{command}\n```\n\n{table}{END}\n",
        chrono::Utc::now().format("%Y-%m-%d %H:%M"),
        machine(),
        env!("CARGO_PKG_VERSION"),
    )
}

/// Replaces the section between the markers of `path` with `section` (placed after the file's
/// first heading when the markers are not there yet); creates the file if missing.
pub fn write(path: &Path, section: &str) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let updated = match (text.find(BEGIN), text.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            let after = &text[end + END.len()..];
            format!(
                "{}{section}{}",
                &text[..begin],
                after.strip_prefix('\n').unwrap_or(after)
            )
        }
        _ => match text.find("\n## ") {
            Some(at) => format!("{}{section}{}", &text[..at + 1], &text[at..]),
            None => format!("{text}\n{section}"),
        },
    };
    std::fs::write(path, updated)
        .with_context(|| format!("cannot write the table to {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_between_its_markers_and_nothing_else_moves() {
        let dir = std::env::temp_dir().join(format!("bench-report-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("BENCHMARKS.md");
        std::fs::write(&file, "# Benchmarks\n\nIntro.\n\n## Older\n\nkept\n").unwrap();
        write(
            &file,
            &section("| a | 1 |\n", "certdesk bench-http", "SQLite"),
        )
        .unwrap();
        let first = std::fs::read_to_string(&file).unwrap();
        assert!(
            first.starts_with("# Benchmarks\n\nIntro.\n\n<!-- bench-http: begin"),
            "{first}"
        );
        assert!(
            first.contains("| a | 1 |") && first.ends_with("## Older\n\nkept\n"),
            "{first}"
        );
        write(
            &file,
            &section("| b | 2 |\n", "certdesk bench-http", "SQLite"),
        )
        .unwrap();
        let second = std::fs::read_to_string(&file).unwrap();
        assert!(
            !second.contains("| a | 1 |") && second.contains("| b | 2 |"),
            "{second}"
        );
        assert_eq!(second.matches(BEGIN).count(), 1);
        assert!(second.ends_with("## Older\n\nkept\n"), "{second}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
