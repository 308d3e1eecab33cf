//! Immutable, hydrated view models, rebuilt only when a document's heads move.
//!
//! Readers (the app, the CLI, search and matching) never touch Automerge
//! directly: they get an `Arc<CommunityView>` whose parts are shared between
//! successive views, so a change to the agenda re-hydrates the agenda alone.
//! The derived indexes (search, matches) are cached under the same heads.

use std::collections::BTreeMap;
use std::sync::Arc;

use automerge::{AutoCommit, ChangeHash, ROOT};
use autosurgeon::{Hydrate, Text, hydrate_prop};
use serde::{Deserialize, Serialize};

use crate::admission;
use crate::entities::*;
use crate::ids::{CommunityId, DeviceKey, ItemId, MemberId, Timestamp};
use crate::layout::{CommunityDocs, DocKind, LayoutError};
use crate::matching::{Match, Matcher};
use crate::search::SearchIndex;

/// What the community document holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommunityPart {
    /// Community id.
    pub id: CommunityId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// When it was created.
    pub created_at: Timestamp,
    /// Échange categories, in order.
    pub categories: Vec<Category>,
    /// Theme typology, in order.
    pub themes: Vec<Theme>,
    /// Members, by display name.
    pub members: Vec<Member>,
    /// Groups, by name.
    pub groups: Vec<Group>,
    /// Annuaire entries, by name.
    pub actors: Vec<Actor>,
    /// Links between annuaire entries.
    pub links: Vec<Link>,
    /// Invites, newest first.
    pub invites: Vec<Invite>,
    /// The secret LAN discovery tags derive from (hex; empty if absent).
    pub discovery_secret: String,
    /// Groups and annuaire entries a moderator hid or deleted (left out of
    /// `groups` and `actors`).
    pub moderated: Vec<ModeratedItem>,
}

/// An item a moderator hid or deleted: left out of every list, shown to
/// animateurs and admins with the reason.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ModeratedItem {
    /// What it is.
    pub kind: ItemKind,
    /// Its id.
    pub id: ItemId,
    /// Its title or the start of its text (empty once deleted).
    pub preview: String,
    /// Who wrote it.
    pub author: MemberId,
    /// The decision and its reason.
    pub moderation: Moderation,
    /// Its pictures and files (kept while it is hidden: it may be shown
    /// again; a deletion empties them).
    #[serde(default)]
    pub attachments: crate::entities::Attachments,
}

/// An item that can be moderated.
trait Moderable: Clone {
    const KIND: ItemKind;
    fn moderation(&self) -> Option<&Moderation>;
    fn moderated(&self) -> Option<ModeratedItem>;
}

macro_rules! moderable {
    ($($t:ty => $kind:ident, $author:ident, |$x:ident| $preview:expr, $files:expr;)+) => {
        $(impl Moderable for $t {
            const KIND: ItemKind = ItemKind::$kind;
            fn moderation(&self) -> Option<&Moderation> {
                self.moderation.as_ref()
            }
            fn moderated(&self) -> Option<ModeratedItem> {
                let $x = self;
                Some(ModeratedItem {
                    kind: Self::KIND,
                    id: self.id.clone(),
                    preview: preview_of($preview),
                    author: self.$author.clone(),
                    moderation: self.moderation.clone()?,
                    attachments: $files,
                })
            }
        })+
    };
}

moderable! {
    Exchange => Exchange, author, |x| x.title.as_str(), x.attachments.clone();
    Event => Event, created_by, |x| x.title.as_str(), x.attachments.clone();
    Group => Group, created_by, |x| x.name.as_str(), Default::default();
    Idea => Idea, author, |x| x.text.as_str(), x.attachments.clone();
    Sheet => Sheet, created_by, |x| x.title.as_str(), x.attachments.clone();
    Post => Post, author, |x| x.text.as_str(), x.attachments.clone();
    Actor => Actor, created_by, |x| x.name.as_str(), x.attachments.clone();
}

