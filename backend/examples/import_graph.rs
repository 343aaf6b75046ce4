//! The server's import graph, read from its source the way
//! `tests/architecture.rs` checks it: Graphviz DOT on stdout, the top-level
//! modules boxed by layer, an edge per import labelled with how many files
//! import.
//!
//! ```text
//! cargo run -q -p gatehouse --example import_graph | dot -Tsvg > imports.svg
//! ```

#[allow(dead_code)]
#[path = "../tests/architecture.rs"]
mod architecture;

fn main() {
    print!("{}", architecture::dot(&architecture::read_source()));
}
