//! Pictures and files on items, as the screens show them: adding one (the
//! system's file dialog on a thread of its own, a typed path, a file
//! dropped on the window), thumbnails in lists and cards, the picture
//! viewer, opening and saving a file, taking one off.
//!
//! One [`Files`] serves every screen through [`crate::views::Cx`]. Its
//! thumbnails are egui textures kept by hash in a bounded cache
//! ([`thumbs`]), read and decoded off the UI thread; one that is not on this
//! device yet is asked again when a `BlobFetched` event says it arrived.
//! Work goes through [`Bridge::request`]; results come back to its own
//! channel and are applied at the start of a frame ([`Files::frame`]).

mod picker;
mod shown;
mod tasks;
mod thumbs;
mod viewer;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;

use passerelle_core::CoreError;
use passerelle_core::model::{Attachment, Command, CommunityId, ItemId, ItemKind};

use crate::bridge::{Bridge, Inbox, Msg};
use crate::i18n::Lang;
use crate::i18n::errors::{Problem, fill};
use crate::views::Cx;

pub use picker::add_ui;
pub use shown::{count_ui, item_ui, with_thumb};
use tasks::{attach, attach_problem, here, open_doing, open_place, save_here, save_to};

/// Where a chosen file goes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dest {
    /// An item that exists: the file is attached at once.
    Item {
        /// Its community.
        community: CommunityId,
        /// Its kind.
        kind: ItemKind,
        /// The item.
        id: ItemId,
    },
    /// The form of an item not published yet: the file waits beside it
    /// (see [`Files::take_staged`]) and is attached once it is published.
    Form(&'static str),
}

/// A file chosen to be attached.
#[derive(Clone, Debug)]
pub enum Chosen {
    /// Chosen in the dialog or typed.
    Path(PathBuf),
    /// Dropped on the window.
    Dropped(egui::DroppedFileHandle),
}

impl Chosen {
    /// Its file name, as shown while it waits.
    pub fn name(&self) -> String {
        let path = match self {
            Chosen::Path(path) => path.as_path(),
            Chosen::Dropped(file) => file.path(),
        };
        path.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string())
    }
}

/// What the shell shows after a frame's messages: a notice or a problem.
pub enum Said {
    /// Something done.
    Notice(String),
    /// Something failed.
    Problem(Problem),
}

/// What comes back to [`Files`] from its background work.
enum FileMsg {
    /// A thumbnail was read (or not).
    Thumb(String, thumbs::Loaded),
    /// The file dialog closed, with a file or without.
    Picked(Dest, Option<PathBuf>),
    /// A file was attached, or why not.
    Attached {
        dest: Dest,
        name: String,
        result: Result<(), Problem>,
    },
    /// The viewer's picture is being fetched from another device.
    Fetching(String),
    /// The viewer's picture, decoded (or why not).
    Picture(String, Result<egui::ColorImage, Problem>),
    /// "Enregistrer sous…" gave a place to write the file.
    SaveTo {
        community: CommunityId,
        hash: String,
        path: PathBuf,
    },
}

/// A path being typed (no dialog, or the person preferred it).
struct Typing {
    dest: Dest,
    text: String,
    /// Opened because the dialog gave no file: say so.
    after_dialog: bool,
    /// Focus the field on the next frame.
    focus: bool,
}

#[derive(Default)]
struct Inner {
    thumbs: thumbs::Thumbs,
    viewer: Option<viewer::Viewer>,
    /// Files waiting for their item to be published, per form.
    staged: HashMap<&'static str, Vec<Chosen>>,
    /// Files being attached: where, and their names.
    adding: Vec<(Dest, String)>,
    /// A file dialog is open for this destination.
    picking: Option<Dest>,
    typing: Option<Typing>,
    /// Files dropped this frame went to a destination.
    drops_taken: bool,
    /// The attachment whose removal asks for confirmation, by hash.
    removing: Option<String>,
}

/// The attachments' shared state: thumbnails, the viewer, files chosen and
/// being attached. Drawn from with `&self` (screens hold `&Cx`); the UI is
/// one thread, and no borrow is held across a call that borrows again.
#[derive(Default)]
pub struct Files {
    inner: RefCell<Inner>,
    inbox: Inbox<FileMsg>,
}

