//! The screens of a community, one module each, and what they share.
//!
//! Every screen is a `…Panel` holding only UI state (filters, forms, the
//! selected item, rows derived from the view, kept until the part of the
//! view they came from is another one, see `cache.rs`), with
//! `ui(ui, cx)` drawing it from a [`Cx`], `open(id)` bringing an item
//! forward (search results), and `applied()` called when a command it sent
//! was saved (to empty its forms).

pub mod agenda;
mod cache;
pub mod directory;
pub mod exchanges;
pub mod feed;
pub mod files;
pub mod groups;
pub mod knowledge;
pub mod members;
pub mod moderation;
pub mod report;
pub mod sync;
pub mod welcome;
pub mod workshop;

use std::collections::HashSet;
use std::sync::Arc;

use passerelle_core::model::{
    Command, CommunityId, CommunityView, DeviceKey, ItemId, Member, MemberId, Role,
};

use passerelle_core::CoreError;

use crate::bridge::{Bridge, Msg};
use crate::i18n::Lang;
use crate::net::NetState;

/// The screens, in the order of the navigation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Screen {
    /// Announcements and what arrived since the last sync.
    #[default]
    Feed,
    /// Offers and needs.
    Exchanges,
    /// Events.
    Agenda,
    /// Groups.
    Groups,
    /// Workshop ideas.
    Workshop,
    /// People, places, organisations and their links.
    Directory,
    /// Collaborative sheets.
    Knowledge,
    /// What the group did.
    Report,
    /// Members, roles, invites.
    Members,
    /// Nearby devices, sync progress, tickets, bundles.
    Sync,
}

impl Screen {
    /// Every screen, in navigation order.
    pub const ALL: [Screen; 10] = [
        Screen::Feed,
        Screen::Exchanges,
        Screen::Agenda,
        Screen::Groups,
        Screen::Workshop,
        Screen::Directory,
        Screen::Knowledge,
        Screen::Report,
        Screen::Members,
        Screen::Sync,
    ];

    /// The screen's name on the command line (`--screen echanges`).
    pub fn name(self) -> &'static str {
        match self {
            Screen::Feed => "fil",
            Screen::Exchanges => "echanges",
            Screen::Agenda => "agenda",
            Screen::Groups => "groupes",
            Screen::Workshop => "atelier",
            Screen::Directory => "annuaire",
            Screen::Knowledge => "savoirs",
            Screen::Report => "bilan",
            Screen::Members => "membres",
            Screen::Sync => "synchronisation",
        }
    }

    /// The screen named `name` (see [`Screen::name`]).
    pub fn from_name(name: &str) -> Option<Screen> {
        Screen::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The look of the screen's items: its accent colour and icon.
    pub fn kind(self) -> crate::design::Kind {
        use crate::design::Kind;
        match self {
            Screen::Feed => Kind::Post,
            Screen::Exchanges => Kind::Offer,
            Screen::Agenda => Kind::Event,
            Screen::Groups => Kind::Group,
            Screen::Workshop => Kind::Idea,
            Screen::Directory => Kind::Place,
            Screen::Knowledge => Kind::Knowledge,
            Screen::Report => Kind::Report,
            Screen::Members => Kind::Member,
            Screen::Sync => Kind::Sync,
        }
    }

    /// The screen's name in the navigation.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Screen::Feed => lang.feed().nav,
            Screen::Exchanges => lang.t().exchanges,
            Screen::Agenda => lang.agenda().nav,
            Screen::Groups => lang.groups().nav,
            Screen::Workshop => lang.workshop().nav,
            Screen::Directory => lang.directory().nav,
            Screen::Knowledge => lang.knowledge().nav,
            Screen::Report => lang.report().nav,
            Screen::Members => lang.members().nav,
            Screen::Sync => lang.sync().nav,
        }
    }
}

/// What a screen draws from: the community's view and the ways to act on it.
pub struct Cx<'a> {
    /// The interface language.
    pub lang: Lang,
    /// Requests to the node.
    pub bridge: &'a Bridge,
    /// The community shown.
    pub community: &'a CommunityId,
    /// Its current view.
    pub view: &'a Arc<CommunityView>,
    /// This device's key.
    pub device: &'a DeviceKey,
    /// The member this device belongs to in the community, if any.
    pub me: Option<&'a Member>,
    /// Ids of items that arrived from other devices in the latest syncs,
    /// not yet marked as seen.
    pub fresh: &'a HashSet<String>,
    /// The network as this device sees it.
    pub net: &'a NetState,
    /// The time this frame is drawn at (see [`crate::clock`]).
    pub now: chrono::DateTime<chrono::Local>,
    /// Pictures and files on items: thumbnails, the viewer, files being
    /// added.
    pub files: &'a crate::attachments::Files,
}

impl Cx<'_> {
    /// Saves a command in the community; the screen's `applied` is called
    /// once it is on disk, an error is shown otherwise.
    pub fn apply(&self, command: Command) {
        let community = self.community.clone();
        self.bridge
            .request(move |h| async move { Ok(Msg::Applied(h.apply(&community, command).await?)) });
    }

    /// A fresh id for a new item.
    pub fn new_id(&self) -> ItemId {
        self.bridge
            .handle()
            .map(|h| h.new_id())
            .expect("screens are drawn only once the node has started")
    }

    /// This device's member id, if it is a member.
    pub fn my_id(&self) -> Option<&MemberId> {
        self.me.map(|m| &m.id)
    }

    /// Whether this device's member wrote the item or may moderate it.
    pub fn may_edit(&self, author: &MemberId) -> bool {
        self.me
            .is_some_and(|m| &m.id == author || matches!(m.role, Role::Admin | Role::Animateur))
    }

    /// Whether this device's member is an admin or an animateur.
    pub fn is_moderator(&self) -> bool {
        self.me
            .is_some_and(|m| matches!(m.role, Role::Admin | Role::Animateur))
    }

    /// Writes an export into the exports folder and tells the user where.
    pub fn save_export(&self, file_name: &str, bytes: Vec<u8>) {
        let name = file_name.to_owned();
        self.bridge.request(move |_| async move {
            let dir = crate::settings::exports_dir();
            let path = dir.join(&name);
            let failed = |path: &std::path::Path| {
                let path = path.to_owned();
                move |cause| CoreError::Io {
                    action: "write",
                    path,
                    cause,
                }
            };
            std::fs::create_dir_all(&dir).map_err(failed(&dir))?;
            std::fs::write(&path, bytes).map_err(failed(&path))?;
            Ok(Msg::Saved(path))
        });
    }
}

/// The words of a deletion that asks first.
pub struct DeleteWords<'a> {
    /// The first button ("Supprimer").
    pub delete: &'a str,
    /// What is asked once it is clicked.
    pub question: &'a str,
    /// The button that deletes ("Confirmer la suppression").
    pub confirm: &'a str,
    /// The button that gives up.
    pub cancel: &'a str,
}

/// A delete button that asks for confirmation; `armed` remembers that it
/// was clicked once. Returns true when the deletion is confirmed.
pub fn confirm_delete(ui: &mut egui::Ui, armed: &mut bool, words: DeleteWords) -> bool {
    if !*armed {
        if ui.button(words.delete).clicked() {
            *armed = true;
        }
        return false;
    }
    ui.label(egui::RichText::new(words.question).strong());
    ui.horizontal(|ui| {
        let confirmed = ui.button(words.confirm).clicked();
        if ui.button(words.cancel).clicked() {
            *armed = false;
        }
        confirmed
    })
    .inner
}
