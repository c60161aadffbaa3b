//! The import rules of the house, checked on the sources: which top-level module of
//! `backend` may import which (the layers in `backend/src/lib.rs`), no import cycle
//! between the top-level modules of `backend` or of `app`, and a `//!` doc on every
//! module that heads a folder or stands at the top. A violation names the file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// `backend`'s foundation: imports no folder.
const FOUNDATION: &[&str] = &[
    "beacon",
    "botapi",
    "clock",
    "crypto",
    "db",
    "deps",
    "entities",
    "error",
    "ids",
    "leases",
    "stop",
    "tenancy",
    "webhook_index",
];

/// What each folder of `backend` may import besides the foundation.
const FOLDERS: &[(&str, &[&str])] = &[
    ("accounts", &[]),
    ("telegram", &[]),
    ("bots", &["accounts", "telegram"]),
    ("giveaways", &["accounts", "telegram", "bots"]),
    ("ops", &["accounts", "telegram", "bots", "giveaways"]),
];

/// An import of `crate::<target>` at `file:line`.
#[derive(Debug, Clone)]
struct Import {
    file: PathBuf,
    line: usize,
    target: String,
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file belongs to (`None` for `lib.rs`).
fn node_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(name) => Some(name.to_owned()),
        None => Some(first),
    }
}

/// Every `crate::x` (or `crate::{x, y::z}`) in code, comments left out.
fn imports_of(file: &Path) -> Vec<Import> {
    let text = std::fs::read_to_string(file).expect("readable source");
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let code = raw.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().last();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // e.g. `my_crate::`
            }
            let targets: Vec<String> = if let Some(group) = rest.strip_prefix('{') {
                // A group may span lines; the first line's names are enough for `use`
                // lists formatted by rustfmt only when short, so read ahead.
                let mut depth = 1;
                let mut body = String::new();
                let joined = format!(
                    "{group}\n{}",
                    text.lines().skip(i + 1).collect::<Vec<_>>().join("\n")
                );
                for c in joined.chars() {
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                    if depth == 1 {
                        body.push(c);
                    } else {
                        body.push(' ');
                    }
                }
                body.split(',')
                    .filter_map(|part| {
                        let name: String = part
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        (!name.is_empty()).then_some(name)
                    })
                    .collect()
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                vec![name]
            };
            for target in targets.into_iter().filter(|t| !t.is_empty()) {
                out.push(Import {
                    file: file.to_owned(),
                    line: i + 1,
                    target,
                });
            }
        }
    }
    out
}

/// Top-level module → the imports it makes of other top-level modules.
fn graph(src: &Path) -> BTreeMap<String, Vec<Import>> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut g: BTreeMap<String, Vec<Import>> = BTreeMap::new();
    for file in files {
        let Some(node) = node_of(src, &file) else {
            continue;
        };
        let entry = g.entry(node.clone()).or_default();
        for imp in imports_of(&file) {
            // Re-exports at the crate root (`crate::ServiceError`, `crate::Deps`) are
            // their defining modules.
            let target = match imp.target.as_str() {
                "ServiceError" => "error".to_owned(),
                "Deps" => "deps".to_owned(),
                "DatabaseConnection" => continue,
                t => t.to_owned(),
            };
            if target != node {
                entry.push(Import { target, ..imp });
            }
        }
    }
    g
}

fn src_of(krate: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(krate)
        .join("src")
}

