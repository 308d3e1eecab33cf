//! The command line, as scripts and tests rely on it.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use passerelle_core::model::bilan::Month;

/// passerelle-node: a Passerelle community node, without a window.
#[derive(Parser, Debug)]
#[command(name = "passerelle-node", version, about)]
pub struct Cli {
    /// Where this device keeps its identity and communities.
    #[arg(long, global = true, env = "PASSERELLE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Bind the network endpoint to this address only (e.g. 127.0.0.1).
    #[arg(long, global = true, env = "PASSERELLE_BIND", value_name = "ADDR")]
    pub bind: Option<std::net::IpAddr>,
    /// Do not look for members on the local network (also PASSERELLE_MDNS=off).
    #[arg(long, global = true)]
    pub no_mdns: bool,
    #[command(subcommand)]
    pub command: Sub,
}

/// An RFC 3339 date-time, in milliseconds since the epoch.
#[derive(Clone, Copy, Debug)]
pub struct Rfc3339(pub i64);

pub(crate) fn rfc3339(s: &str) -> Result<Rfc3339, String> {
    chrono::DateTime::parse_from_rfc3339(s.trim())
        .map(|t| Rfc3339(t.timestamp_millis()))
        .map_err(|e| format!("'{s}' is not a date-time like 2026-03-14T18:30:00+01:00 ({e})"))
}

pub(crate) fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.trim().parse()
}

