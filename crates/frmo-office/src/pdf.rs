//! PDF tables: an A4 document with a title, a table whose header repeats on
//! every page, and «Страница N из M» at the bottom of each page.
//!
//! Built on `pdf-writer` with DejaVu Sans embedded as a subset, so Cyrillic
//! prints everywhere and the text can be extracted (`pdftotext`, search,
//! copy). The layout is deliberately simple: left-aligned text, cells wrapped
//! at spaces (long words broken anywhere) up to a fixed number of lines, then
//! cut with «…».

mod font;

use std::io::Write as _;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::types::TextRenderingMode;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::error::{Detail, OfficeError};
use font::Font;

/// A table to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Printed large at the top of the first page; also the document title.
    pub title: String,
    /// Lines under the title on the first page: the period, "сформировано …".
    pub subtitle: Vec<String>,
    /// Header titles and relative widths (any positive numbers; they are
    /// scaled to the page width).
    pub columns: Vec<(String, f32)>,
    /// Rows of preformatted text; a row may be shorter than `columns`, not
    /// longer.
    pub rows: Vec<Vec<String>>,
    /// A4 landscape instead of portrait.
    pub landscape: bool,
}

/// A4 in points.
const A4: (f32, f32) = (595.28, 841.89);
const MARGIN: f32 = 36.0;
/// Baseline of the page number, from the bottom edge.
const FOOTER_BASELINE: f32 = 20.0;
const TITLE_SIZE: f32 = 14.0;
const SUBTITLE_SIZE: f32 = 9.5;
const BODY_SIZE: f32 = 8.5;
const FOOTER_SIZE: f32 = 8.0;
const LEADING: f32 = 1.2;
const PAD_X: f32 = 3.0;
const PAD_Y: f32 = 2.5;
/// Space between the subtitle and the table.
const TITLE_GAP: f32 = 10.0;
/// Longest cell text in lines before it is cut with «…».
const MAX_CELL_LINES: usize = 10;
const MAX_HEADER_LINES: usize = 4;
const MAX_TITLE_LINES: usize = 4;
const GRID_GRAY: f32 = 0.55;
const HEADER_FILL_GRAY: f32 = 0.9;
const FONT_NAME: Name<'static> = Name(b"F1");

/// An A4 PDF of the table. Text that does not fit a cell in
/// ten lines is cut with «…»; rows never split across pages.
pub fn table(t: &Table) -> Result<Vec<u8>, OfficeError> {
    validate(t)?;
    let mut font = Font::load()?;
    let (page_w, page_h) = if t.landscape { (A4.1, A4.0) } else { A4 };
    let content_w = page_w - 2.0 * MARGIN;
    let total: f32 = t.columns.iter().map(|(_, w)| w).sum();
    let widths: Vec<f32> = t.columns.iter().map(|(_, w)| w / total * content_w).collect();

    let title: Vec<String> = wrap(&font, &t.title, TITLE_SIZE, content_w, MAX_TITLE_LINES);
    let subtitle: Vec<String> =
        t.subtitle.iter().flat_map(|line| wrap(&font, line, SUBTITLE_SIZE, content_w, MAX_TITLE_LINES)).collect();
    let header = lay_out_row(&font, t.columns.iter().map(|(title, _)| title.as_str()), &widths, MAX_HEADER_LINES);
    let rows: Vec<RowLayout> =
        t.rows.iter().map(|row| lay_out_row(&font, row.iter().map(String::as_str), &widths, MAX_CELL_LINES)).collect();

    let title_h =
        title.len() as f32 * TITLE_SIZE * LEADING + subtitle.len() as f32 * SUBTITLE_SIZE * LEADING + TITLE_GAP;
    let pages = paginate(&rows, header.height, page_h - 2.0 * MARGIN, title_h);
    let page_count = pages.len();

    let mut pdf = Pdf::new();
    let mut next = Ref::new(1);
    let catalog_ref = next.bump();
    let tree_ref = next.bump();
    let font_ref = next.bump();
    let info_ref = next.bump();
    let mut page_refs = Vec::with_capacity(page_count);

    for (index, page_rows) in pages.iter().enumerate() {
        let mut page = PageWriter { content: Content::new(), font: &mut font, y: page_h - MARGIN };
        if index == 0 {
            page.lines(&title, TITLE_SIZE, MARGIN, true);
            page.lines(&subtitle, SUBTITLE_SIZE, MARGIN, false);
            page.y -= TITLE_GAP;
        }
        page.row(&header, &widths, true);
        for row in &rows[page_rows.clone()] {
            page.row(row, &widths, false);
        }
        page.footer(&format!("Страница {} из {page_count}", index + 1), page_w);
        let content = deflate(&page.content.finish())?;

        let (page_ref, content_ref) = (next.bump(), next.bump());
        page_refs.push(page_ref);
        let mut page = pdf.page(page_ref);
        page.media_box(Rect::new(0.0, 0.0, page_w, page_h)).parent(tree_ref).contents(content_ref);
        page.resources().fonts().pair(FONT_NAME, font_ref);
        page.finish();
        pdf.stream(content_ref, &content).filter(Filter::FlateDecode);
    }

    let count = i32::try_from(page_count).map_err(|_| OfficeError::PdfTable("слишком много страниц".to_owned()))?;
    pdf.pages(tree_ref).kids(page_refs).count(count);
    pdf.catalog(catalog_ref).pages(tree_ref).lang(TextStr("ru-RU"));
    pdf.document_info(info_ref).title(TextStr(&t.title)).producer(TextStr("frmo"));
    let mut fonts = pdf_writer::Chunk::new();
    font.write(&mut fonts, font_ref, &mut next)?;
    pdf.extend(&fonts);
    Ok(pdf.finish())
}

