//! The sealed layers, read from the sources: frmo-web names no frmo-store item (not in its code,
//! its tests or its templates), and the registry hands the web its own view types, never a store
//! row passed on by `pub use` (or `pub type`) — except the few listed here with their reasons.

use std::path::{Path, PathBuf};

/// Store items the registry may re-export: (file under `crates/frmo-registry/src`, the item, why).
const ALLOWED_RE_EXPORTS: &[(&str, &str, &str)] = &[(
    "seed.rs",
    "frmo_store::seed::real_organizations",
    "a generator of the demo register's domain `Organization` cards, not a row",
)];

fn crate_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

/// Every file under `dir` whose name ends with one of `extensions`, recursively.
fn files(dir: &Path, extensions: &[&str], found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, extensions, found);
        } else if extensions.iter().any(|e| path.to_string_lossy().ends_with(e)) {
            found.push(path);
        }
    }
}

/// The store items a source re-exports publicly: each `pub use frmo_store…;` or
/// `pub type … = frmo_store…;` statement, whitespace collapsed.
fn store_re_exports(source: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (start, _) in source.match_indices("pub ") {
        let statement = source[start..].split(';').next().unwrap_or_default();
        let statement: String = statement.split_whitespace().collect::<Vec<_>>().join(" ");
        let re_export = statement
            .strip_prefix("pub use ")
            .is_some_and(|rest| rest.trim_start_matches("::").starts_with("frmo_store"))
            || (statement.starts_with("pub type ") && statement.contains("= frmo_store"));
        if re_export {
            found.push(statement);
        }
    }
    found
}

#[test]
fn the_scan_finds_re_exports_in_any_shape() {
    let source = "use frmo_store::Identifier;\npub(crate) use frmo_store::Store;\npub use frmo_store::{\n    audit::Verdict,\n};\n\
                  pub type Row = frmo_store::CardRow;\npub use ::frmo_store::PoolUse as Pool;\npub use crate::Card;\n";
    assert_eq!(
        store_re_exports(source),
        [
            "pub use frmo_store::{ audit::Verdict, }",
            "pub type Row = frmo_store::CardRow",
            "pub use ::frmo_store::PoolUse as Pool"
        ]
    );
}

#[test]
fn the_web_never_names_the_store() {
    let web = crate_dir("frmo-web");
    let manifest = std::fs::read_to_string(web.join("Cargo.toml")).expect("frmo-web's manifest");
    assert!(!manifest.contains("frmo-store"), "frmo-web must not depend on frmo-store");
    let mut sources = Vec::new();
    for dir in ["src", "tests", "templates"] {
        files(&web.join(dir), &[".rs", ".html", ".txt", ".xml", ".json"], &mut sources);
    }
    assert!(sources.len() > 50, "the web's sources are found ({})", sources.len());
    let naming: Vec<String> = sources
        .iter()
        .filter(|path| std::fs::read_to_string(path).is_ok_and(|text| text.contains("frmo_store")))
        .map(|path| path.display().to_string())
        .collect();
    assert!(naming.is_empty(), "frmo-web names frmo_store in {naming:?}");
}

#[test]
fn the_registry_re_exports_no_store_rows() {
    let src = crate_dir("frmo-registry").join("src");
    let mut sources = Vec::new();
    files(&src, &[".rs"], &mut sources);
    assert!(sources.len() > 30, "the registry's sources are found ({})", sources.len());
    let mut refused = Vec::new();
    for path in &sources {
        let text = std::fs::read_to_string(path).expect("a registry source");
        let file = path.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        for statement in store_re_exports(&text) {
            let allowed = ALLOWED_RE_EXPORTS.iter().any(|(at, item, _why)| {
                *at == file && statement.strip_prefix("pub use ").is_some_and(|rest| rest == *item)
            });
            if !allowed {
                refused.push(format!("{file}: {statement}"));
            }
        }
    }
    assert!(
        refused.is_empty(),
        "store rows reach the web through these re-exports; give the web a registry view instead: {refused:?}"
    );
}
