//! The layering rule, read from the sources: ground modules know no domain, and no domain knows
//! the process around it. Every `crate::…` path under `src/` is checked, in `use` lines and in
//! code, including grouped imports (`use crate::{a, b::c};`).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Modules every domain may build on, which name none of them.
const GROUND: [&str; 12] = [
    "db",
    "error",
    "ids",
    "i18n",
    "validate",
    "pagination",
    "config",
    "metrics",
    "telemetry",
    "compression",
    "reports",
    "edges",
];

/// The process around the domains: serving, sockets, the command line.
const OUTER: [&str; 3] = ["app", "websocket", "cli"];

fn source_files(folder: &Path, found: &mut Vec<PathBuf>) {
    let entries = fs::read_dir(folder).expect("src/ is readable");
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// The top-level module a file under `src/` belongs to (`groups` for `src/groups/store.rs`).
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("under src/");
    let first = relative
        .components()
        .next()
        .expect("a path component")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_owned()
}

fn identifier(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The first name of each top-level item in a `{…}` group that starts `text`.
fn grouped_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (at, c) in text.char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    item_start = true;
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                item_start = true;
                continue;
            }
            _ => {}
        }
        if depth == 1 && item_start && !c.is_whitespace() {
            names.push(identifier(&text[at..]).to_owned());
            item_start = false;
        }
    }
    names
}

/// Every module a source text names through `crate::`, comment lines left out.
fn crate_paths(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut named = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        if after.starts_with('{') {
            named.extend(grouped_names(after));
        } else {
            named.insert(identifier(after).to_owned());
        }
        rest = after;
    }
    named
}

fn declared_modules(src: &Path) -> BTreeSet<String> {
    let lib = fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs");
    lib.lines()
        .filter_map(|line| line.trim().strip_prefix("pub mod "))
        .map(|rest| rest.trim_end_matches(';').to_owned())
        .collect()
}

#[test]
fn ground_modules_know_no_domain_and_domains_know_no_server() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let modules = declared_modules(&src);
    for listed in GROUND.iter().chain(OUTER.iter()) {
        assert!(
            modules.contains(*listed),
            "{listed} is not a module of src/lib.rs"
        );
    }
    let mut files = Vec::new();
    source_files(&src, &mut files);
    let mut breaches = Vec::new();
    for file in &files {
        let module = module_of(&src, file);
        if !modules.contains(&module) {
            continue; // lib.rs, main.rs
        }
        let text = fs::read_to_string(file).expect("a readable source file");
        for named in crate_paths(&text) {
            if named == module || !modules.contains(&named) {
                continue; // itself, or a macro exported at the crate's root
            }
            let ground = GROUND.contains(&module.as_str());
            if ground && !GROUND.contains(&named.as_str()) {
                breaches.push(format!("{}: ground module uses {named}", file.display()));
            }
            if !OUTER.contains(&module.as_str()) && OUTER.contains(&named.as_str()) {
                breaches.push(format!("{}: uses {named}", file.display()));
            }
        }
    }
    assert!(
        breaches.is_empty(),
        "layering broken:\n{}",
        breaches.join("\n")
    );
}

#[test]
fn the_reader_sees_grouped_and_inline_paths() {
    let text = "use crate::{db::Db, groups::{self, model::X}, ids};\n\
                // use crate::app;\n\
                let x = crate::notifications::service::notify(conn);";
    let named: Vec<String> = crate_paths(text).into_iter().collect();
    assert_eq!(named, ["db", "groups", "ids", "notifications"]);
}
