//! Starting a node, and the [`Handle`] through which everything talks to it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use passerelle_demo::generate::{self, Plan};
use passerelle_model::layout::Genesis;
use passerelle_model::matching::Match;
use passerelle_model::search::Hit;
use passerelle_model::{
    Command, CommunityDocs, CommunityId, CommunityView, DeviceKey, ItemId, Member, MemberCommand,
    MemberId, Outcome, Role,
};
use passerelle_sync::DeviceSecret;
use serde::Serialize;
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::clock::{new_item_id, now, random};
use crate::datadir::DataDir;
use crate::error::CoreError;
use crate::event::Event;
use crate::export::{ExportFormat, export};
use crate::identity::{self, Identity, RenewedIdentity};
use crate::node::{Actor, Job, State, Stopped};
use crate::profile::{self, Profile};
use crate::replica::Net;
use crate::seal::Passphrase;
use crate::store::{Quarantined, Store};

/// How to start a node.
#[derive(Clone, Debug, Default)]
pub struct NodeConfig {
    /// The data directory.
    pub data_dir: PathBuf,
    /// The passphrase of an encrypted data directory (or of a new one, with
    /// `encrypt`).
    pub passphrase: Option<Passphrase>,
    /// Encrypt the data directory, which must be new, with `passphrase`.
    pub encrypt: bool,
}

impl NodeConfig {
    /// A node on this data directory, unencrypted or unlocked later.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            ..Self::default()
        }
    }
}

/// One line of the community list.
#[derive(Clone, Debug, Serialize)]
pub struct CommunitySummary {
    /// Community id.
    pub id: CommunityId,
    /// Name.
    pub name: String,
    /// Number of members.
    pub members: usize,
    /// Number of échanges.
    pub exchanges: usize,
    /// Number of events.
    pub events: usize,
    /// This device's role there.
    pub role: Option<Role>,
    /// The heads of every document (`kind:hash`), sorted: equal on two
    /// devices exactly when they hold the same changes.
    pub heads: Vec<String>,
}

/// A cheap, cloneable way to talk to the node's actor.
#[derive(Clone)]
pub struct Handle {
    pub(crate) jobs: mpsc::Sender<Job>,
    pub(crate) events: broadcast::Sender<Event>,
    pub(crate) changes: broadcast::Sender<String>,
    pub(crate) secret: Arc<DeviceSecret>,
    pub(crate) net: Arc<std::sync::OnceLock<Arc<Net>>>,
    /// The attachments' store, opened on first use.
    pub(crate) blobs: Arc<tokio::sync::OnceCell<passerelle_sync::BlobStore>>,
    device: DeviceKey,
    pub(crate) data_dir: PathBuf,
    renewed: Option<RenewedIdentity>,
}

/// How long stopping waits for the actor to finish its queue.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A running node: its handle, and how to know its actor has stopped.
pub struct Node {
    handle: Handle,
    stopped: Stopped,
}

impl Node {
    /// Opens the data directory and starts the actor on a thread of its own.
    ///
    /// Fails if the directory cannot be used (not a directory, locked by
    /// another process, identity unreadable). Damaged community files do not
    /// fail the start: they are quarantined and listed by [`Handle::quarantined`].
    pub fn start(config: NodeConfig) -> Result<Node, CoreError> {
        let mut dir = DataDir::open(&config.data_dir)?;
        dir.unlock(
            config.passphrase.as_ref().map(Passphrase::as_str),
            config.encrypt,
        )?;
        let Identity {
            secret,
            actor,
            renewed,
        } = identity::load(&dir)?;
        let profile = profile::load(&dir)?;
        let device = DeviceKey(secret.public_hex());
        let (events, _) = broadcast::channel(256);
        let (changes, _) = broadcast::channel(256);
        let store = Store::new(
            dir.communities_dir(),
            dir.quarantine_dir(),
            dir.seal().clone(),
        );
        let data_dir = dir.root().to_owned();
        let secret = Arc::new(secret);
        let mut state = State {
            dir,
            store,
            actor,
            device: device.clone(),
            secret: secret.clone(),
            profile,
            communities: BTreeMap::new(),
            quarantined: Vec::new(),
            events: events.clone(),
            changes: changes.clone(),
            peers: Default::default(),
            blob_indexes: BTreeMap::new(),
        };
        state.load_all()?;
        let Actor { jobs, stopped } = Actor::spawn(state)?;
        Ok(Node {
            handle: Handle {
                jobs,
                events,
                changes,
                secret,
                net: Default::default(),
                blobs: Default::default(),
                device,
                data_dir,
                renewed,
            },
            stopped,
        })
    }

