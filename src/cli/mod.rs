//! The command line: parses arguments, loads the config, runs one command, and maps
//! the outcome to an exit code (0 ok, 1 runtime failure, 2 bad config or usage).
//! The commands that inspect the store live in `inspect`, OPML in `opml`, and
//! `preview` (a source's items after its content rules, stored nowhere) in `preview`.

/// `print!` for a command's output: a reader that goes away ends it quietly, a full
/// disk is an error ([`output`]).
macro_rules! out {
    ($($arg:tt)*) => { $crate::cli::output::write(format_args!($($arg)*)) };
}

/// `println!` for a command's output; see [`out!`].
macro_rules! outln {
    () => { out!("\n") };
    ($($arg:tt)*) => { out!("{}\n", format_args!($($arg)*)) };
}

/// `eprintln!` for a command's messages: a closed stderr (`feedbraid … 2>&1 | head`)
/// must not turn them into a panic, and what cannot be said is dropped.
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod inspect;
mod opml;
mod output;
mod preview;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};

use crate::app;
use crate::config::{Config, ConfigError};
use crate::fetch::Fetcher;
use crate::model::SourceState;
use crate::poll::{self, PollContext, PollMode};

#[derive(Debug, Parser)]
#[command(
    name = "feedbraid",
    version,
    about = "Polls many feeds, stores each story once, serves merged topic feeds.",
    after_help = "Examples:\n  feedbraid check -c config/feedbraid.toml\n  feedbraid run -c config/feedbraid.toml\n  feedbraid poll --source bbc-world [--force]\n  feedbraid sources --format json\n\nThe config is read from -c, else $FEEDBRAID_CONFIG, else /etc/feedbraid/feedbraid.toml."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, clap::Args)]
struct ConfigArg {
    /// The config file (default: $FEEDBRAID_CONFIG, else /etc/feedbraid/feedbraid.toml).
    #[arg(short = 'c', long = "config", value_name = "PATH")]
    path: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: poll, store, serve. Logs to stderr.
    Run(ConfigArg),
    /// Validate the config and print a summary (exit 2 when invalid).
    Check(ConfigArg),
    /// Poll once (every source, or one), store, print what changed, exit.
    Poll {
        #[command(flatten)]
        config: ConfigArg,
        /// Poll only this source.
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// Poll even sources that are gone (410) or asked us to wait (Retry-After).
        #[arg(long)]
        force: bool,
    },
    /// Show what a source's items become after full text and content rules, without
    /// storing anything.
    Preview {
        #[command(flatten)]
        config: ConfigArg,
        /// The source to preview.
        #[arg(long, value_name = "NAME")]
        source: String,
        /// Show only this item (1 = the first in the feed), with its whole content.
        #[arg(long, value_name = "N")]
        item: Option<usize>,
    },
    /// List the sources with their polling state.
    Sources {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long, value_enum, default_value = "table")]
        format: ListFormat,
    },
    /// Show the stored items a topic query matches, newest first, and which terms matched.
    Query {
        #[command(flatten)]
        config: ConfigArg,
        /// The query, e.g. 'title:iran AND NOT category:sport' (see README).
        expr: String,
        /// Show at most this many items.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Show an item's story: every copy, and what joined it.
    Explain {
        #[command(flatten)]
        config: ConfigArg,
        /// An item id (urn:feedbraid:…) or link.
        item: String,
    },
    /// Print [[source]] entries for the feeds of an OPML file (or append them with --write).
    ImportOpml {
        #[command(flatten)]
        config: ConfigArg,
        /// The OPML file, e.g. exported from another reader.
        file: PathBuf,
        /// Append the entries to the config file (its comments are kept).
        #[arg(long)]
        write: bool,
    },
    /// Print the configured sources as OPML.
    ExportOpml(ConfigArg),
}

