//! The worker form as typed (the cabinet's, or a row of an import) and its validation into what the
//! register stores.

use frmo_domain::date::parse as parse_date;
use frmo_domain::error::ValidationError;
use frmo_domain::ident::Snils;
use frmo_domain::worker::{Credential, Employment, Person, Sex, birth_date, directory_code, name_part, parse_rate};
use time::Date;

/// What a worker form (the cabinet's, or a row of an import) says, as typed.
#[derive(Debug, Clone, Default)]
pub struct WorkerForm {
    pub snils: String,
    pub last_name: String,
    pub first_name: String,
    pub patronymic: String,
    pub sex: String,
    pub birth_date: String,
    /// ОКСМ code; empty: 643 (Россия).
    pub citizenship: String,
    pub phone: String,
    pub email: String,
    pub document: String,
    pub department: String,
    pub position: String,
    pub position_type: String,
    pub rate: String,
    pub begin_date: String,
    pub specialty: String,
    pub credential_kind: String,
    pub credential_number: String,
    pub credential_issued_on: String,
    pub credential_valid_until: String,
}

/// A checked form.
#[derive(Debug, Clone)]
pub struct WorkerInput {
    pub person: Person,
    pub card: Employment,
    pub credential: Option<Credential>,
}

/// The columns of the import and export files: the key and the Russian header. The first ten
/// are required.
pub const COLUMNS: [(&str, &str); 20] = [
    ("snils", "СНИЛС"),
    ("last_name", "Фамилия"),
    ("first_name", "Имя"),
    ("sex", "Пол"),
    ("birth_date", "Дата рождения"),
    ("department", "Подразделение"),
    ("position", "Должность (код)"),
    ("position_type", "Тип занятости (код)"),
    ("rate", "Ставка"),
    ("begin_date", "Дата приёма"),
    ("patronymic", "Отчество"),
    ("citizenship", "Гражданство (код ОКСМ)"),
    ("phone", "Телефон"),
    ("email", "Электронная почта"),
    ("document", "Документ, удостоверяющий личность"),
    ("specialty", "Специальность (код)"),
    ("credential_kind", "Вид допуска (код)"),
    ("credential_number", "Номер сертификата или аккредитации"),
    ("credential_issued_on", "Дата выдачи"),
    ("credential_valid_until", "Действует до"),
];
pub(super) const REQUIRED: usize = 10;

impl WorkerForm {
    pub(super) fn set(&mut self, key: &str, value: String) {
        let slot = match key {
            "snils" => &mut self.snils,
            "last_name" => &mut self.last_name,
            "first_name" => &mut self.first_name,
            "patronymic" => &mut self.patronymic,
            "sex" => &mut self.sex,
            "birth_date" => &mut self.birth_date,
            "citizenship" => &mut self.citizenship,
            "phone" => &mut self.phone,
            "email" => &mut self.email,
            "document" => &mut self.document,
            "department" => &mut self.department,
            "position" => &mut self.position,
            "position_type" => &mut self.position_type,
            "rate" => &mut self.rate,
            "begin_date" => &mut self.begin_date,
            "specialty" => &mut self.specialty,
            "credential_kind" => &mut self.credential_kind,
            "credential_number" => &mut self.credential_number,
            "credential_issued_on" => &mut self.credential_issued_on,
            _ => &mut self.credential_valid_until,
        };
        *slot = value;
    }

