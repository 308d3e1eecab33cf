//! How a community is laid out in Automerge documents.
//!
//! One *community* document holds what every member needs first and what
//! decides access (settings, members and their device keys, groups, the
//! annuaire), and lists the ids of one collection document per big collection.
//! Collections load and sync independently and keep the membership document
//! small. Every document's root map, and each collection map inside it, is
//! created once by the community's creator (the *genesis*): other devices only
//! ever receive these objects, so two devices never create the same container
//! concurrently (which would hide one of them after a merge).

use std::collections::BTreeMap;

use automerge::{ActorId, AutoCommit, ObjId, ObjType, ROOT, ReadDoc, transaction::Transactable};
use autosurgeon::{Text, reconcile_prop};

use crate::entities::{Category, DocumentIds, Member, Theme};
use crate::ids::{CommunityId, DeviceKey, DocumentId, Timestamp};

/// The schema version written in every document's `schema` field.
pub const SCHEMA_VERSION: i64 = 1;

/// A new, empty document, indexing text by UTF-8 byte.
///
/// autosurgeon's `Text` computes its splice positions on Rust strings, in
/// bytes; the document must count text positions the same way, or an edit
/// after an accented letter lands in the wrong place (or out of bounds).
/// The encoding is only how positions are counted here: the stored text, and
/// what other implementations read, is the same.
pub fn new_doc() -> AutoCommit {
    AutoCommit::new_with_encoding(automerge::TextEncoding::Utf8CodeUnit)
}

/// The documents of a community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKind {
    /// Settings, members, groups, annuaire, and the ids of the others.
    Community,
    /// Offers and needs.
    Exchanges,
    /// Events.
    Agenda,
    /// Workshop ideas.
    Ideas,
    /// Collaborative sheets.
    Savoirs,
    /// Announcements.
    Fil,
}

impl DocKind {
    /// Every kind, community first.
    pub const ALL: [DocKind; 6] = [
        DocKind::Community,
        DocKind::Exchanges,
        DocKind::Agenda,
        DocKind::Ideas,
        DocKind::Savoirs,
        DocKind::Fil,
    ];

    /// The name stored in the document's `kind` field and used in exports.
    pub fn as_str(self) -> &'static str {
        match self {
            DocKind::Community => "community",
            DocKind::Exchanges => "exchanges",
            DocKind::Agenda => "agenda",
            DocKind::Ideas => "ideas",
            DocKind::Savoirs => "savoirs",
            DocKind::Fil => "fil",
        }
    }

    /// The root keys of the item maps this document holds.
    pub fn collections(self) -> &'static [&'static str] {
        match self {
            DocKind::Community => &["members", "invites", "groups", "actors", "links"],
            DocKind::Exchanges => &["exchanges"],
            DocKind::Agenda => &["events"],
            DocKind::Ideas => &["ideas"],
            DocKind::Savoirs => &["sheets"],
            DocKind::Fil => &["posts"],
        }
    }
}