impl Files {
    /// Applies what background work sent since the last frame; returns
    /// what to tell the user.
    pub fn frame(&self, ctx: &egui::Context, lang: Lang, bridge: &Bridge) -> Vec<Said> {
        let mut said = Vec::new();
        let t = lang.attachments();
        let mut inner = self.inner.borrow_mut();
        inner.drops_taken = false;
        inner.thumbs.tick();
        for msg in self.inbox.drain() {
            match msg {
                FileMsg::Thumb(hash, loaded) => inner.thumbs.loaded(ctx, &hash, loaded),
                FileMsg::Picked(dest, picked) => {
                    if inner.picking.as_ref() == Some(&dest) {
                        inner.picking = None;
                    }
                    match picked {
                        Some(path) => {
                            drop(inner);
                            self.choose(bridge, dest, Chosen::Path(path));
                            inner = self.inner.borrow_mut();
                        }
                        // Cancelled, or no dialog on this computer: the
                        // path can be typed instead.
                        None => inner.typing = Some(Typing::new(dest, true)),
                    }
                }
                FileMsg::Attached { dest, name, result } => {
                    if let Some(n) = inner
                        .adding
                        .iter()
                        .position(|(d, n)| d == &dest && n == &name)
                    {
                        inner.adding.remove(n);
                    }
                    said.push(match result {
                        Ok(()) => Said::Notice(fill(t.added, &[("name", &name)])),
                        Err(problem) => Said::Problem(problem),
                    });
                }
                FileMsg::Fetching(hash) => {
                    if let Some(viewer) = &mut inner.viewer {
                        viewer.fetching(&hash);
                    }
                }
                FileMsg::Picture(hash, picture) => {
                    if let Some(viewer) = &mut inner.viewer {
                        viewer.loaded(ctx, &hash, picture);
                    }
                }
                FileMsg::SaveTo {
                    community,
                    hash,
                    path,
                } => save_to(bridge, community, hash, path),
            }
        }
        said
    }

    /// Says so when files were dropped on the window this frame but no
    /// screen shown could take them; called once the screens are drawn.
    pub fn dropped_nowhere(&self, ctx: &egui::Context, lang: Lang) -> Option<String> {
        let dropped = ctx.input(|i| !i.raw.dropped_files.is_empty());
        (dropped && !self.inner.borrow().drops_taken)
            .then(|| lang.attachments().drop_nowhere.to_owned())
    }

    /// A blob arrived from a peer: a thumbnail that was missing is read again.
    pub fn blob_arrived(&self, hash: &str) {
        self.inner.borrow_mut().thumbs.arrived(hash);
    }

    /// Draws the picture viewer, if a picture is open.
    pub fn viewer_ui(&self, ctx: &egui::Context, lang: Lang) {
        let mut inner = self.inner.borrow_mut();
        let Some(shown) = &inner.viewer else {
            return;
        };
        match shown.ui(ctx, lang) {
            viewer::Action::None => {}
            viewer::Action::Close => inner.viewer = None,
            viewer::Action::SaveAs => {
                let (community, attachment) = shown.attachment();
                drop(inner);
                self.save_as(ctx, community, &attachment, lang);
            }
        }
    }

    /// Sends a chosen file where it goes: attached now to an item, or kept
    /// beside a form.
    pub fn choose(&self, bridge: &Bridge, dest: Dest, chosen: Chosen) {
        match &dest {
            Dest::Form(key) => {
                let mut inner = self.inner.borrow_mut();
                inner.staged.entry(key).or_default().push(chosen);
            }
            Dest::Item {
                community,
                kind,
                id,
            } => {
                let (community, kind, id) = (community.clone(), *kind, id.clone());
                let name = chosen.name();
                let tx = self.inbox.sender();
                self.inner
                    .borrow_mut()
                    .adding
                    .push((dest.clone(), name.clone()));
                bridge.request(move |h| async move {
                    let result = attach(&h, &community, kind, &id, chosen).await;
                    let _ = tx.send(FileMsg::Attached {
                        dest,
                        name,
                        result: result.map(drop).map_err(attach_problem),
                    });
                    Ok(Msg::Nothing)
                });
            }
        }
    }

    /// The files kept beside a form, taken to be attached to its new item.
    pub fn take_staged(&self, key: &'static str) -> Vec<Chosen> {
        self.inner
            .borrow_mut()
            .staged
            .remove(key)
            .unwrap_or_default()
    }

    /// Forgets the files kept beside a form (it was cancelled).
    pub fn clear_staged(&self, key: &'static str) {
        self.take_staged(key);
    }

