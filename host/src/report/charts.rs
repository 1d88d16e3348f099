//! The report's charts, drawn by `plotters` into inline SVG strings (no script, no network).
use plotters::prelude::*;

/// One agent call of the timeline: `[start_ms, end_ms)` on a lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    pub agent: String,
    pub iteration: u32,
    pub start_ms: u64,
    pub end_ms: u64,
    /// Row of the chart: calls that overlap in time get different lanes.
    pub lane: usize,
}

/// The colour of an agent role, stable across charts and runs: the pipeline's own roles
/// (by family: the text before the first `-` or `:`) each have their own colour; any other
/// role (a third-party strategy's) gets one picked by a hash of its family.
pub fn colour(agent: &str) -> RGBColor {
    const KNOWN: [(&str, RGBColor); 13] = [
        ("intent", RGBColor(127, 127, 127)),
        ("probe", RGBColor(188, 189, 34)),
        ("metis", RGBColor(31, 119, 180)),
        ("strategy", RGBColor(199, 199, 199)),
        ("prometheus", RGBColor(44, 160, 44)),
        ("variant", RGBColor(152, 223, 138)),
        ("synthesizer", RGBColor(23, 190, 207)),
        ("momus", RGBColor(148, 103, 189)),
        ("redteam", RGBColor(214, 39, 40)),
        ("oracle", RGBColor(255, 127, 14)),
        ("convergence", RGBColor(227, 119, 194)),
        ("hephaestus", RGBColor(140, 86, 75)),
        ("atlas", RGBColor(0, 0, 0)),
    ];
    const PALETTE: [RGBColor; 6] = [
        RGBColor(174, 199, 232),
        RGBColor(255, 187, 120),
        RGBColor(255, 152, 150),
        RGBColor(197, 176, 213),
        RGBColor(196, 156, 148),
        RGBColor(219, 219, 141),
    ];
    let family = agent.split(['-', ':']).next().unwrap_or(agent);
    if let Some((_, c)) = KNOWN.iter().find(|(f, _)| *f == family) {
        return *c;
    }
    let h = family
        .bytes()
        .fold(5381u32, |h, b| h.wrapping_mul(33) ^ u32::from(b));
    PALETTE[h as usize % PALETTE.len()]
}

/// Assigns lanes: each bar goes on the first lane free at its start (interval partitioning,
/// bars sorted by start), so calls that ran in parallel stack up.
pub fn assign_lanes(bars: &mut [Bar]) {
    bars.sort_by_key(|b| (b.start_ms, b.end_ms));
    let mut lane_end: Vec<u64> = Vec::new();
    for b in bars.iter_mut() {
        match lane_end.iter().position(|&end| end <= b.start_ms) {
            Some(l) => {
                lane_end[l] = b.end_ms;
                b.lane = l;
            }
            None => {
                b.lane = lane_end.len();
                lane_end.push(b.end_ms);
            }
        }
    }
}

fn svg_error<E: std::fmt::Debug>(e: E) -> String {
    format!("cannot draw the chart: {e:?}")
}

/// `#rrggbb` of [`colour`], for a legend outside the chart.
pub fn colour_hex(agent: &str) -> String {
    let RGBColor(r, g, b) = colour(agent);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The stage timeline: every agent call a bar (x: ms since the run began), one colour per
/// role ([`colour`]; the legend is the caller's); `iterations` are the times a new iteration
/// began (drawn as rules).
///
/// # Errors
/// A drawing failure, as text (not expected for an in-memory SVG).
pub fn timeline(bars: &[Bar], iterations: &[(u32, u64)]) -> Result<String, String> {
    let lanes = bars.iter().map(|b| b.lane + 1).max().unwrap_or(1);
    let end = bars.iter().map(|b| b.end_ms).max().unwrap_or(1).max(1);
    let height = (140 + lanes as u32 * 22).min(1400);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, height)).into_drawing_area();
        root.fill(&WHITE).map_err(svg_error)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(40)
            .build_cartesian_2d(0u64..end + end / 50 + 1, 0f64..lanes as f64)
            .map_err(svg_error)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc("ms since the run began")
            .y_desc("parallel calls")
            .draw()
            .map_err(svg_error)?;
        let mut roles: Vec<&str> = bars.iter().map(|b| b.agent.as_str()).collect();
        roles.sort_unstable();
        roles.dedup();
        for role in roles {
            let c = colour(role);
            chart
                .draw_series(bars.iter().filter(|b| b.agent == role).map(|b| {
                    let y = (lanes - 1 - b.lane) as f64;
                    Rectangle::new(
                        [
                            (b.start_ms, y + 0.1),
                            (b.end_ms.max(b.start_ms + 1), y + 0.9),
                        ],
                        c.filled(),
                    )
                }))
                .map_err(svg_error)?;
        }
        for (_, t) in iterations {
            chart
                .draw_series(LineSeries::new(
                    [(*t, 0.0), (*t, lanes as f64)],
                    BLACK.stroke_width(1),
                ))
                .map_err(svg_error)?;
        }
        root.present().map_err(svg_error)?;
    }
    Ok(svg)
}

