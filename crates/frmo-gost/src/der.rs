//! Just enough DER (ITU-T X.690) and PEM (RFC 7468) to read GOST keys and
//! certificates and to write a SubjectPublicKeyInfo; public so that frmo-esign
//! reads CMS with the same strict reader.
//!
//! Only single-byte tags and definite lengths are accepted (DER has nothing
//! else for the structures read here). The reader is strict about lengths:
//! every element must fit in its parent and top-level inputs must not have
//! trailing bytes.

use base64::Engine as _;

use crate::GostError;

pub const TAG_INTEGER: u8 = 0x02;
pub const TAG_BIT_STRING: u8 = 0x03;
pub const TAG_OCTET_STRING: u8 = 0x04;
pub const TAG_OID: u8 = 0x06;
pub const TAG_SEQUENCE: u8 = 0x30;
/// `[0]` constructed, explicit context tag (the X.509 version).
pub const TAG_CONTEXT_0: u8 = 0xa0;

/// One element: its tag, its contents and its whole encoding.
#[derive(Debug, Clone, Copy)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub contents: &'a [u8],
    /// Tag, length and contents: what a signature over this element covers.
    pub raw: &'a [u8],
}

/// Reads consecutive elements from a byte slice.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { rest: data }
    }

    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element, whatever its tag.
    pub fn any(&mut self) -> Result<Tlv<'a>, GostError> {
        let data = self.rest;
        let (&tag, after_tag) = data.split_first().ok_or(GostError::Der("неожиданный конец данных"))?;
        if tag & 0x1f == 0x1f {
            return Err(GostError::Der("многобайтовые теги не поддерживаются"));
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or(GostError::Der("нет длины элемента"))?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 {
                return Err(GostError::Der("неопределённая длина не допускается в DER"));
            }
            if count > 4 || count > after_len.len() {
                return Err(GostError::Der("неверная длина элемента"));
            }
            let (len_bytes, rest) = after_len.split_at(count);
            after_len = rest;
            if len_bytes[0] == 0 {
                return Err(GostError::Der("длина закодирована не минимально"));
            }
            let len = len_bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
            if len < 0x80 {
                return Err(GostError::Der("длина закодирована не минимально"));
            }
            len
        };
        if len > after_len.len() {
            return Err(GostError::Der("элемент выходит за пределы данных"));
        }
        let header = data.len() - after_len.len();
        let (raw, rest) = data.split_at(header + len);
        self.rest = rest;
        Ok(Tlv { tag, contents: &raw[header..], raw })
    }

    /// The next element, which must have tag `tag`.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, GostError> {
        match self.peek_tag() {
            Some(t) if t == tag => self.any(),
            _ => Err(GostError::Der(what)),
        }
    }

    /// The contents of the next SEQUENCE, as a reader.
    pub fn sequence(&mut self, what: &'static str) -> Result<Reader<'a>, GostError> {
        Ok(Reader::new(self.expect(TAG_SEQUENCE, what)?.contents))
    }

    /// The next OBJECT IDENTIFIER, in dotted form.
    pub fn oid(&mut self, what: &'static str) -> Result<String, GostError> {
        oid_to_string(self.expect(TAG_OID, what)?.contents)
    }

    /// Fails unless everything has been read.
    pub fn finish(&self, what: &'static str) -> Result<(), GostError> {
        if self.rest.is_empty() { Ok(()) } else { Err(GostError::Der(what)) }
    }
}

/// Parses `data` as exactly one element.
pub fn single<'a>(data: &'a [u8], what: &'static str) -> Result<Tlv<'a>, GostError> {
    let mut reader = Reader::new(data);
    let tlv = reader.any()?;
    reader.finish(what)?;
    Ok(tlv)
}

/// The contents of a BIT STRING with no unused bits.
pub fn bit_string_bytes(contents: &[u8]) -> Result<&[u8], GostError> {
    match contents.split_first() {
        Some((0, bytes)) => Ok(bytes),
        _ => Err(GostError::Der("BIT STRING с неполным последним байтом")),
    }
}