/// A document is not shaped as this schema expects.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A required field is absent (document from elsewhere, or not synced yet).
    #[error("the {doc} document has no '{field}' field")]
    Missing {
        /// Which document.
        doc: &'static str,
        /// Which field.
        field: &'static str,
    },
    /// The document's `kind` field is not the expected one.
    #[error("expected a {expected} document, found '{found}'")]
    WrongKind {
        /// Expected kind.
        expected: &'static str,
        /// Kind found.
        found: String,
    },
    /// A newer version of Passerelle wrote this document.
    #[error(
        "this document uses schema version {0}, newer than this version of Passerelle ({SCHEMA_VERSION}); please update"
    )]
    TooNew(i64),
    /// Reading the document failed.
    #[error("cannot read document: {0}")]
    Hydrate(#[from] autosurgeon::HydrateError),
    /// Automerge refused an operation.
    #[error("document error: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    /// Writing a value failed.
    #[error("cannot write document: {0}")]
    Reconcile(#[from] autosurgeon::ReconcileError),
}

/// What a new community starts with.
pub struct Genesis {
    /// The community's id.
    pub id: CommunityId,
    /// The id of each document, community included.
    pub community_doc: DocumentId,
    /// The ids of the collection documents.
    pub collections: DocumentIds,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Échange categories.
    pub categories: Vec<Category>,
    /// Theme typology.
    pub themes: Vec<Theme>,
    /// The creator, first admin.
    pub creator: Member,
    /// Creation time.
    pub now: Timestamp,
    /// 32 random bytes, hex: the secret members derive their LAN discovery
    /// tag from (see docs/PROTOCOL.md).
    pub discovery_secret: String,
}

impl Genesis {
    /// A new community's genesis with fresh ids, the default categories and
    /// the seven-theme typology; the name and description are checked. The
    /// community's id is bound to `device`, the creator's device
    /// ([`CommunityId::bound`]).
    pub fn new(
        name: &str,
        description: &str,
        creator: Member,
        device: &DeviceKey,
        now: Timestamp,
        random: &mut dyn FnMut() -> u128,
    ) -> Result<Self, crate::CommandError> {
        // Drawn all the same, so the other ids stay those of a given seed.
        let drawn = random();
        Ok(Genesis {
            id: CommunityId::bound(now, device)
                .unwrap_or_else(|| CommunityId::from_parts(now, drawn)),
            community_doc: DocumentId::from_random(random()),
            collections: DocumentIds {
                exchanges: DocumentId::from_random(random()),
                agenda: DocumentId::from_random(random()),
                ideas: DocumentId::from_random(random()),
                savoirs: DocumentId::from_random(random()),
                fil: DocumentId::from_random(random()),
            },
            name: crate::command::check_name("name", name)?,
            description: crate::command::check_text("description", description)?,
            categories: crate::defaults::default_categories(),
            themes: crate::defaults::default_themes(),
            creator,
            now,
            discovery_secret: format!("{:032x}{:032x}", random(), random()),
        })
    }
}

/// All documents of one community, in memory.
#[derive(Clone)]
pub struct CommunityDocs {
    id: CommunityId,
    docs: BTreeMap<DocKind, AutoCommit>,
    /// What commands are checked against, cached by community document heads.
    pub(crate) rules: Option<std::sync::Arc<crate::command::Rules>>,
}

impl CommunityDocs {
    /// Creates the genesis of every document of a new community whose
    /// changes need not be signed (histories made up by tests and the
    /// generator; communities of earlier versions were made so).
    pub fn create(genesis: Genesis, actor: &ActorId) -> Result<Self, LayoutError> {
        Self::create_with(genesis, actor, false)
    }

    /// Creates the genesis of every document of a new community in which
    /// every change must be signed by its device ([`crate::gate`]): each
    /// document's first operation writes `signed: true`.
    pub fn create_signed(genesis: Genesis, actor: &ActorId) -> Result<Self, LayoutError> {
        Self::create_with(genesis, actor, true)
    }

    fn create_with(genesis: Genesis, actor: &ActorId, signed: bool) -> Result<Self, LayoutError> {
        let mut docs = BTreeMap::new();
        let mut community = new_doc().with_actor(actor.clone());
        let root_fields = |doc: &mut AutoCommit, kind: DocKind| -> Result<(), LayoutError> {
            if signed {
                doc.put(ROOT, "signed", true)?;
            }
            doc.put(ROOT, "schema", SCHEMA_VERSION)?;
            doc.put(ROOT, "kind", kind.as_str())?;
            doc.put(ROOT, "community", genesis.id.as_str())?;
            for key in kind.collections() {
                doc.put_object(ROOT, *key, ObjType::Map)?;
            }
            Ok(())
        };
        root_fields(&mut community, DocKind::Community)?;
        community.put(ROOT, "id", genesis.community_doc.as_str())?;
        community.put(ROOT, "created_at", genesis.now)?;
        community.put(ROOT, "discovery_secret", genesis.discovery_secret.as_str())?;
        reconcile_prop(&mut community, ROOT, "name", &genesis.name)?;
        reconcile_prop(
            &mut community,
            ROOT,
            "description",
            Text::with_value(&genesis.description),
        )?;
        reconcile_prop(&mut community, ROOT, "categories", &genesis.categories)?;
        reconcile_prop(&mut community, ROOT, "themes", &genesis.themes)?;
        reconcile_prop(&mut community, ROOT, "documents", &genesis.collections)?;
        let members = map_obj(&community, DocKind::Community, "members")?;
        reconcile_prop(
            &mut community,
            &members,
            genesis.creator.id.as_str(),
            &genesis.creator,
        )?;
        commit(&mut community, "create community", genesis.now);
        docs.insert(DocKind::Community, community);

        for kind in &DocKind::ALL[1..] {
            let mut doc = new_doc().with_actor(actor.clone());
            root_fields(&mut doc, *kind)?;
            if let Some(id) = collection_id(&genesis.collections, *kind) {
                doc.put(ROOT, "id", id.as_str())?;
            }
            commit(&mut doc, "create collection", genesis.now);
            docs.insert(*kind, doc);
        }
        Ok(Self {
            id: genesis.id,
            docs,
            rules: None,
        })
    }

    /// Wraps documents loaded from storage, checking their kinds and schema.
    pub fn from_docs(
        id: CommunityId,
        docs: BTreeMap<DocKind, AutoCommit>,
    ) -> Result<Self, LayoutError> {
        for (kind, doc) in &docs {
            check_kind(doc, *kind)?;
        }
        if !docs.contains_key(&DocKind::Community) {
            return Err(LayoutError::Missing {
                doc: "community",
                field: "kind",
            });
        }
        Ok(Self {
            id,
            docs,
            rules: None,
        })
    }

    /// Adds a document received from a peer; it must be of its kind.
    pub fn insert_doc(&mut self, kind: DocKind, doc: AutoCommit) -> Result<(), LayoutError> {
        check_kind(&doc, kind)?;
        self.docs.insert(kind, doc);
        Ok(())
    }

    /// The community's id.
    pub fn id(&self) -> &CommunityId {
        &self.id
    }

    /// One document.
    pub fn doc(&self, kind: DocKind) -> Option<&AutoCommit> {
        self.docs.get(&kind)
    }

    /// One document, for writing.
    pub fn doc_mut(&mut self, kind: DocKind) -> Option<&mut AutoCommit> {
        self.docs.get_mut(&kind)
    }

    /// Every document present.
    pub fn docs(&self) -> impl Iterator<Item = (DocKind, &AutoCommit)> {
        self.docs.iter().map(|(k, d)| (*k, d))
    }

    /// Every document present, for writing.
    pub fn docs_mut(&mut self) -> impl Iterator<Item = (DocKind, &mut AutoCommit)> {
        self.docs.iter_mut().map(|(k, d)| (*k, d))
    }

    /// The document ids, read from the community document.
    pub fn document_ids(&self) -> Result<(DocumentId, DocumentIds), LayoutError> {
        let doc = self.community();
        let id: String = autosurgeon::hydrate_prop(doc, ROOT, "id")?;
        let ids: DocumentIds = autosurgeon::hydrate_prop(doc, ROOT, "documents")?;
        Ok((DocumentId(id), ids))
    }

    /// The community document (always present).
    pub fn community(&self) -> &AutoCommit {
        // `from_docs` and `create` both guarantee the community document exists.
        &self.docs[&DocKind::Community]
    }

    /// The community document, for writing.
    pub(crate) fn community_mut(&mut self) -> &mut AutoCommit {
        self.docs
            .get_mut(&DocKind::Community)
            .expect("`from_docs` and `create` both guarantee the community document exists")
    }

    /// Sets the Automerge actor of every document.
    pub fn set_actor(&mut self, actor: &ActorId) {
        for doc in self.docs.values_mut() {
            doc.set_actor(actor.clone());
        }
    }

    /// For each document, the highest operation counter this copy holds from
    /// a device's actor: what a revocation keeps of that device's writing
    /// (a document with nothing from it is left out, which keeps nothing).
    pub fn seen_ops(
        &mut self,
        device: &crate::ids::DeviceKey,
    ) -> std::collections::BTreeMap<String, i64> {
        let actor = device.actor();
        self.docs
            .iter_mut()
            .filter_map(|(kind, doc)| {
                let max = doc
                    .get_changes_meta(&[])
                    .into_iter()
                    .filter(|c| *c.actor == actor)
                    .map(|c| c.max_op)
                    .max()?;
                Some((
                    kind.as_str().to_owned(),
                    i64::try_from(max).unwrap_or(i64::MAX),
                ))
            })
            .collect()
    }

    /// The heads of every document, used as the cache key of derived data.
    pub fn heads(&mut self) -> Vec<(DocKind, Vec<automerge::ChangeHash>)> {
        self.docs
            .iter_mut()
            .map(|(k, d)| (*k, d.get_heads()))
            .collect()
    }
}

/// The id of a collection document (`None` for the community document, whose
/// id is its own `id` field).
pub fn collection_id(ids: &DocumentIds, kind: DocKind) -> Option<&DocumentId> {
    match kind {
        DocKind::Community => None,
        DocKind::Exchanges => Some(&ids.exchanges),
        DocKind::Agenda => Some(&ids.agenda),
        DocKind::Ideas => Some(&ids.ideas),
        DocKind::Savoirs => Some(&ids.savoirs),
        DocKind::Fil => Some(&ids.fil),
    }
}

/// Checks that a document is of the expected kind and a schema we understand.
pub fn check_kind(doc: &AutoCommit, expected: DocKind) -> Result<(), LayoutError> {
    let kind: String = match autosurgeon::hydrate_prop(doc, ROOT, "kind") {
        Ok(kind) => kind,
        Err(_) => {
            return Err(LayoutError::Missing {
                doc: expected.as_str(),
                field: "kind",
            });
        }
    };
    if kind != expected.as_str() {
        return Err(LayoutError::WrongKind {
            expected: expected.as_str(),
            found: kind,
        });
    }
    let schema: i64 =
        autosurgeon::hydrate_prop(doc, ROOT, "schema").map_err(|_| LayoutError::Missing {
            doc: expected.as_str(),
            field: "schema",
        })?;
    if schema > SCHEMA_VERSION {
        return Err(LayoutError::TooNew(schema));
    }
    Ok(())
}

/// Checks that a community document received into an empty one (joining,
/// importing a bundle of a community not held) is the start of community
/// `expected`: where its genesis asks for signed changes, that genesis must
/// name `expected` as its `community` and list, among its devices, the key
/// whose actor wrote it, to which `expected` is bound
/// ([`CommunityId::bound`]). Nobody else can then make a genesis for that
/// id: the gate has checked the genesis is signed by that key. A genesis
/// without `signed` (communities of earlier versions, random ids) is not
/// checked; an empty document passes.
pub fn check_genesis(
    doc: &mut AutoCommit,
    expected: &CommunityId,
) -> Result<(), crate::gate::Reason> {
    let Some((genesis, creator)) = crate::gate::Ledger::default().genesis(doc) else {
        return Ok(());
    };
    if !crate::gate::signed_at(doc, &genesis) {
        return Ok(());
    }
    let at = [genesis];
    let map = |obj: &ObjId, key: &str| match doc.get_at(obj, key, &at) {
        Ok(Some((automerge::Value::Object(ObjType::Map), id))) => Some(id),
        _ => None,
    };
    let named = match doc.get_at(ROOT, "community", &at) {
        Ok(Some((value, _))) => value.as_str().map(str::to_owned),
        _ => None,
    };
    let members = map(&ROOT, "members");
    let bound = named.as_deref() == Some(expected.as_str())
        && members.iter().any(|members| {
            doc.keys_at(members, &at).any(|member| {
                map(members, &member)
                    .and_then(|entry| map(&entry, "devices"))
                    .is_some_and(|devices| {
                        doc.keys_at(&devices, &at).any(|key| {
                            let key = DeviceKey(key);
                            key.actor() == creator && expected.is_bound_to(&key)
                        })
                    })
            })
        });
    if bound {
        Ok(())
    } else {
        Err(crate::gate::Reason::ForgedGenesis)
    }
}

/// Adds one stored file (a whole `save()`, or changes from `save_after()`)
/// to a document being loaded, as the store reads a document's files. The
/// file is parsed alone first, so a file failing half-way never leaves part
/// of itself in the document; the first file (`doc` is `None`) parsed alone
/// is the document, so a big snapshot is parsed once. The layout is checked
/// by [`check_kind`] once every file is in.
pub fn load_file(doc: &mut Option<AutoCommit>, bytes: &[u8]) -> Result<(), String> {
    load_signed_file(doc, bytes).map(|_| ())
}

/// [`load_file`] for a stored file that may carry the signatures of its
/// changes before its Automerge bytes ([`crate::signing::wrap_file`]);
/// returns them. The bytes are checked by [`crate::bounds`] before
/// Automerge reads them, and a panic inside Automerge refuses the file.
pub fn load_signed_file(
    doc: &mut Option<AutoCommit>,
    bytes: &[u8],
) -> Result<crate::signing::Signatures, String> {
    let (signatures, bytes) = crate::signing::unwrap_file(bytes)?;
    if bytes.is_empty() {
        return Err("empty file".to_owned());
    }
    crate::bounds::check_chunks(bytes, crate::bounds::MAX_INFLATED).map_err(|e| e.to_string())?;
    let guarded = |f: &mut dyn FnMut() -> Result<(), automerge::AutomergeError>| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .map_err(|_| "Automerge failed on this file".to_owned())?
            .map_err(|e| e.to_string())
    };
    let mut alone = new_doc();
    guarded(&mut || alone.load_incremental(bytes).map(|_| ()))?;
    match doc {
        None => *doc = Some(alone),
        Some(doc) => guarded(&mut || doc.load_incremental(bytes).map(|_| ()))?,
    }
    Ok(signatures)
}

