//! The `instanext` binary; everything lives in the library.

fn main() -> std::process::ExitCode {
    instanext_api::cli::main()
}
