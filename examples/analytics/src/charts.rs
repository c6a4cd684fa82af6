//! Charts drawn on the server as SVG: no script, no CDN, and a test can count the bars.

use std::fmt::Write as _;

use flask::escape;

const W: f64 = 720.0;
const H: f64 = 220.0;
const PAD_LEFT: f64 = 56.0;
const PAD_BOTTOM: f64 = 24.0;

/// A number for an axis label: `1.2M`, `35k`, `870`.
pub fn short(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else {
        format!("{v:.0}")
    }
}

fn axis(out: &mut String, max: f64) {
    for i in 0..=4 {
        let v = max * f64::from(i) / 4.0;
        let y = H - PAD_BOTTOM - (H - PAD_BOTTOM - 10.0) * f64::from(i) / 4.0;
        let _ = write!(
            out,
            r#"<line class="grid" x1="{PAD_LEFT}" x2="{W}" y1="{y:.1}" y2="{y:.1}"/><text class="tick" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            PAD_LEFT - 6.0,
            y + 4.0,
            short(v)
        );
    }
}

/// A time series: a line through one point per `(label, value)`, each point a
/// `circle.point` with its label and value as a tooltip.
pub fn line(title: &str, points: &[(String, f64)]) -> String {
    let mut out = format!(
        r#"<svg class="chart line" viewBox="0 0 {W} {H}" role="img" aria-label="{}" data-points="{}">"#,
        escape(title),
        points.len()
    );
    let max = points.iter().map(|p| p.1).fold(0.0_f64, f64::max).max(1.0);
    axis(&mut out, max);
    let n = points.len().max(2) - 1;
    let xy = |i: usize, v: f64| {
        let x = PAD_LEFT + (W - PAD_LEFT - 8.0) * i as f64 / n as f64;
        let y = H - PAD_BOTTOM - (H - PAD_BOTTOM - 10.0) * v / max;
        (x, y)
    };
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let (x, y) = xy(i, p.1);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    let _ = write!(
        out,
        r#"<polyline class="series" points="{}"/>"#,
        path.join(" ")
    );
    for (i, (label, v)) in points.iter().enumerate() {
        let (x, y) = xy(i, *v);
        let _ = write!(
            out,
            r#"<circle class="point" cx="{x:.1}" cy="{y:.1}" r="2.5"><title>{}: {}</title></circle>"#,
            escape(label),
            short(*v)
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            out,
            r#"<text class="tick" x="{PAD_LEFT}" y="{H}">{}</text><text class="tick" x="{W}" y="{H}" text-anchor="end">{}</text>"#,
            escape(&first.0),
            escape(&last.0)
        );
    }
    out.push_str("</svg>");
    out
}

/// Horizontal bars, one `rect.bar` per `(label, value)`, largest first as given.
pub fn bars(title: &str, bars: &[(String, f64)]) -> String {
    let row = 26.0;
    let height = row * bars.len().max(1) as f64 + 8.0;
    let label_w = 110.0;
    let max = bars.iter().map(|b| b.1).fold(0.0_f64, f64::max).max(1.0);
    let mut out = format!(
        r#"<svg class="chart bars" viewBox="0 0 {W} {height}" role="img" aria-label="{}" data-bars="{}">"#,
        escape(title),
        bars.len()
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 4.0 + row * i as f64;
        let w = (W - label_w - 80.0) * v / max;
        let _ = write!(
            out,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect class="bar" x="{label_w}" y="{y:.1}" width="{w:.1}" height="{:.1}"><title>{}: {}</title></rect><text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
            label_w - 8.0,
            y + 16.0,
            escape(label),
            row - 8.0,
            escape(label),
            short(*v),
            label_w + w + 6.0,
            y + 16.0,
            short(*v)
        );
    }
    out.push_str("</svg>");
    out
}

/// A heat map: one `rect.cell` per row and column, darker for more.
pub fn heat_map(title: &str, rows: &[&str], columns: &[&str], values: &[Vec<f64>]) -> String {
    let cell_w = 70.0;
    let cell_h = 24.0;
    let label_w = 90.0;
    let width = label_w + cell_w * columns.len() as f64;
    let height = 22.0 + cell_h * rows.len() as f64;
    let max = values
        .iter()
        .flatten()
        .copied()
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut out = format!(
        r#"<svg class="chart heat" viewBox="0 0 {width} {height}" role="img" aria-label="{}" data-cells="{}">"#,
        escape(title),
        rows.len() * columns.len()
    );
    for (c, name) in columns.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text class="tick" x="{:.1}" y="14" text-anchor="middle">{}</text>"#,
            label_w + cell_w * (c as f64 + 0.5),
            escape(name)
        );
    }
    for (r, name) in rows.iter().enumerate() {
        let y = 22.0 + cell_h * r as f64;
        let _ = write!(
            out,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            label_w - 8.0,
            y + 16.0,
            escape(name)
        );
        for (c, col) in columns.iter().enumerate() {
            let v = values
                .get(r)
                .and_then(|row| row.get(c))
                .copied()
                .unwrap_or(0.0);
            let _ = write!(
                out,
                r#"<rect class="cell" x="{:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill-opacity="{:.2}"><title>{} {}: {}</title></rect>"#,
                label_w + cell_w * c as f64,
                cell_w - 2.0,
                cell_h - 2.0,
                0.08 + 0.92 * v / max,
                escape(name),
                escape(col),
                short(v)
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_one_shape_per_value_and_escapes_labels() {
        let svg = line("t", &[("a".into(), 1.0), ("<b>".into(), 2.0)]);
        assert_eq!(svg.matches("<circle class=\"point\"").count(), 2);
        assert!(svg.contains("&lt;b&gt;"));
        let svg = bars("t", &[("x".into(), 3.0)]);
        assert_eq!(svg.matches("<rect class=\"bar\"").count(), 1);
        let svg = heat_map(
            "t",
            &["r1", "r2"],
            &["c1", "c2", "c3"],
            &[vec![1.0; 3], vec![0.0; 3]],
        );
        assert_eq!(svg.matches("<rect class=\"cell\"").count(), 6);
    }
}
