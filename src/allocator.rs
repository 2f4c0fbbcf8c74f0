//! Tuning of the C allocator (glibc's malloc) that every thread allocates from:
//! how many arenas it keeps, which blocks it maps on their own, and handing freed
//! pages back to the system after work that leaves the heap full of holes.
//! Elsewhere than glibc all of it does nothing.
//!
//! The idle daemon's resident memory is a target (BENCHMARKS.md): glibc returns
//! freed memory to the system only from the top of a heap, so a render or a prune
//! that frees a few megabytes in the middle keeps them resident until the holes
//! are reused.

/// Caps the allocator's arenas at [`arena_limit`] and fixes the size from which an
/// allocation gets its own mapping, before any thread starts.
///
/// - Arenas: glibc gives threads up to eight arenas per core, and memory freed into
///   one arena stays mapped there: polls move between tokio's workers, the parse
///   pool and the store thread, so peak memory would grow with the arenas they
///   touched rather than with the work in flight (see BENCHMARKS.md, `notmod
///   --loop`). Too few, and the busy threads queue on each other's arena lock.
/// - Mappings: by default glibc raises that size to the largest block freed so far,
///   so after the first large feed document every later one is carved from an
///   arena, and a burst of them (a backlog of 1 MiB documents after downtime) leaves
///   the arenas holding the burst's peak. Fixed at [`OWN_MAPPING_FROM`], a document
///   or response body that large is mapped on its own and unmapped when freed
///   (BENCHMARKS.md, `farm backlog`).
pub fn limit_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets allocator parameters; it is called before any other
    // thread exists, so nothing allocates concurrently.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arena_limit());
        libc::mallopt(libc::M_MMAP_THRESHOLD, OWN_MAPPING_FROM);
    }
}

/// One arena per core, for the parse pool's threads (one per core), and two more
/// for the store's writer and the rest: with fewer, the threads that are busy during
/// an ingest share arenas and wait on each other's arena lock for every item's
/// allocations (BENCHMARKS.md, "Allocator arenas"). At most [`MOST_ARENAS`]: what
/// each arena holds on to adds up, and the memory targets are measured with four.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn arena_limit() -> libc::c_int {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    libc::c_int::try_from((cores + 2).min(MOST_ARENAS)).unwrap_or(2)
}

/// The cap on [`arena_limit`]: beyond eight parsers, several share an arena.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MOST_ARENAS: usize = 10;

/// Allocations from this size get a mapping of their own: well above an item's
/// text or a typical feed document (tens of kilobytes), where a system call per
/// allocation would cost more than it returns.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const OWN_MAPPING_FROM: libc::c_int = 256 * 1024;

/// Hands the free pages inside the heaps back to the system. It walks every arena
/// under its lock (well under a millisecond on a daemon's few megabytes), so it is
/// called after work that freed much (a feed rendered, a page of every source
/// served, upkeep, a database thread idle after a burst of jobs), never per item or
/// per feed request.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe (it takes each arena's lock) and only
    // returns pages that hold no allocation.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Asks for [`release_free_memory`] a moment after a response that freed much:
/// its body is freed only once sent, and many requests close together are served
/// by one release. Cloning shares the asking; [`ReleaseSoon::run`] does the work.
#[derive(Debug, Clone, Default)]
pub struct ReleaseSoon(std::sync::Arc<tokio::sync::Notify>);

/// How long after a request for a release it is done.
pub const RELEASE_DELAY: std::time::Duration = std::time::Duration::from_secs(1);

impl ReleaseSoon {
    /// Asks for a release after [`RELEASE_DELAY`]; asks made meanwhile add nothing.
    pub fn request(&self) {
        self.0.notify_one();
    }

    /// Releases after each request, until the task running it is stopped.
    pub async fn run(self) {
        loop {
            self.0.notified().await;
            tokio::time::sleep(RELEASE_DELAY).await;
            let _ = tokio::task::spawn_blocking(release_free_memory).await;
        }
    }
}
