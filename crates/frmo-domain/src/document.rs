//! Documents of an organization: what a file is, told by its content and never by its name
//! (PDF, DOCX, JPEG, PNG), with DOCX — a ZIP package — checked in two steps: its central directory
//! first (what it declares: entries, sizes, the two parts a DOCX must have), then every entry
//! inflated into nothing with a hard cap on the bytes really produced, because the declared sizes
//! may lie (a 1 MB file that declares 4 KB and inflates to 1 GiB); and a document's status by its
//! valid-until date (актуален, истекает, просрочен; заменён when a newer version exists).

use crate::error::ValidationError;

/// The formats the registry keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Pdf,
    Docx,
    Jpeg,
    Png,
}

impl Format {
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Pdf => "application/pdf",
            Format::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Pdf => "pdf",
            Format::Docx => "docx",
            Format::Jpeg => "jpg",
            Format::Png => "png",
        }
    }
}

/// Limits of a DOCX package: what its entries may unpack to, in all and relative to their size.
#[derive(Debug, Clone, Copy)]
pub struct PackageLimits {
    pub max_entries: usize,
    pub max_unpacked: u64,
    /// Unpacked size over packed size, per entry.
    pub max_ratio: u64,
}

impl Default for PackageLimits {
    fn default() -> Self {
        PackageLimits { max_entries: 5000, max_unpacked: 100 * 1024 * 1024, max_ratio: 200 }
    }
}

fn refuse(message: impl Into<String>) -> ValidationError {
    ValidationError::new("file", "Файл", message)
}

/// What `bytes` are, by their content.
pub fn sniff(bytes: &[u8], limits: PackageLimits) -> Result<Format, ValidationError> {
    if bytes.starts_with(b"%PDF-") {
        return Ok(Format::Pdf);
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Format::Png);
    }
    if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        return Ok(Format::Jpeg);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let entries = docx(bytes, limits)?;
        return inflate_within_limits(&mut std::io::Cursor::new(bytes), &entries, limits).map(|()| Format::Docx);
    }
    Err(refuse("формат не поддерживается: принимаются PDF, DOCX, JPEG и PNG (проверяется содержимое, а не имя файла)"))
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u64> {
    bytes.get(at..at + 2).map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u64> {
    bytes.get(at..at + 4).map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

/// What the `len` bytes `file` reads are, by their content: its first bytes and, for a ZIP, its
/// central directory (read from the end), never the whole of it. The caller opens the file (the
/// domain does no I/O of its own); a read that fails is «файл не читается».
pub fn sniff_seekable<R: std::io::Read + std::io::Seek>(
    file: &mut R,
    len: u64,
    limits: PackageLimits,
) -> Result<Format, ValidationError> {
    use std::io::SeekFrom;
    let unreadable = |_| unreadable();
    let mut head = [0u8; 8];
    let n = file.read(&mut head).map_err(unreadable)?;
    if !head[..n].starts_with(b"PK\x03\x04") {
        return sniff(&head[..n], limits);
    }
    // The end-of-central-directory record is in the last 64 KiB + 22 bytes; the directory before it.
    let tail_len = len.min(65_557);
    let mut tail = vec![0u8; tail_len as usize];
    file.seek(SeekFrom::Start(len - tail_len)).map_err(unreadable)?;
    file.read_exact(&mut tail).map_err(unreadable)?;
    let end = end_of_directory(&tail)?;
    let directory_at = u32_at(&tail, end + 16).ok_or_else(broken)?;
    if directory_at >= len {
        return Err(broken());
    }
    let mut directory = vec![0u8; (len - directory_at) as usize];
    file.seek(SeekFrom::Start(directory_at)).map_err(unreadable)?;
    file.read_exact(&mut directory).map_err(unreadable)?;
    let end = end_of_directory(&directory)?;
    let entries = central_directory(&directory, 0, u16_at(&directory, end + 10).ok_or_else(broken)?, limits)?;
    inflate_within_limits(file, &entries, limits).map(|()| Format::Docx)
}

/// The refusal of a file that cannot be read.
pub fn unreadable() -> ValidationError {
    refuse("файл не читается")
}

/// One entry of a ZIP package as its central directory describes it.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Where its local header starts, from the archive's start.
    local_header: u64,
    /// The compression method (0 stored, 8 deflate).
    method: u64,
    /// Its bytes in the archive.
    packed: u64,
}

fn bomb() -> ValidationError {
    refuse("архив распаковывается в недопустимо большой объём (защита от «ZIP-бомб»)")
}

/// Inflates every entry into nothing, counting the bytes really produced (never the sizes the
/// archive declares): more than `limits.max_unpacked` in all, or more than `limits.max_ratio` times
/// an entry's packed size, refuses the file the moment the cap is passed — at most the cap is ever
/// inflated, in 64 KiB pieces.
fn inflate_within_limits<R: std::io::Read + std::io::Seek>(
    archive: &mut R,
    entries: &[Entry],
    limits: PackageLimits,
) -> Result<(), ValidationError> {
    use std::io::{Read as _, SeekFrom};
    let mut budget = limits.max_unpacked;
    let mut buffer = vec![0u8; 64 * 1024];
    for entry in entries {
        archive.seek(SeekFrom::Start(entry.local_header)).map_err(|_| broken())?;
        let mut header = [0u8; 30];
        archive.read_exact(&mut header).map_err(|_| broken())?;
        if !header.starts_with(b"PK\x03\x04") {
            return Err(broken());
        }
        let skip = u16_at(&header, 26).ok_or_else(broken)? + u16_at(&header, 28).ok_or_else(broken)?;
        archive.seek(SeekFrom::Current(skip as i64)).map_err(|_| broken())?;
        let packed = (&mut *archive).take(entry.packed);
        let mut data: Box<dyn std::io::Read + '_> = match entry.method {
            0 => Box::new(packed),
            8 => Box::new(flate2::read::DeflateDecoder::new(packed)),
            _ => return Err(refuse("архив сжат неподдерживаемым методом; сохраните документ в Word заново")),
        };
        let entry_cap = entry.packed.max(1).saturating_mul(limits.max_ratio).min(budget);
        let mut produced = 0u64;
        loop {
            let n = data.read(&mut buffer).map_err(|_| broken())?;
            if n == 0 {
                break;
            }
            produced += n as u64;
            if produced > entry_cap {
                return Err(bomb());
            }
        }
        budget -= produced;
    }
    Ok(())
}

