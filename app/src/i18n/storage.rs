//! Strings of the "Stockage" section of the settings menu: the room
//! pictures and files take, the cache limit, freeing space.

/// The words of the storage section.
pub struct StorageStrings {
    pub menu: &'static str,
    pub menu_hint: &'static str,
    pub counting: &'static str,
    pub own: &'static str,
    pub others: &'static str,
    pub thumbnails: &'static str,
    pub unreferenced: &'static str,
    pub total: &'static str,
    pub cache_limit: &'static str,
    pub auto_fetch: &'static str,
    /// The automatic download turned off.
    pub auto_none: &'static str,
    pub free: &'static str,
    pub free_hint: &'static str,
    pub freeing: &'static str,
    /// "{count} fichier(s) supprimé(s) : {size} libéré(s).".
    pub freed: &'static str,
    pub nothing_freed: &'static str,
    pub read_failed: &'static str,
    pub write_failed: &'static str,
    pub free_failed: &'static str,
}

pub const FR: StorageStrings = StorageStrings {
    menu: "Stockage",
    menu_hint: "Les photos et fichiers des autres membres sont gardés en cache : s'ils sont supprimés, ils seront récupérés de nouveau au besoin.",
    counting: "Calcul de la place occupée…",
    own: "Vos fichiers",
    others: "Fichiers des autres (cache)",
    thumbnails: "Vignettes",
    unreferenced: "Plus utilisés (bientôt supprimés)",
    total: "En tout",
    cache_limit: "Place pour les fichiers des autres",
    auto_fetch: "Récupérer d'office les fichiers jusqu'à",
    auto_none: "Aucun",
    free: "Libérer de la place",
    free_hint: "Supprime les fichiers des autres gardés sur cet appareil. Vos fichiers et les vignettes restent.",
    freeing: "Libération…",
    freed: "{count} fichier(s) supprimé(s) : {size} libéré(s).",
    nothing_freed: "Rien à libérer : cet appareil ne garde aucun fichier des autres.",
    read_failed: "La place occupée n'a pas pu être calculée",
    write_failed: "Le réglage du stockage n'a pas pu être enregistré",
    free_failed: "La place n'a pas pu être libérée",
};

pub const EN: StorageStrings = StorageStrings {
    menu: "Storage",
    menu_hint: "Other members' photos and files are kept as a cache: if they are removed, they are fetched again when needed.",
    counting: "Counting the space used…",
    own: "Your files",
    others: "Others' files (cache)",
    thumbnails: "Thumbnails",
    unreferenced: "No longer used (removed soon)",
    total: "In all",
    cache_limit: "Room for others' files",
    auto_fetch: "Fetch files automatically up to",
    auto_none: "None",
    free: "Free up space",
    free_hint: "Removes other people's files kept on this device. Your files and the thumbnails stay.",
    freeing: "Freeing…",
    freed: "{count} file(s) removed: {size} freed.",
    nothing_freed: "Nothing to free: this device keeps none of the others' files.",
    read_failed: "The space used could not be counted",
    write_failed: "The storage setting could not be saved",
    free_failed: "Space could not be freed",
};
