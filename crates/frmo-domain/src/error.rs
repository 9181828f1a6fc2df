//! The one validation error of the domain: which field, and what is wrong with it, in Russian.

/// A value that failed validation. `field` is the machine name used in forms and APIs (`inn`),
/// `label` the Russian name shown to people («ИНН»); Display reads «ИНН: неверное контрольное число».
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{label}: {message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub label: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, label: &'static str, message: impl Into<String>) -> Self {
        ValidationError { field, label, message: message.into() }
    }
}
