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
    BackupError, BundleError, CoreError, IdentityError, NetError, PassphraseError, Quarantined,
    ReceiveError, Refusal, Rejection, SessionError,
};

use super::Lang;

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
fn fill(template: &str, values: &[(&str, &dyn std::fmt::Display)]) -> String {
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
    }
}

/// The words of errors. Placeholders in braces are filled by [`describe`].
pub struct ErrorStrings {
    /// English words the node names (fields, kinds of items, roles, actions
    /// on files), in this language.
    pub words: &'static [(&'static str, &'static str)],
    pub not_a_directory: &'static str,
    pub locked: &'static str,
    pub io: &'static str,
    pub io_full: &'static str,
    pub io_read_only: &'static str,
    pub io_denied: &'static str,
    pub io_not_found: &'static str,
    pub io_other: &'static str,
    pub identity_io: &'static str,
    pub identity_damaged: &'static str,
    pub no_profile: &'static str,
    pub unknown_community: &'static str,
    pub damaged_file: &'static str,
    pub no_network: &'static str,
    pub already_member: &'static str,
    pub sealed: &'static str,
    pub stopped: &'static str,
    pub import_not_utf8: &'static str,
    pub import_bad_header: &'static str,
    pub import_no_header: &'static str,
    pub import_not_calendar: &'static str,
    pub import_bad_calendar: &'static str,
    pub skip_unreadable: &'static str,
    pub skip_columns: &'static str,
    pub skip_no_kind: &'static str,
    pub skip_unknown_kind: &'static str,
    pub skip_in_annuaire: &'static str,
    pub skip_no_title: &'static str,
    pub skip_no_start: &'static str,
    pub skip_in_agenda: &'static str,
    pub empty: &'static str,
    pub too_long: &'static str,
    pub unknown_category: &'static str,
    pub unknown_theme: &'static str,
    pub not_found: &'static str,
    pub duplicate: &'static str,
    pub not_a_member: &'static str,
    pub not_allowed: &'static str,
    pub end_before_start: &'static str,
    pub not_positive: &'static str,
    pub invite_unknown: &'static str,
    pub invite_expired: &'static str,
    pub invite_revoked: &'static str,
    pub invite_used: &'static str,
    pub already_exists: &'static str,
    pub workshop_closed: &'static str,
    pub no_such_table: &'static str,
    pub deleted: &'static str,
    pub thread_locked: &'static str,
    pub not_lockable: &'static str,
    pub last_device: &'static str,
    pub different_workshops: &'static str,
    pub not_bookable: &'static str,
    pub hours_closed: &'static str,
    pub hours_not_aligned: &'static str,
    pub hours_too_long: &'static str,
    pub hours_not_an_opening: &'static str,
    pub hours_offset: &'static str,
    pub hours_not_a_weekday: &'static str,
    pub hours_backwards: &'static str,
    pub hours_no_hours: &'static str,
    pub hours_bad_range: &'static str,
    pub hours_closes_before: &'static str,
    pub hours_empty: &'static str,
    pub layout_missing: &'static str,
    pub layout_wrong_kind: &'static str,
    pub layout_too_new: &'static str,
    pub layout_unreadable: &'static str,
    pub layout_unwritable: &'static str,
    pub bad_bind: &'static str,
    pub endpoint: &'static str,
    pub unreachable: &'static str,
    pub no_answer: &'static str,
    pub not_an_invite: &'static str,
    pub rate_limited: &'static str,
    pub not_here: &'static str,
    pub inviter_failed: &'static str,
    pub refused_other: &'static str,
    pub session: &'static str,
    pub session_not_a_member: &'static str,
    pub session_closed: &'static str,
    pub session_nothing_shared: &'static str,
    pub session_protocol: &'static str,
    pub session_timeout: &'static str,
    pub receive_unknown_session: &'static str,
    pub receive_poisoned: &'static str,
    pub receive_too_many: &'static str,
    pub receive_not_saved: &'static str,
    pub receive_stopped: &'static str,
    pub session_idle: &'static str,
    pub session_enough: &'static str,
    pub session_outdated: &'static str,
    pub not_a_pairing_ticket: &'static str,
    pub not_arrived: &'static str,
    pub not_a_ticket_or_key: &'static str,
    pub not_a_relay: &'static str,
    pub bundle_not_a_bundle: &'static str,
    pub bundle_damaged: &'static str,
    pub bundle_no_community: &'static str,
    pub bundle_unknown_document: &'static str,
    pub bundle_document_damaged: &'static str,
    pub bundle_not_the_community: &'static str,
    pub bundle_other_community: &'static str,
    pub bundle_nothing_accepted: &'static str,
    pub bundle_not_a_member: &'static str,
    pub passphrase_wrong: &'static str,
    pub passphrase_wrong_backup: &'static str,
    pub passphrase_missing: &'static str,
    pub passphrase_too_short: &'static str,
    pub passphrase_plain_data: &'static str,
    pub passphrase_derive: &'static str,
    pub backup_damaged: &'static str,
    pub backup_into_encrypted: &'static str,
    pub backup_holds_identity: &'static str,
}