#[derive(Subcommand, Debug)]
pub enum Sub {
    /// Sets up this device with your name; prints this device's key.
    Init {
        /// The name others will see.
        #[arg(long)]
        name: String,
        /// Encrypt this new data directory with a passphrase (asked, or
        /// PASSERELLE_PASSPHRASE). It is then needed at every start and
        /// cannot be recovered.
        #[arg(long)]
        encrypt: bool,
    },
    /// Prints this device's public key.
    Id,
    /// Creates the example community; prints its id. With --size, generates
    /// a community of realistic size instead (50 members, French content).
    Demo {
        /// month (about 8,000 changes), year or five-years.
        #[arg(long)]
        size: Option<passerelle_demo::generate::Size>,
        /// The generator's seed: the same seed gives the same community.
        #[arg(long, default_value_t = 1, requires = "size")]
        seed: u64,
    },
    /// Communities on this device.
    Community {
        #[command(subcommand)]
        command: crate::communities::CommunityCmd,
    },
    /// Offers and needs.
    Exchange {
        #[command(subcommand)]
        command: crate::exchange::ExchangeCmd,
    },
    /// The agenda.
    Event {
        #[command(subcommand)]
        command: crate::event::EventCmd,
    },
    /// Workshop ideas.
    Idea {
        #[command(subcommand)]
        command: crate::idea::IdeaCmd,
    },
    /// Ateliers: workshops at tables, their ideas and synthesis.
    Workshop {
        #[command(subcommand)]
        command: crate::workshop::WorkshopCmd,
    },
    /// Moderation (animateurs and admins): hide, delete or lock items, with
    /// a reason, and list what was moderated.
    Moderate {
        #[command(subcommand)]
        command: crate::moderate::ModerateCmd,
    },
    /// Shared places: make them bookable, book them, settle conflicts.
    Place {
        #[command(subcommand)]
        command: crate::place::PlaceCmd,
    },
    /// The annuaire: people, organisations, places.
    Actor {
        #[command(subcommand)]
        command: crate::actor::ActorCmd,
    },
    /// Thematic groups and circles.
    Group {
        #[command(subcommand)]
        command: crate::group::GroupCmd,
    },
    /// Savoirs sheets.
    Sheet {
        #[command(subcommand)]
        command: crate::sheet::SheetCmd,
    },
    /// The fil (announcements).
    Post {
        #[command(subcommand)]
        command: crate::post::PostCmd,
    },
    /// Pictures and files attached to items.
    Attach {
        #[command(subcommand)]
        command: crate::attach::AttachCmd,
    },
    /// The room attachments take on this device (yours, others' kept as a
    /// cache, thumbnails), by community.
    Storage {
        /// First remove other people's files (fetched again when opened).
        #[arg(long)]
        free: bool,
        #[arg(long)]
        json: bool,
    },
    /// Suggested matches between offers and needs.
    Match {
        #[arg(long)]
        community: String,
        #[arg(long)]
        json: bool,
    },
    /// Searches everything in a community.
    Search {
        #[arg(long)]
        community: String,
        /// Words to look for.
        query: String,
        #[arg(long)]
        json: bool,
    },
    /// Creates an invite to a community; prints its ticket.
    Invite {
        #[arg(long)]
        community: String,
        /// How long it stays valid: 30m, 24h, 7d...
        #[arg(long, default_value = "7d", value_parser = duration)]
        expires: std::time::Duration,
        /// Also write the ticket as a QR code image.
        #[arg(long, value_name = "FILE.png")]
        qr: Option<PathBuf>,
    },
    /// Joins a community with an invite ticket; prints the community id.
    Join {
        /// The ticket (PASSERELLE1...).
        ticket: String,
    },
    /// Stays up: accepts members, finds them on the LAN, syncs live. Prints
    /// one JSON event per line; stops cleanly on SIGTERM or Ctrl-C.
    Serve {
        /// Once a day, write a verified bundle of each community (with its
        /// files) into DIR/<community id>/, as YYYY-MM-DD_<name>.passerelle.
        #[arg(long, value_name = "DIR")]
        backup_dir: Option<PathBuf>,
        /// How many days of bundles to keep per community (with --backup-dir).
        #[arg(long, default_value_t = 14, value_name = "N", requires = "backup_dir",
              value_parser = clap::value_parser!(u16).range(1..=3650))]
        keep: u16,
    },
    /// What this device is doing: whether it serves (and since when), its
    /// communities, the devices met today, and each member's last sync.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Syncs with reachable members until in sync, then exits.
    Sync {
        /// Only this peer: a ticket or a device key.
        #[arg(long, value_name = "TICKET|ENDPOINT_ID")]
        peer: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        #[arg(long)]
        json: bool,
    },
    /// Members and their devices.
    #[command(alias = "member")]
    Members {
        #[command(subcommand)]
        command: crate::members::MembersCmd,
    },
    /// Changes the gate refused (from peers and bundles), kept aside with
    /// their reason; never part of the documents, never sent on.
    Refused {
        #[command(subcommand)]
        command: crate::sync::RefusedCmd,
    },
    /// Your devices: pairing another one, listing, revoking a lost one.
    Device {
        #[command(subcommand)]
        command: crate::device::DeviceCmd,
    },
    /// A personal backup of this device's identity and settings.
    Backup {
        #[command(subcommand)]
        command: crate::device::BackupCmd,
    },
    /// Offline bundles (USB stick, messaging app).
    Bundle {
        #[command(subcommand)]
        command: crate::sync::BundleCmd,
    },
    /// Writes a community, or part of it, for other tools: json (a file) or
    /// automerge (a directory) for everything; ics for the agenda or one
    /// event, csv for the annuaire, the échanges or the bilan, markdown or html
    /// (printable) for a savoirs sheet or the workshop synthesis.
    Export {
        #[arg(long)]
        community: String,
        #[arg(long, value_enum)]
        format: Format,
        /// What to export: agenda, event:ID, annuaire, exchanges, bilan,
        /// sheet:ID, workshop or place:ID (a place's bookings, ics; ics
        /// defaults to the agenda).
        #[arg(long, value_parser = target)]
        what: Option<Target>,
        /// The bilan's first month, YYYY-MM (default: the community's first).
        #[arg(long, value_parser = month)]
        from: Option<Month>,
        /// The bilan's last month, YYYY-MM, included (default: the last
        /// month holding something, planned events included).
        #[arg(long, value_parser = month)]
        to: Option<Month>,
        /// The file (a directory for automerge); ics, csv, markdown and html
        /// go to stdout without it.
        #[arg(long)]
        out: Option<PathBuf>,
        /// The language of document words (markdown, html): fr or en.
        #[arg(long, default_value = "fr", value_parser = ["fr", "en"])]
        lang: String,
    },
    /// Imports a calendar file into the agenda (ics) or a spreadsheet into
    /// the annuaire (csv); prints what was imported and what was skipped.
    Import {
        #[arg(long)]
        community: String,
        #[arg(long, value_enum)]
        format: ImportFormat,
        /// agenda (with ics) or annuaire (with csv); follows from the format.
        #[arg(long, value_parser = target)]
        what: Option<Target>,
        #[arg(long)]
        json: bool,
        /// The file to import.
        file: PathBuf,
    },
}

