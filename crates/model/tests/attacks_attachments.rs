//! Attacks on attachments' descriptions (review of cfbf4f7), at the model:
//! what a member writes through the real command path, and what a modified
//! app writes straight into the item's `attachments` map (item content is
//! not guarded by the rules: docs/SECURITY.md, "Authorship fields"), and
//! what every device then makes of it (`attachments::blobs`, which decides
//! what every device fetches, keeps and serves).
//!
//! Tests that FAIL show an attack that works today; their comment says what.

mod common;

use automerge::ReadDoc;
use passerelle_model::attachments::{self, MAX_FILE, MAX_THUMB, Role as BlobRole};
use passerelle_model::layout::Genesis;
use passerelle_model::*;

use common::dev;

const MARION: &str = "01MARION";
const MALLORY: &str = "01MALLORY";

fn member(id: &str, role: Role, device: &DeviceKey) -> Member {
    common::member(id, id, role, device)
}

/// Marion (admin, device 1) and Mallory (membre, device 2); Marion's
/// échange `01OFFER`, Mallory's échange `01MINE`.
fn community() -> CommunityDocs {
    let (marion, mallory) = (dev(1), dev(2));
    let genesis: Genesis = common::genesis(member(MARION, Role::Admin, &marion.key));
    let mut docs = CommunityDocs::create(genesis, &marion.key.actor()).unwrap();
    docs.apply(
        &marion.author(),
        Command::Members(MemberCommand::AddMember {
            id: MemberId(MALLORY.into()),
            display_name: "Mallory".into(),
            role: Role::Membre,
            device: mallory.key.clone(),
            device_label: String::new(),
        }),
        1,
    )
    .unwrap();
    for (who, id) in [(&marion, "01OFFER"), (&mallory, "01MINE")] {
        docs.set_actor(&who.key.actor());
        docs.apply(
            &who.author(),
            Command::Exchanges(ExchangeCommand::AddExchange {
                id: ItemId(id.into()),
                kind: ExchangeKind::Offer,
                title: format!("Échange {id}"),
                description: String::new(),
                category: "jardinage".into(),
                mode: ExchangeMode::CoupDeMain,
                place: None,
            }),
            2,
        )
        .unwrap();
    }
    docs
}

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn attach(item: &str, new: NewAttachment) -> Command {
    Command::Attachments(AttachmentCommand::Attach {
        kind: ItemKind::Exchange,
        id: ItemId(item.into()),
        attachment: new,
    })
}

fn file(h: &str, size: u64) -> NewAttachment {
    NewAttachment {
        hash: h.into(),
        name: "fichier.bin".into(),
        mime: "application/octet-stream".into(),
        size,
        dimensions: None,
        thumb: None,
    }
}

fn view(docs: &mut CommunityDocs) -> std::sync::Arc<CommunityView> {
    ViewCache::default().view(docs).unwrap()
}

/// Through the honest command path: a membre cannot attach to (or detach
/// from) Marion's échange. HELD.
#[test]
fn a_membre_cannot_attach_to_or_detach_from_someone_elses_item_through_commands() {
    let mut docs = community();
    let (marion, mallory) = (dev(1), dev(2));
    docs.set_actor(&marion.key.actor());
    docs.apply(&marion.author(), attach("01OFFER", file(&hash(1), 10)), 3)
        .unwrap();
    docs.set_actor(&mallory.key.actor());
    let attached = docs.apply(&mallory.author(), attach("01OFFER", file(&hash(2), 10)), 4);
    assert!(attached.is_err(), "{attached:?}");
    let detached = docs.apply(
        &mallory.author(),
        Command::Attachments(AttachmentCommand::Detach {
            kind: ItemKind::Exchange,
            id: ItemId("01OFFER".into()),
            hash: hash(1),
        }),
        4,
    );
    assert!(detached.is_err(), "{detached:?}");
    let v = view(&mut docs);
    let files = attachments::of_item(&v, ItemKind::Exchange, &ItemId("01OFFER".into())).unwrap();
    assert_eq!(files.len(), 1);
}