pub const FR: ErrorStrings = ErrorStrings {
    words: &[
        // Actions on files.
        ("create", "créer"),
        ("lock", "verrouiller"),
        ("move to quarantine", "mettre de côté"),
        ("open", "ouvrir"),
        ("protect", "protéger"),
        ("read", "lire"),
        ("remove", "supprimer"),
        ("write", "écrire"),
        // Fields.
        ("address", "adresse"),
        ("capacity", "capacité"),
        ("comment", "commentaire"),
        ("description", "description"),
        ("device name", "nom de l'appareil"),
        ("display name", "nom"),
        ("e-mail", "courriel"),
        ("heading", "intertitre"),
        ("idea", "idée"),
        ("kind", "type"),
        ("link label", "nom du lien"),
        ("list of merged ideas", "liste des idées regroupées"),
        ("message", "message"),
        ("name", "nom"),
        ("note", "note"),
        ("number of tables", "nombre de tables"),
        ("opening hours", "horaires d'ouverture"),
        ("phone", "téléphone"),
        ("place", "lieu"),
        ("post", "publication"),
        ("reason", "motif"),
        ("reply", "réponse"),
        ("schema", "version du format"),
        ("secret hash", "secret de l'invitation"),
        ("section", "section"),
        ("slot length", "durée d'un créneau"),
        ("tag", "étiquette"),
        ("tag list", "liste d'étiquettes"),
        ("theme", "thème"),
        ("theme id", "identifiant du thème"),
        ("title", "titre"),
        ("typology", "typologie"),
        ("web site", "site web"),
        // Kinds of items.
        ("actor", "fiche de l'annuaire"),
        ("booking", "réservation"),
        ("device of this member", "appareil de ce membre"),
        ("échange", "échange"),
        ("event", "événement"),
        ("exchange", "échange"),
        ("group", "groupe"),
        ("invite", "invitation"),
        ("link", "lien"),
        ("member", "membre"),
        ("sheet", "fiche savoir"),
        ("workshop", "atelier"),
        // Roles.
        ("admins", "les administrateurs"),
        (
            "animateurs and admins",
            "les animateurs et les administrateurs",
        ),
        (
            "members still in the community",
            "les membres encore dans la communauté",
        ),
    ],
    not_a_directory: "L'emplacement des données {path} existe mais n'est pas un dossier ; choisissez-en un autre.",
    locked: "Les données {path} sont déjà ouvertes par un autre programme Passerelle ; fermez-le d'abord.",
    io: "Impossible de {action} {path} : {why}.",
    io_full: "le disque est plein ; libérez de la place, puis réessayez",
    io_read_only: "le disque est en lecture seule (une clé USB ou une carte SD verrouillée ?) ; choisissez un emplacement modifiable",
    io_denied: "l'accès est refusé ; vérifiez à qui appartient le dossier des données",
    io_not_found: "ce fichier ou ce dossier n'existe pas",
    io_other: "le système a rencontré un problème ({detail})",
    identity_io: "La clé de cet appareil ({path}) n'a pas pu être lue ou écrite : {why}.",
    identity_damaged: "La clé de cet appareil ({path}) est abîmée ; déplacez-la pour que l'appareil en crée une nouvelle.",
    no_profile: "Choisissez d'abord votre nom.",
    unknown_community: "Cette communauté ({id}) n'est pas sur cet appareil.",
    damaged_file: "Le fichier {path} est abîmé ; il a été mis de côté dans {quarantine}. ({detail})",
    no_network: "Le réseau n'est pas démarré sur cet appareil.",
    already_member: "Vous faites déjà partie de cette communauté.",
    sealed: "Les données de cet appareil sont chiffrées : entrez leur phrase de passe.",
    stopped: "Passerelle s'est arrêté ; relancez l'application.",
    import_not_utf8: "Le fichier n'est pas du texte UTF-8 (premier caractère illisible ligne {line}) ; enregistrez-le à nouveau en UTF-8 (« CSV UTF-8 » dans les tableurs). Rien n'a été changé.",
    import_bad_header: "La première ligne du tableau ne se lit pas ({detail}). Rien n'a été changé.",
    import_no_header: "La première ligne du tableau doit nommer les colonnes, au moins « name » : {columns}. Rien n'a été changé.",
    import_not_calendar: "Ce fichier n'est pas un calendrier iCalendar (il doit commencer par BEGIN:VCALENDAR). Rien n'a été changé.",
    import_bad_calendar: "Ce calendrier ne se lit pas ({detail}). Rien n'a été changé.",
    skip_unreadable: "la ligne ne se lit pas ({detail})",
    skip_columns: "{found} colonnes alors que l'en-tête en a {expected}",
    skip_no_kind: "le type manque (personne, organisation ou lieu)",
    skip_unknown_kind: "type inconnu « {kind} » (personne, organisation ou lieu attendu)",
    skip_in_annuaire: "déjà dans l'annuaire",
    skip_no_title: "il n'a pas de titre (SUMMARY)",
    skip_no_start: "il n'a pas de date de début lisible (DTSTART)",
    skip_in_agenda: "déjà dans l'agenda",
    empty: "Le champ « {field} » ne doit pas être vide.",
    too_long: "Le champ « {field} » est trop long ({len} caractères, {max} au plus).",
    unknown_category: "La catégorie « {given} » n'existe pas (catégories : {known}).",
    unknown_theme: "Le thème « {given} » n'existe pas (thèmes : {known}).",
    not_found: "Introuvable dans cette communauté : {kind} {id}.",
    duplicate: "Un élément avec l'identifiant {id} existe déjà.",
    not_a_member: "Cet appareil n'est pas membre de la communauté.",
    not_allowed: "Seuls {who} peuvent faire cela.",
    end_before_start: "La fin est avant le début.",
    not_positive: "Le champ « {field} » doit être un nombre positif.",
    invite_unknown: "Cette invitation n'est pas reconnue. Vérifiez qu'elle a été copiée en entier, ou demandez-en une nouvelle.",
    invite_expired: "Cette invitation a expiré. Demandez-en une nouvelle au membre.",
    invite_revoked: "Cette invitation a été annulée. Demandez-en une nouvelle au membre.",
    invite_used: "Cette invitation a déjà servi : chacune ne sert qu'une fois. Demandez-en une nouvelle.",
    already_exists: "« {name} » existe déjà.",
    workshop_closed: "Cet atelier est clos.",
    no_such_table: "Il n'y a pas de table {table} (tables 1 à {tables}).",
    deleted: "Cet élément a été supprimé par la modération et ne peut plus être changé.",
    thread_locked: "Cette discussion a été verrouillée par la modération.",
    not_lockable: "Un ou une {kind} n'a pas de discussion à verrouiller.",
    last_device: "C'est votre dernier appareil actif : reliez d'abord un autre appareil (ou demandez à un animateur de le retirer).",
    different_workshops: "Ces idées ne viennent pas toutes du même atelier.",
    not_bookable: "Ce lieu ne se réserve pas (rendez-le réservable d'abord).",
    hours_closed: "Le lieu est fermé à ce moment-là. Horaires : {hours}",
    hours_not_aligned: "Les réservations commencent et finissent sur des créneaux de {slot} minutes depuis l'ouverture.",
    hours_too_long: "Une réservation dure au plus une journée.",
    hours_not_an_opening: "« {weekday} {from}-{to} » n'est pas un horaire d'ouverture (jour de 1 à 7, HH:MM-HH:MM).",
    hours_offset: "Le décalage horaire est hors limites.",
    hours_not_a_weekday: "« {text} » n'est pas un jour de la semaine (lun, mar…).",
    hours_backwards: "« {text} » : les jours vont à rebours.",
    hours_no_hours: "« {text} » : il manque les heures après les jours (par exemple 09:00-18:00).",
    hours_bad_range: "« {text} » : écrivez les heures comme 09:00-18:00.",
    hours_closes_before: "« {text} » : la fermeture est avant l'ouverture.",
    hours_empty: "Aucun horaire donné (par exemple « lun-ven 09:00-18:00 »).",
    layout_missing: "Un document de la communauté est incomplet (le document {doc} n'a pas de champ « {field} »).",
    layout_wrong_kind: "Un document n'est pas celui attendu ({expected} attendu, {found} trouvé).",
    layout_too_new: "Cette communauté utilise un format plus récent (version {version}) que cette version de Passerelle : mettez Passerelle à jour.",
    layout_unreadable: "Un document de la communauté ne peut pas être lu ({detail}).",
    layout_unwritable: "Un document de la communauté ne peut pas être écrit ({detail}).",
    bad_bind: "PASSERELLE_BIND={value} n'est pas une adresse IP (par exemple 127.0.0.1).",
    endpoint: "Le réseau n'a pas pu démarrer ({detail}).",
    unreachable: "L'ordinateur {peer} ne répond pas. Vérifiez qu'il est allumé, que Passerelle y est ouvert et que vous êtes sur le même Wi-Fi.",
    no_answer: "L'ordinateur {peer} n'a pas répondu à temps. Vérifiez qu'il est allumé, que Passerelle y est ouvert et que vous êtes sur le même Wi-Fi.",
    not_an_invite: "C'est l'adresse d'un appareil, pas une invitation. Demandez au membre de créer une invitation (écran Membres).",
    rate_limited: "Trop d'essais : attendez quelques minutes avant de réessayer.",
    not_here: "L'appareil qui a fait l'invitation n'a pas cette communauté.",
    inviter_failed: "L'appareil qui a fait l'invitation a rencontré un problème ({detail}).",
    refused_other: "L'invitation a été refusée ({detail}).",
    session: "La synchronisation avec l'appareil {peer} a échoué : {why}.",
    session_not_a_member: "cet appareil n'est membre d'aucune de ses communautés",
    session_closed: "l'autre appareil a fermé la connexion ({detail})",
    session_nothing_shared: "aucune communauté en commun",
    session_protocol: "l'autre appareil a envoyé des données invalides ({detail})",
    session_timeout: "l'autre appareil ne répond plus",
    receive_unknown_session: "cette session n'existe plus",
    receive_poisoned: "ce qui est arrivé n'a pas pu être intégré ; la communauté est relue depuis le disque ({detail})",
    receive_too_many: "{count} changements de cet appareil ont été refusés ; la session est close",
    receive_not_saved: "ce qui est arrivé n'a pas pu être enregistré sur cet appareil : {why}",
    receive_stopped: "Passerelle s'est arrêté sur cet appareil",
    session_idle: "plus rien à échanger depuis un moment",
    session_enough: "assez pour cette rencontre, la suite viendra à la prochaine",
    session_outdated: "l'autre appareil a une version trop ancienne de Passerelle, qui ne signe pas ses changements : mettez-la à jour, puis synchronisez à nouveau",
    not_a_pairing_ticket: "Ce ticket était une invitation pour un nouveau membre, pas pour relier un appareil : cet appareil a rejoint la communauté comme nouveau membre.",
    not_arrived: "Vous avez été admis, mais la communauté n'est pas encore arrivée ; synchronisez à nouveau quand l'appareil qui vous a invité est joignable.",
    not_a_ticket_or_key: "« {text} » n'est ni un ticket ni une clé d'appareil.",
    not_a_relay: "« {text} » n'est pas l'adresse d'un relais (par exemple https://relais.exemple.org).",
    bundle_not_a_bundle: "Ce fichier n'est pas un fichier de communauté Passerelle. Rien n'a été changé.",
    bundle_damaged: "Ce fichier est abîmé ou incomplet. Demandez-en une nouvelle copie. Rien n'a été changé.",
    bundle_no_community: "Ce fichier ne contient aucune communauté. Rien n'a été changé.",
    bundle_unknown_document: "Ce fichier contient un document inconnu ({kind}) : il vient peut-être d'une version plus récente de Passerelle. Rien n'a été changé.",
    bundle_document_damaged: "Un document de ce fichier est abîmé ({detail}). Demandez-en une nouvelle copie. Rien n'a été changé.",
    bundle_not_the_community: "Ce fichier ne contient pas le vrai début de la communauté ({detail}). Rien n'a été changé.",
    bundle_other_community: "Un document de ce fichier appartient à une autre communauté. Rien n'a été changé.",
    bundle_nothing_accepted: "Aucun changement de ce fichier n'a pu être accepté. Rien n'a été changé.",
    bundle_not_a_member: "Ce fichier contient une communauté dont vous n'êtes pas membre. Demandez d'abord une invitation. Rien n'a été changé.",
    passphrase_wrong: "Phrase de passe incorrecte.",
    passphrase_wrong_backup: "Phrase de passe incorrecte pour cette sauvegarde ; rien n'a été restauré.",
    passphrase_missing: "Choisissez une phrase de passe pour chiffrer ces données.",
    passphrase_too_short: "Choisissez une phrase de passe d'au moins 8 caractères.",
    passphrase_plain_data: "{path} contient déjà des données non chiffrées ; chiffrez un nouvel emplacement, puis rejoignez-y vos communautés.",
    passphrase_derive: "La clé n'a pas pu être calculée à partir de la phrase de passe ({detail}).",
    backup_damaged: "Ce fichier n'est pas une sauvegarde Passerelle, ou il est abîmé ({detail}) ; rien n'a été restauré.",
    backup_into_encrypted: "{path} contient des données chiffrées ; restaurez dans un nouvel emplacement vide.",
    backup_holds_identity: "{path} contient déjà l'identité d'un appareil ; restaurez dans un nouvel emplacement vide.",
};

