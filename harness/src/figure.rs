//! Figures drawn with plotters, as SVG (inlined into the report) and PNG (saved beside it).
//! One declarative [`Figure`] type and one drawing function serve every part.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::prelude::*;

/// A reference curve y = factor · x^power: a straight line on log-log axes (power 1: a
/// proportion such as "2 bits per parameter"; power 0: a level such as B_max).
pub struct Line {
    pub name: String,
    pub factor: f64,
    pub power: f64,
    /// Drawn dashed in the colour of point series `i` (a level that belongs to one series, such
    /// as that N's B_max); otherwise solid grey.
    pub series: Option<usize>,
    /// The x range it is drawn over (clipped to the plot), e.g. a fit's own data and beyond;
    /// the whole plot when `None`.
    pub span: Option<(f64, f64)>,
}

impl Line {
    pub fn proportional(name: impl Into<String>, slope: f64) -> Self {
        Self {
            name: name.into(),
            factor: slope,
            power: 1.0,
            series: None,
            span: None,
        }
    }

    pub fn level(name: impl Into<String>, y: f64) -> Self {
        Self {
            name: name.into(),
            factor: y,
            power: 0.0,
            series: None,
            span: None,
        }
    }

    /// The same line, dashed in the colour of point series `i`.
    pub fn of_series(self, i: usize) -> Self {
        Self {
            series: Some(i),
            ..self
        }
    }

    fn style(&self, i: usize) -> ShapeStyle {
        match self.series {
            Some(k) => ShapeStyle::from(&COLORS[k % COLORS.len()]).stroke_width(2),
            None => {
                ShapeStyle::from(&BLACK.mix([0.8, 0.45][i % 2])).stroke_width(2 - (i % 2) as u32)
            }
        }
    }

    fn at(&self, x: f64) -> f64 {
        self.factor * x.powf(self.power)
    }

    /// The part of the plot's x range `x` the line covers (None if it misses the plot).
    fn drawn(&self, x: (f64, f64)) -> Option<(f64, f64)> {
        let (from, to) = self.span.map_or(x, |(a, b)| (a.max(x.0), b.min(x.1)));
        (from < to).then_some((from, to))
    }
}

/// How both axes are scaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Axes {
    /// Logarithmic: power laws are straight lines; points at or below zero are left out.
    LogLog,
    /// Linear, the y axis from 0 (or below, if a value is): accuracies, counts by level.
    Linear,
}

/// A scatter plot with optional reference lines; the legend sits right of the plot, so it never
/// hides a point.
pub struct Figure {
    /// File stem under `figures/`.
    pub name: String,
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    /// Named point series.
    pub points: Vec<(String, Vec<(f64, f64)>)>,
    /// Reference lines, drawn across the x range.
    pub lines: Vec<Line>,
    pub axes: Axes,
}

const COLORS: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
];

/// Width of the legend column right of the plot, in pixels: room for the longest name (about
/// 7 pixels a character at the legend's 13-pixel font), between 200 and 360.
fn legend_width(figure: &Figure) -> u32 {
    let names = figure.points.iter().map(|(name, _)| name.as_str());
    let longest = names
        .chain(figure.lines.iter().map(|l| l.name.as_str()))
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0);
    (30 + 7 * longest as u32).clamp(200, 360)
}

fn register_font() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let font: &'static [u8] = include_bytes!("../../templates/fonts/DejaVuSans.ttf");
        if plotters::style::register_font("sans-serif", FontStyle::Normal, font).is_err() {
            eprintln!("warning: the embedded figure font could not be loaded");
        }
    });
}

/// A linear axis range: the values with 8 % of their spread either side, and 0 when `from_zero`.
fn linear_bounds(values: impl Iterator<Item = f64>, from_zero: bool) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return (0.0, 1.0);
    }
    let lo = if from_zero { lo.min(0.0) } else { lo };
    let pad = ((hi - lo) * 0.08).max(1e-9 * hi.abs().max(1.0));
    (
        if from_zero && lo >= 0.0 {
            0.0
        } else {
            lo - pad
        },
        hi + pad,
    )
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

