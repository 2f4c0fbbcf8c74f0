//! Cron jobs through tokio-cron-scheduler, guarded against its known trouble: every
//! schedule is evaluated in UTC (no DST drift of fixed offsets), and a job does
//! nothing but send a message on an unbounded channel — it never awaits, never
//! blocks, never polls — so a slow or busy consumer cannot make a repeated job
//! stop firing. The consumer (the polling loop) does the work.

use tokio::sync::mpsc;
use tokio_cron_scheduler::{Job, JobScheduler};

/// Starts a scheduler with one job per `(cron expression, message)`: each firing
/// sends its message on `due`. `None` when there are no jobs (nothing is started).
pub async fn start_enqueuing<M>(
    jobs: Vec<(String, M)>,
    due: mpsc::UnboundedSender<M>,
) -> anyhow::Result<Option<JobScheduler>>
where
    M: Clone + Send + Sync + 'static,
{
    if jobs.is_empty() {
        return Ok(None);
    }
    let scheduler = JobScheduler::new().await?;
    for (expr, message) in jobs {
        let due = due.clone();
        // `Job::new` evaluates the schedule in UTC.
        let job = Job::new(expr.as_str(), move |_, _| {
            let _ = due.send(message.clone());
        })?;
        scheduler.add(job).await?;
    }
    scheduler.start().await?;
    Ok(Some(scheduler))
}
