//! The bilan of a generated community, checked against counts made here
//! independently: plain loops over the view's items with month bounds
//! computed from calendar dates, no code shared with `bilan.rs`.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Months, NaiveDate, TimeZone, Utc};
use passerelle_demo::generate::{Plan, Size, generate};
use passerelle_model::bilan::{Bilan, BilanRow};
use passerelle_model::{CommunityView, DeviceKey, ExchangeStatus, RsvpAnswer, ViewCache};

/// 2026-09-21, a date inside a month, so the period's ends are partial.
const NOW: i64 = 1_790_000_000_000;
const DAY: i64 = 24 * 3600 * 1000;

/// Twelve months of every kind of activity, small enough for a debug test:
/// about 1 700 changes instead of the 35 000 of `Size::Year`.
fn year_view() -> CommunityView {
    view_of(&Plan {
        months: 12,
        launch_changes: 380,
        monthly_changes: 120,
        ..Plan::default()
    })
}

fn view_of(plan: &Plan) -> CommunityView {
    let me = DeviceKey("a".repeat(64));
    let mut generated = generate(plan, 11, &[me], NOW, None).unwrap();
    ViewCache::default()
        .view(&mut generated.docs)
        .unwrap()
        .as_ref()
        .clone()
}

/// The calendar months from `from` to `to` in UTC: (label, first instant,
/// first instant of the next month).
fn calendar(from: i64, to: i64) -> Vec<(String, i64, i64)> {
    let date = |t: i64| Utc.timestamp_millis_opt(t).unwrap().date_naive();
    let millis = |d: NaiveDate| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis();
    let (first, last) = (date(from), date(to));
    let mut d = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap();
    let mut out = Vec::new();
    while d <= last {
        let next = d + Months::new(1);
        out.push((d.format("%Y-%m").to_string(), millis(d), millis(next)));
        d = next;
    }
    out
}

/// Every count of the bilan, made the long way.
struct Expected {
    months: Vec<String>,
    opened: BTreeMap<String, Vec<usize>>,
    done: BTreeMap<String, Vec<usize>>,
    active: Vec<usize>,
    active_in_period: usize,
    events: Vec<(String, usize, Option<i64>)>,
    ideas: BTreeMap<Option<String>, Vec<usize>>,
    posts: usize,
}

fn expected(view: &CommunityView, from: i64, to: i64) -> Expected {
    let cal = calendar(from, to);
    let n = cal.len();
    let inside = |t: i64| t >= from && t <= to;
    let index = |t: i64| {
        if !inside(t) {
            return None;
        }
        cal.iter()
            .position(|(_, start, end)| t >= *start && t < *end)
    };
    let mut opened: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut done: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut ideas: BTreeMap<Option<String>, Vec<usize>> = BTreeMap::new();
    let mut acts: Vec<(String, i64)> = Vec::new();
    for e in view.exchanges.iter() {
        if let Some(i) = index(e.created_at) {
            opened.entry(e.category.clone()).or_insert(vec![0; n])[i] += 1;
        }
        if e.status == ExchangeStatus::Done
            && let Some(i) = index(e.updated_at)
        {
            done.entry(e.category.clone()).or_insert(vec![0; n])[i] += 1;
        }
        acts.push((e.author.as_str().to_owned(), e.created_at));
        for r in e.replies.values() {
            acts.push((r.author.as_str().to_owned(), r.at));
        }
    }
    let mut events = Vec::new();
    let mut sorted: Vec<_> = view.events.iter().collect();
    sorted.sort_by(|a, b| (a.start, a.id.as_str()).cmp(&(b.start, b.id.as_str())));
    for e in sorted {
        if inside(e.start) {
            let mut yes = 0;
            for r in e.rsvps.values() {
                if r.answer == RsvpAnswer::Yes {
                    yes += 1;
                }
            }
            events.push((e.title.clone(), yes, e.capacity));
        }
        acts.push((e.created_by.as_str().to_owned(), e.created_at));
        for (member, r) in &e.rsvps {
            acts.push((member.clone(), r.at));
        }
    }
    for i in view.ideas.iter() {
        if let Some(m) = index(i.created_at) {
            ideas.entry(i.theme.clone()).or_insert(vec![0; n])[m] += 1;
        }
        acts.push((i.author.as_str().to_owned(), i.created_at));
        for (member, at) in &i.votes {
            acts.push((member.clone(), *at));
        }
    }
    let mut posts = 0;
    for p in view.posts.iter() {
        if inside(p.created_at) {
            posts += 1;
        }
        acts.push((p.author.as_str().to_owned(), p.created_at));
        for c in p.comments.values() {
            acts.push((c.author.as_str().to_owned(), c.at));
        }
    }
    for g in &view.community.groups {
        acts.push((g.created_by.as_str().to_owned(), g.created_at));
        for m in g.thread.values() {
            acts.push((m.author.as_str().to_owned(), m.at));
        }
    }
    for s in view.sheets.iter() {
        acts.push((s.created_by.as_str().to_owned(), s.created_at));
    }
    for a in &view.community.actors {
        acts.push((a.created_by.as_str().to_owned(), a.created_at));
    }
    let mut active = vec![BTreeSet::new(); n];
    let mut everyone = BTreeSet::new();
    for (who, t) in &acts {
        if let Some(i) = index(*t) {
            active[i].insert(who.clone());
            everyone.insert(who.clone());
        }
    }
    Expected {
        months: cal.into_iter().map(|(label, _, _)| label).collect(),
        opened,
        done,
        active: active.iter().map(BTreeSet::len).collect(),
        active_in_period: everyone.len(),
        events,
        ideas,
        posts,
    }
}

