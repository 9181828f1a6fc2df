//! The in-process search index over organization versions: name terms → postings, with a second
//! set of postings per region so a region-filtered query touches only that region's documents.
//!
//! Why in process: a full-text query that filters outside the index costs a scan of every match
//! (16 req/s on 1M rows in SQLite FTS5, see docs/decisions.md); here the region is part of the
//! posting key and ranking is BM25 over at most a few hundred documents. The store stays the
//! source of truth: the index is built from `organization_versions` at start and follows new
//! versions by their increasing id, so every process (and both backends) ranks identically.

use std::collections::HashMap;
use std::sync::RwLock;

use frmo_domain::org::OrgStatus;

use super::head::{CardHead, Dictionary, TextMatch};

/// Sort key of an organization: its OID's numeric parts (kind, region, number).
pub type OrgKey = (u8, u8, u32);

/// What the index needs to know about one version of an organization record.
#[derive(Debug, Clone)]
pub struct IndexedVersion {
    pub version_id: i64,
    /// The version this one supersedes; its validity ends where this one begins.
    pub previous_id: Option<i64>,
    pub key: OrgKey,
    /// The organization's region (regionId); it may differ from the region its OID was issued in.
    pub region: u8,
    pub org_type: u32,
    pub agency_kind: u32,
    pub status: OrgStatus,
    /// Microseconds since the Unix epoch.
    pub valid_from: i64,
    pub valid_to: Option<i64>,
    /// Normalised terms, space separated (see `normalize::terms`).
    pub terms: String,
    /// The head organization, towns and postal codes (see `head::read_head`).
    pub head: CardHead,
}

#[derive(Debug, Clone, Copy)]
struct Doc {
    version_id: i64,
    valid_from: i64,
    valid_to: i64,
    key: OrgKey,
    region: u8,
    org_type: u32,
    agency_kind: u32,
    status: OrgStatus,
    len: u16,
}

/// A position in a ranked result list: results continue strictly after it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub score: f32,
    pub key: OrgKey,
}

impl Cursor {
    pub fn encode(&self) -> String {
        format!("{:x}-{}-{}-{}", self.score.to_bits(), self.key.0, self.key.1, self.key.2)
    }

    pub fn decode(text: &str) -> Option<Self> {
        let mut parts = text.split('-');
        let score = f32::from_bits(u32::from_str_radix(parts.next()?, 16).ok()?);
        let key = (parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
        if parts.next().is_some() || score.is_nan() {
            return None;
        }
        Some(Cursor { score, key })
    }
}

/// A search over the index. Empty `terms` and `exact` with `text == false` list every document
/// that passes the filters.
#[derive(Debug, Clone, Default)]
pub struct IndexQuery {
    /// Whether the user gave a text query at all (then only text or exact matches count).
    pub text: bool,
    pub terms: Vec<String>,
    /// Versions that matched an identifier in the text exactly: they rank first.
    pub exact: Vec<i64>,
    /// When set, only these versions may appear (explicit identifier filters).
    pub restrict: Option<Vec<i64>>,
    pub region: Option<u8>,
    pub org_type: Option<u32>,
    pub agency_kind: Option<u32>,
    pub status: Option<OrgStatus>,
    /// Versions with this status are left out (the FHIR face's `active=true`: not liquidated).
    pub not_status: Option<OrgStatus>,
    /// Only versions in force from a moment in `[from, to)` (µs; FHIR's `_lastUpdated`).
    pub valid_from: Option<(i64, i64)>,
    /// Only branches of this organization (FHIR's `partof`).
    pub parent: Option<OrgKey>,
    /// Only versions with an address in a town, or with a postal code, that matches.
    pub town: Option<TextMatch>,
    pub postal_code: Option<TextMatch>,
    /// The instant the register is viewed at (microseconds since the Unix epoch).
    pub at: i64,
    pub after: Option<Cursor>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub version_id: i64,
    pub score: f32,
    pub key: OrgKey,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hits {
    pub hits: Vec<Hit>,
    pub total: usize,
    pub next: Option<Cursor>,
}

#[derive(Default)]
struct Inner {
    docs: Vec<Doc>,
    term_ids: HashMap<Box<str>, u32>,
    postings: Vec<Vec<u32>>,
    regional: HashMap<(u32, u8), Vec<u32>>,
    by_region: HashMap<u8, Vec<u32>>,
    total_len: u64,
    /// The branches of each head organization.
    children: HashMap<OrgKey, Vec<u32>>,
    /// Each organization's current version (the one no later version closed): its id.
    current: HashMap<OrgKey, i64>,
    towns: Dictionary,
    postal_codes: Dictionary,
}

#[derive(Default)]
pub struct SearchIndex {
    inner: RwLock<Inner>,
}

const EXACT_SCORE: f32 = f32::MAX;
const K1: f32 = 1.2;
const B: f32 = 0.75;

impl SearchIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Id of the newest version the index holds (0 when empty).
    pub fn last_version_id(&self) -> i64 {
        self.read().docs.last().map_or(0, |d| d.version_id)
    }