pub const EN: ErrorStrings = ErrorStrings {
    words: &[("échange", "exchange")],
    not_a_directory: "The data location {path} exists but is not a folder; choose another one.",
    locked: "The data at {path} is already open in another Passerelle program; close it first.",
    io: "Cannot {action} {path}: {why}.",
    io_full: "the disk is full; free some space, then try again",
    io_read_only: "the disk is read-only (a locked USB stick or SD card?); choose a writable place",
    io_denied: "permission denied; check who owns the data folder",
    io_not_found: "this file or folder does not exist",
    io_other: "the system ran into a problem ({detail})",
    identity_io: "This device's key ({path}) could not be read or written: {why}.",
    identity_damaged: "This device's key ({path}) is damaged; move it away so the device creates a new one.",
    no_profile: "Choose your name first.",
    unknown_community: "This community ({id}) is not on this device.",
    damaged_file: "The file {path} is damaged; it was moved aside to {quarantine}. ({detail})",
    no_network: "Networking is not started on this device.",
    already_member: "You are already a member of this community.",
    sealed: "This device's data is encrypted: enter its passphrase.",
    stopped: "Passerelle has stopped; start the app again.",
    import_not_utf8: "The file is not UTF-8 text (first unreadable character on line {line}); save it again as UTF-8 (\"CSV UTF-8\" in spreadsheets). Nothing was changed.",
    import_bad_header: "The first row of the table does not read ({detail}). Nothing was changed.",
    import_no_header: "The first row of the table must name the columns, at least \"name\": {columns}. Nothing was changed.",
    import_not_calendar: "This file is not an iCalendar calendar (it must start with BEGIN:VCALENDAR). Nothing was changed.",
    import_bad_calendar: "This calendar does not read ({detail}). Nothing was changed.",
    skip_unreadable: "the row does not read ({detail})",
    skip_columns: "{found} columns where the header has {expected}",
    skip_no_kind: "the kind is missing (person, organisation or place)",
    skip_unknown_kind: "unknown kind \"{kind}\" (person, organisation or place expected)",
    skip_in_annuaire: "already in the annuaire",
    skip_no_title: "it has no title (SUMMARY)",
    skip_no_start: "it has no start date that can be read (DTSTART)",
    skip_in_agenda: "already in the agenda",
    empty: "The {field} must not be empty.",
    too_long: "The {field} is too long ({len} characters, at most {max}).",
    unknown_category: "There is no category \"{given}\" (categories: {known}).",
    unknown_theme: "There is no theme \"{given}\" (themes: {known}).",
    not_found: "Not found in this community: {kind} {id}.",
    duplicate: "An item with id {id} already exists.",
    not_a_member: "This device is not a member of the community.",
    not_allowed: "Only {who} can do this.",
    end_before_start: "The end is before the start.",
    not_positive: "The {field} must be a positive number.",
    invite_unknown: "This invite is not recognised. Check it was copied in full, or ask for a new one.",
    invite_expired: "This invite has expired. Ask the member for a new one.",
    invite_revoked: "This invite was withdrawn. Ask the member for a new one.",
    invite_used: "This invite was already used: each works once. Ask for a new one.",
    already_exists: "\"{name}\" already exists.",
    workshop_closed: "This workshop is closed.",
    no_such_table: "There is no table {table} (tables 1 to {tables}).",
    deleted: "This item was deleted by a moderator and cannot be changed.",
    thread_locked: "This thread is locked by a moderator.",
    not_lockable: "A {kind} has no thread to lock.",
    last_device: "This is your last active device: link another device first (or ask an animateur to revoke it).",
    different_workshops: "These ideas are not all from the same workshop.",
    not_bookable: "This place is not bookable (make it bookable first).",
    hours_closed: "The place is closed then. Opening hours: {hours}",
    hours_not_aligned: "Bookings start and end on {slot}-minute slots from the opening time.",
    hours_too_long: "A booking lasts at most a day.",
    hours_not_an_opening: "\"{weekday} {from}-{to}\" is not an opening (weekday 1 to 7, HH:MM-HH:MM).",
    hours_offset: "The UTC offset is out of range.",
    hours_not_a_weekday: "\"{text}\" is not a weekday (mon, tue…).",
    hours_backwards: "\"{text}\": the days go backwards.",
    hours_no_hours: "\"{text}\": the hours are missing after the days (for example 09:00-18:00).",
    hours_bad_range: "\"{text}\": write hours like 09:00-18:00.",
    hours_closes_before: "\"{text}\": it closes before it opens.",
    hours_empty: "No opening hours given (for example \"mon-fri 09:00-18:00\").",
    layout_missing: "A document of the community is incomplete (the {doc} document has no \"{field}\" field).",
    layout_wrong_kind: "A document is not the one expected ({expected} expected, {found} found).",
    layout_too_new: "This community uses a newer format (version {version}) than this version of Passerelle: update Passerelle.",
    layout_unreadable: "A document of the community cannot be read ({detail}).",
    layout_unwritable: "A document of the community cannot be written ({detail}).",
    bad_bind: "PASSERELLE_BIND={value} is not an IP address (for example 127.0.0.1).",
    endpoint: "Networking could not start ({detail}).",
    unreachable: "The computer {peer} does not answer. Check it is on, Passerelle is open there, and you are on the same Wi-Fi.",
    no_answer: "The computer {peer} did not answer in time. Check it is on, Passerelle is open there, and you are on the same Wi-Fi.",
    not_an_invite: "This is a device's address, not an invite. Ask the member to create an invite (Members screen).",
    rate_limited: "Too many attempts: wait a few minutes before trying again.",
    not_here: "The inviting device does not hold this community.",
    inviter_failed: "The inviting device ran into a problem ({detail}).",
    refused_other: "The invite was refused ({detail}).",
    session: "Sync with the device {peer} failed: {why}.",
    session_not_a_member: "this device is a member of none of its communities",
    session_closed: "the other device closed the connection ({detail})",
    session_nothing_shared: "no community in common",
    session_protocol: "the other device sent invalid data ({detail})",
    session_timeout: "the other device stopped answering",
    receive_unknown_session: "this session no longer exists",
    receive_poisoned: "what arrived could not be merged; the community is read again from disk ({detail})",
    receive_too_many: "{count} changes from this device were refused; the session is closed",
    receive_not_saved: "what arrived could not be saved on this device: {why}",
    receive_stopped: "Passerelle has stopped on this device",
    session_idle: "nothing to exchange for a while",
    session_enough: "enough for this meeting, the rest comes at the next one",
    session_outdated: "the other device runs an older Passerelle, which does not sign its changes: update it, then sync again",
    not_a_pairing_ticket: "This ticket was an invite for a new member, not a pairing ticket: this device joined as a new member.",
    not_arrived: "You were admitted, but the community has not arrived yet; sync again when the inviting device is reachable.",
    not_a_ticket_or_key: "\"{text}\" is neither a ticket nor a device key.",
    not_a_relay: "\"{text}\" is not a relay address (for example https://relay.example.org).",
    bundle_not_a_bundle: "This is not a Passerelle community file. Nothing was changed.",
    bundle_damaged: "This file is damaged or incomplete. Ask for a new copy. Nothing was changed.",
    bundle_no_community: "This file holds no community. Nothing was changed.",
    bundle_unknown_document: "This file holds an unknown document ({kind}): it may come from a newer Passerelle. Nothing was changed.",
    bundle_document_damaged: "A document in this file is damaged ({detail}). Ask for a new copy. Nothing was changed.",
    bundle_not_the_community: "This file does not hold the community's true beginning ({detail}). Nothing was changed.",
    bundle_other_community: "A document in this file belongs to another community. Nothing was changed.",
    bundle_nothing_accepted: "None of this file's changes could be accepted. Nothing was changed.",
    bundle_not_a_member: "This file holds a community you are not a member of. Ask for an invite first. Nothing was changed.",
    passphrase_wrong: "Wrong passphrase.",
    passphrase_wrong_backup: "Wrong passphrase for this backup; nothing was restored.",
    passphrase_missing: "Choose a passphrase to encrypt this data.",
    passphrase_too_short: "Choose a passphrase of at least 8 characters.",
    passphrase_plain_data: "{path} already holds unencrypted data; encrypt a new place, then join your communities from it.",
    passphrase_derive: "The key could not be derived from the passphrase ({detail}).",
    backup_damaged: "This file is not a Passerelle backup, or it is damaged ({detail}); nothing was restored.",
    backup_into_encrypted: "{path} holds encrypted data; restore into a new, empty place.",
    backup_holds_identity: "{path} already holds a device identity; restore into a new, empty place.",
};