/// Runs the command line; the binary's whole `main`.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    crate::allocator::limit_arenas();
    let daemon = matches!(cli.command, Command::Run(_));
    init_logging(!daemon);
    // The daemon serves requests while it polls: a worker per core. Every other
    // command drives its work from this thread, and the work that wants a core
    // (parsing, storing) has threads of its own: workers would only hand each HTTP
    // connection's reads over to the thread driving its poll, twice the context
    // switches of a `poll` for nothing.
    let runtime = if daemon {
        tokio::runtime::Runtime::new()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            errln!("feedbraid: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = match runtime.block_on(run_command(cli.command)) {
        Ok(code) => code,
        Err(e) => {
            // Each cause once: a driver's message often repeats the one beneath it,
            // which `{:#}` would print again.
            errln!("feedbraid: {}", crate::error_chain(e.as_ref()));
            ExitCode::from(1)
        }
    };
    match output::finish() {
        Ok(()) => code,
        Err(e) => {
            errln!("feedbraid: cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}

fn init_logging(quiet: bool) {
    // tokio-cron-scheduler narrates its own start at info; keep the journal for our lines.
    let default = if quiet {
        "warn"
    } else {
        "info,tokio_cron_scheduler=warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        // A line stderr cannot take is dropped. Reporting it would go through
        // eprintln!, which panics on a closed pipe: in whichever thread logged (the
        // store's, say), for the daemon whose journal connection was lost too.
        .log_internal_errors(false)
        .try_init();
}

/// The config path: `-c`, else `$FEEDBRAID_CONFIG`, else the system default.
fn config_path(arg: &ConfigArg) -> PathBuf {
    crate::config::resolve_config_path(arg.path.as_deref())
}

/// Loads the config, or prints every problem and gives the exit code for it.
fn load(arg: &ConfigArg) -> Result<(PathBuf, Config), ExitCode> {
    let path = config_path(arg);
    match Config::load(&path) {
        Ok(config) => Ok((path, config)),
        Err(e) => {
            report_config_error(&e);
            Err(ExitCode::from(2))
        }
    }
}

fn report_config_error(e: &ConfigError) {
    match e {
        ConfigError::Invalid(problems) => {
            for p in problems {
                errln!("error: {p}");
            }
            errln!(
                "feedbraid: the config has {} problem{}",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
        }
        other => errln!("error: {other}"),
    }
}

async fn run_command(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Run(arg) => {
            let (path, config) = match load(&arg) {
                Ok(loaded) => loaded,
                Err(code) => return Ok(code),
            };
            for warning in &config.warnings {
                tracing::warn!("{warning}");
            }
            app::run(&path, config).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(arg) => Ok(match load(&arg) {
            Ok((_, config)) => {
                outln!("{}", config.summary());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        }),
        Command::Poll {
            config,
            source,
            force,
        } => {
            let (_, config) = match load(&config) {
                Ok(loaded) => loaded,
                Err(code) => return Ok(code),
            };
            let mode = if force {
                PollMode::Force
            } else {
                PollMode::Respect
            };
            poll_once(config, source.as_deref(), mode).await
        }
        Command::Preview {
            config,
            source,
            item,
        } => match load(&config) {
            Ok((_, config)) => preview::preview(&config, &source, item).await,
            Err(code) => Ok(code),
        },
        Command::Sources { config, format } => {
            let (_, config) = match load(&config) {
                Ok(loaded) => loaded,
                Err(code) => return Ok(code),
            };
            list_sources(&config, format).await
        }
        Command::Query {
            config,
            expr,
            limit,
        } => match load(&config) {
            Ok((_, config)) => inspect::query(&config, &expr, limit).await,
            Err(code) => Ok(code),
        },
        Command::Explain { config, item } => match load(&config) {
            Ok((_, config)) => inspect::explain(&config, &item).await,
            Err(code) => Ok(code),
        },
        Command::ImportOpml {
            config,
            file,
            write,
        } => opml::import(&config_path(&config), &file, write),
        Command::ExportOpml(arg) => match load(&arg) {
            Ok((_, config)) => opml::export(&config),
            Err(code) => Ok(code),
        },
    }
}

async fn poll_once(config: Config, only: Option<&str>, mode: PollMode) -> anyhow::Result<ExitCode> {
    let sources: Vec<_> = match only {
        Some(name) => match config.source(name) {
            Some(s) => vec![s.clone()],
            None => {
                errln!(
                    "error: no source named {name:?} in {}",
                    config.path.display()
                );
                return Ok(ExitCode::from(2));
            }
        },
        None => config.sources.clone(),
    };
    let store = app::open_store(&config).await?;
    let ctx = PollContext::new(Fetcher::new(&config.fetch)?, store);
    let polled = poll_and_report(&ctx, Arc::new(config), &sources, mode).await;
    // The process ends with this function, before the database thread would fold the
    // write-ahead log back on its own: without this, what the polls stored stays in
    // the log (the database file of a first small poll is one empty page, and a copy
    // of it alone holds nothing), and is synced to disk only at a later checkpoint.
    // Done whatever the polls came to, and no reason to fail them: the log is sound,
    // the next start folds it in. (SQLite; PostgreSQL has nothing to do here.)
    if let Err(error) = ctx.store.checkpoint().await {
        tracing::warn!(
            "the write-ahead log stays beside the database: {}",
            crate::error_chain(&error)
        );
    }
    polled
}

/// Polls `sources` and prints what changed, then fetches the full text they want.
async fn poll_and_report(
    ctx: &PollContext,
    config: Arc<Config>,
    sources: &[crate::config::SourceConfig],
    mode: PollMode,
) -> anyhow::Result<ExitCode> {
    for report in poll::poll_sources_with(ctx, &config, sources, mode).await? {
        outln!("{report}");
    }
    if sources.iter().any(|source| source.wants_full_text()) {
        let articles = crate::articles::fetch_due(ctx, || Arc::clone(&config)).await?;
        outln!(
            "full text: {} stored, {} pages without a longer article, {} failed (tried again later), {} given up",
            articles.stored,
            articles.no_article,
            articles.failed,
            articles.given_up
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Lists every source of the config with its stored state; one the database does
/// not know yet (a new entry, or no database before the first run) is `new`.
async fn list_sources(config: &Config, format: ListFormat) -> anyhow::Result<ExitCode> {
    let names: Vec<String> = config.sources.iter().map(|s| s.name.clone()).collect();
    let stored = match app::open_store_read_only(config).await {
        Ok(store) => store.source_states(names).await?,
        Err(error)
            if matches!(
                error.downcast_ref::<crate::store::StoreError>(),
                Some(crate::store::StoreError::Missing { .. })
            ) =>
        {
            Vec::new()
        }
        Err(error) => return Err(error),
    };
    let states: Vec<SourceState> = config
        .sources
        .iter()
        .map(|source| {
            stored
                .iter()
                .find(|state| state.name == source.name)
                .cloned()
                .unwrap_or_else(|| SourceState {
                    name: source.name.clone(),
                    url: source.url.to_string(),
                    ..SourceState::default()
                })
        })
        .collect();
    let text = match format {
        ListFormat::Json => crate::report::sources_json(&states)?,
        ListFormat::Table => crate::report::sources_table(&states),
    };
    outln!("{text}");
    Ok(ExitCode::SUCCESS)
}
