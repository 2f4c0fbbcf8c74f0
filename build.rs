//! Link settings of the `feedbraid` binary.
//!
//! On glibc 2.36 and later (native builds) the binary's relative relocations are
//! packed (`DT_RELR`): a position-independent executable otherwise carries a table of
//! about a megabyte of them, all read, and so kept resident, at every start. The
//! daemon's idle memory is a target (BENCHMARKS.md). An older glibc refuses such a
//! binary, so it is linked as before there, and whenever cross-compiling.
//!
//! On native Linux builds against glibc where the linker takes a symbol ordering
//! file (LLD, rustc's default on x86_64 Linux since 1.90; a one-line program is
//! linked with it to find out), the functions the daemon runs are laid out first,
//! in the order of `link/code-order.txt` (made by `scripts/code_order.sh`, with the
//! names of the release build and of the build `cargo bench` starts). The kernel
//! maps the 64 KiB around every page of code a thread runs, so code the daemon runs
//! scattered among code it never runs (the PostgreSQL driver, the command line's
//! other commands, error paths) keeps most of the binary's 12 MB resident; laid out
//! together, about half as much. A name the list holds that the binary lacks (after
//! a change of toolchain or dependency, say) is skipped, and that function stays
//! where the linker puts it: the binary works the same, only with more of it
//! resident.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    // The folder, not the file: a list created where none was is noticed too.
    println!("cargo:rerun-if-changed=link");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    // What may name another linker. Cargo does not say when a config file's
    // `linker` or `rustflags` change; `cargo clean -p feedbraid` probes again.
    let triple = var("TARGET").to_uppercase().replace('-', "_");
    for name in [
        "RUSTFLAGS".to_string(),
        "CARGO_BUILD_RUSTFLAGS".to_string(),
        "CARGO_ENCODED_RUSTFLAGS".to_string(),
        format!("CARGO_TARGET_{triple}_LINKER"),
        format!("CARGO_TARGET_{triple}_RUSTFLAGS"),
    ] {
        println!("cargo:rerun-if-env-changed={name}");
    }
    let native = var("HOST") == var("TARGET");
    if !native || var("CARGO_CFG_TARGET_OS") != "linux" || var("CARGO_CFG_TARGET_ENV") != "gnu" {
        return;
    }
    if glibc_version().is_some_and(|version| version >= (2, 36)) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let order = Path::new(&var("CARGO_MANIFEST_DIR")).join(CODE_ORDER);
    if !order.is_file() {
        println!(
            "cargo:warning={CODE_ORDER} is absent: the binary is linked in the linker's own order"
        );
    } else if linker_orders_symbols(&order) {
        println!("cargo:rustc-link-arg-bins={}", ordering_link_arg(&order));
    }
}

/// The functions the daemon runs, most run first, one symbol name per line (a line
/// that names no symbol of the binary, as a section's `# …` heading, is skipped).
const CODE_ORDER: &str = "link/code-order.txt";

/// Whether the linker this build uses takes `--symbol-ordering-file`: a program of
/// one empty `main` is linked with it, with the build's own flags. LLD does (rustc's
/// own, the default on x86_64 Linux since 1.90); GNU ld does not, and a build that
/// names it, or a toolchain that links with it, is linked as the linker chooses.
fn linker_orders_symbols(order: &Path) -> bool {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let Ok(out_dir) = std::env::var("OUT_DIR").map(PathBuf::from) else {
        return false;
    };
    let probe = out_dir.join("ordering_probe.rs");
    if std::fs::write(&probe, "fn main() {}\n").is_err() {
        return false;
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let mut command = Command::new(rustc);
    command
        .arg("--target")
        .arg(var("TARGET"))
        .arg("--crate-name")
        .arg("ordering_probe")
        .arg("-o")
        .arg(out_dir.join("ordering_probe"))
        .arg(format!("-Clink-arg={}", ordering_link_arg(order)));
    let flags = var("CARGO_ENCODED_RUSTFLAGS");
    command.args(flags.split('\x1f').filter(|flag| !flag.is_empty()));
    if let Ok(linker) = std::env::var("RUSTC_LINKER") {
        command.arg(format!("-Clinker={linker}"));
    }
    command
        .arg(&probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The argument that makes the linker lay out `order`'s functions first.
fn ordering_link_arg(order: &Path) -> String {
    format!(
        "-Wl,--symbol-ordering-file={},--no-warn-symbol-ordering",
        order.display()
    )
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
