//! What every app test needs: a real app on a real data directory, driven
//! through its accessibility tree, confined to loopback.

#![allow(dead_code)] // each test file uses its own share of these

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use passerelle_app::clock::Clock;
use passerelle_app::notify::Recorder;
use passerelle_app::{AppConfig, PasserelleApp};
use passerelle_core::NetOptions;
use passerelle_core::model::CommunityView;

/// The app under test.
pub type H = Harness<'static, PasserelleApp>;

/// The clock of the apps under test: the time the first of them started,
/// frozen for the whole run, so "today" and "tomorrow" are the same days for
/// a test and for the screens it reads, even across midnight or a change of
/// daylight-saving time.
pub fn clock() -> Clock {
    static START: OnceLock<i64> = OnceLock::new();
    Clock::Fixed(*START.get_or_init(|| chrono::Local::now().timestamp_millis()))
}

/// The time the apps under test are drawn at (see [`clock`]).
pub fn now() -> chrono::DateTime<chrono::Local> {
    clock().now()
}

/// A fresh app on `dir`, its network confined to 127.0.0.1 with no mDNS:
/// tests run in the host's network namespace.
pub fn harness(dir: &std::path::Path) -> H {
    harness_with(dir, Recorder::default())
}

/// A fresh app on `dir` (as [`harness`]) whose notifications go to `shown`.
pub fn harness_with(dir: &std::path::Path, shown: Recorder) -> H {
    let config = AppConfig {
        data_dir: dir.to_owned(),
        net: NetOptions {
            bind: Some([127, 0, 0, 1].into()),
            mdns: false,
        },
        clock: clock(),
        notifier: Arc::new(shown),
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

/// The navigation's button of `screen`, whatever count it shows ("Agenda"
/// or "Agenda (1)").
pub fn nav_button<'a>(h: &'a H, screen: &str) -> Option<egui_kittest::Node<'a>> {
    use egui_kittest::kittest::NodeT;
    let counted = format!("{screen} (");
    h.query_all_by_role(Role::Button).find(|n| {
        n.accesskit_node()
            .label()
            .is_some_and(|l| l == screen || l.starts_with(&counted))
    })
}

/// Opens a screen from the navigation.
pub fn go(h: &mut H, screen: &str) {
    wait_until(h, screen, |h| nav_button(h, screen).is_some());
    nav_button(h, screen).unwrap().click();
    h.step();
    h.step();
}

