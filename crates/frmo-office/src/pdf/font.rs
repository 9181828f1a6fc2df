//! The embedded font: DejaVu Sans (fonts/DejaVuSans.ttf, Bitstream Vera
//! licence in fonts/DejaVuSans-LICENSE.txt), measured with `ttf-parser` and
//! embedded as a subset (`subsetter`) with a ToUnicode map, so the text of
//! the PDF can be searched and copied.

use std::collections::BTreeMap;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Chunk, Filter, Finish, Name, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::{Face, GlyphId};

use super::deflate;
use crate::error::{Detail, OfficeError};

static DEJAVU_SANS: &[u8] = include_bytes!("../../fonts/DejaVuSans.ttf");
const BASE_NAME: &str = "DejaVuSans";

/// The font of one document: metrics for layout, and the glyphs used so far.
pub(crate) struct Font {
    face: Face<'static>,
    units_per_em: f32,
    /// Glyph for characters the font lacks: U+FFFD, or `.notdef`.
    fallback: u16,
    remapper: GlyphRemapper,
    /// New glyph id → the first character drawn with it (for ToUnicode).
    chars: BTreeMap<u16, char>,
}

impl Font {
    pub(crate) fn load() -> Result<Self, OfficeError> {
        let face = Face::parse(DEJAVU_SANS, 0).map_err(|e| OfficeError::PdfWrite(Detail::new(e)))?;
        let units_per_em = f32::from(face.units_per_em());
        let fallback = face.glyph_index('\u{FFFD}').map_or(0, |g| g.0);
        Ok(Self { face, units_per_em, fallback, remapper: GlyphRemapper::new(), chars: BTreeMap::new() })
    }

    /// Ascender and descender (positive) as fractions of the font size.
    pub(crate) fn vertical_metrics(&self) -> (f32, f32) {
        (f32::from(self.face.ascender()) / self.units_per_em, -f32::from(self.face.descender()) / self.units_per_em)
    }

    fn glyph(&self, c: char) -> u16 {
        self.face.glyph_index(c).map_or(self.fallback, |g| g.0)
    }

    /// Advance of a glyph in thousandths of the font size.
    fn advance(&self, glyph: u16) -> f32 {
        let units = self.face.glyph_hor_advance(GlyphId(glyph)).unwrap_or(0);
        f32::from(units) * 1000.0 / self.units_per_em
    }

    /// Width of `text` set at `size` points (no kerning: table cells do not
    /// need it, and the widths then add up exactly).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.advance(self.glyph(c))).sum::<f32>() * size / 1000.0
    }

    /// The bytes of a `Tj` string for `text` (2-byte CIDs, `Identity-H`),
    /// recording the glyphs for the subset.
    pub(crate) fn encode(&mut self, text: &str) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(text.len() * 2);
        for c in text.chars() {
            let cid = self.remapper.remap(self.glyph(c));
            self.chars.entry(cid).or_insert(c);
            bytes.extend_from_slice(&cid.to_be_bytes());
        }
        bytes
    }

    /// Writes the Type0 font `font_ref` and everything it needs, allocating
    /// ids from `next`.
    pub(crate) fn write(&self, chunk: &mut Chunk, font_ref: Ref, next: &mut Ref) -> Result<(), OfficeError> {
        let (cid_ref, descriptor_ref, file_ref, cmap_ref) = (next.bump(), next.bump(), next.bump(), next.bump());
        let subset =
            subsetter::subset(DEJAVU_SANS, 0, &self.remapper).map_err(|e| OfficeError::PdfWrite(Detail::new(e)))?;
        let name = format!("{}+{BASE_NAME}", self.subset_tag());
        let system_info = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };

        chunk
            .type0_font(font_ref)
            .base_font(Name(name.as_bytes()))
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_ref)
            .to_unicode(cmap_ref);

        let widths: Vec<f32> = self.remapper.remapped_gids().map(|old| self.advance(old)).collect();
        let mut cid = chunk.cid_font(cid_ref);
        cid.subtype(CidFontType::Type2)
            .base_font(Name(name.as_bytes()))
            .system_info(system_info)
            .font_descriptor(descriptor_ref)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        cid.widths().consecutive(0, widths);
        cid.finish();

        let scale = |v: i16| f32::from(v) * 1000.0 / self.units_per_em;
        let bbox = self.face.global_bounding_box();
        let ascender = scale(self.face.ascender());
        let stem_v = 10.0 + 0.244 * (f32::from(self.face.weight().to_number()) - 50.0);
        chunk
            .font_descriptor(descriptor_ref)
            .name(Name(name.as_bytes()))
            .flags(FontFlags::SYMBOLIC)
            .bbox(Rect::new(scale(bbox.x_min), scale(bbox.y_min), scale(bbox.x_max), scale(bbox.y_max)))
            .italic_angle(0.0)
            .ascent(ascender)
            .descent(scale(self.face.descender()))
            .cap_height(self.face.capital_height().map_or(ascender, scale))
            .stem_v(stem_v)
            .font_file2(file_ref);

        let packed = deflate(&subset)?;
        chunk
            .stream(file_ref, &packed)
            .filter(Filter::FlateDecode)
            .pair(Name(b"Length1"), i32::try_from(subset.len()).unwrap_or(i32::MAX));

        let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
        for (&cid, &c) in &self.chars {
            cmap.pair(cid, c);
        }
        let cmap = deflate(&cmap.finish())?;
        chunk.cmap(cmap_ref, &cmap).filter(Filter::FlateDecode);
        Ok(())
    }

    /// Six capital letters naming this subset, derived from the glyphs in it
    /// (PDF requires a tag; deriving it keeps output reproducible).
    fn subset_tag(&self) -> String {
        // FNV-1a over the glyph ids.
        let mut hash: u32 = 0x811c_9dc5;
        for glyph in self.remapper.remapped_gids() {
            for byte in glyph.to_be_bytes() {
                hash = (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193);
            }
        }
        (0..6)
            .map(|_| {
                let letter = char::from(b'A' + (hash % 26) as u8);
                hash /= 26;
                letter
            })
            .collect()
    }
}
