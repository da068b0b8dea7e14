//! Where the binary's logs go (standard error) and how they look: lines for a person by
//! default, one JSON object a line with `--log-format json` for a log collector.

use tracing_subscriber::EnvFilter;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line: `timestamp`, `level`, `target`, `message` and the event's own
    /// fields at the top level, and the request's `span` (method and path).
    Json,
}

/// Installs the subscriber; `CERTDESK_LOG` chooses what is logged (an `EnvFilter`).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_env("CERTDESK_LOG")
        .unwrap_or_else(|_| "certdesk=info,certdesk_web=info,warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
    }
}
