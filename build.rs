//! Links the unwinder statically on Linux with glibc, when the C toolchain has it.
//!
//! std needs an unwinder (for backtraces and panics) and by default takes it from the shared
//! `libgcc_s.so.1`. Loading that library, and its start-up probe of the CPU, is a measurable share
//! of `portfix who P` (issue 2 wants it at half the time `ss` takes): the static `libgcc_eh.a`
//! from the same GCC gives the same functions without it. Where the toolchain has no
//! `libgcc_eh.a` (not GCC's), nothing changes.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    let crt_static = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    if os != "linux" || env != "gnu" || crt_static.split(',').any(|f| f == "crt-static") {
        return;
    }
    let cc = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_owned());
    let Ok(out) = std::process::Command::new(cc).arg("-print-file-name=libgcc_eh.a").output() else {
        return;
    };
    let path = std::path::PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    // GCC prints the bare name back when it has no such file.
    if out.status.success() && path.is_absolute() && path.is_file() {
        if let Some(dir) = path.parent() {
            println!("cargo:rustc-link-search=native={}", dir.display());
        }
        println!("cargo:rustc-link-lib=static=gcc_eh");
    }
}
