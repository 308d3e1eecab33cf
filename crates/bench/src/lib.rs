//! Passerelle's performance scenarios (see docs/PERFORMANCE.md): each one
//! runs real nodes on real data directories and returns figures for the
//! report `passerelle-bench` prints.

use serde::Serialize;

pub mod archive;
pub mod attach;
pub mod fixture;
pub mod local;
pub mod rencontre;
pub mod sync;
pub mod ui_frame;
pub mod verify;

/// How many repetitions each scenario makes.
#[derive(Clone, Copy, Debug)]
pub struct Effort {
    /// Fewer repetitions: the whole report in a few minutes.
    pub quick: bool,
}

impl Effort {
    /// `full` repetitions, or `quick` ones with `--quick`.
    pub fn reps(self, full: usize, quick: usize) -> usize {
        if self.quick { quick } else { full }
    }
}

/// A device with a `month` community meets one holding its first 90 %.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Meeting {
    /// Changes the second device lacks.
    pub changes: u64,
    /// Connection to equal heads on disk on both sides, median (ms).
    pub ms_p50: f64,
    /// Bytes sent both ways over the connection.
    pub bytes: u64,
    /// Plain automerge sync of the same documents in memory, median (ms).
    pub baseline_ms_p50: f64,
    /// Bytes of the automerge sync messages of that baseline.
    pub baseline_bytes: u64,
}

/// The same two devices meet again, already in sync.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Reconnect {
    /// Median time of the session (ms).
    pub ms_p50: f64,
    /// Bytes sent both ways.
    pub bytes: u64,
}

/// Cold start to the first hydrated view, per size (ms).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Open {
    /// A `month` community.
    pub month_ms: f64,
    /// A `year` community.
    pub year_ms: f64,
    /// A `five-years` community.
    pub five_years_ms: f64,
}

/// The Grande Rencontre: nodes adding ideas, meeting in pairs until equal.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Rencontre {
    /// Nodes taking part.
    pub nodes: u64,
    /// Rounds of pairwise meetings until every node holds the same heads.
    pub rounds: u64,
    /// Bytes sent over every meeting.
    pub bytes_total: u64,
    /// Time of all the rounds (ms).
    pub ms: f64,
}

/// The always-on node's daily archive (a verified bundle with files).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Archive {
    /// Writing and verifying the archive of a `year` community, median (ms).
    pub year_ms: f64,
    /// Its size.
    pub year_bytes: u64,
    /// Same for `five-years` (ms).
    pub five_years_ms: f64,
    /// Its size.
    pub five_years_bytes: u64,
    /// The longest a member's command waited on the node while an archive
    /// ran (ms).
    pub command_wait_ms: f64,
}

/// On-disk size of a `year` community.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Disk {
    /// Bytes of its data directory's community files.
    pub bytes: u64,
    /// Bytes of automerge `save()` of the same documents.
    pub automerge_save_bytes: u64,
}

/// A fresh device checks the signatures of a `year` community's documents.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Verify {
    /// Changes of the six documents, each passed through the gate.
    pub changes: u64,
    /// Signatures verified (the latest of each writer, per document).
    pub signatures: u64,
    /// Every document's `save()` through `gate::merge` into an empty
    /// document, median (ms).
    pub ms: f64,
    /// Plain `AutoCommit::load` of the same bytes, median (ms).
    pub load_ms: f64,
}

/// A fresh device joins a `year` community with an invite, over loopback.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Join {
    /// Dialling the inviter to holding the same heads for every document,
    /// median (ms).
    pub ms: f64,
    /// Bytes sent both ways: the invite exchange and the sync session.
    pub bytes: u64,
    /// Bytes of Automerge `save()` of the same documents.
    pub save_bytes: u64,
}

/// Attaching a 3 MB photo to an offer.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Attach {
    /// The photo's size as taken.
    pub photo_bytes: u64,
    /// Its size once re-encoded at 2,048 px.
    pub stored_bytes: u64,
    /// Reading, re-encoding, thumbnail, storing and the command, median (ms).
    pub ms_p50: f64,
}

