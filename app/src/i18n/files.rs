//! Strings of exports and imports, shared by the screens that offer them.

use passerelle_core::model::export::markdown::{self, Words};

/// The words of exports and imports.
pub struct FilesStrings {
    pub export_csv: &'static str,
    pub export_markdown: &'static str,
    pub export_html: &'static str,
    pub import_ics: &'static str,
    pub import_csv: &'static str,
    pub import_title: &'static str,
    pub import_path: &'static str,
    pub import_path_hint: &'static str,
    pub import_hint_ics: &'static str,
    pub import_hint_csv: &'static str,
    /// "{imported} ajouté(s), {skipped} ignoré(s)".
    pub import_done: &'static str,
    pub line: &'static str,
    pub event: &'static str,
    pub export_failed: &'static str,
    /// The words inside exported documents.
    pub document: Words,
}

pub const FR: FilesStrings = FilesStrings {
    export_csv: "Exporter pour un tableur (.csv)",
    export_markdown: "Exporter le texte (.md)",
    export_html: "Version imprimable (.html)",
    import_ics: "Importer le calendrier",
    import_csv: "Importer le tableau",
    import_title: "Importer un fichier",
    import_path: "Chemin du fichier",
    import_path_hint: "/home/moi/Documents/fichier",
    import_hint_ics: "Un fichier .ics exporté d'une application de calendrier. Les événements déjà présents ne sont pas ajoutés deux fois.",
    import_hint_csv: "Un fichier .csv (UTF-8) avec une ligne d'en-tête : nom, type (personne, organisation, lieu), étiquettes, courriel, téléphone, site, adresse, description.",
    import_done: "{imported} ajouté(s), {skipped} ignoré(s)",
    line: "ligne",
    event: "événement",
    export_failed: "Export impossible",
    document: markdown::FRENCH,
};

pub const EN: FilesStrings = FilesStrings {
    export_csv: "Export for a spreadsheet (.csv)",
    export_markdown: "Export the text (.md)",
    export_html: "Printable version (.html)",
    import_ics: "Import the calendar",
    import_csv: "Import the spreadsheet",
    import_title: "Import a file",
    import_path: "File path",
    import_path_hint: "/home/me/Documents/file",
    import_hint_ics: "An .ics file exported from a calendar app. Events already here are not added twice.",
    import_hint_csv: "A .csv file (UTF-8) with a header row: name, kind (person, organisation, place), tags, email, phone, website, address, description.",
    import_done: "{imported} added, {skipped} skipped",
    line: "line",
    event: "event",
    export_failed: "Export failed",
    document: markdown::ENGLISH,
};
