//! The real-world corpora in `../shared/corpus/` beside the repository (see its
//! README): where an archive is, and unpacking it into a temporary folder. Used by
//! the replay bench and test, the integration tests and the parser's unit tests that
//! read them (each includes it with `#[path]` as the module `shared_corpus`); they
//! skip with a message where it is absent ([`unpacked_or_skip`]).

use std::path::{Path, PathBuf};

/// Where an archive is looked for when `FEEDBRAID_CORPUS` names no folder holding it,
/// relative to the repository.
pub fn hint(name: &str) -> String {
    format!("../shared/corpus/{name}")
}

/// The archive `name`: in the folder `$FEEDBRAID_CORPUS`, else at [`hint`]; `None`
/// when neither exists.
pub fn archive(name: &str) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("FEEDBRAID_CORPUS").map(|dir| PathBuf::from(dir).join(name)),
        Some(Path::new(env!("CARGO_MANIFEST_DIR")).join(hint(name))),
    ];
    candidates.into_iter().flatten().find(|path| path.is_file())
}

/// The archive `name` unpacked into a temporary folder (removed when dropped), or
/// `None`, with the skip said on stdout, where it is absent. An archive that is
/// there but cannot be unpacked is the caller's failure: this panics.
pub fn unpacked_or_skip(name: &str) -> Option<tempfile::TempDir> {
    let Some(archive) = archive(name) else {
        println!(
            "skipped: no {name} at {} (set FEEDBRAID_CORPUS to the folder holding it)",
            hint(name)
        );
        return None;
    };
    Some(unpack(&archive).unwrap_or_else(|error| panic!("unpack {name}: {error}")))
}

/// `archive` unpacked into a temporary folder (removed when dropped).
pub fn unpack(archive: &Path) -> Result<tempfile::TempDir, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let status = std::process::Command::new("tar")
        .arg("-xJf")
        .arg(archive)
        .arg("-C")
        .arg(dir.path())
        .status()
        .map_err(|e| format!("tar: {e}"))?;
    if !status.success() {
        return Err(format!("tar -xJf {} failed: {status}", archive.display()));
    }
    Ok(dir)
}