/// Through the honest command path: bounds on size, hash, name, type,
/// number. HELD.
#[test]
fn the_command_path_refuses_out_of_bounds_descriptions() {
    let mut docs = community();
    let mallory = dev(2);
    docs.set_actor(&mallory.key.actor());
    let bad = [
        file(&hash(1), 0),
        file(&hash(1), MAX_FILE + 1),
        file("../../etc/passwd", 10),
        file(&"AB".repeat(32), 10),
        NewAttachment {
            name: "../x".into(),
            ..file(&hash(1), 10)
        },
        NewAttachment {
            name: "..".into(),
            ..file(&hash(1), 10)
        },
        NewAttachment {
            mime: "text/html; charset=\"x\"".into(),
            ..file(&hash(1), 10)
        },
        NewAttachment {
            thumb: Some(Thumbnail {
                hash: hash(2),
                size: MAX_THUMB + 1,
                width: 10,
                height: 10,
            }),
            mime: "image/png".into(),
            ..file(&hash(1), 10)
        },
    ];
    for new in bad {
        let r = docs.apply(&mallory.author(), attach("01MINE", new.clone()), 3);
        assert!(r.is_err(), "{new:?} accepted");
    }
    for n in 0..attachments::MAX_ATTACHMENTS as u8 {
        docs.apply(
            &mallory.author(),
            attach("01MINE", file(&hash(n + 10), 10)),
            3,
        )
        .unwrap();
    }
    assert!(
        docs.apply(&mallory.author(), attach("01MINE", file(&hash(99), 10)), 3)
            .is_err()
    );
}

/// Found by the review (it worked); held since. Through the honest command path, a membre attaches
/// a 20 MiB "picture" whose thumbnail hash is the picture's own hash (or
/// the hash of any other file): `attachments::blobs` merges the roles
/// (`min`: Thumbnail) and the sizes (`max`: 20 MiB), so that blob becomes a
/// "thumbnail" of 20 MiB. Every member's device then fetches it at once
/// whatever its automatic size (`wanted_from` wants every thumbnail), and
/// keeps it forever whatever the cache limit (`files::collect` keeps every
/// thumbnail). With one item per 20 attachments, and no limit on items,
/// one membre makes every device download and keep gigabytes.
/// (End-to-end on real nodes: crates/commands/tests/attacks_blobs.rs
/// `a_file_posing_as_its_own_thumbnail_is_fetched_and_kept_by_everyone`.)
#[test]
fn a_blob_counted_as_a_thumbnail_is_never_larger_than_a_thumbnail() {
    let mut docs = community();
    let mallory = dev(2);
    docs.set_actor(&mallory.key.actor());
    let big = hash(7);
    let posing = NewAttachment {
        hash: big.clone(),
        name: "photo.png".into(),
        mime: "image/png".into(),
        size: MAX_FILE,
        dimensions: Some((100, 100)),
        thumb: Some(Thumbnail {
            hash: big.clone(),
            size: 1_000,
            width: 10,
            height: 10,
        }),
    };
    // The command path refuses a picture that is its own thumbnail.
    assert!(
        docs.apply(&mallory.author(), attach("01MINE", posing.clone()), 3)
            .is_err(),
        "a file posing as its own thumbnail was accepted"
    );
    // Used as a file in one item and as a thumbnail in another, a hash
    // is a file: fetched when opened, never kept as a thumbnail.
    docs.apply(&mallory.author(), attach("01MINE", file(&big, MAX_FILE)), 3)
        .expect("a plain file");
    let mut picture = posing;
    picture.hash = hash(6);
    docs.apply(&mallory.author(), attach("01MINE", picture), 4)
        .expect("a picture whose thumbnail is another item's file");
    let v = view(&mut docs);
    let blobs = attachments::blobs(&v);
    let (role, size) = blobs[&big];
    assert!(
        role != BlobRole::Thumbnail || size <= MAX_THUMB,
        "a blob of {size} bytes is wanted and kept by every device as a thumbnail"
    );
}

