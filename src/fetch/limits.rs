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
    hosts: Mutex<Hosts>,
}

/// The table, and the size at which idle hosts are next swept out of it.
struct Hosts {
    slots: HashMap<String, Arc<HostSlots>>,
    sweep_at: usize,
}

/// Hosts are swept from the table once it holds this many (and then at twice the
/// number left), so ten thousand sources do not keep ten thousand idle entries.
const SWEEP_FLOOR: usize = 256;

impl HostLimits {
    pub(super) fn new(per_host: usize, spacing: Duration) -> HostLimits {
        HostLimits {
            per_host: per_host.max(1),
            spacing,
            hosts: Mutex::new(Hosts {
                slots: HashMap::new(),
                sweep_at: SWEEP_FLOOR,
            }),
        }
    }

    /// Waits for a slot for `host`, then for its turn after the previous request to
    /// that host started. The permit is the slot; drop it when the request is done.
    pub(super) async fn acquire(&self, host: &str) -> Result<OwnedSemaphorePermit, FetchError> {
        let slots = self.slots_of(host)?;
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

    /// A slot for `host` and its turn now, if both are free; else what to wait for.
    /// Never waits: a dispatcher asks for hosts whose sources it could start, and
    /// keeps the others queued rather than holding a place in line for them.
    pub(super) fn try_acquire(&self, host: &str) -> Result<OwnedSemaphorePermit, HostWait> {
        let slots = self.slots_of(host).map_err(|_| HostWait::Slot)?;
        let Ok(permit) = Arc::clone(&slots.in_flight).try_acquire_owned() else {
            return Err(HostWait::Slot);
        };
        let mut next = slots.next_start.lock().map_err(|_| HostWait::Slot)?;
        let now = Instant::now();
        if *next > now {
            return Err(HostWait::Until(*next));
        }
        *next = now + self.spacing;
        Ok(permit)
    }

    /// Keeps requests to `host` from starting before `until`: the host asked us to
    /// wait (a 429 or 503), and every request to it, feed or article page, waits.
    pub(super) fn hold(&self, host: &str, until: Instant) {
        if let Ok(slots) = self.slots_of(host)
            && let Ok(mut next) = slots.next_start.lock()
        {
            *next = (*next).max(until);
        }
    }

    fn slots_of(&self, host: &str) -> Result<Arc<HostSlots>, FetchError> {
        let slots = {
            let mut hosts = self
                .hosts
                .lock()
                .map_err(|_| FetchError::Other("host table poisoned".into()))?;
            if hosts.slots.len() >= hosts.sweep_at {
                let now = Instant::now();
                // Idle: nobody holds or waits for its slots, and its spacing has passed.
                hosts.slots.retain(|_, slots| {
                    Arc::strong_count(slots) > 1
                        || slots.in_flight.available_permits() < self.per_host
                        || slots.next_start.lock().map_or(true, |next| *next > now)
                });
                hosts.sweep_at = (2 * hosts.slots.len()).max(SWEEP_FLOOR);
            }
            Arc::clone(
                hosts
                    .slots
                    .entry(host.to_ascii_lowercase())
                    .or_insert_with(|| {
                        Arc::new(HostSlots {
                            in_flight: Arc::new(Semaphore::new(self.per_host)),
                            next_start: Mutex::new(Instant::now()),
                        })
                    }),
            )
        };
        Ok(slots)
    }
}

/// Why a host has no turn now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostWait {
    /// Its slots are all taken: it has a turn when one of its requests ends.
    Slot,
    /// Its spacing: its next turn is at this time.
    Until(Instant),
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
    async fn a_held_host_waits_and_others_do_not() {
        let limits = HostLimits::new(2, Duration::ZERO);
        let begin = Instant::now();
        limits.hold("busy.example", begin + Duration::from_secs(60));
        assert_eq!(
            limits.try_acquire("busy.example").err(),
            Some(HostWait::Until(begin + Duration::from_secs(60)))
        );
        drop(limits.acquire("calm.example").await.unwrap());
        assert_eq!(begin.elapsed(), Duration::ZERO);
        drop(limits.acquire("busy.example").await.unwrap());
        assert_eq!(begin.elapsed(), Duration::from_secs(60));
    }

    #[tokio::test(start_paused = true)]
    async fn idle_hosts_are_forgotten() {
        let limits = HostLimits::new(1, Duration::from_millis(10));
        for i in 0..(3 * SWEEP_FLOOR) {
            drop(limits.acquire(&format!("h{i}.example")).await.unwrap());
            tokio::time::advance(Duration::from_millis(20)).await;
        }
        let left = limits.hosts.lock().unwrap().slots.len();
        assert!(left <= SWEEP_FLOOR, "{left} hosts kept");
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
