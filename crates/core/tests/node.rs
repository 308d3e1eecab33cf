//! The node through its handle: events, cached views, durability across restarts.

use std::sync::Arc;

use passerelle_core::model::{Command, ExchangeCommand, ExchangeKind, ExchangeMode};
use passerelle_core::{CoreError, Event, Node, NodeConfig};

fn add_need(id: passerelle_core::model::ItemId, title: &str) -> Command {
    Command::Exchanges(ExchangeCommand::AddExchange {
        id,
        kind: ExchangeKind::Need,
        title: title.into(),
        description: String::new(),
        category: "jardinage".into(),
        mode: ExchangeMode::CoupDeMain,
        place: None,
    })
}

#[tokio::test]
async fn commands_emit_events_and_views_are_rebuilt_only_where_heads_moved() {
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(NodeConfig::new(dir.path().join("data"))).unwrap();
    let h = node.handle();
    assert!(matches!(
        h.create_community("Jardins", "").await,
        Err(CoreError::NoProfile)
    ));
    h.set_display_name("Chantal").await.unwrap();
    let mut events = h.subscribe();

    let c = h
        .create_community("Jardins", "Les jardins de Gorki")
        .await
        .unwrap();
    assert_eq!(
        events.recv().await.unwrap(),
        Event::CommunityAdded {
            community: c.clone()
        }
    );

    let before = h.view(&c).await.unwrap();
    assert!(
        Arc::ptr_eq(&before, &h.view(&c).await.unwrap()),
        "an unchanged community is not re-hydrated"
    );

    h.apply(&c, add_need(h.new_id(), "Un arrosoir"))
        .await
        .unwrap();
    assert_eq!(
        events.recv().await.unwrap(),
        Event::Changed {
            community: c.clone()
        }
    );
    let after = h.view(&c).await.unwrap();
    assert_eq!(after.exchanges.len(), 1);
    assert!(
        Arc::ptr_eq(&before.events, &after.events),
        "the agenda did not change: its part is shared"
    );
    assert!(Arc::ptr_eq(&before.community, &after.community));

    let hits = h.search(&c, "arrosoirs").await.unwrap();
    assert_eq!(hits.len(), 1);

    // A refused command changes nothing and says why.
    let err = h.apply(&c, add_need(h.new_id(), "")).await.unwrap_err();
    assert_eq!(err.to_string(), "the title must not be empty");
    assert!(Arc::ptr_eq(&after, &h.view(&c).await.unwrap()));

    // A second node on the same directory is refused while this one runs.
    assert!(matches!(
        Node::start(NodeConfig::new(dir.path().join("data"))),
        Err(CoreError::Locked(_))
    ));
    let key = h.device_key().clone();
    drop(h);
    node.shutdown().await;

    // Restarted: same identity, same data.
    let node = Node::start(NodeConfig::new(dir.path().join("data"))).unwrap();
    let h = node.handle();
    assert_eq!(h.device_key(), &key);
    let view = h.view(&c).await.unwrap();
    assert_eq!(view.exchanges[0].title, "Un arrosoir");
    assert_eq!(
        view.member_for_device(&key).unwrap().display_name,
        "Chantal"
    );
}

#[tokio::test]
async fn many_commands_compact_into_a_snapshot_and_reload_identically() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let node = Node::start(NodeConfig::new(data.clone())).unwrap();
    let h = node.handle();
    h.set_display_name("Moussa").await.unwrap();
    let c = h.create_community("Bricolage", "").await.unwrap();
    for n in 0..150 {
        h.apply(&c, add_need(h.new_id(), &format!("Besoin {n}")))
            .await
            .unwrap();
    }
    let files = std::fs::read_dir(data.join("communities").join(c.as_str()).join("exchanges"))
        .unwrap()
        .count();
    assert!(files <= 65, "chunks are compacted: {files} files");
    let titles: Vec<String> = h
        .view(&c)
        .await
        .unwrap()
        .exchanges
        .iter()
        .map(|e| e.title.clone())
        .collect();
    drop(h);
    node.shutdown().await;

    let node = Node::start(NodeConfig::new(data)).unwrap();
    let reloaded: Vec<String> = node
        .handle()
        .view(&c)
        .await
        .unwrap()
        .exchanges
        .iter()
        .map(|e| e.title.clone())
        .collect();
    assert_eq!(reloaded.len(), 150);
    assert_eq!(reloaded, titles);
}
