//! Reference directories (НСИ) shipped as data: `data/reference/*.json`, compiled in with
//! `include_str!` and parsed once. Each is versioned and says where its values come from
//! (`source`), including which codes are confirmed against the real ФРМО/НСИ and which are ours.
//!
//! The `regions` directory is not a file: it is built from [`RegionCode`], the one source of truth
//! for subject codes and names.
//!
//! A directory is published under the real НСИ OID only when every code it carries is confirmed
//! (`oid == nsi_oid`); the others carry an OID of our own arc [`LOCAL_ARC`] and name the НСИ
//! directory they stand in for in `nsi_oid` (docs/directories.md). A deployer replaces a shipped
//! directory with the real НСИ download (`frmo directories import`); the installed directories are
//! kept in the database and [`install`]ed at start, ahead of the shipped ones.

use std::collections::HashMap;
use std::sync::{LazyLock, RwLock};

use serde::{Deserialize, Serialize};

use crate::ident::RegionCode;

/// One value of a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub id: u32,
    pub name: String,
    /// The enclosing entry in hierarchical directories (agency kinds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<u32>,
}

/// A versioned reference directory.
#[derive(Debug, Clone, Serialize)]
pub struct Directory {
    /// Machine name, `regions`, `bed_profiles`…
    pub id: &'static str,
    /// The OID the directory is published under: the НСИ OID when every code is confirmed
    /// against it, else one of our own arc [`LOCAL_ARC`].
    pub oid: Option<String>,
    /// The НСИ directory this one stands for (equal to `oid` when it is the real one).
    pub nsi_oid: Option<String>,
    /// Russian name.
    pub name: String,
    /// The НСИ version when known, else our own.
    pub version: String,
    /// Where the values come from, and how far they are confirmed.
    pub source: String,
    pub entries: Vec<Entry>,
    /// Entry id → position in `entries`.
    #[serde(skip)]
    index: HashMap<u32, usize>,
}

impl Directory {
    fn new(id: &'static str, file: DirectoryFile) -> Self {
        let DirectoryFile { oid, nsi_oid, name, version, source, entries, .. } = file;
        Directory::with(id, oid, nsi_oid, name, version, source, entries)
    }

    /// A directory from its parts (an installed НСИ download: `oid` and `nsi_oid` both the НСИ OID).
    pub fn with(
        id: &'static str,
        oid: Option<String>,
        nsi_oid: Option<String>,
        name: String,
        version: String,
        source: String,
        entries: Vec<Entry>,
    ) -> Self {
        let index = entries.iter().enumerate().map(|(i, e)| (e.id, i)).collect();
        Directory { id, oid, nsi_oid, name, version, source, entries, index }
    }

    /// Published under an OID of our own arc, not under the НСИ directory's.
    pub fn is_local(&self) -> bool {
        self.oid.as_deref().is_none_or(|oid| oid.starts_with(LOCAL_ARC))
    }

    pub fn entry(&self, id: u32) -> Option<&Entry> {
        self.index.get(&id).and_then(|&i| self.entries.get(i))
    }

    pub fn name_of(&self, id: u32) -> Option<&str> {
        self.entry(id).map(|e| e.name.as_str())
    }

    pub fn contains(&self, id: u32) -> bool {
        self.index.contains_key(&id)
    }

    /// The entries whose `parent_id` is `parent` (`None`: the top level).
    pub fn children(&self, parent: Option<u32>) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.parent_id == parent)
    }
}

/// The shape of a `data/reference/*.json` file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DirectoryFile {
    id: String,
    oid: Option<String>,
    nsi_oid: Option<String>,
    name: String,
    version: String,
    source: String,
    entries: Vec<Entry>,
}

/// Our own OID arc for directories whose codes are not confirmed against НСИ: `2.25.<UUID>` (ITU-T
/// X.667, an arc anybody may mint from a UUID without registration), `.1.<n>` per directory.
pub const LOCAL_ARC: &str = "2.25.107144191076073659911032091918575417182.";

