//! The topic of a support request, guessed from its text: a few rules for unmistakable markers
//! (ЕСИА error codes, the registry's refusal codes, HTTP 5xx) and otherwise a multinomial naive
//! Bayes model over the words of the register's Russian normaliser (lowercase, ё→е, Snowball stems).
//! The labelled set ships in `data/support/requests.tsv`; every 5th request of it is held out and
//! never trained on, so `frmo support eval` measures the model on text it has not seen.

use std::collections::HashMap;

use frmo_store::search::normalize::terms;

/// The labelled requests shipped with the registry.
pub const DATASET: &str = include_str!("../../data/support/requests.tsv");

/// What a support request is about; each topic has its queue and its answer deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    /// Something broke: server errors, pages that do not load, files that do not open.
    Failure,
    /// How to do something in the interface.
    Interface,
    /// A proposal to improve the registry.
    Proposal,
    /// The register's data about an organization or worker is wrong.
    Data,
    /// Sign-in, ЕСИА, roles and rights.
    Access,
}

impl Topic {
    pub const ALL: [Topic; 5] = [Topic::Failure, Topic::Interface, Topic::Proposal, Topic::Data, Topic::Access];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Failure => "failure",
            Topic::Interface => "interface",
            Topic::Proposal => "proposal",
            Topic::Data => "data",
            Topic::Access => "access",
        }
    }

    pub fn parse(text: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|topic| topic.as_str() == text)
    }

    /// The topic's name, in Russian.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Failure => "Техническая ошибка",
            Topic::Interface => "Вопрос по работе с интерфейсом",
            Topic::Proposal => "Предложение по улучшению",
            Topic::Data => "Исправление данных",
            Topic::Access => "Доступ и вход",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A labelled request of the dataset; `line` is its line number in the file (for messages).
#[derive(Debug, Clone)]
pub struct Example {
    pub line: usize,
    pub topic: Topic,
    pub text: String,
    /// Part of the held-out evaluation set.
    pub held_out: bool,
}

/// Reads `class<TAB>text` lines (blank lines and `#` comments skipped); every 5th request is held
/// out. An unknown class or a line without a tab names its line.
pub fn parse_dataset(text: &str) -> Result<Vec<Example>, String> {
    let mut examples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((class, request)) = line.split_once('\t') else {
            return Err(format!("строка {}: нет табуляции между классом и текстом", number + 1));
        };
        let Some(topic) = Topic::parse(class.trim()) else {
            return Err(format!("строка {}: неизвестный класс «{class}»", number + 1));
        };
        let held_out = (examples.len() + 1) % 5 == 0;
        examples.push(Example { line: number + 1, topic, text: request.trim().to_owned(), held_out });
    }
    Ok(examples)
}

/// The shipped dataset (it is checked by a test, so an error here is a build defect).
pub fn shipped() -> Vec<Example> {
    parse_dataset(DATASET).unwrap_or_default()
}

/// Why the classifier chose a topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Basis {
    /// The requester chose the topic.
    Explicit,
    /// A rule matched an unmistakable marker (named).
    Rule(&'static str),
    /// The trained model's most likely topic.
    Model,
}

/// A topic with its basis and, for the model, the probability it gives the topic.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guess {
    pub topic: Topic,
    pub basis: Basis,
    pub confidence: f64,
}

/// Refusal codes the registry shows; a request quoting one is about access.
const ACCESS_CODES: &[&str] = &[
    "not_signed_in",
    "not_a_member",
    "not_chief",
    "account_not_confirmed",
    "consent_missing",
    "outside_region",
    "read_only_role",
    "role_required",
    "operator_required",
];

/// Phrases of HTTP server failures.
const SERVER_FAILURES: &[&str] =
    &["internal server error", "bad gateway", "gateway timeout", "service unavailable", "ошибка сервера"];

/// The rules: markers that settle the topic without the model.
fn rule(text: &str) -> Option<(Topic, &'static str)> {
    let lower = text.to_lowercase();
    if esia_code(&lower) {
        return Some((Topic::Access, "код ошибки ЕСИА"));
    }
    if ACCESS_CODES.iter().any(|code| lower.contains(code)) {
        return Some((Topic::Access, "код отказа в доступе"));
    }
    if SERVER_FAILURES.iter().any(|phrase| lower.contains(phrase))
        || lower.split(|c: char| !c.is_alphanumeric()).any(|word| matches!(word, "500" | "502" | "503" | "504"))
    {
        return Some((Topic::Failure, "ошибка сервера (HTTP 5xx)"));
    }
    None
}

