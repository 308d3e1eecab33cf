//! The Grande Rencontre: 60 nodes at 6 tables, each person adding an idea,
//! then meeting in pairs, round after round, until every node holds every
//! idea. Each round is a random perfect matching (fixed seed) whose
//! meetings run at once; a meeting is one until-synced session over real
//! iroh endpoints on loopback.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use passerelle_core::model::{Command, CommunityDocs, CommunityId, DocKind, IdeaCommand, defaults};
use passerelle_core::{EndpointAddr, Handle, Node};
use passerelle_demo::generate::{self, Plan, Weights};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::fixture::{self, NOW, SEED, loopback};
use crate::sync::{address, all_heads, same_heads};
use crate::{Effort, Rencontre, ms_since};

/// People at the Grande Rencontre (seed 002).
const NODES: usize = 60;
/// Their tables.
const TABLES: usize = 6;
/// Ideas each person writes down.
const IDEAS_EACH: usize = 1;
/// The scenario fails rather than run forever.
const MAX_ROUNDS: usize = 30;
/// Longest a single meeting may take.
const MEETING_LIMIT: Duration = Duration::from_secs(60);

/// Runs the rencontre scenario.
pub async fn rencontre(_effort: Effort) -> Result<Rencontre> {
    let tmp = tempfile::tempdir()?;
    let mut nodes: Vec<Node> = Vec::with_capacity(NODES);
    for i in 0..NODES {
        nodes.push(fixture::start(&tmp.path().join(format!("n{i:02}")))?);
    }
    let handles: Vec<Handle> = nodes.iter().map(Node::handle).collect();
    let community = gather(&handles).await?;
    write_ideas(&handles, &community).await?;
    let mut addrs: Vec<EndpointAddr> = Vec::with_capacity(NODES);
    for handle in &handles {
        handle.start_network(loopback()).await?;
        addrs.push(address(handle)?);
    }

    let mut schedule = ChaCha8Rng::seed_from_u64(SEED);
    let mut bytes_total = 0;
    let mut ms = 0.0;
    let mut rounds = 0;
    while !converged(&handles).await? {
        ensure!(
            rounds < MAX_ROUNDS,
            "not converged after {MAX_ROUNDS} rounds"
        );
        rounds += 1;
        let mut order: Vec<usize> = (0..NODES).collect();
        order.shuffle(&mut schedule);
        let pairs: Vec<(usize, usize)> = order.chunks(2).map(|p| (p[0], p[1])).collect();
        let started = Instant::now();
        let mut meetings = tokio::task::JoinSet::new();
        for &(i, j) in &pairs {
            let (handle, addr) = (handles[i].clone(), addrs[j].clone());
            meetings.spawn(async move { handle.sync_with(addr, MEETING_LIMIT).await });
        }
        while let Some(stats) = meetings.join_next().await {
            let stats = stats??;
            bytes_total += stats.bytes_sent + stats.bytes_received;
        }
        ms += ms_since(started);
        // Every meeting is a complete sync: both leave with the same changes.
        for &(i, j) in &pairs {
            same_heads(&handles[i], &handles[j])
                .await
                .with_context(|| format!("round {rounds}, nodes {i} and {j}"))?;
        }
    }
    let ideas = handles[0].view(&community).await?.ideas.len();
    ensure!(
        ideas == NODES * IDEAS_EACH,
        "{ideas} ideas after the rencontre"
    );
    // A node's actor stops once no handle to it is left.
    drop(handles);
    for node in nodes {
        node.shutdown().await;
    }
    Ok(Rencontre {
        nodes: NODES as u64,
        rounds: rounds as u64,
        bytes_total,
        ms,
    })
}

/// One community whose members are the owners of every node (and no one
/// else), held by every node.
async fn gather(handles: &[Handle]) -> Result<CommunityId> {
    let devices: Vec<_> = handles.iter().map(|h| h.device_key().clone()).collect();
    let plan = Plan {
        months: 1,
        launch_changes: 0,
        monthly_changes: 0,
        weights: Weights::none(),
    };
    let mut generated = generate::generate(&plan, SEED, &devices, NOW, None)?;
    let id = generated.docs.id().clone();
    // Each device signs its own writing, as it would have when it wrote.
    let mut signatures = generated.signatures();
    for handle in handles {
        for (kind, sigs) in handle.sign_own_writing(&mut generated.docs) {
            signatures.entry(kind).or_default().extend(&sigs);
        }
    }
    for handle in handles {
        let copies = generated
            .docs
            .docs_mut()
            .map(|(kind, doc)| (kind, doc.fork()))
            .collect::<std::collections::BTreeMap<DocKind, _>>();
        handle
            .add_signed_community_docs(
                CommunityDocs::from_docs(id.clone(), copies)?,
                signatures.clone(),
            )
            .await?;
    }
    Ok(id)
}

/// Each person writes down ideas at their table, under one of the themes.
async fn write_ideas(handles: &[Handle], community: &CommunityId) -> Result<()> {
    let themes = defaults::default_themes();
    for (i, handle) in handles.iter().enumerate() {
        for n in 0..IDEAS_EACH {
            let theme = &themes[(i + n) % themes.len()];
            handle
                .apply(
                    community,
                    Command::Ideas(IdeaCommand::AddIdea {
                        id: handle.new_id(),
                        text: format!("Idée {n} de la table {}", 1 + i % TABLES),
                        theme: Some(theme.id.clone()),
                        table: Some(1 + (i % TABLES) as i64),
                    }),
                )
                .await?;
        }
    }
    Ok(())
}

/// Whether every node holds the same changes.
async fn converged(handles: &[Handle]) -> Result<bool> {
    let first = all_heads(&handles[0]).await?;
    for handle in &handles[1..] {
        if all_heads(handle).await? != first {
            return Ok(false);
        }
    }
    Ok(true)
}