/// The first 80 characters of a text, on one line.
fn preview_of(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    let mut preview: String = line.chars().take(80).collect();
    if preview.len() < text.len() {
        preview.push('…');
    }
    preview
}

/// Leaves moderated items out of a list, adding them to `moderated`; the
/// list is shared as it is when nothing in it was moderated.
fn unmoderated<T: Moderable>(
    items: Arc<Vec<T>>,
    moderated: &mut Vec<ModeratedItem>,
) -> Arc<Vec<T>> {
    if items.iter().all(|x| x.moderation().is_none()) {
        return items;
    }
    let mut kept = Vec::with_capacity(items.len());
    for item in items.iter() {
        match item.moderated() {
            Some(m) => moderated.push(m),
            None => kept.push(item.clone()),
        }
    }
    Arc::new(kept)
}

/// Everything a screen needs to show one community.
#[derive(Clone, Debug)]
pub struct CommunityView {
    /// Settings, members, groups, annuaire.
    pub community: Arc<CommunityPart>,
    /// Échanges, newest first.
    pub exchanges: Arc<Vec<Exchange>>,
    /// Events, by start time.
    pub events: Arc<Vec<Event>>,
    /// Ideas, oldest first (merged duplicates included).
    pub ideas: Arc<Vec<Idea>>,
    /// Workshops, newest date first.
    pub workshops: Arc<Vec<Workshop>>,
    /// Bookings of places, by start (cancelled and refused included).
    pub bookings: Arc<Vec<crate::booking::Booking>>,
    /// Sheets, by title.
    pub sheets: Arc<Vec<Sheet>>,
    /// Posts, newest first.
    pub posts: Arc<Vec<Post>>,
    /// What the community's rules left out, by document: values written by
    /// revoked devices after their revocation, or by members not allowed
    /// to write them (see [`admission`]).
    pub ignored: Arc<BTreeMap<DocKind, admission::Ignored>>,
    /// Items a moderator hid or deleted, left out of the lists above.
    pub moderated: Arc<Vec<ModeratedItem>>,
    /// The heads this view was built from.
    pub heads: Heads,
}

/// Heads of every document of a community: the cache key of derived data.
pub type Heads = Vec<(DocKind, Vec<ChangeHash>)>;

impl CommunityPart {
    /// The member owning this device, if any (removed members included).
    pub fn member_for_device(&self, device: &DeviceKey) -> Option<&Member> {
        self.members.iter().find(|m| m.has_device(device))
    }

    /// Whether this device belongs to a member who was not removed: the
    /// membership gate of sync.
    pub fn is_active_device(&self, device: &DeviceKey) -> bool {
        self.member_for_device(device)
            .is_some_and(|m| m.is_active() && m.has_active_device(device))
    }
}

impl CommunityView {
    /// The member owning this device, if any (removed members included).
    pub fn member_for_device(&self, device: &DeviceKey) -> Option<&Member> {
        self.community.member_for_device(device)
    }

    /// Whether this device belongs to a member who was not removed: the
    /// membership gate of sync.
    pub fn is_active_device(&self, device: &DeviceKey) -> bool {
        self.community.is_active_device(device)
    }

    /// A member by id.
    pub fn member(&self, id: &MemberId) -> Option<&Member> {
        self.community.members.iter().find(|m| &m.id == id)
    }

    /// A member's display name, or a placeholder for someone not (yet) known here.
    pub fn member_name(&self, id: &MemberId) -> &str {
        self.member(id).map_or("?", |m| m.display_name.as_str())
    }