/// What part of a community to export or import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Every event.
    Agenda,
    /// One event.
    Event(String),
    /// The annuaire.
    Annuaire,
    /// The échanges.
    Exchanges,
    /// The bilan, month by month.
    Bilan,
    /// One savoirs sheet.
    Sheet(String),
    /// A workshop's synthesis (the newest workshop without an id; every
    /// idea of the community when it has no workshop).
    Workshop(Option<String>),
    /// One bookable place's bookings.
    Place(String),
}

fn target(s: &str) -> Result<Target, String> {
    let s = s.trim();
    let id = |rest: &str| {
        let rest = rest.trim();
        if rest.is_empty() {
            Err(format!("'{s}' needs an id after the colon"))
        } else {
            Ok(rest.to_owned())
        }
    };
    match s.split_once(':') {
        Some(("event", rest)) => id(rest).map(Target::Event),
        Some(("sheet", rest)) => id(rest).map(Target::Sheet),
        Some(("workshop" | "atelier", rest)) => id(rest).map(|id| Target::Workshop(Some(id))),
        Some(("place" | "lieu", rest)) => id(rest).map(Target::Place),
        _ => match s {
            "agenda" => Ok(Target::Agenda),
            "annuaire" => Ok(Target::Annuaire),
            "exchanges" | "echanges" => Ok(Target::Exchanges),
            "bilan" | "report" => Ok(Target::Bilan),
            "workshop" | "atelier" => Ok(Target::Workshop(None)),
            _ => Err(format!(
                "'{s}' is not something to export (expected agenda, event:ID, annuaire, exchanges, bilan, sheet:ID, workshop, workshop:ID or place:ID)"
            )),
        },
    }
}

fn month(s: &str) -> Result<Month, String> {
    Month::parse(s).ok_or_else(|| format!("'{s}' is not a month like 2026-03"))
}

/// The formats a file can be imported from.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ImportFormat {
    /// iCalendar, into the agenda.
    Ics,
    /// CSV with a header row, into the annuaire.
    Csv,
}

/// A duration like `90s`, `30m`, `24h`, `7d`.
pub(crate) fn duration(s: &str) -> Result<std::time::Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (number, unit) = s.split_at(split);
    let n: u64 = number
        .parse()
        .map_err(|_| format!("'{s}' is not a duration like 30m, 24h or 7d"))?;
    let secs = match unit {
        "s" => n,
        "m" => n * 60,
        "h" | "" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("'{s}' is not a duration like 30m, 24h or 7d")),
    };
    if secs == 0 {
        return Err("the duration must be positive".into());
    }
    Ok(std::time::Duration::from_secs(secs))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Json,
    Automerge,
    Ics,
    Csv,
    Markdown,
    Html,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_a_part_and_maybe_an_id() {
        assert_eq!(target("event:01J"), Ok(Target::Event("01J".into())));
        assert_eq!(target("sheet: 01K "), Ok(Target::Sheet("01K".into())));
        assert_eq!(target("exchanges"), Ok(Target::Exchanges));
        assert!(target("sheet:").is_err());
        assert!(target("everything").is_err());
    }

    #[test]
    fn dates_must_be_rfc3339() {
        assert!(rfc3339("2026-03-14T18:30:00+01:00").is_ok());
        assert!(rfc3339("14/03/2026").is_err());
    }
}
