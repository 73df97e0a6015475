//! Catalogue import from a CSV or XLSX file: one row per product and supplier offer.
//!
//! Reading and checking a file are pure functions that give either every problem found
//! (row and column as the spreadsheet shows them) or a plan of the changes. The plan is kept
//! as a pending import with a fingerprint of the catalogue rows it was computed against; an
//! admin applies exactly that plan in one transaction, refused if those rows changed since.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::io::Cursor;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use fluent_bundle::FluentArgs;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::audit;
use crate::auth::Principal;
use crate::db::catalogue as q;
use crate::db::schema::catalogue_imports;
use crate::db::{Conn, DbError};
use crate::domain::{Cents, EnterpriseNumber, Language, QuantityRule, Sku};
use crate::i18n::Translations;
use crate::with_conn;

/// Larger files are refused before they are read.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;
/// Data rows, header excluded.
pub const MAX_ROWS: usize = 20_000;
/// A preview older than this must be made again before it can be applied.
pub const PENDING_LIFETIME_MINUTES: i64 = 60;
const MAX_NAME_CHARS: usize = 200;
const MAX_DESCRIPTION_CHARS: usize = 4000;
const MAX_SHORT_CHARS: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Column {
    LotReference,
    Sku,
    NameFr,
    NameNl,
    DescriptionFr,
    DescriptionNl,
    PackagingFr,
    PackagingNl,
    UnitCode,
    Standards,
    VatClass,
    MinQuantity,
    OrderMultiple,
    Active,
    SupplierEnterpriseNumber,
    Price,
    Available,
}

impl Column {
    pub const ALL: [Column; 17] = [
        Column::LotReference,
        Column::Sku,
        Column::NameFr,
        Column::NameNl,
        Column::DescriptionFr,
        Column::DescriptionNl,
        Column::PackagingFr,
        Column::PackagingNl,
        Column::UnitCode,
        Column::Standards,
        Column::VatClass,
        Column::MinQuantity,
        Column::OrderMultiple,
        Column::Active,
        Column::SupplierEnterpriseNumber,
        Column::Price,
        Column::Available,
    ];

    /// The header of the column in files, in English snake_case.
    pub fn name(self) -> &'static str {
        match self {
            Column::LotReference => "lot_reference",
            Column::Sku => "sku",
            Column::NameFr => "name_fr",
            Column::NameNl => "name_nl",
            Column::DescriptionFr => "description_fr",
            Column::DescriptionNl => "description_nl",
            Column::PackagingFr => "packaging_fr",
            Column::PackagingNl => "packaging_nl",
            Column::UnitCode => "unit_code",
            Column::Standards => "standards",
            Column::VatClass => "vat_class",
            Column::MinQuantity => "min_quantity",
            Column::OrderMultiple => "order_multiple",
            Column::Active => "active",
            Column::SupplierEnterpriseNumber => "supplier_enterprise_number",
            Column::Price => "price",
            Column::Available => "available",
        }
    }

    /// The message holding the column's label in each language, also accepted as a header.
    pub fn label_key(self) -> String {
        format!("import-column-{}", self.name().replace('_', "-"))
    }

    /// Columns describing the product itself, which every row of a SKU must repeat alike.
    fn is_product_field(self) -> bool {
        !matches!(
            self,
            Column::Sku | Column::SupplierEnterpriseNumber | Column::Price | Column::Available
        )
    }
}

/// What is wrong with a file, a row or a cell. Each kind has a message `import-problem-*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "kebab-case")]
pub enum Problem {
    FileTooLarge,
    /// An XLSX file (a ZIP archive) that would unpack to more than [`MAX_XLSX_UNPACKED_BYTES`].
    UnpackedTooLarge,
    TooManyRows,
    TooManyColumns,
    NotUtf8,
    UnreadableCsv,
    UnreadableXlsx,
    NoHeader,
    NoRows,
    MissingColumn,
    UnknownColumn,
    DuplicateColumn {
        first: usize,
    },
    Required,
    TooLong {
        max: usize,
    },
    InvalidSku {
        reason: &'static str,
    },
    InvalidEnterpriseNumber {
        reason: &'static str,
    },
    InvalidPrice {
        reason: &'static str,
    },
    NotWholeNumber,
    InvalidQuantityRule,
    InvalidUnitCode,
    InvalidBoolean,
    UnknownLot,
    UnknownSupplier,
    SupplierNotInCascade {
        lot: String,
    },
    UnknownVatClass,
    ProductInOtherLot {
        lot: String,
    },
    Disagrees {
        other_row: usize,
    },
    DuplicateOffer {
        other_row: usize,
    },
}

impl Problem {
    pub fn code(&self) -> &'static str {
        match self {
            Problem::FileTooLarge => "file-too-large",
            Problem::UnpackedTooLarge => "unpacked-too-large",
            Problem::TooManyRows => "too-many-rows",
            Problem::TooManyColumns => "too-many-columns",
            Problem::NotUtf8 => "not-utf8",
            Problem::UnreadableCsv => "unreadable-csv",
            Problem::UnreadableXlsx => "unreadable-xlsx",
            Problem::NoHeader => "no-header",
            Problem::NoRows => "no-rows",
            Problem::MissingColumn => "missing-column",
            Problem::UnknownColumn => "unknown-column",
            Problem::DuplicateColumn { .. } => "duplicate-column",
            Problem::Required => "required",
            Problem::TooLong { .. } => "too-long",
            Problem::InvalidSku { .. } => "invalid-sku",
            Problem::InvalidEnterpriseNumber { .. } => "invalid-enterprise-number",
            Problem::InvalidPrice { .. } => "invalid-price",
            Problem::NotWholeNumber => "not-whole-number",
            Problem::InvalidQuantityRule => "invalid-quantity-rule",
            Problem::InvalidUnitCode => "invalid-unit-code",
            Problem::InvalidBoolean => "invalid-boolean",
            Problem::UnknownLot => "unknown-lot",
            Problem::UnknownSupplier => "unknown-supplier",
            Problem::SupplierNotInCascade { .. } => "supplier-not-in-cascade",
            Problem::UnknownVatClass => "unknown-vat-class",
            Problem::ProductInOtherLot { .. } => "product-in-other-lot",
            Problem::Disagrees { .. } => "disagrees",
            Problem::DuplicateOffer { .. } => "duplicate-offer",
        }
    }
}

/// One problem, where the spreadsheet shows it: `row` counts the header as row 1; a problem
/// with the whole file has no row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportError {
    pub row: Option<usize>,
    pub column: Option<Column>,
    /// The column's header as written in the file, to name it the way the author knows it.
    pub header: Option<String>,
    pub value: String,
    pub problem: Problem,
}

impl ImportError {
    fn file(problem: Problem) -> Self {
        ImportError {
            row: None,
            column: None,
            header: None,
            value: String::new(),
            problem,
        }
    }
}

/// An error put into words: `message` alone, and `sentence` naming the row and column.
#[derive(Debug, Clone, Serialize)]
pub struct DescribedError {
    pub row: Option<usize>,
    pub column: Option<String>,
    pub code: &'static str,
    pub message: String,
    pub sentence: String,
}

pub fn describe(
    translations: &Translations,
    language: Language,
    error: &ImportError,
) -> DescribedError {
    let mut args = FluentArgs::new();
    args.set("value", error.value.clone());
    match &error.problem {
        Problem::FileTooLarge => args.set("max", format!("{}", MAX_FILE_BYTES / (1024 * 1024))),
        Problem::UnpackedTooLarge => args.set(
            "max",
            format!("{}", MAX_XLSX_UNPACKED_BYTES / (1024 * 1024)),
        ),
        Problem::TooManyRows => args.set("max", MAX_ROWS.to_string()),
        Problem::TooManyColumns => args.set("max", MAX_COLUMNS.to_string()),
        Problem::TooLong { max } => args.set("max", max.to_string()),
        Problem::DuplicateColumn { first } => args.set("other", first.to_string()),
        Problem::Disagrees { other_row } | Problem::DuplicateOffer { other_row } => {
            args.set("other", other_row.to_string())
        }
        Problem::InvalidSku { reason }
        | Problem::InvalidEnterpriseNumber { reason }
        | Problem::InvalidPrice { reason } => args.set("reason", translations.t(language, reason)),
        Problem::SupplierNotInCascade { lot } | Problem::ProductInOtherLot { lot } => {
            args.set("lot", lot.clone())
        }
        _ => {}
    }
    let header = error
        .header
        .clone()
        .or_else(|| error.column.map(|c| c.name().to_owned()));
    if let Some(header) = &header {
        args.set("column", header.clone());
    }
    let message = translations.text(
        language,
        &format!("import-problem-{}", error.problem.code()),
        Some(&args),
    );
    let mut place = FluentArgs::new();
    place.set("message", message.clone());
    let sentence = match (error.row, &header) {
        (Some(row), Some(header)) => {
            place.set("row", row.to_string());
            place.set("column", header.clone());
            translations.text(language, "import-error-cell", Some(&place))
        }
        (Some(row), None) => {
            place.set("row", row.to_string());
            translations.text(language, "import-error-row", Some(&place))
        }
        _ => message.clone(),
    };
    DescribedError {
        row: error.row,
        column: error.column.map(|c| c.name().to_owned()),
        code: error.problem.code(),
        message,
        sentence,
    }
}

// ---------------------------------------------------------------------------------------
// Reading files.

/// The cells of a file as text, with the spreadsheet row number of each row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub header_row: usize,
    pub header: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

/// XLSX files are ZIP archives; anything else is read as CSV.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

pub fn read_file(bytes: &[u8]) -> Result<Sheet, ImportError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(ImportError::file(Problem::FileTooLarge));
    }
    let sheet = if is_xlsx(bytes) {
        read_xlsx(bytes)?
    } else {
        read_csv(bytes)?
    };
    if sheet.rows.len() > MAX_ROWS {
        return Err(ImportError::file(Problem::TooManyRows));
    }
    Ok(sheet)
}

/// Belgian spreadsheet programs write `;`, others `,`: whichever the header line has more of
/// outside quotes wins.
pub fn detect_delimiter(text: &str) -> u8 {
    let (mut commas, mut semicolons, mut quoted) = (0, 0, false);
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => commas += 1,
            ';' if !quoted => semicolons += 1,
            '\n' | '\r' if !quoted => break,
            _ => {}
        }
    }
    if semicolons > commas {
        b';'
    } else {
        b','
    }
}

pub fn read_csv(bytes: &[u8]) -> Result<Sheet, ImportError> {
    let bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| ImportError::file(Problem::NotUtf8))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(text))
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let record = record.map_err(|_| ImportError {
            row: Some(index + 1),
            ..ImportError::file(Problem::UnreadableCsv)
        })?;
        if records.len() > MAX_ROWS + 1 {
            return Err(ImportError::file(Problem::TooManyRows));
        }
        records.push(record.iter().map(unneutralise).collect::<Vec<_>>());
    }
    sheet_from(1, records)
}

/// Our own downloads put an apostrophe before text that looks like a formula; reading such a
/// file back must give the text without it.
fn unneutralise(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest)
            if rest
                .trim_start_matches('\'')
                .starts_with(crate::export::FORMULA_START) =>
        {
            rest.to_owned()
        }
        _ => cell.to_owned(),
    }
}

