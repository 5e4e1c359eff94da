//! The modules of `emulator/src` import each other in one direction only: a
//! cycle would mean neither side can be read, tested or moved without the
//! other.
//!
//! The graph is read from the source. Each file is a module (`arm/routes.rs`
//! is `arm::routes`, `arm/mod.rs` is `arm`); every path it names, whether
//! `crate::a::b`, `super::b`, `self::b` or a child declared with `mod b;`,
//! is an edge to the longest module that path starts with. The crate roots
//! are left out: `lib.rs` only declares and re-exports the modules, and
//! `main.rs` is a separate crate. Below a file's first `#[cfg(test)]`,
//! `super` means the file's own module, so only `crate::` paths count there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: Vec<(String, String)> = rust_files(&src)
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            (module_of(file.strip_prefix(&src).unwrap()), text)
        })
        .collect();
    let known: BTreeSet<String> = files.iter().map(|(module, _)| module.clone()).collect();
    files
        .iter()
        .filter(|(module, _)| !module.is_empty() && module != "main")
        .map(|(module, text)| (module.clone(), edges(module, text, &known)))
        .collect()
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// `arm/routes.rs` → `arm::routes`, `arm/mod.rs` → `arm`, `lib.rs` → `` (the root).
fn module_of(relative: &Path) -> String {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts.join("::")
}

/// The modules `module` refers to, other than itself and the root.
fn edges(module: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let production = code.split("#[cfg(test)]").next().unwrap_or_default();
    let own: Vec<&str> = if module.is_empty() {
        Vec::new()
    } else {
        module.split("::").collect()
    };
    let parent = &own[..own.len().saturating_sub(1)];

    let mut paths: Vec<Vec<String>> = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        // `pub(in crate::x)` is a visibility, not a use.
        if !code[..at].ends_with("in ") && !preceded_by_ident(&code, at) {
            paths.extend(expand(&code[at + "crate::".len()..], &[]));
        }
    }
    for (keyword, base) in [("super::", parent), ("self::", &own[..])] {
        for (at, _) in production.match_indices(keyword) {
            if !preceded_by_ident(production, at) {
                let base: Vec<String> = base.iter().map(|s| (*s).to_owned()).collect();
                paths.extend(expand(&production[at + keyword.len()..], &base));
            }
        }
    }
    for child in declared_children(production) {
        let needle = format!("{child}::");
        for (at, _) in production.match_indices(&needle) {
            if !preceded_by_ident(production, at) {
                let base: Vec<String> = own.iter().map(|s| (*s).to_owned()).collect();
                paths.extend(expand(&production[at..], &base));
            }
        }
    }
    paths
        .iter()
        .filter_map(|path| longest_module(path, known))
        .filter(|target| !target.is_empty() && target != module)
        .collect()
}

/// Whether the text before `at` ends in part of a path or identifier, so
/// that `a::crate::` or `mycrate::` is not taken for `crate::`.
fn preceded_by_ident(text: &str, at: usize) -> bool {
    text[..at]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// The names of `mod name;` declarations.
fn declared_children(code: &str) -> Vec<String> {
    code.lines()
        .filter_map(|line| {
            let line = line.trim();
            let line = line.strip_prefix("pub ").unwrap_or(line);
            let line = line.strip_prefix("pub(crate) ").unwrap_or(line);
            line.strip_prefix("mod ")?
                .strip_suffix(';')
                .map(|name| name.trim().to_owned())
        })
        .collect()
}

/// The full paths written at the start of `text`, after `prefix`:
/// `a::b::C` is one, `a::{b, c::{D, E}}` three.
fn expand(text: &str, prefix: &[String]) -> Vec<Vec<String>> {
    let mut path = prefix.to_vec();
    let mut rest = text;
    loop {
        let ident: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if ident.is_empty() {
            if let Some(group) = rest.strip_prefix('{') {
                let end = matching_brace(group);
                return split_top_level(&group[..end])
                    .into_iter()
                    .flat_map(|item| match item.trim() {
                        "self" | "" => vec![path.clone()],
                        item => expand(item, &path),
                    })
                    .collect();
            }
            return vec![path];
        }
        rest = &rest[ident.len()..];
        path.push(ident);
        match rest.strip_prefix("::") {
            Some(after) => rest = after,
            None => return vec![path],
        }
    }
}

fn matching_brace(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return i,
            '}' => depth -= 1,
            _ => {}
        }
    }
    text.len()
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&text[start..]);
    items
}

/// The longest known module `path` starts with (`` for the root).
fn longest_module(path: &[String], known: &BTreeSet<String>) -> Option<String> {
    (0..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|candidate| known.contains(candidate))
}

/// A cycle through `start`, if there is one; only modules after `start`
/// are visited, so each cycle is reported once, from its least module.
fn cycle_from(graph: &Graph, start: &str, path: &mut Vec<String>) -> Option<Vec<String>> {
    for next in graph.get(path.last().unwrap()).into_iter().flatten() {
        if next == start {
            let mut cycle = path.clone();
            cycle.push(start.to_owned());
            return Some(cycle);
        }
        if !path.contains(next) && next.as_str() > start {
            path.push(next.clone());
            if let Some(cycle) = cycle_from(graph, start, path) {
                return Some(cycle);
            }
            path.pop();
        }
    }
    None
}

#[test]
fn emulator_modules_import_each_other_in_one_direction_only() {
    let graph = graph();
    assert!(graph.len() >= 15, "read only {} modules", graph.len());
    assert!(
        graph.values().map(BTreeSet::len).sum::<usize>() >= 30,
        "read too few edges: {graph:?}"
    );
    let cycles: Vec<String> = graph
        .keys()
        .filter_map(|start| cycle_from(&graph, start, &mut vec![start.clone()]))
        .map(|cycle| cycle.join(" → "))
        .collect();
    assert!(cycles.is_empty(), "import cycles:\n{}", cycles.join("\n"));
}

#[test]
fn the_graph_reader_sees_every_kind_of_path() {
    let known: BTreeSet<String> = ["", "a", "a::b", "a::b::c", "d", "e", "f", "g"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    let text = "\
mod c;
use crate::{d::{self, X}, e::Y};
use super::Z;
// crate::f is only mentioned
pub(in crate::g) fn h() { c::run(); crate::API_VERSION; self::k(); }
#[cfg(test)]
mod tests { use super::*; use crate::f::T; }
";
    let found = edges("a::b", text, &known);
    assert_eq!(
        found.into_iter().collect::<Vec<_>>(),
        ["a", "a::b::c", "d", "e", "f"]
    );

    let mut cyclic = Graph::new();
    cyclic.insert("x".to_owned(), BTreeSet::from(["y".to_owned()]));
    cyclic.insert("y".to_owned(), BTreeSet::from(["z".to_owned()]));
    cyclic.insert("z".to_owned(), BTreeSet::from(["x".to_owned()]));
    assert_eq!(
        cycle_from(&cyclic, "x", &mut vec!["x".to_owned()]),
        Some(
            vec!["x", "y", "z", "x"]
                .into_iter()
                .map(str::to_owned)
                .collect()
        )
    );
}