/// A member meets one who posted 200 photos since: documents and thumbnails.
#[derive(Clone, Debug, Default, Serialize)]
pub struct BlobMeeting {
    /// Photos posted.
    pub photos: u64,
    /// From dialling to holding every thumbnail, median (ms).
    pub ms: f64,
    /// Bytes of the sync session (the documents).
    pub doc_bytes: u64,
    /// Bytes of the thumbnails stored.
    pub thumbnail_bytes: u64,
    /// Bytes received for them on the blob protocol.
    pub blob_bytes: u64,
}

/// Every figure of one run, in the shape `--json` prints.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    /// Two devices meet, one lacking 10 % of a `month`.
    pub meeting: Meeting,
    /// They meet again, in sync.
    pub reconnect_in_sync: Reconnect,
    /// Signatures checked on joining, against a plain load.
    pub verify: Verify,
    /// A fresh device joins a `year` community.
    pub join: Join,
    /// Cold starts.
    pub open: Open,
    /// One search query on a `year` community, median (ms).
    pub search_ms_p50: f64,
    /// Matching after a change on a `year` community, median (ms).
    pub match_ms_p50: f64,
    /// One app frame on Échanges with 10,000 échanges, median (ms).
    pub ui_frame_ms_p50: f64,
    /// Same, 99th percentile (ms).
    pub ui_frame_ms_p99: f64,
    /// Resident memory after opening a `year` community (MB).
    pub rss_year_mb: f64,
    /// The Grande Rencontre.
    pub rencontre: Rencontre,
    /// On-disk size of a `year` community.
    pub disk: Disk,
    /// Attaching a 3 MB photo.
    pub attach: Attach,
    /// A meeting bringing 200 photos' thumbnails.
    pub blob_meeting: BlobMeeting,
    /// The daily archive of an always-on node.
    pub archive: Archive,
}

/// One line of the table: a figure, its value and its target.
pub struct Line {
    /// The figure's name, as in the JSON report.
    pub name: &'static str,
    /// Its value, with its unit.
    pub value: String,
    /// Its target, empty if it has none.
    pub target: &'static str,
    /// Whether the target is met.
    pub met: bool,
}

