//! The tray icon shown while Passerelle serves with no window
//! (StatusNotifierItem, through `ksni`): "Passerelle reste disponible pour
//! vos voisins", with "Ouvrir Passerelle" and "Quitter". A click on the icon
//! opens the window too, as people expect from other apps.
//!
//! The icon is registered even when no panel shows tray icons yet (at login
//! the app may start before the panel): it appears when one does. Without a
//! session bus at all there is no icon, and Passerelle serves anyway.

use crate::i18n::Lang;

/// What the person asked for from the tray.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrayRequest {
    /// Open the window.
    Open,
    /// Stop serving and exit.
    Quit,
}

/// The tray icon; its menu sends requests to the background loop.
struct PasserelleTray {
    lang: Lang,
    requests: tokio::sync::mpsc::UnboundedSender<TrayRequest>,
}

impl ksni::Tray for PasserelleTray {
    fn id(&self) -> String {
        "passerelle".into()
    }

    fn title(&self) -> String {
        self.lang.tray().title.into()
    }

    fn icon_pixmap(&self) -> Vec<ksni::Icon> {
        [16, 22, 32, 48].into_iter().map(bridge_icon).collect()
    }

    fn tool_tip(&self) -> ksni::ToolTip {
        let t = self.lang.tray();
        ksni::ToolTip {
            title: t.title.into(),
            description: t.tooltip.into(),
            ..Default::default()
        }
    }

    fn activate(&mut self, _x: i32, _y: i32) {
        let _ = self.requests.send(TrayRequest::Open);
    }

    fn menu(&self) -> Vec<ksni::MenuItem<Self>> {
        let t = self.lang.tray();
        let item = |label: &str, request: TrayRequest| {
            ksni::menu::StandardItem {
                label: label.into(),
                activate: Box::new(move |tray: &mut Self| {
                    let _ = tray.requests.send(request);
                }),
                ..Default::default()
            }
            .into()
        };
        vec![
            item(t.open, TrayRequest::Open),
            ksni::MenuItem::Separator,
            item(t.quit, TrayRequest::Quit),
        ]
    }

    fn watcher_offline(&self, reason: ksni::OfflineReason) -> bool {
        tracing::debug!("no panel shows tray icons for now ({reason:?}); still serving");
        true // keep the icon registered: it shows when a panel comes
    }
}

/// The tray icon, while it lives.
pub struct TrayIcon {
    _handle: ksni::blocking::Handle<PasserelleTray>,
    /// Whether a panel shows it now (else it shows when one starts).
    pub visible: bool,
}

/// Shows the tray icon; its requests arrive on `requests`. `None` when the
/// desktop has no session bus (the reason is logged): the caller serves
/// anyway.
pub fn show(
    lang: Lang,
    requests: tokio::sync::mpsc::UnboundedSender<TrayRequest>,
) -> Option<TrayIcon> {
    use ksni::blocking::TrayMethods;
    let tray = || PasserelleTray {
        lang,
        requests: requests.clone(),
    };
    let error = match tray().spawn() {
        Ok(handle) => {
            return Some(TrayIcon {
                _handle: handle,
                visible: true,
            });
        }
        Err(e) => e,
    };
    if let ksni::Error::Dbus(_) = error {
        tracing::warn!("no tray icon ({error}); Passerelle keeps serving in the background");
        return None;
    }
    // No panel shows tray icons yet: register anyway, for when one starts.
    tracing::info!("no tray icon shown for now ({error}); Passerelle keeps serving");
    match tray().assume_sni_available(true).spawn() {
        Ok(handle) => Some(TrayIcon {
            _handle: handle,
            visible: false,
        }),
        Err(e) => {
            tracing::warn!("no tray icon ({e}); Passerelle keeps serving in the background");
            None
        }
    }
}

/// The icon at `size` pixels: a footbridge (a passerelle), a white arch and
/// deck on a blue disc. ARGB32, network byte order, as the specification asks.
fn bridge_icon(size: i32) -> ksni::Icon {
    let s = size as f32;
    let (cx, cy) = (s / 2.0, s / 2.0);
    let disc = s / 2.0 - 0.5;
    let deck = s * 0.62;
    let arch_outer = s * 0.34;
    let arch_inner = s * 0.24;
    let mut data = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let (px, py) = (x as f32 + 0.5, y as f32 + 0.5);
            let from_centre = ((px - cx).powi(2) + (py - cy).powi(2)).sqrt();
            let from_arch = ((px - cx).powi(2) + (py - deck).powi(2)).sqrt();
            let on_arch = py <= deck && (arch_inner..=arch_outer).contains(&from_arch);
            let on_deck = (deck..deck + s * 0.08).contains(&py) && (px - cx).abs() < s * 0.38;
            let argb: [u8; 4] = if from_centre > disc {
                [0, 0, 0, 0]
            } else if on_arch || on_deck {
                [255, 255, 255, 255]
            } else {
                [255, 0, 82, 160]
            };
            data.extend_from_slice(&argb);
        }
    }
    ksni::Icon {
        width: size,
        height: size,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_icon_has_every_pixel_and_shows_a_white_bridge_on_blue() {
        for size in [16, 22, 32, 48] {
            let icon = bridge_icon(size);
            assert_eq!(icon.data.len(), (size * size * 4) as usize);
            let pixels: Vec<&[u8]> = icon.data.chunks(4).collect();
            let white = pixels
                .iter()
                .filter(|p| **p == [255, 255, 255, 255])
                .count();
            let blue = pixels.iter().filter(|p| **p == [255, 0, 82, 160]).count();
            assert!(
                white > 0 && blue > white,
                "{size}px: {white} white, {blue} blue"
            );
            assert_eq!(pixels[0], [0, 0, 0, 0], "the corners are transparent");
        }
    }
}
