//! BER with indefinite lengths, as streaming signers write CMS (`openssl cms -sign -stream`, some
//! CryptoPro and .NET tools), turned into definite lengths so the DER reader can take it. Only the
//! elements that change are re-encoded: an element with definite lengths all the way down keeps its
//! bytes exactly (certificates and signed attributes are signed over their own encoding).

use crate::EsignError;

/// Deepest nesting accepted (CMS needs about a dozen levels).
const MAX_DEPTH: usize = 64;

fn error(message: &str) -> EsignError {
    EsignError::Format(format!("ошибка разбора BER: {message}"))
}

/// `input` (one element, nothing after it) with every indefinite length made definite.
pub(crate) fn definite(input: &[u8]) -> Result<Vec<u8>, EsignError> {
    let (element, end) = element(input, 0, 0)?;
    if end != input.len() {
        return Err(error("лишние байты после структуры"));
    }
    Ok(element)
}

/// Reads the element at `at`; returns its definite encoding and where the next element starts.
fn element(input: &[u8], at: usize, depth: usize) -> Result<(Vec<u8>, usize), EsignError> {
    if depth > MAX_DEPTH {
        return Err(error("слишком глубокая вложенность"));
    }
    let truncated = || error("структура обрывается");
    let start = at;
    let first = *input.get(at).ok_or_else(truncated)?;
    let mut at = at + 1;
    if first & 0x1f == 0x1f {
        // High tag number: continuation bytes while the top bit is set.
        loop {
            let byte = *input.get(at).ok_or_else(truncated)?;
            at += 1;
            if byte & 0x80 == 0 {
                break;
            }
            if at - start > 6 {
                return Err(error("слишком длинный тег"));
            }
        }
    }
    let tag = &input[start..at];
    let constructed = first & 0x20 != 0;
    let length_byte = *input.get(at).ok_or_else(truncated)?;
    at += 1;
    if length_byte == 0x80 {
        if !constructed {
            return Err(error("неопределённая длина у простого элемента"));
        }
        let mut content = Vec::new();
        loop {
            if input.get(at..at + 2) == Some(&[0, 0]) {
                at += 2;
                break;
            }
            let (child, next) = element(input, at, depth + 1)?;
            content.extend_from_slice(&child);
            at = next;
        }
        return Ok((encode(tag, &content), at));
    }
    let length = if length_byte & 0x80 == 0 {
        usize::from(length_byte)
    } else {
        let count = usize::from(length_byte & 0x7f);
        if count > 4 {
            return Err(error("слишком большая длина"));
        }
        let mut length = 0usize;
        for _ in 0..count {
            length = (length << 8) | usize::from(*input.get(at).ok_or_else(truncated)?);
            at += 1;
        }
        length
    };
    let end = at.checked_add(length).filter(|&end| end <= input.len()).ok_or_else(truncated)?;
    if !constructed {
        return Ok((input[start..end].to_vec(), end));
    }
    let mut content = Vec::with_capacity(length);
    let mut inner = at;
    while inner < end {
        let (child, next) = element(&input[..end], inner, depth + 1)?;
        content.extend_from_slice(&child);
        inner = next;
    }
    if content == input[at..end] { Ok((input[start..end].to_vec(), end)) } else { Ok((encode(tag, &content), end)) }
}

/// `tag`, the minimal definite length of `content`, and `content`.
fn encode(tag: &[u8], content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(tag.len() + 5 + content.len());
    out.extend_from_slice(tag);
    let length = content.len();
    if length < 0x80 {
        out.push(length as u8);
    } else {
        let bytes = length.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indefinite_lengths_become_definite_and_der_stays_as_it_is() {
        // SEQUENCE (indefinite) { INTEGER 5, SEQUENCE (indefinite) { NULL } }
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00];
        assert_eq!(definite(&ber).expect("BER"), vec![0x30, 0x07, 0x02, 0x01, 0x05, 0x30, 0x02, 0x05, 0x00]);
        let der = [0x30, 0x07, 0x02, 0x01, 0x05, 0x30, 0x02, 0x05, 0x00];
        assert_eq!(definite(&der).expect("DER"), der.to_vec());
        // A long content gets a long-form length.
        let mut long = vec![0x30, 0x80, 0x04, 0x81, 0xc8];
        long.extend([7u8; 200]);
        long.extend([0, 0]);
        let out = definite(&long).expect("long");
        assert_eq!(&out[..5], &[0x30, 0x81, 0xcb, 0x04, 0x81]);
    }

    #[test]
    fn broken_input_is_an_error_not_a_panic() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x80, 0x02],
            &[0x02, 0x80, 0x00, 0x00],
            &[0x30, 0x85, 1, 1, 1, 1, 1],
            &[0x30, 0x02, 0x02, 0x05],
            &[0x30, 0x00, 0x00],
        ] {
            assert!(definite(bad).is_err(), "{bad:?}");
        }
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 100).flatten().collect();
        assert!(definite(&deep).is_err());
    }
}
