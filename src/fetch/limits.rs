//! Limits per host: at most `per_host` requests in flight to one host, and request
//! starts to one host spaced at least `spacing` apart, so a feed host never sees a
//! burst from us. Each host has its own slots and its own clock: a slow host only
//! holds its own slots.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use super::FetchError;

struct HostSlots {
    in_flight: Arc<Semaphore>,
    /// The earliest time the next request to this host may start.
    next_start: Mutex<Instant>,
}

/// The per-host slots and clocks, shared by every clone of a fetcher.
pub(super) struct HostLimits {
    per_host: usize,
    spacing: Duration,
    hosts: Mutex<HashMap<String, Arc<HostSlots>>>,
}

impl HostLimits {
    pub(super) fn new(per_host: usize, spacing: Duration) -> HostLimits {
        HostLimits {
            per_host: per_host.max(1),
            spacing,
            hosts: Mutex::new(HashMap::new()),
        }
    }

    /// Waits for a slot for `host`, then for its turn after the previous request to
    /// that host started. The permit is the slot; drop it when the request is done.
    pub(super) async fn acquire(&self, host: &str) -> Result<OwnedSemaphorePermit, FetchError> {
        let slots = {
            let mut hosts = self
                .hosts
                .lock()
                .map_err(|_| FetchError::Other("host table poisoned".into()))?;
            Arc::clone(hosts.entry(host.to_ascii_lowercase()).or_insert_with(|| {
                Arc::new(HostSlots {
                    in_flight: Arc::new(Semaphore::new(self.per_host)),
                    next_start: Mutex::new(Instant::now()),
                })
            }))
        };
        let permit = Arc::clone(&slots.in_flight)
            .acquire_owned()
            .await
            .map_err(|_| FetchError::Other("fetcher closed".into()))?;
        let start = {
            let mut next = slots
                .next_start
                .lock()
                .map_err(|_| FetchError::Other("host clock poisoned".into()))?;
            let start = (*next).max(Instant::now());
            *next = start + self.spacing;
            start
        };
        tokio::time::sleep_until(start).await;
        Ok(permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn requests_to_one_host_are_spaced_and_others_are_not() {
        let limits = Arc::new(HostLimits::new(4, Duration::from_millis(500)));
        let begin = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..3 {
            let _permit = limits.acquire("feeds.example").await.unwrap();
            starts.push(begin.elapsed());
        }
        assert_eq!(
            starts,
            vec![
                Duration::ZERO,
                Duration::from_millis(500),
                Duration::from_millis(1000)
            ]
        );
        let _other = limits.acquire("other.example").await.unwrap();
        assert_eq!(begin.elapsed(), Duration::from_millis(1000));
    }

    #[tokio::test(start_paused = true)]
    async fn at_most_per_host_slots_are_held() {
        let limits = HostLimits::new(2, Duration::ZERO);
        let a = limits.acquire("h").await.unwrap();
        let _b = limits.acquire("h").await.unwrap();
        let third = tokio::time::timeout(Duration::from_secs(5), limits.acquire("h")).await;
        assert!(third.is_err(), "a third slot was handed out");
        drop(a);
        assert!(limits.acquire("h").await.is_ok());
    }
}
