//! Every word the app shows, in French (default) and English.
//!
//! One table per language and screen: view code never holds a user-facing
//! string. The shell's words are here; each screen's are in its own module,
//! reached through [`Lang::feed`], [`Lang::agenda`]... Dates and numbers
//! are written the way the language writes them.

pub mod agenda;
pub mod attachments;
pub mod bookings;
pub mod devices;
pub mod directory;
pub mod errors;
pub mod exchanges;
pub mod feed;
pub mod files;
pub mod groups;
pub mod knowledge;
pub mod members;
pub mod moderation;
pub mod notify;
pub mod report;
pub mod storage;
pub mod sync;
pub mod tray;
pub mod welcome;
pub mod workshop;

use chrono::TimeZone;
use passerelle_core::model::{ExchangeKind, ExchangeMode, ExchangeStatus, Timestamp};

/// A language of the interface.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Français.
    #[default]
    Fr,
    /// English.
    En,
}

/// The strings of one language.
pub struct Strings {
    pub app_title: &'static str,
    pub loading: &'static str,
    pub locked_title: &'static str,
    pub locked_text: &'static str,
    pub passphrase: &'static str,
    pub wrong_passphrase: &'static str,
    pub unlock: &'static str,
    pub your_name: &'static str,
    pub communities: &'static str,
    pub new_community: &'static str,
    pub community_name: &'static str,
    pub community_description: &'static str,
    pub create: &'static str,
    pub cancel: &'static str,
    pub load_example: &'static str,
    pub exchanges: &'static str,
    pub all: &'static str,
    pub offers: &'static str,
    pub needs: &'static str,
    pub category: &'static str,
    pub any_category: &'static str,
    pub status: &'static str,
    pub any_status: &'static str,
    pub publish: &'static str,
    pub new_exchange: &'static str,
    pub kind: &'static str,
    pub title: &'static str,
    pub mode: &'static str,
    pub description: &'static str,
    pub no_exchange: &'static str,
    pub by: &'static str,
    pub reply_one: &'static str,
    pub reply_many: &'static str,
    pub members: &'static str,
    pub language: &'static str,
    pub saved: &'static str,
    pub error: &'static str,
    pub dismiss: &'static str,
    /// The "…" menu of secondary actions (moderate, delete).
    pub more_actions: &'static str,
    /// The settings menu of the top bar.
    pub settings: &'static str,
    pub damaged_files: &'static str,
    /// Followed by the first characters of the new device key.
    pub identity_renewed: &'static str,
    pub shown: &'static str,
    pub saved_to: &'static str,
    pub search: &'static str,
    pub search_hint: &'static str,
    pub clear_search: &'static str,
    pub dark_theme: &'static str,
    pub large_text: &'static str,
    pub community: &'static str,
    pub join_community: &'static str,
    pub results_for: &'static str,
    pub searching: &'static str,
    pub no_results: &'static str,
    pub shortcuts: &'static str,
}

const FR: Strings = Strings {
    app_title: "Passerelle",
    loading: "Ouverture de vos communautés…",
    locked_title: "Données protégées",
    locked_text: "Les données de Passerelle sur cet ordinateur sont chiffrées. \
        Entrez la phrase de passe choisie à leur création.",
    passphrase: "Phrase de passe",
    wrong_passphrase: "Phrase de passe incorrecte.",
    unlock: "Ouvrir",
    your_name: "Votre prénom ou votre nom",
    communities: "Communautés",
    new_community: "Créer une communauté",
    community_name: "Nom de la communauté",
    community_description: "Description",
    create: "Créer",
    cancel: "Annuler",
    load_example: "Découvrir avec une communauté exemple",
    exchanges: "Échanges",
    all: "Tout",
    offers: "Offres",
    needs: "Besoins",
    category: "Catégorie",
    any_category: "Toutes les catégories",
    status: "État",
    any_status: "Tous les états",
    publish: "Publier",
    new_exchange: "Nouvel échange",
    kind: "Type",
    title: "Titre",
    mode: "Mode",
    description: "Détails",
    no_exchange: "Aucun échange ne correspond.",
    by: "par",
    reply_one: "réponse",
    reply_many: "réponses",
    members: "membres",
    language: "Langue",
    saved: "Enregistré.",
    error: "Erreur",
    dismiss: "Fermer",
    more_actions: "Plus d'actions",
    settings: "Réglages",
    damaged_files: "Des fichiers abîmés ont été mis de côté :",
    identity_renewed: "Ce dossier de données est une copie de celui d'un autre appareil. \
        Deux appareils avec la même identité empêcheraient toute la communauté de se \
        synchroniser : cette copie a donc reçu sa propre identité. Vos communautés sont \
        toutes là ; pour vous synchroniser avec les autres, rejoignez-les de nouveau avec \
        une invitation. Nouvel appareil :",
    shown: "affichés",
    saved_to: "Enregistré dans",
    search: "Rechercher",
    search_hint: "vélo, danse, jardin…",
    clear_search: "Effacer la recherche",
    dark_theme: "Thème sombre",
    large_text: "Grand texte",
    community: "Communauté",
    join_community: "Rejoindre une communauté",
    results_for: "Résultats pour",
    searching: "Recherche…",
    no_results: "Aucun résultat. Essayez un autre mot.",
    shortcuts: "Ctrl+F : rechercher. Ctrl+1 à Ctrl+0 : changer de page. Tab : passer d'un élément à l'autre.",
};

