//! The `feedbraid` binary: everything lives in the library; see `feedbraid::cli`.

fn main() -> std::process::ExitCode {
    feedbraid::cli::main()
}
