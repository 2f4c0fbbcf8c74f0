//! Link settings of the `feedbraid` binary.
//!
//! On glibc 2.36 and later (native builds) the binary's relative relocations are
//! packed (`DT_RELR`): a position-independent executable otherwise carries a table of
//! about a megabyte of them, all read, and so kept resident, at every start. The
//! daemon's idle memory is a target (BENCHMARKS.md). An older glibc refuses such a
//! binary, so it is linked as before there, and whenever cross-compiling.
//!
//! Where the linker is LLD (rustc's default on x86_64 Linux since 1.90, unless the
//! build names another linker), the functions the daemon runs are laid out first, in
//! the order of `link/code-order.txt` (made by `scripts/code_order.sh`, with the names
//! of the release build and of the build `cargo bench` starts). The kernel
//! maps the 64 KiB around every page of code a thread runs, so code the daemon runs
//! scattered among code it never runs (the PostgreSQL driver, the command line's
//! other commands, error paths) keeps most of the binary's 12 MB resident; laid out
//! together, about a third. A name the list holds that the binary lacks (after a
//! change of toolchain or dependency, say) is skipped, and that function stays where
//! the linker puts it: the binary works the same, only with more of it resident.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={CODE_ORDER}");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let native = var("HOST") == var("TARGET");
    if !native || var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    if glibc_version().is_some_and(|version| version >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    if links_with_rustc_lld() {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}/{CODE_ORDER},--no-warn-symbol-ordering",
            var("CARGO_MANIFEST_DIR")
        );
    }
}

/// The functions the daemon runs, most run first, one symbol name per line (a line
/// that names no symbol of the binary, as a section's `# …` heading, is skipped).
const CODE_ORDER: &str = "link/code-order.txt";

/// Whether the binary is linked by rustc's own LLD: x86_64 Linux, rustc 1.90 or
/// later, and no linker named by the build's configuration or flags (another
/// linker may not know `--symbol-ordering-file`).
fn links_with_rustc_lld() -> bool {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    var("CARGO_CFG_TARGET_ARCH") == "x86_64"
        && var("RUSTC_LINKER").is_empty()
        && !flags.contains("linker")
        && !flags.contains("link-self-contained")
        && rustc_minor_version().is_some_and(|minor| minor >= 90)
}

/// The minor version of the rustc building this crate (`rustc 1.95.0 (…)` → 95).
fn rustc_minor_version() -> Option<u32> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let version = text.split_whitespace().nth(1)?;
    let mut parts = version.split('.');
    (parts.next()? == "1").then_some(())?;
    parts.next()?.parse().ok()
}

/// The system's glibc version, from `getconf GNU_LIBC_VERSION` ("glibc 2.36").
fn glibc_version() -> Option<(u32, u32)> {
    let output = Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let (major, minor) = text.trim().strip_prefix("glibc ")?.split_once('.')?;
    let minor = minor.split('.').next()?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}
