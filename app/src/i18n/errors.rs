//! Every error of the node, in the user's language.
//!
//! The node's errors are typed (`CoreError` and the enums inside it); their
//! English `Display` is for `passerelle-node` and the logs. The app says
//! them with [`describe`], an exhaustive match over every variant: a new
//! variant does not compile until it is said here, in both languages. Only
//! text that is not ours (a system's or another device's words) is shown
//! as is, in parentheses after a sentence of our own.
//!
//! An error is kept as a [`Problem`] until it is drawn, so switching the
//! language says it again in the new one.

use std::io::ErrorKind;
use std::sync::Arc;

use passerelle_core::model::booking::{HoursError, HoursTextError};
use passerelle_core::model::entities::{InviteRefusal, ItemKind};
use passerelle_core::model::export::{FileError, SkipReason};
use passerelle_core::model::{CommandError, LayoutError};
use passerelle_core::{
    AttachError, BackupError, BundleError, CoreError, IdentityError, NetError, PassphraseError,
    Quarantined, ReceiveError, Refusal, Rejection, SessionError,
};

use super::Lang;

mod strings;
#[cfg(test)]
mod tests;

pub use strings::{EN, ErrorStrings, FR};

/// What the user was doing when it failed, in their language
/// (`|l| l.sync().connect_failed`).
pub type Doing = fn(Lang) -> &'static str;

/// An error waiting to be shown: translated when drawn.
#[derive(Clone, Debug)]
pub struct Problem {
    doing: Option<Doing>,
    error: Option<Arc<CoreError>>,
}

impl Problem {
    /// The error alone.
    pub fn new(error: impl Into<CoreError>) -> Self {
        Self {
            doing: None,
            error: Some(Arc::new(error.into())),
        }
    }

    /// A failure the app noticed itself, with no error of the node.
    pub fn failed(doing: Doing) -> Self {
        Self {
            doing: Some(doing),
            error: None,
        }
    }

    /// Says first what was being done.
    pub fn doing(mut self, doing: Doing) -> Self {
        self.doing = Some(doing);
        self
    }

    /// The node's error, if there is one.
    pub fn error(&self) -> Option<&CoreError> {
        self.error.as_deref()
    }

    /// The problem in `lang`: what was being done, then why, as two
    /// sentences.
    pub fn text(&self, lang: Lang) -> String {
        let said = self.error.as_deref().map(|e| describe(lang, e));
        match (self.doing, said) {
            (Some(doing), Some(said)) => {
                let doing = doing(lang).trim_end_matches([' ', ':', '.']);
                format!("{doing}. {said}")
            }
            (Some(doing), None) => doing(lang).to_owned(),
            (None, Some(said)) => said,
            (None, None) => String::new(),
        }
    }
}

impl From<CoreError> for Problem {
    fn from(e: CoreError) -> Self {
        Problem::new(e)
    }
}

/// Fills `{name}` placeholders of a template.
pub(crate) fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("{{{name}}}"), &value.to_string());
    }
    text
}

/// The first characters of a device key, enough to tell devices apart.
fn short(key: &str) -> &str {
    key.get(..8).unwrap_or(key)
}

/// A word the node names in English (a field, a kind of item, a role, an
/// action on a file), in `lang`; unknown words are shown as they are.
fn word(t: &ErrorStrings, english: &str) -> String {
    t.words
        .iter()
        .find(|(en, _)| *en == english)
        .map_or(english, |(_, said)| said)
        .to_owned()
}

