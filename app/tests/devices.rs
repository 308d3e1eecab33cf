//! "Mes appareils" driven like a person would, on real nodes over loopback:
//! a pairing ticket made in the Membres screen, and a second app that joins
//! with it and is the same member.

mod common;
use common::*;

use egui_kittest::kittest::Queryable;

#[test]
fn a_second_app_paired_from_mes_appareils_is_the_same_member() {
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut a = harness(dir_a.path());
    onboard(&mut a, "Amina");
    load_example(&mut a);
    wait_for_network(&mut a);
    go(&mut a, "Membres");
    wait_until(&mut a, "my devices", |a| shows(a, "Mes appareils"));
    assert!(shows(&a, "cet appareil"));
    press(&mut a, "Ajouter un appareil");
    wait_until(&mut a, "the pairing ticket", |a| {
        field(a, "Invitation à transmettre").is_some()
    });
    let ticket = field(&a, "Invitation à transmettre")
        .unwrap()
        .value()
        .expect("the ticket is shown as text");
    assert!(ticket.starts_with("PASSERELLE1"), "{ticket}");
    assert!(a.query_by_label("Code QR de l'invitation").is_some());
    let amina = member_id(&a, "Amina");
    let members_before = view(&a).community.members.len();
    wait_until(&mut a, "the pairing invite in the view", |a| {
        view(a).community.invites.iter().any(|i| i.member.is_some())
    });
    let invite = view(&a)
        .community
        .invites
        .iter()
        .find(|i| i.member.as_ref() == Some(&amina))
        .cloned()
        .expect("a pairing invite for Amina");
    assert!(invite.expires_at - invite.created_at <= 15 * 60 * 1000);

    let mut b = harness(dir_b.path());
    onboard(&mut b, "portable");
    wait_for_network(&mut b);
    join_example(&mut b, &ticket);
    let on_b = view(&b);
    assert_eq!(
        on_b.community.members.len(),
        members_before,
        "no new member"
    );
    let me = on_b
        .community
        .members
        .iter()
        .find(|m| m.devices.len() == 2)
        .expect("a member with two devices");
    assert_eq!(me.id, amina);
    assert_eq!(me.display_name, "Amina");
    // The second app takes the member's name (it was onboarded as "portable").
    let profile = dir_b.path().join("profile.json");
    wait_until(&mut b, "the member's name on the second app", |_| {
        std::fs::read_to_string(&profile).is_ok_and(|p| p.contains("Amina"))
    });
    go(&mut b, "Membres");
    wait_until(&mut b, "Amina is me on the second app", |b| {
        shows(b, "Amina (vous)")
    });
    wait_until(&mut a, "the second device on the first app", |a| {
        view(a)
            .community
            .members
            .iter()
            .any(|m| m.id == amina && m.devices.len() == 2)
    });
    b.run();
    a.run();
}
