//! Printing listings: one line per item for people, a JSON array for scripts.
//!
//! JSON objects hold the stored fields of each item (see docs/SCHEMA.md) plus
//! a few derived ones named here (`author_name`, `attending`, `vote_count`...).

use chrono::{Local, TimeZone};
use passerelle_core::CommunitySummary;
use passerelle_core::model::matching::Match;
use passerelle_core::model::search::Hit;
use passerelle_core::model::{CommunityView, Timestamp};
use serde::Serialize;
use serde_json::{Value, json};

fn print_json(value: &impl Serialize) {
    // Serialising plain data into a string cannot fail.
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("listings always serialise")
    );
}

/// An item as JSON with extra derived fields.
fn with(item: &impl Serialize, extra: Value) -> Value {
    let mut value = serde_json::to_value(item).expect("items always serialise");
    if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra) {
        map.extend(extra);
    }
    value
}

fn date(ms: Timestamp) -> String {
    Local
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}

pub fn communities(list: &[CommunitySummary], json: bool) {
    if json {
        return print_json(&list);
    }
    for c in list {
        println!(
            "{}  {}  ({} members, {} échanges)",
            c.id, c.name, c.members, c.exchanges
        );
    }
}

pub fn exchanges(view: &CommunityView, json: bool) {
    if json {
        let items: Vec<Value> = view
            .exchanges
            .iter()
            .map(|e| with(e, json!({ "author_name": view.member_name(&e.author), "reply_count": e.replies.len() })))
            .collect();
        return print_json(&items);
    }
    for e in view.exchanges.iter() {
        println!(
            "{}  {:<5} {:<12} {:<11} {}  ({}, {})",
            e.id,
            e.kind,
            e.category,
            e.status,
            e.title,
            view.member_name(&e.author),
            e.mode
        );
    }
}

pub fn events(view: &CommunityView, json: bool) {
    if json {
        let items: Vec<Value> = view
            .events
            .iter()
            .map(|e| with(e, json!({ "attending": e.attending() })))
            .collect();
        return print_json(&items);
    }
    for e in view.events.iter() {
        let capacity = e.capacity.map(|c| format!("/{c}")).unwrap_or_default();
        println!(
            "{}  {}  {}  [{}{} oui]  {}",
            e.id,
            date(e.start),
            e.title,
            e.attending(),
            capacity,
            e.place.as_deref().unwrap_or("")
        );
    }
}

pub fn ideas(view: &CommunityView, json: bool) {
    if json {
        let items: Vec<Value> = view
            .ideas
            .iter()
            .map(|i| with(i, json!({ "vote_count": i.votes.len() })))
            .collect();
        return print_json(&items);
    }
    for i in view.ideas.iter() {
        let table = i.table.map(|t| format!("table {t}")).unwrap_or_default();
        let theme = i
            .theme
            .as_deref()
            .map(|t| view.theme_label(t))
            .unwrap_or("");
        println!(
            "{}  {:>2} votes  {}  {}  {}",
            i.id,
            i.votes.len(),
            table,
            theme,
            i.text.as_str()
        );
    }
}

pub fn actors(view: &CommunityView, json: bool) {
    let links = &view.community.links;
    if json {
        let items: Vec<Value> = view
            .community
            .actors
            .iter()
            .map(|a| {
                let linked: Vec<&passerelle_core::model::Link> = links
                    .iter()
                    .filter(|l| l.from == a.id || l.to == a.id)
                    .collect();
                with(a, json!({ "links": linked }))
            })
            .collect();
        return print_json(&items);
    }
    for a in &view.community.actors {
        println!(
            "{}  {:<12} {}  [{}]",
            a.id,
            a.kind,
            a.name,
            a.tags.join(", ")
        );
    }
}

pub fn groups(view: &CommunityView, json: bool) {
    if json {
        return print_json(&view.community.groups);
    }
    for g in &view.community.groups {
        let facilitator = g
            .facilitator
            .as_ref()
            .map(|f| view.member_name(f))
            .unwrap_or("-");
        println!(
            "{}  {}  ({} members, facilitator: {})",
            g.id,
            g.name,
            g.members.len(),
            facilitator
        );
    }
}

pub fn sheets(view: &CommunityView, json: bool) {
    if json {
        return print_json(&*view.sheets);
    }
    for s in view.sheets.iter() {
        println!("{}  {}  ({} sections)", s.id, s.title, s.sections.len());
    }
}

pub fn posts(view: &CommunityView, json: bool) {
    if json {
        let items: Vec<Value> = view
            .posts
            .iter()
            .map(|p| with(p, json!({ "author_name": view.member_name(&p.author) })))
            .collect();
        return print_json(&items);
    }
    for p in view.posts.iter() {
        println!(
            "{}  {}  {}: {}",
            p.id,
            date(p.created_at),
            view.member_name(&p.author),
            p.text.as_str()
        );
    }
}

pub fn members(view: &CommunityView, json: bool) {
    if json {
        return print_json(&view.community.members);
    }
    for m in &view.community.members {
        println!(
            "{}  {:<10} {}  [{}]",
            m.id,
            m.role,
            m.display_name,
            m.skills.join(", ")
        );
    }
}

pub fn matches(view: &CommunityView, matches: &[Match], json: bool) {
    if json {
        let items: Vec<Value> = matches
            .iter()
            .map(|m| with(m, json!({ "id": format!("{}:{}", m.offer, m.need) })))
            .collect();
        return print_json(&items);
    }
    let title = |id: &passerelle_core::model::ItemId| {
        view.exchanges
            .iter()
            .find(|e| &e.id == id)
            .map(|e| e.title.as_str())
            .unwrap_or("?")
    };
    for m in matches {
        println!(
            "{:.2}  offre « {} »  ↔  besoin « {} »",
            m.score,
            title(&m.offer),
            title(&m.need)
        );
    }
}

pub fn hits(hits: &[Hit], json: bool) {
    if json {
        return print_json(&hits);
    }
    for h in hits {
        println!("{}  {:<8} {}", h.id, h.kind.as_str(), h.title);
    }
}
