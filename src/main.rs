//! The `feedbraid` binary: everything lives in the library; see `feedbraid::cli`.

feedbraid::product_allocator!();

fn main() -> std::process::ExitCode {
    feedbraid::cli::main()
}
