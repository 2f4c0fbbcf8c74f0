//! Wiring for `feedbraid run`: opens the store, binds the listener, starts the polling
//! loop and the HTTP server, and stops them in order. The only place that spawns
//! long-lived tasks; shutdown is explicit: every task is told, then waited for.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::allocator::ReleaseSoon;
use crate::config::Config;
use crate::fetch::Fetcher;
use crate::membership::FeedSet;
use crate::poll::PollContext;
use crate::publish::Publisher;
use crate::schedule::{self, Heartbeat};
use crate::serve::{self, ServeState};
use crate::store::{FeedSync, Store};

/// How long shutdown waits for polls and requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(8);

/// A started daemon: its address, and the handles to reload and stop it.
pub struct App {
    pub addr: SocketAddr,
    pub store: Store,
    config_path: PathBuf,
    config: watch::Sender<Arc<Config>>,
    publisher: Arc<Publisher>,
    heartbeat: Heartbeat,
    shutdown: watch::Sender<bool>,
    metrics: Arc<crate::metrics::Metrics>,
    /// The poller's memory of what each source served, pruned to the config's sources.
    last_served: Arc<crate::poll::LastServed>,
    scheduler: JoinHandle<anyhow::Result<()>>,
    articles: JoinHandle<anyhow::Result<()>>,
    upkeep: JoinHandle<anyhow::Result<()>>,
    server: JoinHandle<std::io::Result<()>>,
    /// Hands free heap pages back after heavy pages are served; stopped last.
    releasing: JoinHandle<()>,
}

/// Opens the store for `config`, registers its sources and feeds, and sorts the
/// stored items into feeds whose definition changed before returning.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let (store, sync) = open_store_pending(config).await?;
    store.refill_feeds(&sync).await?;
    Ok(store)
}

/// Opens the store for `config` to look at, changing nothing (see
/// [`Store::open_read_only`]): what the inspection commands use, which run beside a
/// daemon that may hold another version of the config.
pub async fn open_store_read_only(config: &Config) -> anyhow::Result<Store> {
    let storage = config.storage.clone();
    Ok(tokio::task::spawn_blocking(move || match &storage.url {
        Some(url) => Store::open_postgres_read_only(url),
        None => Store::open_read_only(&storage.path),
    })
    .await??)
}

/// [`open_store`], leaving the refill of changed feeds to the caller.
async fn open_store_pending(config: &Config) -> anyhow::Result<(Store, FeedSync)> {
    if config.storage.url.is_none()
        && let Some(dir) = config.storage.path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the database folder {}", dir.display()))?;
    }
    let clustering = crate::cluster::Settings::from_config(&config.dedup);
    let storage = config.storage.clone();
    // Opening rebuilds the story index from the database: blocking work, off the
    // async workers.
    let store = tokio::task::spawn_blocking(move || match &storage.url {
        Some(url) => Store::open_postgres(url, clustering),
        None => Store::open_with(&storage.path, clustering),
    })
    .await??;
    store.sync_sources(source_rows(config)).await?;
    let sync = store
        .begin_feeds(Arc::new(FeedSet::from_config(config)))
        .await?;
    Ok((store, sync))
}

