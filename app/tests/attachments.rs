//! Pictures and files on items, through the app: a photo added to an
//! offer before it is published shows as the thumbnail of its card; a
//! thumbnail not on this device says it is waiting; a file dropped on the
//! window goes to the échange opened; the Stockage section counts them.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::*;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use passerelle_app::views::Screen;
use passerelle_core::model::{AttachmentCommand, Command, ItemKind, NewAttachment, Thumbnail};
use passerelle_core::{Node, NodeConfig};

/// Writes a JPEG photo of `width` × `height` pixels.
fn photo(path: &Path, width: u32, height: u32) {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x / 3 % 256) as u8, (y / 2 % 256) as u8, 140])
    });
    picture
        .save_with_format(path, image::ImageFormat::Jpeg)
        .expect("the photo is written");
}

/// The thumbnail of `name` drawn: an image read by its file name alone
/// once its picture is there (loading, waiting or unreadable, it says so
/// after the name).
fn thumbnail_shown(h: &H, name: &str) -> bool {
    h.query_by_role_and_label(Role::Image, name).is_some()
}

#[test]
fn a_photo_added_to_an_offer_is_the_thumbnail_of_its_card() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("velo-bleu.jpg");
    photo(&path, 1200, 800);
    let mut h = example_on(data.path(), "Nadia", "Échanges");
    let title = "Vélo bleu à prêter le week-end";

    press(&mut h, "Je propose");
    field(&h, "Titre").expect("the title").type_text(title);
    h.step();
    // No file dialog in a test: the path is typed, as on a computer
    // without one.
    press(&mut h, "Saisir le chemin");
    type_into(&mut h, "Chemin du fichier", &path.display().to_string());
    press(&mut h, "Ajouter ce fichier");
    assert!(
        shows(&h, "Joint à la publication"),
        "the photo waits for the offer"
    );
    assert!(shows(&h, "velo-bleu.jpg"));
    press(&mut h, "Publier");

    wait_until(&mut h, "the offer saved with its photo", |h| {
        view(h)
            .exchanges
            .iter()
            .any(|e| e.title == title && e.attachments.len() == 1)
    });
    let exchange = view(&h)
        .exchanges
        .iter()
        .find(|e| e.title == title)
        .cloned()
        .unwrap();
    let attachment = exchange.attachments.values().next().unwrap();
    assert!(attachment.is_image() && attachment.thumb.is_some());
    assert_eq!(attachment.name, "velo-bleu.jpg");
    wait_until(&mut h, "the thumbnail on the offer's card", |h| {
        thumbnail_shown(h, "velo-bleu.jpg")
    });
    // The card kept the height of the others: the thumbnail fits in it.
    let thumb = h.get_by_role_and_label(Role::Image, "velo-bleu.jpg").rect();
    let card = h.get_by_role_and_label(Role::Button, title).rect();
    assert!(
        thumb.height() <= 90.0 && thumb.height() > 40.0,
        "a small square: {thumb:?}"
    );
    assert!(thumb.min.x > card.max.x, "beside the title, at the right");

    // Opened, the offer lists the photo; clicking it shows it whole.
    h.get_by_role_and_label(Role::Button, title).click();
    h.step();
    wait_until(&mut h, "the opened offer's photo", |h| {
        h.query_all_by_role_and_label(Role::Image, "velo-bleu.jpg")
            .count()
            == 2
    });
    press(&mut h, "Voir");
    wait_until(&mut h, "the photo in the viewer", |h| {
        h.query_all_by_role_and_label(Role::Image, "velo-bleu.jpg")
            .count()
            == 3
    });
    h.key_press(egui::Key::Escape);
    h.step();
    wait_until(&mut h, "the viewer closed", |h| {
        h.query_all_by_role_and_label(Role::Image, "velo-bleu.jpg")
            .count()
            == 2
    });
    h.run();
}

#[test]
fn a_post_of_the_fil_is_published_with_its_photo() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("tomates.jpg");
    photo(&path, 800, 800);
    let mut h = example_on(data.path(), "Nadia", "Fil");
    let text = "Les premières tomates du jardin partagé !";
    type_into(&mut h, "Votre annonce", text);
    press(&mut h, "Saisir le chemin");
    type_into(&mut h, "Chemin du fichier", &path.display().to_string());
    press(&mut h, "Ajouter ce fichier");
    press(&mut h, "Publier");
    wait_until(&mut h, "the post saved with its photo", |h| {
        view(h)
            .posts
            .iter()
            .any(|p| p.text.as_str() == text && p.attachments.len() == 1)
    });
    wait_until(&mut h, "the photo in the post's card", |h| {
        thumbnail_shown(h, "tomates.jpg")
    });
    assert!(
        !shows(&h, "Joint à la publication"),
        "the form let the photo go with the post"
    );
    h.run();
}

