//! The app driven like a person would: through its accessibility tree, on a
//! real node and a real data directory.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use passerelle_app::PasserelleApp;

#[test]
fn first_start_asks_a_name_then_shows_the_example_community() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Nadia");
    wait_until(&mut h, "the welcome text", |h| {
        h.query_by_label_contains("Entraide, savoirs et rencontres entre voisins")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Découvrir avec une communauté exemple")
        .click();
    go(&mut h, "Échanges");
    scroll_to_card(&mut h, "Réparer mon vélo");
    let view = h.state().view().expect("a community is shown").clone();
    assert!(view.exchanges.len() >= 10);
    // Every control is labelled: the harness checks the accessibility tree.
    h.run();
}

#[test]
fn posting_an_exchange_saves_it_and_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Karim");
    h.get_by_role_and_label(Role::Button, "Découvrir avec une communauté exemple")
        .click();
    go(&mut h, "Échanges");
    scroll_to_card(&mut h, "Réparer mon vélo");
    // "Je cherche" opens the form, set for a need.
    press(&mut h, "Je cherche");
    h.get_by_role_and_label(Role::TextInput, "Titre").click();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Titre")
        .type_text("Cours de tricot");
    h.step();
    h.get_by_role_and_label(Role::Button, "Publier").click();
    wait_until(&mut h, "the new échange in the list", |h| {
        h.query_by_label("Cours de tricot").is_some()
    });
    wait_until(&mut h, "the saved notice", |h| {
        h.query_by_label("Enregistré.").is_some()
    });
    h.run();
    drop(h);

    // Reopened on the same data directory, the échange is still there.
    let mut h = harness(dir.path());
    go(&mut h, "Échanges");
    wait_until(&mut h, "the échange after a restart", |h| {
        h.state()
            .view()
            .is_some_and(|v| v.exchanges.iter().any(|e| e.title == "Cours de tricot"))
    });
    // Found as a person would look for it: by searching, then opened.
    type_into(&mut h, "Rechercher", "tricot");
    wait_until(&mut h, "the échange in the results", |h| {
        h.query_by_label_contains("Cours de tricot").is_some()
    });
    h.get_by_label_contains("Cours de tricot").click();
    wait_until(&mut h, "the échange opened", |h| {
        h.state().screen() == passerelle_app::views::Screen::Exchanges
            && h.query_by_label("Détails").is_some()
    });
}

#[test]
fn the_interface_switches_to_english() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Ana");
    h.get_by_role_and_label(Role::Button, "Réglages").click();
    wait_until(&mut h, "the settings menu", |h| {
        h.query_by_label("English").is_some()
    });
    h.get_by_label("English").click();
    wait_until(&mut h, "English strings", |h| {
        h.query_by_role_and_label(Role::Button, "Discover with an example community")
            .is_some()
    });
    assert_eq!(h.state().lang(), passerelle_app::i18n::Lang::En);
    h.run();
}

#[test]
fn search_finds_an_item_and_opens_it_on_its_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Lucie");
    with_example(&mut h);
    h.get_by_role_and_label(Role::TextInput, "Rechercher")
        .click();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Rechercher")
        .type_text("vélo");
    wait_until(&mut h, "search results", |h| {
        h.query_by_label_contains("Résultats pour").is_some()
            && h.query_by_label_contains("Réparer mon vélo").is_some()
    });
    h.get_by_label_contains("Réparer mon vélo").click();
    wait_until(&mut h, "the échange's details", |h| {
        h.state().screen() == passerelle_app::views::Screen::Exchanges
            && h.query_by_label("Détails").is_some()
    });
    // The search box is emptied once a result is opened.
    assert!(h.query_by_label_contains("Résultats pour").is_none());
    h.run();
}

#[test]
fn large_text_and_dark_theme_are_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Yasmina");
    h.get_by_role_and_label(Role::CheckBox, "Grand texte")
        .click();
    h.step();
    h.get_by_role_and_label(Role::Button, "Réglages").click();
    wait_until(&mut h, "the settings menu", |h| {
        h.query_by_role_and_label(Role::CheckBox, "Thème sombre")
            .is_some()
    });
    h.get_by_role_and_label(Role::CheckBox, "Thème sombre")
        .click();
    h.step();
    h.step();
    assert!(h.ctx.zoom_factor() > 1.2, "large text zooms the interface");
    assert_eq!(h.ctx.theme(), egui::Theme::Dark);
    drop(h);
    let saved = passerelle_app::settings::Settings::load(dir.path());
    assert!(saved.large_text && saved.dark, "{saved:?}");
    let mut h = harness(dir.path());
    wait_until(&mut h, "the main screen", |h| h.state().is_ready());
    h.step();
    assert!(h.ctx.zoom_factor() > 1.2, "large text survives a restart");
}