    /// Saves `command` (a new item `id` of `kind`), then attaches `files`
    /// to it; the screen's `applied` is called once the item is saved.
    pub fn apply_with(
        &self,
        cx: &Cx,
        command: Command,
        kind: ItemKind,
        id: ItemId,
        files: Vec<Chosen>,
    ) {
        if files.is_empty() {
            cx.apply(command);
            return;
        }
        let community = cx.community.clone();
        let dest = Dest::Item {
            community: community.clone(),
            kind,
            id: id.clone(),
        };
        let names: Vec<String> = files.iter().map(Chosen::name).collect();
        self.inner
            .borrow_mut()
            .adding
            .extend(names.iter().map(|n| (dest.clone(), n.clone())));
        let tx = self.inbox.sender();
        cx.bridge.request(move |h| async move {
            let outcome = h.apply(&community, command).await;
            for (chosen, name) in files.into_iter().zip(names) {
                let result = match &outcome {
                    Ok(_) => attach(&h, &community, kind, &id, chosen)
                        .await
                        .map(drop)
                        .map_err(attach_problem),
                    // Nothing to attach to: the item's own error is shown.
                    Err(_) => Ok(()),
                };
                let dest = dest.clone();
                let _ = tx.send(FileMsg::Attached { dest, name, result });
            }
            Ok(Msg::Applied(outcome?))
        });
    }

    /// The thumbnail `hash` as it can be drawn now; read (off the UI
    /// thread) if it is not in the cache.
    fn thumb(&self, cx: &Cx, hash: &str) -> thumbs::Shown {
        let (shown, read) = self.inner.borrow_mut().thumbs.get(hash);
        if read {
            let (community, hash) = (cx.community.clone(), hash.to_owned());
            let tx = self.inbox.sender();
            cx.bridge.request(move |h| async move {
                let read = h.read_blob(&community, &hash).await;
                let loaded = tokio::task::spawn_blocking(move || thumbs::read_thumb(read))
                    .await
                    .unwrap_or(thumbs::Loaded::Broken);
                let _ = tx.send(FileMsg::Thumb(hash, loaded));
                Ok(Msg::Nothing)
            });
        }
        shown
    }

    /// The attachment whose removal asks for confirmation.
    fn removing(&self) -> Option<String> {
        self.inner.borrow().removing.clone()
    }

    fn set_removing(&self, hash: Option<String>) {
        self.inner.borrow_mut().removing = hash;
    }

    /// Whether a file dialog is open.
    fn is_picking(&self) -> bool {
        self.inner.borrow().picking.is_some()
    }

    /// Whether a path is being typed for `dest`.
    fn is_typing(&self, dest: &Dest) -> bool {
        self.inner
            .borrow()
            .typing
            .as_ref()
            .is_some_and(|t| &t.dest == dest)
    }

    /// Opens the path field for `dest`.
    fn start_typing(&self, dest: Dest) {
        self.inner.borrow_mut().typing = Some(Typing::new(dest, false));
    }

    /// The path field of `dest`, taken while it is drawn.
    fn take_typing(&self, dest: &Dest) -> Option<Typing> {
        let mut inner = self.inner.borrow_mut();
        if inner.typing.as_ref().is_some_and(|t| &t.dest == dest) {
            inner.typing.take()
        } else {
            None
        }
    }

    /// Puts back the path field once drawn.
    fn put_typing(&self, typing: Typing) {
        let mut inner = self.inner.borrow_mut();
        // A dialog's answer may have opened another one meanwhile.
        if inner.typing.is_none() {
            inner.typing = Some(typing);
        }
    }

    /// Takes this frame's dropped files, if no add zone took them first.
    fn claim_drops(&self) -> bool {
        !std::mem::replace(&mut self.inner.borrow_mut().drops_taken, true)
    }

    /// The names of the files being attached to `dest`.
    fn adding_to(&self, dest: &Dest) -> Vec<String> {
        let inner = self.inner.borrow();
        inner
            .adding
            .iter()
            .filter(|(d, _)| d == dest)
            .map(|(_, n)| n.clone())
            .collect()
    }

    /// The names of the files waiting beside a form.
    fn staged_names(&self, key: &'static str) -> Vec<String> {
        let inner = self.inner.borrow();
        inner
            .staged
            .get(key)
            .map(|files| files.iter().map(Chosen::name).collect())
            .unwrap_or_default()
    }

