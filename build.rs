//! Link settings of the `feedbraid` binary.
//!
//! On glibc 2.36 and later (native builds) the binary's relative relocations are
//! packed (`DT_RELR`): a position-independent executable otherwise carries a table of
//! about a megabyte of them, all read, and so kept resident, at every start. The
//! daemon's idle memory is a target (BENCHMARKS.md). An older glibc refuses such a
//! binary, so it is linked as before there, and whenever cross-compiling.

use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let native = var("HOST") == var("TARGET");
    if native
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && glibc_version().is_some_and(|version| version >= (2, 36))
    {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
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