/// A node's error in `lang`.
pub fn describe(lang: Lang, e: &CoreError) -> String {
    let t = lang.errors();
    match e {
        CoreError::NotADirectory(path) => fill(t.not_a_directory, &[("path", &path.display())]),
        CoreError::Locked(path) => fill(t.locked, &[("path", &path.display())]),
        CoreError::Io {
            action,
            path,
            cause,
        } => fill(
            t.io,
            &[
                ("action", &word(t, action)),
                ("path", &path.display()),
                ("why", &io_cause(t, cause)),
            ],
        ),
        CoreError::Identity(IdentityError::Io { path, source }) => fill(
            t.identity_io,
            &[("path", &path.display()), ("why", &io_cause(t, source))],
        ),
        CoreError::Identity(IdentityError::Damaged { path }) => {
            fill(t.identity_damaged, &[("path", &path.display())])
        }
        CoreError::NoProfile => t.no_profile.to_owned(),
        CoreError::UnknownCommunity(id) => fill(t.unknown_community, &[("id", id)]),
        CoreError::Command(e) => describe_command(lang, e),
        CoreError::Layout(e) => layout(t, e),
        CoreError::Damaged {
            path,
            reason,
            quarantine,
        } => fill(
            t.damaged_file,
            &[
                ("path", &path.display()),
                ("quarantine", &quarantine.display()),
                ("detail", reason),
            ],
        ),
        CoreError::Net(e) => net(t, e),
        CoreError::NoNetwork => t.no_network.to_owned(),
        CoreError::AlreadyMember(_) => t.already_member.to_owned(),
        CoreError::Bundle(e) => bundle(t, e),
        CoreError::Sealed(_) => t.sealed.to_owned(),
        CoreError::Passphrase(e) => passphrase(t, e),
        CoreError::Backup(e) => backup(t, e),
        CoreError::Stopped => t.stopped.to_owned(),
        CoreError::Failed => t.failed.to_owned(),
        CoreError::Import(FileError::NotUtf8 { line }) => {
            fill(t.import_not_utf8, &[("line", line)])
        }
        CoreError::Import(FileError::BadHeader(detail)) => {
            fill(t.import_bad_header, &[("detail", detail)])
        }
        CoreError::Import(FileError::NoHeader(columns)) => {
            fill(t.import_no_header, &[("columns", &columns.join(","))])
        }
        CoreError::Import(FileError::NotCalendar) => t.import_not_calendar.to_owned(),
        CoreError::Import(FileError::BadCalendar(detail)) => {
            fill(t.import_bad_calendar, &[("detail", detail)])
        }
        CoreError::Attach(e) => attach(lang, e),
    }
}

/// A damaged file moved aside at start, in `lang`.
pub fn describe_quarantined(lang: Lang, q: &Quarantined) -> String {
    fill(
        lang.errors().damaged_file,
        &[
            ("path", &q.path.display()),
            ("quarantine", &q.moved_to.display()),
            ("detail", &q.reason),
        ],
    )
}

/// Why a picture or a file could not be attached, read or fetched.
fn attach(lang: Lang, e: &AttachError) -> String {
    let t = lang.errors();
    let size = |n: &u64| lang.file_size(*n);
    match e {
        AttachError::TooLarge { size: s, max } => fill(
            t.attach_too_large,
            &[("size", &size(s)), ("max", &size(max))],
        ),
        AttachError::Empty => t.attach_empty.to_owned(),
        AttachError::Unreadable(detail) => fill(t.attach_unreadable, &[("detail", detail)]),
        AttachError::BadPicture(detail) => fill(t.attach_bad_picture, &[("detail", detail)]),
        AttachError::NotHere => t.attach_not_here.to_owned(),
        AttachError::Unknown(_) => t.attach_unknown.to_owned(),
        AttachError::NotGiven(detail) => fill(t.attach_not_given, &[("detail", detail)]),
        AttachError::Store(detail) => fill(t.attach_store, &[("detail", detail)]),
    }
}