#[cfg(test)]
mod tests {
    use std::io;
    use std::path::PathBuf;

    use passerelle_core::model::CommunityId;
    use passerelle_core::model::booking::Opening;

    use super::*;

    fn every_command_error() -> Vec<CommandError> {
        let hours = [
            HoursError::EndBeforeStart,
            HoursError::Closed("lun 09:00-12:00".into()),
            HoursError::NotAligned(30),
            HoursError::TooLong,
            HoursError::NotAnOpening(Opening {
                weekday: 9,
                from: "09:00".into(),
                to: "08:00".into(),
            }),
            HoursError::OffsetOutOfRange,
        ];
        let invites = [
            InviteRefusal::Unknown,
            InviteRefusal::Expired,
            InviteRefusal::Revoked,
            InviteRefusal::Used,
        ];
        let mut all = vec![
            CommandError::Empty("title"),
            CommandError::TooLong {
                field: "title",
                len: 300,
                max: 200,
            },
            CommandError::UnknownCategory {
                given: "Cuisine".into(),
                known: "Jardinage, Bricolage".into(),
            },
            CommandError::UnknownTheme {
                given: "x".into(),
                known: "y".into(),
            },
            CommandError::NotFound {
                kind: "échange",
                id: "01J".into(),
            },
            CommandError::Duplicate("01J".into()),
            CommandError::NotAMember,
            CommandError::NotAllowed("animateurs and admins"),
            CommandError::EndBeforeStart,
            CommandError::NotPositive("capacity"),
            CommandError::AlreadyExists("Jardinage".into()),
            CommandError::Closed,
            CommandError::NoSuchTable {
                table: 9,
                tables: 4,
            },
            CommandError::Deleted,
            CommandError::Locked,
            CommandError::NotLockable(ItemKind::Idea),
            CommandError::LastDevice,
            CommandError::DifferentWorkshops,
            CommandError::NotBookable,
            CommandError::Layout(Box::new(LayoutError::TooNew(9))),
        ];
        all.extend(invites.map(CommandError::Invite));
        all.extend(hours.map(CommandError::Hours));
        all
    }

