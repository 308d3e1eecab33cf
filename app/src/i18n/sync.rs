//! Strings of the Synchronisation screen and of joining a community.

/// The Synchronisation screen's words.
pub struct SyncStrings {
    /// The screen's name in the navigation.
    pub nav: &'static str,
    pub join_title: &'static str,
    pub join_text: &'static str,
    pub ticket: &'static str,
    pub join: &'static str,
    pub joining: &'static str,
}

pub const FR: SyncStrings = SyncStrings {
    nav: "Synchronisation",
    join_title: "Rejoindre une communauté",
    join_text: "Un membre vous a donné une invitation : une ligne qui commence par PASSERELLE1. Collez-la ici. Son ordinateur doit être allumé et joignable (même Wi-Fi).",
    ticket: "Invitation",
    join: "Rejoindre",
    joining: "Connexion au membre qui vous invite…",
};

pub const EN: SyncStrings = SyncStrings {
    nav: "Sync",
    join_title: "Join a community",
    join_text: "A member gave you an invite: one line starting with PASSERELLE1. Paste it here. Their computer must be on and reachable (same Wi-Fi).",
    ticket: "Invite",
    join: "Join",
    joining: "Reaching the member who invited you…",
};