    /// Lets the `n`th file waiting beside a form go.
    fn unstage(&self, key: &'static str, n: usize) {
        let mut inner = self.inner.borrow_mut();
        if let Some(files) = inner.staged.get_mut(key)
            && n < files.len()
        {
            files.remove(n);
        }
    }

    /// Opens the file dialog on a thread of its own: the frame goes on.
    fn pick(&self, ctx: &egui::Context, dest: Dest, title: &'static str) {
        let mut inner = self.inner.borrow_mut();
        if inner.picking.is_some() {
            return;
        }
        inner.picking = Some(dest.clone());
        inner.typing = None;
        let tx = self.inbox.sender();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let picked = rfd::FileDialog::new().set_title(title).pick_file();
                let _ = tx.send(FileMsg::Picked(dest, picked));
                ctx.request_repaint();
            });
        if spawned.is_err() {
            inner.picking = None;
        }
    }

    /// Writes a file where the person says, asked on a thread of its own.
    fn save_as(
        &self,
        ctx: &egui::Context,
        community: CommunityId,
        attachment: &Attachment,
        lang: Lang,
    ) {
        // The place comes back through the inbox; `frame` writes the file.
        let tx = self.inbox.sender();
        let ctx = ctx.clone();
        let (hash, name) = (attachment.hash.clone(), attachment.name.clone());
        let title = lang.attachments().save_as;
        let _ = std::thread::Builder::new()
            .name("file-dialog".into())
            .spawn(move || {
                let place = rfd::FileDialog::new()
                    .set_title(title)
                    .set_file_name(&name)
                    .save_file();
                if let Some(path) = place {
                    let _ = tx.send(FileMsg::SaveTo {
                        community,
                        hash,
                        path,
                    });
                    ctx.request_repaint();
                }
            });
    }

    /// Opens a picture in the viewer, fetching it first if it is not here.
    fn view(&self, cx: &Cx, attachment: &Attachment) {
        let community = cx.community.clone();
        let hash = attachment.hash.clone();
        self.inner.borrow_mut().viewer =
            Some(viewer::Viewer::new(community.clone(), attachment.clone()));
        let tx = self.inbox.sender();
        cx.bridge.request(move |h| async move {
            let fetching = tx.clone();
            let picture = async {
                let bytes = here(&h, &community, &hash, || {
                    let _ = fetching.send(FileMsg::Fetching(hash.clone()));
                })
                .await?;
                let decoded = tokio::task::spawn_blocking(move || thumbs::decode_picture(&bytes));
                decoded.await.map_err(|_| CoreError::Failed)?
            }
            .await;
            let picture =
                picture.map_err(|e| Problem::new(e).doing(|l| l.attachments().view_failed));
            let _ = tx.send(FileMsg::Picture(hash, picture));
            Ok(Msg::Nothing)
        });
    }

    /// Opens a file with the computer's application for its type: written
    /// under its name in a folder of its own in the temporary directory.
    fn open(&self, cx: &Cx, attachment: &Attachment) {
        let community = cx.community.clone();
        let (hash, name) = (attachment.hash.clone(), attachment.name.clone());
        let opening = fill(cx.lang.attachments().opening, &[("name", &name)]);
        cx.bridge.request(move |h| async move {
            let path = match open_place(&hash, &name) {
                Ok(path) => path,
                Err(e) => return Ok(Msg::Error(Problem::new(e).doing(open_doing))),
            };
            if let Err(e) = save_here(&h, &community, &hash, &path).await {
                return Ok(Msg::Error(Problem::new(e).doing(open_doing)));
            }
            Ok(match open::that_detached(&path) {
                Ok(()) => Msg::Notice(opening),
                Err(_) => Msg::Error(Problem::failed(|l| l.attachments().open_failed)),
            })
        });
    }

    /// Takes an attachment off its item.
    fn remove(&self, cx: &Cx, kind: ItemKind, id: &ItemId, hash: &str) {
        let (community, id, hash) = (cx.community.clone(), id.clone(), hash.to_owned());
        let removed = cx.lang.attachments().removed;
        self.inner.borrow_mut().removing = None;
        cx.bridge.request(move |h| async move {
            Ok(match h.detach(&community, kind, &id, &hash).await {
                Ok(()) => Msg::Notice(removed.to_owned()),
                Err(e) => Msg::Error(Problem::new(e).doing(|l| l.attachments().remove_failed)),
            })
        });
    }
}
