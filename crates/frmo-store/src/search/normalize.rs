//! The Russian search normaliser: one function turns a name or a query into the terms both the
//! index and the query side use, so every backend sees the same tokens.

use rust_stemmers::{Algorithm, Stemmer};
use std::sync::LazyLock;

static RUSSIAN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// Words too common in organization names to help a search; a query made only of them matches
/// nothing rather than everything.
const STOP_WORDS: &[&str] =
    &["и", "в", "во", "на", "по", "с", "со", "для", "им", "имени", "из", "к", "о", "об", "от", "при", "у"];

/// Words stemmed per thread: the words of organization names repeat (учреждение, здравоохранения,
/// больница…), and stemming is most of the cost of writing a card's search terms in bulk.
const STEM_CACHE: usize = 100_000;

thread_local! {
    static STEMS: std::cell::RefCell<std::collections::HashMap<String, String>> = Default::default();
}

fn stem(word: String) -> String {
    STEMS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(term) = cache.get(&word) {
            return term.clone();
        }
        let term = RUSSIAN.stem(&word).into_owned();
        if cache.len() >= STEM_CACHE {
            cache.clear();
        }
        cache.insert(word, term.clone());
        term
    })
}

/// Lowercases, folds ё→е, splits on anything that is not a letter or digit, drops stop words and
/// stems Russian words. The result is deduplicated and keeps first-seen order.
pub fn terms(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        let folded: String =
            word.chars().flat_map(char::to_lowercase).map(|c| if c == 'ё' { 'е' } else { c }).collect();
        if STOP_WORDS.contains(&folded.as_str()) {
            continue;
        }
        let term = if folded.chars().any(|c| ('а'..='я').contains(&c)) { stem(folded) } else { folded };
        if !term.is_empty() && !out.contains(&term) {
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
