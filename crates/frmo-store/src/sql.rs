//! The one way a statement is written (docs/architecture.md, "Dialects"): once, with `$1…`
//! placeholders, run on both backends with values of four kinds and rows as vectors of values.
//! SQLite's `?1` spelling is made when it runs ([`sqlite_sql`]). Where the dialects really differ
//! inside a statement (a JSON array parameter, a text bound into a JSON column, `SKIP LOCKED`), the
//! statement is written with [`dialects!`] and a named piece for the difference, and both
//! spellings are fixed at compile time. What cannot be one statement (binary COPY, bulk-load index
//! dropping, the hot reads, pools and PRAGMAs) lives per backend in `backend/sqlite` and
//! `backend/postgres`, each function with its reason.

use bytes::BytesMut;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

use crate::{Result, Store, StoreError};

/// A value bound to or read from a portable statement. Times are Unix seconds (`Int`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bool(bool),
}

impl Value {
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(v) => Some(*v),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    pub fn text(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// A boolean column: BOOLEAN in PostgreSQL, 0/1 in SQLite.
    pub fn flag(&self) -> bool {
        match self {
            Value::Bool(b) => *b,
            Value::Int(v) => *v != 0,
            _ => false,
        }
    }

    pub fn into_text(self) -> Option<String> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// The id an `INSERT … RETURNING id` gave.
pub fn returned_id(rows: Vec<Vec<Value>>) -> Result<i64> {
    first_int(rows).ok_or_else(|| StoreError::Unexpected("the insert returned no id".into()))
}

/// The integer in the first column of the first row (a count, a number), if any.
pub(crate) fn first_int(rows: Vec<Vec<Value>>) -> Option<i64> {
    rows.first().and_then(|row| row.first()).and_then(Value::int)
}

/// Takes the text of column `i` out of a row (leaving NULL behind): rows are read once, by column.
pub fn take_text(row: &mut [Value], i: usize) -> Option<String> {
    std::mem::replace(&mut row[i], Value::Null).into_text()
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(v.to_owned())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(v)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

/// A statement and its values, for a batch run in one transaction.
pub type Statement = (&'static str, Vec<Value>);

/// Statements that travel with a write in its transaction: `guard` must return a row (else the
/// write fails with `Conflict(conflict)` and nothing is written), `after` run once the write is in.
/// A moderation decision is a guard (the request is still where the operator saw it) plus an
/// `after` (the request records the version it made).
#[derive(Debug, Clone, Default)]
pub struct Transition {
    pub guard: Option<Statement>,
    pub conflict: String,
    pub after: Vec<Statement>,
}

/// One statement in both dialects' spellings, `(sqlite, postgres)`, from one text. Its pieces are
/// literals, the same in both, and named pieces `{name args}` (the macro `name!` given the dialect
/// first: `json_texts`, `json_smallints`, `skip_locked` below, or a file's own built
/// from them); a piece in parentheses is a macro call giving a literal, the same in both. Pick the
/// spelling with [`Store::dialect`].
macro_rules! dialects {
    ($($piece:tt),+ $(,)?) => {
        (
            concat!($($crate::sql::piece!(sqlite $piece)),+),
            concat!($($crate::sql::piece!(postgres $piece)),+),
        )
    };
}

macro_rules! piece {
    ($dialect:ident $text:literal) => {
        $text
    };
    ($dialect:ident { $name:ident $($arg:tt)* }) => {
        $name!($dialect $($arg)*)
    };
    ($dialect:ident ( $($call:tt)* )) => {
        $($call)*
    };
}

/// The elements of a JSON array of strings bound as text (`$n`), as the rows of a subquery.
macro_rules! json_texts {
    (sqlite $p:literal) => {
        concat!("SELECT value FROM json_each(", $p, ")")
    };
    (postgres $p:literal) => {
        concat!("SELECT jsonb_array_elements_text(", $p, "::text::jsonb)")
    };
}

/// The elements of a JSON array of small integers (region codes) bound as text, as rows.
macro_rules! json_smallints {
    (sqlite $p:literal) => {
        concat!("SELECT value FROM json_each(", $p, ")")
    };
    (postgres $p:literal) => {
        concat!("SELECT jsonb_array_elements_text(", $p, "::text::jsonb)::smallint")
    };
}

/// Claimers of a row pass over one another's (PostgreSQL; SQLite has one writer at a time).
macro_rules! skip_locked {
    (sqlite) => {
        ""
    };
    (postgres) => {
        " FOR UPDATE SKIP LOCKED"
    };
}

pub(crate) use {dialects, json_smallints, json_texts, piece, skip_locked};

/// Running portable statements: the backend's own runner, the same statement text.
impl Store {
    /// The spelling of a [`dialects!`] statement for this store's backend.
    pub(crate) fn dialect(&self, (sqlite, postgres): (&'static str, &'static str)) -> &'static str {
        match self {
            Store::Sqlite(_) => sqlite,
            Store::Postgres(_) => postgres,
        }
    }

    /// Runs a read statement; its rows.
    pub(crate) async fn query(&self, sql: &'static str, values: Vec<Value>) -> Result<Vec<Vec<Value>>> {
        dispatch!(self, s => s.query(sql, values).await)
    }

    /// Runs one write statement in its own transaction; its rows.
    pub(crate) async fn execute(&self, sql: &'static str, values: Vec<Value>) -> Result<Vec<Vec<Value>>> {
        Ok(self.transact(vec![(sql, values)]).await?.pop().unwrap_or_default())
    }

    /// Runs statements in one transaction; the rows each returned.
    pub async fn transact(&self, statements: Vec<Statement>) -> Result<Vec<Vec<Vec<Value>>>> {
        dispatch!(self, s => s.transact(statements).await)
    }

    /// Runs `statements` in one transaction when the first (a guard) returns a row, then appends
    /// `audit`; `false` (and nothing written) when the guard returns none.
    pub async fn transact_guarded(
        &self,
        statements: Vec<Statement>,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<bool> {
        dispatch!(self, s => s.transact_guarded(statements, audit).await)
    }

    /// Runs `statements` and appends `audit` in one transaction; rolls back with a `Conflict` when
    /// a statement from `checked_from` on returns no row (the row it meant was changed meanwhile).
    pub(crate) async fn transact_checked(
        &self,
        statements: Vec<Statement>,
        checked_from: usize,
        audit: Vec<crate::audit::AuditEntry>,
    ) -> Result<()> {
        dispatch!(self, s => s.transact_checked(statements, checked_from, audit).await)
    }

    /// Runs `first` (which returns the new row's id), then each of `then` with that id bound as its
    /// last parameter, in one transaction; the id.
    pub(crate) async fn insert_with(&self, first: Statement, then: Vec<Statement>) -> Result<i64> {
        dispatch!(self, s => s.insert_with(first, then).await)
    }
}

/// The statement in SQLite's spelling: `$1` becomes `?1` (numbered, so a value may be used twice).
/// Only a `$` followed by a digit outside quotes is a placeholder: a JSON path literal such as
/// `'$.items'` or a quoted identifier stays as written.
pub(crate) fn sqlite_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote = None;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            // `''` inside a literal closes and reopens it: the same text either way.
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push('?');
                continue;
            }
            None => {}
        }
        out.push(c);
    }
    out
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(match self {
            Value::Null => ToSqlOutput::Borrowed(ValueRef::Null),
            Value::Int(v) => ToSqlOutput::Borrowed(ValueRef::Integer(*v)),
            Value::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Value::Bool(b) => ToSqlOutput::Borrowed(ValueRef::Integer(i64::from(*b))),
        })
    }
}

