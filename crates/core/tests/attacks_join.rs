//! Crafted tickets against a real inviter on loopback: the pairing flag of a
//! ticket is a hint for the joining app only. What the inviter's node does
//! with the joiner is what its community document says of the invite.

use std::time::Duration;

use passerelle_core::{CoreError, NetError, NetOptions, Node, NodeConfig};

mod common;

fn loopback() -> NetOptions {
    NetOptions {
        bind: Some("127.0.0.1".parse().unwrap()),
        mdns: false,
    }
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pairing_flag_neither_makes_nor_unmakes_a_pairing() {
    let dir = tempfile::tempdir().unwrap();
    let amina = common::start(dir.path(), "amina").await;
    let a = amina.handle();
    let id = a.create_community("Quartier", "").await.unwrap();
    a.start_network(loopback()).await.unwrap();
    let amina_member = a
        .view(&id)
        .await
        .unwrap()
        .member_for_device(a.device_key())
        .unwrap()
        .id
        .clone();

    // An invite for a new member, flagged as a pairing ticket: the joining
    // device does not become Amina's, and is told so.
    let mut forged = a.invite(&id, HOUR).await.unwrap();
    forged.invite.as_mut().unwrap().pairing = true;
    let mallory = Node::start(NodeConfig::new(dir.path().join("mallory"))).unwrap();
    let m = mallory.handle();
    m.start_network(loopback()).await.unwrap();
    let linked = m.link_device(&forged, "Ordinateur").await;
    assert!(
        matches!(linked, Err(CoreError::Net(NetError::NotAPairingTicket))),
        "{linked:?}"
    );
    let view = a.view(&id).await.unwrap();
    let joined = view.member_for_device(m.device_key()).unwrap();
    assert_ne!(joined.id, amina_member, "a new member, not Amina");
    assert_eq!(joined.display_name, "Ordinateur");
    assert_eq!(
        view.member(&amina_member).unwrap().devices.len(),
        1,
        "Amina keeps her one device"
    );

    // A pairing ticket with its flag cleared, used with another name: the
    // inviter adds the device to Amina all the same (the ticket is hers to
    // give), under no other name.
    let mut cleared = a
        .invite_for(&id, Some(amina_member.clone()), HOUR)
        .await
        .unwrap();
    cleared.invite.as_mut().unwrap().pairing = false;
    let phone = Node::start(NodeConfig::new(dir.path().join("phone"))).unwrap();
    let p = phone.handle();
    p.start_network(loopback()).await.unwrap();
    p.join_named(&cleared, "Quelqu'un d'autre").await.unwrap();
    let view = a.view(&id).await.unwrap();
    let member = view.member_for_device(p.device_key()).unwrap();
    assert_eq!(member.id, amina_member);
    assert!(
        view.community
            .members
            .iter()
            .all(|m| m.display_name != "Quelqu'un d'autre")
    );

    phone.shutdown().await;
    mallory.shutdown().await;
    amina.shutdown().await;
}
