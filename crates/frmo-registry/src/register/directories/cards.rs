//! Directory codes held inside organization cards — types, medical-subject kinds, agency kinds,
//! levels, delete reasons, department types, bed profiles — found and re-numbered by an import in
//! every version of every card (the past keeps its meaning too) and in every change request's
//! proposed card and list of changes. The journal is history and is not rewritten: the import's own
//! entry records each old → new code.

use std::collections::HashMap;

use frmo_domain::org::Organization;
use frmo_store::directories::{CardRewrite, RequestRewrite, Rewrite};
use serde_json::{Map, Value};

/// Where inside a card a directory's codes sit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CardCode {
    /// A field of the card itself (`organizationTypeId`, `moLevelId` …).
    Field(&'static str),
    /// `departments[].departTypeId`.
    DepartmentType,
    /// `departments[].hospitalSubdivisions[].beds[].bedProfileId`.
    BedProfile,
}

/// The place of `directory`'s codes inside cards, if cards hold them.
pub(super) fn card_code(directory: &str) -> Option<CardCode> {
    Some(match directory {
        "organization_types" => CardCode::Field("organizationTypeId"),
        "medical_subject_kinds" => CardCode::Field("medicalSubjectId"),
        "agency_kinds" => CardCode::Field("moAgencyKindId"),
        "levels" => CardCode::Field("moLevelId"),
        "delete_reasons" => CardCode::Field("deleteReasonId"),
        "department_types" => CardCode::DepartmentType,
        "bed_profiles" => CardCode::BedProfile,
        _ => return None,
    })
}

fn items<'a>(value: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    value.get_mut(key).and_then(Value::as_array_mut).into_iter().flatten()
}

impl CardCode {
    /// Calls `visit` on every code of this kind in `card` (a card, or an object keyed like one).
    fn visit(self, card: &mut Value, visit: &mut impl FnMut(&mut Value)) {
        let mut code = |value: Option<&mut Value>| {
            if let Some(value) = value.filter(|v| v.is_number()) {
                visit(value);
            }
        };
        match self {
            CardCode::Field(key) => code(card.get_mut(key)),
            CardCode::DepartmentType => items(card, "departments").for_each(|d| code(d.get_mut("departTypeId"))),
            CardCode::BedProfile => {
                for department in items(card, "departments") {
                    for subdivision in items(department, "hospitalSubdivisions") {
                        items(subdivision, "beds").for_each(|b| code(b.get_mut("bedProfileId")));
                    }
                }
            }
        }
    }

    /// Re-numbers the codes in `card` by `moved`; notes every code seen in `seen`. True if any moved.
    fn renumber(self, card: &mut Value, moved: &HashMap<u32, u32>, seen: &mut Vec<u32>) -> bool {
        let mut changed = false;
        self.visit(card, &mut |value| {
            let Some(old) = value.as_u64().and_then(|c| u32::try_from(c).ok()) else { return };
            seen.push(old);
            if let Some(&new) = moved.get(&old) {
                *value = Value::from(new);
                changed = true;
            }
        });
        changed
    }

    /// The same in a request's list of changes `[{field, before, after}]`: each side is read as a
    /// card holding only that field.
    fn renumber_changes(self, changes: &mut Value, moved: &HashMap<u32, u32>, seen: &mut Vec<u32>) -> bool {
        let mut changed = false;
        for change in changes.as_array_mut().into_iter().flatten() {
            let Some(field) = change.get("field").and_then(Value::as_str).map(str::to_owned) else { continue };
            for side in ["before", "after"] {
                let Some(value) = change.get_mut(side) else { continue };
                let mut partial = Value::Object(Map::from_iter([(field.clone(), value.take())]));
                changed |= self.renumber(&mut partial, moved, seen);
                *value = partial[&field].take();
            }
        }
        changed
    }
}

