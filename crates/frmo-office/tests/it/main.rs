//! Integration tests of frmo-office: XLSX round trips (also against openpyxl),
//! hostile XLSX input, and PDF tables checked with poppler's tools.
//!
//! External tools: `python3` with `openpyxl` (PyPI `openpyxl==3.1.5`) and
//! `pdftotext`/`pdffonts`/`pdfinfo` (Debian `poppler-utils`). Tests that need
//! them fail when they are missing.

mod pdf;
mod tools;
mod xlsx;