    fn every_core_error() -> Vec<CoreError> {
        let path = || PathBuf::from("/media/cle/passerelle");
        let io_error = |kind| CoreError::Io {
            action: "write",
            path: path(),
            cause: io::Error::from(kind),
        };
        let peer = "a1b2c3d4e5f6".to_owned();
        let sessions = [
            SessionError::NotAMember,
            SessionError::Closed("bye".into()),
            SessionError::NothingShared,
            SessionError::Protocol("expected hello".into()),
            SessionError::Timeout,
            SessionError::Idle,
            SessionError::Enough,
            SessionError::Outdated,
            SessionError::NotTaken(ReceiveError::UnknownSession),
            SessionError::NotTaken(ReceiveError::Malformed("bad chunk".into())),
            SessionError::NotTaken(ReceiveError::Poisoned("automerge".into())),
            SessionError::NotTaken(ReceiveError::TooManyRefused(1001)),
            SessionError::NotTaken(ReceiveError::NotSaved {
                kind: Some(io::ErrorKind::StorageFull),
                detail: "cannot write".into(),
            }),
            SessionError::NotTaken(ReceiveError::NotSaved {
                kind: None,
                detail: "cannot write".into(),
            }),
            SessionError::NotTaken(ReceiveError::Stopped),
        ];
        let mut nets = vec![
            NetError::BadBind("x".into()),
            NetError::Endpoint("address in use".into()),
            NetError::Unreachable {
                peer: peer.clone(),
                reason: "timed out".into(),
            },
            NetError::NoAnswer { peer: peer.clone() },
            NetError::NotAnInvite,
            NetError::InviteRefused(Refusal::RateLimited),
            NetError::InviteRefused(Refusal::NotHere),
            NetError::InviteRefused(Refusal::Failed("disk full".into())),
            NetError::InviteRefused(Refusal::Other {
                code: "new".into(),
                message: "new reason".into(),
            }),
            NetError::InviteRefused(Refusal::Invite(InviteRefusal::Expired)),
            NetError::NotAPairingTicket,
            NetError::NotArrived,
            NetError::NotATicketOrKey("abc".into()),
            NetError::NotARelay("ftp://x".into()),
        ];
        nets.extend(sessions.map(|source| NetError::Session {
            peer: peer.clone(),
            source,
        }));
        let bundles = vec![
            BundleError::NotABundle,
            BundleError::CutShort,
            BundleError::BadChecksum,
            BundleError::Damaged,
            BundleError::NoValidCommunity,
            BundleError::UnknownDocument("later".into()),
            BundleError::DocumentDamaged {
                kind: "agenda",
                detail: "bad chunk".into(),
            },
            BundleError::NoCommunityDocument,
            BundleError::NotTheCommunity {
                community: CommunityId("c".into()),
                detail: "genesis".into(),
            },
            BundleError::Merge("poisoned".into()),
            BundleError::Shape(Box::new(LayoutError::WrongKind {
                expected: "agenda",
                found: "ideas".into(),
            })),
            BundleError::OtherCommunity("agenda"),
            BundleError::NothingAccepted,
            BundleError::NotAMember,
        ];
        let passphrases = vec![
            PassphraseError::Wrong,
            PassphraseError::WrongForBackup,
            PassphraseError::Missing,
            PassphraseError::TooShort,
            PassphraseError::HoldsPlainData(path()),
            PassphraseError::Derive("params".into()),
        ];
        let backups = vec![
            BackupError::Damaged("bad key".into()),
            BackupError::IntoEncrypted(path()),
            BackupError::HoldsIdentity(path()),
        ];
        let mut all = vec![
            CoreError::NotADirectory(path()),
            CoreError::Locked(path()),
            io_error(io::ErrorKind::StorageFull),
            io_error(io::ErrorKind::ReadOnlyFilesystem),
            io_error(io::ErrorKind::PermissionDenied),
            io_error(io::ErrorKind::NotFound),
            io_error(io::ErrorKind::Other),
            CoreError::Identity(IdentityError::Io {
                path: path(),
                source: io::Error::from(io::ErrorKind::PermissionDenied),
            }),
            CoreError::Identity(IdentityError::Damaged { path: path() }),
            CoreError::NoProfile,
            CoreError::UnknownCommunity(CommunityId("c".into())),
            CoreError::Layout(Box::new(LayoutError::Missing {
                doc: "community",
                field: "kind",
            })),
            CoreError::Damaged {
                path: path(),
                reason: "checksum".into(),
                quarantine: path(),
            },
            CoreError::NoNetwork,
            CoreError::AlreadyMember(CommunityId("c".into())),
            CoreError::Sealed(path()),
            CoreError::Stopped,
            CoreError::Import(FileError::NotUtf8 { line: 3 }),
            CoreError::Import(FileError::BadHeader("no header".into())),
            CoreError::Import(FileError::NoHeader(&["name", "kind"])),
            CoreError::Import(FileError::NotCalendar),
            CoreError::Import(FileError::BadCalendar("line 3".into())),
        ];
        all.extend(every_command_error().into_iter().map(CoreError::Command));
        all.extend(nets.into_iter().map(CoreError::Net));
        all.extend(bundles.into_iter().map(CoreError::Bundle));
        all.extend(passphrases.into_iter().map(CoreError::Passphrase));
        all.extend(backups.into_iter().map(CoreError::Backup));
        all
    }

