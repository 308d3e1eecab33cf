//! The bilan: what a community did over a period, month by month, for its
//! members and for its funders.
//!
//! [`Bilan::compute`] reads a [`CommunityView`] and counts, for every
//! calendar month of the period (in the time zone given, so a month is the
//! one members see on their calendar):
//!
//! - **échanges opened** per category: échanges whose `created_at` falls in
//!   the month;
//! - **échanges done** per category: échanges whose status is *done* and
//!   whose `updated_at` falls in the month. Marking an échange done stamps
//!   `updated_at`, so this is the month it was done, unless it was edited
//!   again afterwards (the model keeps no separate date of completion);
//! - **active members**: the distinct members who did at least one of these
//!   in the month: published an échange, replied to one, created an event,
//!   answered an invitation (any RSVP answer), proposed an idea, voted for
//!   one, posted in the fil, commented a post, wrote in a group's thread,
//!   created a group, a savoirs sheet or an annuaire entry. Each act counts
//!   in the month of its own timestamp. Reading does not count;
//! - **events**: every event starting in the period, with its yes RSVPs
//!   beside its capacity;
//! - **ideas** per theme (`None`: no theme), in the month of `created_at`.
//!
//! The period is `from..=to` (milliseconds). Its months run from the month
//! of `from` to the month of `to`, both possibly partial; an unbounded end
//! (`i64::MIN`, `i64::MAX`) is replaced by the first or last month holding
//! something counted. [`Bilan::to_csv`] writes it as one tidy table.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{Datelike, TimeZone};
use serde::{Deserialize, Serialize};

use crate::entities::{ExchangeStatus, RsvpAnswer};
use crate::ids::Timestamp;
use crate::view::CommunityView;

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    /// The year, e.g. 2026.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
}

impl Month {
    /// The month holding instant `t` in time zone `tz`, if `t` is a date.
    pub fn of<Tz: TimeZone>(t: Timestamp, tz: &Tz) -> Option<Month> {
        let d = tz.timestamp_millis_opt(t).single()?;
        Some(Month {
            year: d.year(),
            month: d.month(),
        })
    }

    /// The month after this one.
    pub fn next(self) -> Month {
        if self.month >= 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Reads `YYYY-MM`.
    pub fn parse(s: &str) -> Option<Month> {
        let (year, month) = s.trim().split_once('-')?;
        let (year, month) = (year.parse().ok()?, month.parse().ok()?);
        (1..=12).contains(&month).then_some(Month { year, month })
    }

    /// The first instant of the month in time zone `tz`.
    pub fn start<Tz: TimeZone>(self, tz: &Tz) -> Option<Timestamp> {
        tz.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .earliest()
            .map(|d| d.timestamp_millis())
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One event of the period and how many are coming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventFigure {
    /// The event's id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// When it starts.
    pub start: Timestamp,
    /// The month it starts in.
    pub month: Month,
    /// Members who answered yes.
    pub coming: usize,
    /// Places, if limited.
    pub capacity: Option<i64>,
}

/// What a community did over a period, month by month. Every per-month
/// series has one value per entry of [`Bilan::months`], in the same order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bilan {
    /// The months of the period, in order, without gaps.
    pub months: Vec<Month>,
    /// Échanges opened per month, by category id.
    pub opened: BTreeMap<String, Vec<usize>>,
    /// Échanges done per month, by category id.
    pub done: BTreeMap<String, Vec<usize>>,
    /// Active members per month (see the module's definition).
    pub active: Vec<usize>,
    /// Distinct members active at least once over the whole period.
    pub active_in_period: usize,
    /// Members of the community (not removed), today.
    pub members: usize,
    /// Events starting in the period, by start.
    pub events: Vec<EventFigure>,
    /// Ideas per month, by theme id (`None`: no theme).
    pub ideas: BTreeMap<Option<String>, Vec<usize>>,
    /// Posts in the fil over the period.
    pub posts: usize,
}

/// One row of the bilan as CSV: `series,month,key,label,value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BilanRow {
    /// `exchanges_opened`, `exchanges_done`, `active_members`,
    /// `event_coming`, `event_capacity` or `ideas`.
    pub series: String,
    /// `YYYY-MM`.
    pub month: String,
    /// The category id, theme id or event id; empty for active members and
    /// ideas without a theme.
    pub key: String,
    /// The category's or theme's label, or the event's title.
    pub label: String,
    /// The count (places, for `event_capacity`).
    pub value: i64,
}

/// What is counted, keyed by month, before it is laid out in series.
#[derive(Default)]
struct Tally<'a> {
    opened: BTreeMap<&'a str, BTreeMap<Month, usize>>,
    done: BTreeMap<&'a str, BTreeMap<Month, usize>>,
    active: BTreeMap<Month, BTreeSet<&'a str>>,
    ideas: BTreeMap<Option<&'a str>, BTreeMap<Month, usize>>,
}