#[test]
fn my_need_can_be_marked_done_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Sami");
    with_example(&mut h);
    go(&mut h, "Échanges");
    // Post a need, then open it.
    // "Je cherche" opens the form, set for a need.
    press(&mut h, "Je cherche");
    h.get_by_role_and_label(Role::TextInput, "Titre").click();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Titre")
        .type_text("Aide pour un CV");
    h.step();
    h.get_by_role_and_label(Role::Button, "Publier").click();
    wait_until(&mut h, "the new need", |h| {
        h.query_by_label("Aide pour un CV").is_some()
    });
    h.get_by_label("Aide pour un CV").click();
    wait_until(&mut h, "its details", |h| {
        h.query_by_role_and_label(Role::Button, "Marquer comme réalisé")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Marquer comme réalisé")
        .click();
    let done = |h: &Harness<'static, PasserelleApp>| {
        h.state().view().is_some_and(|v| {
            v.exchanges.iter().any(|e| {
                e.title == "Aide pour un CV"
                    && e.status == passerelle_core::model::ExchangeStatus::Done
            })
        })
    };
    wait_until(&mut h, "the need marked done", done);
    // Deleting is in the "…" menu, and asks first.
    press_in_menu(&mut h, "Supprimer");
    assert!(shows(&h, "Supprimer cette annonce pour tout le monde ?"));
    wait_until(&mut h, "the confirmation", |h| {
        h.query_by_role_and_label(Role::Button, "Confirmer la suppression")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Confirmer la suppression")
        .click();
    wait_until(&mut h, "the need deleted", |h| {
        h.state()
            .view()
            .is_some_and(|v| !v.exchanges.iter().any(|e| e.title == "Aide pour un CV"))
    });
    h.run();
}

#[test]
fn a_neighbours_need_gets_a_je_peux_aider() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Hugo");
    with_example(&mut h);
    go(&mut h, "Échanges");
    scroll_to_card(&mut h, "Réparer mon vélo");
    h.get_by_label("Réparer mon vélo").click();
    wait_until(&mut h, "the reply buttons", |h| {
        h.query_by_role_and_label(Role::Button, "Je peux aider")
            .is_some()
    });
    h.get_by_role_and_label(
        Role::MultilineTextInput,
        "Un mot pour la personne (facultatif)",
    )
    .click();
    h.step();
    h.get_by_role_and_label(
        Role::MultilineTextInput,
        "Un mot pour la personne (facultatif)",
    )
    .type_text("J'ai des outils");
    h.step();
    h.get_by_role_and_label(Role::Button, "Je peux aider")
        .click();
    wait_until(&mut h, "the reply saved", |h| {
        h.state().view().is_some_and(|v| {
            v.exchanges.iter().any(|e| {
                e.title == "Réparer mon vélo"
                    && e.replies.values().any(|r| {
                        r.kind == passerelle_core::model::ReplyKind::CanHelp
                            && r.text == "J'ai des outils"
                    })
            })
        })
    });
    wait_until(&mut h, "the reply listed", |h| {
        h.query_by_label_contains("Hugo — Je peux aider").is_some()
    });
    h.run();
}

#[test]
fn the_keyboard_reaches_every_screen_and_the_search_box() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Fatou");
    with_example(&mut h);
    h.step();
    use passerelle_app::views::Screen;
    for (n, key) in [
        egui::Key::Num1,
        egui::Key::Num2,
        egui::Key::Num3,
        egui::Key::Num4,
        egui::Key::Num5,
        egui::Key::Num6,
        egui::Key::Num7,
        egui::Key::Num8,
        egui::Key::Num9,
        egui::Key::Num0,
    ]
    .into_iter()
    .enumerate()
    {
        h.key_press_modifiers(egui::Modifiers::COMMAND, key);
        h.step();
        assert_eq!(h.state().screen(), Screen::ALL[n]);
    }
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.step();
    h.step();
    assert!(
        h.get_by_role_and_label(Role::TextInput, "Rechercher")
            .is_focused(),
        "Ctrl+F focuses the search box"
    );
}

#[test]
fn an_encrypted_data_directory_opens_with_its_passphrase_only() {
    use passerelle_core::{Node, NodeConfig};
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = Node::start(NodeConfig {
            passphrase: Some("une phrase de passe".to_owned().into()),
            encrypt: true,
            ..NodeConfig::new(dir.path())
        })
        .unwrap();
        let handle = node.handle();
        handle.set_display_name("Inès").await.unwrap();
        drop(handle);
        node.shutdown().await;
    });
    let mut h = harness(dir.path());
    let field = "Phrase de passe";
    let answer = |h: &mut H, text: &str| {
        wait_until(h, "the passphrase question", |h| {
            h.query_by_role_and_label(Role::PasswordInput, field)
                .is_some()
        });
        h.get_by_role_and_label(Role::PasswordInput, field).click();
        h.step();
        h.get_by_role_and_label(Role::PasswordInput, field)
            .type_text(text);
        h.step();
        h.get_by_role_and_label(Role::Button, "Ouvrir").click();
        h.step();
    };
    answer(&mut h, "pas la bonne");
    wait_until(&mut h, "the refusal", |h| {
        h.query_by_label("Phrase de passe incorrecte.").is_some()
    });
    answer(&mut h, "une phrase de passe");
    wait_until(&mut h, "the main screen", |h| h.state().is_ready());
    h.run();
}