    /// A handle to the node.
    pub fn handle(&self) -> Handle {
        self.handle.clone()
    }

    /// Whether the node has stopped, to wait for where [`Node::shutdown`]
    /// cannot be awaited (the app's exit, which drops its runtime): the
    /// node stops once every handle is dropped.
    pub fn stopped(&self) -> Stopped {
        self.stopped.clone()
    }

    /// Stops the node once every queued command has been handled.
    pub async fn shutdown(self) {
        if let Some(net) = self.handle.net.get() {
            net.shutdown().await;
        }
        if let Some(blobs) = self.handle.blobs.get() {
            blobs.shutdown().await;
        }
        drop(self.handle);
        // The actor ends when the last handle is dropped; callers may hold clones,
        // so bound the wait.
        let stopped = self.stopped;
        let wait = tokio::task::spawn_blocking(move || stopped.wait(STOP_WAIT));
        let _ = wait.await;
    }
}

impl Handle {
    /// Runs `f` on the actor and returns its result.
    pub(crate) async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut State) -> R + Send + 'static,
    ) -> Result<R, CoreError> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |state| {
            let _ = tx.send(f(state));
        });
        self.jobs.send(job).await.map_err(|_| CoreError::Stopped)?;
        rx.await.map_err(|_| {
            if self.jobs.is_closed() {
                CoreError::Stopped
            } else {
                CoreError::Failed
            }
        })
    }

    /// Set when this start found the data directory to be a copy of another
    /// device's and gave it an identity of its own: say so to the user.
    pub fn renewed_identity(&self) -> Option<&RenewedIdentity> {
        self.renewed.as_ref()
    }

    /// This device's public key.
    pub fn device_key(&self) -> &DeviceKey {
        &self.device
    }

    /// The data directory in use.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// A fresh id for a new item.
    pub fn new_id(&self) -> ItemId {
        new_item_id()
    }

    /// The profile, if a name was chosen.
    pub async fn profile(&self) -> Result<Option<Profile>, CoreError> {
        self.call(|s| s.profile.clone()).await
    }

    /// Chooses (or changes) the display name of this device's owner.
    pub async fn set_display_name(&self, name: &str) -> Result<Profile, CoreError> {
        let name = passerelle_model::command::check_name("name", name)?;
        self.call(move |s| {
            let profile = Profile { display_name: name };
            let bytes = serde_json::to_vec_pretty(&profile).expect("a profile always serialises");
            s.dir.write(&s.dir.profile_path(), &bytes, false)?;
            s.profile = Some(profile.clone());
            let _ = s.events.send(Event::ProfileChanged);
            Ok(profile)
        })
        .await?
    }

    /// Damaged files found at start-up.
    pub async fn quarantined(&self) -> Result<Vec<Quarantined>, CoreError> {
        self.call(|s| s.quarantined.clone()).await
    }

    /// The communities on this device.
    pub async fn communities(&self) -> Result<Vec<CommunitySummary>, CoreError> {
        self.call(|s| {
            let device = s.device.clone();
            let ids: Vec<CommunityId> = s.communities.keys().cloned().collect();
            let mut out = Vec::new();
            for id in ids {
                let Ok(view) = s.view(&id) else { continue };
                let mut heads: Vec<String> = view
                    .heads
                    .iter()
                    .flat_map(|(kind, hs)| hs.iter().map(move |h| format!("{}:{h}", kind.as_str())))
                    .collect();
                heads.sort();
                out.push(CommunitySummary {
                    id,
                    name: view.community.name.clone(),
                    members: view.community.members.len(),
                    exchanges: view.exchanges.len(),
                    events: view.events.len(),
                    role: view.member_for_device(&device).map(|m| m.role),
                    heads,
                });
            }
            out.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
            out
        })
        .await
    }

    /// Creates a community with this device's owner as its admin.
    pub async fn create_community(
        &self,
        name: &str,
        description: &str,
    ) -> Result<CommunityId, CoreError> {
        let name = name.to_owned();
        let description = description.to_owned();
        self.call(move |s| {
            let profile = s.profile.clone().ok_or(CoreError::NoProfile)?;
            let at = now();
            let creator = Member {
                id: MemberId::from_parts(at, random()),
                display_name: profile.display_name,
                role: Role::Admin,
                devices: [(
                    s.device.0.clone(),
                    passerelle_model::Device {
                        revoked: None,
                        added_at: at,
                        label: "cet appareil".into(),
                    },
                )]
                .into(),
                skills: Vec::new(),
                languages: Vec::new(),
                joined_at: at,
                removed_at: None,
            };
            let genesis = Genesis::new(&name, &description, creator, &s.device, at, &mut random)?;
            let docs = CommunityDocs::create_signed(genesis, &s.actor)?;
            s.add_community(docs)
        })
        .await?
    }

    /// Creates the example community (see [`passerelle_demo::example`]).
    pub async fn load_example(&self) -> Result<CommunityId, CoreError> {
        self.call(|s| {
            let profile = s.profile.clone().ok_or(CoreError::NoProfile)?;
            let mut rng = random;
            let docs = passerelle_demo::example_community(
                &s.actor,
                (&s.device, &profile.display_name),
                now(),
                &mut rng,
            )?;
            s.add_community(docs)
        })
        .await?
    }

    /// Generates a community of realistic size (see
    /// [`passerelle_demo::generate`]) with this device's owner as its admin,
    /// and keeps it. Generating runs off the node's task.
    pub async fn generate_community(
        &self,
        plan: Plan,
        seed: u64,
    ) -> Result<(CommunityId, usize), CoreError> {
        let profile = self.profile().await?.ok_or(CoreError::NoProfile)?;
        let device = self.device.clone();
        let mut generated = tokio::task::spawn_blocking(move || {
            let mut generated =
                generate::generate(&plan, seed, std::slice::from_ref(&device), now(), None)?;
            // The admin is this device's owner, under their own name.
            generated.docs.apply(
                &passerelle_model::Author { device },
                Command::Members(MemberCommand::UpdateProfile {
                    display_name: Some(profile.display_name),
                    skills: None,
                    languages: None,
                }),
                now(),
            )?;
            Ok::<_, CoreError>(generated)
        })
        .await
        .map_err(|_| CoreError::Stopped)??;
        let changes = generated.changes + 1;
        let signatures = generated.signatures();
        let id = self
            .add_signed_community_docs(generated.docs, signatures)
            .await?;
        Ok((id, changes))
    }

    /// Keeps a community built elsewhere (a generated one), written as one
    /// snapshot per document. Its documents take this device's actor.
    pub async fn add_community_docs(&self, docs: CommunityDocs) -> Result<CommunityId, CoreError> {
        self.add_signed_community_docs(docs, Default::default())
            .await
    }

    /// This device's signatures over its own writing in `docs` (a history
    /// made up elsewhere that names this device, such as a generated one),
    /// so that the devices that keep it can accept that writing. The key
    /// never leaves the node.
    pub fn sign_own_writing(
        &self,
        docs: &mut CommunityDocs,
    ) -> std::collections::BTreeMap<passerelle_model::DocKind, passerelle_model::signing::Signatures>
    {
        let actor = self.device.actor();
        docs.docs_mut()
            .map(|(kind, doc)| {
                let mut ledger = passerelle_model::gate::Ledger::default();
                ledger.sign_own(doc, &[], &actor, |h| crate::node::sign(&self.secret, h));
                (kind, ledger.signatures)
            })
            .collect()
    }

    /// [`Handle::add_community_docs`] with the signatures of what other
    /// devices wrote in them (see `passerelle_demo::generate::Generated`);
    /// this device signs its own writing.
    pub async fn add_signed_community_docs(
        &self,
        mut docs: CommunityDocs,
        signatures: std::collections::BTreeMap<
            passerelle_model::DocKind,
            passerelle_model::signing::Signatures,
        >,
    ) -> Result<CommunityId, CoreError> {
        self.call(move |s| {
            if s.communities.contains_key(docs.id()) {
                return Err(CoreError::AlreadyMember(docs.id().clone()));
            }
            docs.set_actor(&s.actor);
            s.add_signed_community(docs, signatures)
        })
        .await?
    }

    /// The current view of a community (cached until its documents change).
    pub async fn view(&self, community: &CommunityId) -> Result<Arc<CommunityView>, CoreError> {
        let id = community.clone();
        self.call(move |s| s.view(&id)).await?
    }

    /// Applies a command; returns once the change is on disk.
    pub async fn apply(
        &self,
        community: &CommunityId,
        command: Command,
    ) -> Result<Outcome, CoreError> {
        let id = community.clone();
        self.call(move |s| s.apply(&id, command, now())).await?
    }

    /// Searches everything in a community.
    pub async fn search(
        &self,
        community: &CommunityId,
        query: &str,
    ) -> Result<Vec<Hit>, CoreError> {
        let id = community.clone();
        let query = query.to_owned();
        self.call(move |s| {
            let loaded = s.loaded(&id)?;
            let index = loaded.cache.search_index(&mut loaded.docs)?;
            Ok(index.search(&query))
        })
        .await?
    }

    /// Suggested matches between offers and needs.
    pub async fn matches(&self, community: &CommunityId) -> Result<Arc<Vec<Match>>, CoreError> {
        let id = community.clone();
        self.call(move |s| {
            let loaded = s.loaded(&id)?;
            Ok(loaded.cache.matches(&mut loaded.docs)?)
        })
        .await?
    }

    /// Writes a community to `out` as JSON or as Automerge documents.
    pub async fn export(
        &self,
        community: &CommunityId,
        format: ExportFormat,
        out: &Path,
    ) -> Result<(), CoreError> {
        let id = community.clone();
        let out = out.to_owned();
        self.call(move |s| {
            let view = s.view(&id)?;
            let loaded = s.loaded(&id)?;
            export(&mut loaded.docs, &loaded.ledgers, &view, format, &out)
        })
        .await?
    }

    /// The changes the gate refused for a community (from peers and
    /// bundles), kept aside with their reason, oldest first; the
    /// equivocations carry their evidence. Never part of the documents.
    pub async fn refused_changes(
        &self,
        community: &CommunityId,
    ) -> Result<Vec<crate::RefusedChange>, CoreError> {
        let id = community.clone();
        self.call(move |s| s.refused_changes(&id)).await?
    }

    /// Imports a file into a community's agenda (ICS) or annuaire (CSV):
    /// each entry is added by its own validated command, one change each;
    /// entries already there, unreadable or invalid are skipped and
    /// reported. A file that cannot be read at all changes nothing.
    pub async fn import(
        &self,
        community: &CommunityId,
        kind: crate::ImportKind,
        bytes: &[u8],
    ) -> Result<crate::ImportReport, CoreError> {
        let view = self.view(community).await?;
        let plan = crate::export::plan_import(kind, bytes, &view)?;
        let mut report = crate::ImportReport {
            imported: Vec::new(),
            skipped: plan.skipped,
        };
        for planned in plan.commands {
            match self.apply(community, planned.command).await {
                Ok(outcome) => report.imported.push(crate::export::Imported {
                    origin: planned.origin,
                    label: planned.label,
                    id: outcome.id,
                }),
                Err(CoreError::Command(e)) => {
                    report.skipped.push(passerelle_model::export::Skipped {
                        origin: planned.origin,
                        label: planned.label,
                        reason: passerelle_model::export::SkipReason::Refused(std::sync::Arc::new(
                            e,
                        )),
                    })
                }
                Err(e) => return Err(e),
            }
        }
        report.skipped.sort_by_key(|s| match s.origin {
            passerelle_model::export::Origin::Line(n) => n,
            passerelle_model::export::Origin::Event(n) => n as u64,
        });
        Ok(report)
    }
}
