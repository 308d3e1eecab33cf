//! The atelier: workshops, seats at tables, merges of duplicates, moves
//! between themes, the synthesis and the feuille de route, on replicas that
//! act concurrently and then merge.

use automerge::ActorId;
use passerelle_model::workshop::{preset_themes, roadmap, synthesis};
use passerelle_model::*;

mod common;

fn member(id: &str, name: &str, role: Role, device: &DeviceKey) -> Member {
    Member {
        id: MemberId(id.into()),
        display_name: name.into(),
        role,
        devices: [(
            device.0.clone(),
            Device {
                revoked: None,
                added_at: 0,
                label: String::new(),
            },
        )]
        .into(),
        skills: vec![],
        languages: vec![],
        joined_at: 0,
        removed_at: None,
    }
}

fn device(c: char) -> Author {
    Author {
        device: DeviceKey(c.to_string().repeat(64)),
    }
}

/// Marion (admin, device a) created the community; Ana (device b) and
/// Karim (device c) are plain members.
fn community() -> CommunityDocs {
    let genesis = common::genesis(member(
        "01MARION",
        "Marion",
        Role::Admin,
        &device('a').device,
    ));
    let mut docs =
        CommunityDocs::create(genesis, &ActorId::from(b"aaaaaaaaaaaaaaaa".as_slice())).unwrap();
    for (id, name, c) in [("01ANA", "Ana", 'b'), ("01KARIM", "Karim", 'c')] {
        docs.apply(
            &device('a'),
            Command::Members(MemberCommand::AddMember {
                id: MemberId(id.into()),
                display_name: name.into(),
                role: Role::Membre,
                device: device(c).device,
                device_label: String::new(),
            }),
            1,
        )
        .unwrap();
    }
    docs
}

fn view(docs: &mut CommunityDocs) -> std::sync::Arc<CommunityView> {
    ViewCache::default().view(docs).unwrap()
}

fn create(docs: &mut CommunityDocs, by: char) -> ItemId {
    let id = ItemId("01WORKSHOP".into());
    docs.apply(
        &device(by),
        Command::Workshop(WorkshopCommand::CreateWorkshop {
            id: id.clone(),
            title: "Grande Rencontre".into(),
            date: 1_790_000_000_000,
            tables: 6,
            themes: preset_themes(),
        }),
        10,
    )
    .unwrap();
    id
}

fn idea(docs: &mut CommunityDocs, by: char, workshop: &ItemId, id: &str, theme: &str) -> ItemId {
    let id = ItemId(id.into());
    docs.apply(
        &device(by),
        Command::Workshop(WorkshopCommand::AddWorkshopIdea {
            workshop: workshop.clone(),
            id: id.clone(),
            text: format!("Idée {id}"),
            theme: Some(theme.into()),
        }),
        20,
    )
    .unwrap();
    id
}

fn merge(into: &mut CommunityDocs, from: &mut CommunityDocs) {
    for kind in DocKind::ALL {
        let mut other = from.doc_mut(kind).unwrap().clone();
        into.doc_mut(kind).unwrap().merge(&mut other).unwrap();
    }
}