const EN: Strings = Strings {
    app_title: "Passerelle",
    loading: "Opening your communities…",
    locked_title: "Protected data",
    locked_text: "Passerelle's data on this computer is encrypted. \
        Enter the passphrase chosen when it was created.",
    passphrase: "Passphrase",
    wrong_passphrase: "Wrong passphrase.",
    unlock: "Open",
    your_name: "Your first name or name",
    communities: "Communities",
    new_community: "Create a community",
    community_name: "Community name",
    community_description: "Description",
    create: "Create",
    cancel: "Cancel",
    load_example: "Discover with an example community",
    exchanges: "Exchanges",
    all: "All",
    offers: "Offers",
    needs: "Needs",
    category: "Category",
    any_category: "All categories",
    status: "Status",
    any_status: "All statuses",
    publish: "Publish",
    new_exchange: "New exchange",
    kind: "Type",
    title: "Title",
    mode: "Mode",
    description: "Details",
    no_exchange: "No exchange matches.",
    by: "by",
    reply_one: "reply",
    reply_many: "replies",
    members: "members",
    language: "Language",
    saved: "Saved.",
    error: "Error",
    dismiss: "Dismiss",
    more_actions: "More actions",
    settings: "Settings",
    damaged_files: "Damaged files were set aside:",
    identity_renewed: "This data folder is a copy of another device's. Two devices with \
        one identity would stop the whole community from syncing, so this copy now has an \
        identity of its own. Your communities are all here; to sync with the others, join \
        them again with an invite. New device:",
    shown: "shown",
    saved_to: "Saved to",
    search: "Search",
    search_hint: "bike, dance, garden…",
    clear_search: "Clear search",
    dark_theme: "Dark theme",
    large_text: "Large text",
    community: "Community",
    join_community: "Join a community",
    results_for: "Results for",
    searching: "Searching…",
    no_results: "No results. Try another word.",
    shortcuts: "Ctrl+F: search. Ctrl+1 to Ctrl+0: switch page. Tab: move between items.",
};