/// Every `m × 10^k` in `[lo, hi]` for the mantissas `m`, ascending.
fn log_ticks(lo: f64, hi: f64, mantissas: &[f64]) -> Vec<f64> {
    let (first, last) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    (first..=last)
        .flat_map(|k| mantissas.iter().map(move |m| m * 10f64.powi(k)))
        .filter(|v| (lo..=hi).contains(v))
        .collect()
}

/// A tick label with three significant digits and no float noise (`0.30000000000000004`);
/// thousands and millions as `20k`, `1.5M`.
fn tick(value: &f64) -> String {
    let v = *value;
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let magnitude = v.abs().log10().floor();
    if !(-3.0..9.0).contains(&magnitude) {
        return format!("{v:.1e}");
    }
    if magnitude >= 6.0 {
        return format!("{}M", tick(&(v / 1e6)));
    }
    if magnitude >= 4.0 {
        return format!("{}k", tick(&(v / 1e3)));
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
    let (width, _) = root.dim_in_pixel();
    let (plot, legend) = root.split_horizontally(width.saturating_sub(legend_width(figure)));
    let log = figure.axes == Axes::LogLog;
    // Log axes: points at or below zero cannot be drawn (the tables still list them).
    let all = || {
        figure
            .points
            .iter()
            .flat_map(|(_, p)| p.iter().copied())
            .filter(move |p| !log || (p.0 > 0.0 && p.1 > 0.0))
    };
    let x = if log {
        bounds(all().map(|p| p.0))
    } else {
        linear_bounds(all().map(|p| p.0), false)
    };
    let line_ends = figure
        .lines
        .iter()
        .filter_map(|l| l.drawn(x).map(|(a, b)| [l.at(a), l.at(b)]))
        .flatten();
    let y_values = all().map(|p| p.1).chain(line_ends);
    let mut chart = ChartBuilder::on(&plot);
    chart
        .caption(&figure.title, ("sans-serif", 17))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60);
    if log {
        let y = bounds(y_values);
        // plotters labels a log axis at powers of ten only (one label when the data spans a
        // decade), so the ticks are set here: 1, 2, 5 × 10^k, light lines at every m × 10^k.
        let axis = |(lo, hi): (f64, f64)| {
            (lo..hi)
                .log_scale()
                .with_key_points(log_ticks(lo, hi, &[1.0, 2.0, 5.0]))
                .with_light_points(log_ticks(lo, hi, &[1., 2., 3., 4., 5., 6., 7., 8., 9.]))
        };
        let chart = chart.build_cartesian_2d(axis(x), axis(y)).map_err(error)?;
        plot_on(chart, figure, x, |from, to, k| from * (to / from).powf(k))
    } else {
        let y = linear_bounds(y_values, true);
        let chart = chart
            .build_cartesian_2d(x.0..x.1, y.0..y.1)
            .map_err(error)?;
        plot_on(chart, figure, x, |from, to, k| from + (to - from) * k)
    }
    .map_err(|e| anyhow!("drawing {}: {e}", figure.name))?;
    draw_legend(&legend, figure).map_err(error)?;
    root.present().map_err(error)?;
    Ok(())
}

