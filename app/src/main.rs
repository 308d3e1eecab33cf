//! `passerelle`: the desktop app. Opens on the default data directory, or on
//! `--data-dir DIR` / `PASSERELLE_DATA_DIR`; `--screen NAME` opens a screen
//! (`fil`, `echanges`, `agenda`...; `se-retrouver` opens the meeting view);
//! `--window-size 1280x800` sets the window's size (1100x720 otherwise).
//!
//! Closing the window leaves the node serving neighbours when the setting is
//! on; `--background` serves with no window (the login autostart). Either
//! way a tray icon, or launching `passerelle` again, opens the window: see
//! `passerelle_app::background`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use passerelle_app::background::{self, Exit, Handover, Wake, Window};
use passerelle_app::bridge::Bridge;
use passerelle_app::clock::Clock;
use passerelle_app::settings::Settings;
use passerelle_app::views::Screen;
use passerelle_app::{AppConfig, PasserelleApp};
use passerelle_core::NetOptions;

/// The value of `--NAME VALUE` or `--NAME=VALUE`, if given.
fn option(name: &str) -> Result<Option<String>> {
    let flag = format!("--{name}");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == flag {
            return args
                .next()
                .map(Some)
                .with_context(|| format!("{flag} needs a value"));
        }
        if let Some(value) = arg.strip_prefix(&format!("{flag}=")) {
            return Ok(Some(value.to_owned()));
        }
    }
    Ok(None)
}

fn data_dir() -> Result<PathBuf> {
    if let Some(dir) = option("data-dir")? {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("PASSERELLE_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    passerelle_core::default_data_dir().context("no home directory found; pass --data-dir DIR")
}

/// The window's size, from `--window-size WIDTHxHEIGHT`.
fn window_size() -> Result<[f32; 2]> {
    let Some(text) = option("window-size")? else {
        return Ok([1100.0, 720.0]);
    };
    let size = text
        .split_once('x')
        .and_then(|(w, h)| Some([w.parse::<u16>().ok()?, h.parse::<u16>().ok()?]))
        .filter(|[w, h]| *w >= 640 && *h >= 420)
        .with_context(|| format!("--window-size {text:?}: give WIDTHxHEIGHT, at least 640x420"))?;
    Ok(size.map(f32::from))
}

/// The screen asked for, and whether it is the meeting view.
fn screen() -> Result<(Screen, bool)> {
    let Some(name) = option("screen")? else {
        return Ok((Screen::default(), false));
    };
    if name == "se-retrouver" {
        return Ok((Screen::Sync, true));
    }
    let screen = Screen::from_name(&name).with_context(|| {
        let names: Vec<_> = Screen::ALL.iter().map(|s| s.name()).collect();
        format!(
            "unknown screen {name:?}; one of: {}, se-retrouver",
            names.join(", ")
        )
    })?;
    Ok((screen, false))
}

fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PASSERELLE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let dir = data_dir()?;
    let net = NetOptions::from_env()?;
    let wake = Arc::new(Wake::default());
    if std::env::args().any(|a| a == "--background") {
        if background::is_serving(&dir) {
            eprintln!(
                "Passerelle already serves {} in the background",
                dir.display()
            );
            return Ok(());
        }
        let mut bridge = Bridge::start(dir.clone(), net, wake.callback())
            .context("starting the node's runtime")?;
        let exit = background::serve(&mut bridge, &wake, &dir, false);
        return finish(exit, bridge);
    }
    if background::ask_to_open(&dir) {
        return Ok(()); // the process serving in the background opens it
    }
    let screen = screen()?;
    let handover = Handover::default();
    window(dir.clone(), net, screen, &wake, &handover)?;
    let bridge = handover.lock().unwrap_or_else(|e| e.into_inner()).take();
    tracing::debug!(
        handed_over = bridge.is_some(),
        started = bridge.as_ref().is_some_and(|b| b.handle().is_some()),
        "window closed"
    );
    match bridge {
        Some(mut bridge) if background::keeps_serving(&Settings::load(&dir), &bridge) => {
            let exit = background::serve(&mut bridge, &wake, &dir, true);
            finish(exit, bridge)
        }
        _ => Ok(()), // the bridge, dropped, stops the node
    }
}

/// Shows the window until it is closed; its bridge is then in `handover`.
fn window(
    dir: PathBuf,
    net: NetOptions,
    (screen, meeting): (Screen, bool),
    wake: &Arc<Wake>,
    handover: &Handover,
) -> Result<()> {
    // The app id names the installed desktop entry
    // (packaging/org.passerelle.Passerelle.desktop): Wayland's app_id and
    // X11's WM_CLASS, so docks show its icon and group its windows.
    let icon = eframe::icon_data::from_png_bytes(include_bytes!(
        "../../packaging/icons/hicolor/256x256/apps/org.passerelle.Passerelle.png"
    ))
    .context("reading the window icon")?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Passerelle")
            .with_app_id("org.passerelle.Passerelle")
            .with_icon(icon)
            .with_inner_size(window_size()?)
            .with_min_inner_size([640.0, 420.0]),
        ..Default::default()
    };
    let (wake, handover) = (wake.clone(), handover.clone());
    eframe::run_native(
        "Passerelle",
        options,
        Box::new(move |cc| {
            wake.set_window(Some(cc.egui_ctx.clone()));
            let config = AppConfig {
                data_dir: dir,
                net,
                clock: Clock::System,
                notifier: Arc::new(passerelle_app::notify::Desktop::start()),
            };
            let mut app = PasserelleApp::new(config, wake.callback())?;
            app.show(screen);
            if meeting {
                app.meet();
            }
            Ok(Box::new(Window::new(app, handover)))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}

/// After serving in the background: stops the node (releasing the data
/// directory), then exits or opens the window in this process's place.
fn finish(exit: Result<Exit>, bridge: Bridge) -> Result<()> {
    drop(bridge);
    match exit? {
        Exit::Quit => Ok(()),
        Exit::Open => {
            use std::os::unix::process::CommandExt;
            let exe = std::env::current_exe().context("finding this program to open it")?;
            let args = std::env::args_os().skip(1).filter(|a| a != "--background");
            let error = std::process::Command::new(exe).args(args).exec();
            Err(error).context("opening the window")
        }
    }
}
