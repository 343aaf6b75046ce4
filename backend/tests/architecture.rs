//! The server's layers, read from its source. Data flows down: handlers
//! (`routes`, `slack`, `cli`, the workers) call the engine (`engine`, and
//! `notify` composing notices), which calls the store (`store`, the one place
//! SQL lives); nothing below calls back up.
//!
//! Every file under `backend/src` belongs to its top-level module (`foo.rs`
//! and `foo/…` to `foo`). A module imports another when its code names
//! `crate::other…` (in `use` lines, grouped `use crate::{…}` lines, or inline
//! paths); comments, string literals and `#[cfg(test)]` items are left out.
//! The checks:
//!
//! 1. the graph of top-level modules has no cycle, nor have the files
//!    inside one module;
//! 2. every module has a layer ([`LAYERS`]) and imports none above it;
//! 3. only `store/` (and `connector/`, which talks to target systems) names
//!    the database drivers (`rusqlite`, `postgres::`, `tokio_postgres`).
//!
//! To see the graph (DOT), a tool rather than a test:
//!
//! ```text
//! cargo run -q -p gatehouse --example import_graph | dot -Tsvg > imports.svg
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

const SRC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src");

/// The layers, lowest first. A module imports modules of its own layer and
/// of the layers below, never of one above; every module of lib.rs has one.
/// (The README prints this table.)
pub const LAYERS: &[(&str, &[&str])] = &[
    (
        "foundation: time, errors, secrets, parsing, protocols",
        &[
            "clock",
            "error",
            "hex",
            "uri",
            "memo",
            "passwords",
            "proxy",
            "security_headers",
            "scim",
            "secrets",
            "totp",
        ],
    ),
    ("connectors: the target systems", &["connector"]),
    ("store: SQL, the one place it lives", &["store"]),
    (
        "services over the store",
        &[
            "lease",
            "login_limit",
            "idp",
            "demo",
            "metrics",
            "ops",
            "observe",
            "portal",
            "notify",
        ],
    ),
    ("engine: the request lifecycle", &["engine"]),
    (
        "what handlers share: state, sign-in, transport, extractors",
        &["state", "auth", "transport", "extract"],
    ),
    (
        "handlers: the API, Slack, MCP, the CLI, the workers",
        &["routes", "slack", "mcp", "cli", "worker"],
    ),
    (
        "the server: router, listener, command-line arguments",
        &["app", "listener", "args"],
    ),
];
/// The database drivers, named only by the store (and connectors).
const DRIVERS: &[&str] = &["rusqlite", "postgres::", "tokio_postgres"];
/// Directories (top-level modules) allowed to name the drivers.
const DRIVER_MODULES: &[&str] = &["store", "connector"];