fn check(view: &CommunityView, bilan: &Bilan, want: &Expected) {
    let months: Vec<String> = bilan.months.iter().map(|m| m.to_string()).collect();
    assert_eq!(months, want.months);
    assert_eq!(bilan.opened, want.opened, "échanges opened");
    assert_eq!(bilan.done, want.done, "échanges done");
    assert_eq!(bilan.active, want.active, "active members");
    assert_eq!(bilan.active_in_period, want.active_in_period);
    let events: Vec<_> = bilan
        .events
        .iter()
        .map(|e| (e.title.clone(), e.coming, e.capacity))
        .collect();
    assert_eq!(events, want.events, "events");
    assert_eq!(bilan.ideas, want.ideas, "ideas");
    assert_eq!(bilan.posts, want.posts);
    let members = view
        .community
        .members
        .iter()
        .filter(|m| m.removed_at.is_none())
        .count();
    assert_eq!(bilan.members, members);
}

/// The full `year` community (35 000 changes): too slow for a debug run,
/// run it in release with
/// `cargo test --release -p passerelle-model --test bilan -- --ignored`.
#[test]
#[ignore = "the full year takes minutes in debug; run in release"]
fn the_full_year_counts_the_same_both_ways() {
    let view = view_of(&Size::Year.plan());
    let from = NOW - 365 * DAY;
    let bilan = Bilan::compute(&view, from, NOW, &Utc);
    check(&view, &bilan, &expected(&view, from, NOW));
    eprintln!(
        "bilan of the full year: {} opened, {} done, {} events, {} ideas, active per month {:?}",
        bilan.opened_total(),
        bilan.done_total(),
        bilan.events.len(),
        bilan.ideas.values().flatten().sum::<usize>(),
        bilan.active
    );
    let all = Bilan::compute(&view, i64::MIN, i64::MAX, &Utc);
    assert_eq!(all.opened_total(), view.exchanges.len());
    assert_eq!(all.events.len(), view.events.len());
}

#[test]
fn a_generated_year_counts_the_same_both_ways() {
    let view = year_view();
    // The last twelve months, ending today: thirteen calendar months, the
    // first and the last partial.
    let from = NOW - 365 * DAY;
    let bilan = Bilan::compute(&view, from, NOW, &Utc);
    let want = expected(&view, from, NOW);
    check(&view, &bilan, &want);
    assert_eq!(bilan.months.len(), 13);
    // The community is busy enough for the comparison to mean something.
    let opened = bilan.opened_total();
    let done = bilan.done_total();
    let ideas: usize = bilan.ideas.values().flatten().sum();
    eprintln!(
        "bilan of the generated year: {opened} opened, {done} done, {} events, {ideas} ideas in {} themes, active per month {:?}",
        bilan.events.len(),
        bilan.ideas.len(),
        bilan.active
    );
    assert!(opened >= 50 && done >= 5, "{opened} opened, {done} done");
    assert!(bilan.opened.len() >= 3, "several categories");
    assert!(!bilan.events.is_empty() && bilan.events.iter().any(|e| e.coming > 0));
    assert!(bilan.ideas.len() >= 2 && ideas >= 10);
    assert!(bilan.active.iter().filter(|n| **n > 0).count() >= 12);

    // Everything: no bounds, every item counted once.
    let all = Bilan::compute(&view, i64::MIN, i64::MAX, &Utc);
    let first = view.community.created_at;
    let last = view
        .events
        .iter()
        .map(|e| e.start)
        .chain([NOW])
        .max()
        .unwrap();
    check(&view, &all, &expected(&view, first, last));
    assert_eq!(all.opened_total(), view.exchanges.len());
    assert_eq!(
        all.done_total(),
        view.exchanges
            .iter()
            .filter(|e| e.status == ExchangeStatus::Done)
            .count()
    );
    assert_eq!(all.events.len(), view.events.len());
    assert_eq!(
        all.ideas.values().flatten().sum::<usize>(),
        view.ideas.len()
    );

    // A narrow period: March only (a calendar month the generator's
    // thirty-day months straddle).
    let march = Utc
        .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    let april = Utc
        .with_ymd_and_hms(2026, 4, 1, 0, 0, 0)
        .unwrap()
        .timestamp_millis();
    let one = Bilan::compute(&view, march, april - 1, &Utc);
    check(&view, &one, &expected(&view, march, april - 1));
    assert_eq!(one.months.len(), 1);

    // The CSV parses back, with the csv crate, into the same rows, and its
    // values add up to the bilan's.
    let text = bilan.to_csv(&view);
    assert!(text.starts_with("series,month,key,label,value\n"));
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let back: Vec<BilanRow> = reader.deserialize().map(Result::unwrap).collect();
    assert_eq!(back, bilan.rows(&view));
    let sum = |series: &str| -> i64 {
        back.iter()
            .filter(|r| r.series == series)
            .map(|r| r.value)
            .sum()
    };
    assert_eq!(sum("exchanges_opened"), opened as i64);
    assert_eq!(sum("exchanges_done"), done as i64);
    assert_eq!(sum("ideas"), ideas as i64);
    assert_eq!(
        sum("active_members"),
        bilan.active.iter().sum::<usize>() as i64
    );
    assert_eq!(
        back.iter().filter(|r| r.series == "event_coming").count(),
        bilan.events.len()
    );
    let march_active = back
        .iter()
        .find(|r| r.series == "active_members" && r.month == "2026-03")
        .unwrap();
    let i = want.months.iter().position(|m| m == "2026-03").unwrap();
    assert_eq!(march_active.value, want.active[i] as i64);
}
