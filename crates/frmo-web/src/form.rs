//! What a refused form shows (the GOV.UK «error summary» and «error message» patterns): every
//! problem at the top of the page as a link to its field, and the same message next to the field.
//! One type for every form of the site; the templates render it with the macros of `form.html`
//! (`summary`, `error`, `invalid`). The values people typed are kept by each form's own page
//! (never a password or a one-time code).

use frmo_domain::error::ValidationError;
use frmo_registry::RegistryError;

/// One problem: the `id` of the field it is about (the link target) and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub id: String,
    pub message: String,
}

/// The problems of a submitted form, in the order of its fields' messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormErrors {
    errors: Vec<FieldError>,
}

/// A registry field name (`legalAddress`) as a form's field name (`legal_address`).
fn snake_case(field: &str) -> String {
    let mut out = String::with_capacity(field.len() + 4);
    for c in field.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

impl FormErrors {
    /// No problems (a form shown for the first time).
    pub fn none() -> Self {
        FormErrors::default()
    }

    /// A problem of the field with this `id`.
    pub fn push(&mut self, id: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError { id: id.into(), message: message.into() });
    }

    /// One problem of one field.
    pub fn one(id: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = FormErrors::none();
        errors.push(id, message);
        errors
    }

    /// The registry's validation errors on a form whose field ids are `prefix` + the field's name
    /// in snake case (`legalAddress` → `legal_address`; a directory code's `regionId` or
    /// `moAgencyKindId` is the form's `region` or `agency_kind`). `fields` are the form's field
    /// names, the first being where a problem of no field of the form (or of the whole form) links.
    pub fn from_validation(errors: &[ValidationError], prefix: &str, fields: &[&str]) -> Self {
        let first = fields.first().copied().unwrap_or_default();
        let mut out = FormErrors::none();
        for error in errors {
            let snake = snake_case(error.field);
            let code = snake.strip_suffix("_id").unwrap_or(&snake);
            let candidates = [snake.as_str(), code, code.strip_prefix("mo_").unwrap_or(code)];
            let name = candidates.into_iter().find(|c| fields.contains(c)).unwrap_or(first);
            out.push(format!("{prefix}{name}"), error.to_string());
        }
        out
    }

    /// A refusal the form can show next to its fields (invalid input, a conflict such as a stale
    /// version or a duplicate); any other error (a denial, a missing record, a store failure) is
    /// the page's error and is given back.
    pub fn from_registry(error: RegistryError, prefix: &str, fields: &[&str]) -> Result<Self, RegistryError> {
        match error {
            RegistryError::Invalid(errors) => Ok(FormErrors::from_validation(&errors, prefix, fields)),
            conflict @ (RegistryError::Conflict(_) | RegistryError::Duplicate { .. }) => {
                let first = fields.first().copied().unwrap_or_default();
                Ok(FormErrors::one(format!("{prefix}{first}"), conflict.to_string()))
            }
            other => Err(other),
        }
    }

    /// The same problems with the field `from`'s id changed to `to` (a form whose element ids
    /// differ from its field names).
    pub fn renamed(mut self, from: &str, to: &str) -> Self {
        for error in self.errors.iter_mut().filter(|e| e.id == from) {
            error.id = to.to_owned();
        }
        self
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.errors.iter()
    }

    /// The messages of the field with this `id`, joined (shown next to it).
    pub fn message(&self, id: &str) -> Option<String> {
        let messages: Vec<&str> = self.errors.iter().filter(|e| e.id == id).map(|e| e.message.as_str()).collect();
        (!messages.is_empty()).then(|| messages.join("; "))
    }

    /// Whether the field with this `id` has a problem.
    pub fn has(&self, id: &str) -> bool {
        self.errors.iter().any(|e| e.id == id)
    }

    /// The HTTP status of the page showing these problems: 400 when there are any.
    pub fn status(&self) -> axum::http::StatusCode {
        if self.is_empty() { axum::http::StatusCode::OK } else { axum::http::StatusCode::BAD_REQUEST }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_fields_link_to_the_form_fields_and_unknown_ones_to_the_first() {
        let errors = vec![
            ValidationError::new("legalAddress", "Юридический адрес", "не заполнен"),
            ValidationError::new("phone", "Телефон", "от 10 до 15 цифр"),
            ValidationError::new("ogrn", "ОГРН", "не заполнено"),
            ValidationError::new("regionId", "Регион", "выберите"),
            ValidationError::new("moAgencyKindId", "Вид", "выберите"),
        ];
        let fields = ["name_full", "legal_address", "phone", "region", "agency_kind"];
        let form = FormErrors::from_validation(&errors, "re-", &fields);
        let ids: Vec<&str> = form.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["re-legal_address", "re-phone", "re-name_full", "re-region", "re-agency_kind"]);
        assert_eq!(form.message("re-phone").as_deref(), Some("Телефон: от 10 до 15 цифр"));
        assert!(form.has("re-legal_address") && !form.has("legal_address"));
        assert_eq!(form.status(), axum::http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn only_input_problems_and_conflicts_stay_on_the_form() {
        let conflict = FormErrors::from_registry(RegistryError::Conflict("Данные изменились.".into()), "", &["reason"]);
        assert_eq!(conflict.expect("kept").message("reason").as_deref(), Some("Данные изменились."));
        let missing = FormErrors::from_registry(RegistryError::NotFound("нет".into()), "", &["reason"]);
        assert!(matches!(missing, Err(RegistryError::NotFound(_))));
        assert!(FormErrors::none().is_empty());
        assert_eq!(FormErrors::none().status(), axum::http::StatusCode::OK);
    }
}
