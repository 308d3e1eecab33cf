//! `passerelle-node sheet ...`: savoirs sheets, their sections read from a
//! text file.

use std::ops::Range;
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{Command, SavoirsCommand};
use pulldown_cmark::{Event, Parser, Tag};

use crate::{apply, community, output};

#[derive(Subcommand, Debug)]
pub enum SheetCmd {
    /// Starts a savoirs sheet; prints its id. Markdown headings ('# ...')
    /// in the body file start a new section.
    Add {
        #[arg(long)]
        community: String,
        #[arg(long)]
        title: String,
        #[arg(long)]
        body_file: Option<PathBuf>,
    },
    /// Lists sheets.
    List {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
}

/// Runs one `sheet` subcommand.
pub(crate) async fn run(handle: &Handle, command: SheetCmd, out: &mut String) -> Result<()> {
    match command {
        SheetCmd::Add {
            community: c,
            title,
            body_file,
        } => {
            let c = community(handle, &c).await?;
            let sections = match body_file {
                Some(path) => {
                    let bytes = std::fs::read(&path)
                        .with_context(|| format!("cannot read {}", path.display()))?;
                    let text = String::from_utf8(bytes)
                        .map_err(|_| anyhow::anyhow!("{} is not UTF-8 text", path.display()))?;
                    sections(&text)
                }
                None => Vec::new(),
            };
            let id = handle.new_id();
            apply(
                out,
                handle,
                &c,
                Command::Savoirs(SavoirsCommand::AddSheet {
                    id,
                    title,
                    sections,
                }),
            )
            .await?;
        }
        SheetCmd::List { community: c, json } => {
            let c = community(handle, &c).await?;
            output::sheets(out, &*handle.view(&c).await?, json);
        }
    }
    Ok(())
}

/// Splits a body into sections at its Markdown headings written with `#`
/// (`# Matériel`, `## Étapes`), as pulldown-cmark reads them: a `#` in a
/// code block or a `#hashtag` opens none, nor does text underlined with
/// `---` (a separator more often than a heading). Text before the first
/// heading is a section with no heading.
pub fn sections(text: &str) -> Vec<(String, String)> {
    let headings: Vec<Range<usize>> = Parser::new(text)
        .into_offset_iter()
        .filter(|(event, range)| {
            matches!(event, Event::Start(Tag::Heading { .. }))
                && text[range.clone()].trim_start().starts_with('#')
        })
        .map(|(_, range)| range)
        .collect();
    let mut out = Vec::new();
    let intro = &text[..headings.first().map_or(text.len(), |h| h.start)];
    if !intro.trim().is_empty() {
        out.push((String::new(), body(intro)));
    }
    for (i, heading) in headings.iter().enumerate() {
        let end = headings.get(i + 1).map_or(text.len(), |next| next.start);
        out.push((
            heading_text(&text[heading.clone()]),
            body(&text[heading.end.min(end)..end]),
        ));
    }
    out
}

/// A heading's text as written, without the `#`s before it and the
/// closing `#`s after a space (CommonMark).
fn heading_text(source: &str) -> String {
    let line = source.lines().next().unwrap_or_default().trim();
    let text = line.trim_start_matches('#').trim();
    match text.trim_end_matches('#') {
        rest if rest.len() < text.len() && (rest.is_empty() || rest.ends_with(' ')) => {
            rest.trim().to_owned()
        }
        _ => text.to_owned(),
    }
}

/// A section's text, trimmed, its lines joined with `\n`.
fn body(source: &str) -> String {
    source.trim().lines().collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_splits_on_headings() {
        let s = sections("intro\n# Matériel\nune ventouse\n\n## Étapes\n1. essayer");
        assert_eq!(
            s,
            vec![
                (String::new(), "intro".to_owned()),
                ("Matériel".to_owned(), "une ventouse".to_owned()),
                ("Étapes".to_owned(), "1. essayer".to_owned()),
            ]
        );
    }

    #[test]
    fn code_blocks_hashtags_and_separators_open_no_section() {
        let s = sections(
            "#voisinage et #entraide\n# Étapes\n```\n# pas un titre\n```\n\n    # indenté\n\
             avant\n---\naprès\n## Fin ##\nmerci",
        );
        assert_eq!(
            s,
            vec![
                (String::new(), "#voisinage et #entraide".to_owned()),
                (
                    "Étapes".to_owned(),
                    "```\n# pas un titre\n```\n\n    # indenté\navant\n---\naprès".to_owned()
                ),
                ("Fin".to_owned(), "merci".to_owned()),
            ]
        );
    }
}