pub(crate) fn sqlite_row(row: &rusqlite::Row<'_>, columns: usize) -> rusqlite::Result<Vec<Value>> {
    use rusqlite::types::ValueRef;
    (0..columns)
        .map(|i| {
            Ok(match row.get_ref(i)? {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(v) => Value::Int(v),
                ValueRef::Real(v) => Value::Int(v as i64),
                ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            })
        })
        .collect()
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> std::result::Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(v) => match *ty {
                Type::INT2 => i16::try_from(*v)?.to_sql(ty, out),
                Type::INT4 => i32::try_from(*v)?.to_sql(ty, out),
                _ => v.to_sql(ty, out),
            },
            Value::Text(s) => s.to_sql(ty, out),
            Value::Bool(b) => b.to_sql(ty, out),
        }
    }

    fn accepts(ty: &Type) -> bool {
        matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8 | Type::TEXT | Type::VARCHAR | Type::BOOL)
    }

    to_sql_checked!();
}

pub(crate) fn postgres_row(row: &tokio_postgres::Row) -> Result<Vec<Value>> {
    (0..row.len())
        .map(|i| {
            let ty = row.columns()[i].type_();
            Ok(match *ty {
                Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map_or(Value::Null, Value::Bool),
                Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
                Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
                Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
                Type::TEXT | Type::VARCHAR | Type::NAME => {
                    row.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text)
                }
                ref other => return Err(StoreError::Conflict(format!("column type {other} is not portable"))),
            })
        })
        .collect()
}

/// The code in column `i` read as what it names (a status): a code this version does not know is
/// an error, never a guess.
pub(crate) fn take_code<T>(row: &mut [Value], i: usize, parse: impl Fn(&str) -> Option<T>, what: &str) -> Result<T> {
    let code = take_text(row, i).unwrap_or_default();
    parse(&code).ok_or_else(|| StoreError::Unexpected(format!("unknown {what} {code:?}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn named_pieces_are_spelled_per_dialect_and_literals_kept() {
        let (sqlite, postgres) = dialects![
            "UPDATE t SET card = $1 WHERE oid IN (",
            {json_texts "$2"},
            ")",
            {skip_locked},
            (concat!(" RETURNING ", "id")),
        ];
        assert_eq!(sqlite, "UPDATE t SET card = $1 WHERE oid IN (SELECT value FROM json_each($2)) RETURNING id");
        assert_eq!(
            postgres,
            "UPDATE t SET card = $1 WHERE oid IN (SELECT jsonb_array_elements_text($2::text::jsonb)) FOR UPDATE SKIP LOCKED RETURNING id"
        );
    }

    #[test]
    fn only_placeholders_become_question_marks() {
        let sql = "SELECT json_extract(d, '$.items[0]'), \"a$1\" FROM t WHERE a = $1 AND b = $12 AND c = 'it''s $2'";
        assert_eq!(
            super::sqlite_sql(sql),
            "SELECT json_extract(d, '$.items[0]'), \"a$1\" FROM t WHERE a = ?1 AND b = ?12 AND c = 'it''s $2'"
        );
    }
}
