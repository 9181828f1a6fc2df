//! ZIP packages written by hand for upload tests: a DOCX whose directory lies about its sizes.

use std::io::Write as _;

/// A DOCX (the two parts a DOCX must have) whose `word/document.xml` inflates to `inflated` bytes
/// while both its local header and the central directory declare `declared`: the package a sniffer
/// that trusts the declared sizes lets through. Zeros compress about a thousandfold, so 64 MiB of
/// them make a file of some 64 KiB.
pub fn lying_docx(inflated: usize, declared: u32) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    let chunk = vec![0u8; 1 << 20];
    let mut left = inflated;
    while left > 0 {
        let n = left.min(chunk.len());
        encoder.write_all(&chunk[..n]).expect("deflate");
        left -= n;
    }
    let document = encoder.finish().expect("deflate");
    let types =
        b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"/>";
    let entries: [(&str, u16, &[u8], u32); 2] =
        [("[Content_Types].xml", 0, types, types.len() as u32), ("word/document.xml", 8, &document, declared)];
    let (mut out, mut directory) = (Vec::new(), Vec::new());
    for (name, method, data, size) in entries {
        let offset = out.len() as u32;
        // Local header: signature, version, flags, method, time, date, CRC (not checked by a sniffer),
        // packed size, unpacked size, name length, extra length.
        out.extend_from_slice(b"PK\x03\x04");
        for field in [20u16, 0, method, 0, 0] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        for field in [0u32, data.len() as u32, size] {
            out.extend_from_slice(&field.to_le_bytes());
        }
        out.extend_from_slice(&(name.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        // Central directory record: the same, plus comment, disk, attributes and the offset.
        directory.extend_from_slice(b"PK\x01\x02");
        for field in [20u16, 20, 0, method, 0, 0] {
            directory.extend_from_slice(&field.to_le_bytes());
        }
        for field in [0u32, data.len() as u32, size] {
            directory.extend_from_slice(&field.to_le_bytes());
        }
        for field in [name.len() as u16, 0, 0, 0, 0] {
            directory.extend_from_slice(&field.to_le_bytes());
        }
        directory.extend_from_slice(&0u32.to_le_bytes());
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name.as_bytes());
    }
    let directory_at = out.len() as u32;
    out.extend_from_slice(&directory);
    out.extend_from_slice(b"PK\x05\x06");
    for field in [0u16, 0, 2, 2] {
        out.extend_from_slice(&field.to_le_bytes());
    }
    out.extend_from_slice(&(directory.len() as u32).to_le_bytes());
    out.extend_from_slice(&directory_at.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}