    /// A category's label, or its id if unknown.
    pub fn category_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.community
            .categories
            .iter()
            .find(|c| c.id == id)
            .map_or(id, |c| c.label.as_str())
    }

    /// A place's schedule: its bookings with their status, and conflicts.
    pub fn place_schedule(&self, place: &ItemId) -> crate::booking::Schedule {
        let capacity = self
            .community
            .actors
            .iter()
            .find(|a| &a.id == place)
            .and_then(|a| a.booking.as_ref())
            .map_or(1, |b| b.capacity);
        crate::booking::schedule(place, capacity, &self.bookings)
    }

    /// Every unsettled booking conflict of the community.
    pub fn booking_conflicts(&self) -> Vec<crate::booking::Conflict> {
        crate::booking::conflicts(&self.community.actors, &self.bookings)
    }

    /// A workshop by id.
    pub fn workshop(&self, id: &ItemId) -> Option<&Workshop> {
        self.workshops.iter().find(|w| &w.id == id)
    }

    /// A theme's label, or its id if unknown.
    pub fn theme_label<'a>(&'a self, id: &'a str) -> &'a str {
        self.community
            .themes
            .iter()
            .find(|t| t.id == id)
            .map_or(id, |t| t.label.as_str())
    }
}

struct Cached<T> {
    heads: Vec<ChangeHash>,
    value: Arc<T>,
}

/// Cached views and indexes of one community.
#[derive(Default)]
pub struct ViewCache {
    community: Option<Cached<CommunityPart>>,
    exchanges: Option<Cached<Vec<Exchange>>>,
    events: Option<Cached<Vec<Event>>>,
    ideas: Option<Cached<Vec<Idea>>>,
    workshops: Option<Cached<Vec<Workshop>>>,
    bookings: Option<Cached<Vec<crate::booking::Booking>>>,
    sheets: Option<Cached<Vec<Sheet>>>,
    posts: Option<Cached<Vec<Post>>>,
    view: Option<Arc<CommunityView>>,
    search: Option<(Heads, Arc<SearchIndex>)>,
    matches: Option<(Heads, Arc<Vec<Match>>)>,
    matcher: Matcher,
    /// The community's rules, with the community heads they were read at.
    authority: Option<(Vec<ChangeHash>, Arc<admission::Authority>)>,
    /// What the rules left out, by document.
    ignored: BTreeMap<DocKind, admission::Ignored>,
    /// Each document's changes, by actor: who wrote what.
    indexes: BTreeMap<DocKind, DocIndex>,
    /// Heads of the parts kept on disk by the node (see [`ViewCache::unsaved`]).
    saved: BTreeMap<DocKind, Vec<ChangeHash>>,
}

/// One hydrated part of a view, as a node keeps it on disk between runs so
/// that opening a community does not hydrate every item again.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[allow(missing_docs)] // One variant per document kind.
pub enum Part {
    Community(Arc<CommunityPart>),
    Exchanges(Arc<Vec<Exchange>>),
    Events(Arc<Vec<Event>>),
    Ideas(Arc<Vec<Idea>>),
    Sheets(Arc<Vec<Sheet>>),
    Posts(Arc<Vec<Post>>),
}

impl Part {
    /// The document this part is hydrated from.
    pub fn kind(&self) -> DocKind {
        match self {
            Part::Community(_) => DocKind::Community,
            Part::Exchanges(_) => DocKind::Exchanges,
            Part::Events(_) => DocKind::Agenda,
            Part::Ideas(_) => DocKind::Ideas,
            Part::Sheets(_) => DocKind::Savoirs,
            Part::Posts(_) => DocKind::Fil,
        }
    }
}