/// Found by the review (it worked); held since. A modified app writes an attachment straight into
/// its own échange (signed by its own device, admitted like any item
/// content), past every bound of `check`: a thumbnail "of" 50 GB, a file of
/// 1 TB, a hash that is no hash, added_by naming Marion. The read side
/// takes the description as written: `attachments::blobs` gives the sizes
/// as declared, so every member's device auto-fetches a 50 GB "thumbnail"
/// from Mallory's device (the fetch checks the verified size against the
/// declared one only), and Marion's device counts the blobs as her own
/// (fetched whatever their size, never collected).
#[test]
fn descriptions_written_past_the_command_are_bounded_where_they_are_read() {
    let mut docs = community();
    let mallory = dev(2);
    let doc = docs.doc_mut(DocKind::Exchanges).unwrap();
    doc.set_actor(mallory.key.actor());
    let exchanges = doc.get(automerge::ROOT, "exchanges").unwrap().unwrap().1;
    let item = doc.get(&exchanges, "01MINE").unwrap().unwrap().1;
    let files = doc.get(&item, "attachments").unwrap().unwrap().1;
    let forged = Attachment {
        hash: hash(8),
        name: "\u{1b}]0;pwned\u{7}\u{202e}gpj.exe".into(),
        mime: "image/png".into(),
        size: 1 << 40,
        width: Some(u32::MAX),
        height: Some(0),
        thumb: Some(Thumbnail {
            hash: hash(9),
            size: 50_000_000_000,
            width: 1,
            height: 1,
        }),
        added_by: MemberId(MARION.into()),
        added_at: 0,
    };
    autosurgeon::reconcile_prop(doc, &files, hash(8).as_str(), &forged).unwrap();
    let not_a_hash = Attachment {
        hash: "../../../../etc/passwd".into(),
        ..forged.clone()
    };
    autosurgeon::reconcile_prop(doc, &files, "../../../../etc/passwd", &not_a_hash).unwrap();
    let _ = doc.commit();

    let v = view(&mut docs);
    let blobs = attachments::blobs(&v);
    for (h, (role, size)) in &blobs {
        assert!(attachments::is_hash(h), "a referenced blob named {h:?}");
        let max = if *role == BlobRole::Thumbnail {
            MAX_THUMB
        } else {
            MAX_FILE
        };
        assert!(
            *size <= max,
            "{h} declared {size} bytes ({role:?}): every member fetches up to that"
        );
    }
    for used in attachments::used(&v) {
        let a = used.attachment;
        assert!(
            !a.name.chars().any(char::is_control),
            "a name with control characters reaches `attach list`: {:?}",
            a.name
        );
    }
}

/// Found by the review (it worked); held since. Through the honest command path (`Handle::apply`
/// with a `NewAttachment`, which a modified app calls without
/// `picture::clean_name`), a name with terminal escapes, line breaks and a
/// right-to-left override is accepted: `check` refuses only '/', '\\' and
/// NUL. `passerelle-node attach list` prints names raw, so a member's name
/// rewrites other members' terminals ("photo\u{202e}gpj.exe" shows as
/// "photoexe.jpg").
#[test]
fn the_command_path_refuses_control_characters_in_names() {
    let mut docs = community();
    let mallory = dev(2);
    docs.set_actor(&mallory.key.actor());
    for name in [
        "a\u{1b}[2J\u{1b}[31mvirus",
        "ligne\nfausse ligne",
        "photo\u{202e}gpj.exe",
    ] {
        let r = docs.apply(
            &mallory.author(),
            attach(
                "01MINE",
                NewAttachment {
                    name: name.into(),
                    ..file(&hash(3), 10)
                },
            ),
            3,
        );
        assert!(r.is_err(), "{name:?} accepted as a file name");
    }
}

/// Found by the review (it worked, contained); held since. `attachments::file_name` (export names,
/// commit 6734632) takes the first 8 characters of the hash as written:
/// for a description a modified app wrote with `hash: "../../.."` it
/// gives `"../../..-x"`, a path two directories above the export's folder.
/// `Handle::export_files` is saved only because `BlobStore::read` refuses
/// the non-hash first — and then the whole export fails, for every member
/// (a denial of exports). The Markdown/HTML links carry the same path.
/// Fix: drop descriptions whose `hash` (or `thumb.hash`) is not
/// `is_hash`, or whose map key differs from `hash`, where the view is read
/// (crates/model/src/view.rs, the `attachments` of each item, or
/// `attachments::used`); in `file_name` use the hash only if `is_hash`;
/// in `export_files` skip (count as missing) a blob that does not parse
/// instead of failing the export.
#[test]
fn an_export_name_never_leaves_its_folder() {
    let forged = Attachment {
        hash: "../../../../etc".into(),
        name: "x".into(),
        mime: "text/plain".into(),
        size: 1,
        width: None,
        height: None,
        thumb: None,
        added_by: MemberId(MALLORY.into()),
        added_at: 0,
    };
    let name = attachments::file_name(&forged);
    assert!(
        !name.contains("..") && !name.contains('/'),
        "an export file named {name:?}"
    );
}
