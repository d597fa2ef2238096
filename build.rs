//! Embeds every translation under `locales/<language>/*.ftl` into the binary, so that a new
//! language is a new folder and the server needs no files beside it at run time.

use std::fmt::Write as _;
use std::path::Path;
use std::{env, fs};

fn main() {
    println!("cargo:rerun-if-changed=locales");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("locales");
    let mut languages: Vec<_> = fs::read_dir(&root)
        .expect("locales/ is readable")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.is_dir())
        .collect();
    languages.sort();
    let mut table = String::from("&[\n");
    for language in &languages {
        let tag = language
            .file_name()
            .and_then(|name| name.to_str())
            .expect("a language folder named by its tag");
        let mut files: Vec<_> = fs::read_dir(language)
            .expect("a readable language folder")
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "ftl"))
            .collect();
        files.sort();
        writeln!(table, "    ({tag:?}, &[").expect("writing to a String");
        for file in &files {
            let name = file
                .file_name()
                .and_then(|name| name.to_str())
                .expect("a file name");
            writeln!(
                table,
                "        ({name:?}, include_str!({:?})),",
                file.display().to_string()
            )
            .expect("writing to a String");
        }
        table.push_str("    ]),\n");
    }
    table.push(']');
    let out = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("locales.rs");
    fs::write(out, table).expect("OUT_DIR is writable");
}
