//! What every app test needs: a real app on a real data directory, driven
//! through its accessibility tree, confined to loopback.

#![allow(dead_code)] // each test file uses its own share of these

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use passerelle_app::{AppConfig, PasserelleApp};
use passerelle_core::NetOptions;
use passerelle_core::model::CommunityView;

/// The app under test.
pub type H = Harness<'static, PasserelleApp>;

/// A fresh app on `dir`, its network confined to 127.0.0.1 with no mDNS:
/// tests run in the host's network namespace.
pub fn harness(dir: &std::path::Path) -> H {
    let config = AppConfig {
        data_dir: dir.to_owned(),
        net: NetOptions {
            bind: Some([127, 0, 0, 1].into()),
            mdns: false,
        },
    };
    let app = PasserelleApp::new(config, Arc::new(|| {})).expect("the app starts");
    Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(|ui, app: &mut PasserelleApp| app.ui(ui), app)
}

/// Steps the UI until `done` holds: results from the node arrive asynchronously.
pub fn wait_until(h: &mut H, what: &str, done: impl Fn(&H) -> bool) {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}; error shown: {:?}",
            h.state().error()
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

/// Opens a screen from the navigation.
pub fn go(h: &mut H, screen: &str) {
    wait_until(h, screen, |h| {
        h.query_by_role_and_label(Role::Button, screen).is_some()
    });
    h.get_by_role_and_label(Role::Button, screen).click();
    h.step();
    h.step();
}

/// Answers the first-start question with `name`.
pub fn onboard(h: &mut H, name: &str) {
    let prompt = "Votre prénom ou votre nom";
    wait_until(h, "the name prompt", |h| {
        h.query_by_role_and_label(Role::TextInput, prompt).is_some()
    });
    h.get_by_role_and_label(Role::TextInput, prompt).click();
    h.step();
    h.get_by_role_and_label(Role::TextInput, prompt)
        .type_text(name);
    h.step();
    h.get_by_role_and_label(Role::Button, "Continuer").click();
    wait_until(h, "the main screen", |h| h.state().is_ready());
}

/// Loads the example community and waits for its view.
pub fn with_example(h: &mut H) {
    h.get_by_role_and_label(Role::Button, "Découvrir avec une communauté exemple")
        .click();
    wait_until(h, "the example community", |h| h.state().view().is_some());
}

/// A fresh device named `name`, admin of the example community, on `screen`.
pub fn example_on(dir: &std::path::Path, name: &str, screen: &str) -> H {
    let mut h = harness(dir);
    onboard(&mut h, name);
    with_example(&mut h);
    go(&mut h, screen);
    h
}

/// The community's current view.
pub fn view(h: &H) -> Arc<CommunityView> {
    h.state().view().expect("a community is shown").clone()
}

/// The id of the member named `name`.
pub fn member_id(h: &H, name: &str) -> passerelle_core::model::MemberId {
    view(h)
        .community
        .members
        .iter()
        .find(|m| m.display_name == name)
        .expect("the member is in the community")
        .id
        .clone()
}