#[test]
fn a_workshop_has_tables_a_typology_and_ideas_at_the_chosen_table() {
    let mut docs = community();
    let w = create(&mut docs, 'a');
    let v = view(&mut docs);
    assert_eq!(v.workshops.len(), 1, "the workshop is listed");
    assert_eq!(v.workshops[0].themes.len(), 7, "seed 002's seven themes");
    assert!(v.ideas.is_empty(), "a workshop is not an idea");

    let refused = docs.apply(
        &device('b'),
        Command::Workshop(WorkshopCommand::JoinTable {
            workshop: w.clone(),
            table: 7,
        }),
        11,
    );
    assert!(matches!(
        refused,
        Err(CommandError::NoSuchTable {
            table: 7,
            tables: 6
        })
    ));
    for (c, table) in [('b', 2), ('c', 5)] {
        docs.apply(
            &device(c),
            Command::Workshop(WorkshopCommand::JoinTable {
                workshop: w.clone(),
                table,
            }),
            11,
        )
        .unwrap();
    }
    let first = idea(&mut docs, 'b', &w, "01I1", "Lieux de rencontre");
    let second = idea(&mut docs, 'c', &w, "01I2", "formation-et-apprentissage");
    let v = view(&mut docs);
    let table = |id: &ItemId| v.ideas.iter().find(|i| &i.id == id).unwrap().table;
    assert_eq!(table(&first), Some(2));
    assert_eq!(table(&second), Some(5));
    assert!(matches!(
        docs.apply(
            &device('b'),
            Command::Workshop(WorkshopCommand::AddWorkshopIdea {
                workshop: w.clone(),
                id: ItemId("01I3".into()),
                text: "x".into(),
                theme: Some("jardinage".into()),
            }),
            12,
        ),
        Err(CommandError::UnknownTheme { .. })
    ));

    // Only the facilitator (creator, animateur, admin) reorganises.
    let by_ana = [
        Command::Workshop(WorkshopCommand::MoveIdea {
            idea: first.clone(),
            theme: None,
        }),
        Command::Workshop(WorkshopCommand::MergeIdeas {
            keep: first.clone(),
            merged: vec![second.clone()],
        }),
        Command::Workshop(WorkshopCommand::EditWorkshopThemes {
            workshop: w.clone(),
            themes: vec![],
        }),
        Command::Workshop(WorkshopCommand::CloseWorkshop {
            workshop: w.clone(),
        }),
    ];
    for command in by_ana {
        assert!(matches!(
            docs.apply(&device('b'), command, 13),
            Err(CommandError::NotAllowed(_))
        ));
    }
    docs.apply(
        &device('a'),
        Command::Workshop(WorkshopCommand::MoveIdea {
            idea: second.clone(),
            theme: Some("Observer et inspirer".into()),
        }),
        14,
    )
    .unwrap();
    let mut themes = preset_themes();
    themes[0].label = "Lieux et tiers-lieux".into();
    themes.push(Theme {
        id: String::new(),
        label: "Financements".into(),
    });
    docs.apply(
        &device('a'),
        Command::Workshop(WorkshopCommand::EditWorkshopThemes {
            workshop: w.clone(),
            themes,
        }),
        15,
    )
    .unwrap();
    let v = view(&mut docs);
    let s = synthesis(&v.ideas, &v.workshops[0]);
    assert_eq!(s.themes.len(), 9, "eight themes, then the unsorted");
    assert_eq!(
        s.themes[0].theme.as_ref().unwrap().label,
        "Lieux et tiers-lieux"
    );
    assert_eq!(
        s.themes[0].ideas[0].id, first,
        "a renamed theme keeps its ideas"
    );
    assert_eq!(
        s.themes[4].ideas[0].id, second,
        "moved to 'Observer et inspirer'"
    );
    assert_eq!(s.themes[7].theme.as_ref().unwrap().id, "financements");

    docs.apply(
        &device('a'),
        Command::Workshop(WorkshopCommand::CloseWorkshop {
            workshop: w.clone(),
        }),
        16,
    )
    .unwrap();
    let closed = docs.apply(
        &device('c'),
        Command::Workshop(WorkshopCommand::JoinTable {
            workshop: w.clone(),
            table: 1,
        }),
        17,
    );
    assert!(matches!(closed, Err(CommandError::Closed)));
}

