//! Support and feedback (issue #8): the topic classifier, support requests with their queues,
//! deadlines and conversation, and the help centre.

pub mod classifier;
pub mod help;
pub mod report;
pub mod requests;
mod step;
mod submit;

/// `23.11.2026 15:00 МСК`.
pub fn format_time(unix: i64) -> String {
    frmo_domain::date::moscow_time(unix)
}
