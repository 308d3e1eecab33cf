//! `passerelle`: the desktop app. Opens on the default data directory, or on
//! `--data-dir DIR` / `PASSERELLE_DATA_DIR`; `--screen NAME` opens a screen
//! (`fil`, `echanges`, `agenda`...; `se-retrouver` opens the meeting view).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use passerelle_app::clock::Clock;
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
    let (screen, meeting) = screen()?;
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Passerelle")
            .with_inner_size([1100.0, 720.0])
            .with_min_inner_size([640.0, 420.0]),
        ..Default::default()
    };
    eframe::run_native(
        "Passerelle",
        options,
        Box::new(move |cc| {
            let ctx = cc.egui_ctx.clone();
            let repaint: Arc<dyn Fn() + Send + Sync> = Arc::new(move || ctx.request_repaint());
            let config = AppConfig {
                data_dir: dir,
                net,
                clock: Clock::System,
                notifier: Arc::new(passerelle_app::notify::Desktop::start()),
            };
            let mut app = PasserelleApp::new(config, repaint)?;
            app.show(screen);
            if meeting {
                app.meet();
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