impl<'a> Tally<'a> {
    /// `who` did something in `month` (`None`: outside the period).
    fn act(&mut self, month: Option<Month>, who: &'a str) {
        if let Some(m) = month {
            self.active.entry(m).or_default().insert(who);
        }
    }
}

/// One more of `key` in `month`.
fn bump<K: Ord>(map: &mut BTreeMap<K, BTreeMap<Month, usize>>, key: K, month: Month) {
    *map.entry(key).or_default().entry(month).or_default() += 1;
}

impl Bilan {
    /// Counts what happened from `from` to `to` (both included), by month in
    /// time zone `tz`.
    pub fn compute<Tz: TimeZone>(
        view: &CommunityView,
        from: Timestamp,
        to: Timestamp,
        tz: &Tz,
    ) -> Bilan {
        let month = |t: Timestamp| {
            if t >= from && t <= to {
                Month::of(t, tz)
            } else {
                None
            }
        };
        let mut tally = Tally::default();
        let mut events = Vec::new();
        let mut posts = 0;
        for e in view.exchanges.iter() {
            if let Some(m) = month(e.created_at) {
                bump(&mut tally.opened, e.category.as_str(), m);
            }
            tally.act(month(e.created_at), e.author.as_str());
            if e.status == ExchangeStatus::Done
                && let Some(m) = month(e.updated_at)
            {
                bump(&mut tally.done, e.category.as_str(), m);
            }
            for r in e.replies.values() {
                tally.act(month(r.at), r.author.as_str());
            }
        }
        for e in view.events.iter() {
            tally.act(month(e.created_at), e.created_by.as_str());
            for (member, rsvp) in &e.rsvps {
                tally.act(month(rsvp.at), member.as_str());
            }
            if let Some(m) = month(e.start) {
                events.push(EventFigure {
                    id: e.id.as_str().to_owned(),
                    title: e.title.clone(),
                    start: e.start,
                    month: m,
                    coming: e
                        .rsvps
                        .values()
                        .filter(|r| r.answer == RsvpAnswer::Yes)
                        .count(),
                    capacity: e.capacity,
                });
            }
        }
        events.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        for i in view.ideas.iter() {
            if let Some(m) = month(i.created_at) {
                bump(&mut tally.ideas, i.theme.as_deref(), m);
            }
            tally.act(month(i.created_at), i.author.as_str());
            for (member, at) in &i.votes {
                tally.act(month(*at), member.as_str());
            }
        }
        for p in view.posts.iter() {
            if month(p.created_at).is_some() {
                posts += 1;
            }
            tally.act(month(p.created_at), p.author.as_str());
            for c in p.comments.values() {
                tally.act(month(c.at), c.author.as_str());
            }
        }
        let community = &view.community;
        for g in &community.groups {
            tally.act(month(g.created_at), g.created_by.as_str());
            for message in g.thread.values() {
                tally.act(month(message.at), message.author.as_str());
            }
        }
        for s in view.sheets.iter() {
            tally.act(month(s.created_at), s.created_by.as_str());
        }
        for a in &community.actors {
            tally.act(month(a.created_at), a.created_by.as_str());
        }

        let months = months(&tally, &events, from, to, tz);
        let series = |counts: &BTreeMap<Month, usize>| -> Vec<usize> {
            months
                .iter()
                .map(|m| counts.get(m).copied().unwrap_or(0))
                .collect()
        };
        let everyone: BTreeSet<&str> = tally.active.values().flatten().copied().collect();
        Bilan {
            opened: tally
                .opened
                .iter()
                .map(|(k, v)| ((*k).to_owned(), series(v)))
                .collect(),
            done: tally
                .done
                .iter()
                .map(|(k, v)| ((*k).to_owned(), series(v)))
                .collect(),
            active: months
                .iter()
                .map(|m| tally.active.get(m).map_or(0, BTreeSet::len))
                .collect(),
            active_in_period: everyone.len(),
            members: community.members.iter().filter(|m| m.is_active()).count(),
            events,
            ideas: tally
                .ideas
                .iter()
                .map(|(k, v)| (k.map(str::to_owned), series(v)))
                .collect(),
            posts,
            months,
        }
    }