/// Returns the cached value if the heads are unchanged, otherwise rebuilds
/// it (`build` gets the previous value and its heads, if any). `marker`,
/// when given, is part of the cache key besides the heads: the digest of
/// the community's rules, which decide what of the document is admitted; a
/// value built under other rules is not reused, even in part.
fn refresh<T>(
    slot: &mut Option<Cached<T>>,
    doc: Option<&mut AutoCommit>,
    marker: Option<ChangeHash>,
    build: impl FnOnce(&mut AutoCommit, Option<(&[ChangeHash], &T)>) -> Result<T, LayoutError>,
    empty: impl FnOnce() -> T,
) -> Result<Arc<T>, LayoutError> {
    let Some(doc) = doc else {
        return Ok(Arc::new(empty()));
    };
    let mut key = doc.get_heads();
    key.extend(marker);
    if let Some(cached) = slot.as_ref().filter(|c| c.heads == key) {
        return Ok(cached.value.clone());
    }
    let previous = slot.as_ref().and_then(|c| {
        let heads = match marker {
            Some(m) => c.heads.strip_suffix(&[m])?,
            None => c.heads.as_slice(),
        };
        Some((heads, c.value.as_ref()))
    });
    let value = Arc::new(build(doc, previous)?);
    *slot = Some(Cached {
        heads: key,
        value: value.clone(),
    });
    Ok(value)
}

/// A document's change index, with the heads it was built at.
struct DocIndex {
    heads: Vec<ChangeHash>,
    index: admission::ChangeIndex,
}

/// The change index of a document at its current heads, built when first
/// needed and then brought up to date with the new changes only: opening a
/// community from kept views builds none but the community document's.
fn doc_index<'a>(
    indexes: &'a mut BTreeMap<DocKind, DocIndex>,
    kind: DocKind,
    doc: &mut AutoCommit,
) -> &'a admission::ChangeIndex {
    let heads = doc.get_heads();
    let entry = indexes.entry(kind).or_insert_with(|| DocIndex {
        heads: Vec::new(),
        index: admission::ChangeIndex::default(),
    });
    if entry.heads != heads {
        if entry.heads.is_empty() {
            entry.index = admission::ChangeIndex::of(doc);
        } else {
            entry.index.update(doc, &entry.heads);
        }
        entry.heads = heads;
    }
    &entry.index
}

/// An item of a collection, known by its key in the collection's map.
trait Keyed {
    fn key(&self) -> &str;
}

macro_rules! keyed {
    ($($t:ty),+) => {
        $(impl Keyed for $t {
            fn key(&self) -> &str {
                self.id.as_str()
            }
        })+
    };
}
keyed!(Exchange, Event, Idea, Workshop, Sheet, Post);
keyed!(crate::booking::Booking);

