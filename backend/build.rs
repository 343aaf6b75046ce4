//! Points the embedded portal at Trunk's output (`dist/` at the workspace root).
//!
//! When the portal has not been built (e.g. `cargo test` before `trunk build`),
//! an empty folder stands in, and the server answers `/` with a page saying how
//! to build the portal, so the backend still builds and its tests still run.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=GATEHOUSE_PORTAL_DIR");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = std::env::var("GATEHOUSE_PORTAL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("..").join("dist"));
    println!("cargo:rerun-if-changed={}", dist.display());
    println!(
        "cargo:rerun-if-changed={}",
        dist.join("index.html").display()
    );
    let folder = if dist.join("index.html").is_file() {
        dist
    } else {
        let empty = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("no-portal");
        if let Err(error) = std::fs::create_dir_all(&empty) {
            println!("cargo:warning=cannot create {}: {error}", empty.display());
        }
        empty
    };
    let folder = folder.canonicalize().unwrap_or(folder);
    println!(
        "cargo:rustc-env=GATEHOUSE_EMBEDDED_PORTAL={}",
        folder.display()
    );
}