/// Gives `name` on the first start, as the forms that ask it do: typed in
/// "Créer une communauté", then back to the choices, where every form that
/// asks the name has it already.
pub fn onboard(h: &mut H, name: &str) {
    let prompt = "Votre prénom ou votre nom";
    wait_until(h, "the first start", |h| {
        h.query_by_role_and_label(Role::Button, "Créer une communauté")
            .is_some()
    });
    press(h, "Créer une communauté");
    type_into(h, prompt, name);
    press(h, "Retour");
    wait_until(h, "the choices", |h| {
        h.query_by_role_and_label(Role::Button, "Rejoindre une communauté")
            .is_some()
    });
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

/// Clicks a button; two frames let panels drawn before it follow.
pub fn press(h: &mut H, button: &str) {
    h.get_by_role_and_label(Role::Button, button).scroll_to_me();
    settle(h);
    h.get_by_role_and_label(Role::Button, button).click();
    h.step();
    h.step();
}

/// Lets a scroll come to rest (egui animates it over a few frames) before
/// a click lands where a button is drawn.
pub fn settle(h: &mut H) {
    for _ in 0..40 {
        h.step();
    }
}

/// Opens the "…" menu of secondary actions ("Plus d'actions") and clicks
/// `item` in it. With several menus on screen, the last one drawn is used
/// (the opened item's, drawn after the list).
pub fn press_in_menu(h: &mut H, item: &str) {
    let menus: Vec<_> = h
        .query_all_by_role_and_label(Role::Button, "Plus d'actions")
        .collect();
    menus.last().expect("a '…' menu is shown").scroll_to_me();
    settle(h);
    let menus: Vec<_> = h
        .query_all_by_role_and_label(Role::Button, "Plus d'actions")
        .collect();
    menus.last().expect("a '…' menu is shown").click();
    h.step();
    h.step();
    press(h, item);
}

/// A user's actions in a flow: each click on a button, a choice or a field
/// counts one; what is typed in a field once it has focus does not.
#[derive(Default)]
pub struct Actions(pub usize);

impl Actions {
    /// Clicks `button`: one action.
    pub fn press(&mut self, h: &mut H, button: &str) {
        press(h, button);
        self.0 += 1;
    }

    /// Clicks the field `label` and types `text`: one action.
    pub fn fill(&mut self, h: &mut H, label: &str, text: &str) {
        type_into(h, label, text);
        self.0 += 1;
    }
}

/// A text field by its label, on one line or several.
pub fn field<'a>(h: &'a H, label: &'a str) -> Option<egui_kittest::Node<'a>> {
    h.query_by_role_and_label(Role::TextInput, label)
        .or_else(|| h.query_by_role_and_label(Role::MultilineTextInput, label))
}

pub fn type_into(h: &mut H, label: &str, text: &str) {
    field(h, label).expect("the field is shown").scroll_to_me();
    h.step();
    field(h, label).expect("the field is shown").click();
    h.step();
    field(h, label).expect("the field is shown").type_text(text);
    h.step();
}

pub fn shows(h: &H, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

pub fn load_example(h: &mut H) {
    press(h, "Découvrir avec une communauté exemple");
    wait_until(h, "the example community", |h| {
        h.state().view().is_some_and(|v| v.exchanges.len() >= 10)
    });
}

pub fn wait_for_network(h: &mut H) {
    wait_until(h, "the network", |h| h.state().net().info.is_some());
}

/// Creates an invitation from the Membres screen; returns its ticket text.
pub fn create_invite(h: &mut H) -> String {
    go(h, "Membres");
    press(h, "Inviter quelqu'un");
    h.get_by_label("1 jour").click();
    h.step();
    h.step();
    press(h, "Créer l'invitation");
    wait_until(h, "the ticket", |h| {
        field(h, "Invitation à transmettre").is_some()
    });
    field(h, "Invitation à transmettre")
        .unwrap()
        .value()
        .expect("the ticket is shown as text")
}

/// Joins with an invitation to the example community from the first start
/// or the navigation, and waits until the join has ended with its échanges
/// here.
pub fn join_example(h: &mut H, ticket: &str) {
    press(h, "Rejoindre une communauté");
    type_into(h, "Invitation", ticket);
    press(h, "Rejoindre");
    wait_until(h, "the joined community", |h| {
        h.state().view().is_some_and(|v| v.exchanges.len() >= 10)
            && h.query_by_role_and_label(Role::Button, "Rejoindre")
                .is_none()
    });
}

/// Opens the Synchronisation screen's "Avancé" section (addresses,
/// connecting by address, relay, log) and waits for it to unfold.
pub fn open_advanced(h: &mut H) {
    h.get_by_label("Avancé").scroll_to_me();
    h.step();
    // By its accessibility action: a notice may lie over it on screen.
    h.get_by_label("Avancé").click_accesskit();
    wait_until(h, "the advanced section", |h| {
        shows(h, "utile seulement si les membres ne se trouvent pas")
    });
    h.run();
}

/// A point over the lists of the screens (Échanges, Agenda), right of the
/// navigation and left of the side panel.
pub const OVER_THE_LIST: egui::Pos2 = egui::Pos2::new(560.0, 600.0);

/// Scrolls the list under [`OVER_THE_LIST`] with the mouse wheel, a few
/// cards at a time, until `done` holds, as a person looks down a long list
/// (only the cards on screen are drawn).
pub fn scroll_until(h: &mut H, what: &str, done: impl Fn(&H) -> bool) {
    if !done(h) {
        // From the top.
        wheel(h, 100_000.0);
    }
    for _ in 0..80 {
        if done(h) {
            return;
        }
        wheel(h, -150.0);
    }
    assert!(
        done(h),
        "scrolled down the whole list without finding {what}"
    );
}

/// Turns the mouse wheel over the list by `dy` points (positive: up).
fn wheel(h: &mut H, dy: f32) {
    h.hover_at(OVER_THE_LIST);
    h.event(egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Point,
        delta: egui::vec2(0.0, dy),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    });
    for _ in 0..4 {
        h.step();
    }
}

/// Waits for the échanges, then scrolls their list to the card titled `title`.
pub fn scroll_to_card(h: &mut H, title: &str) {
    wait_until(h, "the list", |h| {
        h.state().view().is_some_and(|v| !v.exchanges.is_empty())
    });
    scroll_until(h, title, |h| {
        h.query_by_role_and_label(Role::Button, title).is_some()
    });
    // Let the smoothed scroll come to rest, the card wholly on screen.
    h.get_by_role_and_label(Role::Button, title).scroll_to_me();
    for _ in 0..10 {
        h.step();
    }
}
