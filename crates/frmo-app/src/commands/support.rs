//! Support requests' topic classifier: `frmo support eval|classify`.

use std::process::ExitCode;

use clap::Subcommand;
use frmo_registry::support::classifier::{self, Basis, Classifier};

use crate::{App, Config};

#[derive(Subcommand, Debug)]
pub enum SupportCommand {
    /// The classifier's accuracy on the held-out part of the labelled set (every 5th request of
    /// data/support/requests.tsv, never trained on): per topic and overall; `--mistakes` lists
    /// the texts it got wrong.
    Eval {
        #[arg(long)]
        mistakes: bool,
    },
    /// Print the topic of one text (as a request without a chosen topic would get it) and why.
    Classify {
        text: String,
        /// Train also on the requests operators re-classified (reads the database).
        #[arg(long)]
        with_reclassified: bool,
    },
}

pub async fn run(config: Config, command: SupportCommand) -> anyhow::Result<ExitCode> {
    match command {
        SupportCommand::Eval { mistakes } => eval(mistakes),
        SupportCommand::Classify { text, with_reclassified } => {
            let classifier = if with_reclassified {
                App::build(config.for_batch()).await?.registry.support_classifier().await?
            } else {
                Classifier::shipped_with::<&str>([])
            };
            let guess = classifier.classify(&text, None);
            let basis = match guess.basis {
                Basis::Rule(rule) => format!("правило: {rule}"),
                Basis::Model => format!("модель, вероятность {:.2}", guess.confidence),
                Basis::Explicit => "выбрана пользователем".to_owned(),
            };
            println!("{}\t{}\t{basis}", guess.topic.as_str(), guess.topic.label());
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn eval(mistakes: bool) {
    let evaluation = classifier::evaluate_shipped();
    println!("{:<34} {:>7} {:>7} {:>9}", "тема", "верно", "всего", "точность");
    for (topic, right, total) in &evaluation.per_topic {
        let share = if *total == 0 { 0.0 } else { *right as f64 / *total as f64 };
        println!("{:<34} {right:>7} {total:>7} {:>8.1}%", topic.label(), share * 100.0);
    }
    println!(
        "{:<34} {:>7} {:>7} {:>8.1}%",
        "итого (отложенная выборка)",
        evaluation.right,
        evaluation.total,
        evaluation.accuracy() * 100.0
    );
    if mistakes {
        for (line, expected, guessed, text) in &evaluation.mistakes {
            println!("строка {line}: {} → {}: {text}", expected.as_str(), guessed.as_str());
        }
    }
}