/// Cards and requests whose codes of `code` move by `moved`, rewritten; and every such code in use.
pub(super) fn card_rewrites(
    code: CardCode,
    cards: &[(i64, String)],
    requests: &[(i64, String, String)],
    moved: &HashMap<u32, u32>,
) -> (Vec<Rewrite>, Vec<u32>) {
    let mut rewrites = Vec::new();
    let mut seen = Vec::new();
    for (version_id, before) in cards {
        // A card that does not parse holds no code we could read; it is left as it is.
        let Ok(mut card) = serde_json::from_str::<Value>(before) else { continue };
        if code.renumber(&mut card, moved, &mut seen) {
            let number = |key: &str| card.get(key).and_then(Value::as_i64).unwrap_or_default();
            let (org_type, agency_kind) = (number("organizationTypeId"), number("moAgencyKindId"));
            rewrites.push(Rewrite::Card(CardRewrite {
                version_id: *version_id,
                before: before.clone(),
                after: card_text(card),
                org_type,
                agency_kind,
            }));
        }
    }
    for (request_id, proposed, changes) in requests {
        let (Ok(mut new_proposed), Ok(mut new_changes)) =
            (serde_json::from_str::<Value>(proposed), serde_json::from_str::<Value>(changes))
        else {
            continue;
        };
        let card_moved = code.renumber(&mut new_proposed, moved, &mut seen);
        let changes_moved = code.renumber_changes(&mut new_changes, moved, &mut seen);
        if card_moved || changes_moved {
            rewrites.push(Rewrite::Request(RequestRewrite {
                request_id: *request_id,
                proposed: (proposed.clone(), card_text(new_proposed)),
                changes: (changes.clone(), new_changes.to_string()),
            }));
        }
    }
    seen.sort_unstable();
    seen.dedup();
    (rewrites, seen)
}

/// A card's JSON in the order the register writes cards (its fields' order), when it reads as one.
fn card_text(card: Value) -> String {
    match serde_json::from_value::<Organization>(card.clone()) {
        Ok(organization) => serde_json::to_string(&organization).unwrap_or_else(|_| card.to_string()),
        Err(_) => card.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn codes_are_found_at_every_depth_and_in_changes() {
        let card = json!({
            "organizationTypeId": 1, "moLevelId": null,
            "departments": [{"departTypeId": 3, "hospitalSubdivisions": [{"beds": [{"bedProfileId": 7, "bedCount": 5}]}]}]
        });
        let moved = HashMap::from([(7, 70), (1, 10)]);
        for (code, expected_seen, expected) in [
            (CardCode::Field("organizationTypeId"), vec![1], json!(10)),
            (CardCode::DepartmentType, vec![3], json!(3)),
            (CardCode::BedProfile, vec![7], json!(70)),
        ] {
            let mut changed = card.clone();
            let mut seen = Vec::new();
            code.renumber(&mut changed, &moved, &mut seen);
            assert_eq!(seen, expected_seen, "{code:?}");
            let value = match code {
                CardCode::Field(key) => changed[key].clone(),
                CardCode::DepartmentType => changed["departments"][0]["departTypeId"].clone(),
                CardCode::BedProfile => {
                    changed["departments"][0]["hospitalSubdivisions"][0]["beds"][0]["bedProfileId"].clone()
                }
            };
            assert_eq!(value, expected, "{code:?}");
        }
        let mut seen = Vec::new();
        assert!(!CardCode::Field("moLevelId").renumber(&mut card.clone(), &moved, &mut seen) && seen.is_empty());

        let mut changes = json!([
            {"field": "organizationTypeId", "before": 1, "after": 2},
            {"field": "nameShort", "before": "А", "after": "Б"}
        ]);
        let mut seen = Vec::new();
        assert!(CardCode::Field("organizationTypeId").renumber_changes(&mut changes, &moved, &mut seen));
        assert_eq!(changes[0], json!({"field": "organizationTypeId", "before": 10, "after": 2}));
        assert_eq!(changes[1]["after"], "Б");
        assert_eq!(seen, [1, 2]);
    }
}
