//! A document file (a `save()` snapshot or a `save_after()` chunk) loaded
//! as the store loads it (`layout::load_file`), alone or after a real
//! document's own file, then the layout check and, when it passes, the
//! view the node builds. A refused file leaves the document's heads
//! unchanged.
//!
//! Input: first byte picks the kind (low bits) and whether the file comes
//! after the real document (high bit); the rest is the file.
#![no_main]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use automerge::AutoCommit;
use libfuzzer_sys::fuzz_target;
use passerelle_core::model::layout::{check_kind, load_file};
use passerelle_core::model::{CommunityDocs, DeviceKey, DocKind, ViewCache};

fn example() -> &'static CommunityDocs {
    static DOCS: OnceLock<CommunityDocs> = OnceLock::new();
    DOCS.get_or_init(|| {
        let mut n = 0u128;
        let mut random = move || {
            n += 1;
            n
        };
        passerelle_demo::example_community(
            &automerge::ActorId::from(&[7u8; 16][..]),
            (&DeviceKey("ab".repeat(32)), "Fuzz"),
            1_700_000_000_000,
            &mut random,
        )
        .unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, file)) = data.split_first() else {
        return;
    };
    let real = example();
    let kind = DocKind::ALL[selector as usize % DocKind::ALL.len()];
    let mut doc: Option<AutoCommit> =
        (selector & 0x80 != 0).then(|| real.doc(kind).unwrap().clone());
    let before = doc.as_mut().map(|d| d.get_heads());
    if load_file(&mut doc, file).is_err() {
        assert_eq!(before, doc.as_mut().map(|d| d.get_heads()));
        return;
    }
    let doc = doc.unwrap();
    if check_kind(&doc, kind).is_err() {
        return;
    }
    let mut docs: BTreeMap<DocKind, AutoCommit> =
        real.docs().map(|(k, d)| (k, d.clone())).collect();
    docs.insert(kind, doc);
    if let Ok(mut docs) = CommunityDocs::from_docs(real.id().clone(), docs) {
        let _ = ViewCache::default().view(&mut docs);
    }
});
