//! The registry's error: what went wrong in terms a user can act on. Input errors name their
//! field; store failures stay opaque to users and are logged with their cause by the web layer.

use frmo_domain::error::ValidationError;
use frmo_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("неверные данные: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<ValidationError>),
    #[error("{0}")]
    NotFound(String),
    #[error("{}", .0.reason())]
    Forbidden(frmo_domain::access::DenyCode),
    #[error("{0}")]
    Conflict(String),
    /// The organization is already in the register.
    #[error("Организация с этими ИНН и КПП уже есть в реестре: «{name}», OID {oid}.")]
    Duplicate { oid: String, name: String },
    #[error(transparent)]
    Store(StoreError),
}

/// A store's conflict (a version no longer current, a taken login, a request someone else moved)
/// is the user's conflict; anything else stays a store failure.
impl From<StoreError> for RegistryError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Conflict(message) => RegistryError::Conflict(message),
            other => RegistryError::Store(other),
        }
    }
}

impl RegistryError {
    pub fn invalid(error: ValidationError) -> Self {
        RegistryError::Invalid(vec![error])
    }
}