    #[test]
    fn every_error_is_said_in_french_and_english_without_command_lines() {
        for e in every_core_error() {
            let english = e.to_string();
            for lang in [Lang::Fr, Lang::En] {
                let said = describe(lang, &e);
                assert!(!said.trim().is_empty(), "{e:?} in {lang:?}");
                assert!(!said.contains("passerelle-node"), "{said}");
                assert!(!said.contains("--"), "{said}");
                assert!(!said.contains('{'), "a placeholder left in {said}");
            }
            assert_ne!(describe(Lang::Fr, &e), english, "{e:?} is not translated");
        }
    }

    #[test]
    fn every_reason_to_skip_an_entry_is_said_in_french() {
        let reasons = [
            SkipReason::Unreadable("invalid digit".into()),
            SkipReason::Columns {
                found: 5,
                expected: 4,
            },
            SkipReason::NoKind,
            SkipReason::UnknownKind("robot".into()),
            SkipReason::InAnnuaire,
            SkipReason::NoTitle,
            SkipReason::NoStart,
            SkipReason::InAgenda,
            SkipReason::Refused(Arc::new(CommandError::Empty("name"))),
        ];
        for reason in reasons {
            let french = describe_skip(Lang::Fr, &reason);
            assert!(!french.is_empty() && !describe_skip(Lang::En, &reason).is_empty());
            assert_ne!(french, reason.to_string());
        }
    }

