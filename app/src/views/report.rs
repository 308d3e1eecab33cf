//! The Bilan screen: what the group did over a period, in numbers, for
//! members and for funders. Figures are computed from the view once per
//! view and period, never per frame.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{Datelike, TimeZone};
use egui::RichText;
use passerelle_core::model::{CommunityView, ExchangeStatus, Timestamp};

use super::Cx;

/// Which period the figures cover.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Period {
    /// The last twelve months.
    #[default]
    Last12Months,
    /// Since the first of January.
    ThisYear,
    /// Since the community began.
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

/// The figures of one period.
#[derive(Debug, Default, PartialEq)]
pub struct Figures {
    /// Members who did something in the period.
    pub active_members: usize,
    /// Members in all (not removed).
    pub members: usize,
    /// Échanges posted in the period, and those of them done, per category id.
    pub by_category: BTreeMap<String, (usize, usize)>,
    /// Events in the period: title, people coming, capacity.
    pub events: Vec<(String, usize, Option<i64>)>,
    /// Ideas per theme id (`None`: no theme): count and votes.
    pub ideas: BTreeMap<Option<String>, (usize, usize)>,
    /// Posts in the period.
    pub posts: usize,
}

impl Figures {
    /// Counts what happened from `since` to `until`.
    pub fn compute(view: &CommunityView, since: Timestamp, until: Timestamp) -> Figures {
        let within = |t: Timestamp| t >= since && t <= until;
        let mut active: HashSet<&str> = HashSet::new();
        let mut f = Figures {
            members: view
                .community
                .members
                .iter()
                .filter(|m| m.is_active())
                .count(),
            ..Figures::default()
        };
        for e in view.exchanges.iter() {
            for r in e.replies.values().filter(|r| within(r.at)) {
                active.insert(r.author.as_str());
            }
            if !within(e.created_at) {
                continue;
            }
            active.insert(e.author.as_str());
            let entry = f.by_category.entry(e.category.clone()).or_default();
            entry.0 += 1;
            if e.status == ExchangeStatus::Done {
                entry.1 += 1;
            }
        }
        let mut events: Vec<_> = view.events.iter().filter(|e| within(e.start)).collect();
        events.sort_by_key(|e| e.start);
        for e in events {
            active.extend(
                e.rsvps
                    .iter()
                    .filter(|(_, r)| r.answer == passerelle_core::model::RsvpAnswer::Yes)
                    .map(|(member, _)| member.as_str()),
            );
            f.events.push((e.title.clone(), e.attending(), e.capacity));
        }
        for i in view.ideas.iter().filter(|i| within(i.created_at)) {
            active.insert(i.author.as_str());
            let entry = f.ideas.entry(i.theme.clone()).or_default();
            entry.0 += 1;
            entry.1 += i.votes.len();
        }
        for p in view.posts.iter().filter(|p| within(p.created_at)) {
            active.insert(p.author.as_str());
            f.posts += 1;
        }
        f.active_members = active.len();
        f
    }
}

/// The Bilan screen's state: the period and its figures, cached by view.
#[derive(Default)]
pub struct ReportPanel {
    period: Period,
    cached: Option<(usize, Period, Arc<Figures>)>,
}