/// `ESIA-007053`, `ЕСИА-007053` or a bare `007053` (ЕСИА's codes are six digits from 00).
fn esia_code(lower: &str) -> bool {
    for prefix in ["esia-", "есиа-", "esia ", "есиа "] {
        if let Some(at) = lower.find(prefix) {
            let rest = &lower[at + prefix.len()..];
            if rest.chars().take_while(char::is_ascii_digit).count() >= 6 {
                return true;
            }
        }
    }
    lower.split(|c: char| !c.is_ascii_digit()).any(|digits| digits.len() == 6 && digits.starts_with("00"))
}

/// The model's features of a text: normalised words, and `?` for a question.
fn features(text: &str) -> Vec<String> {
    let mut words = terms(text);
    if text.contains('?') {
        words.push("?".to_owned());
    }
    words
}

/// A multinomial naive Bayes model with Laplace smoothing over [`features`].
#[derive(Debug, Clone)]
pub struct Classifier {
    log_prior: [f64; 5],
    /// Per word, its log-likelihood under each topic.
    log_likelihood: HashMap<String, [f64; 5]>,
    examples: usize,
}

impl Classifier {
    /// Trains on labelled texts.
    pub fn train<S: AsRef<str>>(examples: impl IntoIterator<Item = (Topic, S)>) -> Classifier {
        let mut documents = [0usize; 5];
        let mut counts: HashMap<String, [u32; 5]> = HashMap::new();
        let mut totals = [0u32; 5];
        for (topic, text) in examples {
            let i = topic.index();
            documents[i] += 1;
            for word in features(text.as_ref()) {
                counts.entry(word).or_default()[i] += 1;
                totals[i] += 1;
            }
        }
        let examples: usize = documents.iter().sum();
        let vocabulary = counts.len().max(1) as f64;
        let mut log_prior = [0.0; 5];
        for i in 0..5 {
            // Smoothed so a topic without examples is unlikely, not impossible.
            log_prior[i] = ((documents[i] as f64 + 1.0) / (examples as f64 + 5.0)).ln();
        }
        let log_likelihood = counts
            .into_iter()
            .map(|(word, count)| {
                let mut row = [0.0; 5];
                for i in 0..5 {
                    row[i] = ((f64::from(count[i]) + 1.0) / (f64::from(totals[i]) + vocabulary)).ln();
                }
                (word, row)
            })
            .collect();
        Classifier { log_prior, log_likelihood, examples }
    }

    /// Trains on the shipped dataset's training part and on extra labelled texts (requests that
    /// operators re-classified).
    pub fn shipped_with<S: AsRef<str>>(extra: impl IntoIterator<Item = (Topic, S)>) -> Classifier {
        let training = shipped().into_iter().filter(|e| !e.held_out).map(|e| (e.topic, e.text));
        Classifier::train(training.chain(extra.into_iter().map(|(topic, text)| (topic, text.as_ref().to_owned()))))
    }

    /// How many texts it was trained on.
    pub fn examples(&self) -> usize {
        self.examples
    }

    /// The topic of a text: the explicit one when given, else a rule's, else the model's.
    pub fn classify(&self, text: &str, explicit: Option<Topic>) -> Guess {
        if let Some(topic) = explicit {
            return Guess { topic, basis: Basis::Explicit, confidence: 1.0 };
        }
        if let Some((topic, name)) = rule(text) {
            return Guess { topic, basis: Basis::Rule(name), confidence: 1.0 };
        }
        let scores = self.scores(text);
        let (best, _) = scores
            .iter()
            .enumerate()
            .fold((0, f64::NEG_INFINITY), |(bi, bs), (i, &s)| if s > bs { (i, s) } else { (bi, bs) });
        // Softmax of the log scores gives the model's probability of its choice.
        let max = scores[best];
        let sum: f64 = scores.iter().map(|s| (s - max).exp()).sum();
        Guess { topic: Topic::ALL[best], basis: Basis::Model, confidence: 1.0 / sum }
    }

    fn scores(&self, text: &str) -> [f64; 5] {
        let mut scores = self.log_prior;
        for word in features(text) {
            // Words no training text had say nothing about the topic.
            if let Some(row) = self.log_likelihood.get(&word) {
                for (score, l) in scores.iter_mut().zip(row) {
                    *score += l;
                }
            }
        }
        scores
    }
}

/// Accuracy on a labelled set: per topic (right, total) and overall.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    pub per_topic: Vec<(Topic, usize, usize)>,
    pub right: usize,
    pub total: usize,
    /// Texts classified wrongly: (line, expected, guessed, text).
    pub mistakes: Vec<(usize, Topic, Topic, String)>,
}

