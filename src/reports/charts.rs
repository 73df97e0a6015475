//! Server-rendered SVG charts: no JavaScript, readable when printed, with a title and a
//! description for assistive technology (the table beside each chart is the full accessible
//! equivalent). Values are whole numbers (counts or cents); their labels come formatted.

use std::fmt::Write;

/// One bar: its label, its value (only its size relative to the others matters) and the
/// value as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub value_label: String,
}

impl Bar {
    pub fn new(label: impl Into<String>, value: i64, value_label: impl Into<String>) -> Bar {
        Bar {
            label: label.into(),
            value,
            value_label: value_label.into(),
        }
    }
}

/// Dark blue on white: a contrast ratio above 7:1, also for the bars themselves.
const BAR_COLOUR: &str = "#1f4e79";
const TEXT_COLOUR: &str = "#1a1a1a";
const AXIS_COLOUR: &str = "#595959";

pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            other => out.push(other),
        }
    }
    out
}

/// The length of a bar in a space of `extent` units, proportional to `value` against the
/// largest value; negative values and an all-zero chart draw nothing.
pub fn bar_length(value: i64, max: i64, extent: f64) -> f64 {
    if max <= 0 || value <= 0 {
        return 0.0;
    }
    // Chart geometry only: amounts themselves are never computed in floating point.
    extent * (value as f64) / (max as f64)
}

/// Keeps the `n` largest items and sums the rest into one "other" bar, so a chart stays
/// legible; the table keeps every row.
pub fn top_with_other(
    mut bars: Vec<Bar>,
    n: usize,
    other_label: &str,
    format: impl Fn(i64) -> String,
) -> Vec<Bar> {
    bars.sort_by(|a, b| b.value.cmp(&a.value).then_with(|| a.label.cmp(&b.label)));
    if bars.len() <= n + 1 {
        return bars;
    }
    let rest = bars.split_off(n);
    let other: i64 = rest.iter().fold(0i64, |acc, b| acc.saturating_add(b.value));
    bars.push(Bar::new(other_label, other, format(other)));
    bars
}

fn max_value(bars: &[Bar]) -> i64 {
    bars.iter().map(|b| b.value).max().unwrap_or(0).max(0)
}

fn open_svg(out: &mut String, id: &str, width: u32, height: u32, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {width} {height}" width="{width}" height="{height}" font-family="sans-serif" font-size="12"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        xml_escape(title),
        xml_escape(desc)
    );
}

/// A horizontal bar chart: one row per bar, the label on the left, the value after the bar.
pub fn horizontal_bars(
    id: &str,
    title: &str,
    desc: &str,
    axis_label: &str,
    bars: &[Bar],
) -> String {
    horizontal_bars_against(id, title, desc, axis_label, bars, max_value(bars))
}

/// Like [`horizontal_bars`], with the full bar length standing for `max` (100 % for shares).
pub fn horizontal_bars_against(
    id: &str,
    title: &str,
    desc: &str,
    axis_label: &str,
    bars: &[Bar],
    max: i64,
) -> String {
    const LABEL_WIDTH: f64 = 220.0;
    const BAR_EXTENT: f64 = 300.0;
    const ROW: f64 = 24.0;
    const TOP: f64 = 8.0;
    let width = 660u32;
    let height = (TOP + ROW * bars.len().max(1) as f64 + 40.0).ceil() as u32;
    let mut out = String::new();
    open_svg(&mut out, id, width, height, title, desc);
    let axis_bottom = TOP + ROW * bars.len().max(1) as f64;
    for (index, bar) in bars.iter().enumerate() {
        let y = TOP + ROW * index as f64;
        let length = bar_length(bar.value, max, BAR_EXTENT);
        let _ = write!(
            out,
            r#"<g class="bar"><text x="{lx:.1}" y="{ty:.1}" text-anchor="end" fill="{TEXT_COLOUR}">{label}</text><rect x="{LABEL_WIDTH:.1}" y="{ry:.1}" width="{length:.1}" height="16" fill="{BAR_COLOUR}"><title>{label}: {value}</title></rect><text x="{vx:.1}" y="{ty:.1}" fill="{TEXT_COLOUR}">{value}</text></g>"#,
            lx = LABEL_WIDTH - 6.0,
            ty = y + 13.0,
            ry = y + 1.0,
            label = xml_escape(&truncate(&bar.label, 34)),
            value = xml_escape(&bar.value_label),
            vx = LABEL_WIDTH + length + 6.0,
        );
    }
    let _ = write!(
        out,
        r#"<line x1="{LABEL_WIDTH:.1}" y1="{TOP:.1}" x2="{LABEL_WIDTH:.1}" y2="{axis_bottom:.1}" stroke="{AXIS_COLOUR}"/><line x1="{LABEL_WIDTH:.1}" y1="{axis_bottom:.1}" x2="{end:.1}" y2="{axis_bottom:.1}" stroke="{AXIS_COLOUR}"/><text class="axis-label" x="{mid:.1}" y="{label_y:.1}" text-anchor="middle" fill="{TEXT_COLOUR}">{axis}</text></svg>"#,
        end = LABEL_WIDTH + BAR_EXTENT,
        mid = LABEL_WIDTH + BAR_EXTENT / 2.0,
        label_y = axis_bottom + 24.0,
        axis = xml_escape(axis_label),
    );
    out
}