    #[test]
    fn every_mistake_in_written_hours_is_said_in_french() {
        for text in [
            "",
            "lun",
            "xyz 09:00-10:00",
            "ven-lun 09:00-10:00",
            "lun 9h",
            "lun 18:00-09:00",
        ] {
            let e = passerelle_core::model::booking::parse_hours(text).unwrap_err();
            let french = describe_hours_text(Lang::Fr, &e);
            assert!(!describe_hours_text(Lang::En, &e).is_empty());
            assert_ne!(french, e.to_string());
        }
    }

    #[test]
    fn a_problem_is_said_again_in_the_language_chosen() {
        let problem = Problem::new(CoreError::Command(CommandError::Empty("title")))
            .doing(|l| l.sync().sync_failed);
        assert_eq!(
            problem.text(Lang::Fr),
            "La synchronisation n'a pas pu se faire. Le champ « titre » ne doit pas être vide."
        );
        assert_eq!(
            problem.text(Lang::En),
            format!(
                "{}. The title must not be empty.",
                Lang::En.sync().sync_failed
            )
        );
    }

    #[test]
    fn an_unknown_system_error_keeps_its_words_in_parentheses() {
        let e = CoreError::Io {
            action: "read",
            path: "/tmp/x".into(),
            cause: io::Error::other("strange failure"),
        };
        assert_eq!(
            describe(Lang::Fr, &e),
            "Impossible de lire /tmp/x : le système a rencontré un problème (strange failure)."
        );
    }
}
