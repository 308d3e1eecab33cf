//! A savoirs sheet or a workshop synthesis as Markdown, and as printable
//! HTML rendered from that Markdown.
//!
//! The Markdown is built as `pulldown-cmark` events and written by
//! `pulldown-cmark-to-cmark`, which escapes whatever people typed (`#`, `*`,
//! `<`...), so a sheet's text stays text. The HTML is `pulldown-cmark`'s
//! rendering of that Markdown, with any raw HTML turned back into text, in
//! a small A4 print template.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use crate::entities::{Idea, Sheet, Workshop};
use crate::view::CommunityView;

/// The words of an exported document, in the reader's language.
#[derive(Clone, Copy, Debug)]
pub struct Words {
    /// The synthesis' title ("Synthèse de l'atelier").
    pub synthesis: &'static str,
    /// The heading of ideas without a theme.
    pub no_theme: &'static str,
    /// "idea" and "ideas".
    pub idea: (&'static str, &'static str),
    /// "vote" and "votes".
    pub vote: (&'static str, &'static str),
    /// "table" before a table number.
    pub table: &'static str,
    /// The document's language tag (`fr`, `en`).
    pub lang: &'static str,
}

/// French.
pub const FRENCH: Words = Words {
    synthesis: "Synthèse de l'atelier",
    no_theme: "Sans thème",
    idea: ("idée", "idées"),
    vote: ("vote", "votes"),
    table: "table",
    lang: "fr",
};

/// English.
pub const ENGLISH: Words = Words {
    synthesis: "Workshop synthesis",
    no_theme: "No theme",
    idea: ("idea", "ideas"),
    vote: ("vote", "votes"),
    table: "table",
    lang: "en",
};

fn count(n: usize, (one, many): (&str, &str)) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Markdown could not be written (never expected from the events built here).
#[derive(Debug, thiserror::Error)]
#[error("cannot write the document as Markdown: {0}")]
pub struct MarkdownError(String);

fn heading(out: &mut Vec<Event<'static>>, level: HeadingLevel, text: &str) {
    out.push(Event::Start(Tag::Heading {
        level,
        id: None,
        classes: Vec::new(),
        attrs: Vec::new(),
    }));
    out.push(Event::Text(CowStr::from(text.to_owned())));
    out.push(Event::End(TagEnd::Heading(level)));
}

/// Lines of one paragraph, kept as lines.
fn lines(out: &mut Vec<Event<'static>>, text: &str) {
    for (i, line) in text.lines().map(str::trim).enumerate() {
        if i > 0 {
            out.push(Event::HardBreak);
        }
        out.push(Event::Text(CowStr::from(line.to_owned())));
    }
}

/// Free text as paragraphs: a blank line separates them.
fn paragraphs(out: &mut Vec<Event<'static>>, text: &str) {
    for paragraph in text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()) {
        out.push(Event::Start(Tag::Paragraph));
        lines(out, paragraph);
        out.push(Event::End(TagEnd::Paragraph));
    }
}