const FILES: &[(&str, &str)] = &[
    ("organization_types", include_str!("../data/reference/organization_types.json")),
    ("medical_subject_kinds", include_str!("../data/reference/medical_subject_kinds.json")),
    ("agency_kinds", include_str!("../data/reference/agency_kinds.json")),
    ("levels", include_str!("../data/reference/levels.json")),
    ("department_types", include_str!("../data/reference/department_types.json")),
    ("bed_profiles", include_str!("../data/reference/bed_profiles.json")),
    ("positions", include_str!("../data/reference/positions.json")),
    ("specialties", include_str!("../data/reference/specialties.json")),
    ("employment_types", include_str!("../data/reference/employment_types.json")),
    ("dismissal_reasons", include_str!("../data/reference/dismissal_reasons.json")),
    ("qualification_categories", include_str!("../data/reference/qualification_categories.json")),
    ("credential_kinds", include_str!("../data/reference/credential_kinds.json")),
    ("education_levels", include_str!("../data/reference/education_levels.json")),
    ("delete_reasons", include_str!("../data/reference/delete_reasons.json")),
];

fn regions() -> Directory {
    let file = DirectoryFile {
        id: "regions".into(),
        oid: Some("1.2.643.5.1.13.13.99.2.206".into()),
        nsi_oid: Some("1.2.643.5.1.13.13.99.2.206".into()),
        name: "Субъекты Российской Федерации".into(),
        version: "1.0".into(),
        source: "Коды субъектов РФ (коды ФНС), как в regionId и OID ФРМО и в НСИ 1.2.643.5.1.13.13.99.2.206; \
                 таблица в frmo_domain::ident::RegionCode"
            .into(),
        entries: RegionCode::all()
            .map(|r| Entry { id: u32::from(r.code()), name: r.name().into(), parent_id: None })
            .collect(),
    };
    Directory::new("regions", file)
}

static DIRECTORIES: LazyLock<Vec<Directory>> = LazyLock::new(|| {
    let mut all = vec![regions()];
    for (id, text) in FILES {
        // The files are compiled in and every one is parsed by the tests below, so a broken file
        // cannot ship; failing loudly is better than a directory that silently lacks values.
        #[allow(clippy::expect_used)]
        let file: DirectoryFile = serde_json::from_str(text).expect("shipped reference data parses (tested)");
        debug_assert_eq!(file.id, *id, "file id matches its name");
        all.push(Directory::new(id, file));
    }
    all
});

/// Directories installed from НСИ downloads, ahead of the shipped ones. Installing happens once at
/// start and on `frmo directories import`, so the few directories leaked stay bounded.
static INSTALLED: RwLock<Vec<&'static Directory>> = RwLock::new(Vec::new());

/// Every directory, `regions` first: the installed one where there is one, else the shipped one.
pub fn all() -> Vec<&'static Directory> {
    DIRECTORIES.iter().map(|shipped| get(shipped.id).unwrap_or(shipped)).collect()
}

/// The directory shipped with frmo (compiled in), whatever is installed.
pub fn shipped(id: &str) -> Option<&'static Directory> {
    DIRECTORIES.iter().find(|d| d.id == id)
}

/// A directory by its machine name: the installed one, else the shipped one.
pub fn get(id: &str) -> Option<&'static Directory> {
    let installed = INSTALLED.read().unwrap_or_else(std::sync::PoisonError::into_inner);
    installed.iter().rev().find(|d| d.id == id).copied().or_else(|| shipped(id))
}

/// Makes `directory` the one [`get`] answers for its id (it replaces the shipped or an earlier
/// installed one). Its id must name a shipped directory; returns false otherwise.
pub fn install(directory: Directory) -> bool {
    let Some(shipped) = shipped(directory.id) else { return false };
    let directory = Directory { id: shipped.id, ..directory };
    let mut installed = INSTALLED.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    installed.retain(|d| d.id != directory.id);
    installed.push(Box::leak(Box::new(directory)));
    true
}

