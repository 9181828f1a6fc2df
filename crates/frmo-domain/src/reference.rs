//! Reference directories (НСИ) shipped as data: `data/reference/*.json`, versioned, each saying
//! where its values come from. Regions are generated from `RegionCode`, the one source of truth.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::ident::RegionCode;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Entry {
    pub id: u32,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Directory {
    pub id: String,
    /// The НСИ OID when the directory mirrors a published one.
    pub oid: Option<String>,
    pub name: String,
    pub version: String,
    /// Where the values come from, and how far they are confirmed.
    pub source: String,
    pub entries: Vec<Entry>,
}

impl Directory {
    pub fn name_of(&self, id: u32) -> Option<&str> {
        self.entries.iter().find(|e| e.id == id).map(|e| e.name.as_str())
    }

    pub fn contains(&self, id: u32) -> bool {
        self.entries.iter().any(|e| e.id == id)
    }
}

const FILES: &[(&str, &str)] = &[
    ("organization_types", include_str!("../data/reference/organization_types.json")),
    ("medical_subject_kinds", include_str!("../data/reference/medical_subject_kinds.json")),
    ("agency_kinds", include_str!("../data/reference/agency_kinds.json")),
    ("levels", include_str!("../data/reference/levels.json")),
    ("department_types", include_str!("../data/reference/department_types.json")),
    ("bed_profiles", include_str!("../data/reference/bed_profiles.json")),
    ("delete_reasons", include_str!("../data/reference/delete_reasons.json")),
];

static DIRECTORIES: LazyLock<Vec<Directory>> = LazyLock::new(|| {
    let mut all = vec![Directory {
        id: "regions".into(),
        oid: Some("1.2.643.5.1.13.13.99.2.186".into()),
        name: "Субъекты Российской Федерации".into(),
        version: "1.0".into(),
        source: "Коды субъектов РФ, как в regionId и OID ФРМО".into(),
        entries: RegionCode::all()
            .map(|r| Entry { id: u32::from(r.code()), name: r.name().into(), parent_id: None })
            .collect(),
    }];
    for (id, text) in FILES {
        match serde_json::from_str::<Directory>(text) {
            Ok(directory) => all.push(directory),
            // Shipped data is checked by a test; a broken file must not take the server down.
            Err(error) => eprintln!("reference directory {id} is broken: {error}"),
        }
    }
    all
});

pub fn all() -> &'static [Directory] {
    &DIRECTORIES
}

pub fn get(id: &str) -> Option<&'static Directory> {
    DIRECTORIES.iter().find(|d| d.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_directory_loads_with_unique_ids() {
        assert_eq!(all().len(), FILES.len() + 1);
        for directory in all() {
            assert!(!directory.entries.is_empty(), "{}", directory.id);
            let mut ids: Vec<u32> = directory.entries.iter().map(|e| e.id).collect();
            ids.sort_unstable();
            ids.dedup();
            assert_eq!(ids.len(), directory.entries.len(), "duplicate ids in {}", directory.id);
        }
    }

    #[test]
    fn real_codes_are_there() {
        assert_eq!(get("organization_types").and_then(|d| d.name_of(1)), Some("Государственное юридическое лицо"));
        assert_eq!(get("medical_subject_kinds").and_then(|d| d.name_of(2)), Some("Медицинская организация"));
        assert_eq!(get("delete_reasons").and_then(|d| d.name_of(2)), Some("Дубль карточки МО"));
        assert_eq!(get("regions").and_then(|d| d.name_of(63)), Some("Самарская область"));
        assert_eq!(get("regions").map(|d| d.entries.len()), Some(89));
    }
}
