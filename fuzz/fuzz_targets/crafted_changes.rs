//! Automerge changes crafted from libFuzzer's bytes, through the node's
//! entry points: a stored file (`load_signed_file`) and a peer's sync
//! message (the gate, then written as the node writes it and read back):
//! the generator and the pipeline of `crates/core/tests/crafted_changes.rs`
//! (which CI runs from a seeded ChaCha), here drawing every choice from the
//! input: the document, the actor, the operations on the example
//! community's real objects, the header rewritten (sequence number, start
//! op, dependencies, author, actors, value types), the changes around it,
//! deflated or not. With `PASSERELLE_FUZZ_AUTOMERGE=1`, Automerge's own
//! paths too (its sync, its save and load), which the node does not use on
//! received changes: a study of Automerge.
//!
//! By default any panic aborts, those Passerelle catches itself included
//! (libFuzzer's hook): each is an Automerge panic a crafted change reaches.
//! With `PASSERELLE_FUZZ_ESCAPES_ONLY=1`, panics are let through to the
//! entry points and only one that escapes them aborts, as the stable test
//! fails. Either way an input that is refused but changes the document, or
//! accepted by the gate but does not load again once written, aborts.
#![no_main]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Once, OnceLock};

use libfuzzer_sys::fuzz_target;

#[path = "../../crates/core/tests/crafted_changes.rs"]
mod crafted;

use crafted::{Base, FuzzBytes, Guard, Memo, Outcome};
use passerelle_core::model::DocKind;

fn base() -> &'static Base {
    static BASE: OnceLock<Base> = OnceLock::new();
    BASE.get_or_init(crafted::base)
}

fn escapes_only() -> bool {
    static ESCAPES_ONLY: OnceLock<bool> = OnceLock::new();
    *ESCAPES_ONLY.get_or_init(|| {
        let on = std::env::var_os("PASSERELLE_FUZZ_ESCAPES_ONLY").is_some_and(|v| v != "0");
        if on {
            // libFuzzer's hook aborts on any panic: replace it with one that
            // says where, and let the entry points catch what they catch.
            std::panic::set_hook(Box::new(|info| {
                if std::env::var_os("PASSERELLE_FUZZ_VERBOSE").is_some() {
                    eprintln!("panic (may be caught): {info}");
                }
            }));
        }
        on
    })
}

fn automerge_paths() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| std::env::var_os("PASSERELLE_FUZZ_AUTOMERGE").is_some_and(|v| v != "0"))
}

/// Runs each step; a panic aborts, right away (libFuzzer's hook) or, with
/// `PASSERELLE_FUZZ_ESCAPES_ONLY`, when it escapes the step.
struct Abort;

impl Guard for Abort {
    fn run<R>(&mut self, stage: &'static str, f: impl FnOnce() -> R) -> Option<R> {
        if !escapes_only() {
            return Some(f());
        }
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => Some(value),
            Err(_) => {
                eprintln!("a panic escaped {stage}");
                std::process::abort();
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    static START: Once = Once::new();
    START.call_once(|| {
        escapes_only();
    });
    let base = base();
    let input = crafted::craft(base, &mut FuzzBytes::new(data));
    let index = DocKind::ALL.iter().position(|k| *k == input.kind).unwrap();
    let doc = &base.docs[index];
    let file = input.file();
    let mut outcomes = vec![
        crafted::through_stored_file(&mut Abort, doc, &file),
        crafted::through_gate(&mut Abort, base, doc, &input.message, &mut Memo::default()),
    ];
    if automerge_paths() {
        outcomes.push(crafted::through_file(&mut Abort, doc, &file, &mut Memo::default()));
        outcomes.push(crafted::through_sync(
            &mut Abort,
            doc,
            &input.message,
            &mut Memo::default(),
        ));
    }
    for outcome in outcomes {
        if let Outcome::Bug(what) = outcome {
            eprintln!("{what}: {}", input.shape.label());
            std::process::abort();
        }
    }
});
