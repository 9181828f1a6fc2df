//! What the index keeps of a card besides its columns: the head organization of a branch
//! (`parentOid`) and the town and postal code of its legal and actual addresses — FHIR's
//! `partof`, `address-city` and `address-postalcode`. Read from the beginning of the card's JSON
//! alone ([`HEAD_BYTES`] bytes, which the store's index feed selects): serde writes a card's
//! fields in the order `Organization` declares them, and these come before its contacts,
//! departments, buildings and licences, so the feed never parses a whole card.

use std::collections::HashMap;

use frmo_domain::ident::OrgOid;
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};

use super::index::OrgKey;

/// How many bytes of a card's JSON the index feed reads: the head fields fit in far fewer (in
/// generated cards `contacts` begins at about 1,200 bytes; the longest names and two full
/// addresses take about 5,000). Bytes, not characters: SQLite's `substr` of a text counts its
/// characters (3.4 s more to build the index of 200,000 cards), of a blob it does not (nothing).
pub const HEAD_BYTES: usize = 8192;

/// The head fields of a card the index needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CardHead {
    /// The head organization of a branch.
    pub parent: Option<OrgKey>,
    /// The towns (`areaName`) of the legal and the actual address.
    pub towns: Vec<String>,
    /// Their postal codes.
    pub postal_codes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AddressHead {
    #[serde(default)]
    area_name: Option<String>,
    #[serde(default)]
    post_index: Option<String>,
}

/// The key of an organization's OID (kind, region, number), the index's sort key.
pub fn key_of(oid: &OrgOid) -> OrgKey {
    (oid.kind(), oid.region().code(), oid.number())
}

struct HeadVisitor<'h>(&'h mut CardHead);

impl<'de> Visitor<'de> for HeadVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an organization's card")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "parentOid" => self.0.parent = OrgOid::parse(&map.next_value::<String>()?).ok().as_ref().map(key_of),
                "legalAddress" | "actualAddress" => {
                    let address: AddressHead = map.next_value()?;
                    self.0.towns.extend(address.area_name.filter(|t| !t.trim().is_empty()));
                    self.0.postal_codes.extend(address.post_index);
                }
                // Every field the index needs comes before the contacts.
                "contacts" => return Ok(()),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// The head fields of a card from the first bytes of its JSON, cut anywhere (even inside a
/// character; the whole card will do too). What a cut or malformed text hides is left out. The
/// bytes are read as they come (serde checks the UTF-8 of what it parses, and stops at the
/// contacts): checking the whole prefix first took a third of the index build.
pub fn read_head(prefix: &[u8]) -> CardHead {
    let mut head = CardHead::default();
    let mut deserializer = serde_json::Deserializer::from_slice(prefix);
    // The visitor stops at `contacts`; the deserializer then reports the map unfinished, and a
    // cut text ends in an error too: what was read before is kept either way.
    let _ = serde::Deserializer::deserialize_map(&mut deserializer, HeadVisitor(&mut head));
    head
}

/// How a string parameter matches, as FHIR's string search: the value's beginning (the default),
/// anywhere in it, or the whole value exactly; the first two ignore case.
#[derive(Debug, Clone, PartialEq)]
pub enum TextMatch {
    Prefix(String),
    Contains(String),
    Exact(String),
}

impl TextMatch {
    /// `value` and its lower case.
    fn matches(&self, value: &str, lower: &str) -> bool {
        match self {
            TextMatch::Prefix(wanted) => lower.starts_with(&wanted.to_lowercase()),
            TextMatch::Contains(wanted) => lower.contains(&wanted.to_lowercase()),
            TextMatch::Exact(wanted) => value == wanted,
        }
    }
}

/// Distinct values (towns, postal codes) with the documents (index positions) that have each.
#[derive(Default)]
pub(super) struct Dictionary {
    ids: HashMap<Box<str>, u32>,
    /// Each value and its lower case.
    values: Vec<(Box<str>, Box<str>)>,
    postings: Vec<Vec<u32>>,
}

impl Dictionary {
    /// Notes that the document at `position` (positions only grow) has `value`.
    pub(super) fn add(&mut self, value: &str, position: u32) {
        let next = self.values.len() as u32;
        let id = *self.ids.entry(value.into()).or_insert(next);
        if id == next {
            self.values.push((value.into(), value.to_lowercase().into()));
            self.postings.push(Vec::new());
        }
        let list = &mut self.postings[id as usize];
        if list.last() != Some(&position) {
            list.push(position);
        }
    }

    /// The positions, in order, of the documents with a value that matches.
    pub(super) fn positions(&self, wanted: &TextMatch) -> Vec<u32> {
        let mut out: Vec<u32> = self
            .values
            .iter()
            .zip(&self.postings)
            .filter(|((value, lower), _)| wanted.matches(value, lower))
            .flat_map(|(_, list)| list.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::real_organizations;

    #[test]
    fn the_head_is_read_from_the_beginning_of_a_card() {
        let mut org = real_organizations().into_iter().next().expect("a real organization");
        org.parent_oid = Some(OrgOid::parse("1.2.643.5.1.13.13.12.2.78.6258").expect("oid"));
        let mut actual = org.legal_address.clone();
        actual.area_name = Some("Тольятти".into());
        actual.post_index = frmo_domain::ident::PostIndex::parse("445000").ok();
        org.actual_address = Some(actual);
        let card = serde_json::to_string(&org).expect("json");
        let head = read_head(card.as_bytes());
        assert_eq!(head.parent, Some((2, 78, 6258)));
        assert_eq!(head.towns.last().map(String::as_str), Some("Тольятти"));
        assert_eq!(head.postal_codes.last().map(String::as_str), Some("445000"));
        assert_eq!(head.towns.len(), 2);
        let cut = &card.as_bytes()[..card.len().min(HEAD_BYTES)];
        assert_eq!(read_head(cut), head, "the prefix the feed reads holds the head");
        let inside = card.find("Тольятти").expect("town") + 1; // inside its first letter
        assert_eq!(read_head(&card.as_bytes()[..inside]).parent, Some((2, 78, 6258)));
        let before_address = card.find("legalAddress").expect("address");
        assert_eq!(read_head(&card.as_bytes()[..before_address]).parent, Some((2, 78, 6258)));
        assert_eq!(read_head(b"not json"), CardHead::default());
    }

    #[test]
    fn dictionaries_match_as_fhir_strings() {
        let mut towns = Dictionary::default();
        for (position, town) in ["Самара", "Москва", "Самарканд", "Самара"].iter().enumerate()
        {
            towns.add(town, position as u32);
        }
        let found = |wanted: TextMatch| towns.positions(&wanted);
        assert_eq!(found(TextMatch::Prefix("сама".into())), vec![0, 2, 3]);
        assert_eq!(found(TextMatch::Contains("СКВ".into())), vec![1]);
        assert_eq!(found(TextMatch::Exact("Самара".into())), vec![0, 3]);
        assert_eq!(found(TextMatch::Exact("самара".into())), Vec::<u32>::new());
    }
}
