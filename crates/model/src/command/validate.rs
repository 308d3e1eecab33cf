//! Input checks shared by every command: trimming, lengths, numbers, tags.

use autosurgeon::Text;

use super::{CommandError, MAX_TAGS, MAX_TITLE, Result};
use crate::entities::Contact;

/// Trims a required text and checks its length.
pub(super) fn required(field: &'static str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(CommandError::Empty(field));
    }
    limit(field, value, max)
}

/// Trims an optional text and checks its length.
pub(super) fn limit(field: &'static str, value: &str, max: usize) -> Result<String> {
    let value = value.trim();
    let len = value.chars().count();
    if len > max {
        return Err(CommandError::TooLong { field, len, max });
    }
    Ok(value.to_owned())
}

/// An optional text: blank becomes `None`.
pub(super) fn optional(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => limit(field, v, max).map(Some),
    }
}

pub(super) fn positive(field: &'static str, value: Option<i64>) -> Result<Option<i64>> {
    match value {
        Some(n) if n <= 0 => Err(CommandError::NotPositive(field)),
        other => Ok(other),
    }
}

pub(super) fn tags(values: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for tag in values {
        let tag = limit("tag", &tag.to_lowercase(), 50)?;
        if !tag.is_empty() && !out.contains(&tag) {
            out.push(tag);
        }
    }
    if out.len() > MAX_TAGS {
        return Err(CommandError::TooLong {
            field: "tag list",
            len: out.len(),
            max: MAX_TAGS,
        });
    }
    Ok(out)
}

pub(super) fn text_value(value: &str) -> Text {
    Text::with_value(value)
}

pub(super) fn clean_contact(contact: Contact) -> Result<Contact> {
    Ok(Contact {
        email: optional("e-mail", contact.email.as_deref(), MAX_TITLE)?,
        phone: optional("phone", contact.phone.as_deref(), 50)?,
        website: optional("web site", contact.website.as_deref(), MAX_TITLE)?,
    })
}