fn render(events: &[Event<'static>]) -> Result<String, MarkdownError> {
    let mut out = String::new();
    pulldown_cmark_to_cmark::cmark(events.iter(), &mut out, Options::empty())
        .map_err(|e| MarkdownError(e.to_string()))?;
    out.push('\n');
    Ok(out)
}

/// A sheet as Markdown: its title, then each section's heading and body.
pub fn sheet_markdown(sheet: &Sheet) -> Result<String, MarkdownError> {
    sheet_markdown_with_files(sheet, None)
}

/// A sheet as Markdown, its pictures shown and its other files linked from
/// `dir` (a folder beside the Markdown file, holding each attachment under
/// [`crate::attachments::file_name`]) when given.
pub fn sheet_markdown_with_files(
    sheet: &Sheet,
    dir: Option<&str>,
) -> Result<String, MarkdownError> {
    let mut events = sheet_events(sheet);
    if let Some(dir) = dir {
        attachment_events(&mut events, &sheet.attachments, dir);
    }
    render(&events)
}

/// Pictures as images, other files as a list of links, all under `dir`.
fn attachment_events(
    events: &mut Vec<Event<'static>>,
    files: &crate::entities::Attachments,
    dir: &str,
) {
    let target = |a: &crate::entities::Attachment| {
        CowStr::from(format!("{dir}/{}", crate::attachments::file_name(a)).replace(' ', "%20"))
    };
    for a in files.values().filter(|a| a.is_image()) {
        events.push(Event::Start(Tag::Paragraph));
        events.push(Event::Start(Tag::Image {
            link_type: pulldown_cmark::LinkType::Inline,
            dest_url: target(a),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        events.push(Event::Text(CowStr::from(a.name.clone())));
        events.push(Event::End(TagEnd::Image));
        events.push(Event::End(TagEnd::Paragraph));
    }
    let others: Vec<_> = files.values().filter(|a| !a.is_image()).collect();
    if others.is_empty() {
        return;
    }
    events.push(Event::Start(Tag::List(None)));
    for a in others {
        events.push(Event::Start(Tag::Item));
        events.push(Event::Start(Tag::Link {
            link_type: pulldown_cmark::LinkType::Inline,
            dest_url: target(a),
            title: CowStr::from(""),
            id: CowStr::from(""),
        }));
        events.push(Event::Text(CowStr::from(a.name.clone())));
        events.push(Event::End(TagEnd::Link));
        events.push(Event::End(TagEnd::Item));
    }
    events.push(Event::End(TagEnd::List(false)));
}

fn sheet_events(sheet: &Sheet) -> Vec<Event<'static>> {
    let mut events = Vec::new();
    heading(&mut events, HeadingLevel::H1, &sheet.title);
    for section in &sheet.sections {
        if !section.heading.trim().is_empty() {
            heading(&mut events, HeadingLevel::H2, section.heading.trim());
        }
        paragraphs(&mut events, section.body.as_str());
    }
    events
}

/// The workshop's ideas by theme, in the typology's order (ideas without a
/// known theme last), most voted first, each with its votes, author and table.
pub fn synthesis_markdown(view: &CommunityView, words: &Words) -> Result<String, MarkdownError> {
    let mut events = Vec::new();
    let title = format!("{} — {}", words.synthesis, view.community.name);
    heading(&mut events, HeadingLevel::H1, &title);
    // A duplicate merged into another idea is listed through that idea.
    let kept = || view.ideas.iter().filter(|i| i.merged_into.is_none());
    let votes: usize = kept().map(|i| i.votes.len()).sum();
    events.push(Event::Start(Tag::Paragraph));
    lines(
        &mut events,
        &format!(
            "{}, {}",
            count(kept().count(), words.idea),
            count(votes, words.vote)
        ),
    );
    events.push(Event::End(TagEnd::Paragraph));
    for (label, mut ideas) in by_theme(view, words) {
        ideas.sort_by(|a, b| {
            b.votes
                .len()
                .cmp(&a.votes.len())
                .then(a.created_at.cmp(&b.created_at))
        });
        let theme_votes: usize = ideas.iter().map(|i| i.votes.len()).sum();
        heading(
            &mut events,
            HeadingLevel::H2,
            &format!(
                "{label} ({}, {})",
                count(ideas.len(), words.idea),
                count(theme_votes, words.vote)
            ),
        );
        events.push(Event::Start(Tag::List(None)));
        for idea in ideas {
            let mut by = view.member_name(&idea.author).to_owned();
            if let Some(table) = idea.table {
                by.push_str(&format!(", {} {table}", words.table));
            }
            item(
                &mut events,
                idea.votes.len(),
                idea.text.as_str(),
                &by,
                words,
            );
        }
        events.push(Event::End(TagEnd::List(false)));
    }
    render(&events)
}

/// One workshop's synthesis (see [`crate::workshop::synthesis`]): its ideas
/// under its own themes, duplicates merged into the idea kept, votes counted
/// once per member, most voted first, each with its authors and table.
pub fn workshop_markdown(
    view: &CommunityView,
    workshop: &Workshop,
    words: &Words,
) -> Result<String, MarkdownError> {
    let synthesis = crate::workshop::synthesis(&view.ideas, workshop);
    let mut events = Vec::new();
    heading(
        &mut events,
        HeadingLevel::H1,
        &format!("{} — {}", words.synthesis, workshop.title),
    );
    events.push(Event::Start(Tag::Paragraph));
    lines(
        &mut events,
        &format!(
            "{}, {}",
            count(synthesis.idea_count(), words.idea),
            count(synthesis.vote_count(), words.vote)
        ),
    );
    events.push(Event::End(TagEnd::Paragraph));
    for group in synthesis.themes.iter().filter(|g| !g.ideas.is_empty()) {
        let label = group
            .theme
            .as_ref()
            .map_or(words.no_theme, |t| t.label.as_str());
        let votes: usize = group.ideas.iter().map(|i| i.votes.len()).sum();
        heading(
            &mut events,
            HeadingLevel::H2,
            &format!(
                "{label} ({}, {})",
                count(group.ideas.len(), words.idea),
                count(votes, words.vote)
            ),
        );
        events.push(Event::Start(Tag::List(None)));
        for idea in &group.ideas {
            let mut by: Vec<&str> = idea.authors.iter().map(|a| view.member_name(a)).collect();
            by.dedup();
            let mut by = by.join(", ");
            if let Some(table) = idea.table {
                by.push_str(&format!(", {} {table}", words.table));
            }
            item(&mut events, idea.votes.len(), &idea.text, &by, words);
        }
        events.push(Event::End(TagEnd::List(false)));
    }
    render(&events)
}

/// One idea of a synthesis: its votes, its text, and who (and where).
fn item(events: &mut Vec<Event<'static>>, votes: usize, text: &str, by: &str, words: &Words) {
    events.push(Event::Start(Tag::Item));
    events.push(Event::Start(Tag::Strong));
    events.push(Event::Text(count(votes, words.vote).into()));
    events.push(Event::End(TagEnd::Strong));
    events.push(Event::Text(" — ".into()));
    lines(events, text.trim());
    events.push(Event::Text(" (".into()));
    events.push(Event::Start(Tag::Emphasis));
    events.push(Event::Text(by.to_owned().into()));
    events.push(Event::End(TagEnd::Emphasis));
    events.push(Event::Text(")".into()));
    events.push(Event::End(TagEnd::Item));
}

/// One workshop's synthesis as a printable page.
pub fn workshop_html(
    view: &CommunityView,
    workshop: &Workshop,
    words: &Words,
) -> Result<String, MarkdownError> {
    let title = format!("{} — {}", words.synthesis, workshop.title);
    Ok(printable_html(
        &workshop_markdown(view, workshop, words)?,
        &title,
        words.lang,
    ))
}

/// Ideas grouped under their theme's label, themes in typology order,
/// empty themes left out.
fn by_theme<'a>(view: &'a CommunityView, words: &Words) -> Vec<(String, Vec<&'a Idea>)> {
    let themes = &view.community.themes;
    let mut groups: Vec<(String, Vec<&Idea>)> = themes
        .iter()
        .map(|t| (t.label.clone(), Vec::new()))
        .collect();
    let mut loose = Vec::new();
    for idea in view.ideas.iter().filter(|i| i.merged_into.is_none()) {
        match idea
            .theme
            .as_ref()
            .and_then(|id| themes.iter().position(|t| &t.id == id))
        {
            Some(i) => groups[i].1.push(idea),
            None => loose.push(idea),
        }
    }
    groups.push((words.no_theme.to_owned(), loose));
    groups.retain(|(_, ideas)| !ideas.is_empty());
    groups
}

/// The print style: A4, readable serif text, nothing cut across pages.
const PRINT_CSS: &str = "\
@page { size: A4; margin: 18mm 16mm; }
body { font-family: Georgia, 'DejaVu Serif', serif; font-size: 12pt; line-height: 1.45;
       color: #111; max-width: 48em; margin: 2em auto; padding: 0 1em; }
h1, h2 { font-family: 'Helvetica Neue', Arial, 'DejaVu Sans', sans-serif; line-height: 1.2; }
h1 { font-size: 20pt; border-bottom: 2px solid #333; padding-bottom: 0.2em; }
h2 { font-size: 14pt; margin-top: 1.4em; break-after: avoid; }
li, p { break-inside: avoid; }
li { margin: 0.3em 0; }
img { max-width: 100%; max-height: 120mm; }
@media print { body { margin: 0; max-width: none; padding: 0; } }
";

/// A printable HTML page rendered from `markdown`, titled `title`. Raw HTML
/// in the Markdown is shown as text, never interpreted.
pub fn printable_html(markdown: &str, title: &str, lang: &str) -> String {
    let mut body = String::new();
    let events = Parser::new_ext(markdown, Options::empty()).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    pulldown_cmark::html::push_html(&mut body, events);
    let mut escaped_title = String::new();
    pulldown_cmark::html::push_html(
        &mut escaped_title,
        std::iter::once(Event::Text(title.into())),
    );
    let lang = if lang.chars().all(|c| c.is_ascii_alphabetic() || c == '-') {
        lang
    } else {
        "fr"
    };
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\" />\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n\
         <title>{escaped_title}</title>\n<style>\n{PRINT_CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
}

/// A sheet as a printable page.
pub fn sheet_html(sheet: &Sheet, words: &Words) -> Result<String, MarkdownError> {
    sheet_html_with_files(sheet, words, None)
}

/// A sheet as a printable page, with its pictures and files from `dir`
/// (see [`sheet_markdown_with_files`]).
pub fn sheet_html_with_files(
    sheet: &Sheet,
    words: &Words,
    dir: Option<&str>,
) -> Result<String, MarkdownError> {
    Ok(printable_html(
        &sheet_markdown_with_files(sheet, dir)?,
        &sheet.title,
        words.lang,
    ))
}

/// The workshop synthesis as a printable page.
pub fn synthesis_html(view: &CommunityView, words: &Words) -> Result<String, MarkdownError> {
    let title = format!("{} — {}", words.synthesis, view.community.name);
    Ok(printable_html(
        &synthesis_markdown(view, words)?,
        &title,
        words.lang,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::Section;
    use crate::ids::{ItemId, MemberId};
    use quick_xml::events::Event as Xml;

    /// Headings (level, text) and list items' text, as pulldown-cmark reads them.
    fn outline(markdown: &str) -> (Vec<(u8, String)>, Vec<String>, String) {
        let mut headings = Vec::new();
        let mut items = Vec::new();
        let mut paragraphs = String::new();
        let mut current: Option<String> = None;
        let mut depth = (0u8, 0u8, 0u8); // heading level, in item, in paragraph
        for event in Parser::new(markdown) {
            match event {
                Event::Start(Tag::Heading { level, .. }) => {
                    depth.0 = level as u8;
                    current = Some(String::new());
                }
                Event::End(TagEnd::Heading(_)) => {
                    headings.push((depth.0, current.take().unwrap()));
                    depth.0 = 0;
                }
                Event::Start(Tag::Item) => {
                    depth.1 = 1;
                    current = Some(String::new());
                }
                Event::End(TagEnd::Item) => {
                    items.push(current.take().unwrap());
                    depth.1 = 0;
                }
                Event::Start(Tag::Paragraph) if depth.1 == 0 => depth.2 = 1,
                Event::End(TagEnd::Paragraph) if depth.1 == 0 => {
                    depth.2 = 0;
                    paragraphs.push_str("\n\n");
                }
                Event::Text(t) => {
                    if let Some(c) = current.as_mut() {
                        c.push_str(&t);
                    } else if depth.2 == 1 {
                        paragraphs.push_str(&t);
                    }
                }
                Event::HardBreak if depth.2 == 1 => paragraphs.push('\n'),
                Event::HardBreak => current.as_mut().unwrap().push('\n'),
                Event::Html(h) | Event::InlineHtml(h) => panic!("raw HTML in our Markdown: {h}"),
                _ => {}
            }
        }
        (headings, items, paragraphs)
    }

    fn sheet() -> Sheet {
        let section = |id: &str, heading: &str, body: &str| Section {
            id: id.into(),
            heading: heading.into(),
            body: autosurgeon::Text::with_value(body),
        };
        Sheet {
            attachments: Default::default(),
            moderation: None,
            id: ItemId::from("01JSHEET"),
            title: "Déboucher un évier <sans> *produit*".into(),
            sections: vec![
                section(
                    "a",
                    "Matériel",
                    "une ventouse\n# pas un titre\n1. pas une liste",
                ),
                section(
                    "b",
                    "Étapes",
                    "Essayer d'abord.\n\nPuis recommencer & attendre.",
                ),
            ],
            created_by: MemberId::from("m"),
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_sheet_round_trips_through_pulldown_cmark() {
        let markdown = sheet_markdown(&sheet()).unwrap();
        let (headings, items, paragraphs) = outline(&markdown);
        assert_eq!(
            headings,
            [
                (1, "Déboucher un évier <sans> *produit*".to_owned()),
                (2, "Matériel".to_owned()),
                (2, "Étapes".to_owned()),
            ]
        );
        assert!(items.is_empty(), "a body line became a list: {markdown}");
        assert_eq!(
            paragraphs,
            "une ventouse\n# pas un titre\n1. pas une liste\n\n\
             Essayer d'abord.\n\nPuis recommencer & attendre.\n\n"
        );
    }

    fn view_with_ideas() -> CommunityView {
        let mut view = super::super::new_community_view();
        let themes = view.community.themes.clone();
        let author = view.community.members[0].id.clone();
        let idea = |id: &str, text: &str, theme: Option<&str>, votes: usize, table| Idea {
            attachments: Default::default(),
            moderation: None,
            id: ItemId::from(id),
            text: autosurgeon::Text::with_value(text),
            theme: theme.map(Into::into),
            table,
            votes: (0..votes).map(|n| (format!("m{n}"), 0)).collect(),
            author: author.clone(),
            created_at: 0,
            workshop: None,
            merged_into: None,
        };
        view.ideas = std::sync::Arc::new(vec![
            idea("1", "Un potager partagé", Some(&themes[1].id), 2, Some(3)),
            idea(
                "2",
                "<script>alert('x')</script>",
                Some(&themes[1].id),
                5,
                None,
            ),
            idea("3", "Une fête des voisins", Some(&themes[0].id), 1, Some(1)),
            idea("4", "Sans thème & sans vote", None, 0, None),
        ]);
        view
    }

    #[test]
    fn the_synthesis_groups_by_theme_most_voted_first() {
        let view = view_with_ideas();
        let themes = &view.community.themes;
        let author = view.community.members[0].display_name.clone();
        let markdown = synthesis_markdown(&view, &FRENCH).unwrap();
        let (headings, items, _) = outline(&markdown);
        let titles: Vec<_> = headings.iter().map(|(_, h)| h.clone()).collect();
        assert_eq!(
            titles,
            [
                format!("Synthèse de l'atelier — {}", view.community.name),
                format!("{} (1 idée, 1 vote)", themes[0].label),
                format!("{} (2 idées, 7 votes)", themes[1].label),
                "Sans thème (1 idée, 0 votes)".to_owned(),
            ]
        );
        assert_eq!(
            items,
            [
                format!("1 vote — Une fête des voisins ({author}, table 1)"),
                format!("5 votes — <script>alert('x')</script> ({author})"),
                format!("2 votes — Un potager partagé ({author}, table 3)"),
                format!("0 votes — Sans thème & sans vote ({author})"),
            ]
        );
    }

    /// Every element and text of an HTML page, read as XML: our template and
    /// pulldown-cmark's output are both well-formed.
    fn parse_html(html: &str) -> (Vec<String>, String) {
        let mut reader = quick_xml::Reader::from_str(html);
        let mut elements = Vec::new();
        let mut text = String::new();
        let mut open = Vec::new();
        loop {
            match reader.read_event().expect("well-formed HTML") {
                Xml::Start(e) => {
                    let name = e.name().0.to_owned();
                    open.push(name.clone());
                    elements.push(name);
                }
                Xml::End(e) => {
                    let name = e.name().0.to_owned();
                    assert_eq!(open.pop(), Some(name));
                }
                Xml::Empty(e) => elements.push(e.name().0.to_owned()),
                Xml::Text(t) => text.push_str(&t.xml10_content()),
                Xml::GeneralRef(r) => {
                    let name = r.to_string();
                    text.push_str(match name.as_str() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        other => panic!("unexpected entity {other}"),
                    });
                }
                Xml::Eof => break,
                _ => {}
            }
        }
        assert!(open.is_empty(), "unclosed {open:?}");
        (elements, text)
    }

    #[test]
    fn the_printable_synthesis_is_well_formed_and_escapes_every_idea() {
        let view = view_with_ideas();
        let html = synthesis_html(&view, &FRENCH).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("@page { size: A4"));
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;alert('x')&lt;/script&gt;"));
        let (elements, text) = parse_html(&html);
        assert_eq!(elements.iter().filter(|e| *e == "script").count(), 0);
        assert_eq!(elements.iter().filter(|e| *e == "li").count(), 4);
        assert_eq!(elements.iter().filter(|e| *e == "h2").count(), 3);
        assert!(elements.contains(&"title".to_owned()));
        for idea in view.ideas.iter() {
            assert!(
                text.contains(idea.text.as_str()),
                "{} missing",
                idea.text.as_str()
            );
        }
        assert!(text.contains(&format!("Synthèse de l'atelier — {}", view.community.name)));
    }

    #[test]
    fn a_printable_sheet_keeps_its_text_and_shows_raw_html_as_text() {
        let mut sheet = sheet();
        sheet.sections[0].body = autosurgeon::Text::with_value("<b>gras</b> <img src=x onerror=y>");
        let html = sheet_html(&sheet, &ENGLISH).unwrap();
        assert!(html.contains("<html lang=\"en\">"));
        let (elements, text) = parse_html(&html);
        assert!(!elements.iter().any(|e| e == "b" || e == "img"));
        assert!(text.contains("<b>gras</b> <img src=x onerror=y>"));
        assert!(text.contains("Déboucher un évier <sans> *produit*"));
        // Raw HTML written by hand in Markdown is shown, not interpreted.
        let page = printable_html("<script>x</script>\n\nok <i>a</i>", "t", "fr");
        let (elements, _) = parse_html(&page);
        assert!(!elements.iter().any(|e| e == "script" || e == "i"));
    }
}