/// Decodes the contents of an OBJECT IDENTIFIER into dotted form.
pub fn oid_to_string(contents: &[u8]) -> Result<String, GostError> {
    const BAD: GostError = GostError::Der("неверный OBJECT IDENTIFIER");
    if contents.is_empty() || contents.last().is_some_and(|b| b & 0x80 != 0) {
        return Err(BAD);
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut value: u64 = 0;
    let mut fresh = true;
    for &b in contents {
        if fresh && b == 0x80 {
            return Err(BAD); // leading zero group: not minimal
        }
        if value > (u64::MAX >> 7) {
            return Err(BAD);
        }
        value = (value << 7) | u64::from(b & 0x7f);
        fresh = b & 0x80 == 0;
        if fresh {
            if arcs.is_empty() {
                let first = (value / 40).min(2);
                arcs.push(first);
                arcs.push(value - first * 40);
            } else {
                arcs.push(value);
            }
            value = 0;
        }
    }
    Ok(arcs.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
}

/// Encodes a dotted OID as a complete DER element (tag, length, contents).
pub fn encode_oid(oid: &str) -> Vec<u8> {
    let arcs: Vec<u64> = oid.split('.').map(|a| a.parse().unwrap_or(0)).collect();
    let mut contents = Vec::new();
    let (first, second) = (arcs.first().copied().unwrap_or(0), arcs.get(1).copied().unwrap_or(0));
    let mut push_arc = |mut v: u64| {
        let mut groups = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            groups.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        contents.extend(groups.iter().rev());
    };
    push_arc(first * 40 + second);
    for &arc in arcs.iter().skip(2) {
        push_arc(arc);
    }
    encode_tlv(TAG_OID, &contents)
}

/// Encodes one element with a definite, minimal length.
pub fn encode_tlv(tag: u8, contents: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = contents.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().into_iter().skip_while(|&b| b == 0).collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(contents);
    out
}

/// Extracts the DER bytes of the first PEM block labelled `label`
/// (`-----BEGIN {label}-----` … `-----END {label}-----`), e.g. `"CERTIFICATE"`,
/// `"PUBLIC KEY"` or `"PRIVATE KEY"`. Text around the block and whitespace
/// inside it are ignored; RFC 1421 headers (`Proc-Type: …`, as in encrypted
/// legacy keys) are rejected.
pub fn pem_to_der(pem: &str, label: &str) -> Result<Vec<u8>, GostError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).ok_or_else(|| GostError::Pem(format!("нет блока «{label}»")))? + begin.len();
    let body_len = pem[start..].find(&end).ok_or_else(|| GostError::Pem(format!("блок «{label}» не закрыт")))?;
    let body = &pem[start..start + body_len];
    if body.contains(':') {
        return Err(GostError::Pem("заголовки внутри блока PEM не поддерживаются".to_owned()));
    }
    let compact: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| GostError::Pem(format!("неверный base64: {e}")))?;
    if der.is_empty() {
        return Err(GostError::Pem(format!("пустой блок «{label}»")));
    }
    Ok(der)
}

/// Wraps DER bytes in a PEM block with 64-character lines.
pub fn der_to_pem(der: &[u8], label: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_round_trip() {
        for oid in ["1.2.643.7.1.1.1.1", "1.2.643.2.2.35.1", "1.2.643.7.1.2.1.2.0", "2.5.4.3", "1.2.840.113549.1.1.11"]
        {
            let der = encode_oid(oid);
            let tlv = single(&der, "лишние байты").expect("valid");
            assert_eq!(tlv.tag, TAG_OID);
            assert_eq!(oid_to_string(tlv.contents).expect("valid"), oid);
        }
        // 1.2.643.7.1.1.1.1 as written by OpenSSL.
        assert_eq!(encode_oid("1.2.643.7.1.1.1.1"), [0x06, 0x08, 0x2a, 0x85, 0x03, 0x07, 0x01, 0x01, 0x01, 0x01]);
    }

    #[test]
    fn bad_oids_are_rejected() {
        assert!(oid_to_string(&[]).is_err());
        assert!(oid_to_string(&[0x2a, 0x85]).is_err()); // unfinished arc
        assert!(oid_to_string(&[0x2a, 0x80, 0x01]).is_err()); // non-minimal arc
    }

    #[test]
    fn lengths() {
        let long = vec![7u8; 300];
        let der = encode_tlv(TAG_OCTET_STRING, &long);
        assert_eq!(&der[..4], &[0x04, 0x82, 0x01, 0x2c]);
        let tlv = single(&der, "лишние байты").expect("valid");
        assert_eq!(tlv.contents, &long[..]);
        assert_eq!(tlv.raw, &der[..]);

        assert!(single(&[0x04, 0x05, 1, 2], "x").is_err()); // truncated
        assert!(single(&[0x04, 0x80, 0, 0], "x").is_err()); // indefinite
        assert!(single(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5], "x").is_err()); // non-minimal
        assert!(single(&[0x04, 0x01, 1, 0], "x").is_err()); // trailing byte
        assert!(single(&[], "x").is_err());
    }

    #[test]
    fn pem() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0x05];
        let pem = der_to_pem(&der, "PUBLIC KEY");
        assert_eq!(pem, "-----BEGIN PUBLIC KEY-----\nMAMCAQU=\n-----END PUBLIC KEY-----\n");
        let wrapped = format!("garbage before\r\n{}trailing", pem.replace('\n', "\r\n"));
        assert_eq!(pem_to_der(&wrapped, "PUBLIC KEY").expect("valid"), der);
        assert!(matches!(pem_to_der(&pem, "PRIVATE KEY"), Err(GostError::Pem(_))));
        assert!(pem_to_der("-----BEGIN X-----\n!!!\n-----END X-----", "X").is_err());
        assert!(pem_to_der("-----BEGIN X-----\nMAMC", "X").is_err());
    }
}