impl ReportPanel {
    /// Draws the screen.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        let (lang, view) = (cx.lang, &**cx.view);
        let t = lang.report();
        ui.heading(t.title);
        ui.label(t.intro);
        ui.horizontal(|ui| {
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
        let key = Arc::as_ptr(cx.view) as usize;
        let figures = match &self.cached {
            Some((k, p, f)) if *k == key && *p == self.period => f.clone(),
            _ => {
                let now = chrono::Utc::now().timestamp_millis();
                let f = Arc::new(Figures::compute(view, self.period.start(now), now));
                self.cached = Some((key, self.period, f.clone()));
                f
            }
        };
        ui.separator();
        egui::ScrollArea::vertical()
            .auto_shrink(false)
            .show(ui, |ui| {
                figures_ui(ui, cx, &figures);
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

fn figures_ui(ui: &mut egui::Ui, cx: &Cx, f: &Figures) {
    let (lang, view) = (cx.lang, &**cx.view);
    let t = lang.report();
    let big = |ui: &mut egui::Ui, n: usize, what: &str| {
        ui.horizontal(|ui| {
            ui.label(RichText::new(lang.number(n)).size(26.0).strong());
            ui.label(what);
        });
    };
    let opened: usize = f.by_category.values().map(|c| c.0).sum();
    let done: usize = f.by_category.values().map(|c| c.1).sum();
    big(ui, f.active_members, t.members_active);
    big(ui, f.members, t.members_total);
    big(ui, opened, t.exchanges_opened);
    big(ui, done, t.exchanges_done);
    big(ui, f.posts, t.posts);

    ui.add_space(12.0);
    ui.heading(t.by_category);
    if f.by_category.is_empty() {
        ui.label(t.nothing);
    } else {
        let max = f.by_category.values().map(|c| c.0).max().unwrap_or(1);
        table(
            ui,
            "report-categories",
            [t.category, t.opened, t.done],
            |ui| {
                for (category, (opened, done)) in &f.by_category {
                    ui.label(view.category_label(category));
                    bar(ui, lang.number(*opened), *opened, max);
                    bar(ui, lang.number(*done), *done, max);
                    ui.end_row();
                }
            },
        );
    }

    ui.add_space(12.0);
    ui.heading(t.events);
    if f.events.is_empty() {
        ui.label(t.nothing);
    } else {
        table(ui, "report-events", [t.event, t.coming, t.capacity], |ui| {
            for (title, coming, capacity) in &f.events {
                ui.label(title);
                let max = capacity.map_or(*coming, |c| c.max(0) as usize).max(1);
                bar(ui, lang.number(*coming), *coming, max);
                ui.label(capacity.map_or(t.unlimited.to_owned(), |c| lang.number(c)));
                ui.end_row();
            }
        });
    }

    ui.add_space(12.0);
    ui.heading(t.ideas_by_theme);
    if f.ideas.is_empty() {
        ui.label(t.nothing);
    } else {
        let max = f.ideas.values().map(|c| c.0).max().unwrap_or(1);
        table(ui, "report-ideas", [t.theme, t.ideas, t.votes], |ui| {
            for (theme, (ideas, votes)) in &f.ideas {
                ui.label(
                    theme
                        .as_deref()
                        .map_or(t.no_theme, |th| view.theme_label(th)),
                );
                bar(ui, lang.number(*ideas), *ideas, max);
                ui.label(lang.number(*votes));
                ui.end_row();
            }
        });
    }
}

/// A grid with a header row.
fn table(ui: &mut egui::Ui, id: &str, header: [&str; 3], rows: impl FnOnce(&mut egui::Ui)) {
    egui::Grid::new(id)
        .num_columns(3)
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

/// A number with a bar of its share of `max`: the number is always written,
/// the bar only helps to compare.
fn bar(ui: &mut egui::Ui, text: String, value: usize, max: usize) {
    let fraction = value as f32 / max.max(1) as f32;
    ui.add(
        egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
            .desired_width(160.0)
            .text(text),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_community_counts_add_up() {
        use passerelle_core::model::{DeviceKey, ViewCache, demo};
        let mut n = 0u128;
        let mut random = || {
            n += 1;
            n
        };
        let me = DeviceKey("c".repeat(64));
        let actor = automerge::ActorId::from(b"cccccccccccccccc".as_slice());
        let mut docs =
            demo::example_community(&actor, (&me, "Nadia"), 1_790_000_000_000, &mut random)
                .unwrap();
        let view = ViewCache::default().view(&mut docs).unwrap();
        let f = Figures::compute(&view, i64::MIN, i64::MAX);
        let opened: usize = f.by_category.values().map(|c| c.0).sum();
        assert_eq!(opened, view.exchanges.len());
        let done = view
            .exchanges
            .iter()
            .filter(|e| e.status == ExchangeStatus::Done)
            .count();
        assert_eq!(f.by_category.values().map(|c| c.1).sum::<usize>(), done);
        assert_eq!(f.events.len(), view.events.len());
        assert_eq!(
            f.ideas.values().map(|c| c.0).sum::<usize>(),
            view.ideas.len()
        );
        assert_eq!(f.posts, view.posts.len());
        assert!(f.active_members > 0 && f.active_members <= f.members);
    }
}
