//! Serving with no window: `passerelle --background` serves neighbours (a
//! second device joins through it) and stops cleanly on SIGTERM, with what
//! it received kept; launching `passerelle` again makes it stop its node and
//! become the window; closing the window hands the running node over
//! instead of stopping it, unless "Arrêter Passerelle" closed it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use passerelle_app::background::{self, Handover, Window};
use passerelle_app::settings::Settings;
use passerelle_core::{CoreError, NetOptions, Node, NodeConfig, Ticket};

/// Loopback only, no mDNS: tests run in the host's network namespace.
fn loopback() -> NetOptions {
    NetOptions {
        bind: Some([127, 0, 0, 1].into()),
        mdns: false,
    }
}

/// `passerelle --background` on `dir`, with no display and no session bus
/// (so no tray icon: it must serve anyway); its log goes to `stderr`.
fn start_background(dir: &Path, stderr: Stdio) -> Child {
    Command::new(env!("CARGO_BIN_EXE_passerelle"))
        .arg("--background")
        .arg("--data-dir")
        .arg(dir)
        .env("PASSERELLE_BIND", "127.0.0.1")
        .env("PASSERELLE_MDNS", "off")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env_remove("PASSERELLE_DATA_DIR")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("passerelle starts")
}

/// Kills the background process if a failed assertion leaves it running.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Runs a `passerelle-node` command through the control socket of the
/// process serving `dir`: (exit code, stdout, stderr).
fn control(dir: &Path, args: &[&str]) -> Option<(u64, String, String)> {
    let mut stream = std::os::unix::net::UnixStream::connect(dir.join("control.sock")).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .ok()?;
    let mut argv = vec!["passerelle-node"];
    argv.extend_from_slice(args);
    let request = serde_json::json!({ "args": argv, "cwd": "/" });
    writeln!(stream, "{request}").ok()?;
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).ok()?;
    let reply: serde_json::Value = serde_json::from_str(&line).ok()?;
    Some((
        reply["code"].as_u64()?,
        reply["stdout"].as_str()?.trim().to_owned(),
        reply["stderr"].as_str()?.to_owned(),
    ))
}

/// Retries `attempt` until it gives a value, for at most `limit`.
fn wait_for<T>(what: &str, limit: Duration, mut attempt: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(value) = attempt() {
            return value;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn the_background_serves_neighbours_then_stops_cleanly_on_sigterm_keeping_everything() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let hall = tmp.path().join("salle");
    let mut server = Reaper(start_background(&hall, Stdio::inherit()));

    wait_for("the background to answer", Duration::from_secs(30), || {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("passerelle --background exited before serving: {status}");
        }
        background::is_serving(&hall).then_some(())
    });
    let second = Command::new(env!("CARGO_BIN_EXE_passerelle"))
        .args(["--background", "--data-dir"])
        .arg(&hall)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .output()
        .expect("a second passerelle runs");
    assert!(
        second.status.success(),
        "a second background launch leaves the first one serving"
    );

    let ok = |args: &[&str]| {
        wait_for(&format!("{args:?}"), Duration::from_secs(30), || {
            control(&hall, args).filter(|(code, ..)| *code == 0)
        })
        .1
    };
    ok(&["init", "--name", "Salle des fêtes"]);
    let community = ok(&["community", "create", "--name", "Jardin partagé"]);
    // The invite carries the addresses: it succeeds once the network is up.
    let invite = ok(&["invite", "--community", &community]);

    // A neighbour's device joins through the background process.
    let neighbour = tmp.path().join("voisine");
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let node = Node::start(NodeConfig::new(&neighbour)).expect("the neighbour starts");
        let h = node.handle();
        h.set_display_name("Voisine").await.expect("a name");
        h.start_network(loopback())
            .await
            .expect("the network starts");
        let ticket = Ticket::decode(&invite).expect("an invite ticket");
        let joined = tokio::time::timeout(Duration::from_secs(60), h.join(&ticket))
            .await
            .expect("the join ends within a minute")
            .expect("the background admits the neighbour");
        assert_eq!(joined.to_string(), community);
        drop(h);
        node.shutdown().await;
    });

    let asked = Instant::now();
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.0.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
    let status = wait_for("the background to stop", Duration::from_secs(10), || {
        server.0.try_wait().expect("the process can be waited for")
    });
    assert!(status.success(), "SIGTERM is a clean stop: {status}");
    assert!(
        asked.elapsed() < Duration::from_secs(8),
        "stopped in {:?}",
        asked.elapsed()
    );
    assert!(
        !background::socket_path(&hall).exists(),
        "the socket is gone with the process"
    );

    // The directory is free, and holds what the neighbour's join brought.
    runtime.block_on(async {
        let node = Node::start(NodeConfig::new(&hall)).expect("the data directory is released");
        let communities = node.handle().communities().await.expect("communities");
        let garden = communities
            .iter()
            .find(|c| c.name == "Jardin partagé")
            .expect("the community is kept");
        assert_eq!(garden.members, 2, "the neighbour's membership is kept");
    });
}