// ---------------------------------------------------------------------------
// Reading the source

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut entries: Vec<_> = fs::read_dir(dir)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The path of `file` under `backend/src`, with `/` separators.
fn relative(file: &Path) -> String {
    file.strip_prefix(SRC)
        .unwrap()
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The top-level module a file belongs to: `store` for `store.rs` and
/// `store/…`. None for the crate roots (`lib.rs`, `main.rs`).
fn module_of(relative: &str) -> Option<String> {
    if relative == "lib.rs" || relative == "main.rs" {
        return None;
    }
    let first = relative.split('/').next().unwrap_or_default();
    Some(first.trim_end_matches(".rs").to_owned())
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The code of a Rust file without its comments, and with string and char
/// literals emptied (`""`, `' '`), so that neither a doc comment nor a
/// message naming `crate::x` counts as an import, and braces stay balanced.
fn strip_comments_and_literals(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut i = 0;
    let at = |i: usize| chars.get(i).copied().unwrap_or('\0');
    while i < chars.len() {
        let c = chars[i];
        let previous_is_ident = i > 0 && is_ident(chars[i - 1]);
        // Line comment (also `///` and `//!`).
        if c == '/' && at(i + 1) == '/' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        // Block comment, nested.
        if c == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
            continue;
        }
        // Raw string: r"…", r#"…"#, br#"…"# (but not the raw identifier r#name).
        if !previous_is_ident && (c == 'r' || (c == 'b' && at(i + 1) == 'r')) {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            let mut hashes = 0;
            while at(j) == '#' {
                hashes += 1;
                j += 1;
            }
            if at(j) == '"' {
                j += 1;
                loop {
                    if j >= chars.len() {
                        break;
                    }
                    if chars[j] == '"' && (0..hashes).all(|k| at(j + 1 + k) == '#') {
                        j += 1 + hashes;
                        break;
                    }
                    j += 1;
                }
                out.push_str("\"\"");
                i = j;
                continue;
            }
        }
        // String or byte string.
        if c == '"' || (c == 'b' && !previous_is_ident && at(i + 1) == '"') {
            let mut j = if c == 'b' { i + 2 } else { i + 1 };
            while j < chars.len() && chars[j] != '"' {
                if chars[j] == '\\' {
                    j += 1;
                }
                j += 1;
            }
            out.push_str("\"\"");
            i = j + 1;
            continue;
        }
        // Char literal ('x', '\n', '\'', '\u{7f}'); a lifetime ('a) is kept.
        if c == '\'' {
            if at(i + 1) == '\\' {
                let mut j = i + 2;
                while j < chars.len() && chars[j] != '\'' {
                    j += 1;
                }
                // '\'' : the escaped quote is not the end.
                if j == i + 2 {
                    j += 1;
                    while j < chars.len() && chars[j] != '\'' {
                        j += 1;
                    }
                }
                out.push_str("' '");
                i = j + 1;
                continue;
            }
            if at(i + 2) == '\'' {
                out.push_str("' '");
                i += 3;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The code without its `#[cfg(test)]` items (test modules, test-only
/// functions and imports). Takes code already stripped of comments and literals.
fn strip_test_items(code: &str) -> String {
    const MARK: &str = "#[cfg(test)]";
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(start) = rest.find(MARK) {
        out.push_str(&rest[..start]);
        let item = &rest[start + MARK.len()..];
        // The item ends at its first `;` outside braces, or where its first
        // brace block closes (`mod tests { … }`, `fn f() { … }`).
        let mut depth = 0usize;
        let mut end = item.len();
        let mut in_attribute = 0usize;
        for (offset, c) in item.char_indices() {
            match c {
                '[' => in_attribute += 1,
                ']' => in_attribute = in_attribute.saturating_sub(1),
                '{' if in_attribute == 0 => depth += 1,
                '}' if in_attribute == 0 => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = offset + 1;
                        break;
                    }
                }
                ';' if depth == 0 && in_attribute == 0 => {
                    end = offset + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The first path segments after every `crate::` (and `$crate::`) in `code`:
/// `crate::store::x` gives `store`, `use crate::{auth::A, store}` gives
/// `auth` and `store`.
fn crate_paths(code: &str) -> BTreeSet<String> {
    segments_after(code, "crate")
}

/// The first path segments after every `root::` in `code` (`root` a whole
/// word: `crate`, `super`), each entry of a `root::{…}` group included.
fn segments_after(code: &str, root: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let text = code;
    let mut search = 0;
    while let Some(found) = text[search..].find(root) {
        let start = search + found;
        search = start + root.len();
        let before = text[..start].chars().next_back();
        if before.is_some_and(is_ident) {
            continue;
        }
        let after = text[search..].trim_start();
        let Some(after) = after.strip_prefix("::") else {
            continue;
        };
        let after = after.trim_start();
        if let Some(group) = after.strip_prefix('{') {
            // A group: the first segment of each entry at its top level.
            let mut depth = 0usize;
            let mut entry_start = true;
            let mut entry = String::new();
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        if !entry.is_empty() {
                            names.insert(std::mem::take(&mut entry));
                        }
                        entry_start = true;
                        continue;
                    }
                    _ => {}
                }
                if depth == 0 && entry_start {
                    if is_ident(c) {
                        entry.push(c);
                    } else if !entry.is_empty() {
                        names.insert(std::mem::take(&mut entry));
                        entry_start = false;
                    }
                }
            }
            if !entry.is_empty() {
                names.insert(entry);
            }
        } else {
            let name: String = after.chars().take_while(|c| is_ident(*c)).collect();
            if !name.is_empty() {
                names.insert(name);
            }
        }
    }
    names.remove("self");
    names
}

/// The crate's top-level modules (`mod x;` in lib.rs) and what lib.rs
/// re-exports from them (`pub use store::db;` makes `crate::db` mean `store`).
fn top_level(lib: &str) -> (BTreeSet<String>, BTreeMap<String, String>) {
    let code = strip_comments_and_literals(lib);
    let mut modules = BTreeSet::new();
    let mut aliases = BTreeMap::new();
    for statement in code.split(';') {
        let words: Vec<&str> = statement.split_whitespace().collect();
        let words: Vec<&str> = words
            .into_iter()
            .skip_while(|w| w.starts_with("pub") || w.starts_with("#["))
            .collect();
        match words.as_slice() {
            ["mod", name] => {
                modules.insert((*name).to_owned());
            }
            ["use", ..] => {
                let path: String = words[1..].join(" ");
                let Some((module, rest)) = path.split_once("::") else {
                    continue;
                };
                let rest = rest.trim().trim_start_matches('{').trim_end_matches('}');
                for item in rest.split(',') {
                    let item = item.trim();
                    let alias = match item.split_once(" as ") {
                        Some((_, alias)) => alias.trim(),
                        None => item.rsplit("::").next().unwrap_or(item),
                    };
                    if !alias.is_empty() {
                        aliases.insert(alias.to_owned(), module.trim().to_owned());
                    }
                }
            }
            _ => {}
        }
    }
    (modules, aliases)
}

/// module → module it imports → the files that do.
pub type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

pub struct Source {
    /// (path under src, module, code without comments and literals)
    files: Vec<(String, Option<String>, String)>,
    modules: BTreeSet<String>,
    graph: Graph,
}

pub fn read_source() -> Source {
    let lib = fs::read_to_string(Path::new(SRC).join("lib.rs")).unwrap();
    let (modules, aliases) = top_level(&lib);
    let mut files = Vec::new();
    let mut graph: Graph = modules
        .iter()
        .map(|m| (m.clone(), BTreeMap::new()))
        .collect();
    for file in rust_files(Path::new(SRC)) {
        let relative = relative(&file);
        let module = module_of(&relative);
        let code = strip_comments_and_literals(&fs::read_to_string(&file).unwrap());
        if let Some(module) = &module {
            assert!(
                modules.contains(module),
                "{relative} is not under a module declared in lib.rs"
            );
            for name in crate_paths(&strip_test_items(&code)) {
                // A re-export of lib.rs counts as the module it comes from;
                // anything else at the root (an exported macro) is no module.
                let target = if modules.contains(&name) {
                    name
                } else if let Some(module) = aliases.get(&name) {
                    module.clone()
                } else {
                    continue;
                };
                if &target != module {
                    add_edge(&mut graph, module, &target, &relative);
                }
            }
        }
        files.push((relative, module, code));
    }
    Source {
        files,
        modules,
        graph,
    }
}

// ---------------------------------------------------------------------------
// The graph

/// `from` imports `to` in `file`.
fn add_edge(graph: &mut Graph, from: &str, to: &str, file: &str) {
    graph
        .entry(from.to_owned())
        .or_default()
        .entry(to.to_owned())
        .or_default()
        .insert(file.to_owned());
}

/// Strongly connected components with more than one module: each is a set of
/// modules that import one another in a circle.
fn tangles(graph: &Graph) -> Vec<Vec<String>> {
    // Tarjan's algorithm.
    struct State<'a> {
        graph: &'a Graph,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        next: usize,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(state: &mut State<'a>, node: &'a str) {
        state.index.insert(node, state.next);
        state.low.insert(node, state.next);
        state.next += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        let graph = state.graph;
        for target in graph.get(node).into_iter().flat_map(|t| t.keys()) {
            let target = target.as_str();
            if !state.index.contains_key(target) {
                visit(state, target);
                let low = state.low[target].min(state.low[node]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(target) {
                let low = state.index[target].min(state.low[node]);
                state.low.insert(node, low);
            }
        }
        if state.low[node] == state.index[node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(top);
                component.push(top.to_owned());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.found.push(component);
            }
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.found
}

/// A shortest cycle through `start` inside `component`: `start -> … -> start`.
fn cycle_through(graph: &Graph, component: &[String], start: &str) -> Vec<String> {
    let inside = |m: &str| component.iter().any(|c| c == m);
    let mut came_from: BTreeMap<String, String> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.to_owned()]);
    while let Some(node) = queue.pop_front() {
        for target in graph.get(&node).into_iter().flat_map(|t| t.keys()) {
            if target == start {
                let mut path = vec![node.clone()];
                let mut at = node.clone();
                while let Some(previous) = came_from.get(&at) {
                    path.push(previous.clone());
                    at = previous.clone();
                }
                path.reverse();
                path.push(start.to_owned());
                return path;
            }
            if inside(target) && !came_from.contains_key(target) {
                came_from.insert(target.clone(), node.clone());
                queue.push_back(target.clone());
            }
        }
    }
    vec![start.to_owned()]
}

fn describe_edge(graph: &Graph, from: &str, to: &str) -> String {
    let files: Vec<&str> = graph[from][to].iter().map(String::as_str).collect();
    format!("  {from} -> {to}: {}", files.join(", "))
}

/// The graph in Graphviz DOT: one box per layer (highest first), one node
/// per top-level module, one edge per import, labelled with how many files
/// import.
pub fn dot(source: &Source) -> String {
    let mut out = String::from(
        "digraph imports {\n  rankdir=TB;\n  node [shape=box, fontname=\"sans-serif\"];\n",
    );
    for (layer, (name, modules)) in LAYERS.iter().enumerate().rev() {
        out.push_str(&format!(
            "  subgraph cluster_{layer} {{\n    label=\"{name}\";\n"
        ));
        for module in modules.iter().filter(|m| source.modules.contains(**m)) {
            out.push_str(&format!("    \"{module}\";\n"));
        }
        out.push_str("  }\n");
    }
    for module in &source.modules {
        out.push_str(&format!("  \"{module}\";\n"));
    }
    for (from, targets) in &source.graph {
        for (to, files) in targets {
            out.push_str(&format!(
                "  \"{from}\" -> \"{to}\" [label=\"{}\", tooltip=\"{}\"];\n",
                files.len(),
                files.iter().cloned().collect::<Vec<_>>().join(" ")
            ));
        }
    }
    out.push_str("}\n");
    out
}

// ---------------------------------------------------------------------------
// The checks

#[test]
fn no_module_imports_its_way_back_to_itself() {
    let source = read_source();
    let graph = &source.graph;
    let mut report = String::new();
    for component in tangles(graph) {
        report.push_str(&format!(
            "{{{}}} import one another:\n",
            component.join(", ")
        ));
        // The shortest cycle through each module of the tangle, each once.
        let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
        for module in &component {
            let cycle = cycle_through(graph, &component, module);
            let mut key = cycle[1..].to_vec();
            let first = key.iter().position(|m| m == key.iter().min().unwrap_or(m));
            key.rotate_left(first.unwrap_or(0));
            if !seen.insert(key) {
                continue;
            }
            report.push_str(&format!("cycle: {}\n", cycle.join(" -> ")));
            for pair in cycle.windows(2) {
                report.push_str(&describe_edge(graph, &pair[0], &pair[1]));
                report.push('\n');
            }
        }
    }
    assert!(
        report.is_empty(),
        "top-level modules import each other in a circle; move the logic \
         to the lower layer (handlers -> engine -> store):\n{report}"
    );
}

#[test]
fn every_module_has_a_layer_and_imports_none_above_it() {
    let source = read_source();
    let layer_of: BTreeMap<&str, usize> = LAYERS
        .iter()
        .enumerate()
        .flat_map(|(layer, (_, modules))| modules.iter().map(move |m| (*m, layer)))
        .collect();
    let missing: Vec<&String> = source
        .modules
        .iter()
        .filter(|m| !layer_of.contains_key(m.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "modules with no layer in LAYERS (tests/architecture.rs): {missing:?}"
    );
    let mut upward = Vec::new();
    for (from, targets) in &source.graph {
        for to in targets.keys() {
            if layer_of[to.as_str()] > layer_of[from.as_str()] {
                upward.push(format!(
                    "{} (layer {} imports layer {})",
                    describe_edge(&source.graph, from, to),
                    LAYERS[layer_of[from.as_str()]].0,
                    LAYERS[layer_of[to.as_str()]].0
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "a module imports a layer above its own; move the logic down \
         (handlers -> engine -> store):\n{}",
        upward.join("\n")
    );
}

/// Inside a module, the files import one another without a circle too:
/// `engine/decide.rs` and `engine/lifecycle.rs` once did, through helpers
/// that now live in `engine.rs`. (A file and its own submodules count as
/// one; the module's root file, which declares them, is left out.)
#[test]
fn no_file_imports_its_way_back_to_itself_within_a_module() {
    let source = read_source();
    let mut report = String::new();
    for module in &source.modules {
        let graph = sibling_graph(&source, module);
        for component in tangles(&graph) {
            report.push_str(&format!(
                "in {module}/: {{{}}} import one another\n",
                component.join(", ")
            ));
        }
    }
    assert!(report.is_empty(), "{report}");
}

/// The files directly under `src/<module>/` (a file with its submodules as
/// one), and which of them each imports, by `super::x` or `crate::<module>::x`.
fn sibling_graph(source: &Source, module: &str) -> Graph {
    let prefix = format!("{module}/");
    let sibling = |relative: &str| -> Option<String> {
        let rest = relative.strip_prefix(&prefix)?;
        let first = rest.split('/').next()?;
        Some(first.trim_end_matches(".rs").to_owned())
    };
    let siblings: BTreeSet<String> = source
        .files
        .iter()
        .filter_map(|(relative, _, _)| sibling(relative))
        .collect();
    let mut graph: Graph = siblings
        .iter()
        .map(|s| (s.clone(), BTreeMap::new()))
        .collect();
    for (relative, _, code) in &source.files {
        let Some(from) = sibling(relative) else {
            continue;
        };
        // Only a file directly under the module's folder reaches its
        // siblings with `super::`.
        let direct = relative.matches('/').count() == 1;
        // `crate::<module>::x` read as a path from the module's root.
        let code = strip_test_items(code).replace(&format!("crate::{module}::"), "module_root::");
        let mut names = segments_after(&code, "module_root");
        if direct {
            names.extend(segments_after(&code, "super"));
        }
        for to in names {
            if siblings.contains(&to) && to != from {
                add_edge(&mut graph, &from, &to, relative);
            }
        }
    }
    graph
}

#[test]
fn only_the_store_and_connectors_name_a_database_driver() {
    let source = read_source();
    let mut wrong = Vec::new();
    for (relative, module, code) in &source.files {
        if module
            .as_deref()
            .is_some_and(|m| DRIVER_MODULES.contains(&m))
        {
            continue;
        }
        for driver in DRIVERS {
            if names_driver(code, driver) {
                wrong.push(format!("  {relative} names {driver}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "SQL lives in backend/src/store (behind store::Conn); only it and \
         backend/src/connector may use a database driver:\n{}",
        wrong.join("\n")
    );
}

/// Whether `code` uses `driver` (a crate name, or `postgres::` as a path
/// root): `crate::connector::postgres::x` names the connector module, not
/// the driver.
fn names_driver(code: &str, driver: &str) -> bool {
    code.match_indices(driver).any(|(at, _)| {
        let before = &code[..at];
        if before.chars().next_back().is_some_and(is_ident) {
            return false;
        }
        let after = &code[at + driver.len()..];
        if !driver.ends_with("::") && after.chars().next().is_some_and(is_ident) {
            return false;
        }
        // `x::postgres::` is a module path, `::postgres::` the crate.
        match before.trim_end().strip_suffix("::") {
            Some(path) => !path.chars().next_back().is_some_and(is_ident),
            None => true,
        }
    })
}

// ---------------------------------------------------------------------------
// The reading itself, so that a green run means the graph was read.

#[test]
fn the_graph_holds_every_module_and_the_known_arrows() {
    let source = read_source();
    for module in [
        "routes", "slack", "engine", "notify", "store", "auth", "state",
    ] {
        assert!(
            source.modules.contains(module),
            "lib.rs declares no `{module}`"
        );
    }
    for (from, to) in [
        ("routes", "engine"),
        ("routes", "auth"),
        ("slack", "engine"),
        ("engine", "store"),
        ("engine", "notify"),
        ("notify", "store"),
        ("store", "error"),
    ] {
        assert!(
            source.graph[from].contains_key(to),
            "expected {from} -> {to} in the graph:\n{}",
            dot(&source)
        );
    }
}

#[test]
fn comments_literals_and_test_items_are_not_imports() {
    let source = r##"
        //! See [`crate::routes`].
        use crate::{
            error::AppError,
            store::{self, Conn}, // crate::slack
            engine,
        };
        use crate::{demo, extract::{A, B}, login_limit, portal::P};
        /* crate::notify /* nested crate::auth */ */
        fn f<'a>(x: &'a str) -> char {
            let _ = "crate::cli";
            let _ = r#"crate::demo"#;
            let _ = b"crate::uri";
            let _ = '{';
            let _ = '\'';
            crate::state::now();
            r#match::crate_like();
            '}'
        }
        #[cfg(test)]
        mod tests {
            use crate::worker;
            fn g() { crate::totp::x(); }
        }
        #[cfg(test)]
        use crate::memo;
        pub(crate) fn h() -> $crate::clock::Clock {}
    "##;
    let code = strip_test_items(&strip_comments_and_literals(source));
    let found: Vec<String> = crate_paths(&code).into_iter().collect();
    assert_eq!(
        found,
        [
            "clock",
            "demo",
            "engine",
            "error",
            "extract",
            "login_limit",
            "portal",
            "state",
            "store"
        ]
    );
    let all: Vec<String> = crate_paths(&strip_comments_and_literals(source))
        .into_iter()
        .collect();
    for name in ["memo", "totp", "worker"] {
        assert!(all.iter().any(|n| n == name), "{name} in {all:?}");
    }
    assert_eq!(all.len(), found.len() + 3);
}

#[test]
fn drivers_are_told_from_modules_of_the_same_name() {
    assert!(names_driver("use rusqlite::Connection;", "rusqlite"));
    assert!(names_driver(
        "let c = postgres::Client::connect(x)?;",
        "postgres::"
    ));
    assert!(names_driver("use ::postgres::Client;", "postgres::"));
    assert!(names_driver("tokio_postgres::connect(x)", "tokio_postgres"));
    assert!(!names_driver(
        "crate::connector::postgres::tls()",
        "postgres::"
    ));
    assert!(!names_driver(
        "use tokio_postgres_rustls::X;",
        "tokio_postgres"
    ));
    assert!(!names_driver("let my_rusqlite = 1;", "rusqlite"));
    let (modules, aliases) =
        top_level("pub mod store;\nmod app;\npub use store::db;\npub use app::{app, openapi};");
    assert_eq!(modules, BTreeSet::from(["app".into(), "store".into()]));
    assert_eq!(aliases["db"], "store");
    assert_eq!(aliases["openapi"], "app");
}