/// Mesh, reference lines and points on a chart of either kind of axes; `between(from, to, k)`
/// is the point a share k of the way from `from` to `to` along the x axis as drawn.
fn plot_on<DB, X, Y>(
    mut chart: ChartContext<'_, DB, Cartesian2d<X, Y>>,
    figure: &Figure,
    x: (f64, f64),
    between: impl Fn(f64, f64, f64) -> f64,
) -> Result<(), String>
where
    DB: DrawingBackend,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let error = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("{e:?}");
    let log = figure.axes == Axes::LogLog;
    chart
        .configure_mesh()
        .x_desc(&figure.x_label)
        .y_desc(&figure.y_label)
        .x_labels(8)
        .y_labels(10)
        .x_label_formatter(&tick)
        .y_label_formatter(&tick)
        .draw()
        .map_err(error)?;
    for (i, line) in figure.lines.iter().enumerate() {
        let Some((from, to)) = line.drawn(x) else {
            continue;
        };
        let samples: Vec<(f64, f64)> = (0..=32)
            .map(|k| between(from, to, f64::from(k) / 32.0))
            .map(|v| (v, line.at(v)))
            .collect();
        let style = line.style(i);
        if line.series.is_some() {
            chart
                .draw_series(DashedLineSeries::new(samples, 8, 5, style))
                .map_err(error)?;
        } else {
            chart
                .draw_series(LineSeries::new(samples, style))
                .map_err(error)?;
        }
    }
    for (i, (_, points)) in figure.points.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        chart
            .draw_series(
                points
                    .iter()
                    .filter(|p| !log || (p.0 > 0.0 && p.1 > 0.0))
                    .map(|&p| Circle::new(p, 4, color.filled())),
            )
            .map_err(error)?;
    }
    Ok(())
}

/// The legend: one row per series, then per reference line.
fn draw_legend<DB: DrawingBackend>(
    legend: &DrawingArea<DB, Shift>,
    figure: &Figure,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let font = ("sans-serif", 13).into_font();
    let row = |k: usize| 48 + 20 * k as i32;
    for (k, (name, _)) in figure.points.iter().enumerate() {
        let color = COLORS[k % COLORS.len()];
        legend.draw(&Circle::new((14, row(k)), 4, color.filled()))?;
        legend.draw(&Text::new(name.as_str(), (26, row(k) - 7), font.clone()))?;
    }
    for (i, line) in figure.lines.iter().enumerate() {
        let y = row(figure.points.len() + i);
        legend.draw(&PathElement::new(vec![(4, y), (22, y)], line.style(i)))?;
        legend.draw(&Text::new(line.name.as_str(), (26, y - 7), font.clone()))?;
    }
    Ok(())
}

/// Draws `figure`, writes `dir/NAME.svg` and `dir/NAME.png`, and returns the SVG text.
pub fn render(figure: &Figure, dir: &Path) -> Result<String> {
    register_font();
    std::fs::create_dir_all(dir)?;
    let size = (860, 460);
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
        assert_eq!(tick(&200000.00000000003), "200k");
        assert_eq!(tick(&20000.0), "20k");
        assert_eq!(tick(&1500.0), "1500");
        assert_eq!(tick(&2.5e6), "2.5M");
        assert_eq!(tick(&3e10), "3.0e10");
        assert_eq!(tick(&0.0001), "1.0e-4");
        assert_eq!(tick(&0.125), "0.125");
        assert_eq!(tick(&2.0), "2");
    }

    #[test]
    fn log_ticks_are_one_two_five_per_decade() {
        assert_eq!(
            log_ticks(7000.0, 70_000.0, &[1.0, 2.0, 5.0]),
            [10_000.0, 20_000.0, 50_000.0]
        );
        assert_eq!(log_ticks(0.9, 3.0, &[1.0, 2.0, 5.0]), [1.0, 2.0]);
    }

    #[test]
    fn narrow_ranges_are_widened_to_a_decade() {
        let (lo, hi) = bounds([200_000.0, 233_000.0].into_iter());
        assert!(hi / lo >= 10.0 - 1e-9 && lo < 200_000.0 && hi > 233_000.0);
        let (lo, hi) = bounds([1.0, 1000.0].into_iter());
        assert!((lo - 1.0 / 1.5).abs() < 1e-12 && (hi - 1500.0).abs() < 1e-9);
    }

    #[test]
    fn linear_ranges_pad_and_start_at_zero_when_asked() {
        let (lo, hi) = linear_bounds([1.0, 5.0].into_iter(), false);
        assert!((lo - 0.68).abs() < 1e-12 && (hi - 5.32).abs() < 1e-12);
        let (lo, hi) = linear_bounds([0.4, 0.9].into_iter(), true);
        assert!(lo == 0.0 && (hi - 0.972).abs() < 1e-12);
        assert_eq!(linear_bounds(std::iter::empty(), true), (0.0, 1.0));
    }
}