/// A refused command in `lang`.
pub fn describe_command(lang: Lang, e: &CommandError) -> String {
    let t = lang.errors();
    match e {
        CommandError::Empty(field) => fill(t.empty, &[("field", &word(t, field))]),
        CommandError::TooLong { field, len, max } => fill(
            t.too_long,
            &[("field", &word(t, field)), ("len", len), ("max", max)],
        ),
        CommandError::UnknownCategory { given, known } => {
            fill(t.unknown_category, &[("given", given), ("known", known)])
        }
        CommandError::UnknownTheme { given, known } => {
            fill(t.unknown_theme, &[("given", given), ("known", known)])
        }
        CommandError::NotFound { kind, id } => {
            fill(t.not_found, &[("kind", &word(t, kind)), ("id", id)])
        }
        CommandError::Duplicate(id) => fill(t.duplicate, &[("id", id)]),
        CommandError::NotAMember => t.not_a_member.to_owned(),
        CommandError::NotAllowed(who) => fill(t.not_allowed, &[("who", &word(t, who))]),
        CommandError::EndBeforeStart => t.end_before_start.to_owned(),
        CommandError::NotPositive(field) => fill(t.not_positive, &[("field", &word(t, field))]),
        CommandError::Invite(r) => invite(t, *r).to_owned(),
        CommandError::AlreadyExists(name) => fill(t.already_exists, &[("name", name)]),
        CommandError::Closed => t.workshop_closed.to_owned(),
        CommandError::NoSuchTable { table, tables } => {
            fill(t.no_such_table, &[("table", table), ("tables", tables)])
        }
        CommandError::Deleted => t.deleted.to_owned(),
        CommandError::Locked => t.thread_locked.to_owned(),
        CommandError::NotLockable(kind) => {
            fill(t.not_lockable, &[("kind", &word(t, item_kind(*kind)))])
        }
        CommandError::LastDevice => t.last_device.to_owned(),
        CommandError::DifferentWorkshops => t.different_workshops.to_owned(),
        CommandError::NotBookable => t.not_bookable.to_owned(),
        CommandError::BadAttachment(what) => fill(t.bad_attachment, &[("what", &word(t, what))]),
        CommandError::Hours(e) => hours(t, e),
        CommandError::Layout(e) => layout(t, e),
    }
}

/// Why an entry of an imported file was left out, in `lang`.
pub fn describe_skip(lang: Lang, e: &SkipReason) -> String {
    let t = lang.errors();
    match e {
        SkipReason::Unreadable(detail) => fill(t.skip_unreadable, &[("detail", detail)]),
        SkipReason::Columns { found, expected } => {
            fill(t.skip_columns, &[("found", found), ("expected", expected)])
        }
        SkipReason::NoKind => t.skip_no_kind.to_owned(),
        SkipReason::UnknownKind(kind) => fill(t.skip_unknown_kind, &[("kind", kind)]),
        SkipReason::InAnnuaire => t.skip_in_annuaire.to_owned(),
        SkipReason::NoTitle => t.skip_no_title.to_owned(),
        SkipReason::NoStart => t.skip_no_start.to_owned(),
        SkipReason::InAgenda => t.skip_in_agenda.to_owned(),
        SkipReason::Refused(e) => describe_command(lang, e),
    }
}

/// A booking's or opening hours' problem in `lang`.
pub fn describe_hours(lang: Lang, e: &HoursError) -> String {
    hours(lang.errors(), e)
}

/// Why written opening hours do not read, in `lang`.
pub fn describe_hours_text(lang: Lang, e: &HoursTextError) -> String {
    let t = lang.errors();
    match e {
        HoursTextError::NotAWeekday(text) => fill(t.hours_not_a_weekday, &[("text", text)]),
        HoursTextError::DaysBackwards(text) => fill(t.hours_backwards, &[("text", text)]),
        HoursTextError::NoHours(text) => fill(t.hours_no_hours, &[("text", text)]),
        HoursTextError::BadRange(text) => fill(t.hours_bad_range, &[("text", text)]),
        HoursTextError::ClosesBeforeOpening(text) => fill(t.hours_closes_before, &[("text", text)]),
        HoursTextError::Empty => t.hours_empty.to_owned(),
    }
}

fn hours(t: &ErrorStrings, e: &HoursError) -> String {
    match e {
        HoursError::EndBeforeStart => t.end_before_start.to_owned(),
        HoursError::Closed(open) => fill(t.hours_closed, &[("hours", open)]),
        HoursError::NotAligned(slot) => fill(t.hours_not_aligned, &[("slot", slot)]),
        HoursError::TooLong => t.hours_too_long.to_owned(),
        HoursError::NotAnOpening(o) => fill(
            t.hours_not_an_opening,
            &[("weekday", &o.weekday), ("from", &o.from), ("to", &o.to)],
        ),
        HoursError::OffsetOutOfRange => t.hours_offset.to_owned(),
    }
}