/// Rebuilds a collection part when its document's heads moved: only the
/// items the new changes touched are hydrated again, the others are kept.
/// A change to a big collection (one reply among thousands of échanges)
/// then costs what it touched, not the whole collection.
///
/// The part is read through the community's rules ([`admission`]): when
/// the document holds operations of a revoked device, or a guarded field,
/// and the rules do not admit all of it, the whole part is hydrated from
/// the admitted copy of the document instead.
fn refresh_items<T: Hydrate + Keyed + Clone>(
    slot: &mut Option<Cached<Vec<T>>>,
    doc: Option<&mut AutoCommit>,
    (kind, key): (DocKind, &'static str),
    (rules, indexes): (&Rules, &mut BTreeMap<DocKind, DocIndex>),
    sort: fn(&mut Vec<T>),
) -> Result<Arc<Vec<T>>, LayoutError> {
    refresh(
        slot,
        doc,
        Some(rules.marker),
        |doc, previous| {
            let mut read: Option<Vec<String>> = None;
            let mut all = match previous.and_then(|(heads, items)| {
                touched_items(doc, heads, key).map(|touched| (touched, items))
            }) {
                Some((touched, items)) => {
                    read = Some(touched.iter().cloned().collect());
                    let mut kept: Vec<T> = items
                        .iter()
                        .filter(|item| !touched.contains(item.key()))
                        .cloned()
                        .collect();
                    if let Ok(Some((_, obj))) = automerge::ReadDoc::get(doc, ROOT, key) {
                        for id in &touched {
                            if let Ok(Some(item)) =
                                hydrate_prop::<_, Option<T>, _, _>(doc, &obj, id.as_str())
                            {
                                kept.push(item);
                            }
                        }
                    }
                    kept
                }
                None => items(doc, key),
            };
            let auth = &rules.authority;
            let index = doc_index(indexes, kind, doc);
            let holds = match &read {
                Some(keys) => admission::guards_hold(
                    doc,
                    kind,
                    auth,
                    index,
                    key,
                    keys.iter().map(String::as_str),
                ),
                None => {
                    let keys: Vec<String> = match automerge::ReadDoc::get(doc, ROOT, key) {
                        Ok(Some((_, obj))) => automerge::ReadDoc::keys(doc, &obj).collect(),
                        _ => Vec::new(),
                    };
                    admission::guards_hold(
                        doc,
                        kind,
                        auth,
                        index,
                        key,
                        keys.iter().map(String::as_str),
                    )
                }
            };
            let suspect = !holds || admission::has_late(index, kind, auth);
            if suspect && let Some((clean, ignored)) = admission::sanitize(doc, kind, auth, index) {
                rules.note(kind, ignored);
                all = items(&clean, key);
            } else {
                rules.note(kind, admission::Ignored::default());
            }
            sort(&mut all);
            Ok(all)
        },
        Vec::new,
    )
}

/// The community's rules while a view is built, and what they left out.
struct Rules {
    authority: Arc<admission::Authority>,
    marker: ChangeHash,
    ignored: std::cell::RefCell<BTreeMap<DocKind, admission::Ignored>>,
}

impl Rules {
    fn note(&self, kind: DocKind, ignored: admission::Ignored) {
        let mut all = self.ignored.borrow_mut();
        if ignored.total() == 0 {
            all.remove(&kind);
        } else {
            all.insert(kind, ignored);
        }
    }
}

/// The keys of the items of collection `key` changed between `before` and
/// the current heads; `None` when something else changed (rebuild all).
fn touched_items(
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    key: &str,
) -> Option<std::collections::HashSet<String>> {
    if !crate::gate::holds(doc, before) {
        return None;
    }
    let after = doc.get_heads();
    let mut touched = std::collections::HashSet::new();
    for patch in doc.diff(before, &after) {
        let in_collection =
            |prop: &automerge::Prop| matches!(prop, automerge::Prop::Map(k) if k == key);
        match patch.path.as_slice() {
            [(_, top), (_, item), ..] if in_collection(top) => {
                touched.insert(item.to_string());
            }
            [(_, top)] if in_collection(top) => match &patch.action {
                automerge::PatchAction::PutMap { key, .. }
                | automerge::PatchAction::DeleteMap { key } => {
                    touched.insert(key.clone());
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(touched)
}

/// Hydrates one item map of a document, skipping (not failing on) items that
/// do not match the schema, so one bad item cannot hide a whole collection.
fn items<T: Hydrate>(doc: &AutoCommit, key: &'static str) -> Vec<T> {
    let Ok(Some((_, obj))) = automerge::ReadDoc::get(doc, ROOT, key) else {
        return Vec::new();
    };
    automerge::ReadDoc::keys(doc, &obj)
        .filter_map(|k| hydrate_prop(doc, &obj, k.as_str()).ok())
        .collect()
}

/// Hydrates one list of the community document's root, skipping (not
/// failing on) entries that do not match the schema.
fn list_items<T: Hydrate>(doc: &AutoCommit, key: &'static str) -> Vec<T> {
    let Ok(Some((automerge::Value::Object(automerge::ObjType::List), obj))) =
        automerge::ReadDoc::get(doc, ROOT, key)
    else {
        return Vec::new();
    };
    (0..automerge::ReadDoc::length(doc, &obj))
        .filter_map(|i| hydrate_prop(doc, &obj, i).ok())
        .collect()
}

fn community_part(doc: &AutoCommit, id: &CommunityId) -> Result<CommunityPart, LayoutError> {
    let mut members: Vec<Member> = items(doc, "members");
    members.sort_by(|a, b| {
        crate::normalize::fold(&a.display_name).cmp(&crate::normalize::fold(&b.display_name))
    });
    let mut moderated = Vec::new();
    let mut groups: Vec<Group> = items(doc, "groups");
    groups.sort_by_cached_key(|x| crate::normalize::fold(&x.name));
    let groups = Arc::unwrap_or_clone(unmoderated(Arc::new(groups), &mut moderated));
    let mut actors: Vec<Actor> = items(doc, "actors");
    actors.sort_by_cached_key(|x| crate::normalize::fold(&x.name));
    let actors = Arc::unwrap_or_clone(unmoderated(Arc::new(actors), &mut moderated));
    // A community's settings written in a shape the schema does not have
    // (by a modified app) read as empty, never hide the community: its
    // name, if unreadable, is its id.
    let description = hydrate_prop::<_, Text, _, _>(doc, ROOT, "description")
        .map(|d| d.as_str().to_owned())
        .unwrap_or_default();
    Ok(CommunityPart {
        id: id.clone(),
        name: hydrate_prop(doc, ROOT, "name").unwrap_or_else(|_| id.0.clone()),
        description,
        created_at: hydrate_prop(doc, ROOT, "created_at").unwrap_or_default(),
        categories: list_items(doc, "categories"),
        themes: list_items(doc, "themes"),
        members,
        groups,
        actors,
        links: items(doc, "links"),
        invites: {
            let mut invites: Vec<Invite> = items(doc, "invites");
            invites.sort_by_key(|i| std::cmp::Reverse(i.created_at));
            invites
        },
        discovery_secret: hydrate_prop(doc, ROOT, "discovery_secret").unwrap_or_default(),
        moderated,
    })
}

impl ViewCache {
    /// The current view, rebuilding only the parts whose document changed.
    pub fn view(&mut self, docs: &mut CommunityDocs) -> Result<Arc<CommunityView>, LayoutError> {
        let heads = docs.heads();
        if let Some(view) = self.view.as_ref().filter(|v| v.heads == heads) {
            return Ok(view.clone());
        }
        let rules = self.rules(docs);
        let community = self.community_part(docs, &rules)?;
        let exchanges = refresh_items(
            &mut self.exchanges,
            docs.doc_mut(DocKind::Exchanges),
            (DocKind::Exchanges, "exchanges"),
            (&rules, &mut self.indexes),
            |v: &mut Vec<Exchange>| {
                v.sort_by(|a, b| {
                    b.created_at
                        .cmp(&a.created_at)
                        .then_with(|| b.id.cmp(&a.id))
                })
            },
        )?;
        let events = refresh_items(
            &mut self.events,
            docs.doc_mut(DocKind::Agenda),
            (DocKind::Agenda, "events"),
            (&rules, &mut self.indexes),
            |v: &mut Vec<Event>| {
                v.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)))
            },
        )?;
        let ideas = refresh_items(
            &mut self.ideas,
            docs.doc_mut(DocKind::Ideas),
            (DocKind::Ideas, "ideas"),
            (&rules, &mut self.indexes),
            |v: &mut Vec<Idea>| {
                v.sort_by(|a, b| {
                    a.created_at
                        .cmp(&b.created_at)
                        .then_with(|| a.id.cmp(&b.id))
                })
            },
        )?;
        // Workshops share the ideas' map; an idea does not hydrate as a
        // workshop (it has no `kind`), and the kind is checked besides.
        let workshops = refresh_items(
            &mut self.workshops,
            docs.doc_mut(DocKind::Ideas),
            (DocKind::Ideas, "ideas"),
            (&rules, &mut self.indexes),
            |v: &mut Vec<Workshop>| {
                v.retain(|w| w.kind == WORKSHOP_KIND);
                v.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| b.id.cmp(&a.id)))
            },
        )?;
        // Bookings share the events' map; an event does not hydrate as a
        // booking (it has no `kind`) nor a booking as an event (it has no
        // title), and the kind is checked besides.
        let bookings = refresh_items(
            &mut self.bookings,
            docs.doc_mut(DocKind::Agenda),
            (DocKind::Agenda, "events"),
            (&rules, &mut self.indexes),
            |v: &mut Vec<crate::booking::Booking>| {
                v.retain(|b| b.kind == crate::booking::BOOKING_KIND);
                v.sort_by(|a, b| a.start.cmp(&b.start).then_with(|| a.id.cmp(&b.id)))
            },
        )?;
        let sheets = refresh_items(
            &mut self.sheets,
            docs.doc_mut(DocKind::Savoirs),
            (DocKind::Savoirs, "sheets"),
            (&rules, &mut self.indexes),
            |v: &mut Vec<Sheet>| {
                v.sort_by_cached_key(|s| (crate::normalize::fold(&s.title), s.id.clone()))
            },
        )?;
        let posts = refresh_items(
            &mut self.posts,
            docs.doc_mut(DocKind::Fil),
            (DocKind::Fil, "posts"),
            (&rules, &mut self.indexes),
            |v: &mut Vec<Post>| {
                v.sort_by(|a, b| {
                    b.created_at
                        .cmp(&a.created_at)
                        .then_with(|| b.id.cmp(&a.id))
                })
            },
        )?;
        let mut moderated = community.moderated.clone();
        let exchanges = unmoderated(exchanges, &mut moderated);
        let events = unmoderated(events, &mut moderated);
        let ideas = unmoderated(ideas, &mut moderated);
        let sheets = unmoderated(sheets, &mut moderated);
        let posts = unmoderated(posts, &mut moderated);
        moderated.sort_by_key(|m| std::cmp::Reverse(m.moderation.at));
        self.ignored = rules.ignored.into_inner();
        let view = Arc::new(CommunityView {
            ignored: Arc::new(self.ignored.clone()),
            community,
            exchanges,
            events,
            ideas,
            workshops,
            bookings,
            sheets,
            posts,
            moderated: Arc::new(moderated),
            heads,
        });
        self.view = Some(view.clone());
        Ok(view)
    }

    /// The hydrated parts not kept on disk yet, with the heads each was built from.
    pub fn unsaved(&self) -> Vec<(Vec<ChangeHash>, Part)> {
        fn one<T>(
            slot: &Option<Cached<T>>,
            wrap: fn(Arc<T>) -> Part,
        ) -> Option<(Vec<ChangeHash>, Part)> {
            slot.as_ref()
                .map(|c| (c.heads.clone(), wrap(c.value.clone())))
        }
        [
            one(&self.community, Part::Community),
            one(&self.exchanges, Part::Exchanges),
            one(&self.events, Part::Events),
            one(&self.ideas, Part::Ideas),
            one(&self.sheets, Part::Sheets),
            one(&self.posts, Part::Posts),
        ]
        .into_iter()
        .flatten()
        .filter(|(heads, part)| self.saved.get(&part.kind()) != Some(heads))
        .collect()
    }

    /// Records that a part built from `heads` is kept on disk.
    pub fn mark_saved(&mut self, kind: DocKind, heads: Vec<ChangeHash>) {
        self.saved.insert(kind, heads);
    }

    /// Takes a part hydrated earlier (kept on disk), with the key
    /// [`ViewCache::unsaved`] gave for it (its document's heads, and for a
    /// collection the digest of the rules it was read under). It is used
    /// only while that key still holds, like any cached part.
    pub fn seed(&mut self, heads: Vec<ChangeHash>, part: Part) {
        self.saved.insert(part.kind(), heads.clone());
        fn put<T>(slot: &mut Option<Cached<T>>, heads: Vec<ChangeHash>, value: Arc<T>) {
            *slot = Some(Cached { heads, value });
        }
        match part {
            Part::Community(v) => put(&mut self.community, heads, v),
            Part::Exchanges(v) => put(&mut self.exchanges, heads, v),
            Part::Events(v) => put(&mut self.events, heads, v),
            Part::Ideas(v) => put(&mut self.ideas, heads, v),
            Part::Sheets(v) => put(&mut self.sheets, heads, v),
            Part::Posts(v) => put(&mut self.posts, heads, v),
        }
    }

    /// The community document's part alone (members, settings), without
    /// hydrating the collections: what the membership gate needs on every
    /// sync message.
    pub fn community(
        &mut self,
        docs: &mut CommunityDocs,
    ) -> Result<Arc<CommunityPart>, LayoutError> {
        let rules = self.rules(docs);
        let part = self.community_part(docs, &rules);
        self.ignored = rules.ignored.into_inner();
        part
    }

    /// The community's rules, computed again only when its document moved.
    fn rules(&mut self, docs: &mut CommunityDocs) -> Rules {
        let doc = docs
            .doc_mut(DocKind::Community)
            .expect("the community document is always present");
        let heads = doc.get_heads();
        let authority = match self.authority.as_ref().filter(|(h, _)| *h == heads) {
            Some((_, a)) => a.clone(),
            None => {
                let index = doc_index(&mut self.indexes, DocKind::Community, doc);
                let a = Arc::new(admission::Authority::read_indexed(doc, index));
                self.authority = Some((heads, a.clone()));
                a
            }
        };
        Rules {
            marker: ChangeHash(authority.digest()),
            authority,
            ignored: std::cell::RefCell::new(self.ignored.clone()),
        }
    }

    /// The community document's part, read through the rules.
    fn community_part(
        &mut self,
        docs: &mut CommunityDocs,
        rules: &Rules,
    ) -> Result<Arc<CommunityPart>, LayoutError> {
        let id = docs.id().clone();
        let indexes = &mut self.indexes;
        refresh(
            &mut self.community,
            docs.doc_mut(DocKind::Community),
            None,
            |d, _| {
                let index = doc_index(indexes, DocKind::Community, d);
                let auth = &rules.authority;
                let clean = (admission::has_late(index, DocKind::Community, auth)
                    || !admission::community_holds(d, auth, index))
                .then(|| admission::sanitize(d, DocKind::Community, auth, index))
                .flatten();
                match clean {
                    Some((clean, ignored)) => {
                        rules.note(DocKind::Community, ignored);
                        community_part(&clean, &id)
                    }
                    None => {
                        rules.note(DocKind::Community, admission::Ignored::default());
                        community_part(d, &id)
                    }
                }
            },
            || unreachable!("the community document is always present"),
        )
    }

    /// The search index of the current view.
    pub fn search_index(
        &mut self,
        docs: &mut CommunityDocs,
    ) -> Result<Arc<SearchIndex>, LayoutError> {
        let view = self.view(docs)?;
        if let Some((heads, index)) = &self.search
            && *heads == view.heads
        {
            return Ok(index.clone());
        }
        let index = Arc::new(SearchIndex::build(&view));
        self.search = Some((view.heads.clone(), index.clone()));
        Ok(index)
    }

    /// The suggested matches of the current view.
    pub fn matches(&mut self, docs: &mut CommunityDocs) -> Result<Arc<Vec<Match>>, LayoutError> {
        let view = self.view(docs)?;
        if let Some((heads, matches)) = &self.matches
            && *heads == view.heads
        {
            return Ok(matches.clone());
        }
        // The matcher updates its list in place when no one else holds it.
        self.matches = None;
        let matches = self.matcher.suggest(&view.exchanges);
        self.matches = Some((view.heads.clone(), matches.clone()));
        Ok(matches)
    }
}

/// Members by id, for quick lookups while building indexes.
pub fn members_by_id(view: &CommunityView) -> BTreeMap<&str, &Member> {
    view.community
        .members
        .iter()
        .map(|m| (m.id.as_str(), m))
        .collect()
}
