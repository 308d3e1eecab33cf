//! The cost of checking signatures: a fresh device receives each document
//! of a `year` community whole (a `save()` and its signatures, as on
//! joining) and passes every change through the gate ([`gate::merge`])
//! into an empty document, against a plain Automerge load of the same bytes.

use std::time::Instant;

use anyhow::{Context, Result, anyhow, ensure};
use automerge::AutoCommit;
use passerelle_core::model::DocKind;
use passerelle_core::model::gate::{self, Authority, Incoming, Ledger, Writers};
use passerelle_core::model::layout::new_doc;
use passerelle_core::model::signing::Signed;
use passerelle_demo::generate::Size;

use crate::fixture;
use crate::{Effort, Verify, ms_since, percentile};

/// One document as a joining device receives it whole.
struct Received {
    kind: DocKind,
    /// Its `save()`.
    bytes: Vec<u8>,
    /// The latest signature of each of its writers.
    signatures: Vec<Signed>,
    /// Its changes.
    changes: usize,
    /// Its heads, sorted.
    heads: Vec<automerge::ChangeHash>,
}

/// Every change of every document of the `year` fixture through the gate,
/// into empty documents, against `AutoCommit::load` of the same bytes.
pub async fn verify(effort: Effort) -> Result<Verify> {
    let device = fixture::single(Size::Year).await?;
    let mut docs = Vec::new();
    for kind in DocKind::ALL {
        let (mut doc, signatures) = fixture::load_doc(&device, kind)?
            .with_context(|| format!("the year fixture has no {} document", kind.as_str()))?;
        let mut heads = doc.get_heads();
        heads.sort();
        docs.push(Received {
            kind,
            bytes: doc.save(),
            signatures: signatures.iter().copied().collect(),
            changes: doc.get_changes_meta(&[]).len(),
            heads,
        });
    }
    let reps = effort.reps(5, 2);
    tokio::task::spawn_blocking(move || measure(&docs, reps)).await?
}

/// Times both ways of reading the documents, `reps` times each, in turns.
fn measure(docs: &[Received], reps: usize) -> Result<Verify> {
    let mut gated = Vec::new();
    let mut loaded = Vec::new();
    let mut per_doc = vec![(0.0, 0.0); docs.len()];
    for _ in 0..reps {
        let started = Instant::now();
        let mut community: Option<(AutoCommit, Ledger)> = None;
        let mut writers = Writers::default();
        for (i, received) in docs.iter().enumerate() {
            let doc_started = Instant::now();
            let (doc, ledger) = gate_one(received, &writers)?;
            per_doc[i].0 += ms_since(doc_started);
            if received.kind == DocKind::Community {
                let (mut doc, mut ledger) = (doc, ledger);
                writers = Writers::of(&mut doc, &mut ledger);
                community = Some((doc, ledger));
            }
        }
        gated.push(ms_since(started));
        ensure!(community.is_some(), "no community document");

        let started = Instant::now();
        for (i, received) in docs.iter().enumerate() {
            let doc_started = Instant::now();
            let doc = AutoCommit::load(&received.bytes)?;
            per_doc[i].1 += ms_since(doc_started);
            std::hint::black_box(doc);
        }
        loaded.push(ms_since(started));
    }
    let detail: Vec<String> = docs
        .iter()
        .zip(&per_doc)
        .map(|(d, (gate, load))| {
            format!(
                "{} {} changes {} signatures {:.0}/{:.0} ms",
                d.kind.as_str(),
                d.changes,
                d.signatures.len(),
                gate / reps as f64,
                load / reps as f64
            )
        })
        .collect();
    eprintln!("  verify (gate/load): {}", detail.join(", "));
    Ok(Verify {
        changes: docs.iter().map(|d| d.changes as u64).sum(),
        signatures: docs.iter().map(|d| d.signatures.len() as u64).sum(),
        ms: percentile(&gated, 50.0),
        load_ms: percentile(&loaded, 50.0),
    })
}

/// One document through the gate into an empty document, as a joining
/// device merges it; fails unless every change passed and every signature
/// was verified and kept.
fn gate_one(received: &Received, writers: &Writers) -> Result<(AutoCommit, Ledger)> {
    let incoming = Incoming::read([received.bytes.as_slice()]).map_err(|e| anyhow!(e))?;
    let mut doc = new_doc();
    let mut ledger = Ledger::default();
    let authority = match received.kind {
        DocKind::Community => Authority::Community,
        _ => Authority::Collection(writers),
    };
    let merged = gate::merge(
        &mut doc,
        &mut ledger,
        authority,
        incoming,
        &received.signatures,
    )?;
    let kind = received.kind.as_str();
    ensure!(
        merged.refused.is_empty() && merged.deferred == 0,
        "{kind}: {} changes refused (first: {:?}), {} deferred",
        merged.refused.len(),
        merged.refused.first(),
        merged.deferred
    );
    ensure!(
        merged.applied == received.changes,
        "{kind}: {} of {} changes applied",
        merged.applied,
        received.changes
    );
    let mut heads = doc.get_heads();
    heads.sort();
    ensure!(
        heads == received.heads,
        "{kind}: other heads after the gate"
    );
    ensure!(
        ledger.signatures.len() == received.signatures.len(),
        "{kind}: {} of {} signatures kept",
        ledger.signatures.len(),
        received.signatures.len()
    );
    Ok((doc, ledger))
}
