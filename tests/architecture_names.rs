//! ARCHITECTURE.md names only what exists: every backticked file path (`src/…`, `tui/app.rs`)
//! is a file or folder under `src/` (or the repository), every `path::item` names items defined
//! in the source, and every `file.rs::item` is defined in that file. A rename that leaves the
//! map behind fails here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("reads src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every name the source defines (fn, struct, enum, trait, type, const, mod, macro, variant-ish
/// `Name {` / `Name(` at the start of a line) and every module file or folder name.
fn defined(files: &[PathBuf]) -> HashSet<String> {
    let mut names = HashSet::new();
    let kinds = ["fn ", "struct ", "enum ", "trait ", "type ", "const ", "mod ", "static "];
    for f in files {
        if let Some(stem) = f.file_stem().and_then(|s| s.to_str()) {
            names.insert(stem.to_string());
        }
        if let Some(parent) = f.parent().and_then(|p| p.file_name()).and_then(|s| s.to_str()) {
            names.insert(parent.to_string());
        }
        let text = std::fs::read_to_string(f).expect("reads a source file");
        for line in text.lines() {
            let line = line.trim_start();
            let line =
                line.strip_prefix("pub(crate) ").or_else(|| line.strip_prefix("pub(super) ")).unwrap_or(line);
            let line = line.strip_prefix("pub ").unwrap_or(line);
            let line = line.strip_prefix("async ").unwrap_or(line);
            for k in kinds {
                if let Some(rest) = line.strip_prefix(k) {
                    let name: String =
                        rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                    names.insert(name);
                }
            }
            // Enum variants and the commands! table: `Name {`, `Name(`, `Name,`, `Name =`.
            let word: String = line.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            if !word.is_empty() && word.chars().next().is_some_and(char::is_uppercase) {
                names.insert(word);
            }
        }
    }
    names
}

#[test]
fn architecture_md_names_only_what_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).expect("reads ARCHITECTURE.md");
    let mut files = Vec::new();
    sources(&root.join("src"), &mut files);
    let names = defined(&files);
    let mut missing = Vec::new();
    for (i, quoted) in map.split('`').enumerate() {
        if i % 2 == 0 {
            continue;
        }
        // `Effect::Change { .. }`, `State::key_for(Command)`: the path before the arguments.
        let quoted = quoted.split(['(', ' ', '{']).next().unwrap_or("");
        if let Some((file, item)) = quoted.split_once(".rs::") {
            // `store/sql/applications.rs::change_application`: the file, and the item in it.
            let file = format!("{file}.rs");
            let path = [root.join(&file), root.join("src").join(&file)].into_iter().find(|p| p.exists());
            match path {
                Some(p) => {
                    let text = std::fs::read_to_string(p).expect("reads");
                    let last = item.rsplit("::").next().unwrap_or(item);
                    if !text.contains(&format!("fn {last}")) && !text.contains(&format!(" {last} ")) {
                        missing.push(format!("{quoted}: no `{last}` in {file}"));
                    }
                }
                None => missing.push(format!("{quoted}: no file {file}")),
            }
        } else if quoted.ends_with(".rs") || quoted.ends_with('/') {
            let found = [root.join(quoted), root.join("src").join(quoted)].iter().any(|p| p.exists())
                || files.iter().any(|f| f.to_string_lossy().ends_with(quoted));
            if !found && !quoted.contains('*') && !quoted.contains("NNNN") && !quoted.contains('<') {
                missing.push(format!("{quoted}: no such file or folder"));
            }
        } else if quoted.contains("::") && quoted.chars().all(|c| c.is_alphanumeric() || c == '_' || c == ':')
        {
            for seg in quoted.split("::").filter(|s| !s.is_empty()) {
                if !names.contains(seg) && !["crate", "self", "super"].contains(&seg) {
                    missing.push(format!("{quoted}: `{seg}` is defined nowhere under src/"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md names what the code no longer has:\n{}", missing.join("\n"));
}
