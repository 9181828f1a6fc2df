//! Support and feedback (issue #8): the topic classifier, support requests with their queues,
//! deadlines and conversation, and the help centre.

pub mod classifier;
pub mod help;
pub mod report;
pub mod requests;

use time::OffsetDateTime;

/// `23.11.2026 15:00`, Moscow time.
pub fn format_time(unix: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(crate::requests::MOSCOW);
    format!("{:02}.{:02}.{} {:02}:{:02}", at.day(), u8::from(at.month()), at.year(), at.hour(), at.minute())
}
