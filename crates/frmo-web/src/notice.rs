//! Confirmations shown after a redirect («Документ сохранён»). The address carries only a code
//! (`?saved=document`); the text is fixed here, so nobody can make the registry show their words as
//! its own by sending a link. An unknown code shows nothing.

/// After a workers file was imported.
pub const IMPORTED: &str = "import";
/// After a document was uploaded.
pub const DOCUMENT: &str = "document";

/// The message of a confirmation code, if the code is known.
pub fn text(code: Option<&str>) -> Option<&'static str> {
    match code? {
        IMPORTED => Some("Файл загружен: все строки проверены и сохранены."),
        DOCUMENT => Some("Документ сохранён."),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_codes_show_a_fixed_text() {
        assert_eq!(text(Some(DOCUMENT)), Some("Документ сохранён."));
        assert!(text(Some(IMPORTED)).is_some_and(|t| t.starts_with("Файл загружен")));
        assert_eq!(text(Some("Ваш пароль истёк, позвоните +7 999")), None);
        assert_eq!(text(None), None);
    }
}