impl Report {
    /// The figures with their targets (docs/PERFORMANCE.md).
    pub fn lines(&self) -> Vec<Line> {
        let m = &self.meeting;
        let r = &self.reconnect_in_sync;
        let ms = |v: f64| format!("{v:.2} ms");
        let line = |name, value, target, met| Line {
            name,
            value,
            target,
            met,
        };
        vec![
            line("meeting.changes", m.changes.to_string(), "", true),
            line(
                "meeting.ms_p50",
                ms(m.ms_p50),
                "< 300 ms and <= 2 x baseline",
                m.ms_p50 < 300.0 && m.ms_p50 <= 2.0 * m.baseline_ms_p50,
            ),
            line(
                "meeting.bytes",
                m.bytes.to_string(),
                "<= 1.2 x baseline bytes",
                m.bytes as f64 <= 1.2 * m.baseline_bytes as f64,
            ),
            line("meeting.baseline_ms_p50", ms(m.baseline_ms_p50), "", true),
            line(
                "meeting.baseline_bytes",
                m.baseline_bytes.to_string(),
                "",
                true,
            ),
            line(
                "reconnect_in_sync.ms_p50",
                ms(r.ms_p50),
                "< 50 ms",
                r.ms_p50 < 50.0,
            ),
            line(
                "reconnect_in_sync.bytes",
                r.bytes.to_string(),
                "< 1,024",
                r.bytes < 1024,
            ),
            line("verify.changes", self.verify.changes.to_string(), "", true),
            line(
                "verify.signatures",
                self.verify.signatures.to_string(),
                "",
                true,
            ),
            line("verify.ms", ms(self.verify.ms), "", true),
            line("verify.load_ms", ms(self.verify.load_ms), "", true),
            line(
                "join.ms",
                ms(self.join.ms),
                "< 3,000 ms",
                self.join.ms < 3000.0,
            ),
            line(
                "join.bytes",
                self.join.bytes.to_string(),
                "<= 1.2 x save bytes",
                self.join.bytes as f64 <= 1.2 * self.join.save_bytes as f64,
            ),
            line(
                "join.save_bytes",
                self.join.save_bytes.to_string(),
                "",
                true,
            ),
            line("open.month_ms", ms(self.open.month_ms), "", true),
            line(
                "open.year_ms",
                ms(self.open.year_ms),
                "< 1,000 ms",
                self.open.year_ms < 1000.0,
            ),
            line(
                "open.five_years_ms",
                ms(self.open.five_years_ms),
                "< 3,000 ms",
                self.open.five_years_ms < 3000.0,
            ),
            line(
                "search_ms_p50",
                ms(self.search_ms_p50),
                "< 10 ms",
                self.search_ms_p50 < 10.0,
            ),
            line(
                "match_ms_p50",
                ms(self.match_ms_p50),
                "< 10 ms",
                self.match_ms_p50 < 10.0,
            ),
            line(
                "ui_frame_ms_p50",
                ms(self.ui_frame_ms_p50),
                "< 4 ms",
                self.ui_frame_ms_p50 < 4.0,
            ),
            line(
                "ui_frame_ms_p99",
                ms(self.ui_frame_ms_p99),
                "< 16 ms",
                self.ui_frame_ms_p99 < 16.0,
            ),
            line(
                "rss_year_mb",
                format!("{:.1} MB", self.rss_year_mb),
                "< 250 MB",
                self.rss_year_mb < 250.0,
            ),
            line(
                "rencontre.nodes",
                self.rencontre.nodes.to_string(),
                "",
                true,
            ),
            line(
                "rencontre.rounds",
                self.rencontre.rounds.to_string(),
                "<= 10",
                self.rencontre.rounds <= 10,
            ),
            line(
                "rencontre.bytes_total",
                self.rencontre.bytes_total.to_string(),
                "",
                true,
            ),
            line("rencontre.ms", ms(self.rencontre.ms), "", true),
            line(
                "disk.bytes",
                self.disk.bytes.to_string(),
                "<= 1.5 x automerge save",
                self.disk.bytes as f64 <= 1.5 * self.disk.automerge_save_bytes as f64,
            ),
            line(
                "disk.automerge_save_bytes",
                self.disk.automerge_save_bytes.to_string(),
                "",
                true,
            ),
            line(
                "attach.photo_bytes",
                self.attach.photo_bytes.to_string(),
                "",
                true,
            ),
            line(
                "attach.stored_bytes",
                self.attach.stored_bytes.to_string(),
                "",
                true,
            ),
            line(
                "attach.ms_p50",
                ms(self.attach.ms_p50),
                "< 1,000 ms",
                self.attach.ms_p50 < 1000.0,
            ),
            line(
                "blob_meeting.photos",
                self.blob_meeting.photos.to_string(),
                "",
                true,
            ),
            line(
                "blob_meeting.ms",
                ms(self.blob_meeting.ms),
                "< 5,000 ms",
                self.blob_meeting.ms < 5000.0,
            ),
            line(
                "blob_meeting.doc_bytes",
                self.blob_meeting.doc_bytes.to_string(),
                "",
                true,
            ),
            line(
                "blob_meeting.thumbnail_bytes",
                self.blob_meeting.thumbnail_bytes.to_string(),
                "",
                true,
            ),
            line(
                "blob_meeting.blob_bytes",
                self.blob_meeting.blob_bytes.to_string(),
                "<= 1.1 x thumbnail bytes",
                self.blob_meeting.blob_bytes as f64
                    <= 1.1 * self.blob_meeting.thumbnail_bytes as f64,
            ),
            line(
                "archive.year_ms",
                ms(self.archive.year_ms),
                "< 10,000 ms",
                self.archive.year_ms < 10_000.0,
            ),
            line(
                "archive.year_bytes",
                self.archive.year_bytes.to_string(),
                "",
                true,
            ),
            line(
                "archive.five_years_ms",
                ms(self.archive.five_years_ms),
                "< 60,000 ms",
                self.archive.five_years_ms < 60_000.0,
            ),
            line(
                "archive.five_years_bytes",
                self.archive.five_years_bytes.to_string(),
                "",
                true,
            ),
            line(
                "archive.command_wait_ms",
                ms(self.archive.command_wait_ms),
                "< 2,000 ms",
                self.archive.command_wait_ms < 2000.0,
            ),
        ]
    }