/// A column chart (months along the bottom), the value above each column.
pub fn columns(
    id: &str,
    title: &str,
    desc: &str,
    x_axis_label: &str,
    y_axis_label: &str,
    bars: &[Bar],
) -> String {
    const LEFT: f64 = 40.0;
    const TOP: f64 = 24.0;
    const EXTENT: f64 = 220.0;
    const SLOT: f64 = 64.0;
    let count = bars.len().max(1);
    let width = (LEFT + SLOT * count as f64 + 16.0).ceil() as u32;
    let height = (TOP + EXTENT + 64.0).ceil() as u32;
    let max = max_value(bars);
    let baseline = TOP + EXTENT;
    let mut out = String::new();
    open_svg(&mut out, id, width, height, title, desc);
    for (index, bar) in bars.iter().enumerate() {
        let x = LEFT + SLOT * index as f64 + 8.0;
        let length = bar_length(bar.value, max, EXTENT);
        let _ = write!(
            out,
            r#"<g class="bar"><rect x="{x:.1}" y="{ry:.1}" width="48" height="{length:.1}" fill="{BAR_COLOUR}"><title>{label}: {value}</title></rect><text x="{cx:.1}" y="{vy:.1}" text-anchor="middle" font-size="10" fill="{TEXT_COLOUR}">{value}</text><text x="{cx:.1}" y="{ly:.1}" text-anchor="middle" fill="{TEXT_COLOUR}">{label}</text></g>"#,
            ry = baseline - length,
            cx = x + 24.0,
            vy = baseline - length - 4.0,
            ly = baseline + 16.0,
            label = xml_escape(&bar.label),
            value = xml_escape(&bar.value_label),
        );
    }
    let _ = write!(
        out,
        r#"<line x1="{LEFT:.1}" y1="{TOP:.1}" x2="{LEFT:.1}" y2="{baseline:.1}" stroke="{AXIS_COLOUR}"/><line x1="{LEFT:.1}" y1="{baseline:.1}" x2="{end:.1}" y2="{baseline:.1}" stroke="{AXIS_COLOUR}"/><text class="axis-label" x="{mid:.1}" y="{xl:.1}" text-anchor="middle" fill="{TEXT_COLOUR}">{x_axis}</text><text class="axis-label" x="12" y="{ym:.1}" text-anchor="middle" transform="rotate(-90 12 {ym:.1})" fill="{TEXT_COLOUR}">{y_axis}</text></svg>"#,
        end = LEFT + SLOT * count as f64,
        mid = LEFT + SLOT * count as f64 / 2.0,
        xl = baseline + 40.0,
        ym = TOP + EXTENT / 2.0,
        x_axis = xml_escape(x_axis_label),
        y_axis = xml_escape(y_axis_label),
    );
    out
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max - 1).collect();
        short.push('…');
        short
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars() -> Vec<Bar> {
        vec![
            Bar::new("COCOF", 134, "134"),
            Bar::new("Iriscare", 99, "99"),
            Bar::new("A <&> \"B\"", 0, "0"),
        ]
    }

    fn widths(svg: &str, attribute: &str) -> Vec<f64> {
        svg.split("<rect ")
            .skip(1)
            .map(|rect| {
                let start = rect.find(&format!("{attribute}=\"")).unwrap() + attribute.len() + 2;
                let end = rect[start..].find('"').unwrap();
                rect[start..start + end].parse().unwrap()
            })
            .collect()
    }

    /// Every element closes and nests: a minimal check of well-formedness without an XML
    /// library.
    fn assert_well_formed(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').unwrap() + start;
            let tag = &rest[start + 1..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "in {svg}");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().unwrap().to_owned();
                stack.push(name);
            }
            let text = &rest[end + 1
                ..rest[end + 1..]
                    .find('<')
                    .map_or(rest.len(), |i| i + end + 1)];
            assert!(
                !text.contains('&')
                    || text.contains("&amp;")
                    || text.contains("&lt;")
                    || text.contains("&quot;")
                    || text.contains("&gt;")
            );
            rest = &rest[end + 1..];
        }
        assert!(stack.is_empty(), "unclosed {stack:?}");
    }

    #[test]
    fn horizontal_bars_are_proportional_and_accessible() {
        let svg = horizontal_bars(
            "members",
            "Members",
            "Members per authority",
            "members",
            &bars(),
        );
        assert_well_formed(&svg);
        assert!(svg.contains(r#"role="img""#));
        assert!(svg.contains(r#"<title id="members-title">Members</title>"#));
        assert!(svg.contains(r#"<desc id="members-desc">Members per authority</desc>"#));
        assert!(svg.contains("A &lt;&amp;&gt; &quot;B&quot;"));
        let w = widths(&svg, "width");
        assert_eq!(w.len(), 3);
        assert_eq!(w[0], 300.0);
        assert!((w[1] - 300.0 * 99.0 / 134.0).abs() < 0.1);
        assert_eq!(w[2], 0.0);
        assert!(svg.contains(">134</text>") && svg.contains(">99</text>"));
    }

    #[test]
    fn columns_are_proportional_and_grow_from_the_baseline() {
        let svg = columns(
            "months",
            "Sales",
            "Sales per month",
            "month",
            "EUR",
            &[
                Bar::new("2026-01", 50, "0,50 €"),
                Bar::new("2026-02", 200, "2,00 €"),
            ],
        );
        assert_well_formed(&svg);
        let h = widths(&svg, "height");
        assert_eq!(h, vec![55.0, 220.0]);
        let y = widths(&svg, "y");
        assert_eq!(y[0] + h[0], y[1] + h[1], "same baseline");
        assert!(svg.contains("<desc id=\"months-desc\">Sales per month</desc>"));
    }

    #[test]
    fn an_empty_or_zero_chart_draws_no_bar() {
        assert_eq!(bar_length(0, 0, 100.0), 0.0);
        assert_eq!(bar_length(-5, 10, 100.0), 0.0);
        assert_eq!(bar_length(5, 10, 100.0), 50.0);
        assert_well_formed(&horizontal_bars("e", "t", "d", "x", &[]));
        assert_well_formed(&columns("e", "t", "d", "x", "y", &[]));
    }

    #[test]
    fn the_rest_is_summed_as_other() {
        let bars: Vec<Bar> = (1..=6)
            .map(|i| Bar::new(format!("p{i}"), i * 10, ""))
            .collect();
        let top = top_with_other(bars, 3, "other", |v| v.to_string());
        let labels: Vec<_> = top.iter().map(|b| b.label.as_str()).collect();
        assert_eq!(labels, ["p6", "p5", "p4", "other"]);
        assert_eq!(top[3].value, 60);
        assert_eq!(top[3].value_label, "60");
        // One item over the limit is shown itself rather than as a one-item "other".
        let few: Vec<Bar> = (1..=4).map(|i| Bar::new(format!("p{i}"), i, "")).collect();
        assert_eq!(top_with_other(few, 3, "other", |v| v.to_string()).len(), 4);
    }
}
