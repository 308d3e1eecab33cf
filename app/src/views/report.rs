//! The Bilan screen: what the group did over a period, month by month, for
//! members and for funders. Each chart has its numbers written beside it
//! (the chart helps to compare, the table is what one reads and quotes).
//! The figures ([`Bilan`], computed in the model) are computed once per
//! view and period, never per frame, in the device's time zone.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{Datelike, TimeZone};
use egui::RichText;
use egui_plot::{Bar, BarChart, Corner, Legend, Plot};
use passerelle_core::model::{CommunityView, Timestamp};
use passerelle_model::bilan::{Bilan, Month};

use super::Cx;
use super::cache::SameArc;
use super::files::export_button;
use crate::design::{self, Kind};
use crate::i18n::Lang;

/// The width of a figure's card: room for a large number and two short
/// lines of words.
const FIGURE_WIDTH: f32 = 220.0;
/// The height of a figure's card: the number, its words and, for active
/// members, three short lines saying what counts.
const FIGURE_HEIGHT: f32 = 150.0;

/// Which period the figures cover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Period {
    /// The last twelve months.
    #[default]
    Last12Months,
    /// Since the first of January.
    ThisYear,
    /// Since the community began, events planned included.
    Everything,
}

impl Period {
    /// The first instant of the period, for `now`.
    fn start(self, now: Timestamp) -> Timestamp {
        const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;
        match self {
            Period::Last12Months => now - YEAR_MS,
            Period::ThisYear => {
                let year = chrono::Local
                    .timestamp_millis_opt(now)
                    .single()
                    .map_or(1970, |d| d.year());
                chrono::Local
                    .with_ymd_and_hms(year, 1, 1, 0, 0, 0)
                    .single()
                    .map_or(0, |d| d.timestamp_millis())
            }
            Period::Everything => i64::MIN,
        }
    }
}

/// The Bilan screen's state: the period and its figures, cached by view.
#[derive(Default)]
pub struct ReportPanel {
    period: Period,
    cached: Option<(SameArc<CommunityView>, Period, Arc<Bilan>)>,
}

impl ReportPanel {
    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.report();
        design::heading(ui, Kind::Report, t.title);
        ui.label(t.intro);
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(t.period);
            egui::ComboBox::from_id_salt("report-period")
                .selected_text(self.period_label(cx))
                .show_ui(ui, |ui| {
                    for (p, text) in [
                        (Period::Last12Months, t.last_12_months),
                        (Period::ThisYear, t.this_year),
                        (Period::Everything, t.everything),
                    ] {
                        ui.selectable_value(&mut self.period, p, text);
                    }
                })
                .response
                .labelled_by(label.id);
        });
        let bilan = match &self.cached {
            Some((of, p, b)) if !of.changed(cx.view) && *p == self.period => b.clone(),
            _ => {
                let now = cx.now.timestamp_millis();
                // Since the beginning includes the events planned.
                let end = match self.period {
                    Period::Everything => i64::MAX,
                    Period::Last12Months | Period::ThisYear => now,
                };
                let b = Arc::new(Bilan::compute(
                    view,
                    self.period.start(now),
                    end,
                    &chrono::Local,
                ));
                self.cached = Some((SameArc::new(cx.view), self.period, b.clone()));
                b
            }
        };
        export_button(ui, cx, t.export_csv, "bilan.csv", || Ok(bilan.to_csv(view)));
        ui.add_space(design::GAP);
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                bilan_ui(ui, cx, &bilan);
            });
    }

    fn period_label(&self, cx: &Cx) -> &'static str {
        let t = cx.lang.report();
        match self.period {
            Period::Last12Months => t.last_12_months,
            Period::ThisYear => t.this_year,
            Period::Everything => t.everything,
        }
    }

    /// Nothing to bring forward: the Bilan has no items of its own.
    pub fn open(&mut self, _id: &str) {}

    /// The Bilan sends no commands.
    pub fn applied(&mut self) {}
}

/// The totals, then one section a chart and its table, top to bottom.
fn bilan_ui(ui: &mut egui::Ui, cx: &Cx, b: &Bilan) {
    summary_ui(ui, cx, b);
    exchanges_ui(ui, cx, b);
    active_members_ui(ui, cx, b);
    events_ui(ui, cx, b);
    ideas_ui(ui, cx, b);
}