    /// The report as a table (Markdown, as pasted in docs/PERFORMANCE.md);
    /// figures of scenarios that did not run (`ran` says no) are left out.
    pub fn table(&self, ran: impl Fn(&str) -> bool) -> String {
        let mut out = String::from("| figure | value | target | met |\n|---|---:|---|---|\n");
        for l in self.lines().into_iter().filter(|l| ran(scenario(l.name))) {
            let met = if l.target.is_empty() {
                ""
            } else if l.met {
                "yes"
            } else {
                "**no**"
            };
            out.push_str(&format!(
                "| {} | {} | {} | {met} |\n",
                l.name, l.value, l.target
            ));
        }
        out
    }
}

/// The scenario (as named by `--only`) a figure comes from.
pub fn scenario(figure: &str) -> &'static str {
    match figure.split(['.', '_']).next() {
        Some("meeting" | "reconnect") => "meeting",
        Some("verify") => "verify",
        Some("join") => "join",
        Some("open") => "open",
        Some("search" | "match") => "search",
        Some("ui") => "ui_frame",
        Some("rss") => "rss",
        Some("rencontre") => "rencontre",
        Some("attach") => "attach",
        Some("blob") => "blob_meeting",
        Some("archive") => "archive",
        _ => "disk",
    }
}

/// The `p`-th percentile (0–100) of some durations in ms, nearest rank.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Milliseconds since `start`.
pub fn ms_since(start: std::time::Instant) -> f64 {
    start.elapsed().as_secs_f64() * 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
    }

    #[test]
    fn every_figure_belongs_to_a_scenario_and_only_ran_ones_are_shown() {
        let scenarios = [
            "meeting",
            "verify",
            "join",
            "open",
            "search",
            "ui_frame",
            "rss",
            "rencontre",
            "disk",
            "attach",
            "blob_meeting",
            "archive",
        ];
        for line in Report::default().lines() {
            assert!(scenarios.contains(&scenario(line.name)), "{}", line.name);
        }
        assert_eq!(scenario("reconnect_in_sync.bytes"), "meeting");
        assert_eq!(scenario("disk.automerge_save_bytes"), "disk");
        assert_eq!(scenario("verify.load_ms"), "verify");
        assert_eq!(scenario("join.save_bytes"), "join");
        assert_eq!(scenario("blob_meeting.blob_bytes"), "blob_meeting");
        assert_eq!(scenario("attach.ms_p50"), "attach");
        let table = Report::default().table(|s| s == "open");
        assert!(table.contains("open.year_ms") && !table.contains("meeting"));
    }

    #[test]
    fn the_json_report_has_exactly_the_documented_fields() {
        let json = serde_json::to_value(Report::default()).unwrap();
        let mut fields = Vec::new();
        for (key, value) in json.as_object().unwrap() {
            match value.as_object() {
                Some(inner) => fields.extend(inner.keys().map(|k| format!("{key}.{k}"))),
                None => fields.push(key.clone()),
            }
        }
        fields.sort();
        let mut expected = vec![
            "meeting.changes",
            "meeting.ms_p50",
            "meeting.bytes",
            "meeting.baseline_ms_p50",
            "meeting.baseline_bytes",
            "reconnect_in_sync.ms_p50",
            "reconnect_in_sync.bytes",
            "verify.changes",
            "verify.signatures",
            "verify.ms",
            "verify.load_ms",
            "join.ms",
            "join.bytes",
            "join.save_bytes",
            "open.month_ms",
            "open.year_ms",
            "open.five_years_ms",
            "search_ms_p50",
            "match_ms_p50",
            "ui_frame_ms_p50",
            "ui_frame_ms_p99",
            "rss_year_mb",
            "rencontre.nodes",
            "rencontre.rounds",
            "rencontre.bytes_total",
            "rencontre.ms",
            "disk.bytes",
            "disk.automerge_save_bytes",
            "attach.photo_bytes",
            "attach.stored_bytes",
            "attach.ms_p50",
            "blob_meeting.photos",
            "blob_meeting.ms",
            "blob_meeting.doc_bytes",
            "blob_meeting.thumbnail_bytes",
            "blob_meeting.blob_bytes",
            "archive.year_ms",
            "archive.year_bytes",
            "archive.five_years_ms",
            "archive.five_years_bytes",
            "archive.command_wait_ms",
        ];
        expected.sort();
        assert_eq!(fields, expected);
    }
}
