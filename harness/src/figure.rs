//! Figures drawn with plotters, as SVG (inlined into the report) and PNG (saved beside it).
//! One declarative [`Figure`] type and one drawing function serve every part.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

/// A log-log scatter plot with optional reference lines.
pub struct Figure {
    /// File stem under `figures/`.
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Named point series.
    pub points: Vec<(String, Vec<(f64, f64)>)>,
    /// Named reference curves y = f(x), e.g. "2 bits / parameter"; drawn across the x range.
    pub lines: Vec<(String, fn(f64) -> f64)>,
}

const COLORS: [RGBColor; 5] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
];

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let font: &'static [u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
        if plotters::style::register_font("sans-serif", FontStyle::Normal, font).is_err() {
            eprintln!("warning: the embedded figure font could not be loaded");
        }
    });
}

fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0 && v.is_finite())
        .fold((f64::INFINITY, 0.0f64), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return (0.1, 10.0);
    }
    // At least a decade, so that a log axis has ticks to label.
    let widen = (10.0 / (hi / lo * 2.25)).max(1.0).sqrt();
    (lo / 1.5 / widen, hi * 1.5 * widen)
}

/// A tick label with three significant digits and no float noise (`0.30000000000000004`).
fn tick(value: &f64) -> String {
    let v = *value;
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor();
    if !(-3.0..5.0).contains(&magnitude) {
        return format!("{v:.1e}");
    }
    let decimals = (2.0 - magnitude).max(0.0) as usize;
    let text = format!("{v:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, figure: &Figure) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let error = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("drawing {}: {e:?}", figure.name);
    root.fill(&WHITE).map_err(error)?;
    // Log axes: points at or below zero cannot be drawn (the tables still list them).
    let all = || {
        figure
            .points
            .iter()
            .flat_map(|(_, p)| p.iter().copied())
            .filter(|p| p.0 > 0.0 && p.1 > 0.0)
    };
    let x = bounds(all().map(|p| p.0));
    let line_ends = figure.lines.iter().flat_map(|(_, f)| [f(x.0), f(x.1)]);
    let y = bounds(all().map(|p| p.1).chain(line_ends));
    let mut chart = ChartBuilder::on(&root)
        .caption(&figure.title, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((x.0..x.1).log_scale(), (y.0..y.1).log_scale())
        .map_err(error)?;
    chart
        .configure_mesh()
        .x_desc(&figure.x_label)
        .y_desc(&figure.y_label)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()
        .map_err(error)?;
    for (i, (name, f)) in figure.lines.iter().enumerate() {
        let style = ShapeStyle::from(&BLACK.mix(0.6)).stroke_width(1 + i as u32);
        let samples: Vec<(f64, f64)> = (0..=32)
            .map(|k| x.0 * (x.1 / x.0).powf(f64::from(k) / 32.0))
            .map(|v| (v, f(v)))
            .collect();
        chart
            .draw_series(LineSeries::new(samples, style))
            .map_err(error)?
            .label(name.as_str())
            .legend(move |(px, py)| PathElement::new(vec![(px, py), (px + 16, py)], style));
    }
    for (i, (name, points)) in figure.points.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| p.0 > 0.0 && p.1 > 0.0)
                    .map(|&p| Circle::new(p, 4, color.filled())),
            )
            .map_err(error)?
            .label(name.as_str())
            .legend(move |(px, py)| Circle::new((px + 8, py), 4, color.filled()));
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(error)?;
    root.present().map_err(error)?;
    Ok(())
}

/// Draws `figure`, writes `dir/NAME.svg` and `dir/NAME.png`, and returns the SVG text.
pub fn render(figure: &Figure, dir: &Path) -> Result<String> {
    register_font();
    std::fs::create_dir_all(dir)?;
    let size = (720, 460);
    let mut svg = String::new();
    draw(
        SVGBackend::with_string(&mut svg, size).into_drawing_area(),
        figure,
    )?;
    std::fs::write(dir.join(format!("{}.svg", figure.name)), &svg)?;
    let png = dir.join(format!("{}.png", figure.name));
    draw(BitMapBackend::new(&png, size).into_drawing_area(), figure)?;
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick(&0.30000000000000004), "0.3");
        assert_eq!(tick(&200000.00000000003), "2.0e5");
        assert_eq!(tick(&1500.0), "1500");
        assert_eq!(tick(&0.125), "0.125");
        assert_eq!(tick(&2.0), "2");
    }

    #[test]
    fn narrow_ranges_are_widened_to_a_decade() {
        let (lo, hi) = bounds([200_000.0, 233_000.0].into_iter());
        assert!(hi / lo >= 10.0 - 1e-9 && lo < 200_000.0 && hi > 233_000.0);
        let (lo, hi) = bounds([1.0, 1000.0].into_iter());
        assert!((lo - 1.0 / 1.5).abs() < 1e-12 && (hi - 1500.0).abs() < 1e-9);
    }
}