    /// Échanges opened over the whole period.
    pub fn opened_total(&self) -> usize {
        self.opened.values().flatten().sum()
    }

    /// Échanges done over the whole period.
    pub fn done_total(&self) -> usize {
        self.done.values().flatten().sum()
    }

    /// The bilan as one tidy table, one count a row (see [`BilanRow`]):
    /// every month of every series, zeros included, so a spreadsheet can
    /// pivot it as it likes.
    pub fn rows(&self, view: &CommunityView) -> Vec<BilanRow> {
        let mut rows = Vec::new();
        let mut per_month = |series: &str, key: &str, label: &str, values: &[usize]| {
            for (m, v) in self.months.iter().zip(values) {
                rows.push(BilanRow {
                    series: series.to_owned(),
                    month: m.to_string(),
                    key: key.to_owned(),
                    label: label.to_owned(),
                    value: *v as i64,
                });
            }
        };
        for (series, map) in [
            ("exchanges_opened", &self.opened),
            ("exchanges_done", &self.done),
        ] {
            for (category, values) in map {
                per_month(series, category, view.category_label(category), values);
            }
        }
        per_month("active_members", "", "", &self.active);
        for (theme, values) in &self.ideas {
            let key = theme.as_deref().unwrap_or("");
            let label = theme.as_deref().map_or("", |t| view.theme_label(t));
            per_month("ideas", key, label, values);
        }
        for e in &self.events {
            let row = |series: &str, value: i64| BilanRow {
                series: series.to_owned(),
                month: e.month.to_string(),
                key: e.id.clone(),
                label: e.title.clone(),
                value,
            };
            rows.push(row("event_coming", e.coming as i64));
            if let Some(capacity) = e.capacity {
                rows.push(row("event_capacity", capacity));
            }
        }
        rows
    }

    /// [`Bilan::rows`] as CSV text, with a header row.
    pub fn to_csv(&self, view: &CommunityView) -> String {
        let mut writer = ::csv::Writer::from_writer(Vec::new());
        for row in self.rows(view) {
            writer
                .serialize(row)
                .expect("writing to memory cannot fail");
        }
        let bytes = writer.into_inner().expect("writing to memory cannot fail");
        String::from_utf8(bytes).expect("the csv crate writes the UTF-8 it is given")
    }
}

/// The months of the period: from the month of `from` to the month of `to`,
/// an unbounded end replaced by the first or last month holding something.
fn months<Tz: TimeZone>(
    tally: &Tally<'_>,
    events: &[EventFigure],
    from: Timestamp,
    to: Timestamp,
    tz: &Tz,
) -> Vec<Month> {
    let seen: BTreeSet<Month> = tally
        .opened
        .values()
        .chain(tally.done.values())
        .chain(tally.ideas.values())
        .flat_map(|m| m.keys().copied())
        .chain(tally.active.keys().copied())
        .chain(events.iter().map(|e| e.month))
        .collect();
    let bounded = |t: Timestamp| (t != i64::MIN && t != i64::MAX).then(|| Month::of(t, tz));
    let first = bounded(from).flatten().or_else(|| seen.first().copied());
    let last = bounded(to).flatten().or_else(|| seen.last().copied());
    let (Some(mut m), Some(last)) = (first, last) else {
        return Vec::new();
    };
    let mut months = Vec::new();
    while m <= last {
        months.push(m);
        m = m.next();
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn months_read_write_and_follow_each_other() {
        let m = Month::parse("2026-12").unwrap();
        assert_eq!(m.to_string(), "2026-12");
        assert_eq!(m.next().to_string(), "2027-01");
        assert_eq!(Month::parse(" 2026-3 ").unwrap().to_string(), "2026-03");
        for bad in ["2026-13", "2026-00", "2026", "march", "2026-xx"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        let start = m.start(&Utc).unwrap();
        assert_eq!(Month::of(start, &Utc), Some(m));
        assert_eq!(Month::of(start - 1, &Utc), Month::parse("2026-11"));
    }
}
