//! The `instanext` server, built inside the test crate so that tests can run
//! it as a process of its own (`CARGO_BIN_EXE_instanext-server`).

fn main() -> std::process::ExitCode {
    instanext_api::cli::main()
}
