//! `--plot equity.png`: the equity curve above its drawdown, drawn with an embedded font so no
//! system font is needed.

use std::path::Path;

use chrono::{DateTime, Utc};
use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSansMono.ttf");

/// Draws `curve` (time, equity, drawdown) to a PNG.
pub fn draw(
    path: &Path,
    title: &str,
    curve: &[(DateTime<Utc>, Decimal, Decimal)],
) -> anyhow::Result<()> {
    // Registering twice is harmless; plotters keeps the first.
    let _ = register_font("sans-serif", FontStyle::Normal, FONT);
    let Some(origin) = curve.first().map(|p| p.0) else {
        anyhow::bail!("nothing to plot: the equity curve is empty");
    };
    // Time as days since the first point (plotters' own time axes need an extra feature).
    let days = |t: DateTime<Utc>| (t - origin).num_seconds() as f64 / 86_400.0;
    let label = move |x: &f64| {
        (origin + chrono::Duration::seconds((x * 86_400.0) as i64))
            .format("%m-%d %H:%M")
            .to_string()
    };
    let points: Vec<(f64, f64, f64)> = curve
        .iter()
        .map(|(t, e, d)| {
            (
                days(*t),
                e.to_f64().unwrap_or(0.0),
                -d.to_f64().unwrap_or(0.0),
            )
        })
        .collect();
    let (t0, t1) = (0.0, points.last().map_or(0.0, |p| p.0).max(1.0 / 86_400.0));
    let (lo, hi) = points.iter().fold((f64::MAX, f64::MIN), |(lo, hi), p| {
        (lo.min(p.1), hi.max(p.1))
    });
    let pad = ((hi - lo) * 0.05).max(0.01);
    let worst = points.iter().map(|p| p.2).fold(0.0, f64::min);

    let root = BitMapBackend::new(path, (1200, 800)).into_drawing_area();
    root.fill(&WHITE)?;
    let (top, bottom) = root.split_vertically(540);
    let mut equity = ChartBuilder::on(&top)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(80)
        .build_cartesian_2d(t0..t1, (lo - pad)..(hi + pad))?;
    equity
        .configure_mesh()
        .y_desc("equity ($)")
        .x_label_formatter(&label)
        .draw()?;
    equity.draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.1)), &BLUE))?;

    let mut drawdown = ChartBuilder::on(&bottom)
        .margin(12)
        .x_label_area_size(30)
        .y_label_area_size(80)
        .build_cartesian_2d(t0..t1, (worst * 1.1 - 0.01)..0.0)?;
    drawdown
        .configure_mesh()
        .y_desc("drawdown ($)")
        .x_label_formatter(&label)
        .draw()?;
    drawdown.draw_series(LineSeries::new(points.iter().map(|p| (p.0, p.2)), &RED))?;
    root.present()?;
    Ok(())
}
