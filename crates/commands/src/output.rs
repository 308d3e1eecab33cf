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

/// Appends a line to the output buffer.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}
pub(crate) use outln;

/// Writes a command's output and messages with the characters that would
/// drive a terminal — control characters (escape sequences, a lone
/// carriage return over a line), bidirectional overrides — shown as
/// U+FFFD: names and texts come from other members' devices, and output
/// piped today is read on a terminal tomorrow. JSON escapes the C0 ones
/// already; exports (ics, csv, markdown) keep their line ends and tabs.
pub(crate) fn print_both(out: &str, err: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(printable(out).as_bytes());
    let _ = stdout.flush();
    let _ = std::io::stderr()
        .lock()
        .write_all(printable(err).as_bytes());
}

/// `text` without what would drive a terminal (see [`print_both`]); line
/// ends (`\n`, `\r\n`) and tabs stay.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let lone_cr = |i: usize, c: char| c == '\r' && !text[i + 1..].starts_with('\n');
    let unsafe_char = |i: usize, c: char| {
        (c.is_control() && c != '\n' && c != '\t' && c != '\r')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
            || lone_cr(i, c)
    };
    if !text.char_indices().any(|(i, c)| unsafe_char(i, c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let shown = text
        .char_indices()
        .map(|(i, c)| if unsafe_char(i, c) { '\u{FFFD}' } else { c })
        .collect();
    std::borrow::Cow::Owned(shown)
}

pub(crate) fn print_json(out: &mut String, value: &impl Serialize) {
    // Serialising plain data into a string cannot fail.
    outln!(
        out,
        "{}",
        serde_json::to_string_pretty(value).expect("listings always serialise")
    );
}

/// An item as JSON with extra derived fields.
pub(crate) fn with(item: &impl Serialize, extra: Value) -> Value {
    let mut value = serde_json::to_value(item).expect("items always serialise");
    if let (Value::Object(map), Value::Object(extra)) = (&mut value, extra) {
        map.extend(extra);
    }
    value
}

pub(crate) fn date(ms: Timestamp) -> String {
    Local
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%d/%m/%Y %H:%M").to_string())
        .unwrap_or_default()
}

/// "  [locked: reason]" after a thread a moderator locked.
fn locked(lock: &Option<passerelle_core::model::Lock>) -> String {
    lock.as_ref()
        .map(|l| format!("  [locked: {}]", l.reason))
        .unwrap_or_default()
}

pub fn communities(out: &mut String, list: &[CommunitySummary], json: bool) {
    if json {
        return print_json(out, &list);
    }
    for c in list {
        outln!(
            out,
            "{}  {}  ({} members, {} échanges)",
            c.id,
            c.name,
            c.members,
            c.exchanges
        );
    }
}

pub fn exchanges(out: &mut String, view: &CommunityView, json: bool) {
    if json {
        let items: Vec<Value> = view
            .exchanges
            .iter()
            .map(|e| with(e, json!({ "author_name": view.member_name(&e.author), "reply_count": e.replies.len() })))
            .collect();
        return print_json(out, &items);
    }
    for e in view.exchanges.iter() {
        outln!(
            out,
            "{}  {:<5} {:<12} {:<11} {}  ({}, {}){}",
            e.id,
            e.kind,
            e.category,
            e.status,
            e.title,
            view.member_name(&e.author),
            e.mode,
            locked(&e.locked)
        );
    }
}

pub fn events(out: &mut String, view: &CommunityView, json: bool) {
    if json {
        let items: Vec<Value> = view
            .events
            .iter()
            .map(|e| with(e, json!({ "attending": e.attending() })))
            .collect();
        return print_json(out, &items);
    }
    for e in view.events.iter() {
        let capacity = e.capacity.map(|c| format!("/{c}")).unwrap_or_default();
        outln!(
            out,
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

pub fn ideas(out: &mut String, view: &CommunityView, json: bool) {
    if json {
        let items: Vec<Value> = view
            .ideas
            .iter()
            .map(|i| with(i, json!({ "vote_count": i.votes.len() })))
            .collect();
        return print_json(out, &items);
    }
    for i in view.ideas.iter() {
        let table = i.table.map(|t| format!("table {t}")).unwrap_or_default();
        let theme = i
            .theme
            .as_deref()
            .map(|t| view.theme_label(t))
            .unwrap_or("");
        outln!(
            out,
            "{}  {:>2} votes  {}  {}  {}",
            i.id,
            i.votes.len(),
            table,
            theme,
            i.text.as_str()
        );
    }
}

pub fn actors(out: &mut String, view: &CommunityView, json: bool) {
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
        return print_json(out, &items);
    }
    for a in &view.community.actors {
        outln!(
            out,
            "{}  {:<12} {}  [{}]",
            a.id,
            a.kind,
            a.name,
            a.tags.join(", ")
        );
    }
}

pub fn groups(out: &mut String, view: &CommunityView, json: bool) {
    if json {
        return print_json(out, &view.community.groups);
    }
    for g in &view.community.groups {
        let facilitator = g
            .facilitator
            .as_ref()
            .map(|f| view.member_name(f))
            .unwrap_or("-");
        outln!(
            out,
            "{}  {}  ({} members, facilitator: {}){}",
            g.id,
            g.name,
            g.members.len(),
            facilitator,
            locked(&g.locked)
        );
    }
}

pub fn sheets(out: &mut String, view: &CommunityView, json: bool) {
    if json {
        return print_json(out, &*view.sheets);
    }
    for s in view.sheets.iter() {
        outln!(
            out,
            "{}  {}  ({} sections)",
            s.id,
            s.title,
            s.sections.len()
        );
    }
}

pub fn posts(out: &mut String, view: &CommunityView, json: bool) {
    if json {
        let items: Vec<Value> = view
            .posts
            .iter()
            .map(|p| with(p, json!({ "author_name": view.member_name(&p.author) })))
            .collect();
        return print_json(out, &items);
    }
    for p in view.posts.iter() {
        outln!(
            out,
            "{}  {}  {}: {}{}",
            p.id,
            date(p.created_at),
            view.member_name(&p.author),
            p.text.as_str(),
            locked(&p.locked)
        );
    }
}

pub fn members(out: &mut String, view: &CommunityView, json: bool) {
    if json {
        return print_json(out, &view.community.members);
    }
    for m in &view.community.members {
        let keys: Vec<&str> = m.devices.keys().map(String::as_str).collect();
        outln!(
            out,
            "{}  {:<10} {}{}  [{}]  devices: {}",
            m.id,
            m.role,
            m.display_name,
            if m.is_active() { "" } else { " (removed)" },
            m.skills.join(", "),
            keys.join(" ")
        );
    }
}

/// Says what the community's rules left out of what this device holds: the
/// note of the sync log (on stderr, so `--json` output stays parseable).
pub fn ignored(err: &mut String, community: &str, view: &CommunityView) {
    let mut by_device: std::collections::BTreeMap<&str, usize> = Default::default();
    for ignored in view.ignored.values() {
        for (device, n) in &ignored.by_device {
            *by_device.entry(device.as_str()).or_default() += n;
        }
    }
    for (device, n) in by_device {
        let who = view
            .member_for_device(&passerelle_model::DeviceKey(device.to_owned()))
            .map_or("an unknown device", |m| m.display_name.as_str());
        outln!(
            err,
            "note: {community}: ignoring {n} value{} written by device {}… ({who}): \
             written after the device was revoked or its member removed, or without the right role",
            if n == 1 { "" } else { "s" },
            &device[..8.min(device.len())]
        );
    }
}

pub fn sync_summary(out: &mut String, summary: &passerelle_core::SyncSummary, json: bool) {
    if json {
        return print_json(out, summary);
    }
    outln!(
        out,
        "synced with {} peer(s): {} bytes sent, {} received, in {} ms",
        summary.peers,
        summary.bytes_sent,
        summary.bytes_received,
        summary.duration_ms
    );
    for (peer, error) in &summary.failed {
        outln!(out, "not synced with {peer}: {error}");
    }
}

pub fn matches(out: &mut String, view: &CommunityView, matches: &[Match], json: bool) {
    if json {
        let items: Vec<Value> = matches
            .iter()
            .map(|m| with(m, json!({ "id": format!("{}:{}", m.offer, m.need) })))
            .collect();
        return print_json(out, &items);
    }
    let title = |id: &passerelle_core::model::ItemId| {
        view.exchanges
            .iter()
            .find(|e| &e.id == id)
            .map(|e| e.title.as_str())
            .unwrap_or("?")
    };
    for m in matches {
        outln!(
            out,
            "{:.2}  offre « {} »  ↔  besoin « {} »",
            m.score,
            title(&m.offer),
            title(&m.need)
        );
    }
}

pub fn hits(out: &mut String, hits: &[Hit], json: bool) {
    if json {
        return print_json(out, &hits);
    }
    for h in hits {
        outln!(out, "{}  {:<8} {}", h.id, h.kind.as_str(), h.title);
    }
}

pub fn import_report(out: &mut String, report: &passerelle_core::ImportReport, json: bool) {
    if json {
        let imported: Vec<Value> = report
            .imported
            .iter()
            .map(|i| json!({ "at": i.origin.to_string(), "label": i.label, "id": i.id }))
            .collect();
        let skipped: Vec<Value> = report
            .skipped
            .iter()
            .map(|s| json!({ "at": s.origin.to_string(), "label": s.label, "reason": s.reason.to_string() }))
            .collect();
        return print_json(out, &json!({ "imported": imported, "skipped": skipped }));
    }
    for i in &report.imported {
        outln!(out, "imported {}: {} ({})", i.origin, i.label, i.id);
    }
    for s in &report.skipped {
        outln!(out, "skipped {s}");
    }
}

/// Refused changes, oldest first: one line each, equivocations marked and
/// followed by their evidence.
pub fn refused(
    out: &mut String,
    view: &CommunityView,
    refused: &[passerelle_core::RefusedChange],
    json: bool,
) {
    if json {
        return print_json(out, &refused);
    }
    if refused.is_empty() {
        outln!(out, "no refused change");
        return;
    }
    let short = |s: &str| s[..12.min(s.len())].to_owned();
    for r in refused {
        let who = view
            .member_for_device(&passerelle_core::model::DeviceKey(r.writer.clone()))
            .map(|m| format!(" ({})", m.display_name))
            .unwrap_or_default();
        let mark = if r.code == "equivocation" {
            "EQUIVOCATION "
        } else {
            ""
        };
        outln!(
            out,
            "{}  {mark}{:<9} {}  by {}{who}  from {}  {}: {}",
            r.time,
            r.doc,
            short(&r.hash),
            short(&r.writer),
            short(&r.from),
            r.code,
            r.reason
        );
        if let Some(e) = &r.evidence {
            outln!(
                out,
                "    evidence: number {} of actor {}: held {}, refused {}{}{}",
                e.seq,
                short(&e.actor),
                e.held.as_deref().map_or("?".to_owned(), short),
                short(&r.hash),
                if e.change.is_some() {
                    ", its bytes kept"
                } else {
                    ""
                },
                match &e.signature {
                    Some(s) if s.hash == r.hash => ", signed".to_owned(),
                    Some(s) => format!(", signed through {}", short(&s.hash)),
                    None => String::new(),
                }
            );
        }
    }
}

#[cfg(test)]
mod terminal_tests {
    use super::printable;

    #[test]
    fn no_control_sequence_from_a_name_is_printed() {
        let name = "Ana\u{1b}]0;pwned\u{7}\u{1b}[2J\rBruno\u{9b}31m\u{202E}txt.exe";
        let shown = printable(name);
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(!shown.contains('\u{202E}'));
        assert!(shown.starts_with("Ana\u{FFFD}]0;pwned"));
        // Line ends and tabs stay, and plain text is not copied.
        assert_eq!(printable("a\tb\r\nc\n"), "a\tb\r\nc\n");
        assert!(matches!(printable("Aïcha"), std::borrow::Cow::Borrowed(_)));
    }
}