impl Evaluation {
    pub fn accuracy(&self) -> f64 {
        if self.total == 0 { 0.0 } else { self.right as f64 / self.total as f64 }
    }
}

/// Classifies every example (without an explicit topic) and counts the right guesses.
pub fn evaluate(classifier: &Classifier, examples: &[Example]) -> Evaluation {
    let mut evaluation =
        Evaluation { per_topic: Topic::ALL.iter().map(|t| (*t, 0, 0)).collect(), ..Evaluation::default() };
    for example in examples {
        let guess = classifier.classify(&example.text, None);
        let row = &mut evaluation.per_topic[example.topic.index()];
        row.2 += 1;
        evaluation.total += 1;
        if guess.topic == example.topic {
            row.1 += 1;
            evaluation.right += 1;
        } else {
            evaluation.mistakes.push((example.line, example.topic, guess.topic, example.text.clone()));
        }
    }
    evaluation
}

/// The held-out evaluation of the shipped model (what `frmo support eval` prints).
pub fn evaluate_shipped() -> Evaluation {
    let examples = shipped();
    let held_out: Vec<Example> = examples.iter().filter(|e| e.held_out).cloned().collect();
    evaluate(&Classifier::shipped_with::<&str>([]), &held_out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_parses_and_holds_out_every_fifth_request() {
        let examples = parse_dataset(DATASET).expect("the shipped dataset parses");
        assert!(examples.len() >= 400, "{} examples", examples.len());
        let held_out = examples.iter().filter(|e| e.held_out).count();
        assert_eq!(held_out, examples.len() / 5);
        for topic in Topic::ALL {
            assert!(examples.iter().filter(|e| e.held_out && e.topic == topic).count() >= 10, "{topic:?}");
        }
        assert!(parse_dataset("nonsense\tтекст").expect_err("unknown class").contains("строка 1"));
        assert!(parse_dataset("failure без табуляции").is_err());
    }

    #[test]
    fn held_out_accuracy_reaches_the_target() {
        let evaluation = evaluate_shipped();
        assert_eq!(evaluation.total, 80);
        assert!(evaluation.accuracy() >= 0.85, "accuracy {:.3}: {:#?}", evaluation.accuracy(), evaluation.mistakes);
    }

    #[test]
    fn the_model_never_saw_the_held_out_texts() {
        let examples = shipped();
        let trained = Classifier::shipped_with::<&str>([]);
        assert_eq!(trained.examples(), examples.iter().filter(|e| !e.held_out).count());
    }

    #[test]
    fn an_explicit_topic_wins_and_rules_beat_the_model() {
        let classifier = Classifier::shipped_with::<&str>([]);
        let text = "Не могу войти через Госуслуги, ошибка ESIA-007053";
        assert_eq!(classifier.classify(text, None).topic, Topic::Access);
        assert_eq!(classifier.classify(text, None).basis, Basis::Rule("код ошибки ЕСИА"));
        let explicit = classifier.classify(text, Some(Topic::Proposal));
        assert_eq!((explicit.topic, explicit.basis), (Topic::Proposal, Basis::Explicit));
        assert_eq!(classifier.classify("Internal Server Error на странице отчёта", None).topic, Topic::Failure);
    }

    #[test]
    fn the_model_tells_typical_requests_apart() {
        let classifier = Classifier::shipped_with::<&str>([]);
        let cases = [
            ("Как загрузить новую версию устава организации?", Topic::Interface),
            ("Предлагаю добавить в отчёты выгрузку в формате ODS", Topic::Proposal),
            ("В карточке указан неверный КПП нашей поликлиники", Topic::Data),
            ("не могу зайти через госуслуги, нет доступа к кабинету", Topic::Access),
        ];
        for (text, topic) in cases {
            let guess = classifier.classify(text, None);
            assert_eq!(guess.topic, topic, "{text}");
            assert_eq!(guess.basis, Basis::Model);
            assert!(guess.confidence > 0.2 && guess.confidence <= 1.0);
        }
    }

    #[test]
    fn retraining_on_reclassified_requests_moves_the_guess() {
        let text = "Хочу поговорить о планах ведомства на следующий год";
        let before = Classifier::shipped_with::<&str>([]).classify(text, None).topic;
        let target = if before == Topic::Proposal { Topic::Data } else { Topic::Proposal };
        let extra = vec![(target, text); 3];
        let after = Classifier::shipped_with(extra).classify(text, None);
        assert_eq!(after.topic, target);
    }
}
