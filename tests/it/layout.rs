//! The crate's shape: its top-level modules form a DAG (ARCHITECTURE.md, "Which module may
//! import which"), the leaves import nothing of ours, and nothing imports the command
//! line. `src/` is read this way: a top-level module is a file or folder
//! under `src/` (not `lib.rs` or `main.rs`); it imports every module it names as
//! `crate::NAME` or inside `use crate::{…}`, comments and `#[cfg(test)]` code left out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Top-level module → the top-level modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

/// The import graph of the crate whose sources are under `src`.
fn graph(src: &Path) -> Graph {
    let mut files: BTreeMap<String, Vec<std::path::PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).expect("read src/") {
        let path = entry.expect("a src/ entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".rs") {
            if stem != "lib" && stem != "main" {
                files.entry(stem.to_owned()).or_default().push(path);
            }
        } else if path.is_dir() {
            let mut all = Vec::new();
            rust_files(&path, &mut all);
            files.entry(name).or_default().extend(all);
        }
    }
    let mut g = Graph::new();
    for (module, paths) in &files {
        let mut imports = BTreeSet::new();
        for p in paths {
            let text = std::fs::read_to_string(p).expect("read a source file");
            for name in named_modules(&text) {
                if name != *module && files.contains_key(&name) {
                    imports.insert(name);
                }
            }
        }
        g.insert(module.clone(), imports);
    }
    g
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read a folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first path segment of every `crate::` path in `text`, outside comments and before
/// the first `#[cfg(test)]`.
fn named_modules(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n");
    let code = code.split("#[cfg(test)]").next().unwrap_or_default();
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect()
    };
    let mut names = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // `use crate::{a, b::c, d::{e, f}}`: the names at the group's own depth.
            let group = group.split(';').next().unwrap_or_default();
            let mut depth = 0;
            let mut start = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start && depth == 0 => {
                        names.insert(ident(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            names.insert(ident(rest));
        }
    }
    names.retain(|n| !n.is_empty());
    names
}

/// The strongly connected components with more than one module: each a cycle of imports.
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'a> {
        g: &'a Graph,
        next: usize,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        found: Vec<Vec<String>>,
    }
    impl<'a> Tarjan<'a> {
        fn visit(&mut self, v: &'a str) {
            self.index.insert(v, self.next);
            self.low.insert(v, self.next);
            self.next += 1;
            self.stack.push(v);
            self.on_stack.insert(v);
            for w in self.g.get(v).into_iter().flatten() {
                let w = w.as_str();
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(lw);
                } else if self.on_stack.contains(w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).unwrap();
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                loop {
                    let w = self.stack.pop().unwrap();
                    self.on_stack.remove(w);
                    component.push(w.to_owned());
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut t = Tarjan {
        g,
        next: 0,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v.as_str()) {
            t.visit(v);
        }
    }
    t.found
}

/// One way round a cycle, `a → b → … → a`, for the failure message.
fn a_path_round(g: &Graph, cycle: &[String]) -> String {
    let inside: BTreeSet<&str> = cycle.iter().map(String::as_str).collect();
    let start = cycle[0].as_str();
    // Breadth-first from the start's imports back to the start, inside the cycle.
    let mut came_from: BTreeMap<&str, &str> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for w in &g[v] {
            let w = w.as_str();
            if !inside.contains(w) || came_from.contains_key(w) {
                continue;
            }
            came_from.insert(w, v);
            if w == start {
                let mut path = vec![start];
                let mut at = came_from[start];
                while at != start {
                    path.push(at);
                    at = came_from[at];
                }
                path.push(start);
                path.reverse();
                return path.join(" → ");
            }
            queue.push_back(w);
        }
    }
    cycle.join(", ")
}

fn crate_graph() -> Graph {
    graph(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

#[test]
fn no_top_level_module_imports_one_that_imports_it_back() {
    let g = crate_graph();

    let found = cycles(&g);

    let described: Vec<String> = found
        .iter()
        .map(|c| format!("{} (e.g. {})", c.join(" "), a_path_round(&g, c)))
        .collect();
    assert!(
        found.is_empty(),
        "top-level modules import each other in a cycle: {}",
        described.join("; ")
    );
}

#[test]
fn nothing_imports_the_command_line() {
    let g = crate_graph();

    let importers: Vec<&String> = g
        .iter()
        .filter(|(_, imports)| imports.contains("cmd"))
        .map(|(m, _)| m)
        .collect();

    assert!(g.contains_key("cmd"), "src/cmd/ is where the commands live");
    assert!(
        importers.is_empty(),
        "these modules import cmd: {importers:?}"
    );
}

#[test]
fn the_leaves_import_nothing_of_ours() {
    let g = crate_graph();

    for leaf in [
        "clock",
        "rng",
        "signing",
        "retry",
        "text",
        "record",
        "faults",
        "pyjson",
        "time_axis",
        "par",
    ] {
        let imports = g
            .get(leaf)
            .unwrap_or_else(|| panic!("no top-level module `{leaf}`"));
        assert!(imports.is_empty(), "{leaf} imports {imports:?}");
    }
}

#[test]
fn domain_modules_never_import_the_views() {
    let g = crate_graph();

    for (module, imports) in &g {
        if ["cmd", "report", "tui"].contains(&module.as_str()) {
            continue;
        }
        for view in ["report", "tui"] {
            assert!(!imports.contains(view), "{module} imports the view {view}");
        }
    }
}

#[test]
fn a_cycle_through_a_third_module_is_found_and_named() {
    let scratch = crate::utils::Scratch::new();
    scratch.file(
        "src/lib.rs",
        "pub mod a;\npub mod b;\npub mod c;\npub mod d;\n",
    );
    scratch.file(
        "src/a.rs",
        "use crate::b::B;\n// crate::d in a comment is no import\n",
    );
    scratch.file("src/b/mod.rs", "pub mod inner;\n");
    scratch.file("src/b/inner.rs", "use crate::{c::C, d::{self}};\n");
    scratch.file("src/c.rs", "fn f() { crate::a::go() }\n");
    scratch.file("src/d.rs", "#[cfg(test)]\nmod tests { use crate::a; }\n");

    let g = graph(&scratch.path().join("src"));
    let found = cycles(&g);

    assert_eq!(found, vec![vec!["a".to_owned(), "b".into(), "c".into()]]);
    assert_eq!(a_path_round(&g, &found[0]), "a → b → c → a");
    assert_eq!(g["b"], BTreeSet::from(["c".to_owned(), "d".into()]));
    assert!(g["d"].is_empty(), "test code is not an import");
}