/// Sorts stored items into the feeds `sync` emptied, then drops the rows `sync` found
/// leftover, in the background: the daemon is ready and serving meanwhile (those
/// feeds fill newest first). Ends early on shutdown; a restart redoes what was not
/// finished.
fn spawn_refill(
    store: Store,
    sync: FeedSync,
    metrics: Arc<crate::metrics::Metrics>,
    mut shutdown: watch::Receiver<bool>,
) {
    if sync.refilled.is_empty() && sync.leftover.is_empty() {
        return;
    }
    // Counted until both steps end, so "0 refilling" means the database is settled.
    let feeds = i64::try_from(sync.refilled.len() + sync.leftover.len()).unwrap_or(i64::MAX);
    metrics.refilling(feeds);
    tokio::spawn(async move {
        // Shutdown first: once it has begun, no step starts and sends a write that
        // could land after shutdown's final checkpoint.
        tokio::select! {
            biased;
            _ = shutdown.wait_for(|stop| *stop) => {}
            done = store.refill_feeds(&sync) => {
                if let Err(error) = done {
                    tracing::error!(%error, feeds = ?sync.refilled, "feed membership not refilled; it will be at the next start");
                }
            }
        }
        // Then the rows no feed reads (feeds that take every item keep none).
        tokio::select! {
            biased;
            _ = shutdown.wait_for(|stop| *stop) => {}
            done = store.drop_leftover_rows(&sync) => {
                if let Err(error) = done {
                    tracing::warn!(%error, feeds = ?sync.leftover, "leftover feed rows not dropped; they will be at the next start");
                }
            }
        }
        metrics.refilling(-feeds);
    });
}

fn source_rows(config: &Config) -> Vec<(String, String)> {
    config
        .sources
        .iter()
        .map(|s| (s.name.clone(), s.url.to_string()))
        .collect()
}

impl App {
    /// Starts polling and serving `config` (read from `config_path`, for reloads).
    pub async fn start(config_path: &Path, config: Config) -> anyhow::Result<App> {
        let config = Arc::new(config);
        let (store, feed_sync) = open_store_pending(&config).await?;
        let fetcher = Fetcher::new(&config.fetch)?;
        let listener = tokio::net::TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        let addr = listener.local_addr()?;
        let (config_tx, config_rx) = watch::channel(Arc::clone(&config));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let heartbeat = Heartbeat::default();
        let publisher = Arc::new(Publisher::with_max_lag(
            store.clone(),
            crate::publish::MAX_LAG,
        ));
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let parsers =
            crate::parse_pool::ParsePool::per_core().context("cannot start the parsing threads")?;
        let ctx = PollContext::with_parsers(fetcher, store.clone(), Arc::clone(&metrics), parsers);
        let last_served = Arc::clone(&ctx.last_served);
        let articles = tokio::spawn(crate::articles::run(
            ctx.clone(),
            config_rx.clone(),
            shutdown_rx.clone(),
        ));
        let scheduler = tokio::spawn(schedule::run(
            ctx,
            config_rx.clone(),
            shutdown_rx.clone(),
            heartbeat.clone(),
        ));
        let upkeep = tokio::spawn(crate::upkeep::run(
            store.clone(),
            config_rx.clone(),
            shutdown_rx.clone(),
        ));
        let release_soon = ReleaseSoon::default();
        let releasing = tokio::spawn(release_soon.clone().run());
        let state = ServeState {
            config: config_rx,
            store: store.clone(),
            publisher: Arc::clone(&publisher),
            heartbeat: Some(heartbeat.clone()),
            metrics: Arc::clone(&metrics),
            release_soon,
        };
        spawn_refill(
            store.clone(),
            feed_sync,
            Arc::clone(&metrics),
            shutdown_rx.clone(),
        );
        let server = tokio::spawn(serve::serve(listener, state, shutdown_rx));
        tracing::info!(%addr, sources = config.sources.len(), feeds = config.feeds.len(), "feedbraid started");
        Ok(App {
            addr,
            store,
            config_path: config_path.to_path_buf(),
            config: config_tx,
            publisher,
            heartbeat,
            shutdown: shutdown_tx,
            metrics,
            last_served,
            scheduler,
            articles,
            upkeep,
            server,
            releasing,
        })
    }