    pub fn len(&self) -> usize {
        self.read().docs.len()
    }

    /// The id of the organization's current version as far as the index has followed the store:
    /// at once for this process's own writes, within a refresh for other processes'.
    pub fn current_version(&self, key: OrgKey) -> Option<i64> {
        self.read().current.get(&key).copied()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds versions newer than any held (older ones are ignored: applying the same batch twice
    /// is harmless) and closes the versions they supersede.
    pub fn apply(&self, versions: &[IndexedVersion]) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        for version in versions {
            inner.add(version);
        }
    }

    /// Takes `fresh`'s contents in place of its own, at once for every reader.
    pub fn replace(&self, fresh: SearchIndex) {
        let fresh = fresh.inner.into_inner().unwrap_or_else(|e| e.into_inner());
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = fresh;
    }

    pub fn search(&self, query: &IndexQuery) -> Hits {
        self.read().search(query)
    }

    /// The versions after version `after`, in the order they were written, of one organization
    /// (`key`) or of all, whose validity began at or after `since` (µs since the Unix epoch): the
    /// history feed. At most `limit` as `(version id, valid from)`, and whether more follow.
    pub fn history(&self, key: Option<OrgKey>, since: i64, after: i64, limit: usize) -> (Vec<(i64, i64)>, bool) {
        let inner = self.read();
        let start = inner.docs.partition_point(|d| d.version_id <= after);
        let mut found: Vec<(i64, i64)> = inner.docs[start..]
            .iter()
            .filter(|d| d.valid_from >= since && key.is_none_or(|k| k == d.key))
            .take(limit.saturating_add(1))
            .map(|d| (d.version_id, d.valid_from))
            .collect();
        let more = found.len() > limit;
        found.truncate(limit);
        (found, more)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn position(&self, version_id: i64) -> Option<u32> {
        self.docs.binary_search_by_key(&version_id, |d| d.version_id).ok().map(|p| p as u32)
    }

    fn add(&mut self, v: &IndexedVersion) {
        if self.docs.last().is_some_and(|d| d.version_id >= v.version_id) {
            return;
        }
        if let Some(previous) = v.previous_id.and_then(|id| self.position(id)) {
            let doc = &mut self.docs[previous as usize];
            doc.valid_to = doc.valid_to.min(v.valid_from);
            if self.current.get(&v.key) == Some(&doc.version_id) {
                self.current.remove(&v.key);
            }
        }
        if v.valid_to.is_none() {
            self.current.insert(v.key, v.version_id);
        }
        let position = self.docs.len() as u32;
        let region = v.region;
        let mut len = 0u16;
        for term in v.terms.split(' ').filter(|t| !t.is_empty()) {
            len = len.saturating_add(1);
            let next_id = self.postings.len() as u32;
            let id = *self.term_ids.entry(term.into()).or_insert(next_id);
            if id == next_id {
                self.postings.push(Vec::new());
            }
            let list = &mut self.postings[id as usize];
            if list.last() != Some(&position) {
                list.push(position);
                self.regional.entry((id, region)).or_default().push(position);
            }
        }
        self.by_region.entry(region).or_default().push(position);
        self.total_len += u64::from(len);
        if let Some(parent) = v.head.parent {
            self.children.entry(parent).or_default().push(position);
        }
        v.head.towns.iter().for_each(|t| self.towns.add(t, position));
        v.head.postal_codes.iter().for_each(|p| self.postal_codes.add(p, position));
        self.docs.push(Doc {
            version_id: v.version_id,
            valid_from: v.valid_from,
            valid_to: v.valid_to.unwrap_or(i64::MAX),
            key: v.key,
            region,
            org_type: v.org_type,
            agency_kind: v.agency_kind,
            status: v.status,
            len,
        });
    }

    fn passes(&self, doc: &Doc, q: &IndexQuery) -> bool {
        doc.valid_from <= q.at
            && q.at < doc.valid_to
            && q.region.is_none_or(|r| r == doc.region)
            && q.org_type.is_none_or(|t| t == doc.org_type)
            && q.agency_kind.is_none_or(|k| k == doc.agency_kind)
            && q.status.is_none_or(|s| s == doc.status)
            && q.not_status.is_none_or(|s| s != doc.status)
            && q.valid_from.is_none_or(|(from, to)| from <= doc.valid_from && doc.valid_from < to)
    }

    /// Documents that contain every term (in the region, when one is given), with BM25 scores.
    fn text_matches(&self, q: &IndexQuery) -> Vec<(u32, f32)> {
        let mut lists: Vec<(&[u32], f32)> = Vec::with_capacity(q.terms.len());
        let n = self.docs.len() as f32;
        for term in &q.terms {
            let Some(&id) = self.term_ids.get(term.as_str()) else { return Vec::new() };
            let global = &self.postings[id as usize];
            let df = global.len() as f32;
            let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
            let list: &[u32] = match q.region {
                Some(region) => self.regional.get(&(id, region)).map_or(&[], Vec::as_slice),
                None => global,
            };
            lists.push((list, idf));
        }
        if lists.is_empty() {
            return Vec::new();
        }
        lists.sort_by_key(|(list, _)| list.len());
        let avg_len = (self.total_len as f32 / n.max(1.0)).max(1.0);
        let idf_sum: f32 = lists.iter().map(|(_, idf)| idf).sum();
        let (first, rest) = lists.split_first().map(|(f, r)| (f.0, r)).unwrap_or((&[], &[]));
        let mut cursors = vec![0usize; rest.len()];
        let mut out = Vec::new();
        'candidates: for &position in first {
            for (i, (list, _)) in rest.iter().enumerate() {
                let from = cursors[i];
                let found = from + list[from..].partition_point(|&p| p < position);
                cursors[i] = found;
                if list.get(found) != Some(&position) {
                    continue 'candidates;
                }
            }
            let len = f32::from(self.docs[position as usize].len);
            let norm = (K1 + 1.0) / (1.0 + K1 * (1.0 - B + B * len / avg_len));
            out.push((position, idf_sum * norm));
        }
        out
    }

    /// The positions (in order) the query's explicit identifiers, head organization, town and
    /// postal code leave; `None` when it names none of them.
    fn allowed(&self, q: &IndexQuery) -> Option<Vec<u32>> {
        let restrict = q.restrict.as_ref().map(|ids| {
            let mut positions: Vec<u32> = ids.iter().filter_map(|&id| self.position(id)).collect();
            positions.sort_unstable();
            positions
        });
        let children = q.parent.map(|p| self.children.get(&p).cloned().unwrap_or_default());
        let towns = q.town.as_ref().map(|t| self.towns.positions(t));
        let postal_codes = q.postal_code.as_ref().map(|p| self.postal_codes.positions(p));
        [restrict, children, towns, postal_codes].into_iter().flatten().reduce(|mut allowed, other| {
            allowed.retain(|p| other.binary_search(p).is_ok());
            allowed
        })
    }

    fn search(&self, q: &IndexQuery) -> Hits {
        let allowed = self.allowed(q);
        let mut scored: Vec<(u32, f32)> = if q.text {
            let mut matches = self.text_matches(q);
            let exact: Vec<u32> = q.exact.iter().filter_map(|&id| self.position(id)).collect();
            matches.retain(|(p, _)| !exact.contains(p));
            matches.extend(exact.into_iter().map(|p| (p, EXACT_SCORE)));
            matches
        } else if let Some(allowed) = &allowed {
            allowed.iter().map(|&p| (p, 0.0)).collect()
        } else if let Some(region) = q.region {
            self.by_region.get(&region).map_or_else(Vec::new, |l| l.iter().map(|&p| (p, 0.0)).collect())
        } else {
            (0..self.docs.len() as u32).map(|p| (p, 0.0)).collect()
        };
        if let (true, Some(allowed)) = (q.text, &allowed) {
            scored.retain(|(p, _)| allowed.binary_search(p).is_ok());
        }
        scored.retain(|&(p, _)| self.passes(&self.docs[p as usize], q));
        let total = scored.len();

        let key = |p: u32| self.docs[p as usize].key;
        // Best first; equal scores in OID order, so paging is stable.
        let order = |a: &(u32, f32), b: &(u32, f32)| b.1.total_cmp(&a.1).then_with(|| key(a.0).cmp(&key(b.0)));
        if let Some(after) = q.after {
            scored.retain(|&(p, score)| score < after.score || (score == after.score && key(p) > after.key));
        }
        let limit = q.limit.max(1);
        let more = scored.len() > limit;
        if more {
            scored.select_nth_unstable_by(limit, order);
            scored.truncate(limit);
        }
        scored.sort_unstable_by(order);
        let hits: Vec<Hit> = scored
            .iter()
            .map(|&(p, score)| Hit { version_id: self.docs[p as usize].version_id, score, key: key(p) })
            .collect();
        let next = if more { hits.last().map(|h| Cursor { score: h.score, key: h.key }) } else { None };
        Hits { hits, total, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(id: i64, key: OrgKey, terms: &str) -> IndexedVersion {
        IndexedVersion {
            version_id: id,
            previous_id: None,
            key,
            region: key.1,
            org_type: 1,
            agency_kind: 1,
            status: OrgStatus::Active,
            valid_from: 0,
            valid_to: None,
            terms: terms.into(),
            head: CardHead::default(),
        }
    }

    fn query(terms: &[&str]) -> IndexQuery {
        IndexQuery {
            text: true,
            terms: terms.iter().map(|t| t.to_string()).collect(),
            at: 10,
            limit: 10,
            ..IndexQuery::default()
        }
    }

    #[test]
    fn region_postings_and_ranking() {
        let index = SearchIndex::new();
        index.apply(&[
            version(1, (2, 77, 1), "городск больниц 1 москв"),
            version(2, (2, 77, 2), "городск больниц"),
            version(3, (2, 63, 1), "городск больниц"),
            version(4, (2, 77, 3), "городск поликлиник"),
        ]);
        let mut q = query(&["городск", "больниц"]);
        q.region = Some(77);
        let hits = index.search(&q);
        assert_eq!(hits.total, 2);
        // The shorter name ranks first.
        assert_eq!(hits.hits.iter().map(|h| h.version_id).collect::<Vec<_>>(), vec![2, 1]);
    }

    #[test]
    fn exact_hits_first_and_paging_is_complete() {
        let index = SearchIndex::new();
        let versions: Vec<_> = (1..=25).map(|i| version(i, (2, 50, i as u32), "больниц")).collect();
        index.apply(&versions);
        let mut q = query(&["больниц"]);
        q.exact = vec![17];
        q.limit = 10;
        let mut seen = Vec::new();
        loop {
            let page = index.search(&q);
            assert_eq!(page.total, 25);
            seen.extend(page.hits.iter().map(|h| h.version_id));
            match page.next {
                Some(next) => q.after = Some(Cursor::decode(&next.encode()).expect("cursor round-trips")),
                None => break,
            }
        }
        assert_eq!(seen[0], 17);
        seen.sort();
        assert_eq!(seen, (1..=25).collect::<Vec<_>>());
    }

    #[test]
    fn superseded_versions_drop_out_of_the_present_but_not_the_past() {
        let index = SearchIndex::new();
        index.apply(&[version(1, (2, 50, 1), "стар назван")]);
        assert_eq!(index.current_version((2, 50, 1)), Some(1));
        let mut renamed = version(2, (2, 50, 1), "нов назван");
        renamed.previous_id = Some(1);
        renamed.valid_from = 100;
        index.apply(&[renamed]);
        let mut q = query(&["назван"]);
        q.at = 50;
        assert_eq!(index.search(&q).hits[0].version_id, 1);
        q.at = 150;
        let hits = index.search(&q);
        assert_eq!(hits.total, 1);
        assert_eq!(hits.hits[0].version_id, 2);
        assert_eq!(index.current_version((2, 50, 1)), Some(2));
        assert_eq!(index.current_version((2, 50, 2)), None);
    }

    #[test]
    fn a_version_written_closed_is_not_current() {
        let index = SearchIndex::new();
        let mut past = version(1, (2, 50, 1), "назван");
        past.valid_to = Some(100);
        index.apply(&[past]);
        assert_eq!(index.current_version((2, 50, 1)), None);
    }

    #[test]
    fn history_lists_versions_in_write_order_by_organization_and_time() {
        let index = SearchIndex::new();
        let mut versions: Vec<_> = (1..=6).map(|i| version(i, (2, 50, (i % 2) as u32), "назван")).collect();
        for (i, v) in versions.iter_mut().enumerate() {
            v.valid_from = i as i64 * 10;
        }
        index.apply(&versions);
        assert_eq!(index.history(Some((2, 50, 1)), 0, 0, 10), (vec![(1, 0), (3, 20), (5, 40)], false));
        assert_eq!(index.history(None, 20, 0, 2), (vec![(3, 20), (4, 30)], true));
        assert_eq!(index.history(None, 20, 4, 2), (vec![(5, 40), (6, 50)], false));
    }

    #[test]
    fn a_status_can_be_left_out() {
        let index = SearchIndex::new();
        let mut closed = version(2, (2, 50, 2), "назван");
        closed.status = OrgStatus::Liquidated;
        index.apply(&[version(1, (2, 50, 1), "назван"), closed]);
        let mut q = query(&["назван"]);
        q.not_status = Some(OrgStatus::Liquidated);
        assert_eq!(index.search(&q).hits.iter().map(|h| h.version_id).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn versions_can_be_chosen_by_when_they_took_effect() {
        let index = SearchIndex::new();
        let mut later = version(2, (2, 50, 2), "назван");
        later.valid_from = 5;
        index.apply(&[version(1, (2, 50, 1), "назван"), later]);
        let mut q = query(&["назван"]);
        q.valid_from = Some((1, 6));
        assert_eq!(index.search(&q).hits.iter().map(|h| h.version_id).collect::<Vec<_>>(), vec![2]);
        q.valid_from = Some((0, 5));
        assert_eq!(index.search(&q).hits.iter().map(|h| h.version_id).collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn branches_towns_and_postal_codes_narrow_a_search() {
        let index = SearchIndex::new();
        let mut branch = version(2, (2, 50, 2), "филиал");
        branch.head =
            CardHead {
                parent: Some((2, 50, 1)), towns: vec!["Тольятти".into()], postal_codes: vec!["445000".into()]
            };
        let mut head = version(1, (2, 50, 1), "головн");
        head.head.towns = vec!["Самара".into()];
        index.apply(&[head, branch]);
        let found = |q: &IndexQuery| index.search(q).hits.iter().map(|h| h.version_id).collect::<Vec<_>>();
        let all = IndexQuery { at: 10, limit: 10, ..IndexQuery::default() };
        assert_eq!(found(&IndexQuery { parent: Some((2, 50, 1)), ..all.clone() }), vec![2]);
        assert_eq!(found(&IndexQuery { parent: Some((2, 50, 2)), ..all.clone() }), Vec::<i64>::new());
        assert_eq!(found(&IndexQuery { town: Some(TextMatch::Prefix("сам".into())), ..all.clone() }), vec![1]);
        assert_eq!(found(&IndexQuery { postal_code: Some(TextMatch::Prefix("445".into())), ..all.clone() }), vec![2]);
        let mut q = query(&["филиал"]);
        q.town = Some(TextMatch::Exact("Самара".into()));
        assert_eq!(found(&q), Vec::<i64>::new(), "every condition holds at once");
        q.town = Some(TextMatch::Contains("ЛЬЯТ".into()));
        assert_eq!(found(&q), vec![2]);
    }

    #[test]
    fn garbage_cursors_are_refused() {
        assert_eq!(Cursor::decode("zz-1-2-3"), None);
        assert_eq!(Cursor::decode("1-2-3"), None);
        assert_eq!(Cursor::decode(""), None);
    }
}
