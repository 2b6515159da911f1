//! The import graph of `harness/src` has no circle, between top-level modules (the layers of
//! lib.rs: spec → data → model/train → run → parts → suite → claims/report → driver → cli) or
//! between any two files. Imports are read from the source text: every `crate::…` path and every
//! `super::…` path outside comments, resolved to the deepest module file it names. A module and
//! its own ancestors are not edges (a child may use its parent's items, a parent declares its
//! children).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn source_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            source_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` and `src/a/b/mod.rs` are module `a::b`; `src/lib.rs` is the crate root.
fn module_of(src: &Path, file: &Path) -> Module {
    let relative = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Module = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// Source without `//` comments (doc links are not imports) and without string literals.
fn code(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut previous = ' ';
        let mut kept = String::new();
        let chars: Vec<char> = line.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if !in_string && c == '/' && chars.get(i + 1) == Some(&'/') {
                break;
            }
            if c == '"' && previous != '\\' {
                in_string = !in_string;
            } else if !in_string {
                kept.push(c);
            }
            previous = c;
            i += 1;
        }
        out.push_str(&kept);
        out.push('\n');
    }
    out
}

/// Every path after `anchor` (`crate::` or `super::`), with `{a, b::c}` groups expanded.
fn paths_after(code: &str, anchor: &str) -> Vec<String> {
    fn expand(prefix: &str, rest: &str, out: &mut Vec<String>) {
        let head: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let tail = &rest[head.len()..];
        let full = format!("{prefix}{head}");
        if tail.starts_with('{') && (full.is_empty() || full.ends_with("::")) {
            let mut depth = 0;
            let mut item = String::new();
            for c in tail.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        if depth > 1 {
                            item.push(c);
                        }
                    }
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            expand(&full, item.trim(), out);
                            return;
                        }
                        item.push(c);
                    }
                    ',' if depth == 1 => {
                        expand(&full, item.trim(), out);
                        item.clear();
                    }
                    _ => item.push(c),
                }
            }
        } else {
            out.push(full.trim_end_matches(':').to_owned());
        }
    }
    let mut out = Vec::new();
    for (at, _) in code.match_indices(anchor) {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue; // `super::` inside `super::super::`, or part of another path.
        }
        expand("", &code[at + anchor.len()..], &mut out);
    }
    out
}

fn is_ancestor(a: &[String], b: &[String]) -> bool {
    a.len() <= b.len() && b[..a.len()] == *a
}

/// A cycle of `graph`, if any, as the list of its nodes.
fn find_cycle<N: Ord + Clone>(graph: &BTreeMap<N, BTreeSet<N>>) -> Option<Vec<N>> {
    fn visit<N: Ord + Clone>(
        node: &N,
        graph: &BTreeMap<N, BTreeSet<N>>,
        state: &mut BTreeMap<N, u8>,
        stack: &mut Vec<N>,
    ) -> Option<Vec<N>> {
        match state.get(node) {
            Some(2) => return None,
            Some(1) => {
                let start = stack.iter().position(|n| n == node).unwrap();
                let mut cycle = stack[start..].to_vec();
                cycle.push(node.clone());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(node.clone(), 1);
        stack.push(node.clone());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, state, stack) {
                return Some(cycle);
            }
        }
        stack.pop();
        state.insert(node.clone(), 2);
        None
    }
    let mut state = BTreeMap::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut state, &mut Vec::new()))
}

fn import_graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    source_files(&src, &mut files);
    files.retain(|f| !f.ends_with("main.rs"));
    let modules: BTreeSet<Module> = files.iter().map(|f| module_of(&src, f)).collect();
    let resolve = |path: Module| -> Option<Module> {
        (1..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|m| modules.contains(m))
    };
    let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for file in &files {
        let from = module_of(&src, file);
        let text = code(&std::fs::read_to_string(file).unwrap());
        let mut targets: Vec<Module> = paths_after(&text, "crate::")
            .into_iter()
            .map(|p| p.split("::").map(str::to_owned).collect())
            .collect();
        // `super` of `a/b.rs` (module a::b) is `a`; of `a/b/mod.rs` (module a::b) also `a`.
        let parent: Module = from[..from.len().saturating_sub(1)].to_vec();
        for path in paths_after(&text, "super::") {
            let mut target = parent.clone();
            target.extend(path.split("::").map(str::to_owned));
            targets.push(target);
        }
        let entry = graph.entry(from.clone()).or_default();
        for target in targets.into_iter().filter_map(resolve) {
            if !is_ancestor(&target, &from) && !is_ancestor(&from, &target) {
                entry.insert(target);
            }
        }
    }
    graph
}

#[test]
fn no_file_imports_in_a_circle() {
    let graph = import_graph();
    assert!(
        graph.len() > 30,
        "found the sources: {} modules",
        graph.len()
    );
    if let Some(cycle) = find_cycle(&graph) {
        let names: Vec<String> = cycle.iter().map(|m| m.join("::")).collect();
        panic!("import circle: {}", names.join(" → "));
    }
}

#[test]
fn top_level_modules_form_layers() {
    let mut layers: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, targets) in import_graph() {
        let Some(top) = from.first() else { continue };
        let entry = layers.entry(top.clone()).or_default();
        for target in targets {
            if target[0] != *top {
                entry.insert(target[0].clone());
            }
        }
    }
    if let Some(cycle) = find_cycle(&layers) {
        panic!("layers import in a circle: {}", cycle.join(" → "));
    }
    // The bottom layer imports nothing of plm, the spec layer only the bottom.
    for bottom in ["util", "figure", "progress"] {
        assert!(
            layers[bottom].is_empty(),
            "{bottom} imports {:?}",
            layers[bottom]
        );
    }
    assert!(
        layers["spec"].iter().all(|m| m == "util"),
        "spec imports {:?}",
        layers["spec"]
    );
    assert!(
        layers["data"]
            .iter()
            .all(|m| ["util", "spec"].contains(&m.as_str())),
        "generators take specs, never suites: data imports {:?}",
        layers["data"]
    );
}

/// The checker itself finds a circle and expands grouped imports.
#[test]
fn the_checker_sees_grouped_imports_and_circles() {
    let found = paths_after(
        "use crate::{a::{b, c::D}, e};\nlet x = super::f::G;",
        "crate::",
    );
    assert_eq!(found, ["a::b", "a::c::D", "e"]);
    assert_eq!(paths_after("super::f::G", "super::"), ["f::G"]);
    let mut graph: BTreeMap<u8, BTreeSet<u8>> = BTreeMap::new();
    graph.entry(1).or_default().insert(2);
    graph.entry(2).or_default().insert(3);
    assert!(find_cycle(&graph).is_none());
    graph.entry(3).or_default().insert(1);
    assert_eq!(find_cycle(&graph), Some(vec![1, 2, 3, 1]));
}