fn broken() -> ValidationError {
    refuse("архив ZIP повреждён")
}

/// Where the end-of-central-directory record starts in `bytes` (the end of a ZIP file).
fn end_of_directory(bytes: &[u8]) -> Result<usize, ValidationError> {
    let search_from = bytes.len().saturating_sub(65_557);
    (search_from..bytes.len().saturating_sub(21))
        .rev()
        .find(|&at| bytes[at..].starts_with(b"PK\x05\x06"))
        .ok_or_else(broken)
}

/// A DOCX is a ZIP whose central directory lists `[Content_Types].xml` and `word/document.xml`,
/// and whose entries declare no more than the limits allow; its entries, to be inflated.
fn docx(bytes: &[u8], limits: PackageLimits) -> Result<Vec<Entry>, ValidationError> {
    let end = end_of_directory(bytes)?;
    let entries = u16_at(bytes, end + 10).ok_or_else(broken)?;
    let at = usize::try_from(u32_at(bytes, end + 16).ok_or_else(broken)?).map_err(|_| broken())?;
    central_directory(bytes, at, entries, limits)
}

/// Reads `entries` central-directory records of `bytes` from `at`: the entries, when what they
/// declare is within the limits.
fn central_directory(
    bytes: &[u8],
    mut at: usize,
    entries: u64,
    limits: PackageLimits,
) -> Result<Vec<Entry>, ValidationError> {
    if entries as usize > limits.max_entries {
        return Err(refuse(format!("в архиве слишком много файлов ({entries})")));
    }
    let (mut content_types, mut document, mut unpacked) = (false, false, 0u64);
    let mut list = Vec::with_capacity(entries as usize);
    for _ in 0..entries {
        if !bytes.get(at..).is_some_and(|b| b.starts_with(b"PK\x01\x02")) {
            return Err(broken());
        }
        let packed = u32_at(bytes, at + 20).ok_or_else(broken)?;
        let size = u32_at(bytes, at + 24).ok_or_else(broken)?;
        let name_len = u16_at(bytes, at + 28).ok_or_else(broken)? as usize;
        let extra_len = u16_at(bytes, at + 30).ok_or_else(broken)? as usize;
        let comment_len = u16_at(bytes, at + 32).ok_or_else(broken)? as usize;
        let method = u16_at(bytes, at + 10).ok_or_else(broken)?;
        let local_header = u32_at(bytes, at + 42).ok_or_else(broken)?;
        let name = bytes.get(at + 46..at + 46 + name_len).ok_or_else(broken)?;
        if packed == 0xffff_ffff || size == 0xffff_ffff {
            return Err(refuse("архив ZIP64 не принимается для документов"));
        }
        unpacked = unpacked.saturating_add(size);
        if unpacked > limits.max_unpacked || size > packed.max(1).saturating_mul(limits.max_ratio) {
            return Err(bomb());
        }
        list.push(Entry { local_header, method, packed });
        content_types |= name == b"[Content_Types].xml";
        document |= name == b"word/document.xml";
        at += 46 + name_len + extra_len + comment_len;
    }
    if content_types && document {
        Ok(list)
    } else {
        Err(refuse("архив ZIP не является документом Word (DOCX)"))
    }
}

