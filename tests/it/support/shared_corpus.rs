//! The real-world corpora in `../shared/corpus/` beside the repository (see its
//! README): where an archive is, and unpacking it into a temporary folder. Used by
//! the replay bench and test and the robustness test (each includes it with `#[path]`
//! as the module `shared_corpus`); they skip with a message where it is absent.

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