fn validate(t: &Table) -> Result<(), OfficeError> {
    let fail = |message: String| Err(OfficeError::PdfTable(message));
    if t.columns.is_empty() {
        return fail("нет ни одного столбца".to_owned());
    }
    for (index, (title, width)) in t.columns.iter().enumerate() {
        if !(width.is_finite() && *width > 0.0) {
            return fail(format!("ширина столбца {} «{title}» должна быть положительным числом", index + 1));
        }
    }
    if let Some(index) = t.rows.iter().position(|row| row.len() > t.columns.len()) {
        return fail(format!("в строке {} больше ячеек, чем столбцов ({})", index + 1, t.columns.len()));
    }
    Ok(())
}

/// The lines of each cell of a row, and the row's height.
struct RowLayout {
    cells: Vec<Vec<String>>,
    height: f32,
}

fn lay_out_row<'a>(font: &Font, texts: impl Iterator<Item = &'a str>, widths: &[f32], max_lines: usize) -> RowLayout {
    let cells: Vec<Vec<String>> =
        texts.zip(widths).map(|(text, width)| wrap(font, text, BODY_SIZE, width - 2.0 * PAD_X, max_lines)).collect();
    let lines = cells.iter().map(Vec::len).max().unwrap_or(0).max(1);
    RowLayout { cells, height: lines as f32 * BODY_SIZE * LEADING + 2.0 * PAD_Y }
}

/// Rows per page: the first page also holds the title block, every page the
/// header. Each page gets at least one row, so a row taller than the space
/// left still lands somewhere (it cannot be taller than a page: cells have at
/// most [`MAX_CELL_LINES`] lines).
fn paginate(rows: &[RowLayout], header_h: f32, body_h: f32, title_h: f32) -> Vec<std::ops::Range<usize>> {
    let mut pages = Vec::new();
    let mut start = 0;
    let mut left = body_h - title_h - header_h;
    for (index, row) in rows.iter().enumerate() {
        if row.height > left && index > start {
            pages.push(start..index);
            start = index;
            left = body_h - header_h;
        }
        left -= row.height;
    }
    pages.push(start..rows.len());
    pages
}

/// Draws one page top to bottom; `y` is the top of what comes next.
struct PageWriter<'f> {
    content: Content,
    font: &'f mut Font,
    y: f32,
}

impl PageWriter<'_> {
    /// Full-width lines (title, subtitle).
    fn lines(&mut self, lines: &[String], size: f32, x: f32, bold: bool) {
        for line in lines {
            let baseline = self.y - self.baseline_offset(size);
            self.text(line, size, x, baseline, bold);
            self.y -= size * LEADING;
        }
    }

    fn row(&mut self, row: &RowLayout, widths: &[f32], header: bool) {
        let top = self.y;
        let bottom = top - row.height;
        let total_w: f32 = widths.iter().sum();
        if header {
            self.content
                .set_fill_gray(HEADER_FILL_GRAY)
                .rect(MARGIN, bottom, total_w, row.height)
                .fill_nonzero()
                .set_fill_gray(0.0);
        }
        let mut x = MARGIN;
        for (index, width) in widths.iter().enumerate() {
            if let Some(lines) = row.cells.get(index) {
                let mut baseline = top - PAD_Y - self.baseline_offset(BODY_SIZE);
                for line in lines {
                    self.text(line, BODY_SIZE, x + PAD_X, baseline, header);
                    baseline -= BODY_SIZE * LEADING;
                }
            }
            x += width;
        }
        self.content.set_line_width(0.5).set_stroke_gray(GRID_GRAY);
        let mut x = MARGIN;
        for width in widths {
            self.content.rect(x, bottom, *width, row.height).stroke();
            x += width;
        }
        self.y = bottom;
    }

    fn footer(&mut self, text: &str, page_w: f32) {
        let x = (page_w - self.font.width(text, FOOTER_SIZE)) / 2.0;
        self.text(text, FOOTER_SIZE, x, FOOTER_BASELINE, false);
    }

    /// From the top of a line box to its baseline: the ascender plus half the
    /// extra leading.
    fn baseline_offset(&self, size: f32) -> f32 {
        let (ascender, descender) = self.font.vertical_metrics();
        ascender * size + (LEADING - ascender - descender).max(0.0) * size / 2.0
    }

    /// One line of text; `bold` is simulated by stroking the glyph outlines
    /// (one font file instead of two).
    fn text(&mut self, text: &str, size: f32, x: f32, baseline: f32, bold: bool) {
        if text.is_empty() {
            return;
        }
        let encoded = self.font.encode(text);
        self.content.begin_text().set_font(FONT_NAME, size);
        if bold {
            self.content
                .set_text_rendering_mode(TextRenderingMode::FillStroke)
                .set_line_width(size * 0.03)
                .set_stroke_gray(0.0);
        }
        self.content.next_line(x, baseline).show(Str(&encoded));
        if bold {
            self.content.set_text_rendering_mode(TextRenderingMode::Fill);
        }
        self.content.end_text();
    }
}