#[test]
fn merging_keeps_the_duplicates_and_counts_each_voter_once() {
    let mut docs = community();
    // Ana, a plain member, creates it: she facilitates it.
    let w = create(&mut docs, 'b');
    let keep = idea(&mut docs, 'b', &w, "01K", "Lieux de rencontre");
    let dup = idea(&mut docs, 'c', &w, "01D", "Lieux de rencontre");
    for (c, idea) in [('a', &keep), ('a', &dup), ('c', &dup)] {
        docs.apply(
            &device(c),
            Command::Ideas(IdeaCommand::Vote { idea: idea.clone() }),
            30,
        )
        .unwrap();
    }
    docs.apply(
        &device('b'),
        Command::Workshop(WorkshopCommand::MergeIdeas {
            keep: keep.clone(),
            merged: vec![dup.clone()],
        }),
        31,
    )
    .unwrap();
    let v = view(&mut docs);
    let stored = v.ideas.iter().find(|i| i.id == dup).unwrap();
    assert_eq!(
        stored.merged_into.as_ref(),
        Some(&keep),
        "merged, not deleted"
    );
    let kept = v.ideas.iter().find(|i| i.id == keep).unwrap();
    assert_eq!(kept.votes.len(), 2, "Marion once, Karim once");
    let s = synthesis(&v.ideas, &v.workshops[0]);
    assert_eq!(s.idea_count(), 1);
    assert_eq!(s.vote_count(), 2);
    let merged = &s.themes[0].ideas[0];
    assert_eq!(merged.merged, vec![dup]);
    assert_eq!(
        merged.authors,
        vec![MemberId("01ANA".into()), MemberId("01KARIM".into())]
    );

    // The synthesis export lists the kept idea once, with both authors and
    // each voter once; HTML escapes what people typed.
    let md = passerelle_model::export::markdown::workshop_markdown(
        &v,
        &v.workshops[0],
        &passerelle_model::export::markdown::FRENCH,
    )
    .unwrap();
    assert_eq!(md.matches("Idée 01").count(), 1, "{md}");
    assert!(md.contains("1 idée, 2 votes"), "{md}");
    assert!(md.contains("Ana, Karim"), "{md}");
    assert!(
        md.contains("## Lieux de rencontre (1 idée, 2 votes)"),
        "{md}"
    );
    let html = passerelle_model::export::markdown::workshop_html(
        &v,
        &v.workshops[0],
        &passerelle_model::export::markdown::FRENCH,
    )
    .unwrap();
    assert!(
        html.contains("<h2>Lieux de rencontre (1 idée, 2 votes)</h2>"),
        "{html}"
    );

    // The feuille de route: one section per theme holding ideas.
    let command = roadmap(
        &v,
        &v.workshops[0],
        ItemId("01SHEET".into()),
        "Feuille de route",
        "Sans thème",
    );
    docs.apply(&device('b'), command, 32).unwrap();
    let v = view(&mut docs);
    let sheet = v
        .sheets
        .iter()
        .find(|s| s.id.as_str() == "01SHEET")
        .unwrap();
    assert_eq!(sheet.sections.len(), 1);
    assert_eq!(sheet.sections[0].heading, "Lieux de rencontre");
    assert_eq!(
        sheet.sections[0].body.as_str(),
        "- Idée 01K (2 votes — Ana, Karim)"
    );
}

#[test]
fn concurrent_merges_on_two_devices_converge() {
    let mut a = community();
    let w = create(&mut a, 'a');
    let x = idea(&mut a, 'b', &w, "01X", "Observer et inspirer");
    let y = idea(&mut a, 'c', &w, "01Y", "Observer et inspirer");
    let z = idea(&mut a, 'c', &w, "01Z", "Lieux de rencontre");
    a.apply(
        &device('b'),
        Command::Ideas(IdeaCommand::Vote { idea: x.clone() }),
        40,
    )
    .unwrap();
    let mut b = a.clone();
    b.set_actor(&ActorId::from(b"bbbbbbbbbbbbbbbb".as_slice()));
    // Device a keeps x; device b, at the same time, keeps y, merges z too,
    // and Karim votes for x there.
    a.apply(
        &device('a'),
        Command::Workshop(WorkshopCommand::MergeIdeas {
            keep: x.clone(),
            merged: vec![y.clone()],
        }),
        41,
    )
    .unwrap();
    b.apply(
        &device('a'),
        Command::Workshop(WorkshopCommand::MergeIdeas {
            keep: y.clone(),
            merged: vec![x.clone(), z.clone()],
        }),
        41,
    )
    .unwrap();
    b.apply(
        &device('c'),
        Command::Ideas(IdeaCommand::Vote { idea: x.clone() }),
        42,
    )
    .unwrap();
    let mut a_then_b = a.clone();
    merge(&mut a_then_b, &mut b);
    let mut b_then_a = b.clone();
    merge(&mut b_then_a, &mut a);
    let left = view(&mut a_then_b);
    let right = view(&mut b_then_a);
    let s1 = synthesis(&left.ideas, &left.workshops[0]);
    let s2 = synthesis(&right.ideas, &right.workshops[0]);
    assert_eq!(s1, s2, "the same synthesis on both devices");
    assert_eq!(s1.idea_count(), 1, "x, y and z are one idea");
    let only = s1.themes.iter().flat_map(|t| &t.ideas).next().unwrap();
    assert_eq!(only.id, x, "the cycle x↔y keeps the smallest id");
    assert_eq!(only.merged, vec![y, z]);
    assert_eq!(only.votes.len(), 2, "Ana and Karim, once each");
}