/// A line chart: one series of `(x, y)` points per name, and horizontal rules
/// `(label, y)` (thresholds).
///
/// # Errors
/// A drawing failure, as text.
pub fn lines(
    series: &[(String, Vec<(f64, f64)>)],
    rules: &[(String, f64)],
    x_desc: &str,
    y_desc: &str,
) -> Result<String, String> {
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let x_max = points.clone().map(|p| p.0).fold(1.0, f64::max);
    let y_max = points
        .map(|p| p.1)
        .chain(rules.iter().map(|r| r.1))
        .fold(1.0, f64::max)
        * 1.1;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, 320)).into_drawing_area();
        root.fill(&WHITE).map_err(svg_error)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(-0.2f64..x_max + 0.2, 0f64..y_max)
            .map_err(svg_error)?;
        // The x axis counts depths: whole numbers only.
        let whole = |x: &f64| {
            if (x - x.round()).abs() < 1e-9 && *x >= 0.0 {
                format!("{x:.0}")
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .x_labels(x_max as usize * 5 + 3)
            .x_label_formatter(&whole)
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(svg_error)?;
        for (i, (name, pts)) in series.iter().enumerate() {
            let c = Palette99::pick(i).to_rgba();
            chart
                .draw_series(LineSeries::new(pts.iter().copied(), c.stroke_width(2)))
                .map_err(svg_error)?
                .label(name.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 12, y)], c.stroke_width(2)));
            chart
                .draw_series(pts.iter().map(|p| Circle::new(*p, 4, c.filled())))
                .map_err(svg_error)?;
        }
        for (i, (label, y)) in rules.iter().enumerate() {
            let c = Palette99::pick(i + 5).to_rgba();
            chart
                .draw_series(DashedLineSeries::new(
                    [(-0.2, *y), (x_max + 0.2, *y)],
                    6,
                    4,
                    c.stroke_width(1),
                ))
                .map_err(svg_error)?
                .label(label.clone())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 12, y)], c));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(svg_error)?;
        root.present().map_err(svg_error)?;
    }
    Ok(svg)
}

/// Horizontal bars: one per `(label, value)`, with an optional limit drawn as a rule.
///
/// # Errors
/// A drawing failure, as text.
pub fn bars(items: &[(String, f64)], x_desc: &str) -> Result<String, String> {
    let n = items.len().max(1);
    let x_max = items.iter().map(|i| i.1).fold(1.0, f64::max) * 1.15;
    let height = (60 + n as u32 * 24).min(1400);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (720, height)).into_drawing_area();
        root.fill(&WHITE).map_err(svg_error)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(150)
            .build_cartesian_2d(0f64..x_max, (0..n).into_segmented())
            .map_err(svg_error)?;
        let labels: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(x_desc)
            .y_labels(n)
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(svg_error)?;
        chart
            .draw_series(items.iter().enumerate().map(|(i, (label, v))| {
                Rectangle::new(
                    [
                        (0.0, SegmentValue::Exact(i)),
                        (*v, SegmentValue::Exact(i + 1)),
                    ],
                    colour(label).filled(),
                )
            }))
            .map_err(svg_error)?;
        root.present().map_err(svg_error)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(agent: &str, start_ms: u64, end_ms: u64) -> Bar {
        Bar {
            agent: agent.into(),
            iteration: 1,
            start_ms,
            end_ms,
            lane: 0,
        }
    }

    #[test]
    fn overlapping_calls_get_their_own_lanes() {
        let mut b = vec![
            bar("a", 0, 10),
            bar("b", 2, 8),
            bar("c", 3, 12),
            bar("d", 10, 20),
        ];
        assign_lanes(&mut b);
        let lanes: Vec<usize> = b.iter().map(|b| b.lane).collect();
        assert_eq!(lanes, [0, 1, 2, 0]);
    }

    #[test]
    fn charts_are_svg() {
        let mut b = vec![bar("momus", 0, 10), bar("redteam-scope", 2, 8)];
        assign_lanes(&mut b);
        let svg = timeline(&b, &[(1, 0)]).unwrap();
        // The bars are drawn in the role's colour (the legend is the page's).
        let fill = colour_hex("momus").to_uppercase();
        assert!(
            svg.starts_with("<svg") && svg.to_uppercase().contains(&fill),
            "{svg}"
        );
        let l = lines(
            &[("iteration 1".into(), vec![(0.0, 80.0), (1.0, 90.0)])],
            &[("delta < 0.15".into(), 0.15)],
            "depth",
            "score",
        )
        .unwrap();
        assert!(l.contains("<svg") && l.contains("delta &lt; 0.15"), "{l}");
        let h = bars(&[("momus".into(), 3.0)], "spawns").unwrap();
        assert!(h.contains("<svg"));
    }
}
