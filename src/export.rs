//! Tables the back office hands out as files: CSV (RFC 4180, UTF-8 with a byte-order mark so
//! spreadsheet programs in Belgian locales read the accents) and XLSX. One `Table` feeds both, so
//! a report and its downloads cannot disagree.

use chrono::{NaiveDate, NaiveDateTime};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::domain::Cents;

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Integer(i64),
    Money(Cents),
    /// A share between 0 and 1, shown as a percentage with one decimal.
    Ratio(Decimal),
    /// A plain decimal number (durations in hours, averages) shown with two decimals.
    Decimal(Decimal),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
    Empty,
}

impl Cell {
    pub fn text(value: impl Into<String>) -> Cell {
        Cell::Text(value.into())
    }

    /// The cell as a CSV field: amounts in machine form (`1234.56`), ratios as decimals with
    /// four places (`0.8750`), dates in ISO 8601.
    pub fn to_csv_field(&self) -> String {
        match self {
            Cell::Text(text) => neutralise_formula(text),
            Cell::Integer(n) => n.to_string(),
            Cell::Money(cents) => cents.to_plain_string(),
            Cell::Ratio(ratio) => ratio.round_dp(4).to_string(),
            Cell::Decimal(value) => value.round_dp(2).to_string(),
            Cell::Date(date) => date.format("%Y-%m-%d").to_string(),
            Cell::DateTime(at) => at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            Cell::Empty => String::new(),
        }
    }
}

/// A cell beginning with `=`, `+`, `-`, `@`, a tab or a carriage return would be read as a
/// formula by spreadsheet programs opening the CSV; a leading apostrophe keeps it text.
/// Text that already starts with an apostrophe before such a character gets one more, so
/// that reading the file back (which drops one) gives the text exactly as typed.
pub fn neutralise_formula(text: &str) -> String {
    if text.trim_start_matches('\'').starts_with(FORMULA_START) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

/// The characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Sheet name in XLSX (at most 31 characters, no `[]:*?/\`).
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: impl Into<String>, headers: Vec<String>) -> Table {
        Table {
            name: name.into(),
            headers,
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.headers.len(), "row width of {}", self.name);
        self.rows.push(row);
    }

    pub fn to_csv(&self) -> Vec<u8> {
        let mut csv = CsvFile::new(&self.headers);
        for row in &self.rows {
            csv.push(row);
        }
        csv.finish()
    }
}

/// A CSV file written row by row, for lists too long to hold as a [`Table`] first.
pub struct CsvFile {
    writer: csv::Writer<Vec<u8>>,
}

impl CsvFile {
    pub fn new(headers: &[String]) -> CsvFile {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer("\u{feff}".as_bytes().to_vec());
        // Writing into a Vec cannot fail.
        let _ = writer.write_record(headers.iter().map(|h| neutralise_formula(h)));
        CsvFile { writer }
    }

    pub fn push(&mut self, row: &[Cell]) {
        let _ = self.writer.write_record(row.iter().map(Cell::to_csv_field));
    }

    pub fn finish(self) -> Vec<u8> {
        self.writer.into_inner().unwrap_or_default()
    }
}

pub const CSV_CONTENT_TYPE: &str = "text/csv; charset=utf-8";
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// One workbook with a sheet per table. Amounts are numbers with a two-decimal euro format,
/// so they add up in the spreadsheet; text cells are stored as strings, never as formulas.
pub fn to_xlsx(tables: &[&Table]) -> Result<Vec<u8>, XlsxError> {
    let mut book = XlsxFile::new();
    for table in tables {
        book.add_table(table)?;
    }
    book.finish()
}

/// A workbook written sheet by sheet and row by row. Rows go to a temporary file as they
/// are written, so a sheet of tens of thousands of rows never sits in memory whole.
pub struct XlsxFile {
    workbook: Workbook,
    /// The sheet being written and its next row.
    sheet: Option<(usize, u32)>,
    sheets: usize,
    bold: Format,
    money: Format,
    ratio: Format,
    decimal: Format,
    date: Format,
    datetime: Format,
}

impl Default for XlsxFile {
    fn default() -> Self {
        XlsxFile::new()
    }
}