/// A kind of document (the registry's directory of document types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocumentKind {
    pub code: u32,
    pub name: &'static str,
    /// Shown on the public card (licences).
    pub public: bool,
    /// Must carry a valid-until date.
    pub expires: bool,
}

/// The document types an organization keeps.
pub const DOCUMENT_KINDS: &[DocumentKind] = &[
    DocumentKind {
        code: 1, name: "Лицензия на осуществление медицинской деятельности", public: true, expires: false
    },
    DocumentKind {
        code: 2, name: "Лицензия на фармацевтическую деятельность", public: true, expires: false
    },
    DocumentKind {
        code: 3,
        name: "Лицензия на деятельность в сфере оборота наркотических средств и психотропных веществ",
        public: true,
        expires: false,
    },
    DocumentKind { code: 4, name: "Устав", public: false, expires: false },
    DocumentKind {
        code: 5, name: "Лист записи ЕГРЮЛ / свидетельство о регистрации", public: false, expires: false
    },
    DocumentKind { code: 6, name: "Приказ", public: false, expires: false },
    DocumentKind {
        code: 7, name: "Санитарно-эпидемиологическое заключение", public: false, expires: false
    },
    DocumentKind { code: 8, name: "Договор аренды помещений", public: false, expires: true },
    DocumentKind { code: 9, name: "Сертификат соответствия", public: false, expires: true },
    DocumentKind { code: 99, name: "Иной документ", public: false, expires: false },
];

impl DocumentKind {
    pub fn by_code(code: u32) -> Option<&'static DocumentKind> {
        DOCUMENT_KINDS.iter().find(|k| k.code == code)
    }
}

/// A document's status on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentStatus {
    Current,
    Expiring,
    Expired,
    Replaced,
}

impl DocumentStatus {
    pub fn label(self) -> &'static str {
        match self {
            DocumentStatus::Current => "актуален",
            DocumentStatus::Expiring => "истекает",
            DocumentStatus::Expired => "просрочен",
            DocumentStatus::Replaced => "заменён",
        }
    }

    /// Replaced, past `valid_until`, within `warn_days` of it, or current.
    pub fn of(valid_until: Option<time::Date>, replaced: bool, today: time::Date, warn_days: i64) -> Self {
        match valid_until {
            _ if replaced => DocumentStatus::Replaced,
            Some(until) if until < today => DocumentStatus::Expired,
            Some(until) if (until - today).whole_days() <= warn_days => DocumentStatus::Expiring,
            _ => DocumentStatus::Current,
        }
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::*;

    #[test]
    fn statuses_follow_the_valid_until_date() {
        let today = date!(2026 - 11 - 23);
        assert_eq!(DocumentStatus::of(None, false, today, 30), DocumentStatus::Current);
        assert_eq!(DocumentStatus::of(Some(date!(2027 - 01 - 01)), false, today, 30), DocumentStatus::Current);
        assert_eq!(DocumentStatus::of(Some(date!(2026 - 12 - 23)), false, today, 30), DocumentStatus::Expiring);
        assert_eq!(DocumentStatus::of(Some(date!(2026 - 11 - 22)), false, today, 30), DocumentStatus::Expired);
        assert_eq!(DocumentStatus::of(Some(date!(2030 - 01 - 01)), true, today, 30), DocumentStatus::Replaced);
    }
}
