//! [`ParsePool`]: the threads that parse fetched documents, one per core, at a lower
//! CPU priority than the rest of the daemon.
//!
//! Parsing and sanitizing are most of ingest's CPU, and they are the part that can
//! wait: the store's single thread, which every poll waits on, and the async workers
//! that fetch and serve should get a core whenever they want one. With parsing on
//! tokio's blocking threads (one per fetched document, 32 at a time) the store got a
//! thirty-third of the CPU, fell behind, and the cores idled while every poll waited
//! for it. Here a fixed set of threads takes documents from a queue, and on Linux each
//! lowers its own priority by [`PARSE_NICE`], to the lowest there is: the kernel then
//! gives the store thread (or a thread fetching or serving) about 98 % of a core it
//! shares with a parser, so a burst of writes is not slowed by the parsers whose
//! documents will wait for it anyway (a parser at nice 10 keeps a tenth of that core,
//! enough to lengthen a poll of many sources by a few percent). The price: on a host
//! whose other work keeps every core busy at normal priority, parsing gets little
//! until a core is free. Owns threads, not tasks: they end when the last handle is
//! dropped.

use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::oneshot;

use crate::content_rules::SourceRules;
use crate::membership::WordsRecipe;
use crate::model::ParsedFeed;
use crate::parse::{self, KnownContent, ParseError};

/// How much lower than the daemon's the parsers' scheduling priority is (a nice
/// increment, which needs no privilege; the kernel stops at nice 19, the lowest).
pub const PARSE_NICE: i32 = 19;

type Job = Box<dyn FnOnce() + Send>;

/// A handle to the parsing threads; clones share them.
#[derive(Clone)]
pub struct ParsePool {
    jobs: mpsc::Sender<Job>,
}

impl ParsePool {
    /// Starts `threads` parsing threads (at least one).
    pub fn new(threads: usize) -> std::io::Result<ParsePool> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let queue = Arc::clone(&queue);
            std::thread::Builder::new()
                .name(format!("feedbraid-parse-{n}"))
                .spawn(move || {
                    lower_own_priority();
                    loop {
                        // The lock is held while waiting: one idle thread waits for
                        // the next job, the others for the lock.
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })?;
        }
        Ok(ParsePool { jobs })
    }

    /// One thread per core.
    pub fn per_core() -> std::io::Result<ParsePool> {
        ParsePool::new(std::thread::available_parallelism().map_or(2, usize::from))
    }

    /// Parses `body`, fetched from `url`, on one of the pool's threads; with
    /// `recipe`, also prepares every entry's words for topic filters
    /// ([`Entry::prepared_words`](crate::model::Entry::prepared_words)); with
    /// `rules`, applies the source's content rules; entries whose content is
    /// `known` are left for the store to complete if it must ([`KnownContent`]).
    pub async fn parse(
        &self,
        body: Vec<u8>,
        url: url::Url,
        http_charset: Option<String>,
        recipe: Option<WordsRecipe>,
        rules: Option<SourceRules>,
        known: Option<Arc<KnownContent>>,
    ) -> Result<ParsedFeed, ParseError> {
        let parse = move || {
            let charset = http_charset.as_deref();
            let (recipe, rules, known) = (recipe.as_ref(), rules.as_ref(), known.as_deref());
            parse::parse_feed_with_rules(&body, &url, charset, recipe, rules, known)
                .map(|(feed, _notes)| feed)
        };
        match self.run(parse).await {
            Ok(parsed) => parsed,
            // A panic is the parser's bug, not the source's: this document's failure.
            Err(PoolError::Panicked) => Err(ParseError::Invalid("the parser panicked".into())),
            Err(PoolError::Stopped) => Err(ParseError::Invalid(
                "the parsing threads have stopped".into(),
            )),
        }
    }

    /// Runs `work` on one of the pool's threads and waits for its result. A panic
    /// in `work` is reported, and the thread goes on with the next job.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work))
                .map_err(|_| PoolError::Panicked);
            let _ = reply.send(result);
        });
        self.jobs.send(job).map_err(|_| PoolError::Stopped)?;
        answer.await.map_err(|_| PoolError::Stopped)?
    }
}

