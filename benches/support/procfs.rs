//! Memory and CPU of a process from /proc (Linux): VmRSS, VmHWM (peak RSS), CPU time,
//! and resetting the peak so it covers one phase of a run.
#![allow(dead_code)]

/// A `kB` field of /proc/PID/status (`VmRSS`, `VmHWM`), in kB; `pid` `None` is us.
pub fn status_kb(pid: Option<u32>, key: &str) -> u64 {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

pub fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Resets this process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Bytes this process has handed to `write`-like calls so far (`wchar` of
/// /proc/self/io): for the store, its WAL frames and checkpoints, counted before the
/// page cache merges anything.
pub fn bytes_written() -> u64 {
    let text = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    text.lines()
        .find_map(|line| line.strip_prefix("wchar:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds of a process (assumes the usual 100 clock ticks/s).
pub fn cpu_seconds(pid: Option<u32>) -> f64 {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".to_string(),
    };
    cpu_seconds_of(&path)
}

/// User + system CPU seconds from a `stat` file of /proc.
fn cpu_seconds_of(path: &str) -> f64 {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let after = text.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of stat; 12 and 13 after the name and state.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// The machine line for reports: CPUs, model, memory, load.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = status_meminfo("MemTotal");
    format!(
        "{cpus} CPUs, {model}, {:.1} GiB RAM, loadavg {}",
        mem as f64 / 1024.0 / 1024.0,
        loadavg()
    )
}

pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn status_meminfo(key: &str) -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|r| r.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// User + system CPU seconds of this process's threads named `name` (their `comm`).
pub fn thread_cpu_seconds(name: &str) -> f64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    tasks
        .flatten()
        .filter(|task| {
            std::fs::read_to_string(task.path().join("comm")).is_ok_and(|comm| comm.trim() == name)
        })
        .map(|task| {
            let tid = task.file_name().to_string_lossy().into_owned();
            cpu_seconds_of(&format!("/proc/self/task/{tid}/stat"))
        })
        .sum()
}
