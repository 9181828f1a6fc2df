//! Page numbers under a list (the GOV.UK «pagination» pattern): «Предыдущая», the first and last
//! pages, the pages around the current one with «…» between, and «Следующая». The list's address
//! keeps its filters; only `page` changes — or, for a list paged by a cursor (the public search),
//! `cursor` and `back` (the cursors of the pages before), so the pages already seen and the next
//! one are links. Rendered by the `links` macro of `pager.html`.

use std::ops::Range;

/// Lines of a list on one page.
pub const PAGE_SIZE: usize = 50;

/// Where a list is and the links to its other pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pager {
    /// The page shown, from 1.
    pub page: usize,
    /// How many pages there are (at least 1).
    pub pages: usize,
    size: usize,
    total: usize,
    /// The list's address with its filters, without `page` (or `cursor` and `back`).
    base: String,
    /// A list paged by a cursor: the cursors of pages 2 to the one shown, and of the next page.
    keyset: Option<(Vec<String>, Option<String>)>,
}

/// A link of the pager: a page number, or a gap («…»).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Page(usize),
    Gap,
}

impl Pager {
    /// The pager of `total` lines at `base` (`/cabinet/moderation?region=63`), on the page asked
    /// for in `page` (a page past the end shows the last; anything not a number, the first).
    pub fn new(total: usize, page: Option<&str>, base: impl Into<String>, size: usize) -> Self {
        let size = size.max(1);
        let pages = total.div_ceil(size).max(1);
        let page = page.and_then(|p| p.trim().parse::<usize>().ok()).unwrap_or(1).clamp(1, pages);
        Pager { page, pages, size, total, base: base.into(), keyset: None }
    }

    /// The pager of a list paged by a cursor: `total` lines at `base`; `cursors` opened pages 2 to
    /// the one shown, `next` opens the next page.
    pub fn keyset(
        total: usize,
        size: usize,
        base: impl Into<String>,
        cursors: Vec<String>,
        next: Option<String>,
    ) -> Self {
        let size = size.max(1);
        let page = cursors.len() + 1;
        let pages = total.div_ceil(size).max(page + usize::from(next.is_some()));
        Pager { page, pages, size, total, base: base.into(), keyset: Some((cursors, next)) }
    }

    /// The last page a link can reach: all of them, or (by a cursor) the next one.
    fn reachable(&self) -> usize {
        match &self.keyset {
            None => self.pages,
            Some((_, next)) => self.page + usize::from(next.is_some()),
        }
    }

    /// The pager of a list at `path` whose query is `raw`: its filters kept, its `page` and any
    /// confirmation code (`done`) left out of the links.
    pub fn of_query(total: usize, path: &str, raw: Option<&str>, size: usize) -> Self {
        let pairs: Vec<(String, String)> = raw.and_then(|q| serde_urlencoded::from_str(q).ok()).unwrap_or_default();
        let page = pairs.iter().find(|(k, _)| k == "page").map(|(_, v)| v.as_str());
        let kept: Vec<&(String, String)> = pairs.iter().filter(|(k, _)| k != "page" && k != "done").collect();
        let base = match serde_urlencoded::to_string(&kept).unwrap_or_default() {
            query if query.is_empty() => path.to_owned(),
            query => format!("{path}?{query}"),
        };
        Pager::new(total, page, base, size)
    }

    /// The lines of the page shown.
    pub fn range(&self) -> Range<usize> {
        let start = (self.page - 1) * self.size;
        start.min(self.total)..(start + self.size).min(self.total)
    }

    /// The lines of `items` on the page shown.
    pub fn slice<T>(&self, mut items: Vec<T>) -> Vec<T> {
        let range = self.range();
        items.truncate(range.end);
        items.drain(..range.start);
        items
    }

    /// Whether there is more than one page (no pager otherwise).
    pub fn shown(&self) -> bool {
        self.pages > 1
    }