    /// Re-reads the config file and swaps it in whole; a broken file is logged with
    /// the same messages as `feedbraid check`, and the running config stays.
    pub async fn reload(&self) -> bool {
        let config = match Config::load(&self.config_path) {
            Ok(c) => c,
            Err(e) => {
                for line in e.to_string().lines() {
                    tracing::error!("reload refused: {line}");
                }
                return false;
            }
        };
        let old = self.config.borrow().clone();
        if config.server.listen != old.server.listen
            || config.storage.path != old.storage.path
            || config.storage.url != old.storage.url
        {
            tracing::warn!(
                "server.listen, storage.path and storage.url take effect at the next restart"
            );
        }
        if let Err(e) = self.store.sync_sources(source_rows(&config)).await {
            tracing::error!("reload refused: {e}");
            return false;
        }
        match self
            .store
            .begin_feeds(Arc::new(FeedSet::from_config(&config)))
            .await
        {
            Ok(sync) => spawn_refill(
                self.store.clone(),
                sync,
                Arc::clone(&self.metrics),
                self.shutdown.subscribe(),
            ),
            Err(e) => {
                tracing::error!("reload refused: {e}");
                return false;
            }
        }
        self.publisher.invalidate();
        self.last_served
            .keep_only(config.sources.iter().map(|source| source.name.as_str()));
        self.config.send_replace(Arc::new(config));
        true
    }

    /// Seconds since the polling loop last turned.
    pub fn heartbeat(&self) -> &Heartbeat {
        &self.heartbeat
    }

    /// Stops accepting, lets polls in flight finish (up to a grace period), then returns.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.shutdown.send_replace(true);
        let all = async {
            let polled = self.scheduler.await;
            let fetched = self.articles.await;
            let kept = self.upkeep.await;
            let served = self.server.await;
            (polled, fetched, kept, served)
        };
        match tokio::time::timeout(SHUTDOWN_GRACE, all).await {
            Ok((polled, fetched, kept, served)) => {
                polled.context("polling task")??;
                fetched.context("article task")??;
                kept.context("upkeep task")??;
                served.context("server task")??;
            }
            Err(_) => tracing::warn!("shutdown grace period over; abandoning polls in flight"),
        }
        self.releasing.abort();
        // Every handle but ours is gone: checkpoint so the next start finds a tidy file.
        self.store.checkpoint().await?;
        Ok(())
    }
}

/// `feedbraid run`: starts, tells systemd, reloads on SIGHUP, stops on SIGTERM/SIGINT.
pub async fn run(config_path: &Path, config: Config) -> anyhow::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    // Handlers first: a SIGTERM that comes while starting must stop us cleanly.
    let mut hangup = signal(SignalKind::hangup())?;
    let mut terminate = signal(SignalKind::terminate())?;
    let mut interrupt = signal(SignalKind::interrupt())?;
    let app = App::start(config_path, config).await?;
    // Starting ran on this thread (which now only waits for signals), and what it
    // freed would stay in the thread's cache for as long as the daemon runs.
    crate::allocator::release_thread_cache();
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
    let watchdog = watchdog_interval();
    let mut tick = tokio::time::interval(watchdog.unwrap_or(Duration::from_secs(3600)));
    loop {
        tokio::select! {
            _ = hangup.recv() => {
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Reloading]);
                if app.reload().await {
                    tracing::info!("configuration reloaded from {}", config_path.display());
                }
                crate::allocator::release_thread_cache();
                let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Ready]);
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            _ = tick.tick(), if watchdog.is_some() => {
                if alive(&app).await {
                    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Watchdog]);
                }
            }
        }
    }
    tracing::info!("stopping");
    let _ = sd_notify::notify(false, &[sd_notify::NotifyState::Stopping]);
    app.shutdown().await
}

/// Half the watchdog period systemd asked for, if it asked.
fn watchdog_interval() -> Option<Duration> {
    let mut usec = 0;
    sd_notify::watchdog_enabled(false, &mut usec).then(|| Duration::from_micros(usec / 2))
}

/// The daemon is alive when its polling loop turns and its store answers within
/// [`crate::store::PING_LIMIT`] (maintenance runs in chunks that leave it free).
async fn alive(app: &App) -> bool {
    app.heartbeat().state() == "ok"
        && app
            .store
            .ping_within(crate::store::PING_LIMIT)
            .await
            .is_ok()
}