/// Picks the table of the language.
macro_rules! screen_strings {
    ($($(#[$doc:meta])* $name:ident: $module:ident::$ty:ident;)*) => {
        impl Lang {
            $(
                $(#[$doc])*
                pub fn $name(self) -> &'static $module::$ty {
                    match self {
                        Lang::Fr => &$module::FR,
                        Lang::En => &$module::EN,
                    }
                }
            )*
        }
    };
}

screen_strings! {
    /// The Fil screen's words.
    feed: feed::FeedStrings;
    /// The Échanges screen's words (beyond [`Lang::t`]).
    exchanges: exchanges::ExchangesStrings;
    /// The Agenda screen's words.
    agenda: agenda::AgendaStrings;
    /// The Groupes screen's words.
    groups: groups::GroupsStrings;
    /// The Atelier screen's words.
    workshop: workshop::WorkshopStrings;
    /// The Annuaire screen's words.
    directory: directory::DirectoryStrings;
    /// The Savoirs screen's words.
    knowledge: knowledge::KnowledgeStrings;
    /// The Bilan screen's words.
    report: report::ReportStrings;
    /// The Membres screen's words.
    members: members::MembersStrings;
    /// The Synchronisation screen's words.
    sync: sync::SyncStrings;
    /// The words of exports and imports.
    files: files::FilesStrings;
    /// The words of moderation (the "Modérer" menu, the Modération section).
    moderation: moderation::ModerationStrings;
    /// The words of the devices section (Membres).
    devices: devices::DevicesStrings;
    /// The words of bookings of shared places.
    bookings: bookings::BookingsStrings;
    /// The words of notifications.
    notify: notify::NotifyStrings;
    /// The words of serving in the background (menu, tray icon).
    tray: tray::TrayStrings;
    /// The words of errors (see [`errors::describe`]).
    errors: errors::ErrorStrings;
    /// The words of the first start.
    welcome: welcome::WelcomeStrings;
    /// The words of pictures and files on items.
    attachments: attachments::AttachmentsStrings;
    /// The words of the "Stockage" section of the settings menu.
    storage: storage::StorageStrings;
}

impl Lang {
    fn locale(self) -> chrono::Locale {
        match self {
            Lang::Fr => chrono::Locale::fr_FR,
            Lang::En => chrono::Locale::en_GB,
        }
    }

    fn local(ts: Timestamp) -> chrono::DateTime<chrono::Local> {
        chrono::Local
            .timestamp_millis_opt(ts)
            .single()
            .unwrap_or_default()
    }

    /// "lundi 23 novembre 2026" / "Monday 23 November 2026".
    pub fn date(self, ts: Timestamp) -> String {
        Self::local(ts)
            .format_localized("%A %-d %B %Y", self.locale())
            .to_string()
    }

    /// "23/11/2026".
    pub fn short_date(self, ts: Timestamp) -> String {
        Self::local(ts)
            .format_localized("%x", self.locale())
            .to_string()
    }

    /// "14:30".
    pub fn time(self, ts: Timestamp) -> String {
        Self::local(ts).format("%H:%M").to_string()
    }

    /// "23/11/2026 14:30".
    pub fn date_time(self, ts: Timestamp) -> String {
        format!("{} {}", self.short_date(ts), self.time(ts))
    }

    /// "novembre 2026" / "November 2026".
    pub fn month(self, ts: Timestamp) -> String {
        Self::local(ts)
            .format_localized("%B %Y", self.locale())
            .to_string()
    }

    /// "10 000" / "10,000".
    pub fn number(self, n: impl num_format::ToFormattedStr) -> String {
        use num_format::ToFormattedString;
        match self {
            Lang::Fr => n.to_formatted_string(&num_format::Locale::fr),
            Lang::En => n.to_formatted_string(&num_format::Locale::en),
        }
    }

    /// A file's size: "820 o", "312 Ko", "2,4 Mo" / "820 B", "312 kB",
    /// "2.4 MB" (decimal units, as file managers show them).
    pub fn file_size(self, n: u64) -> String {
        let (b, k, m, g) = match self {
            Lang::Fr => ("o", "Ko", "Mo", "Go"),
            Lang::En => ("B", "kB", "MB", "GB"),
        };
        let decimal = |x: f64, unit: &str| {
            // "2 Mo" rather than "2,0 Mo".
            let text = format!("{x:.1}");
            let text = text.strip_suffix(".0").unwrap_or(&text).to_owned();
            let text = match self {
                Lang::Fr => text.replace('.', ","),
                Lang::En => text,
            };
            format!("{text} {unit}")
        };
        match n {
            0..1_000 => format!("{n} {b}"),
            1_000..1_000_000 => format!("{} {k}", n / 1_000),
            1_000_000..1_000_000_000 => decimal(n as f64 / 1e6, m),
            _ => decimal(n as f64 / 1e9, g),
        }
    }

    /// This language's strings.
    pub fn t(self) -> &'static Strings {
        match self {
            Lang::Fr => &FR,
            Lang::En => &EN,
        }
    }

    /// The language's own name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }

    /// "3 réponses", "1 réponse", "0 réponse" (French counts 0 and 1 as singular).
    pub fn replies(self, n: usize) -> String {
        let t = self.t();
        let singular = match self {
            Lang::Fr => n <= 1,
            Lang::En => n == 1,
        };
        format!("{n} {}", if singular { t.reply_one } else { t.reply_many })
    }

    /// An échange kind, as a badge.
    pub fn kind(self, kind: ExchangeKind) -> &'static str {
        match (self, kind) {
            (Lang::Fr, ExchangeKind::Offer) => "Offre",
            (Lang::Fr, ExchangeKind::Need) => "Besoin",
            (Lang::En, ExchangeKind::Offer) => "Offer",
            (Lang::En, ExchangeKind::Need) => "Need",
        }
    }

    /// An échange mode.
    pub fn mode(self, mode: ExchangeMode) -> &'static str {
        match (self, mode) {
            (Lang::Fr, ExchangeMode::Savoir) => "Savoir",
            (Lang::Fr, ExchangeMode::CoupDeMain) => "Coup de main",
            (Lang::Fr, ExchangeMode::Troc) => "Troc",
            (Lang::Fr, ExchangeMode::Don) => "Don",
            (Lang::Fr, ExchangeMode::Pret) => "Prêt",
            (Lang::En, ExchangeMode::Savoir) => "Knowledge",
            (Lang::En, ExchangeMode::CoupDeMain) => "Helping hand",
            (Lang::En, ExchangeMode::Troc) => "Swap",
            (Lang::En, ExchangeMode::Don) => "Gift",
            (Lang::En, ExchangeMode::Pret) => "Loan",
        }
    }

    /// An échange status.
    pub fn status(self, status: ExchangeStatus) -> &'static str {
        match (self, status) {
            (Lang::Fr, ExchangeStatus::Open) => "Ouvert",
            (Lang::Fr, ExchangeStatus::InProgress) => "En cours",
            (Lang::Fr, ExchangeStatus::Done) => "Réalisé",
            (Lang::En, ExchangeStatus::Open) => "Open",
            (Lang::En, ExchangeStatus::InProgress) => "In progress",
            (Lang::En, ExchangeStatus::Done) => "Done",
        }
    }
}