/// Most hash functions a peer's Bloom filter may ask for per change (Automerge
/// writes 7). Each change of a document is looked up with that many probes
/// when the answer is built.
pub const MAX_BLOOM_PROBES: u32 = 64;

/// Most bits per entry a received Bloom filter may have (Automerge uses 10).
pub const MAX_BLOOM_BITS_PER_ENTRY: u32 = 64;

/// Most `have` entries (Bloom filters) a received sync message may carry
/// (Automerge sends one).
pub const MAX_HAVES: usize = 8;

/// Decodes an Automerge sync message received from a peer, its lists of
/// hashes sorted as Automerge writes them, refusing what Automerge would
/// choke on when answering it: a Bloom filter that holds
/// entries but no bits (its lookups divide by zero and panic), or that asks
/// for more than [`MAX_BLOOM_PROBES`] probes (billions of them allocate and
/// loop for minutes).
pub fn decode_sync_message(data: &[u8]) -> Result<automerge::sync::Message, String> {
    let mut message = automerge::sync::Message::decode(data)
        .map_err(|e| format!("malformed sync message: {e}"))?;
    // Automerge keeps some of these lists as they came (the peer's heads
    // become the shared heads, then the last sync of our next message) and
    // asserts they are sorted when it writes them: a panic in debug builds.
    message.heads.sort_unstable();
    message.need.sort_unstable();
    for have in &mut message.have {
        have.last_sync.sort_unstable();
    }
    if message.have.len() > MAX_HAVES {
        return Err(format!(
            "malformed sync message: {} Bloom filters",
            message.have.len()
        ));
    }
    for have in &message.have {
        // The filter's encoding: empty, or three LEB128 numbers (entries,
        // bits per entry, probes) then the bits.
        let bytes = have.bloom.to_bytes();
        let mut fields = leb128_u32s(&bytes);
        let (Some(entries), Some(bits_per_entry), Some(probes)) =
            (fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        if entries != 0 && bits_per_entry == 0 {
            return Err("malformed sync message: a Bloom filter with no bits".to_owned());
        }
        if bits_per_entry > MAX_BLOOM_BITS_PER_ENTRY {
            return Err(format!(
                "malformed sync message: a Bloom filter of {bits_per_entry} bits per entry"
            ));
        }
        if probes > MAX_BLOOM_PROBES {
            return Err(format!(
                "malformed sync message: a Bloom filter with {probes} probes"
            ));
        }
    }
    Ok(message)
}

/// The unsigned LEB128 numbers at the start of `bytes`, as long as they fit a `u32`.
fn leb128_u32s(bytes: &[u8]) -> impl Iterator<Item = u32> + '_ {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        let mut value: u64 = 0;
        for (i, byte) in rest.iter().enumerate().take(5) {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                rest = &rest[i + 1..];
                return u32::try_from(value).ok();
            }
        }
        None
    })
}

/// The object id of one of a document's item maps.
pub fn map_obj(doc: &AutoCommit, kind: DocKind, key: &'static str) -> Result<ObjId, LayoutError> {
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::Map), obj)) => Ok(obj),
        _ => Err(LayoutError::Missing {
            doc: kind.as_str(),
            field: key,
        }),
    }
}

/// Commits pending operations as one change, stamped with the caller's time.
pub(crate) fn commit(doc: &mut AutoCommit, message: &str, now: Timestamp) {
    doc.commit_with(
        automerge::transaction::CommitOptions::default()
            .with_message(message.to_owned())
            .with_time(now / 1000),
    );
}
