//! `passerelle-node sheet ...`: savoirs sheets, their sections read from a
//! text file.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::Subcommand;
use passerelle_core::Handle;
use passerelle_core::model::{Command, SavoirsCommand};

use crate::{apply, community, output};

#[derive(Subcommand, Debug)]
pub enum SheetCmd {
    /// Starts a savoirs sheet; prints its id. Lines starting with '#' in the
    /// body file start a new section.
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

/// Splits a body into sections: a line starting with `#` opens a new one.
pub fn sections(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix('#') {
            out.push((
                heading.trim_start_matches('#').trim().to_owned(),
                String::new(),
            ));
        } else {
            if out.is_empty() {
                out.push((String::new(), String::new()));
            }
            let body = &mut out.last_mut().expect("a section was just pushed").1;
            if !body.is_empty() {
                body.push('\n');
            }
            body.push_str(line);
        }
    }
    for (_, body) in &mut out {
        *body = body.trim().to_owned();
    }
    out
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
}
