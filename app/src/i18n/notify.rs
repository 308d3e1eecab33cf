//! The words of notifications and of their settings.

use passerelle_core::model::notices::{Notice, NoticeKind};

/// The words of notifications.
pub struct NotifyStrings {
    /// The settings menu.
    pub menu: &'static str,
    /// What the menu says above its choices.
    pub menu_hint: &'static str,
    /// Each kind, as the settings list it (in `NoticeKind::ALL` order).
    pub kinds: [&'static str; 5],
    /// Titles of the notifications (in `NoticeKind::ALL` order).
    pub titles: [&'static str; 5],
    /// "{who} a répondu à « {title} »".
    pub reply: &'static str,
    /// "{who} dans « {title} »".
    pub message: &'static str,
    /// "{who} a commenté « {title} »".
    pub comment: &'static str,
    /// "« {title} » commence bientôt".
    pub event: &'static str,
    /// "Deux réservations se chevauchent : {title}".
    pub conflict: &'static str,
    /// Who, when the author is not known (yet).
    pub someone: &'static str,
}

pub const FR: NotifyStrings = NotifyStrings {
    menu: "Notifications",
    menu_hint: "Me prévenir quand :",
    kinds: [
        "quelqu'un répond à mes échanges",
        "un message arrive dans mes groupes",
        "quelqu'un commente mes annonces",
        "un événement où je vais commence demain",
        "deux réservations d'un lieu dont je suis référent se chevauchent",
    ],
    titles: [
        "Nouvelle réponse",
        "Nouveau message",
        "Nouveau commentaire",
        "Bientôt",
        "Réservations en conflit",
    ],
    reply: "{who} a répondu à « {title} »",
    message: "{who} dans « {title} »",
    comment: "{who} a commenté « {title} »",
    event: "« {title} » commence bientôt",
    conflict: "Deux réservations se chevauchent : {title}",
    someone: "Quelqu'un",
};

pub const EN: NotifyStrings = NotifyStrings {
    menu: "Notifications",
    menu_hint: "Tell me when:",
    kinds: [
        "someone replies to my échanges",
        "a message arrives in my groups",
        "someone comments on my posts",
        "an event I go to starts tomorrow",
        "two bookings of a place I am the referent of overlap",
    ],
    titles: [
        "New reply",
        "New message",
        "New comment",
        "Coming up",
        "Conflicting bookings",
    ],
    reply: "{who} replied to “{title}”",
    message: "{who} in “{title}”",
    comment: "{who} commented on “{title}”",
    event: "“{title}” starts soon",
    conflict: "Two bookings overlap: {title}",
    someone: "Someone",
};

/// A kind's place in `NoticeKind::ALL`, hence in the tables above.
pub fn index(kind: NoticeKind) -> usize {
    NoticeKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("every kind is listed")
}

impl NotifyStrings {
    /// A notice's title and body, in these words.
    pub fn describe(&self, notice: &Notice) -> (&'static str, String) {
        let who = notice.from.as_deref().unwrap_or(self.someone);
        let body = match notice.kind {
            NoticeKind::Reply => self.reply,
            NoticeKind::GroupMessage => self.message,
            NoticeKind::Comment => self.comment,
            NoticeKind::EventSoon => self.event,
            NoticeKind::BookingConflict => self.conflict,
        };
        let body = body.replace("{who}", who).replace("{title}", &notice.title);
        (self.titles[index(notice.kind)], body)
    }
}
