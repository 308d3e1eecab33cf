//! Every error said in both languages, without command lines.

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
        BackupError::NotABackup,
        BackupError::IdentityInUse(path()),
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
        CoreError::Failed,
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