impl XlsxFile {
    pub fn new() -> XlsxFile {
        XlsxFile {
            workbook: Workbook::new(),
            sheet: None,
            sheets: 0,
            bold: Format::new().set_bold(),
            money: Format::new().set_num_format("#,##0.00"),
            ratio: Format::new().set_num_format("0.0%"),
            decimal: Format::new().set_num_format("0.00"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
        }
    }

    pub fn add_table(&mut self, table: &Table) -> Result<(), XlsxError> {
        self.start_sheet(&table.name, &table.headers)?;
        for row in &table.rows {
            self.push(row)?;
        }
        Ok(())
    }

    /// Starts a new sheet with its header row; rows pushed from now on go there.
    pub fn start_sheet(&mut self, name: &str, headers: &[String]) -> Result<(), XlsxError> {
        let sheet = self.workbook.add_worksheet_with_constant_memory()?;
        sheet.set_name(sheet_name(name))?;
        for (column, header) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, column as u16, header, &self.bold)?;
            sheet.set_column_width(column as u16, (header.chars().count().max(10) + 2) as f64)?;
        }
        if !headers.is_empty() {
            sheet.set_freeze_panes(1, 0)?;
        }
        self.sheet = Some((self.sheets, 1));
        self.sheets += 1;
        Ok(())
    }

    pub fn push(&mut self, row: &[Cell]) -> Result<(), XlsxError> {
        let Some((index, r)) = self.sheet else {
            return Err(XlsxError::ParameterError("no sheet started".into()));
        };
        let sheet = self.workbook.worksheet_from_index(index)?;
        for (column, cell) in row.iter().enumerate() {
            let c = column as u16;
            match cell {
                Cell::Text(text) => {
                    sheet.write_string(r, c, text)?;
                }
                Cell::Integer(n) => {
                    sheet.write_number(r, c, *n as f64)?;
                }
                Cell::Money(cents) => {
                    // XLSX has no decimal type; a euro amount below 2^53 cents is exact
                    // to the cent as a double.
                    let euros = cents.to_decimal().to_f64().unwrap_or_default();
                    sheet.write_number_with_format(r, c, euros, &self.money)?;
                }
                Cell::Ratio(value) => {
                    let value = value.to_f64().unwrap_or_default();
                    sheet.write_number_with_format(r, c, value, &self.ratio)?;
                }
                Cell::Decimal(value) => {
                    let value = value.to_f64().unwrap_or_default();
                    sheet.write_number_with_format(r, c, value, &self.decimal)?;
                }
                Cell::Date(day) => {
                    sheet.write_datetime_with_format(r, c, *day, &self.date)?;
                }
                Cell::DateTime(at) => {
                    sheet.write_datetime_with_format(r, c, *at, &self.datetime)?;
                }
                Cell::Empty => {}
            }
        }
        self.sheet = Some((index, r + 1));
        Ok(())
    }

    pub fn finish(mut self) -> Result<Vec<u8>, XlsxError> {
        self.workbook.save_to_buffer()
    }
}

fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '[' | ']' | ':' | '*' | '?' | '/' | '\\' => '-',
            other => other,
        })
        .take(31)
        .collect();
    if cleaned.trim().is_empty() {
        "Sheet1".to_owned()
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{Data, Reader, Xlsx};
    use std::io::Cursor;

    fn sample() -> Table {
        let mut table = Table::new(
            "Ventes/mois",
            vec!["Mois".into(), "Commandes".into(), "Montant".into()],
        );
        table.push(vec![
            Cell::text("2026-01"),
            Cell::Integer(3),
            Cell::Money(Cents::new(123_456)),
        ]);
        table.push(vec![
            Cell::text("=HYPERLINK(\"x\")"),
            Cell::Integer(0),
            Cell::Money(Cents::new(-5)),
        ]);
        table
    }

    #[test]
    fn csv_has_bom_crlf_and_machine_amounts() {
        let csv = String::from_utf8(sample().to_csv()).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert_eq!(
            csv.trim_start_matches('\u{feff}'),
            "Mois,Commandes,Montant\r\n2026-01,3,1234.56\r\n\"'=HYPERLINK(\"\"x\"\")\",0,-0.05\r\n"
        );
    }

    #[test]
    fn formulas_are_neutralised_in_csv_only_at_the_start() {
        for dangerous in ["=1+1", "+32", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert!(
                neutralise_formula(dangerous).starts_with('\''),
                "{dangerous:?}"
            );
        }
        assert_eq!(neutralise_formula("a=b"), "a=b");
        assert_eq!(
            neutralise_formula("'-x"),
            "''-x",
            "one more quote, read back as typed"
        );
        assert_eq!(neutralise_formula("'x"), "'x");
        assert_eq!(neutralise_formula(""), "");
    }

    #[test]
    fn xlsx_reads_back_with_amounts_exact_to_the_cent() {
        let table = sample();
        let bytes = to_xlsx(&[&table]).unwrap();
        let mut workbook = Xlsx::new(Cursor::new(bytes)).unwrap();
        assert_eq!(workbook.sheet_names(), vec!["Ventes-mois".to_owned()]);
        let range = workbook.worksheet_range("Ventes-mois").unwrap();
        let rows: Vec<_> = range.rows().collect();
        assert_eq!(rows[0][0], Data::String("Mois".into()));
        assert_eq!(rows[1][2], Data::Float(1234.56));
        // Text is stored as a string, never as a formula.
        assert_eq!(rows[2][0], Data::String("=HYPERLINK(\"x\")".into()));
        assert_eq!(rows[2][2], Data::Float(-0.05));
    }

    #[test]
    fn sheet_names_are_made_legal() {
        assert_eq!(sheet_name("a/b:c"), "a-b-c");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
        assert_eq!(sheet_name("  "), "Sheet1");
    }
}