fn item_kind(kind: ItemKind) -> &'static str {
    kind.as_str()
}

fn invite(t: &ErrorStrings, r: InviteRefusal) -> &'static str {
    match r {
        InviteRefusal::Unknown => t.invite_unknown,
        InviteRefusal::Expired => t.invite_expired,
        InviteRefusal::Revoked => t.invite_revoked,
        InviteRefusal::Used => t.invite_used,
    }
}

fn layout(t: &ErrorStrings, e: &LayoutError) -> String {
    match e {
        LayoutError::Missing { doc, field } => {
            fill(t.layout_missing, &[("doc", doc), ("field", field)])
        }
        LayoutError::WrongKind { expected, found } => fill(
            t.layout_wrong_kind,
            &[("expected", expected), ("found", found)],
        ),
        LayoutError::TooNew(version) => fill(t.layout_too_new, &[("version", version)]),
        LayoutError::Hydrate(e) => fill(t.layout_unreadable, &[("detail", e)]),
        LayoutError::Automerge(e) => fill(t.layout_unreadable, &[("detail", e)]),
        LayoutError::Reconcile(e) => fill(t.layout_unwritable, &[("detail", e)]),
    }
}

/// Why a read or write failed, by its kind; the system's words otherwise.
fn io_cause(t: &ErrorStrings, e: &std::io::Error) -> String {
    io_kind(t, Some(e.kind()), e)
}

fn io_kind(t: &ErrorStrings, kind: Option<ErrorKind>, detail: &dyn std::fmt::Display) -> String {
    match kind {
        Some(ErrorKind::StorageFull) => t.io_full.to_owned(),
        Some(ErrorKind::ReadOnlyFilesystem) => t.io_read_only.to_owned(),
        Some(ErrorKind::PermissionDenied) => t.io_denied.to_owned(),
        Some(ErrorKind::NotFound) => t.io_not_found.to_owned(),
        _ => fill(t.io_other, &[("detail", detail)]),
    }
}

/// A network error in `lang`.
pub fn describe_net(lang: Lang, e: &NetError) -> String {
    net(lang.errors(), e)
}

fn net(t: &ErrorStrings, e: &NetError) -> String {
    match e {
        NetError::BadBind(value) => fill(t.bad_bind, &[("value", value)]),
        NetError::Endpoint(detail) => fill(t.endpoint, &[("detail", detail)]),
        // The network stack's words would not help: the sentence says what to check.
        NetError::Unreachable { peer, .. } => fill(t.unreachable, &[("peer", &short(peer))]),
        NetError::NoAnswer { peer } => fill(t.no_answer, &[("peer", &short(peer))]),
        NetError::NotAnInvite => t.not_an_invite.to_owned(),
        NetError::InviteRefused(r) => refusal(t, r),
        NetError::Session { peer, source } => fill(
            t.session,
            &[("peer", &short(peer)), ("why", &session(t, source))],
        ),
        NetError::NotAPairingTicket => t.not_a_pairing_ticket.to_owned(),
        NetError::NotArrived => t.not_arrived.to_owned(),
        NetError::NotATicketOrKey(text) => fill(t.not_a_ticket_or_key, &[("text", text)]),
        NetError::NotARelay(text) => fill(t.not_a_relay, &[("text", text)]),
    }
}

/// Why this device turned a peer away, in `lang`.
pub fn describe_rejection(lang: Lang, e: &Rejection) -> String {
    let t = lang.errors();
    match e {
        Rejection::Session(e) => session(t, e),
        Rejection::Invite { code, message } => {
            refusal(t, &Refusal::from_wire(code, message.clone()))
        }
    }
}

/// Why a sync session ended early, in `lang`.
pub fn describe_session(lang: Lang, e: &SessionError) -> String {
    session(lang.errors(), e)
}