/// The period's totals, in big numbers: a card a figure.
fn summary_ui(ui: &mut egui::Ui, cx: &Cx, b: &Bilan) {
    let lang = cx.lang;
    let t = lang.report();
    ui.horizontal_wrapped(|ui| {
        for (n, what, help) in [
            (
                b.active_in_period,
                t.members_active,
                Some(t.members_active_help),
            ),
            (b.members, t.members_total, None),
            (b.opened_total(), t.exchanges_opened, None),
            (b.done_total(), t.exchanges_done, None),
            (b.posts, t.posts, None),
        ] {
            let size = egui::vec2(FIGURE_WIDTH, FIGURE_HEIGHT);
            let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
            let layout = egui::Layout::top_down(egui::Align::LEFT);
            let mut card = ui.new_child(egui::UiBuilder::new().max_rect(rect).layout(layout));
            design::card(&mut card, Kind::Report, |ui| {
                // The card's margins (12 + 12) and its stroke.
                ui.set_min_height(FIGURE_HEIGHT - 26.0);
                ui.label(RichText::new(lang.number(n)).size(design::FIGURE).strong());
                ui.add(egui::Label::new(what).wrap());
                if let Some(help) = help {
                    design::meta(ui, help);
                }
            });
        }
    });
}

/// Échanges opened and done, per month, stacked by category.
fn exchanges_ui(ui: &mut egui::Ui, cx: &Cx, b: &Bilan) {
    let t = cx.lang.report();
    let empty = b.opened.is_empty() && b.done.is_empty();
    section(ui, cx, t.by_category, empty, |ui| {
        ui.vertical(|ui| exchange_charts_ui(ui, cx, b));
        ui.vertical(|ui| exchange_tables_ui(ui, cx, b));
    });
}

/// One chart for the échanges opened, one for those done.
fn exchange_charts_ui(ui: &mut egui::Ui, cx: &Cx, b: &Bilan) {
    let (t, view) = (cx.lang.report(), &**cx.view);
    for (series, title) in [(&b.opened, t.chart_opened), (&b.done, t.chart_done)] {
        ui.label(RichText::new(title).strong());
        let charts = series
            .iter()
            .map(|(category, values)| (view.category_label(category).to_owned(), values.clone()))
            .collect();
        chart(
            ui,
            cx,
            title,
            b.months.len(),
            month_axis(b),
            stacked(charts),
        );
    }
}

/// The échanges' numbers by category, then by month.
fn exchange_tables_ui(ui: &mut egui::Ui, cx: &Cx, b: &Bilan) {
    let (lang, view) = (cx.lang, &**cx.view);
    let t = lang.report();
    table(
        ui,
        "bilan-categories",
        [t.category, t.opened, t.done],
        |ui| {
            let categories: BTreeSet<&String> = b.opened.keys().chain(b.done.keys()).collect();
            let sum = |map: &BTreeMap<String, Vec<usize>>, c: &str| {
                map.get(c).map_or(0, |v| v.iter().sum::<usize>())
            };
            for category in categories {
                ui.label(view.category_label(category));
                ui.label(lang.number(sum(&b.opened, category)));
                ui.label(lang.number(sum(&b.done, category)));
                ui.end_row();
            }
            ui.label(RichText::new(t.total).strong());
            ui.label(RichText::new(lang.number(b.opened_total())).strong());
            ui.label(RichText::new(lang.number(b.done_total())).strong());
            ui.end_row();
        },
    );
    ui.add_space(12.0);
    table(
        ui,
        "bilan-exchange-months",
        [t.month, t.opened, t.done],
        |ui| {
            let in_month = |map: &BTreeMap<String, Vec<usize>>, i: usize| {
                map.values().map(|v| v[i]).sum::<usize>()
            };
            for (i, m) in b.months.iter().enumerate() {
                ui.label(month_name(lang, m));
                ui.label(lang.number(in_month(&b.opened, i)));
                ui.label(lang.number(in_month(&b.done, i)));
                ui.end_row();
            }
        },
    );
}

/// Active members per month.
fn active_members_ui(ui: &mut egui::Ui, cx: &Cx, b: &Bilan) {
    let lang = cx.lang;
    let t = lang.report();
    section(ui, cx, t.active_by_month, b.months.is_empty(), |ui| {
        let values = b.active.clone();
        chart(
            ui,
            cx,
            t.active_by_month,
            b.months.len(),
            month_axis(b),
            vec![bars(t.active, &values, 0.0, 0.7)],
        );
        table(ui, "bilan-active", [t.month, t.active], |ui| {
            for (m, n) in b.months.iter().zip(&b.active) {
                ui.label(month_name(lang, m));
                ui.label(lang.number(*n));
                ui.end_row();
            }
        });
    });
}

/// Events: who is coming beside the places.
fn events_ui(ui: &mut egui::Ui, cx: &Cx, b: &Bilan) {
    let lang = cx.lang;
    let t = lang.report();
    section(ui, cx, t.events, b.events.is_empty(), |ui| {
        let coming: Vec<usize> = b.events.iter().map(|e| e.coming).collect();
        let places: Vec<usize> = b
            .events
            .iter()
            .map(|e| e.capacity.map_or(0, |c| c.max(0) as usize))
            .collect();
        chart(
            ui,
            cx,
            t.events,
            b.events.len(),
            |i| Some(lang.number(i + 1)),
            vec![
                bars(t.capacity, &places, -0.2, 0.4),
                bars(t.coming, &coming, 0.2, 0.4),
            ],
        );
        table(ui, "bilan-events", [t.event, t.coming, t.capacity], |ui| {
            for (i, e) in b.events.iter().enumerate() {
                ui.label(format!("{}. {}", i + 1, e.title));
                ui.label(lang.number(e.coming));
                ui.label(
                    e.capacity
                        .map_or(t.unlimited.to_owned(), |c| lang.number(c)),
                );
                ui.end_row();
            }
        });
    });
}