/// Breaks `text` into lines no wider than `width` at `size` points: at spaces,
/// inside words longer than a line, and at line breaks in the text (blank
/// lines are dropped). More than `max_lines` lines are cut to `max_lines`,
/// the last ending in «…»; the work stops there, so a huge cell costs little.
fn wrap(font: &Font, text: &str, size: f32, width: f32, max_lines: usize) -> Vec<String> {
    let space = font.width(" ", size);
    let mut lines: Vec<String> = Vec::new();
    'paragraphs: for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut line_w = 0.0;
        for word in paragraph.split(|c: char| c == ' ' || c.is_control()).filter(|w| !w.is_empty()) {
            let word_w = font.width(word, size);
            let gap = if line.is_empty() { 0.0 } else { space };
            if line_w + gap + word_w <= width {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_w += gap + word_w;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                line_w = 0.0;
                if lines.len() > max_lines {
                    break 'paragraphs;
                }
            }
            for c in word.chars() {
                let char_w = font.width(c.encode_utf8(&mut [0; 4]), size);
                if line_w + char_w > width && !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                    if lines.len() > max_lines {
                        break 'paragraphs;
                    }
                }
                line.push(c);
                line_w += char_w;
            }
        }
        if !line.is_empty() {
            lines.push(line);
            if lines.len() > max_lines {
                break;
            }
        }
    }
    if lines.len() > max_lines {
        lines.truncate(max_lines);
        if let Some(last) = lines.last_mut() {
            ellipsize(font, last, size, width);
        }
    }
    lines
}

/// Shortens `line` until it fits `width` with «…» appended.
fn ellipsize(font: &Font, line: &mut String, size: f32, width: f32) {
    const ELLIPSIS: &str = "…";
    let ellipsis_w = font.width(ELLIPSIS, size);
    while !line.is_empty() && font.width(line, size) + ellipsis_w > width {
        line.pop();
    }
    let trimmed = line.trim_end().len();
    line.truncate(trimmed);
    line.push_str(ELLIPSIS);
}

/// Zlib-compresses a stream for `/FlateDecode`.
fn deflate(data: &[u8]) -> Result<Vec<u8>, OfficeError> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::new(6));
    encoder.write_all(data).map_err(|e| OfficeError::PdfWrite(Detail::new(e)))?;
    encoder.finish().map_err(|e| OfficeError::PdfWrite(Detail::new(e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn font() -> Font {
        Font::load().expect("the embedded font parses")
    }

    #[test]
    fn wraps_at_spaces_and_inside_long_words() {
        let f = font();
        let width = f.width("Городская больница", 10.0) + 0.1;
        let lines = wrap(&f, "Городская больница номер один", 10.0, width, 10);
        assert_eq!(lines, ["Городская больница", "номер один"]);
        let narrow = f.width("Гор", 10.0) + 0.1;
        let lines = wrap(&f, "Городская", 10.0, narrow, 10);
        assert_eq!(lines, ["Гор", "одс", "кая"]);
        assert_eq!(wrap(&f, "", 10.0, 100.0, 10), Vec::<String>::new());
        assert_eq!(wrap(&f, "a\n\n b \n", 10.0, 100.0, 10), ["a", "b"]);
    }

    #[test]
    fn cuts_with_an_ellipsis() {
        let f = font();
        let width = f.width("слово слово", 10.0) + 0.1;
        let lines = wrap(&f, &"слово ".repeat(100), 10.0, width, 2);
        assert_eq!(lines.len(), 2);
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert!(f.width(&lines[1], 10.0) <= width);
        // A huge cell costs a bounded amount of work.
        let lines = wrap(&f, &"ж".repeat(1_000_000), 10.0, width, 3);
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn refuses_malformed_tables() {
        let mut t = Table {
            title: "Т".into(),
            subtitle: vec![],
            columns: vec![("А".into(), 1.0)],
            rows: vec![vec!["1".into(), "2".into()]],
            landscape: false,
        };
        assert!(matches!(table(&t), Err(OfficeError::PdfTable(_))));
        t.rows.clear();
        t.columns[0].1 = f32::NAN;
        assert!(matches!(table(&t), Err(OfficeError::PdfTable(_))));
        t.columns.clear();
        assert!(matches!(table(&t), Err(OfficeError::PdfTable(_))));
    }
}