#[test]
fn closing_the_window_hands_the_running_node_over_instead_of_stopping_it() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("data");
    let mut h = common::harness(&dir);
    common::onboard(&mut h, "Marion");
    let handover = Handover::default();
    let mut window = Window::new(h.into_state(), handover.clone());

    eframe::App::on_exit(&mut window, None);
    drop(window);
    let bridge = handover
        .lock()
        .expect("not poisoned")
        .take()
        .expect("closing the window hands its bridge over");
    assert!(background::keeps_serving(&Settings::default(), &bridge));
    let off = Settings {
        keep_serving: Some(false),
        ..Settings::default()
    };
    assert!(!background::keeps_serving(&off, &bridge));
    match Node::start(NodeConfig::new(&dir)) {
        Err(CoreError::Locked(_)) => {}
        Err(e) => panic!("expected the directory in use, got {e}"),
        Ok(_) => panic!("the node stopped when the window closed"),
    }
    assert!(
        control(&dir, &["id"]).is_some_and(|(code, ..)| code == 0),
        "the node still takes commands"
    );

    drop(bridge);
    Node::start(NodeConfig::new(&dir)).expect("dropping the bridge stops the node");
}

#[test]
fn the_disponibilite_menu_turns_keeping_serving_off_and_remembers_it() {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let mut h = common::harness(tmp.path());
    common::onboard(&mut h, "Odile");
    assert!(Settings::load(tmp.path()).keeps_serving(), "on by default");

    h.get_by_role_and_label(Role::Button, "Réglages").click();
    h.step(); // the click
    h.step(); // the menu drawn
    let keep = "Rester disponible quand la fenêtre est fermée";
    assert!(
        h.query_by_role_and_label(Role::CheckBox, "Démarrer avec l'ordinateur")
            .is_some(),
        "the menu offers to start with the computer"
    );
    h.get_by_role_and_label(Role::CheckBox, keep).click();
    h.step();
    h.step();
    assert_eq!(Settings::load(tmp.path()).keep_serving, Some(false));
}

#[test]
fn arreter_passerelle_closes_the_window_and_stops_the_node_whatever_the_setting() {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let dir = tmp.path().join("data");
    let config = passerelle_app::AppConfig {
        data_dir: dir.clone(),
        net: loopback(),
        clock: common::clock(),
        notifier: std::sync::Arc::new(passerelle_app::notify::Recorder::default()),
    };
    let app = passerelle_app::PasserelleApp::new(config, std::sync::Arc::new(|| {}))
        .expect("the app starts");
    let handover = Handover::default();
    let mut h = egui_kittest::Harness::builder()
        .with_size([1200.0, 800.0])
        .build_eframe(|_| Window::new(app, handover.clone()));
    // The first start's choices show once the node has started.
    wait_for("the node to start", Duration::from_secs(30), || {
        h.step();
        h.query_by_role_and_label(Role::Button, "Créer une communauté")
            .map(|_| ())
    });
    assert!(Settings::load(&dir).keeps_serving());

    h.get_by_role_and_label(Role::Button, "Réglages").click();
    h.step();
    h.step();
    h.get_by_role_and_label(Role::Button, "Arrêter Passerelle")
        .click();
    h.step();
    eframe::App::on_exit(h.state_mut(), None);
    assert!(
        handover.lock().expect("not poisoned").is_none(),
        "stopping hands nothing over"
    );
    drop(h);
    Node::start(NodeConfig::new(&dir)).expect("the node stopped with the window");
}

#[test]
fn launching_passerelle_again_asks_the_background_to_open_its_window() {
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let hall = tmp.path().join("salle");
    // Quiet: it ends saying that no window can open here, as expected.
    let mut server = Reaper(start_background(&hall, Stdio::null()));
    wait_for("the background to answer", Duration::from_secs(30), || {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("passerelle --background exited before serving: {status}");
        }
        background::is_serving(&hall).then_some(())
    });

    let again = Command::new(env!("CARGO_BIN_EXE_passerelle"))
        .arg("--data-dir")
        .arg(&hall)
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .expect("passerelle runs again");
    assert!(
        again.status.success(),
        "the second launch hands over to the background and exits: {}",
        String::from_utf8_lossy(&again.stderr)
    );
    // The background stops its node and becomes the window: with no
    // display here, that window cannot open, and the process ends.
    let status = wait_for(
        "the background to become the window",
        Duration::from_secs(15),
        || server.0.try_wait().expect("the process can be waited for"),
    );
    assert!(!status.success(), "no display: the window could not open");
    assert!(!background::is_serving(&hall));
    Node::start(NodeConfig::new(&hall)).expect("the node was stopped before opening the window");
}
