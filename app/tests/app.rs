//! The app driven like a person would: through its accessibility tree, on a
//! real node and a real data directory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use passerelle_app::{AppConfig, PasserelleApp};
use passerelle_core::NetOptions;

fn harness(dir: &std::path::Path) -> Harness<'static, PasserelleApp> {
    // Confined to loopback, no mDNS: tests run in the host's namespace.
    let config = AppConfig {
        data_dir: dir.to_owned(),
        net: NetOptions {
            bind: Some([127, 0, 0, 1].into()),
            mdns: false,
        },
    };
    let app = PasserelleApp::new(config, Arc::new(|| {})).expect("the app starts");
    Harness::builder()
        .with_size([1100.0, 720.0])
        .build_ui_state(|ui, app: &mut PasserelleApp| app.ui(ui), app)
}

/// Steps the UI until `done` holds: results from the node arrive asynchronously.
fn wait_until(
    h: &mut Harness<'static, PasserelleApp>,
    what: &str,
    done: impl Fn(&Harness<'static, PasserelleApp>) -> bool,
) {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

/// Opens a screen from the navigation.
fn go(h: &mut Harness<'static, PasserelleApp>, screen: &str) {
    wait_until(h, screen, |h| {
        h.query_by_role_and_label(Role::Button, screen).is_some()
    });
    h.get_by_role_and_label(Role::Button, screen).click();
    h.step();
}

fn onboard(h: &mut Harness<'static, PasserelleApp>, name: &str) {
    wait_until(h, "the name prompt", |h| {
        h.query_by_role_and_label(Role::TextInput, "Votre prénom ou votre nom")
            .is_some()
    });
    h.get_by_role_and_label(Role::TextInput, "Votre prénom ou votre nom")
        .click();
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Votre prénom ou votre nom")
        .type_text(name);
    h.step();
    h.get_by_role_and_label(Role::Button, "Continuer").click();
    wait_until(h, "the main screen", |h| h.state().is_ready());
}

#[test]
fn first_start_asks_a_name_then_shows_the_example_community() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Nadia");
    wait_until(&mut h, "the welcome text", |h| {
        h.query_by_label_contains("pas encore de communauté")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Découvrir avec une communauté exemple")
        .click();
    go(&mut h, "Échanges");
    wait_until(&mut h, "the example échanges", |h| {
        h.query_by_label("Réparer mon vélo").is_some()
    });
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
    wait_until(&mut h, "the example échanges", |h| {
        h.query_by_label("Réparer mon vélo").is_some()
    });
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
        h.query_by_label("Cours de tricot").is_some()
    });
}

#[test]
fn the_interface_switches_to_english() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = harness(dir.path());
    onboard(&mut h, "Ana");
    h.get_by_role_and_label(Role::ComboBox, "Langue").click();
    wait_until(&mut h, "the language list", |h| {
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