fn session(t: &ErrorStrings, e: &SessionError) -> String {
    match e {
        SessionError::NotAMember => t.session_not_a_member.to_owned(),
        SessionError::Closed(detail) => fill(t.session_closed, &[("detail", detail)]),
        SessionError::NothingShared => t.session_nothing_shared.to_owned(),
        SessionError::Protocol(detail) => fill(t.session_protocol, &[("detail", detail)]),
        SessionError::NotTaken(e) => match e {
            ReceiveError::UnknownSession => t.receive_unknown_session.to_owned(),
            ReceiveError::Malformed(detail) => fill(t.session_protocol, &[("detail", detail)]),
            ReceiveError::Poisoned(detail) => fill(t.receive_poisoned, &[("detail", detail)]),
            ReceiveError::TooManyRefused(count) => fill(t.receive_too_many, &[("count", count)]),
            ReceiveError::NotSaved { kind, detail } => {
                fill(t.receive_not_saved, &[("why", &io_kind(t, *kind, detail))])
            }
            ReceiveError::Stopped => t.receive_stopped.to_owned(),
        },
        SessionError::Timeout => t.session_timeout.to_owned(),
        SessionError::Idle => t.session_idle.to_owned(),
        SessionError::Enough => t.session_enough.to_owned(),
        SessionError::Outdated => t.session_outdated.to_owned(),
    }
}

fn refusal(t: &ErrorStrings, r: &Refusal) -> String {
    match r {
        Refusal::Invite(r) => invite(t, *r).to_owned(),
        Refusal::RateLimited => t.rate_limited.to_owned(),
        Refusal::NotHere => t.not_here.to_owned(),
        Refusal::Failed(detail) => fill(t.inviter_failed, &[("detail", detail)]),
        Refusal::Other { message, .. } => fill(t.refused_other, &[("detail", message)]),
    }
}

fn bundle(t: &ErrorStrings, e: &BundleError) -> String {
    match e {
        BundleError::NotABundle => t.bundle_not_a_bundle.to_owned(),
        BundleError::CutShort | BundleError::BadChecksum | BundleError::Damaged => {
            t.bundle_damaged.to_owned()
        }
        BundleError::NoValidCommunity | BundleError::NoCommunityDocument => {
            t.bundle_no_community.to_owned()
        }
        BundleError::UnknownDocument(kind) => fill(t.bundle_unknown_document, &[("kind", kind)]),
        BundleError::DocumentDamaged { detail, .. } => {
            fill(t.bundle_document_damaged, &[("detail", detail)])
        }
        BundleError::NotTheCommunity { detail, .. } => {
            fill(t.bundle_not_the_community, &[("detail", detail)])
        }
        BundleError::Merge(detail) => fill(t.bundle_document_damaged, &[("detail", detail)]),
        BundleError::Shape(e) => layout(t, e),
        BundleError::OtherCommunity(_) => t.bundle_other_community.to_owned(),
        BundleError::NothingAccepted => t.bundle_nothing_accepted.to_owned(),
        BundleError::NotAMember => t.bundle_not_a_member.to_owned(),
    }
}

fn passphrase(t: &ErrorStrings, e: &PassphraseError) -> String {
    match e {
        PassphraseError::Wrong => t.passphrase_wrong.to_owned(),
        PassphraseError::WrongForBackup => t.passphrase_wrong_backup.to_owned(),
        PassphraseError::Missing => t.passphrase_missing.to_owned(),
        PassphraseError::TooShort => t.passphrase_too_short.to_owned(),
        PassphraseError::HoldsPlainData(path) => {
            fill(t.passphrase_plain_data, &[("path", &path.display())])
        }
        PassphraseError::Derive(detail) => fill(t.passphrase_derive, &[("detail", detail)]),
    }
}

fn backup(t: &ErrorStrings, e: &BackupError) -> String {
    match e {
        BackupError::Damaged(detail) => fill(t.backup_damaged, &[("detail", detail)]),
        BackupError::IntoEncrypted(path) => {
            fill(t.backup_into_encrypted, &[("path", &path.display())])
        }
        BackupError::HoldsIdentity(path) => {
            fill(t.backup_holds_identity, &[("path", &path.display())])
        }
        BackupError::NotABackup => t.backup_not_a_backup.to_owned(),
        BackupError::IdentityInUse(_) => t.backup_identity_in_use.to_owned(),
    }
}
