//! A command's output on stdout. Where it goes can fail in two ways a user meets:
//! the reader goes away (`feedbraid query … | head`), and the file fills up
//! (`feedbraid export-opml > /full/disk/feeds.opml`). `println!` panics on both.
//!
//! Here a reader that went away is not an error: the rest of the output is dropped
//! and the command finishes its work (a `poll` still stores what it fetched) and
//! exits as it would have. Any other failure is reported once, on stderr, and makes
//! the exit code 1, so a script that saves the output learns it is incomplete.

use std::fmt;
use std::io::{self, Write};
use std::sync::Mutex;

/// What became of the output so far.
enum State {
    Open,
    /// The reader went away; later output is dropped.
    ReaderGone,
    /// Writing failed otherwise; later output is dropped and the command fails.
    Failed(io::Error),
}

static STATE: Mutex<State> = Mutex::new(State::Open);

/// Writes `args` to stdout unless an earlier write failed; see the module comment.
/// Use through `out!` and `outln!`.
pub(super) fn write(args: fmt::Arguments<'_>) {
    let mut state = STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if !matches!(*state, State::Open) {
        return;
    }
    if let Err(error) = io::stdout().lock().write_fmt(args) {
        *state = failure(error);
    }
}

/// Flushes what is still buffered; `Err` when any write of the command's output
/// failed other than by its reader going away. Output after this is dropped.
pub(super) fn finish() -> io::Result<()> {
    let mut state = STATE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if matches!(*state, State::Open)
        && let Err(error) = io::stdout().lock().flush()
    {
        *state = failure(error);
    }
    match std::mem::replace(&mut *state, State::ReaderGone) {
        State::Failed(error) => Err(error),
        State::Open | State::ReaderGone => Ok(()),
    }
}

fn failure(error: io::Error) -> State {
    if error.kind() == io::ErrorKind::BrokenPipe {
        State::ReaderGone
    } else {
        State::Failed(error)
    }
}
