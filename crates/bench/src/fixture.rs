//! Generated communities on disk, built once and kept in a cache beside the
//! binary: five years of history take a minute or two to generate, and every
//! scenario starts from a fresh copy of the same data directory.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use automerge::AutoCommit;
use passerelle_core::model::layout::new_doc;
use passerelle_core::model::signing::{Signatures, unwrap_file};
use passerelle_core::model::{CommunityId, DeviceKey, DocKind};
use passerelle_core::{Handle, NetOptions, Node, NodeConfig};
use passerelle_demo::generate::{self, Plan, Size};

/// The seed of every generated community.
pub const SEED: u64 = 2026;

/// A fixed point in time for generated histories, so cached fixtures do not
/// depend on the day they were built (2026-06-01).
pub const NOW: i64 = 1_780_272_000_000;

/// Where fixtures are kept: `PASSERELLE_BENCH_CACHE`, or `bench-cache`
/// beside the binary (under `target/`, so `cargo clean` removes it).
pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PASSERELLE_BENCH_CACHE") {
        return PathBuf::from(dir);
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|p| p.join("bench-cache")))
        .unwrap_or_else(|| std::env::temp_dir().join("passerelle-bench-cache"))
}

/// Fixtures built by another version of the generator or of the commands
/// are not reused: their sources are part of the key.
fn version() -> String {
    let mut hasher = blake3::Hasher::new();
    for source in [
        include_str!("../../demo/src/generate.rs"),
        // What the generator's commands write.
        include_str!("../../model/src/command/community.rs"),
        include_str!("../../model/src/command/members.rs"),
        include_str!("../../model/src/command/exchanges.rs"),
        include_str!("../../model/src/command/agenda.rs"),
        include_str!("../../model/src/command/groups.rs"),
        include_str!("../../model/src/command/ideas.rs"),
        include_str!("../../model/src/command/annuaire.rs"),
        include_str!("../../model/src/command/savoirs.rs"),
        include_str!("../../model/src/command/fil.rs"),
        include_str!("../../model/src/command/thread.rs"),
        include_str!("../../model/src/command/attachments.rs"),
        include_str!("../../model/src/command/access.rs"),
        include_str!("../../model/src/layout.rs"),
        include_str!("../../model/src/entities.rs"),
        // Signatures are stored in the fixtures' files.
        include_str!("../../model/src/signing.rs"),
    ] {
        hasher.update(source.as_bytes());
    }
    hasher.finalize().to_hex()[..12].to_owned()
}

/// Starts a node on `dir`, confined to loopback when its network starts.
pub fn start(dir: &Path) -> Result<Node> {
    Node::start(NodeConfig::new(dir.to_owned()))
        .with_context(|| format!("starting a node on {}", dir.display()))
}

/// The network options of every bench node: loopback only, no mDNS.
pub fn loopback() -> NetOptions {
    NetOptions {
        bind: Some(std::net::Ipv4Addr::LOCALHOST.into()),
        mdns: false,
    }
}