/// Columns an import sheet may use: the template has 17; a cell further right is no catalogue.
pub const MAX_COLUMNS: usize = 64;

/// The most an XLSX file may unpack to. A full import (20,000 rows of the template's
/// columns) unpacks to about 15 MB; a "zip bomb" of a few kilobytes could otherwise unpack
/// to gigabytes of XML, all of which would be read, and shared strings kept in memory.
pub const MAX_XLSX_UNPACKED_BYTES: u64 = 64 * 1024 * 1024;

/// The sizes a ZIP archive's central directory declares for its members, added up; `None`
/// when the archive has no readable central directory (the reader then refuses it anyway).
/// The ZIP reader stops any member at its declared size, so this sum bounds what unpacking
/// can produce. A ZIP64 size (0xFFFFFFFF) counts as unbounded.
pub fn zip_declared_unpacked_size(bytes: &[u8]) -> Option<u64> {
    const END: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
    const ENTRY: [u8; 4] = [0x50, 0x4b, 0x01, 0x02];
    let u16_at = |at: usize| -> Option<u64> {
        Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?) as u64)
    };
    let u32_at = |at: usize| -> Option<u64> {
        Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as u64)
    };
    // The end record is the last 22 bytes, followed by a comment of at most 65,535 bytes.
    let earliest = bytes.len().saturating_sub(22 + 65_535);
    let end = (earliest..=bytes.len().saturating_sub(22))
        .rev()
        .find(|&at| bytes[at..].starts_with(&END))?;
    let entries = u16_at(end + 10)?;
    let mut at = usize::try_from(u32_at(end + 16)?).ok()?;
    if entries == 0xFFFF || at as u64 == 0xFFFF_FFFF {
        return Some(u64::MAX);
    }
    let mut total: u64 = 0;
    for _ in 0..entries {
        if !bytes.get(at..)?.starts_with(&ENTRY) {
            return None;
        }
        let size = u32_at(at + 24)?;
        if size == 0xFFFF_FFFF {
            return Some(u64::MAX);
        }
        total = total.saturating_add(size);
        let name = usize::try_from(u16_at(at + 28)?).ok()?;
        let extra = usize::try_from(u16_at(at + 30)?).ok()?;
        let comment = usize::try_from(u16_at(at + 32)?).ok()?;
        at = at.checked_add(46 + name + extra + comment)?;
    }
    Some(total)
}

/// Reads the first worksheet cell by cell, so a cell placed far away (say at `XFD1048576`)
/// is refused before anything the size of the sheet's grid is allocated.
pub fn read_xlsx(bytes: &[u8]) -> Result<Sheet, ImportError> {
    use calamine::{Data, Reader, Xlsx};
    let unreadable = || ImportError::file(Problem::UnreadableXlsx);
    if zip_declared_unpacked_size(bytes).is_some_and(|size| size > MAX_XLSX_UNPACKED_BYTES) {
        return Err(ImportError::file(Problem::UnpackedTooLarge));
    }
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(|_| unreadable())?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(unreadable)?;
    let mut reader = workbook
        .worksheet_cells_reader(&name)
        .map_err(|_| unreadable())?;
    let mut cells: Vec<(usize, usize, String)> = Vec::new();
    let mut first_row = usize::MAX;
    while let Some(cell) = reader.next_cell().map_err(|_| unreadable())? {
        let (row, column) = cell.get_position();
        let (row, column) = (row as usize, column as usize);
        let text = xlsx_cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        if column >= MAX_COLUMNS {
            return Err(ImportError::file(Problem::TooManyColumns));
        }
        first_row = first_row.min(row);
        if row > first_row.saturating_add(MAX_ROWS + 1) || cells.len() > MAX_ROWS * MAX_COLUMNS {
            return Err(ImportError::file(Problem::TooManyRows));
        }
        cells.push((row, column, text));
    }
    if cells.is_empty() {
        return sheet_from(1, Vec::new());
    }
    let last_row = cells
        .iter()
        .map(|(row, _, _)| *row)
        .max()
        .unwrap_or(first_row);
    if last_row - first_row > MAX_ROWS {
        return Err(ImportError::file(Problem::TooManyRows));
    }
    let width = cells
        .iter()
        .map(|(_, column, _)| column + 1)
        .max()
        .unwrap_or(0);
    let mut records = vec![vec![String::new(); width]; last_row - first_row + 1];
    for (row, column, text) in cells {
        records[row - first_row][column] = text;
    }
    sheet_from(first_row + 1, records)
}

/// A cell as the text a person would have typed. Numbers are floats in XLSX: the shortest
/// decimal that reads back as the same float is what the author entered (12.34, not
/// 12.339999…), and a price with more than two decimals stays visible as such.
pub fn xlsx_cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(f) => float_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => float_text(d.as_f64()),
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

pub fn float_text(f: f64) -> String {
    if f.is_finite() {
        // Rust's `Display` for floats is the shortest round-tripping decimal, never exponent.
        format!("{f}")
    } else {
        f.to_string()
    }
}

fn sheet_from(first_row: usize, records: Vec<Vec<String>>) -> Result<Sheet, ImportError> {
    let mut numbered = records
        .into_iter()
        .enumerate()
        .map(|(index, cells)| (first_row + index, cells));
    let Some((header_row, header)) = numbered.find(|(_, cells)| !all_blank(cells)) else {
        return Err(ImportError::file(Problem::NoHeader));
    };
    let rows: Vec<_> = numbered.filter(|(_, cells)| !all_blank(cells)).collect();
    if rows.is_empty() {
        return Err(ImportError {
            row: Some(header_row + 1),
            ..ImportError::file(Problem::NoRows)
        });
    }
    Ok(Sheet {
        header_row,
        header,
        rows,
    })
}

fn all_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

// ---------------------------------------------------------------------------------------
// Checking rows.

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductFields {
    pub name_fr: String,
    pub name_nl: String,
    pub description_fr: String,
    pub description_nl: String,
    pub packaging_fr: String,
    pub packaging_nl: String,
    pub unit_code: String,
    pub standards: Vec<String>,
    pub vat_class: String,
    pub min_quantity: u32,
    pub order_multiple: u32,
    pub active: bool,
}

impl ProductFields {
    /// Each field as text, by column, to compare and show them.
    pub fn texts(&self) -> Vec<(Column, String)> {
        vec![
            (Column::NameFr, self.name_fr.clone()),
            (Column::NameNl, self.name_nl.clone()),
            (Column::DescriptionFr, self.description_fr.clone()),
            (Column::DescriptionNl, self.description_nl.clone()),
            (Column::PackagingFr, self.packaging_fr.clone()),
            (Column::PackagingNl, self.packaging_nl.clone()),
            (Column::UnitCode, self.unit_code.clone()),
            (Column::Standards, super::join_standards(&self.standards)),
            (Column::VatClass, self.vat_class.clone()),
            (Column::MinQuantity, self.min_quantity.to_string()),
            (Column::OrderMultiple, self.order_multiple.to_string()),
            (Column::Active, self.active.to_string()),
        ]
    }
}

/// One valid row of a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRow {
    pub row: usize,
    pub lot_reference: String,
    pub sku: Sku,
    pub fields: ProductFields,
    pub supplier: EnterpriseNumber,
    pub price: Cents,
    pub available: bool,
    /// Each cell as written, to compare a SKU's rows and quote them in messages.
    cells: BTreeMap<Column, String>,
}

