//! The Russian search normaliser: one function turns a name or a query into the terms both the
//! index and the query side use, so every backend sees the same tokens.

use rust_stemmers::{Algorithm, Stemmer};
use std::sync::LazyLock;

static RUSSIAN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// Words too common in organization names to help a search; a query made only of them matches
/// nothing rather than everything.
const STOP_WORDS: &[&str] =
    &["и", "в", "во", "на", "по", "с", "со", "для", "им", "имени", "из", "к", "о", "об", "от", "при", "у"];

/// Terms of words as written, per thread: the words of organization names repeat (учреждение,
/// здравоохранения, больница…), and lowercasing and stemming them is most of the cost of writing a
/// card's search terms in bulk.
const TERM_CACHE: usize = 100_000;

thread_local! {
    static TERMS: std::cell::RefCell<std::collections::HashMap<String, Option<String>>> = Default::default();
}

/// The term of one word (`None` for a stop word).
fn term(word: &str) -> Option<String> {
    TERMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(term) = cache.get(word) {
            return term.clone();
        }
        let folded: String =
            word.chars().flat_map(char::to_lowercase).map(|c| if c == 'ё' { 'е' } else { c }).collect();
        let term = if STOP_WORDS.contains(&folded.as_str()) {
            None
        } else if folded.chars().any(|c| ('а'..='я').contains(&c)) {
            Some(RUSSIAN.stem(&folded).into_owned())
        } else {
            Some(folded)
        };
        if cache.len() >= TERM_CACHE {
            cache.clear();
        }
        cache.insert(word.to_owned(), term.clone());
        term
    })
}

/// Letters and digits; Cyrillic letters answered without the general Unicode table.
fn word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, 'А'..='я' | 'Ё' | 'ё') || (!c.is_ascii() && c.is_alphanumeric())
}

/// Lowercases, folds ё→е, splits on anything that is not a letter or digit, drops stop words and
/// stems Russian words. The result is deduplicated and keeps first-seen order.
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !word_char(c)) {
        if word.is_empty() {
            continue;
        }
        if let Some(term) = term(word)
            && !term.is_empty()
            && !out.contains(&term)
        {
            out.push(term);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::terms;

    #[test]
    fn inflected_forms_share_a_term() {
        assert_eq!(terms("университета"), terms("Университет"));
        assert_eq!(terms("городской больницы"), terms("Городская больница"));
    }

    #[test]
    fn yo_folds_and_punctuation_splits() {
        assert_eq!(terms("«Озёрная»"), terms("озерная"));
        assert_eq!(terms("ГБУЗ \"ГКБ №1\""), vec!["гбуз", "гкб", "1"]);
    }

    #[test]
    fn stop_words_are_dropped() {
        assert_eq!(terms("больница имени Пирогова"), terms("больница Пирогова"));
        assert!(terms("и в на").is_empty());
    }
}
