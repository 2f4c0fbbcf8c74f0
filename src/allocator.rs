//! The allocators every thread allocates from, and their tuning. On Linux with glibc,
//! Rust's allocations go to jemalloc ([`JEMALLOC_SETTINGS`], installed by the binary
//! with [`product_allocator!`](crate::product_allocator)), and the C libraries
//! (SQLite, zstd) allocate from glibc's malloc, whose arenas are capped
//! ([`limit_arenas`]). Both keep what is freed for reuse; [`release_free_memory`]
//! hands it back to the system after work that freed much. Elsewhere the system
//! allocator serves everything and none of the tuning applies.
//!
//! Why jemalloc for Rust's allocations: parsing builds and drops many small strings
//! per item (feed-rs's model, html5ever's tree, the item's fields). jemalloc serves
//! them from per-thread caches and size classes, where glibc's malloc splits, merges
//! and consolidates free blocks under an arena's lock: a tenth of ingest's CPU
//! against jemalloc's 4 % (BENCHMARKS.md, "Allocators").
//!
//! The idle daemon's resident memory is a target (BENCHMARKS.md): an allocator
//! keeps freed pages resident until it decides to return them, so a render or a
//! prune that freed a few megabytes would keep them without the release.

/// Makes jemalloc, with [`JEMALLOC_SETTINGS`], the allocator of Rust's allocations
/// in the binary that invokes it, once, at its root: the daemon's, and the benches
/// and tests that run the product's code. Left to the binary, not set by this
/// library, so that a bench can count allocations with an allocator of its own.
/// It defines two statics, `FEEDBRAID_ALLOCATOR` and `FEEDBRAID_JEMALLOC_CONF`.
#[macro_export]
macro_rules! product_allocator {
    () => {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        #[global_allocator]
        static FEEDBRAID_ALLOCATOR: $crate::allocator::Jemalloc = $crate::allocator::Jemalloc;

        // Read by jemalloc under the name its prefixed build gives `malloc_conf`.
        // Defined in the invoking crate (whose objects are always linked) and
        // `#[used]`, so the linker never leaves it out for jemalloc's default.
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        #[used]
        #[unsafe(export_name = "_rjem_malloc_conf")]
        static FEEDBRAID_JEMALLOC_CONF: $crate::allocator::MallocConf =
            $crate::allocator::MallocConf::PRODUCT;
    };
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
pub use tikv_jemallocator::Jemalloc;

/// jemalloc's settings, read at its first allocation; the environment's
/// `_RJEM_MALLOC_CONF` overrides them.
///
/// - `percpu_arena:percpu`: one arena per CPU, each thread allocating from the arena
///   of the CPU it runs on. Arenas grow with the cores, not with the threads (the
///   memory freed into an arena stays with it), and no two running threads share one.
/// - `dirty_decay_ms:1000`: while threads allocate, freed pages go back to the system
///   over about a second rather than ten, so a burst of polls does not hold its peak
///   for long. jemalloc purges only when an arena is used (it runs no thread of its
///   own here): what an idle arena holds is handed back by [`release_free_memory`].
/// - `tcache_max:4096`: each thread caches blocks up to 4 KiB, not 32 KiB.
/// - `oversize_threshold:1048576`: blocks from 1 MiB (the largest feed documents
///   and their bodies) come from an arena that returns them when freed, so a burst
///   of them (a backlog after downtime) is not kept. Smaller large blocks stay in
///   the arenas: a body of a few hundred kilobytes, the HTTP client's read buffer
///   that grows with it (256–408 KiB on a body of more than a few dozen kilobytes)
///   and the parser's buffers are freed with each document, and returning each one
///   costs an madvise, a flush of the other cores' TLBs and its pages faulted in
///   again by the next document. Against 512 KiB: a poll of the real-news snapshots
///   (16 of 758 documents pass 512 KiB) faults 27,000–31,000 pages, not 41,000, and
///   is 2–4 % faster; 10,000 overdue 1 MiB documents (`farm backlog`) take 24.6–27.9
///   s of CPU, not 28.3–29.8 s, at the same peak (98.7–101.7 MiB, target 150 MB).
///   At 2 MiB the backlog takes half the CPU, but a cycle of 10,000 304s peaks at
///   36–39 MiB against a target of 40 MB.
pub const JEMALLOC_SETTINGS: &std::ffi::CStr =
    c"percpu_arena:percpu,dirty_decay_ms:1000,tcache_max:4096,oversize_threshold:1048576";

/// A pointer to jemalloc's settings, the shape of C's `const char *malloc_conf`
/// ([`product_allocator!`] defines it).
#[repr(transparent)]
pub struct MallocConf(*const std::ffi::c_char);

impl MallocConf {
    pub const PRODUCT: MallocConf = MallocConf(JEMALLOC_SETTINGS.as_ptr());
}

// SAFETY: it only ever points to a static, immutable string.
unsafe impl Sync for MallocConf {}

/// Caps glibc's arenas at [`arena_limit`] and fixes the size from which an
/// allocation gets its own mapping, before any thread starts. glibc serves the C
/// libraries' allocations (SQLite's page caches and statements on the store's
/// threads, zstd's contexts on the parse pool's), and whatever Rust allocates where
/// jemalloc is not installed.
///
/// - Arenas: glibc gives threads up to eight arenas per core, and memory freed into
///   one arena stays mapped there, so what the threads' caches and statements hold
///   would grow with the arenas they touched. Too few, and the busy threads queue on
///   each other's arena lock.
/// - Mappings: by default glibc raises that size to the largest block freed so far,
///   so after the first large block every later one is carved from an arena, which
///   then holds a burst's peak. Fixed at [`OWN_MAPPING_FROM`], a block that large is
///   mapped on its own and unmapped when freed.
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
/// for the store's two threads: with fewer, threads busy at once share arenas and
/// wait on each other's arena lock (BENCHMARKS.md, "Allocators"). At most
/// [`MOST_ARENAS`]: what each arena holds on to adds up, and the memory targets are
/// measured with four.
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

/// Hands the free pages inside both allocators' heaps back to the system, after the
/// calling thread's cache ([`release_thread_cache`]). It walks every arena under its
/// lock (well under a millisecond on a daemon's few megabytes), so it is called
/// after work that freed much (a feed rendered, a page of every source served,
/// upkeep, a database thread idle after a burst of jobs), never per item or per feed
/// request.
pub fn release_free_memory() {
    release_thread_cache();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim is thread-safe (it takes each arena's lock) and only
    // returns pages that hold no allocation.
    unsafe {
        libc::malloc_trim(0);
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    jemalloc_control(c"arena.4096.purge");
}

/// [`release_free_memory`] from async code: on a blocking thread (it takes each
/// arena's lock and makes system calls), waited for.
pub async fn release_free_memory_off_worker() {
    let _ = tokio::task::spawn_blocking(release_free_memory).await;
}

/// Returns the blocks the calling thread's jemalloc cache holds (each thread keeps
/// freed small blocks for its next allocations, a few hundred kilobytes after a
/// burst of work) to their arenas, where a page with no block left in use can go
/// back to the system. For a thread about to wait for a while: the main thread once
/// the daemon has started, a thread that freed much, a database thread idle.
pub fn release_thread_cache() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    jemalloc_control(c"thread.idle");
}

/// Runs jemalloc's control `name`, one that reads and writes no value (4096 in an
/// arena's place is every arena); `true` when it ran.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn jemalloc_control(name: &std::ffi::CStr) -> bool {
    // SAFETY: the name is NUL-terminated, and a control that takes no value is
    // given null pointers for both.
    unsafe {
        tikv_jemalloc_sys::mallctl(
            name.as_ptr(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            0,
        ) == 0
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
            release_free_memory_off_worker().await;
        }
    }
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Reads jemalloc's option `name`, of type `T`.
    fn jemalloc_option<T: Default>(name: &std::ffi::CStr) -> Option<T> {
        let mut value = T::default();
        let mut len = std::mem::size_of::<T>();
        // SAFETY: `value` has room for `len` bytes, the option's size.
        let status = unsafe {
            tikv_jemalloc_sys::mallctl(
                name.as_ptr(),
                (&raw mut value).cast(),
                &mut len,
                std::ptr::null_mut(),
                0,
            )
        };
        (status == 0 && len == std::mem::size_of::<T>()).then_some(value)
    }

    #[test]
    fn rust_allocations_go_to_jemalloc_with_our_settings() {
        if std::env::var_os("_RJEM_MALLOC_CONF").is_some() {
            println!("skipped: _RJEM_MALLOC_CONF overrides the settings");
            return;
        }
        // The settings are a symbol jemalloc looks up by name: these read its
        // defaults (10 s, 8 MiB) if the symbol were renamed or left out by the linker.
        assert_eq!(jemalloc_option::<isize>(c"opt.dirty_decay_ms"), Some(1000));
        assert_eq!(
            jemalloc_option::<usize>(c"opt.oversize_threshold"),
            Some(1 << 20)
        );
        assert_eq!(jemalloc_option::<usize>(c"opt.tcache_max"), Some(4096));
        // A block Rust allocated is one jemalloc knows the size of.
        let block = vec![0u8; 1000];
        // SAFETY: the pointer is a live allocation.
        let size = unsafe { tikv_jemalloc_sys::malloc_usable_size(block.as_ptr().cast()) };
        assert!(size >= 1000);
        assert!(jemalloc_control(c"arena.4096.purge"));
        assert!(jemalloc_control(c"thread.idle"));
        release_free_memory();
    }
}