/// Copies a data directory (fixtures are flat trees of small files).
///
/// The copy keeps the device's identity: `identity/origin` is left out, so
/// the copy is not taken for a second device (see the core's `identity.rs`).
pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else if !["lock", "control.sock", "origin"]
            .contains(&entry.file_name().to_string_lossy().as_ref())
        {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Total size of the files under `dir`.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// The directory of the only community a device holds.
pub fn community_dir(device: &Path) -> Result<PathBuf> {
    let communities = device.join("communities");
    Ok(std::fs::read_dir(&communities)
        .with_context(|| format!("reading {}", communities.display()))?
        .next()
        .context("no community")??
        .path())
}

/// One document of a device's only community, from its files (chunks and
/// snapshots, each a signed file: `PSIGN1` signatures, then Automerge
/// bytes), with the signatures they carry; `None` if it has no file.
pub fn load_doc(device: &Path, kind: DocKind) -> Result<Option<(AutoCommit, Signatures)>> {
    let dir = community_dir(device)?.join(kind.as_str());
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(None);
    };
    let mut doc = None::<AutoCommit>;
    let mut signatures = Signatures::default();
    for file in entries {
        let path = file?.path();
        let bytes = std::fs::read(&path)?;
        let (sigs, automerge) =
            unwrap_file(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        signatures.extend(&sigs);
        // Automerge ignores what it cannot read in `load_incremental`:
        // count the changes to be sure something was read.
        doc.get_or_insert_with(new_doc)
            .load_incremental(automerge)
            .with_context(|| format!("loading {}", path.display()))?;
    }
    if let Some(doc) = &mut doc {
        anyhow::ensure!(
            !doc.get_heads().is_empty(),
            "{}: no change read",
            dir.display()
        );
    }
    Ok(doc.map(|d| (d, signatures)))
}

/// A cached data directory, built by `build` the first time.
async fn cached<F, Fut>(name: &str, build: F) -> Result<PathBuf>
where
    F: FnOnce(PathBuf) -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let dir = cache_dir().join(format!("{name}-{}", version()));
    if dir.join("ready").exists() {
        return Ok(dir);
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    eprintln!(
        "generating the {name} fixture (cached in {})",
        dir.display()
    );
    build(dir.clone()).await?;
    std::fs::write(dir.join("ready"), b"")?;
    Ok(dir)
}

/// Starts a node in a fresh directory and names its owner.
async fn new_device(dir: &Path, name: &str) -> Result<(Node, DeviceKey)> {
    let node = start(dir)?;
    node.handle().set_display_name(name).await?;
    let key = node.handle().device_key().clone();
    Ok((node, key))
}

/// Generates `plan` with `devices` as its first members (up to
/// `stop_after` changes) and adds it to `handle`.
/// Every device in `signers` signs its own writing in it, as it would have
/// when it wrote.
async fn add_generated(
    handle: &Handle,
    plan: Plan,
    devices: Vec<DeviceKey>,
    stop_after: Option<usize>,
    signers: &[Handle],
) -> Result<(CommunityId, usize)> {
    let mut generated = tokio::task::spawn_blocking(move || {
        generate::generate(&plan, SEED, &devices, NOW, stop_after)
    })
    .await??;
    let changes = generated.changes;
    let mut signatures = generated.signatures();
    for signer in signers {
        for (kind, sigs) in signer.sign_own_writing(&mut generated.docs) {
            signatures.entry(kind).or_default().extend(&sigs);
        }
    }
    let id = handle
        .add_signed_community_docs(generated.docs, signatures)
        .await?;
    Ok((id, changes))
}

/// A device holding one generated community of `size`, its owner the admin.
pub async fn single(size: Size) -> Result<PathBuf> {
    plan_fixture(size.as_str(), size.plan()).await
}

/// A device holding one community generated from `plan`.
pub async fn plan_fixture(name: &str, plan: Plan) -> Result<PathBuf> {
    cached(name, |dir| async move {
        let device = dir.join("device");
        let (node, key) = new_device(&device, "Nadia").await?;
        add_generated(&node.handle(), plan, vec![key], None, &[]).await?;
        node.shutdown().await;
        Ok(())
    })
    .await
    .map(|dir| dir.join("device"))
}

/// Two devices of one `month` community: `a` holds all of it, `b` the first
/// `percent` of its history. Returns their directories and the number of
/// changes `b` lacks.
pub async fn pair(percent: usize) -> Result<(PathBuf, PathBuf, usize)> {
    let dir = cached(&format!("pair-{percent}"), |dir| async move {
        let (a, key_a) = new_device(&dir.join("a"), "Nadia").await?;
        let (b, key_b) = new_device(&dir.join("b"), "Karim").await?;
        let devices = vec![key_a, key_b];
        let plan = Size::Month.plan();
        let signers = [a.handle(), b.handle()];
        let (_, total) =
            add_generated(&a.handle(), plan.clone(), devices.clone(), None, &signers).await?;
        let (_, part) = add_generated(
            &b.handle(),
            plan,
            devices,
            Some(total * percent / 100),
            &signers,
        )
        .await?;
        std::fs::write(dir.join("missing"), (total - part).to_string())?;
        a.shutdown().await;
        b.shutdown().await;
        Ok(())
    })
    .await?;
    let missing = std::fs::read_to_string(dir.join("missing"))?
        .trim()
        .parse()?;
    Ok((dir.join("a"), dir.join("b"), missing))
}

/// Waits for `f` to hold, polling, for at most `limit`.
pub async fn until<F, Fut>(limit: Duration, mut f: F) -> Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + limit;
    while !f().await {
        anyhow::ensure!(std::time::Instant::now() < deadline, "timed out");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(())
}