/// Ideas per theme over the period.
fn ideas_ui(ui: &mut egui::Ui, cx: &Cx, b: &Bilan) {
    let (lang, view) = (cx.lang, &**cx.view);
    let t = lang.report();
    section(ui, cx, t.ideas_by_theme, b.ideas.is_empty(), |ui| {
        let themes: Vec<(&str, usize)> = b
            .ideas
            .iter()
            .map(|(theme, values)| {
                let label = theme
                    .as_deref()
                    .map_or(t.no_theme, |th| view.theme_label(th));
                (label, values.iter().sum())
            })
            .collect();
        let counts: Vec<usize> = themes.iter().map(|(_, n)| *n).collect();
        let names: Vec<String> = themes.iter().map(|(l, _)| (*l).to_owned()).collect();
        chart(
            ui,
            cx,
            t.ideas_by_theme,
            themes.len(),
            move |i| names.get(i).cloned(),
            vec![bars(t.ideas, &counts, 0.0, 0.7)],
        );
        table(ui, "bilan-ideas", [t.theme, t.ideas], |ui| {
            for (label, n) in &themes {
                ui.label(*label);
                ui.label(lang.number(*n));
                ui.end_row();
            }
        });
    });
}

/// The x axis of a chart by month: each mark named by its month.
fn month_axis(b: &Bilan) -> impl Fn(usize) -> Option<String> + '_ {
    |i| b.months.get(i).map(Month::to_string)
}

/// A month's name in `lang`, in the device's time zone.
fn month_name(lang: Lang, m: &Month) -> String {
    m.start(&chrono::Local)
        .map_or(m.to_string(), |s| lang.month(s))
}

/// A titled part of the screen: its chart and, beside it, its numbers.
fn section(ui: &mut egui::Ui, cx: &Cx, title: &str, empty: bool, body: impl FnOnce(&mut egui::Ui)) {
    ui.add_space(design::SECTION);
    ui.heading(title);
    if empty {
        design::empty(ui, cx.lang.report().nothing);
    } else {
        ui.horizontal_top(body);
    }
}

/// One bar a value, at `x = index + offset`.
fn bars(name: &str, values: &[usize], offset: f64, width: f64) -> BarChart {
    BarChart::new(
        name,
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Bar::new(i as f64 + offset, *v as f64).width(width))
            .collect(),
    )
}

/// One bar chart per series, each stacked on the ones before.
fn stacked(series: Vec<(String, Vec<usize>)>) -> Vec<BarChart> {
    let mut charts: Vec<BarChart> = Vec::with_capacity(series.len());
    for (name, values) in series {
        let chart = bars(&name, &values, 0.0, 0.7);
        let below: Vec<&BarChart> = charts.iter().collect();
        let chart = chart.stack_on(&below);
        charts.push(chart);
    }
    charts
}

/// A still bar chart (no zoom, no drag: the numbers are in the table)
/// whose x axis names its integer marks with `axis`, announced to screen
/// readers by its title.
fn chart(
    ui: &mut egui::Ui,
    cx: &Cx,
    title: &str,
    columns: usize,
    axis: impl Fn(usize) -> Option<String>,
    charts: Vec<BarChart>,
) {
    let label = format!("{} {title}", cx.lang.report().chart);
    let response = Plot::new(("bilan-chart", title))
        .width(520.0)
        .height(220.0)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .allow_double_click_reset(false)
        .include_y(0.0)
        .include_x(-0.6)
        .include_x(columns as f64 - 0.4)
        .legend(
            Legend::default()
                .position(Corner::LeftTop)
                .text_style(egui::TextStyle::Small)
                .background_alpha(0.6),
        )
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            axis(i as usize).unwrap_or_default()
        })
        .show(ui, |plot| {
            for chart in charts {
                plot.bar_chart(chart);
            }
        })
        .response;
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Figure, true, &label));
}

/// A grid with a header row.
fn table<const N: usize>(
    ui: &mut egui::Ui,
    id: &str,
    header: [&str; N],
    rows: impl FnOnce(&mut egui::Ui),
) {
    egui::Grid::new(id)
        .num_columns(N)
        .striped(true)
        .spacing([16.0, 6.0])
        .show(ui, |ui| {
            for h in header {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            rows(ui);
        });
}