#[test]
fn a_thumbnail_not_on_this_device_says_it_is_waiting() {
    let data = tempfile::tempdir().unwrap();
    // An échange whose photo was added on another device: described in
    // the document, its bytes not here yet.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let title = runtime.block_on(async {
        let node = Node::start(NodeConfig::new(data.path())).unwrap();
        let handle = node.handle();
        handle.set_display_name("Inès").await.unwrap();
        let community = handle.load_example().await.unwrap();
        let view = handle.view(&community).await.unwrap();
        let newest = view.exchanges.iter().max_by_key(|e| e.created_at).unwrap();
        let attach = Command::Attachments(AttachmentCommand::Attach {
            kind: ItemKind::Exchange,
            id: newest.id.clone(),
            attachment: NewAttachment {
                hash: "ab".repeat(32),
                name: "jardin.jpg".into(),
                mime: "image/jpeg".into(),
                size: 180_000,
                dimensions: Some((2048, 1536)),
                thumb: Some(Thumbnail {
                    hash: "cd".repeat(32),
                    size: 21_000,
                    width: 320,
                    height: 240,
                }),
            },
        });
        handle.apply(&community, attach).await.unwrap();
        let title = newest.title.clone();
        drop(handle);
        node.shutdown().await;
        title
    });
    let mut h = harness(data.path());
    // Shown once the community is read: the navigation moves as it fills.
    wait_until(&mut h, "the community", |h| h.state().view().is_some());
    h.state_mut().show(Screen::Exchanges);
    let waiting = "jardin.jpg — en attente : sera récupérée à la prochaine rencontre";
    wait_until(&mut h, "the waiting thumbnail on the card", |h| {
        h.query_by_role_and_label(Role::Image, waiting).is_some()
    });
    h.get_by_role_and_label(Role::Button, &title).click();
    h.step();
    wait_until(&mut h, "the waiting photo in the opened échange", |h| {
        h.query_by_label("en attente : sera récupérée à la prochaine rencontre")
            .is_some()
    });
    h.run();
}

/// A file dropped on the window, as the window system hands it over.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

#[test]
fn a_file_dropped_on_the_window_goes_to_the_opened_exchange_and_counts_in_storage() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    let path = files.path().join("horaires.txt");
    std::fs::write(&path, "Mardi et jeudi, de 18 h à 20 h.\n").unwrap();
    let mut h = example_on(data.path(), "Nadia", "Échanges");
    let title = "Soupe partagée du jeudi";
    press(&mut h, "Je propose");
    field(&h, "Titre").expect("the title").type_text(title);
    h.step();
    press(&mut h, "Publier");
    wait_until(&mut h, "the offer saved", |h| {
        view(h).exchanges.iter().any(|e| e.title == title)
    });
    wait_until(&mut h, "its card", |h| {
        h.query_by_role_and_label(Role::Button, title).is_some()
    });
    h.get_by_role_and_label(Role::Button, title).click();
    h.step();
    wait_until(&mut h, "the opened offer", |h| {
        shows(h, "Photos et fichiers")
    });

    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.clone())));
    h.step();
    wait_until(&mut h, "the dropped file attached", |h| {
        view(h)
            .exchanges
            .iter()
            .any(|e| e.title == title && e.attachments.values().any(|a| a.name == "horaires.txt"))
    });
    wait_until(&mut h, "the file listed with Ouvrir", |h| {
        shows(h, "horaires.txt") && h.query_by_role_and_label(Role::Button, "Ouvrir").is_some()
    });

    // The Stockage section counts it among this member's files.
    h.get_by_role_and_label(Role::Button, "Réglages").click();
    h.step();
    h.step();
    h.get_by_role_and_label(Role::Button, "Stockage").click();
    h.step();
    wait_until(&mut h, "the storage figures", |h| shows(h, "Vos fichiers"));
    assert!(shows(&h, "Fichiers des autres (cache)"));
    // The file's 33 bytes, the only thing this device holds.
    assert!(shows(&h, "33 o"), "the file counted");
    press(&mut h, "Libérer de la place");
    wait_until(&mut h, "what was freed", |h| shows(h, "Rien à libérer"));
    h.run();
}