/// Why work sent to the pool gave no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("the work panicked")]
    Panicked,
    #[error("the parsing threads have stopped")]
    Stopped,
}

/// Lowers the calling thread's CPU priority by [`PARSE_NICE`]; on Linux the nice
/// value belongs to the thread. Elsewhere it would apply to the whole process, so
/// it is left alone. A refusal is logged, and parsing goes on at the same priority.
fn lower_own_priority() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: getpriority/setpriority take plain integers and touch no memory of
        // ours; `who = 0` means the calling thread on Linux.
        let changed = unsafe {
            let current = libc::getpriority(libc::PRIO_PROCESS, 0);
            libc::setpriority(libc::PRIO_PROCESS, 0, current.saturating_add(PARSE_NICE))
        };
        if changed != 0 {
            tracing::debug!(error = %std::io::Error::last_os_error(), "parsing threads keep the daemon's priority");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::membership::{self, Candidate};
    use crate::model::PreparedWords;

    #[tokio::test]
    async fn parses_on_the_pool_and_reports_bad_documents() {
        let pool = ParsePool::new(2).unwrap();
        let url = url::Url::parse("https://news.example.com/feed.xml").unwrap();
        let rss = "<rss version=\"2.0\"><channel><title>T</title><item><title>Iran talks</title>\
                   <link>https://news.example.com/a</link></item></channel></rss>";
        let parsed = pool
            .parse(rss.as_bytes().to_vec(), url.clone(), None, None, None, None)
            .await
            .unwrap();
        assert_eq!(parsed.entries[0].title, "Iran talks");
        assert!(parsed.entries[0].prepared_words.is_none());
        let recipe = WordsRecipe {
            source: "harbor".into(),
            tags: vec!["middle-east".into()],
            screen: None,
            filters: 0,
        };
        let with_words = pool
            .parse(
                rss.as_bytes().to_vec(),
                url.clone(),
                None,
                Some(recipe.clone()),
                None,
                None,
            )
            .await
            .unwrap();
        let entry = &with_words.entries[0];
        let expected = PreparedWords::Prepared(membership::prepare_words(
            &Candidate::of_entry("harbor", entry),
            &recipe.tags,
        ));
        assert_eq!(entry.prepared_words.as_ref(), Some(&expected));
        // The same document again, its entry known from the last poll: what only a
        // new or edited item needs is left to the store; unknown content gets it.
        let parse_knowing = |known: KnownContent| {
            let recipe = Some(recipe.clone());
            pool.parse(
                rss.as_bytes().to_vec(),
                url.clone(),
                None,
                recipe,
                None,
                Some(Arc::new(known)),
            )
        };
        let repeat = parse_knowing(KnownContent::of([entry.content_hash.as_str()]))
            .await
            .unwrap();
        let repeated = &repeat.entries[0];
        assert_eq!(repeated.content_hash, entry.content_hash);
        assert_eq!(
            (repeated.key.as_str(), repeated.text.as_str()),
            (entry.key.as_str(), entry.text.as_str())
        );
        assert!(repeated.fingerprint.is_none() && repeated.packed_html.is_none());
        assert!(repeated.prepared_words.is_none());
        let other = parse_knowing(KnownContent::of(["another"])).await.unwrap();
        assert_eq!(&other.entries[0], entry);
        let many = (0..8)
            .map(|_| pool.parse(rss.as_bytes().to_vec(), url.clone(), None, None, None, None));
        for parsed in futures_util::future::join_all(many).await {
            assert_eq!(parsed.unwrap().entries.len(), 1);
        }
        assert!(
            pool.parse(b"not a feed".to_vec(), url, None, None, None, None)
                .await
                .is_err()
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn parsing_threads_run_at_a_lower_priority() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // SAFETY: plain integer calls about the calling thread.
            let before = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
            lower_own_priority();
            let after = unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) };
            tx.send((before, after)).unwrap();
        });
        let (before, after) = rx.recv().unwrap();
        assert_eq!(after, (before + PARSE_NICE).min(19));
    }
}
