//! The suggested matches of a large community: laid out a screenful at a
//! time, in their places, every one reachable, each title opening its
//! échange.

mod common;
use common::*;

use egui::accesskit::Role;
use egui::{Event, Modifiers, MouseWheelSource, MouseWheelUnit, Pos2, TouchPhase, Vec2};
use egui_kittest::kittest::{NodeT, Queryable};
use passerelle_core::model::matching::suggest_matches;
use passerelle_core::{Node, NodeConfig};
use passerelle_demo::generate::{self, Plan};

/// A point over the list of matches.
const OVER_THE_LIST: Pos2 = Pos2::new(500.0, 500.0);

/// A device named Nadia holding a generated community of `count` échanges.
fn large_community(dir: &std::path::Path, count: usize) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = Node::start(NodeConfig::new(dir.to_owned())).unwrap();
        let handle = node.handle();
        handle.set_display_name("Nadia").await.unwrap();
        let me = handle.device_key().clone();
        let generated =
            generate::generate(&Plan::exchanges(count), 7, &[me], 1_780_272_000_000, None).unwrap();
        handle.add_community_docs(generated.docs).await.unwrap();
        node.shutdown().await;
    });
}

/// The shared words of the matches drawn, top to bottom, with where each is.
fn drawn(h: &H) -> Vec<(String, f64)> {
    h.query_all_by_label_contains("mots en commun : ")
        .map(|n| {
            let node = n.accesskit_node();
            let top = node.bounding_box().expect("a drawn label has bounds").y0;
            (node.value().unwrap_or_default(), top)
        })
        .collect()
}

/// Scrolls the list by `dy` points (positive: further down) with a mouse
/// wheel, which stops at the ends (a trackpad would stretch past them).
fn scroll(h: &mut H, dy: f32) {
    h.hover_at(OVER_THE_LIST);
    h.event(Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: Vec2::new(0.0, -dy),
        phase: TouchPhase::Move,
        source: MouseWheelSource::Wheel,
        modifiers: Modifiers::NONE,
    });
    // A long scroll is smoothed over a few frames.
    for _ in 0..6 {
        h.step();
    }
}

#[test]
fn hundreds_of_suggestions_are_drawn_a_screenful_at_a_time_and_open_their_echange() {
    let dir = tempfile::tempdir().unwrap();
    large_community(dir.path(), 600);
    let mut h = harness(dir.path());
    wait_until(&mut h, "the community", |h| h.state().view().is_some());
    go(&mut h, "Échanges");
    h.get_by_label("Suggestions").click();
    wait_until(&mut h, "the suggestions", |h| !drawn(h).is_empty());
    let all = suggest_matches(&view(&h).exchanges);
    let words: Vec<String> = all
        .iter()
        .map(|m| format!("mots en commun : {}", m.shared.join(", ")))
        .collect();
    assert!(all.len() > 500, "only {} suggestions", all.len());

    // Only the first screenful is laid out.
    let first = drawn(&h);
    assert!(first.len() < 30, "{} matches drawn", first.len());
    let texts: Vec<&String> = first.iter().map(|(text, _)| text).collect();
    assert_eq!(texts, words[..first.len()].iter().collect::<Vec<_>>());

    // Each match takes the height the list reserves for it: scrolled by
    // a hundred and a half matches, the list starts at the hundredth.
    let pitch = (first[1].1 - first[0].1) as f32;
    scroll(&mut h, 100.5 * pitch);
    let further = drawn(&h);
    let texts: Vec<&String> = further.iter().map(|(text, _)| text).collect();
    assert_eq!(
        texts,
        words[100..100 + further.len()].iter().collect::<Vec<_>>()
    );

    // The last one is reachable.
    scroll(&mut h, 1_000_000.0);
    let end = drawn(&h);
    assert_eq!(end.last().map(|(text, _)| text), words.last());

    // A title opens its échange in the list.
    scroll(&mut h, -1_000_000.0);
    let offer = view(&h)
        .exchanges
        .iter()
        .find(|e| e.id == all[0].offer)
        .cloned()
        .expect("the offer is in the view");
    let link = h
        .query_all_by_role(Role::Link)
        .next()
        .expect("a title link");
    assert_eq!(
        link.accesskit_node().label().as_deref(),
        Some(&*offer.title)
    );
    link.click();
    // The details name the échange in a heading (its card in the list is a
    // button) and its author beside the avatar.
    let author = view(&h).member_name(&offer.author).to_owned();
    wait_until(&mut h, "the échange's details", |h| {
        h.query_by_label("Détails").is_some()
            && h.query_all_by_label(&offer.title)
                .any(|n| n.accesskit_node().role() == Role::Label)
            && h.query_all_by_label(&author).next().is_some()
    });
    assert!(drawn(&h).is_empty(), "the suggestions are still shown");
}