    /// The form checked on `today`, or every problem with it (each naming its field).
    pub fn validate(&self, today: Date) -> std::result::Result<WorkerInput, Vec<ValidationError>> {
        let mut errors = Vec::new();
        let snils = keep(&mut errors, Snils::parse(&self.snils));
        let last_name = keep(&mut errors, name_part(&self.last_name, "lastName", "Фамилия"));
        let first_name = keep(&mut errors, name_part(&self.first_name, "firstName", "Имя"));
        let patronymic = match self.patronymic.trim() {
            "" => Some(None),
            text => keep(&mut errors, name_part(text, "patronymic", "Отчество")).map(Some),
        };
        let sex = keep(&mut errors, Sex::parse(&self.sex));
        let born = keep(
            &mut errors,
            parse_date("birthDate", "Дата рождения", &self.birth_date).and_then(|d| birth_date(d, today)),
        );
        let citizenship = match self.citizenship.trim() {
            "" => Some(643),
            text => keep(
                &mut errors,
                text.parse::<u32>().ok().filter(|c| (1..=999).contains(c)).ok_or_else(|| {
                    ValidationError::new("citizenship", "Гражданство", "ожидается трёхзначный код ОКСМ (643 — Россия)")
                }),
            ),
        };
        let optional = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        let phone = optional(&self.phone);
        if let Some(phone) = &phone {
            let digits = phone.chars().filter(char::is_ascii_digit).count();
            if !(10..=15).contains(&digits) || phone.chars().any(|c| !(c.is_ascii_digit() || " +()-".contains(c))) {
                keep(
                    &mut errors,
                    Err::<(), _>(ValidationError::new(
                        "phone",
                        "Телефон",
                        "от 10 до 15 цифр, допустимы + ( ) - и пробелы",
                    )),
                );
            }
        }
        let email = optional(&self.email);
        if email.as_ref().is_some_and(|e| !e.split_once('@').is_some_and(|(u, h)| !u.is_empty() && h.contains('.'))) {
            keep(
                &mut errors,
                Err::<(), _>(ValidationError::new(
                    "email",
                    "Электронная почта",
                    "ожидается адрес вида name@example.ru",
                )),
            );
        }
        let department = match self.department.trim() {
            "" => keep(&mut errors, Err(ValidationError::new("department", "Подразделение", "не заполнено"))),
            text if text.chars().count() > 200 => {
                keep(&mut errors, Err(ValidationError::new("department", "Подразделение", "не длиннее 200 символов")))
            }
            text => Some(text.to_owned()),
        };
        let position = keep(&mut errors, directory_code(&self.position, "positions", "position", "Должность"));
        let position_type =
            keep(&mut errors, directory_code(&self.position_type, "employment_types", "positionType", "Тип занятости"));
        let rate = keep(&mut errors, parse_rate(&self.rate));
        let begin = match keep(&mut errors, parse_date("beginDate", "Дата приёма", &self.begin_date)) {
            Some(date) if date > today + time::Duration::days(366) => {
                keep(&mut errors, Err(ValidationError::new("beginDate", "Дата приёма", "больше чем на год вперёд")))
            }
            Some(date) if born.is_some_and(|b| date < b + time::Duration::days(14 * 365)) => {
                keep(&mut errors, Err(ValidationError::new("beginDate", "Дата приёма", "раньше 14-летия работника")))
            }
            other => other,
        };
        let credential_fields = [
            &self.specialty,
            &self.credential_kind,
            &self.credential_number,
            &self.credential_issued_on,
            &self.credential_valid_until,
        ];
        let credential = if credential_fields.iter().all(|f| f.trim().is_empty()) {
            Some(None)
        } else {
            let specialty =
                keep(&mut errors, directory_code(&self.specialty, "specialties", "specialty", "Специальность"));
            let kind = keep(
                &mut errors,
                directory_code(&self.credential_kind, "credential_kinds", "credentialKind", "Вид допуска"),
            );
            let number = match self.credential_number.trim() {
                "" => keep(
                    &mut errors,
                    Err(ValidationError::new("credentialNumber", "Номер сертификата или аккредитации", "не заполнен")),
                ),
                text => Some(text.to_owned()),
            };
            let issued = keep(&mut errors, parse_date("credentialIssuedOn", "Дата выдачи", &self.credential_issued_on));
            let until = match keep(
                &mut errors,
                parse_date("credentialValidUntil", "Действует до", &self.credential_valid_until),
            ) {
                Some(until) if issued.is_some_and(|i| until <= i) => keep(
                    &mut errors,
                    Err(ValidationError::new("credentialValidUntil", "Действует до", "не позже даты выдачи")),
                ),
                other => other,
            };
            match (specialty, kind, number, issued, until) {
                (Some(specialty), Some(kind), Some(number), Some(issued_on), Some(valid_until)) => {
                    Some(Some(Credential { kind, specialty, number, issued_on, valid_until }))
                }
                _ => None,
            }
        };
        match (
            snils,
            last_name,
            first_name,
            patronymic,
            sex,
            born,
            citizenship,
            department,
            position,
            position_type,
            rate,
            begin,
            credential,
        ) {
            (
                Some(snils),
                Some(last_name),
                Some(first_name),
                Some(patronymic),
                Some(sex),
                Some(birth_date),
                Some(citizenship),
                Some(department),
                Some(position),
                Some(position_type),
                Some(rate),
                Some(begin_date),
                Some(credential),
            ) if errors.is_empty() => Ok(WorkerInput {
                person: Person {
                    snils,
                    last_name,
                    first_name,
                    patronymic,
                    sex,
                    birth_date,
                    citizenship,
                    phone,
                    email,
                    document: optional(&self.document),
                },
                card: Employment {
                    department,
                    position,
                    position_type,
                    rate,
                    begin_date,
                    end_date: None,
                    dismissal_reason: None,
                },
                credential,
            }),
            _ => Err(errors),
        }
    }
}

/// The value of `result`, or `None` with its error kept.
pub(super) fn keep<T>(errors: &mut Vec<ValidationError>, result: std::result::Result<T, ValidationError>) -> Option<T> {
    result.map_err(|e| errors.push(e)).ok()
}
