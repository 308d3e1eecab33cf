//! "Appareils qui se contredisent": the devices that signed two different
//! versions of one change (an *equivocation*, refused by every device's
//! gate and kept aside as evidence: `crates/core/src/refused.rs`), shown to
//! animateurs and admins on the Membres screen with a way to revoke them.
//!
//! The list is asked of the node when the section first shows for a
//! community, and again after each refusal the node reports; it is grouped
//! by device once, when it arrives, not at every frame.

use egui::RichText;
use passerelle_core::RefusedChange;
use passerelle_core::model::{Command, CommunityId, DeviceKey, MemberCommand, Timestamp};

use super::super::Cx;
use crate::bridge::Inbox;

/// One device that contradicted itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contradiction {
    /// Its device key.
    pub device: DeviceKey,
    /// How many second versions it sent that were refused.
    pub times: usize,
    /// The latest one, in milliseconds since the epoch.
    pub last: Timestamp,
}

/// Groups the equivocations among refused changes by device, the latest
/// first.
pub fn contradictions(refused: &[RefusedChange]) -> Vec<Contradiction> {
    let mut by_device: std::collections::BTreeMap<&str, Contradiction> = Default::default();
    for r in refused.iter().filter(|r| r.code == "equivocation") {
        let at = chrono::DateTime::parse_from_rfc3339(&r.time).map_or(0, |t| t.timestamp_millis());
        let entry = by_device
            .entry(r.writer.as_str())
            .or_insert_with(|| Contradiction {
                device: DeviceKey(r.writer.clone()),
                times: 0,
                last: at,
            });
        entry.times += 1;
        entry.last = entry.last.max(at);
    }
    let mut out: Vec<Contradiction> = by_device.into_values().collect();
    out.sort_by(|a, b| b.last.cmp(&a.last).then(a.device.0.cmp(&b.device.0)));
    out
}

/// The section's state: the list for a community, as of a number of
/// refusals reported by the node.
#[derive(Default)]
pub struct ContradictionsSection {
    inbox: Inbox<(CommunityId, u64, Vec<Contradiction>)>,
    /// What was asked last: the community and the refusals count then.
    asked: Option<(CommunityId, u64)>,
    shown: Option<(CommunityId, Vec<Contradiction>)>,
    /// The device whose revocation awaits confirmation.
    confirm: Option<DeviceKey>,
}

impl ContradictionsSection {
    /// Draws the section, for animateurs and admins only.
    pub fn ui(&mut self, ui: &mut egui::Ui, cx: &Cx) {
        if !cx.is_moderator() {
            return;
        }
        for (community, _, list) in self.inbox.drain() {
            self.shown = Some((community, list));
        }
        let key = (cx.community.clone(), cx.net.refusals);
        if self.asked.as_ref() != Some(&key) {
            self.ask(cx, key);
        }
        let t = cx.lang.moderation();
        let list = match &self.shown {
            Some((id, list)) if id == cx.community => list.as_slice(),
            _ => &[],
        };
        let confirm = &mut self.confirm;
        if list.is_empty() {
            // Nothing to look at: one quiet line instead of a section.
            crate::design::meta_with(ui, crate::design::more_icon::DEVICES_OK, t.no_contradiction);
            return;
        }
        egui::CollapsingHeader::new(RichText::new(t.contradictions).strong())
            .id_salt("contradictions-section")
            .default_open(true)
            .show(ui, |ui| {
                for c in list {
                    device_ui(ui, cx, c, confirm);
                }
            });
        ui.separator();
    }

    fn ask(&mut self, cx: &Cx, key: (CommunityId, u64)) {
        self.asked = Some(key.clone());
        let tx = self.inbox.sender();
        cx.bridge.fetch(tx, move |h| async move {
            let refused = h.refused_changes(&key.0).await?;
            Ok((key.0, key.1, contradictions(&refused)))
        });
    }
}

/// One device: who it is, how often and when, and revoking it.
fn device_ui(ui: &mut egui::Ui, cx: &Cx, c: &Contradiction, confirm: &mut Option<DeviceKey>) {
    let t = cx.lang.moderation();
    let member = cx.view.member_for_device(&c.device);
    let device = member.and_then(|m| m.devices.get(c.device.as_str()));
    let label = match device {
        Some(d) if !d.label.is_empty() => d.label.clone(),
        _ => format!("{} {}…", t.device, c.device.0.get(..8).unwrap_or("")),
    };
    let whose = member.map_or_else(
        || t.unknown_member.to_owned(),
        |m| format!("{} {}", t.of, m.display_name),
    );
    let revoked = device.is_some_and(|d| !d.is_active());
    egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.label(RichText::new(format!("{label} {whose}")).strong());
        ui.label(format!(
            "{} {} · {} {}{}",
            cx.lang.number(c.times),
            t.times,
            t.last_time,
            cx.lang.date_time(c.last),
            if revoked { t.already_revoked } else { "" }
        ));
        ui.label(t.contradiction_explained);
        let (Some(member), false) = (member, revoked) else {
            return;
        };
        if !cx.me.is_some_and(|m| m.is_active()) {
            return;
        }
        if confirm.as_ref() != Some(&c.device) {
            if ui.button(t.revoke_device).clicked() {
                *confirm = Some(c.device.clone());
            }
            return;
        }
        ui.horizontal(|ui| {
            if ui.button(t.confirm_revoke).clicked() {
                cx.apply(Command::Members(MemberCommand::RevokeDevice {
                    member: member.id.clone(),
                    device: c.device.clone(),
                }));
                *confirm = None;
            }
            if ui.button(t.cancel).clicked() {
                *confirm = None;
            }
        });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(writer: &str, code: &str, time: &str) -> RefusedChange {
        RefusedChange {
            time: time.into(),
            doc: "community".into(),
            hash: "00".repeat(32),
            writer: writer.into(),
            reason: String::new(),
            code: code.into(),
            from: String::new(),
            evidence: None,
        }
    }

    #[test]
    fn equivocations_are_grouped_by_device_latest_first() {
        let list = contradictions(&[
            refused("aa", "equivocation", "2026-12-01T10:00:00Z"),
            refused("bb", "equivocation", "2026-12-03T10:00:00Z"),
            refused("aa", "equivocation", "2026-12-02T10:00:00Z"),
            refused("cc", "unsigned", "2026-12-04T10:00:00Z"),
        ]);
        assert_eq!(list.len(), 2);
        assert_eq!((list[0].device.0.as_str(), list[0].times), ("bb", 1));
        assert_eq!((list[1].device.0.as_str(), list[1].times), ("aa", 2));
        assert_eq!(list[1].last, 1_796_205_600_000);
    }
}
