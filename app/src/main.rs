//! `passerelle`: the desktop app. Opens on the default data directory, or on
//! `--data-dir DIR` / `PASSERELLE_DATA_DIR`.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result};
use passerelle_app::{AppConfig, PasserelleApp};
use passerelle_core::NetOptions;

fn data_dir() -> Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--data-dir" {
            return args
                .next()
                .map(PathBuf::from)
                .context("--data-dir needs a directory");
        }
        if let Some(dir) = arg.strip_prefix("--data-dir=") {
            return Ok(PathBuf::from(dir));
        }
    }
    if let Some(dir) = std::env::var_os("PASSERELLE_DATA_DIR") {
        return Ok(PathBuf::from(dir));
    }
    passerelle_core::default_data_dir().context("no home directory found; pass --data-dir DIR")
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
            let config = AppConfig { data_dir: dir, net };
            Ok(Box::new(PasserelleApp::new(config, repaint)?))
        }),
    )
    .map_err(|e| anyhow::anyhow!("cannot open the window: {e}"))
}
