//! The gate alone on the meeting's changes, document by document, on one
//! thread: what `gate::merge` costs against Automerge's plain
//! `apply_changes` of the same changes, with the same signatures a peer
//! sends.
//!
//! `cargo run --release -p passerelle-bench --example gate -- [REPETITIONS]`
//! (docs/PERFORMANCE.md). Uses the `meeting` scenario's cached pair of
//! devices (built on first use): B lacks the last tenth of A's `month`.

use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use automerge::AutoCommit;
use passerelle_bench::fixture::{self, load_doc};
use passerelle_core::model::DocKind;
use passerelle_core::model::gate::{self, Authority, Incoming, Ledger, Writers};

fn main() -> Result<()> {
    let reps: usize = match std::env::args().nth(1) {
        Some(n) => n.parse().context("REPETITIONS: a number")?,
        None => 3,
    };
    let runtime = tokio::runtime::Runtime::new()?;
    let (a, b, _) = runtime.block_on(fixture::pair(90))?;
    for rep in 1..=reps {
        println!("run {rep}");
        let (mut gated, mut plain) = (0.0, 0.0);
        // B's community document and ledger, as the gate leaves them: the
        // collections are judged by the devices it lists after the merge.
        let (mut community, signatures) = load(&b, DocKind::Community)?;
        let mut community_ledger = Ledger::with(signatures);
        community_ledger.prepare(&mut community);
        for kind in DocKind::ALL {
            let (mut theirs, their_signatures) = load(&a, kind)?;
            let (mut ours, mut ledger) = if kind == DocKind::Community {
                (community.clone(), community_ledger.clone())
            } else {
                let (mut doc, signatures) = load(&b, kind)?;
                let mut ledger = Ledger::with(signatures);
                ledger.prepare(&mut doc);
                (doc, ledger)
            };
            let held = ours.get_heads();
            let changes = theirs.get_changes(&held);
            let chunk: Vec<u8> = changes
                .iter()
                .flat_map(|c| c.raw_bytes().to_vec())
                .collect();
            let signed: Vec<_> = Ledger::with(their_signatures)
                .for_chunks([chunk.as_slice()])
                .iter()
                .copied()
                .collect();

            let mut copy = ours.clone();
            let started = Instant::now();
            copy.apply_changes(changes.clone())?;
            let plain_ms = ms(started);

            let writers = Writers::of(&mut community, &mut community_ledger);
            let authority = match kind {
                DocKind::Community => Authority::Community,
                _ => Authority::Collection(&writers),
            };
            let started = Instant::now();
            let incoming = Incoming::read([chunk.as_slice()]).map_err(anyhow::Error::msg)?;
            let read_ms = ms(started);
            let merged = gate::merge(&mut ours, &mut ledger, authority, incoming, &signed)?;
            let gate_ms = ms(started);
            anyhow::ensure!(
                merged.applied == changes.len() && merged.refused.is_empty(),
                "{}: the gate refused honest changes: {:?}",
                kind.as_str(),
                merged.refused
            );
            // What the node then writes: the changes since its last write.
            let started = Instant::now();
            let written = ours.save_after(&held);
            let _ = ledger.for_chunks([written.as_slice()]);
            let save_ms = ms(started);
            println!(
                "  {:9} {:4} changes, {:3} signatures: gate {gate_ms:6.2} ms (reading {read_ms:5.2}), plain apply {plain_ms:6.2} ms; writing them {save_ms:5.2} ms",
                kind.as_str(),
                changes.len(),
                signed.len(),
            );
            if kind == DocKind::Community {
                community = ours;
                community_ledger = ledger;
            }
            gated += gate_ms;
            plain += plain_ms;
        }
        println!(
            "  all       gate {gated:6.2} ms, plain apply {plain:6.2} ms ({:.2} x)",
            gated / plain
        );
    }
    Ok(())
}

fn load(
    device: &Path,
    kind: DocKind,
) -> Result<(AutoCommit, passerelle_core::model::signing::Signatures)> {
    load_doc(device, kind)?
        .with_context(|| format!("{}: no {} document", device.display(), kind.as_str()))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