/// Lower case, trimmed, spaces and dashes as `_`, so `Unit code` and `unit-code` match.
fn normalise_header(text: &str) -> String {
    text.trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// Matches headers to columns. `labels` are the columns' names in the languages of the
/// product, accepted besides the English names.
fn map_header(
    sheet: &Sheet,
    labels: &[(Column, String)],
) -> Result<Vec<Option<Column>>, Vec<ImportError>> {
    let mut known: HashMap<String, Column> = HashMap::new();
    for column in Column::ALL {
        known.insert(column.name().to_owned(), column);
    }
    for (column, label) in labels {
        known.entry(normalise_header(label)).or_insert(*column);
    }
    let mut errors = Vec::new();
    let mut seen: HashMap<Column, usize> = HashMap::new();
    let mut mapping = Vec::with_capacity(sheet.header.len());
    for (index, header) in sheet.header.iter().enumerate() {
        let normalised = normalise_header(header);
        if normalised.is_empty() {
            mapping.push(None);
            continue;
        }
        let error = |problem| ImportError {
            row: Some(sheet.header_row),
            column: None,
            header: Some(header.trim().to_owned()),
            value: header.trim().to_owned(),
            problem,
        };
        match known.get(&normalised) {
            None => {
                errors.push(error(Problem::UnknownColumn));
                mapping.push(None);
            }
            Some(column) => {
                if let Some(first) = seen.get(column) {
                    errors.push(ImportError {
                        column: Some(*column),
                        ..error(Problem::DuplicateColumn { first: *first })
                    });
                    mapping.push(None);
                } else {
                    seen.insert(*column, index + 1);
                    mapping.push(Some(*column));
                }
            }
        }
    }
    for column in Column::ALL {
        if !seen.contains_key(&column) {
            errors.push(ImportError {
                row: Some(sheet.header_row),
                column: Some(column),
                header: None,
                value: String::new(),
                problem: Problem::MissingColumn,
            });
        }
    }
    if errors.is_empty() {
        Ok(mapping)
    } else {
        Err(errors)
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "true" | "1" | "yes" | "y" | "oui" | "vrai" | "ja" | "waar" | "x" => Some(true),
        "false" | "0" | "no" | "n" | "non" | "faux" | "nee" | "onwaar" => Some(false),
        _ => None,
    }
}

fn parse_whole(text: &str) -> Option<u32> {
    let text = text.trim();
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn valid_unit_code(code: &str) -> bool {
    (2..=3).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// Reads every row; all problems of all rows are returned together.
pub fn parse_rows(
    sheet: &Sheet,
    labels: &[(Column, String)],
) -> Result<Vec<ImportRow>, Vec<ImportError>> {
    let mapping = map_header(sheet, labels)?;
    let headers: HashMap<Column, String> = mapping
        .iter()
        .zip(&sheet.header)
        .filter_map(|(column, header)| column.map(|c| (c, header.trim().to_owned())))
        .collect();
    let mut errors = Vec::new();
    let mut rows = Vec::new();
    for (row, cells) in &sheet.rows {
        let mut by_column: BTreeMap<Column, String> = BTreeMap::new();
        for (index, column) in mapping.iter().enumerate() {
            if let Some(column) = column {
                let cell = cells.get(index).map(|c| c.trim()).unwrap_or("");
                by_column.insert(*column, cell.to_owned());
            }
        }
        let before = errors.len();
        let mut fail = |column: Column, problem: Problem| {
            errors.push(ImportError {
                row: Some(*row),
                column: Some(column),
                header: headers.get(&column).cloned(),
                value: by_column.get(&column).cloned().unwrap_or_default(),
                problem,
            });
        };
        let cell = |column: Column| by_column.get(&column).map(String::as_str).unwrap_or("");
        let mut text = |column: Column, required: bool, max: usize| -> String {
            let value = cell(column);
            if required && value.is_empty() {
                fail(column, Problem::Required);
            } else if value.chars().count() > max {
                fail(column, Problem::TooLong { max });
            }
            value.to_owned()
        };
        let lot_reference = text(Column::LotReference, true, MAX_SHORT_CHARS);
        let name_fr = text(Column::NameFr, true, MAX_NAME_CHARS);
        let name_nl = text(Column::NameNl, true, MAX_NAME_CHARS);
        let description_fr = text(Column::DescriptionFr, false, MAX_DESCRIPTION_CHARS);
        let description_nl = text(Column::DescriptionNl, false, MAX_DESCRIPTION_CHARS);
        let packaging_fr = text(Column::PackagingFr, true, MAX_NAME_CHARS);
        let packaging_nl = text(Column::PackagingNl, true, MAX_NAME_CHARS);
        let standards = text(Column::Standards, false, MAX_DESCRIPTION_CHARS);
        let vat_class = text(Column::VatClass, true, MAX_SHORT_CHARS);
        let sku = match Sku::parse(cell(Column::Sku)) {
            Ok(sku) => Some(sku),
            Err(e) => {
                fail(
                    Column::Sku,
                    match e {
                        crate::domain::SkuError::Empty => Problem::Required,
                        other => Problem::InvalidSku {
                            reason: other.message_key(),
                        },
                    },
                );
                None
            }
        };
        let unit_code = cell(Column::UnitCode).to_uppercase();
        if unit_code.is_empty() {
            fail(Column::UnitCode, Problem::Required);
        } else if !valid_unit_code(&unit_code) {
            fail(Column::UnitCode, Problem::InvalidUnitCode);
        }
        let mut whole = |column: Column| -> Option<u32> {
            let value = cell(column);
            if value.is_empty() {
                fail(column, Problem::Required);
                None
            } else {
                let parsed = parse_whole(value);
                if parsed.is_none() {
                    fail(column, Problem::NotWholeNumber);
                }
                parsed
            }
        };
        let min_quantity = whole(Column::MinQuantity);
        let order_multiple = whole(Column::OrderMultiple);
        if let (Some(min), Some(multiple)) = (min_quantity, order_multiple) {
            if QuantityRule::new(min, multiple).is_err() {
                fail(Column::OrderMultiple, Problem::InvalidQuantityRule);
            }
        }
        let mut boolean = |column: Column| -> Option<bool> {
            let value = cell(column);
            if value.is_empty() {
                fail(column, Problem::Required);
                return None;
            }
            let parsed = parse_bool(value);
            if parsed.is_none() {
                fail(column, Problem::InvalidBoolean);
            }
            parsed
        };
        let active = boolean(Column::Active);
        let available = boolean(Column::Available);
        let supplier = match EnterpriseNumber::parse(cell(Column::SupplierEnterpriseNumber)) {
            Ok(number) => Some(number),
            Err(e) => {
                fail(
                    Column::SupplierEnterpriseNumber,
                    match e {
                        crate::domain::EnterpriseNumberError::Empty => Problem::Required,
                        other => Problem::InvalidEnterpriseNumber {
                            reason: other.message_key(),
                        },
                    },
                );
                None
            }
        };
        let price = match Cents::parse_price(cell(Column::Price)) {
            Ok(price) => Some(price),
            Err(crate::domain::MoneyError::Empty) => {
                fail(Column::Price, Problem::Required);
                None
            }
            Err(e) => {
                fail(
                    Column::Price,
                    Problem::InvalidPrice {
                        reason: e.message_key(),
                    },
                );
                None
            }
        };
        if errors.len() > before {
            continue;
        }
        let (
            Some(sku),
            Some(min_quantity),
            Some(order_multiple),
            Some(active),
            Some(available),
            Some(supplier),
            Some(price),
        ) = (
            sku,
            min_quantity,
            order_multiple,
            active,
            available,
            supplier,
            price,
        )
        else {
            continue;
        };
        rows.push(ImportRow {
            row: *row,
            lot_reference,
            sku,
            fields: ProductFields {
                name_fr,
                name_nl,
                description_fr,
                description_nl,
                packaging_fr,
                packaging_nl,
                unit_code,
                standards: super::split_standards(&standards),
                vat_class,
                min_quantity,
                order_multiple,
                active,
            },
            supplier,
            price,
            available,
            cells: by_column,
        });
    }
    if errors.is_empty() {
        Ok(rows)
    } else {
        Err(errors)
    }
}

// ---------------------------------------------------------------------------------------
// Planning against the current catalogue.

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LotState {
    pub id: i64,
    pub reference: String,
    pub cascade: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProductState {
    pub id: i64,
    pub lot_id: i64,
    pub fields: ProductFields,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferState {
    pub price: Cents,
    pub available: bool,
}

/// The part of the catalogue a file touches, as it is now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CurrentState {
    pub lots: HashMap<String, LotState>,
    /// By enterprise number (bare digits): id and name.
    pub suppliers: HashMap<String, (i64, String)>,
    pub vat_classes: HashSet<String>,
    pub products: HashMap<String, ProductState>,
    pub offers: HashMap<(i64, i64), OfferState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistingProduct {
    pub id: i64,
    pub before: ProductFields,
}

/// A product to create (`existing` is `None`) or to change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductPlan {
    pub sku: String,
    pub lot_id: i64,
    pub lot_reference: String,
    pub fields: ProductFields,
    pub existing: Option<ExistingProduct>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub column: Column,
    pub before: String,
    pub after: String,
}

impl ProductPlan {
    pub fn changes(&self) -> Vec<FieldChange> {
        let Some(existing) = &self.existing else {
            return Vec::new();
        };
        existing
            .before
            .texts()
            .into_iter()
            .zip(self.fields.texts())
            .filter(|((_, before), (_, after))| before != after)
            .map(|((column, before), (_, after))| FieldChange {
                column,
                before,
                after,
            })
            .collect()
    }
}

/// An offer to create (`before` is `None`) or whose price or availability changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfferPlan {
    pub sku: String,
    pub supplier_id: i64,
    pub supplier_name: String,
    pub enterprise_number: String,
    pub price: Cents,
    pub available: bool,
    pub before: Option<OfferState>,
}

impl OfferPlan {
    pub fn price_changes(&self) -> bool {
        self.before.is_some_and(|b| b.price != self.price)
    }

    pub fn availability_changes(&self) -> bool {
        self.before.is_some_and(|b| b.available != self.available)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPlan {
    pub products: Vec<ProductPlan>,
    pub offers: Vec<OfferPlan>,
    pub unchanged_products: usize,
    pub unchanged_offers: usize,
    /// What the fingerprint covers: every SKU and lot of the file.
    pub skus: Vec<String>,
    pub lot_references: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PlanCounts {
    pub products_created: usize,
    pub products_changed: usize,
    pub offers_created: usize,
    pub price_changes: usize,
    pub availability_changes: usize,
    pub unchanged: usize,
}

impl ImportPlan {
    pub fn counts(&self) -> PlanCounts {
        PlanCounts {
            products_created: self
                .products
                .iter()
                .filter(|p| p.existing.is_none())
                .count(),
            products_changed: self
                .products
                .iter()
                .filter(|p| p.existing.is_some())
                .count(),
            offers_created: self.offers.iter().filter(|o| o.before.is_none()).count(),
            price_changes: self.offers.iter().filter(|o| o.price_changes()).count(),
            availability_changes: self
                .offers
                .iter()
                .filter(|o| o.availability_changes())
                .count(),
            unchanged: self.unchanged_products + self.unchanged_offers,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.products.is_empty() && self.offers.is_empty()
    }
}

/// The keys to load the current state of a file's rows by.
pub struct Keys {
    pub skus: Vec<String>,
    pub lot_references: Vec<String>,
    pub enterprise_numbers: Vec<String>,
}

pub fn keys_of(rows: &[ImportRow]) -> Keys {
    let skus: BTreeSet<String> = rows.iter().map(|r| r.sku.as_str().to_owned()).collect();
    let lots: BTreeSet<String> = rows.iter().map(|r| r.lot_reference.clone()).collect();
    let numbers: BTreeSet<String> = rows
        .iter()
        .map(|r| r.supplier.as_str().to_owned())
        .collect();
    Keys {
        skus: skus.into_iter().collect(),
        lot_references: lots.into_iter().collect(),
        enterprise_numbers: numbers.into_iter().collect(),
    }
}

/// Checks the rows against each other and the catalogue, and computes the changes.
pub fn plan(rows: &[ImportRow], state: &CurrentState) -> Result<ImportPlan, Vec<ImportError>> {
    let mut errors = Vec::new();
    let error = |row: &ImportRow, column: Column, problem: Problem| ImportError {
        row: Some(row.row),
        column: Some(column),
        header: None,
        value: row.cells.get(&column).cloned().unwrap_or_default(),
        problem,
    };
    let mut first_of_sku: HashMap<&str, &ImportRow> = HashMap::new();
    let mut offer_rows: HashMap<(&str, &str), usize> = HashMap::new();
    for row in rows {
        let sku = row.sku.as_str();
        match first_of_sku.get(sku) {
            None => {
                first_of_sku.insert(sku, row);
            }
            Some(first) => {
                for column in Column::ALL.into_iter().filter(|c| c.is_product_field()) {
                    if normalised_cell(first, column) != normalised_cell(row, column) {
                        errors.push(error(
                            row,
                            column,
                            Problem::Disagrees {
                                other_row: first.row,
                            },
                        ));
                    }
                }
            }
        }
        match offer_rows.get(&(sku, row.supplier.as_str())) {
            Some(other_row) => errors.push(error(
                row,
                Column::SupplierEnterpriseNumber,
                Problem::DuplicateOffer {
                    other_row: *other_row,
                },
            )),
            None => {
                offer_rows.insert((sku, row.supplier.as_str()), row.row);
            }
        }
        let lot = state.lots.get(&row.lot_reference);
        if lot.is_none() {
            errors.push(error(row, Column::LotReference, Problem::UnknownLot));
        }
        match state.suppliers.get(row.supplier.as_str()) {
            None => errors.push(error(
                row,
                Column::SupplierEnterpriseNumber,
                Problem::UnknownSupplier,
            )),
            Some((supplier_id, _)) => {
                if let Some(lot) = lot {
                    if !lot.cascade.contains(supplier_id) {
                        errors.push(error(
                            row,
                            Column::SupplierEnterpriseNumber,
                            Problem::SupplierNotInCascade {
                                lot: lot.reference.clone(),
                            },
                        ));
                    }
                }
            }
        }
        if !state.vat_classes.contains(&row.fields.vat_class) {
            errors.push(error(row, Column::VatClass, Problem::UnknownVatClass));
        }
        if let (Some(existing), Some(lot)) = (state.products.get(sku), lot) {
            if existing.lot_id != lot.id {
                let current = state
                    .lots
                    .values()
                    .find(|l| l.id == existing.lot_id)
                    .map(|l| l.reference.clone())
                    .unwrap_or_else(|| existing.lot_id.to_string());
                errors.push(error(
                    row,
                    Column::LotReference,
                    Problem::ProductInOtherLot { lot: current },
                ));
            }
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| (e.row, e.column));
        return Err(errors);
    }

    let mut products = Vec::new();
    let mut offers = Vec::new();
    let (mut unchanged_products, mut unchanged_offers) = (0, 0);
    let mut planned: HashSet<&str> = HashSet::new();
    for row in rows {
        let sku = row.sku.as_str();
        let lot = &state.lots[&row.lot_reference];
        let existing = state.products.get(sku);
        if planned.insert(sku) {
            match existing {
                Some(current) if current.fields == row.fields => unchanged_products += 1,
                _ => products.push(ProductPlan {
                    sku: sku.to_owned(),
                    lot_id: lot.id,
                    lot_reference: lot.reference.clone(),
                    fields: row.fields.clone(),
                    existing: existing.map(|p| ExistingProduct {
                        id: p.id,
                        before: p.fields.clone(),
                    }),
                }),
            }
        }
        let (supplier_id, supplier_name) = &state.suppliers[row.supplier.as_str()];
        let before = existing.and_then(|p| state.offers.get(&(p.id, *supplier_id)).copied());
        let after = OfferState {
            price: row.price,
            available: row.available,
        };
        if before == Some(after) {
            unchanged_offers += 1;
        } else {
            offers.push(OfferPlan {
                sku: sku.to_owned(),
                supplier_id: *supplier_id,
                supplier_name: supplier_name.clone(),
                enterprise_number: row.supplier.as_str().to_owned(),
                price: row.price,
                available: row.available,
                before,
            });
        }
    }
    let keys = keys_of(rows);
    Ok(ImportPlan {
        products,
        offers,
        unchanged_products,
        unchanged_offers,
        skus: keys.skus,
        lot_references: keys.lot_references,
    })
}

/// A cell as the row's parsed value would write it, so `12` and `12.0`, or `bx` and `BX`,
/// are not taken for a disagreement.
fn normalised_cell(row: &ImportRow, column: Column) -> String {
    if column == Column::LotReference {
        return row.lot_reference.clone();
    }
    row.fields
        .texts()
        .into_iter()
        .find(|(c, _)| *c == column)
        .map(|(_, text)| text)
        .unwrap_or_default()
}

/// A digest of the catalogue rows a plan was computed against: the lots' cascades, and each
/// SKU's product and offers (or their absence).
pub fn fingerprint(state: &CurrentState, skus: &[String], lot_references: &[String]) -> String {
    let mut lines = Vec::new();
    for reference in lot_references {
        match state.lots.get(reference) {
            Some(lot) => lines.push(format!("lot|{reference}|{}|{:?}", lot.id, lot.cascade)),
            None => lines.push(format!("lot|{reference}|-")),
        }
    }
    for sku in skus {
        match state.products.get(sku) {
            Some(product) => {
                lines.push(format!(
                    "product|{sku}|{}|{}|{}",
                    product.id,
                    product.lot_id,
                    serde_json::to_string(&product.fields).unwrap_or_default()
                ));
                let mut offers: Vec<_> = state
                    .offers
                    .iter()
                    .filter(|((p, _), _)| *p == product.id)
                    .collect();
                offers.sort_by_key(|((_, s), _)| *s);
                for ((_, supplier), offer) in offers {
                    lines.push(format!(
                        "offer|{}|{supplier}|{}|{}",
                        product.id,
                        offer.price.cents(),
                        offer.available
                    ));
                }
            }
            None => lines.push(format!("product|{sku}|-")),
        }
    }
    hex(&Sha256::digest(lines.join("\n").as_bytes()))
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---------------------------------------------------------------------------------------
// Storage and the two steps an admin takes: preview, then apply.

/// Header labels accepted besides the English names: the columns' names in French and Dutch.
pub fn header_labels(translations: &Translations) -> Vec<(Column, String)> {
    Language::ALL
        .into_iter()
        .flat_map(|language| {
            Column::ALL
                .into_iter()
                .map(move |column| (column, translations.t(language, &column.label_key())))
        })
        .collect()
}

pub fn load_state(
    conn: &mut Conn,
    skus: &[String],
    lot_references: &[String],
    enterprise_numbers: &[String],
) -> Result<CurrentState, DbError> {
    let lots = q::lots_by_references(conn, lot_references)?;
    let products = q::products_by_skus(conn, skus)?;
    // Lots of existing products too, to name the lot a product already belongs to.
    let mut lot_ids: Vec<i64> = lots.iter().map(|l| l.id).collect();
    let other_lot_ids: Vec<i64> = products
        .iter()
        .map(|p| p.lot_id)
        .filter(|id| !lot_ids.contains(id))
        .collect();
    let mut references: HashMap<i64, String> =
        lots.iter().map(|l| (l.id, l.reference.clone())).collect();
    for id in &other_lot_ids {
        if let Some(reference) = q::lot_reference(conn, *id)? {
            references.insert(*id, reference);
        }
    }
    lot_ids.extend(other_lot_ids);
    let mut cascades: HashMap<i64, Vec<i64>> = HashMap::new();
    for entry in q::cascades_of(conn, &lot_ids)? {
        cascades
            .entry(entry.lot_id)
            .or_default()
            .push(entry.supplier_id);
    }
    let lots = references
        .into_iter()
        .map(|(id, reference)| {
            (
                reference.clone(),
                LotState {
                    id,
                    reference,
                    cascade: cascades.remove(&id).unwrap_or_default(),
                },
            )
        })
        .collect();
    let suppliers = q::suppliers_by_enterprise_numbers(conn, enterprise_numbers)?
        .into_iter()
        .map(|(id, number, name)| (number, (id, name)))
        .collect();
    let vat_classes = crate::db::reference::vat_rates(conn)?
        .into_iter()
        .map(|r| r.vat_class)
        .collect();
    let product_ids: Vec<i64> = products.iter().map(|p| p.id).collect();
    let offers = q::offers_for(conn, &product_ids)?
        .into_iter()
        .map(|o| {
            (
                (o.product_id, o.supplier_id),
                OfferState {
                    price: Cents::new(o.price_cents),
                    available: o.available,
                },
            )
        })
        .collect();
    let products = products
        .into_iter()
        .map(|p| {
            (
                p.sku.clone(),
                ProductState {
                    id: p.id,
                    lot_id: p.lot_id,
                    fields: ProductFields {
                        standards: super::split_standards(&p.standards),
                        name_fr: p.name_fr,
                        name_nl: p.name_nl,
                        description_fr: p.description_fr,
                        description_nl: p.description_nl,
                        packaging_fr: p.packaging_fr,
                        packaging_nl: p.packaging_nl,
                        unit_code: p.unit_code,
                        vat_class: p.vat_class,
                        min_quantity: p.min_quantity.max(0) as u32,
                        order_multiple: p.order_multiple.max(0) as u32,
                        active: p.active,
                    },
                },
            )
        })
        .collect();
    Ok(CurrentState {
        lots,
        suppliers,
        vat_classes,
        products,
        offers,
    })
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = catalogue_imports)]
struct NewImport<'a> {
    created_by_user_id: Option<i64>,
    created_by_client_id: Option<i64>,
    created_by_label: &'a str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    filename: &'a str,
    file_sha256: &'a str,
    plan: &'a str,
    fingerprint: &'a str,
    status: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = catalogue_imports)]
struct ImportRowDb {
    id: i64,
    #[allow(dead_code)]
    created_by_user_id: Option<i64>,
    #[allow(dead_code)]
    created_by_client_id: Option<i64>,
    created_by_label: String,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
    filename: String,
    file_sha256: String,
    plan: String,
    fingerprint: String,
    status: String,
    applied_at: Option<NaiveDateTime>,
}

/// A pending, applied or discarded import.
#[derive(Debug, Clone, Serialize)]
pub struct StoredImport {
    pub id: i64,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub filename: String,
    pub file_sha256: String,
    pub status: String,
    pub applied_at: Option<NaiveDateTime>,
    pub plan: ImportPlan,
    #[serde(skip)]
    fingerprint: String,
}

impl StoredImport {
    pub fn is_expired(&self, now: NaiveDateTime) -> bool {
        now > self.expires_at
    }
}

impl TryFrom<ImportRowDb> for StoredImport {
    type Error = DbError;

    fn try_from(row: ImportRowDb) -> Result<Self, DbError> {
        let plan = serde_json::from_str(&row.plan)
            .map_err(|e| DbError::Task(format!("catalogue import {} plan: {e}", row.id)))?;
        Ok(StoredImport {
            id: row.id,
            created_by: row.created_by_label,
            created_at: row.created_at,
            expires_at: row.expires_at,
            filename: row.filename,
            file_sha256: row.file_sha256,
            status: row.status,
            applied_at: row.applied_at,
            plan,
            fingerprint: row.fingerprint,
        })
    }
}

pub fn find(conn: &mut Conn, id: i64) -> Result<Option<StoredImport>, DbError> {
    let row: Option<ImportRowDb> = with_conn!(conn, |c| catalogue_imports::table
        .find(id)
        .select(ImportRowDb::as_select())
        .first(c)
        .optional())?;
    row.map(StoredImport::try_from).transpose()
}

/// Why a file was not turned into a pending import.
#[derive(Debug)]
pub enum PrepareError {
    Invalid(Vec<ImportError>),
    Db(DbError),
}

impl From<DbError> for PrepareError {
    fn from(error: DbError) -> Self {
        PrepareError::Db(error)
    }
}

/// Reads and checks a file; when it is valid, keeps its plan as a pending import.
pub fn prepare(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &Principal,
    filename: &str,
    bytes: &[u8],
    labels: &[(Column, String)],
) -> Result<StoredImport, PrepareError> {
    let sheet = read_file(bytes).map_err(|e| PrepareError::Invalid(vec![e]))?;
    let rows = parse_rows(&sheet, labels).map_err(PrepareError::Invalid)?;
    let keys = keys_of(&rows);
    let state = load_state(
        conn,
        &keys.skus,
        &keys.lot_references,
        &keys.enterprise_numbers,
    )?;
    let plan = plan(&rows, &state).map_err(PrepareError::Invalid)?;
    let fingerprint = fingerprint(&state, &plan.skus, &plan.lot_references);
    let plan_json =
        serde_json::to_string(&plan).map_err(|e| DbError::Task(format!("plan: {e}")))?;
    let sha = hex(&Sha256::digest(bytes));
    let filename: String = filename.chars().take(200).collect();
    let new = NewImport {
        created_by_user_id: actor.user_id,
        created_by_client_id: actor.api_client_id,
        created_by_label: &actor.label,
        created_at: now,
        expires_at: now + Duration::minutes(PENDING_LIFETIME_MINUTES),
        filename: &filename,
        file_sha256: &sha,
        plan: &plan_json,
        fingerprint: &fingerprint,
        status: "pending",
    };
    let id: i64 = with_conn!(conn, |c| diesel::insert_into(catalogue_imports::table)
        .values(&new)
        .returning(catalogue_imports::id)
        .get_result(c))
    .map_err(DbError::from)?;
    find(conn, id)?.ok_or_else(|| PrepareError::Db(DbError::Task("import vanished".into())))
}

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error("no such catalogue import")]
    NotFound,
    #[error("this import was applied already")]
    AlreadyApplied,
    #[error("this import was discarded")]
    Discarded,
    #[error("this preview has expired: upload the file again for a fresh preview")]
    Expired,
    #[error("the catalogue changed since the preview: upload the file again for a fresh preview")]
    Stale,
    #[error(transparent)]
    Db(#[from] DbError),
}

impl ApplyError {
    pub fn message_key(&self) -> &'static str {
        match self {
            ApplyError::NotFound => "error-not-found",
            ApplyError::AlreadyApplied => "import-already-applied",
            ApplyError::Discarded => "import-discarded",
            ApplyError::Expired => "import-expired",
            ApplyError::Stale => "import-stale",
            ApplyError::Db(_) => "error-internal",
        }
    }
}

impl From<diesel::result::Error> for ApplyError {
    fn from(error: diesel::result::Error) -> Self {
        ApplyError::Db(error.into())
    }
}

fn check_pending(stored: &StoredImport, now: NaiveDateTime) -> Result<(), ApplyError> {
    match stored.status.as_str() {
        "applied" => Err(ApplyError::AlreadyApplied),
        "discarded" => Err(ApplyError::Discarded),
        _ if stored.is_expired(now) => Err(ApplyError::Expired),
        _ => Ok(()),
    }
}

/// Applies a pending import's plan, exactly as previewed, in one transaction.
pub fn apply(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &Principal,
    id: i64,
) -> Result<PlanCounts, ApplyError> {
    conn.transaction(|conn| {
        let stored = find(conn, id)?.ok_or(ApplyError::NotFound)?;
        check_pending(&stored, now)?;
        let plan = &stored.plan;
        let state = load_state(conn, &plan.skus, &plan.lot_references, &[])?;
        if fingerprint(&state, &plan.skus, &plan.lot_references) != stored.fingerprint {
            return Err(ApplyError::Stale);
        }
        let mut product_ids: HashMap<String, i64> = state
            .products
            .iter()
            .map(|(sku, p)| (sku.clone(), p.id))
            .collect();
        for product in &plan.products {
            let f = &product.fields;
            let standards = super::join_standards(&f.standards);
            let search_text = super::search::product_search_text(&[
                &product.sku,
                &f.name_fr,
                &f.name_nl,
                &f.packaging_fr,
                &f.packaging_nl,
                &standards,
            ]);
            match &product.existing {
                None => {
                    let id = q::insert_product(
                        conn,
                        &q::NewProduct {
                            lot_id: product.lot_id,
                            sku: &product.sku,
                            name_fr: &f.name_fr,
                            name_nl: &f.name_nl,
                            description_fr: &f.description_fr,
                            description_nl: &f.description_nl,
                            packaging_fr: &f.packaging_fr,
                            packaging_nl: &f.packaging_nl,
                            unit_code: &f.unit_code,
                            standards: &standards,
                            vat_class: &f.vat_class,
                            min_quantity: f.min_quantity as i32,
                            order_multiple: f.order_multiple as i32,
                            active: f.active,
                            search_text: &search_text,
                            created_at: now,
                            updated_at: now,
                        },
                    )?;
                    product_ids.insert(product.sku.clone(), id);
                }
                Some(existing) => {
                    q::update_product(
                        conn,
                        existing.id,
                        &q::ProductChanges {
                            sku: &product.sku,
                            name_fr: &f.name_fr,
                            name_nl: &f.name_nl,
                            description_fr: &f.description_fr,
                            description_nl: &f.description_nl,
                            packaging_fr: &f.packaging_fr,
                            packaging_nl: &f.packaging_nl,
                            unit_code: &f.unit_code,
                            standards: &standards,
                            vat_class: &f.vat_class,
                            min_quantity: f.min_quantity as i32,
                            order_multiple: f.order_multiple as i32,
                            active: f.active,
                            search_text: &search_text,
                            updated_at: now,
                        },
                    )?;
                }
            }
        }
        for offer in &plan.offers {
            let product_id = *product_ids
                .get(&offer.sku)
                .ok_or_else(|| DbError::Task(format!("no product for {}", offer.sku)))?;
            match offer.before {
                None => {
                    q::insert_offer(
                        conn,
                        &q::NewOffer {
                            product_id,
                            supplier_id: offer.supplier_id,
                            price_cents: offer.price.cents(),
                            available: offer.available,
                            unavailable_until: None,
                            updated_at: now,
                        },
                    )?;
                }
                Some(_) => {
                    q::update_offer(
                        conn,
                        product_id,
                        offer.supplier_id,
                        offer.price.cents(),
                        offer.available,
                        now,
                    )?;
                }
            }
        }
        // Two admins pressing "apply" together: only the first changes the status.
        let marked = with_conn!(conn, |c| diesel::update(
            catalogue_imports::table
                .find(id)
                .filter(catalogue_imports::status.eq("pending"))
        )
        .set((
            catalogue_imports::status.eq("applied"),
            catalogue_imports::applied_at.eq(Some(now)),
        ))
        .execute(c))?;
        if marked != 1 {
            return Err(ApplyError::AlreadyApplied);
        }
        let counts = plan.counts();
        audit::record(
            conn,
            now,
            actor,
            "catalogue.import_applied",
            "catalogue_import",
            Some(id),
            json!({
                "filename": stored.filename,
                "file_sha256": stored.file_sha256,
                "counts": counts,
            }),
        )?;
        Ok(counts)
    })
}

/// Drops a pending import without applying it.
pub fn discard(
    conn: &mut Conn,
    now: NaiveDateTime,
    actor: &Principal,
    id: i64,
) -> Result<(), ApplyError> {
    conn.transaction(|conn| {
        let stored = find(conn, id)?.ok_or(ApplyError::NotFound)?;
        match stored.status.as_str() {
            "applied" => return Err(ApplyError::AlreadyApplied),
            "discarded" => return Err(ApplyError::Discarded),
            _ => {}
        }
        with_conn!(conn, |c| diesel::update(catalogue_imports::table.find(id))
            .set(catalogue_imports::status.eq("discarded"))
            .execute(c))?;
        audit::record(
            conn,
            now,
            actor,
            "catalogue.import_discarded",
            "catalogue_import",
            Some(id),
            json!({ "filename": stored.filename, "file_sha256": stored.file_sha256 }),
        )?;
        Ok(())
    })
}

/// The header and an example row, for the downloadable templates.
pub fn template_table() -> crate::export::Table {
    use crate::export::Cell;
    let mut table = crate::export::Table::new(
        "catalogue",
        Column::ALL.iter().map(|c| c.name().to_owned()).collect(),
    );
    table.push(vec![
        Cell::text("LOT-01"),
        Cell::text("MASK-FFP2-50"),
        Cell::text("Masque FFP2"),
        Cell::text("FFP2-masker"),
        Cell::text("Masque filtrant sans valve"),
        Cell::text("Filtermasker zonder ventiel"),
        Cell::text("Boîte de 50"),
        Cell::text("Doos van 50"),
        Cell::text("BX"),
        Cell::text("EN 149:2001+A1:2009; CE 2797"),
        Cell::text("standard"),
        Cell::Integer(1),
        Cell::Integer(1),
        Cell::text("true"),
        Cell::text("0403.019.261"),
        Cell::Money(Cents::new(1234)),
        Cell::text("true"),
    ]);
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "lot_reference,sku,name_fr,name_nl,description_fr,description_nl,packaging_fr,packaging_nl,unit_code,standards,vat_class,min_quantity,order_multiple,active,supplier_enterprise_number,price,available";
    const SUPPLIER: &str = "0403.019.261";
    const OTHER_SUPPLIER: &str = "0404.616.494";

    fn row(sku: &str, supplier: &str, price: &str) -> String {
        format!("LOT-A,{sku},Gants,Handschoenen,,,Boîte,Doos,BX,EN 455,standard,1,1,true,{supplier},\"{price}\",true")
    }

    fn csv(rows: &[String]) -> String {
        format!("{HEADER}\n{}\n", rows.join("\n"))
    }

    fn parse(text: &str) -> Result<Vec<ImportRow>, Vec<ImportError>> {
        let sheet = read_file(text.as_bytes()).map_err(|e| vec![e])?;
        parse_rows(&sheet, &[])
    }

    fn errors(text: &str) -> Vec<(Option<usize>, Option<Column>, Problem)> {
        parse(text)
            .expect_err("errors expected")
            .into_iter()
            .map(|e| (e.row, e.column, e.problem))
            .collect()
    }

    fn number(text: &str) -> String {
        EnterpriseNumber::parse(text).unwrap().as_str().to_owned()
    }

    /// Lot LOT-A (id 1, cascade suppliers 10 and 11), lot LOT-B (id 2, supplier 10), supplier
    /// 12 outside every cascade, and product EXISTING in LOT-A priced 10,00 € by supplier 10.
    fn state() -> CurrentState {
        let mut state = CurrentState::default();
        state.lots.insert(
            "LOT-A".into(),
            LotState {
                id: 1,
                reference: "LOT-A".into(),
                cascade: vec![10, 11],
            },
        );
        state.lots.insert(
            "LOT-B".into(),
            LotState {
                id: 2,
                reference: "LOT-B".into(),
                cascade: vec![10],
            },
        );
        state
            .suppliers
            .insert(number(SUPPLIER), (10, "Premier".into()));
        state
            .suppliers
            .insert(number(OTHER_SUPPLIER), (11, "Second".into()));
        state
            .suppliers
            .insert(number("0200.065.765"), (12, "Hors cascade".into()));
        state.vat_classes.insert("standard".into());
        state.products.insert(
            "EXISTING".into(),
            ProductState {
                id: 100,
                lot_id: 1,
                fields: ProductFields {
                    name_fr: "Gants".into(),
                    name_nl: "Handschoenen".into(),
                    description_fr: String::new(),
                    description_nl: String::new(),
                    packaging_fr: "Boîte".into(),
                    packaging_nl: "Doos".into(),
                    unit_code: "BX".into(),
                    standards: vec!["EN 455".into()],
                    vat_class: "standard".into(),
                    min_quantity: 1,
                    order_multiple: 1,
                    active: true,
                },
            },
        );
        state.offers.insert(
            (100, 10),
            OfferState {
                price: Cents::new(1000),
                available: true,
            },
        );
        state
    }

    fn plan_errors(text: &str) -> Vec<(Option<usize>, Option<Column>, Problem)> {
        let rows = parse(text).expect("rows parse");
        plan(&rows, &state())
            .expect_err("plan errors expected")
            .into_iter()
            .map(|e| (e.row, e.column, e.problem))
            .collect()
    }

    #[test]
    fn comma_and_semicolon_are_detected_from_the_header() {
        assert_eq!(detect_delimiter("a,b,c\n1;2;3;4;5"), b',');
        assert_eq!(detect_delimiter("a;b;c\n1,2,3,4,5"), b';');
        assert_eq!(detect_delimiter("\"a;b;c\",d,e"), b',');
        assert_eq!(detect_delimiter(""), b',');
        let semicolons = csv(&[row("X-1", SUPPLIER, "12,34")]).replace(',', ";");
        // The quoted price keeps its decimal comma even with `;` as delimiter.
        let semicolons = semicolons.replace("\"12;34\"", "12,34");
        let rows = parse(&semicolons).unwrap();
        assert_eq!(rows[0].price, Cents::new(1234));
    }

    #[test]
    fn bom_quotes_blank_rows_and_row_numbers() {
        let text = format!(
            "\u{feff}{HEADER}\r\n{}\r\n,,,,,,,,,,,,,,,,\r\n{}\r\n\r\n\r\n",
            row("X-1", SUPPLIER, "1.50"),
            row("X-2", SUPPLIER, "2,5")
        );
        let rows = parse(&text).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].row, 2);
        assert_eq!(rows[1].row, 4, "blank rows still count as spreadsheet rows");
        assert_eq!(rows[0].price, Cents::new(150));
        assert_eq!(rows[1].price, Cents::new(250));
        let quoted =
            csv(&[row("X-1", SUPPLIER, "1").replace("Gants", "\"Gants, \"\"nitrile\"\"\nlong\"")]);
        let rows = parse(&quoted).unwrap();
        assert_eq!(rows[0].fields.name_fr, "Gants, \"nitrile\"\nlong");
    }

    #[test]
    fn formula_looking_text_is_kept_as_text() {
        let text = csv(&[row("X-1", SUPPLIER, "1").replace("Gants", "\"=HYPERLINK(\"\"x\"\")\"")]);
        assert_eq!(parse(&text).unwrap()[0].fields.name_fr, "=HYPERLINK(\"x\")");
        // Our own downloads neutralise formulas with an apostrophe; reading back drops it.
        let text = csv(&[row("X-1", SUPPLIER, "1").replace("Gants", "'=1+1")]);
        assert_eq!(parse(&text).unwrap()[0].fields.name_fr, "=1+1");
        let text = csv(&[row("X-1", SUPPLIER, "1").replace("Gants", "'t Hooft")]);
        assert_eq!(parse(&text).unwrap()[0].fields.name_fr, "'t Hooft");
    }

    #[test]
    fn files_that_cannot_be_read() {
        assert_eq!(errors("")[0].2, Problem::NoHeader);
        assert_eq!(errors("\n\n,,,\n")[0].2, Problem::NoHeader);
        assert_eq!(
            errors(&format!("{HEADER}\n\n")),
            vec![(Some(2), None, Problem::NoRows)]
        );
        let latin1 = [HEADER.as_bytes(), b"\n\xe9\n"].concat();
        assert_eq!(read_file(&latin1).unwrap_err().problem, Problem::NotUtf8);
        let huge = vec![b'a'; MAX_FILE_BYTES + 1];
        assert_eq!(read_file(&huge).unwrap_err().problem, Problem::FileTooLarge);
        let many = format!("{HEADER}\n{}", "x\n".repeat(MAX_ROWS + 1));
        assert_eq!(
            read_file(many.as_bytes()).unwrap_err().problem,
            Problem::TooManyRows
        );
        assert_eq!(
            read_file(b"PK\x03\x04garbage").unwrap_err().problem,
            Problem::UnreadableXlsx
        );
    }

    #[test]
    fn header_problems_are_all_listed() {
        let text = format!(
            "{},price,colour\n{}\n",
            HEADER.replace(",unit_code", ""),
            row("X-1", SUPPLIER, "1")
        );
        let found = errors(&text);
        assert!(found.contains(&(
            Some(1),
            Some(Column::Price),
            Problem::DuplicateColumn { first: 15 }
        )));
        assert!(found.contains(&(Some(1), None, Problem::UnknownColumn)));
        assert!(found.contains(&(Some(1), Some(Column::UnitCode), Problem::MissingColumn)));
        assert_eq!(found.len(), 3);
    }

    #[test]
    fn translated_headers_are_accepted() {
        let labels = vec![
            (Column::Price, "Prix".to_owned()),
            (Column::Sku, "Référence produit".to_owned()),
        ];
        let text = csv(&[row("X-1", SUPPLIER, "3")])
            .replacen(",sku,", ",Référence Produit,", 1)
            .replacen(",price,", ", PRIX ,", 1);
        let sheet = read_file(text.as_bytes()).unwrap();
        let rows = parse_rows(&sheet, &labels).unwrap();
        assert_eq!(rows[0].price, Cents::new(300));
        assert_eq!(rows[0].sku.as_str(), "X-1");
    }

    #[test]
    fn every_cell_problem_is_named_with_row_and_column() {
        let text = csv(&[
            row("X-1", SUPPLIER, "12,345"),
            row("X-1b", SUPPLIER, "1,2345"),
            row("bad sku!", SUPPLIER, "-1"),
            row("X-3", "0403.019.262", "1"),
            row("X-4", "", "").replace("Gants", ""),
            row("X-5", SUPPLIER, "1")
                .replace(",BX,", ",B,")
                .replace(",true,", ",maybe,"),
            row("X-6", SUPPLIER, "1").replace(",1,1,", ",1.5,99999999999,"),
            row("X-7", SUPPLIER, "1").replace(",1,1,", ",0,1,"),
            row("X-8", SUPPLIER, "100000000000000000000"),
            row("X-9", SUPPLIER, "1").replace("Boîte", &"x".repeat(201)),
            row("X-10", SUPPLIER, "abc"),
        ]);
        let found = errors(&text);
        let expected = vec![
            (
                Some(3),
                Some(Column::Price),
                Problem::InvalidPrice {
                    reason: "money-too-many-decimals",
                },
            ),
            (
                Some(2),
                Some(Column::Price),
                Problem::InvalidPrice {
                    reason: "money-ambiguous",
                },
            ),
            (
                Some(4),
                Some(Column::Sku),
                Problem::InvalidSku {
                    reason: "sku-invalid-character",
                },
            ),
            (
                Some(4),
                Some(Column::Price),
                Problem::InvalidPrice {
                    reason: "money-negative",
                },
            ),
            (
                Some(5),
                Some(Column::SupplierEnterpriseNumber),
                Problem::InvalidEnterpriseNumber {
                    reason: "enterprise-number-checksum",
                },
            ),
            (Some(6), Some(Column::NameFr), Problem::Required),
            (
                Some(6),
                Some(Column::SupplierEnterpriseNumber),
                Problem::Required,
            ),
            (Some(6), Some(Column::Price), Problem::Required),
            (Some(7), Some(Column::UnitCode), Problem::InvalidUnitCode),
            (Some(7), Some(Column::Active), Problem::InvalidBoolean),
            (Some(8), Some(Column::MinQuantity), Problem::NotWholeNumber),
            (
                Some(8),
                Some(Column::OrderMultiple),
                Problem::NotWholeNumber,
            ),
            (
                Some(9),
                Some(Column::OrderMultiple),
                Problem::InvalidQuantityRule,
            ),
            (
                Some(10),
                Some(Column::Price),
                Problem::InvalidPrice {
                    reason: "money-too-large",
                },
            ),
            (
                Some(11),
                Some(Column::PackagingFr),
                Problem::TooLong { max: 200 },
            ),
            (
                Some(12),
                Some(Column::Price),
                Problem::InvalidPrice {
                    reason: "money-invalid",
                },
            ),
        ];
        let mut sorted = found.clone();
        sorted.sort_by_key(|(r, c, _)| (*r, *c));
        let mut expected = expected;
        expected.sort_by_key(|(r, c, _)| (*r, *c));
        assert_eq!(sorted, expected);
    }

    #[test]
    fn rows_are_checked_against_each_other_and_the_catalogue() {
        let text = csv(&[
            row("X-1", SUPPLIER, "1"),
            row("X-1", OTHER_SUPPLIER, "1").replace("Gants", "Gants bleus"),
            row("X-1", SUPPLIER, "2"),
            row("X-2", SUPPLIER, "1").replace("LOT-A", "LOT-Z"),
            row("X-3", "0202.239.951", "1"),
            row("X-4", "0200.065.765", "1"),
            row("X-5", SUPPLIER, "1").replace("standard", "luxury"),
            row("EXISTING", SUPPLIER, "1").replace("LOT-A", "LOT-B"),
        ]);
        let found = plan_errors(&text);
        assert_eq!(
            found,
            vec![
                (
                    Some(3),
                    Some(Column::NameFr),
                    Problem::Disagrees { other_row: 2 }
                ),
                (
                    Some(4),
                    Some(Column::SupplierEnterpriseNumber),
                    Problem::DuplicateOffer { other_row: 2 }
                ),
                (Some(5), Some(Column::LotReference), Problem::UnknownLot),
                (
                    Some(6),
                    Some(Column::SupplierEnterpriseNumber),
                    Problem::UnknownSupplier
                ),
                (
                    Some(7),
                    Some(Column::SupplierEnterpriseNumber),
                    Problem::SupplierNotInCascade {
                        lot: "LOT-A".into()
                    }
                ),
                (Some(8), Some(Column::VatClass), Problem::UnknownVatClass),
                (
                    Some(9),
                    Some(Column::LotReference),
                    Problem::ProductInOtherLot {
                        lot: "LOT-A".into()
                    }
                ),
            ]
        );
    }

    #[test]
    fn equal_values_written_differently_do_not_disagree() {
        let text = csv(&[
            row("X-1", SUPPLIER, "1"),
            row("x-1", OTHER_SUPPLIER, "1")
                .replace(",BX,", ",bx,")
                .replace(",true,", ",oui,"),
        ]);
        let rows = parse(&text).unwrap();
        let planned = plan(&rows, &state()).unwrap();
        assert_eq!(planned.products.len(), 1);
        assert_eq!(planned.offers.len(), 2);
    }

    #[test]
    fn the_plan_lists_what_changes_and_counts_the_rest() {
        let text = csv(&[
            row("EXISTING", SUPPLIER, "10,00"),
            row("EXISTING", OTHER_SUPPLIER, "9.99"),
            row("NEW", SUPPLIER, "5"),
        ]);
        let rows = parse(&text).unwrap();
        let planned = plan(&rows, &state()).unwrap();
        assert_eq!(
            planned.counts(),
            PlanCounts {
                products_created: 1,
                products_changed: 0,
                offers_created: 2,
                price_changes: 0,
                availability_changes: 0,
                unchanged: 2,
            }
        );
        let text = csv(&[row("EXISTING", SUPPLIER, "10,50")
            .replace("Boîte", "Boîte de 20")
            .replace("\"10,50\",true", "\"10,50\",false")]);
        let rows = parse(&text).unwrap();
        let planned = plan(&rows, &state()).unwrap();
        let counts = planned.counts();
        assert_eq!(
            (
                counts.products_changed,
                counts.price_changes,
                counts.availability_changes
            ),
            (1, 1, 1)
        );
        assert_eq!(
            planned.products[0].changes(),
            vec![FieldChange {
                column: Column::PackagingFr,
                before: "Boîte".into(),
                after: "Boîte de 20".into()
            }]
        );
        assert_eq!(planned.offers[0].before.unwrap().price, Cents::new(1000));
        assert_eq!(planned.offers[0].price, Cents::new(1050));
    }

    #[test]
    fn the_fingerprint_follows_the_rows_it_covers() {
        let current = state();
        let skus = vec!["EXISTING".to_owned(), "NEW".to_owned()];
        let lots = vec!["LOT-A".to_owned()];
        let before = fingerprint(&current, &skus, &lots);
        assert_eq!(before, fingerprint(&current.clone(), &skus, &lots));
        let mut edited = current.clone();
        edited.offers.get_mut(&(100, 10)).unwrap().price = Cents::new(1001);
        assert_ne!(before, fingerprint(&edited, &skus, &lots));
        let mut cascade = current.clone();
        cascade.lots.get_mut("LOT-A").unwrap().cascade.pop();
        assert_ne!(before, fingerprint(&cascade, &skus, &lots));
        let mut unrelated = current.clone();
        unrelated.offers.insert(
            (999, 10),
            OfferState {
                price: Cents::new(1),
                available: true,
            },
        );
        assert_eq!(before, fingerprint(&unrelated, &skus, &lots));
    }

    #[test]
    fn xlsx_numbers_read_as_the_decimals_typed() {
        assert_eq!(float_text(12.34), "12.34");
        assert_eq!(float_text(12.0), "12");
        assert_eq!(float_text(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(float_text(1e21), "1000000000000000000000");
        assert_eq!(float_text(f64::NAN), "NaN");
        assert_eq!(Cents::parse_price(&float_text(11.5)), Ok(Cents::new(1150)));
        assert!(Cents::parse_price(&float_text(0.1 + 0.2)).is_err());
        assert!(Cents::parse_price(&float_text(1e21)).is_err());
        assert!(Cents::parse_price(&float_text(f64::INFINITY)).is_err());
    }

    #[test]
    fn xlsx_cells_far_away_are_refused_before_the_grid_is_built() {
        let far = |row: u32, column: u16| {
            let mut workbook = rust_xlsxwriter::Workbook::new();
            let sheet = workbook.add_worksheet();
            for (c, h) in HEADER.split(',').enumerate() {
                sheet.write_string(0, c as u16, h).unwrap();
            }
            sheet.write_string(row, column, "x").unwrap();
            workbook.save_to_buffer().unwrap()
        };
        // The last cell a sheet can hold: a dense grid would be 17 billion cells.
        assert_eq!(
            read_file(&far(1_048_575, 16_383)).unwrap_err().problem,
            Problem::TooManyColumns
        );
        assert_eq!(
            read_file(&far(1_048_575, 0)).unwrap_err().problem,
            Problem::TooManyRows
        );
        assert_eq!(
            read_file(&far(0, MAX_COLUMNS as u16)).unwrap_err().problem,
            Problem::TooManyColumns
        );
        // Within bounds, a row far below the header keeps its spreadsheet row number.
        let sheet = read_file(&far(MAX_ROWS as u32, 2)).unwrap();
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.rows[0].0, MAX_ROWS + 1);
        assert_eq!(sheet.rows[0].1[2], "x");
    }

    #[test]
    fn xlsx_first_sheet_is_read_with_spreadsheet_row_numbers() {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (c, h) in HEADER.split(',').enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        let values = [
            "LOT-A",
            "X-1",
            "Gants",
            "Handschoenen",
            "",
            "",
            "Boîte",
            "Doos",
            "BX",
            "",
            "standard",
        ];
        for r in [1u32, 3] {
            for (c, v) in values.iter().enumerate() {
                sheet.write_string(r, c as u16, *v).unwrap();
            }
            sheet.write_number(r, 11, 1.0).unwrap();
            sheet.write_number(r, 12, 1.0).unwrap();
            sheet.write_boolean(r, 13, true).unwrap();
            sheet.write_number(r, 14, 403019261.0).unwrap();
            sheet.write_number(r, 16, 1.0).unwrap();
        }
        sheet.write_number(1, 15, 12.34).unwrap();
        sheet.write_number(3, 15, 12.345).unwrap();
        workbook
            .add_worksheet()
            .write_string(0, 0, "ignored")
            .unwrap();
        let bytes = workbook.save_to_buffer().unwrap();
        assert!(is_xlsx(&bytes));
        let sheet = read_file(&bytes).unwrap();
        let found: Vec<_> = parse_rows(&sheet, &[])
            .unwrap_err()
            .into_iter()
            .map(|e| (e.row, e.column, e.value))
            .collect();
        assert_eq!(
            found,
            vec![(Some(4), Some(Column::Price), "12.345".to_owned())]
        );
    }

    #[test]
    fn the_template_reads_back_as_a_valid_row() {
        let table = template_table();
        let sheet = read_file(&table.to_csv()).unwrap();
        let rows = parse_rows(&sheet, &[]).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].price, Cents::new(1234));
        let bytes = crate::export::to_xlsx(&[&table]).unwrap();
        let rows = parse_rows(&read_file(&bytes).unwrap(), &[]).unwrap();
        assert_eq!(rows[0].price, Cents::new(1234));
        assert_eq!(rows[0].fields.standards.len(), 2);
    }

    #[test]
    fn messages_name_row_and_column_in_both_languages() {
        let translations = Translations::load().unwrap();
        let text = csv(&[
            row("X-1", SUPPLIER, "1"),
            row("X-2", SUPPLIER, "1"),
            row("X-3", SUPPLIER, "1"),
            row("X-4", SUPPLIER, "1"),
            row("X-5", SUPPLIER, "1"),
            row("X-6", SUPPLIER, "12,345"),
        ]);
        let error = &parse(&text).unwrap_err()[0];
        let fr = describe(&translations, Language::Fr, error);
        assert_eq!(
            fr.sentence,
            "Ligne 7, colonne « price » : « 12,345 » n'est pas un prix : Montant ambigu : écrivez par exemple 1234,00 ou 1,23."
        );
        let nl = describe(&translations, Language::Nl, error);
        assert!(
            nl.sentence
                .starts_with("Rij 7, kolom „price”: „12,345” is geen prijs"),
            "{}",
            nl.sentence
        );
        for problem_error in [
            ImportError::file(Problem::FileTooLarge),
            ImportError::file(Problem::TooManyRows),
        ] {
            for language in Language::ALL {
                let d = describe(&translations, language, &problem_error);
                assert!(!d.message.starts_with("import-"), "{}", d.message);
            }
        }
        assert!(describe(
            &translations,
            Language::Fr,
            &ImportError::file(Problem::TooManyRows)
        )
        .message
        .contains("20000"));
    }

    #[test]
    fn every_problem_and_column_has_a_message_in_both_languages() {
        let translations = Translations::load().unwrap();
        let problems = [
            Problem::FileTooLarge,
            Problem::TooManyRows,
            Problem::NotUtf8,
            Problem::UnreadableCsv,
            Problem::UnreadableXlsx,
            Problem::NoHeader,
            Problem::NoRows,
            Problem::MissingColumn,
            Problem::UnknownColumn,
            Problem::DuplicateColumn { first: 1 },
            Problem::Required,
            Problem::TooLong { max: 1 },
            Problem::UnpackedTooLarge,
            Problem::InvalidSku {
                reason: "sku-empty",
            },
            Problem::InvalidEnterpriseNumber {
                reason: "enterprise-number-empty",
            },
            Problem::InvalidPrice {
                reason: "money-empty",
            },
            Problem::NotWholeNumber,
            Problem::InvalidQuantityRule,
            Problem::InvalidUnitCode,
            Problem::InvalidBoolean,
            Problem::UnknownLot,
            Problem::UnknownSupplier,
            Problem::SupplierNotInCascade { lot: "L".into() },
            Problem::UnknownVatClass,
            Problem::ProductInOtherLot { lot: "L".into() },
            Problem::Disagrees { other_row: 2 },
            Problem::DuplicateOffer { other_row: 2 },
        ];
        for language in Language::ALL {
            for problem in &problems {
                let key = format!("import-problem-{}", problem.code());
                assert!(translations.has(language, &key), "{key}");
            }
            for column in Column::ALL {
                assert!(translations.has(language, &column.label_key()));
            }
            for error in [
                ApplyError::AlreadyApplied,
                ApplyError::Discarded,
                ApplyError::Expired,
                ApplyError::Stale,
            ] {
                assert!(translations.has(language, error.message_key()));
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn no_input_makes_the_reader_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512)) {
            if let Ok(sheet) = read_file(&bytes) {
                let _ = parse_rows(&sheet, &[]);
            }
        }

        #[test]
        fn no_cell_text_makes_the_checks_panic(cells in proptest::collection::vec("[ -~éç;,\"\n]{0,12}", 17)) {
            let line = cells.iter().map(|c| format!("\"{}\"", c.replace('"', "\"\""))).collect::<Vec<_>>().join(",");
            let text = format!("{HEADER}\n{line}\n");
            if let Ok(sheet) = read_file(text.as_bytes()) {
                if let Ok(rows) = parse_rows(&sheet, &[]) {
                    let _ = plan(&rows, &state());
                }
            }
        }
    }

    // -----------------------------------------------------------------------------------
    // Hostile XLSX: structured and mutated workbooks, zip bombs.

    /// A minimal bit writer for raw DEFLATE (RFC 1951), enough to build a bomb by hand.
    struct Bits {
        out: Vec<u8>,
        acc: u64,
        n: u32,
    }

    impl Bits {
        fn new() -> Self {
            Bits {
                out: Vec::new(),
                acc: 0,
                n: 0,
            }
        }
        /// `value`'s low `count` bits, least significant first.
        fn put(&mut self, value: u64, count: u32) {
            self.acc |= value << self.n;
            self.n += count;
            while self.n >= 8 {
                self.out.push(self.acc as u8);
                self.acc >>= 8;
                self.n -= 8;
            }
        }
        /// A Huffman code, most significant bit first.
        fn code(&mut self, code: u64, count: u32) {
            let reversed = (0..count).fold(0, |r, i| (r << 1) | ((code >> i) & 1));
            self.put(reversed, count);
        }
        fn align(&mut self) {
            if self.n > 0 {
                self.put(0, 8 - self.n);
            }
        }
        fn stored(&mut self, data: &[u8], last: bool) {
            self.put(last as u64, 1);
            self.put(0, 2);
            self.align();
            let len = data.len() as u16;
            self.put(len as u64, 16);
            self.put(!len as u64, 16);
            self.out.extend_from_slice(data);
        }
        fn finish(mut self) -> Vec<u8> {
            self.align();
            self.out
        }
    }

    /// `head`, then `spaces` spaces (one literal and back-references of 258 bytes in a fixed
    /// Huffman block: 13 bits per 258 bytes), then `tail`.
    fn deflate_bomb(head: &[u8], spaces: u64, tail: &[u8]) -> Vec<u8> {
        let mut bits = Bits::new();
        bits.stored(head, false);
        bits.put(0, 1);
        bits.put(1, 2); // fixed Huffman
        bits.code(0x30 + b' ' as u64, 8); // literal ' '
        let mut left = spaces - 1;
        while left >= 258 {
            bits.code(0b1100_0101, 8); // length 258 (code 285)
            bits.code(0, 5); // distance 1
            left -= 258;
        }
        for _ in 0..left {
            bits.code(0x30 + b' ' as u64, 8);
        }
        bits.code(0, 7); // end of block (256)
        bits.stored(tail, true);
        bits.finish()
    }

    fn crc32(parts: &[&[u8]], spaces: u64) -> u32 {
        let table: Vec<u32> = (0..256u32)
            .map(|n| {
                (0..8).fold(n, |c, _| {
                    if c & 1 == 1 {
                        0xEDB8_8320 ^ (c >> 1)
                    } else {
                        c >> 1
                    }
                })
            })
            .collect();
        let mut crc = !0u32;
        let mut feed = |byte: u8| crc = table[((crc ^ byte as u32) & 0xFF) as usize] ^ (crc >> 8);
        for byte in parts[0] {
            feed(*byte);
        }
        for _ in 0..spaces {
            feed(b' ');
        }
        for byte in parts[1] {
            feed(*byte);
        }
        !crc
    }

    /// A ZIP archive: (name, method, data, crc, declared unpacked size) per member.
    fn zip(members: &[(&str, u16, Vec<u8>, u32, u32)]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, method, data, crc, size) in members {
            let offset = out.len() as u32;
            let header = |signature: u32, central: bool| {
                let mut h = Vec::new();
                h.extend_from_slice(&signature.to_le_bytes());
                if central {
                    h.extend_from_slice(&20u16.to_le_bytes());
                }
                h.extend_from_slice(&20u16.to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                h.extend_from_slice(&method.to_le_bytes());
                h.extend_from_slice(&[0, 0, 0x21, 0]); // time, date
                h.extend_from_slice(&crc.to_le_bytes());
                h.extend_from_slice(&(data.len() as u32).to_le_bytes());
                h.extend_from_slice(&size.to_le_bytes());
                h.extend_from_slice(&(name.len() as u16).to_le_bytes());
                h.extend_from_slice(&0u16.to_le_bytes());
                if central {
                    h.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
                    h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
                    h.extend_from_slice(&offset.to_le_bytes());
                }
                h.extend_from_slice(name.as_bytes());
                h
            };
            out.extend(header(0x0403_4b50, false));
            out.extend_from_slice(data);
            central.extend(header(0x0201_4b50, true));
        }
        let start = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        out.extend_from_slice(&[0; 4]);
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&start.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    /// A workbook whose one sheet is `spaces` spaces of padding inside `<sheetData>`,
    /// declaring `declared` as the sheet's unpacked size (`None`: the truth).
    fn bomb_workbook(spaces: u64, declared: Option<u32>) -> Vec<u8> {
        let stored = |name: &'static str, text: &str| {
            let crc = crc32(&[text.as_bytes(), b""], 0);
            (name, 0u16, text.as_bytes().to_vec(), crc, text.len() as u32)
        };
        let head = br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>lot_reference</t></is></c></row>"#;
        let tail = b"</sheetData></worksheet>";
        let true_size = head.len() as u64 + spaces + tail.len() as u64;
        let sheet = (
            "xl/worksheets/sheet1.xml",
            8u16,
            deflate_bomb(head, spaces, tail),
            crc32(&[head, tail], spaces),
            declared.unwrap_or(u32::try_from(true_size).unwrap_or(u32::MAX - 1)),
        );
        zip(&[
            stored(
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#,
            ),
            stored(
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
            stored(
                "xl/workbook.xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Import" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
            stored(
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#,
            ),
            sheet,
        ])
    }

    #[test]
    fn the_handmade_workbook_is_a_readable_xlsx() {
        // Small and honest: read like any workbook (one header cell, no rows).
        let bytes = bomb_workbook(10_000, None);
        assert!(is_xlsx(&bytes));
        let declared = zip_declared_unpacked_size(&bytes).expect("central directory read");
        assert!((10_000..12_000).contains(&declared), "{declared}");
        let error = read_file(&bytes).unwrap_err();
        assert_eq!(error.problem, Problem::NoRows, "{error:?}");
    }

    #[test]
    fn a_zip_bomb_is_refused_before_it_is_unpacked() {
        // 512 MiB of spaces in 3.4 MB, under the upload limit.
        let spaces = 512 * 1024 * 1024;
        let started = std::time::Instant::now();
        let bytes = bomb_workbook(spaces, None);
        assert!(bytes.len() < MAX_FILE_BYTES, "{} bytes", bytes.len());
        let built = started.elapsed();
        let started = std::time::Instant::now();
        let error = read_file(&bytes).unwrap_err();
        assert_eq!(error.problem, Problem::UnpackedTooLarge);
        assert!(
            started.elapsed() < std::time::Duration::from_millis(500),
            "refused in {:?} (built in {built:?})",
            started.elapsed()
        );
        let translations = crate::i18n::Translations::load().unwrap();
        let described = describe(&translations, Language::Fr, &error);
        assert!(described.message.contains("64"), "{}", described.message);
    }

    #[test]
    fn a_zip_bomb_lying_about_its_size_stops_at_the_declared_size() {
        // Declares 64 KiB, holds 256 MiB: the reader stops at the declared size.
        let bytes = bomb_workbook(256 * 1024 * 1024, Some(64 * 1024));
        assert!(zip_declared_unpacked_size(&bytes).unwrap() < MAX_XLSX_UNPACKED_BYTES);
        let started = std::time::Instant::now();
        let error = read_file(&bytes).unwrap_err();
        assert_eq!(error.problem, Problem::UnreadableXlsx);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn zip_sizes_of_broken_archives_are_unknown_not_a_panic() {
        let bytes = bomb_workbook(1000, None);
        for cut in [0, 1, 22, bytes.len() / 2, bytes.len() - 1] {
            let _ = zip_declared_unpacked_size(&bytes[..cut]);
            let _ = read_file(&bytes[..cut]);
        }
        assert_eq!(zip_declared_unpacked_size(b"PK\x03\x04"), None);
    }

    /// A cell of a structured row: text of the kinds people type, or a number or boolean.
    #[derive(Debug, Clone)]
    enum TestCell {
        Text(String),
        Number(f64),
        Bool(bool),
        Blank,
    }

    fn any_cell() -> impl proptest::strategy::Strategy<Value = TestCell> {
        use proptest::prelude::*;
        prop_oneof![
            "[A-Za-z0-9éèçàÉ' .,;:/()&<>\"=+@-]{1,30}".prop_map(TestCell::Text),
            "\\PC{1,12}".prop_map(TestCell::Text),
            (-1e9f64..1e9).prop_map(TestCell::Number),
            any::<bool>().prop_map(TestCell::Bool),
            Just(TestCell::Blank),
        ]
    }

    fn workbook_of(rows: &[Vec<TestCell>]) -> Vec<u8> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for (c, h) in HEADER.split(',').enumerate() {
            sheet.write_string(0, c as u16, h).unwrap();
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32 + 1, c as u16);
                match cell {
                    TestCell::Text(t) => {
                        sheet.write_string(r, c, t).unwrap();
                    }
                    TestCell::Number(n) => {
                        sheet.write_number(r, c, *n).unwrap();
                    }
                    TestCell::Bool(b) => {
                        sheet.write_boolean(r, c, *b).unwrap();
                    }
                    TestCell::Blank => {}
                }
            }
        }
        workbook.save_to_buffer().unwrap()
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: proptest::test_runner::Config::default().cases.min(64),
            ..proptest::test_runner::Config::default()
        })]

        /// Real workbooks with cells of every kind read back as the text typed, at the row
        /// typed, and the checks never panic on them.
        #[test]
        fn structured_workbooks_read_back_as_typed(
            rows in proptest::collection::vec(proptest::collection::vec(any_cell(), 17), 1..6),
        ) {
            let bytes = workbook_of(&rows);
            let sheet = read_file(&bytes).unwrap();
            let mut expected_rows = 0;
            for (r, row) in rows.iter().enumerate() {
                let texts: Vec<String> = row.iter().map(|cell| match cell {
                    TestCell::Text(t) => t.clone(),
                    TestCell::Number(n) => xlsx_cell_text(&calamine::Data::Float(*n)),
                    TestCell::Bool(b) => xlsx_cell_text(&calamine::Data::Bool(*b)),
                    TestCell::Blank => String::new(),
                }).collect();
                if texts.iter().all(|t| t.trim().is_empty()) {
                    continue;
                }
                expected_rows += 1;
                let (number, cells) = sheet.rows.iter().find(|(n, _)| *n == r + 2)
                    .unwrap_or_else(|| panic!("row {} missing", r + 2));
                proptest::prop_assert_eq!(*number, r + 2);
                for (c, text) in texts.iter().enumerate() {
                    let read = cells.get(c).map(String::as_str).unwrap_or("");
                    proptest::prop_assert_eq!(read, text.as_str(), "row {} column {}", r + 2, c);
                }
            }
            proptest::prop_assert_eq!(sheet.rows.len(), expected_rows);
            if let Ok(parsed) = parse_rows(&sheet, &[]) {
                let _ = plan(&parsed, &state());
            }
        }

        /// A real workbook with bytes flipped, cut or spliced: refused or read, never a panic.
        #[test]
        fn mutated_workbooks_never_panic(
            rows in proptest::collection::vec(proptest::collection::vec(any_cell(), 17), 1..3),
            flips in proptest::collection::vec((proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>()), 1..16),
            cut in proptest::prelude::any::<usize>(),
        ) {
            let mut bytes = workbook_of(&rows);
            for (at, byte) in flips {
                let at = at % bytes.len();
                bytes[at] ^= byte;
            }
            let cut = bytes.len() - cut % (bytes.len() / 4);
            bytes.truncate(cut);
            if let Ok(sheet) = read_file(&bytes) {
                if let Ok(parsed) = parse_rows(&sheet, &[]) {
                    let _ = plan(&parsed, &state());
                }
            }
        }

        /// CSV files of structured rows (valid-looking values, either delimiter, quotes,
        /// formulas neutralised by our own export): read back cell for cell, never a panic.
        #[test]
        fn structured_csv_rows_read_back_as_typed(
            rows in proptest::collection::vec((
                "LOT-[A-C]",
                "[A-Z0-9][A-Z0-9-]{0,20}",
                "[A-Za-zéè' ;,\"=+@-][A-Za-zéè' ;,\"=+@-]{0,24}",
                "[A-Za-zéè' ;,\"]{1,25}",
                "(0|[1-9][0-9]{0,5})([.,][0-9]{1,3})?",
                proptest::prelude::any::<bool>(),
                proptest::sample::select(vec![SUPPLIER, OTHER_SUPPLIER, "0403019261", "BE0404.616.494", "1234"]),
            ), 1..8),
            semicolon in proptest::prelude::any::<bool>(),
        ) {
            let delimiter = if semicolon { b';' } else { b',' };
            let mut writer = csv::WriterBuilder::new().delimiter(delimiter).from_writer(Vec::new());
            writer.write_record(HEADER.split(',')).unwrap();
            let mut expected = Vec::new();
            for (lot, sku, name_fr, name_nl, price, available, supplier) in &rows {
                let record = vec![
                    lot.clone(), sku.clone(), name_fr.clone(), name_nl.clone(), String::new(), String::new(),
                    "Boîte".into(), "Doos".into(), "BX".into(), "EN 455".into(), "standard".into(),
                    "1".into(), "1".into(), available.to_string(), supplier.to_string(), price.clone(), "true".into(),
                ];
                let written: Vec<String> = record.iter().map(|cell| crate::export::neutralise_formula(cell)).collect();
                writer.write_record(&written).unwrap();
                expected.push(record);
            }
            let bytes = writer.into_inner().unwrap();
            let sheet = read_file(&bytes).unwrap();
            proptest::prop_assert_eq!(sheet.rows.len(), expected.len());
            for ((number, cells), record) in sheet.rows.iter().zip(&expected) {
                proptest::prop_assert_eq!(cells, record, "row {}", number);
            }
            match parse_rows(&sheet, &[]) {
                Ok(parsed) => {
                    proptest::prop_assert_eq!(parsed.len(), rows.len());
                    let _ = plan(&parsed, &state());
                }
                Err(errors) => {
                    for error in errors {
                        proptest::prop_assert!(error.row.is_some_and(|r| r >= 2 && r <= rows.len() + 1), "{:?}", error);
                    }
                }
            }
        }
    }
}
