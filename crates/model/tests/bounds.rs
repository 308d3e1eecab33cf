//! The inflation bound against real data: a generated community's saves,
//! changes and sync messages pass, counted as Automerge counts them.

use automerge::sync::SyncDoc;
use passerelle_demo::generate::{Size, generate};
use passerelle_model::DeviceKey;
use passerelle_model::bounds::{
    Budget, CHANGE_OP_WEIGHT, MAX_INFLATED, check_change, check_chunks, check_sync_message,
};
use passerelle_model::layout::new_doc;

/// A generated community: its saves, changes and sync messages pass, and
/// their operations are counted as Automerge counts them.
#[test]
fn a_generated_community_passes() {
    let mut generated = generate(
        &Size::Month.plan(),
        2026,
        &[DeviceKey("a".repeat(64))],
        1_780_272_000_000,
        Some(1_500),
    )
    .expect("generates");
    let mut budget = Budget::new(MAX_INFLATED);
    for (kind, doc) in generated.docs.docs_mut() {
        let saved = doc.save();
        let changes = doc.get_changes(&[]);
        let ops: usize = changes.iter().map(|c| c.len()).sum();
        let checked = budget.check_chunks(&saved).expect("a real save passes");
        assert_eq!(checked.changes, changes.len(), "{kind:?}");
        // Deletions are not rows of a document's op columns.
        assert!(checked.ops <= ops && checked.ops > 0, "{kind:?}");
        let plain = check_chunks(&doc.save_nocompress(), MAX_INFLATED).expect("passes");
        assert_eq!((plain.ops, plain.changes), (checked.ops, checked.changes));
        let mut file = Vec::new();
        for mut change in changes {
            let c = check_change(&change.bytes(), MAX_INFLATED).expect("a change passes");
            let weighed = change.len() * CHANGE_OP_WEIGHT as usize;
            assert_eq!((c.ops, c.changes), (weighed, 1));
            file.extend(change.raw_bytes());
        }
        let all = check_chunks(&file, MAX_INFLATED).expect("passes");
        assert_eq!(all.ops, ops * CHANGE_OP_WEIGHT as usize);
        // A sync from nothing.
        let mut other = new_doc();
        let (mut sa, mut sb) = (automerge::sync::State::new(), automerge::sync::State::new());
        for _ in 0..20 {
            let mut quiet = true;
            if let Some(m) = doc.sync().generate_sync_message(&mut sa) {
                let m = automerge::sync::Message::decode(&m.encode()).expect("decodes");
                check_sync_message(&m, MAX_INFLATED).expect("passes");
                other
                    .sync()
                    .receive_sync_message(&mut sb, m)
                    .expect("receives");
                quiet = false;
            }
            if let Some(m) = other.sync().generate_sync_message(&mut sb) {
                let m = automerge::sync::Message::decode(&m.encode()).expect("decodes");
                check_sync_message(&m, MAX_INFLATED).expect("passes");
                doc.sync()
                    .receive_sync_message(&mut sa, m)
                    .expect("receives");
                quiet = false;
            }
            if quiet {
                break;
            }
        }
        assert_eq!(other.get_heads(), doc.get_heads(), "{kind:?}");
    }
    assert!(budget.ops() > 0);
}

/// A time column steps back by more than 2^62 between two changes: the
/// step takes ten bytes of signed LEB128, the last 0x7f. Automerge reads
/// such a save; so must the bound, which once read delta columns as
/// unsigned and quarantined the document.
#[test]
fn a_save_with_a_large_step_back_in_time_passes() {
    use automerge::transaction::{CommitOptions, Transactable};
    let mut doc = new_doc();
    for (n, time) in [(1_i64, 0_i64), (2, -(1 << 62) - 5), (3, 0)] {
        doc.put(automerge::ROOT, "n", n).unwrap();
        doc.commit_with(CommitOptions::default().with_time(time));
    }
    let saved = doc.save();
    let checked = check_chunks(&saved, MAX_INFLATED).expect("a save Automerge reads passes");
    assert_eq!(checked.changes, 3);
    let mut loaded = automerge::AutoCommit::load(&saved).expect("Automerge reads it");
    assert_eq!(loaded.get_heads(), doc.get_heads());
}