    /// The address of page `page`.
    pub fn href(&self, page: &usize) -> String {
        let separator = if self.base.contains('?') { '&' } else { '?' };
        if *page <= 1 {
            return self.base.clone();
        }
        let Some((cursors, next)) = &self.keyset else { return format!("{}{separator}page={page}", self.base) };
        let (cursor, back) = match cursors.get(page - 2) {
            Some(cursor) => (cursor.clone(), &cursors[..page - 2]),
            None => (next.clone().unwrap_or_default(), &cursors[..]),
        };
        let query: Vec<(&str, String)> =
            [("cursor", cursor), ("back", back.join(","))].into_iter().filter(|(_, v)| !v.is_empty()).collect();
        format!("{}{separator}{}", self.base, serde_urlencoded::to_string(query).unwrap_or_default())
    }

    /// Whether `page` is the page shown.
    pub fn is_current(&self, page: &usize) -> bool {
        *page == self.page
    }

    pub fn previous(&self) -> Option<usize> {
        (self.page > 1).then(|| self.page - 1)
    }

    pub fn next(&self) -> Option<usize> {
        (self.page < self.reachable()).then(|| self.page + 1)
    }

    /// The numbers shown: the first, the last, and one either side of the current page (by a
    /// cursor: the pages up to the next one).
    pub fn links(&self) -> Vec<Link> {
        let mut links = Vec::new();
        let reachable = self.reachable();
        for page in 1..=reachable {
            let near = page == 1 || page == self.pages || page.abs_diff(self.page) <= 1;
            if near {
                links.push(Link::Page(page));
            } else if links.last() != Some(&Link::Gap) {
                links.push(Link::Gap);
            }
        }
        links
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_around_the_current_one_with_gaps_between() {
        let pager = Pager::new(480, Some("5"), "/cabinet/moderation?region=63", 50);
        assert_eq!((pager.page, pager.pages), (5, 10));
        assert_eq!(
            pager.links(),
            [Link::Page(1), Link::Gap, Link::Page(4), Link::Page(5), Link::Page(6), Link::Gap, Link::Page(10)]
        );
        assert_eq!(pager.range(), 200..250);
        assert_eq!(pager.href(&4), "/cabinet/moderation?region=63&page=4");
        assert_eq!(pager.href(&1), "/cabinet/moderation?region=63");
        assert_eq!((pager.previous(), pager.next()), (Some(4), Some(6)));
    }

    #[test]
    fn the_last_page_is_short_and_out_of_range_pages_are_clamped() {
        let last = Pager::new(120, Some("99"), "/list", 50);
        assert_eq!((last.page, last.range(), last.next()), (3, 100..120, None));
        assert_eq!(last.slice((0..120).collect()), (100..120).collect::<Vec<_>>());
        let first = Pager::new(120, Some("ноль"), "/list", 50);
        assert_eq!((first.page, first.previous(), first.href(&2)), (1, None, "/list?page=2".to_owned()));
        let one = Pager::new(0, None, "/list", 50);
        assert!(!one.shown() && one.range().is_empty());
    }

    #[test]
    fn links_keep_the_filters_and_drop_the_page_and_the_confirmation() {
        let pager = Pager::of_query(200, "/w", Some("q=%D0%9E%D1%80&page=2&done=import&dismissed=1"), 50);
        assert_eq!(pager.page, 2);
        assert_eq!(pager.href(&3), "/w?q=%D0%9E%D1%80&dismissed=1&page=3");
        assert_eq!(Pager::of_query(10, "/w", None, 50).href(&1), "/w");
    }

    #[test]
    fn a_list_paged_by_a_cursor_links_the_pages_seen_and_the_next() {
        let cursors = vec!["c2".to_owned(), "c3".to_owned(), "c4".to_owned()];
        let pager = Pager::keyset(200, 20, "/?q=x", cursors, Some("c5".into()));
        assert_eq!((pager.page, pager.pages), (4, 10));
        assert_eq!(pager.links(), [Link::Page(1), Link::Gap, Link::Page(3), Link::Page(4), Link::Page(5)]);
        assert_eq!(pager.href(&1), "/?q=x");
        assert_eq!(pager.href(&3), "/?q=x&cursor=c3&back=c2");
        assert_eq!(pager.href(&5), "/?q=x&cursor=c5&back=c2%2Cc3%2Cc4");
        assert_eq!((pager.previous(), pager.next()), (Some(3), Some(5)));
        let last = Pager::keyset(45, 20, "/?q=x", vec!["c2".into(), "c3".into()], None);
        assert_eq!((last.page, last.pages, last.next()), (3, 3, None));
    }
}
