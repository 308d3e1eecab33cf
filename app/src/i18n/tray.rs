//! The words of serving in the background: the "Disponibilité" menu, the
//! tray icon and the notice shown when the window closes.

/// The words of serving in the background.
pub struct TrayStrings {
    /// The settings menu.
    pub menu: &'static str,
    /// What the menu says above its choices.
    pub menu_hint: &'static str,
    /// Keep serving once the window is closed.
    pub keep_serving: &'static str,
    /// Start in the background when the user logs in.
    pub start_at_login: &'static str,
    /// Close the window and stop serving, whatever the setting.
    pub stop: &'static str,
    /// What stopping means.
    pub stop_hint: &'static str,
    /// The tray icon's title and tooltip.
    pub title: &'static str,
    /// The tray icon's tooltip, under the title.
    pub tooltip: &'static str,
    /// The tray menu item that opens the window.
    pub open: &'static str,
    /// The tray menu item that stops Passerelle.
    pub quit: &'static str,
    /// The notification when the window closes and Passerelle stays on.
    pub closed: &'static str,
    /// How to stop it, when the tray icon is there.
    pub closed_with_icon: &'static str,
    /// How to stop it, when the desktop shows no tray icons.
    pub closed_without_icon: &'static str,
}

pub const FR: TrayStrings = TrayStrings {
    menu: "Disponibilité",
    menu_hint: "Pour que vos voisins reçoivent les nouvelles même quand vous n'êtes pas devant l'écran :",
    keep_serving: "Rester disponible quand la fenêtre est fermée",
    start_at_login: "Démarrer avec l'ordinateur",
    stop: "Arrêter Passerelle",
    stop_hint: "Ferme la fenêtre : vos voisins ne passeront plus par cet ordinateur jusqu'à la prochaine ouverture.",
    title: "Passerelle reste disponible pour vos voisins",
    tooltip: "Les nouvelles continuent de passer entre voisins.",
    open: "Ouvrir Passerelle",
    quit: "Quitter",
    closed: "Passerelle reste disponible pour vos voisins",
    closed_with_icon: "La fenêtre est fermée, les nouvelles continuent de passer. Pour arrêter : icône Passerelle près de l'horloge, puis « Quitter ».",
    closed_without_icon: "La fenêtre est fermée, les nouvelles continuent de passer. Pour arrêter : rouvrez Passerelle et décochez « Rester disponible » dans le menu Disponibilité.",
};

pub const EN: TrayStrings = TrayStrings {
    menu: "Availability",
    menu_hint: "So that your neighbours get the news even when you are away from the screen:",
    keep_serving: "Stay available when the window is closed",
    start_at_login: "Start with the computer",
    stop: "Stop Passerelle",
    stop_hint: "Closes the window: your neighbours no longer go through this computer until it is opened again.",
    title: "Passerelle stays available to your neighbours",
    tooltip: "The news keeps going between neighbours.",
    open: "Open Passerelle",
    quit: "Quit",
    closed: "Passerelle stays available to your neighbours",
    closed_with_icon: "The window is closed; the news keeps going through. To stop: the Passerelle icon near the clock, then “Quit”.",
    closed_without_icon: "The window is closed; the news keeps going through. To stop: open Passerelle again and untick “Stay available” in the Availability menu.",
};
