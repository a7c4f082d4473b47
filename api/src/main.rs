//! The `instanext` binary; everything lives in the library.

/// mimalloc rather than the system allocator: answering a GraphQL request
/// builds and drops many small values, and on glibc's allocator that took a
/// quarter of a feed request's instructions (see the README's Benchmarks).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    instanext_api::cli::main()
}