/// Forgets every installed directory (the shipped ones answer again).
pub fn uninstall_all() {
    INSTALLED.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_file_parses_and_names_itself() {
        for (id, text) in FILES {
            let file: DirectoryFile = serde_json::from_str(text).unwrap_or_else(|e| panic!("{id}: {e}"));
            assert_eq!(file.id, *id);
            assert!(!file.source.is_empty() && !file.version.is_empty() && !file.name.is_empty(), "{id}");
        }
    }

    #[test]
    fn every_directory_loads_with_unique_ids_and_known_parents() {
        assert_eq!(all().len(), FILES.len() + 1);
        for directory in all() {
            assert!(!directory.entries.is_empty(), "{}", directory.id);
            assert_eq!(directory.index.len(), directory.entries.len(), "duplicate ids in {}", directory.id);
            for entry in &directory.entries {
                assert!(!entry.name.trim().is_empty(), "{}: {}", directory.id, entry.id);
                assert_eq!(directory.entry(entry.id), Some(entry));
                if let Some(parent) = entry.parent_id {
                    assert!(directory.contains(parent), "{}: parent {parent} of {}", directory.id, entry.id);
                    assert_ne!(parent, entry.id);
                }
            }
            let mut names: Vec<&str> = directory.entries.iter().map(|e| e.name.as_str()).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), directory.entries.len(), "duplicate names in {}", directory.id);
        }
    }

    #[test]
    fn regions_match_region_codes() {
        let regions = get("regions").expect("regions directory");
        assert_eq!(regions.entries.len(), RegionCode::all().count());
        for region in RegionCode::all() {
            assert_eq!(regions.name_of(u32::from(region.code())), Some(region.name()));
        }
        for entry in &regions.entries {
            let code = u8::try_from(entry.id).expect("two-digit code");
            assert!(RegionCode::from_code(code).is_some());
        }
    }

    #[test]
    fn real_codes_are_there() {
        let name = |directory: &str, id: u32| get(directory).and_then(|d| d.name_of(id));
        assert_eq!(name("organization_types", 1), Some("Государственное юридическое лицо"));
        assert_eq!(name("medical_subject_kinds", 2), Some("Медицинская организация"));
        assert_eq!(name("agency_kinds", 1), Some("Больница (в том числе детская)"));
        assert_eq!(name("levels", 1), Some("I уровень"));
        assert_eq!(name("delete_reasons", 2), Some("Дубль карточки МО"));
        assert_eq!(name("regions", 63), Some("Самарская область"));
        assert_eq!(name("regions", 99), Some("г. Байконур"));
        assert_eq!(name("department_types", 1), Some("Амбулаторный"));
        assert_eq!(name("department_types", 2), Some("Стационарный"));
        assert!(get("bed_profiles").is_some_and(|d| d.entries.len() >= 30));
        assert!(get("nonexistent").is_none());
    }

    /// No directory carries a real НСИ OID unless it is that НСИ directory; the others are ours.
    #[test]
    fn only_confirmed_directories_carry_nsi_oids() {
        for directory in all() {
            let oid = directory.oid.as_deref().expect("every directory has an OID");
            if directory.is_local() {
                assert!(oid.starts_with(LOCAL_ARC), "{}", directory.id);
                assert!(directory.source.contains("локальн"), "{} says it is local", directory.id);
            } else {
                assert_eq!(directory.nsi_oid.as_deref(), Some(oid), "{}", directory.id);
            }
        }
        let real: Vec<&str> = all().into_iter().filter(|d| !d.is_local()).map(|d| d.id).collect();
        assert_eq!(real, ["regions", "employment_types"]);
        assert_eq!(get("positions").and_then(|d| d.nsi_oid.as_deref()), Some("1.2.643.5.1.13.13.11.1002"));
    }

    #[test]
    fn agency_kinds_are_a_tree() {
        let kinds = get("agency_kinds").expect("agency kinds");
        assert!(kinds.children(None).any(|e| e.id == 1));
        let dispensary = kinds.entries.iter().find(|e| e.name == "Диспансер").expect("Диспансер");
        assert!(kinds.children(Some(dispensary.id)).count() >= 5);
    }
}