mod random {
    use super::*;
    use proptest::prelude::*;

    /// One facilitator action on a replica: merge idea `a` into idea `b`, or
    /// a member votes for an idea.
    #[derive(Clone, Debug)]
    enum Act {
        Merge(usize, usize),
        Vote(char, usize),
    }

    fn act() -> impl Strategy<Value = Act> {
        prop_oneof![
            (0..5usize, 0..5usize).prop_map(|(a, b)| Act::Merge(a, b)),
            (prop_oneof![Just('a'), Just('b'), Just('c')], 0..5usize)
                .prop_map(|(c, i)| Act::Vote(c, i)),
        ]
    }

    fn run(docs: &mut CommunityDocs, ideas: &[ItemId], acts: &[Act], now: i64) {
        for (n, act) in acts.iter().enumerate() {
            let command = match act {
                Act::Merge(a, b) => Command::Workshop(WorkshopCommand::MergeIdeas {
                    keep: ideas[*b].clone(),
                    merged: vec![ideas[*a].clone()],
                }),
                Act::Vote(_, i) => Command::Ideas(IdeaCommand::Vote {
                    idea: ideas[*i].clone(),
                }),
            };
            let by = match act {
                Act::Merge(..) => 'a',
                Act::Vote(c, _) => *c,
            };
            // Merging an idea into itself is refused; that is fine here.
            let _ = docs.apply(&device(by), command, now + n as i64);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Two devices merge and vote at the same time, in any way: once
        /// their changes meet, in either order, both show the same
        /// synthesis, no idea is lost, and no vote is lost (each member
        /// counts once per kept idea, votes being a set of member ids).
        #[test]
        fn concurrent_merges_and_votes_converge(
            left in proptest::collection::vec(act(), 0..8),
            right in proptest::collection::vec(act(), 0..8),
        ) {
            let mut a = community();
            let w = create(&mut a, 'a');
            let ideas: Vec<ItemId> = (0..5)
                .map(|n| idea(&mut a, 'b', &w, &format!("01I{n}"), "Lieux de rencontre"))
                .collect();
            let mut b = a.clone();
            b.set_actor(&ActorId::from(b"bbbbbbbbbbbbbbbb".as_slice()));
            run(&mut a, &ideas, &left, 100);
            run(&mut b, &ideas, &right, 100);
            let mut ab = a.clone();
            merge(&mut ab, &mut b);
            let mut ba = b.clone();
            merge(&mut ba, &mut a);
            let (v1, v2) = (view(&mut ab), view(&mut ba));
            let s1 = synthesis(&v1.ideas, &v1.workshops[0]);
            let s2 = synthesis(&v2.ideas, &v2.workshops[0]);
            prop_assert_eq!(&s1, &s2);
            let listed: Vec<_> = s1.themes.iter().flat_map(|t| &t.ideas).collect();
            let covered: usize = listed.iter().map(|i| 1 + i.merged.len()).sum();
            prop_assert_eq!(covered, 5, "every idea is kept or merged into a kept one");
            // No vote is lost through a merge: every member who voted for an
            // idea counts, once, for the idea it was merged into.
            for stored in v1.ideas.iter() {
                let kept = listed
                    .iter()
                    .find(|i| i.id == stored.id || i.merged.contains(&stored.id))
                    .unwrap();
                for member in stored.votes.keys() {
                    prop_assert!(kept.votes.contains(member));
                }
            }
        }
    }
}