/// A cycle between top-level modules, as the path that closes it.
fn find_cycle(g: &BTreeMap<String, Vec<Import>>) -> Option<Vec<Import>> {
    fn visit(
        node: &str,
        g: &BTreeMap<String, Vec<Import>>,
        done: &mut BTreeSet<String>,
        path: &mut Vec<Import>,
        on_path: &mut Vec<String>,
    ) -> Option<Vec<Import>> {
        if done.contains(node) {
            return None;
        }
        on_path.push(node.to_owned());
        for imp in g.get(node).into_iter().flatten() {
            if let Some(at) = on_path.iter().position(|n| *n == imp.target) {
                let mut cycle = path[at..].to_vec();
                cycle.push(imp.clone());
                return Some(cycle);
            }
            path.push(imp.clone());
            if let Some(c) = visit(&imp.target, g, done, path, on_path) {
                return Some(c);
            }
            path.pop();
        }
        on_path.pop();
        done.insert(node.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    for node in g.keys() {
        let (mut path, mut on_path) = (Vec::new(), Vec::new());
        if let Some(c) = visit(node, g, &mut done, &mut path, &mut on_path) {
            return Some(c);
        }
    }
    None
}

fn show(imports: &[Import]) -> String {
    imports
        .iter()
        .map(|i| format!("{}:{} → {}", i.file.display(), i.line, i.target))
        .collect::<Vec<_>>()
        .join("\n  ")
}

#[test]
fn telegram_imports_only_the_foundation() {
    let g = graph(&src_of("backend"));
    let bad: Vec<Import> = g["telegram"]
        .iter()
        .filter(|i| !FOUNDATION.contains(&i.target.as_str()))
        .cloned()
        .collect();
    assert!(
        bad.is_empty(),
        "telegram/ may import only the foundation:\n  {}",
        show(&bad)
    );
}

#[test]
fn every_backend_module_keeps_to_its_layer() {
    let g = graph(&src_of("backend"));
    let mut bad = Vec::new();
    for (node, imports) in &g {
        let allowed: Vec<&str> = if FOUNDATION.contains(&node.as_str()) {
            FOUNDATION.to_vec()
        } else {
            let (_, extra) = FOLDERS
                .iter()
                .find(|(f, _)| f == node)
                .unwrap_or_else(|| panic!("{node}: a top-level module the layers do not name"));
            FOUNDATION.iter().chain(extra.iter()).copied().collect()
        };
        bad.extend(
            imports
                .iter()
                .filter(|i| !allowed.contains(&i.target.as_str()))
                .cloned(),
        );
    }
    assert!(bad.is_empty(), "imports across layers:\n  {}", show(&bad));
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    for krate in ["backend", "app"] {
        let g = graph(&src_of(krate));
        if let Some(cycle) = find_cycle(&g) {
            panic!("{krate}: import cycle:\n  {}", show(&cycle));
        }
    }
}

#[test]
fn the_checker_sees_imports_and_cycles() {
    // The parser reads grouped and nested imports, and ignores comments.
    let dir = std::env::temp_dir().join(format!("tombola-layers-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(
        dir.join("a/mod.rs"),
        "//! a\nuse crate::{b::X, c};\n// crate::d is only a comment\n",
    )
    .unwrap();
    std::fs::write(dir.join("b.rs"), "//! b\nfn f() { crate::a::g() }\n").unwrap();
    std::fs::write(dir.join("c.rs"), "//! c\n").unwrap();
    let g = graph(&dir);
    let targets = |n: &str| -> Vec<String> { g[n].iter().map(|i| i.target.clone()).collect() };
    assert_eq!(targets("a"), ["b", "c"]);
    assert_eq!(targets("b"), ["a"]);
    let cycle = find_cycle(&g).expect("a ↔ b is a cycle");
    assert_eq!(cycle.len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_folder_and_top_level_module_says_what_it_owns() {
    for krate in ["backend", "app"] {
        let src = src_of(krate);
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        for file in files {
            let rel = file.strip_prefix(&src).unwrap();
            let heads = rel.components().count() == 1 || rel.ends_with("mod.rs");
            let generated = rel.starts_with("entities") && !rel.ends_with("mod.rs");
            if !heads || generated {
                continue;
            }
            let text = std::fs::read_to_string(&file).unwrap();
            assert!(
                text.starts_with("//!"),
                "{}: starts without a `//!` saying what it owns",
                file.display()
            );
        }
    }
}
