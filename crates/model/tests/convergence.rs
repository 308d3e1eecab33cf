//! Random command sequences on two replicas, merged in any order, give
//! identical state: the property every sync relies on.

use automerge::ActorId;
use passerelle_model::layout::Genesis;
use passerelle_model::*;
use proptest::prelude::*;

const TITLES: &[&str] = &[
    "Réparer mon vélo",
    "Cours de danse",
    "Garde d'enfants",
    "Plants de tomates",
    "Relire un CV",
];

/// One step a member may take; indexes pick among items that exist by then.
#[derive(Clone, Debug)]
enum Step {
    AddExchange(usize, bool),
    SetStatus(usize, usize),
    Reply(usize),
    EditDescription(usize, usize),
    AddEvent(usize),
    Rsvp(usize, usize),
    AddIdea(usize),
    Vote(usize),
    Unvote(usize),
    EditSection(usize),
    AddPost(usize),
    Comment(usize),
    JoinGroup,
    LeaveGroup,
    DeleteExchange(usize),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..TITLES.len(), any::<bool>()).prop_map(|(t, o)| Step::AddExchange(t, o)),
        (0..8usize, 0..3usize).prop_map(|(i, s)| Step::SetStatus(i, s)),
        (0..8usize).prop_map(Step::Reply),
        (0..8usize, 0..TITLES.len()).prop_map(|(i, t)| Step::EditDescription(i, t)),
        (0..TITLES.len()).prop_map(Step::AddEvent),
        (0..4usize, 0..3usize).prop_map(|(i, a)| Step::Rsvp(i, a)),
        (0..TITLES.len()).prop_map(Step::AddIdea),
        (0..6usize).prop_map(Step::Vote),
        (0..6usize).prop_map(Step::Unvote),
        (0..TITLES.len()).prop_map(Step::EditSection),
        (0..TITLES.len()).prop_map(Step::AddPost),
        (0..4usize).prop_map(Step::Comment),
        Just(Step::JoinGroup),
        Just(Step::LeaveGroup),
        (0..8usize).prop_map(Step::DeleteExchange),
    ]
}

struct Replica {
    docs: CommunityDocs,
    author: Author,
    counter: u128,
    now: i64,
}

impl Replica {
    fn id(&mut self) -> ItemId {
        self.counter += 1;
        self.now += 1000;
        ItemId::from_parts(self.now, self.counter)
    }

    fn pick<T: Clone>(items: &[T], n: usize) -> Option<T> {
        (!items.is_empty()).then(|| items[n % items.len()].clone())
    }

    /// Applies a step; refusals (e.g. editing someone else's item) are fine.
    fn run(&mut self, step: &Step, group: &ItemId, sheet: &ItemId) {
        let mut cache = ViewCache::default();
        let view = cache.view(&mut self.docs).unwrap();
        let exchanges: Vec<ItemId> = view.exchanges.iter().map(|e| e.id.clone()).collect();
        let events: Vec<ItemId> = view.events.iter().map(|e| e.id.clone()).collect();
        let ideas: Vec<ItemId> = view.ideas.iter().map(|e| e.id.clone()).collect();
        let posts: Vec<ItemId> = view.posts.iter().map(|e| e.id.clone()).collect();
        let section = view.sheets[0].sections[0].id.clone();
        let command = match step {
            Step::AddExchange(t, offer) => Some(Command::Exchanges(ExchangeCommand::AddExchange {
                id: self.id(),
                kind: if *offer {
                    ExchangeKind::Offer
                } else {
                    ExchangeKind::Need
                },
                title: TITLES[*t].into(),
                description: TITLES[(*t + 1) % TITLES.len()].into(),
                category: "bricolage".into(),
                mode: ExchangeMode::Savoir,
                place: None,
            })),
            Step::SetStatus(i, s) => Self::pick(&exchanges, *i).map(|id| {
                Command::Exchanges(ExchangeCommand::SetExchangeStatus {
                    id,
                    status: ExchangeStatus::ALL[*s],
                })
            }),
            Step::Reply(i) => Self::pick(&exchanges, *i).map(|exchange| {
                Command::Exchanges(ExchangeCommand::ReplyToExchange {
                    exchange,
                    id: self.id(),
                    kind: ReplyKind::CanHelp,
                    text: "Je peux".into(),
                })
            }),
            Step::EditDescription(i, t) => Self::pick(&exchanges, *i).map(|id| {
                Command::Exchanges(ExchangeCommand::UpdateExchange {
                    id,
                    title: None,
                    description: Some(format!("{} — {}", TITLES[*t], self.counter)),
                    category: None,
                    mode: None,
                    place: None,
                })
            }),
            Step::AddEvent(t) => Some(Command::Agenda(AgendaCommand::AddEvent {
                id: self.id(),
                title: TITLES[*t].into(),
                description: String::new(),
                start: self.now,
                end: None,
                place: None,
                capacity: Some(10),
            })),
            Step::Rsvp(i, a) => Self::pick(&events, *i).map(|event| {
                Command::Agenda(AgendaCommand::Rsvp {
                    event,
                    answer: RsvpAnswer::ALL[*a],
                })
            }),
            Step::AddIdea(t) => Some(Command::Ideas(IdeaCommand::AddIdea {
                id: self.id(),
                text: TITLES[*t].into(),
                theme: Some("lieux-de-rencontre".into()),
                table: Some(1 + *t as i64),
            })),
            Step::Vote(i) => {
                Self::pick(&ideas, *i).map(|idea| Command::Ideas(IdeaCommand::Vote { idea }))
            }
            Step::Unvote(i) => {
                Self::pick(&ideas, *i).map(|idea| Command::Ideas(IdeaCommand::Unvote { idea }))
            }
            Step::EditSection(t) => Some(Command::Savoirs(SavoirsCommand::EditSection {
                sheet: sheet.clone(),
                section,
                heading: None,
                body: Some(format!("Étape {} : {}", self.counter, TITLES[*t])),
            })),
            Step::AddPost(t) => Some(Command::Fil(FilCommand::AddPost {
                id: self.id(),
                text: TITLES[*t].into(),
            })),
            Step::Comment(i) => Self::pick(&posts, *i).map(|post| {
                Command::Fil(FilCommand::AddComment {
                    post,
                    id: self.id(),
                    text: "Merci !".into(),
                })
            }),
            Step::JoinGroup => Some(Command::Groups(GroupCommand::JoinGroup {
                group: group.clone(),
            })),
            Step::LeaveGroup => Some(Command::Groups(GroupCommand::LeaveGroup {
                group: group.clone(),
            })),
            Step::DeleteExchange(i) => Self::pick(&exchanges, *i)
                .map(|id| Command::Exchanges(ExchangeCommand::DeleteExchange { id })),
        };
        if let Some(command) = command {
            self.now += 1000;
            match self.docs.apply(&self.author, command, self.now) {
                // Refusals by the rules (someone else's item) are expected...
                Ok(_) | Err(CommandError::NotAllowed(_)) => {}
                // ...anything else is a bug.
                Err(e) => panic!("{step:?} failed: {e}"),
            }
        }
    }
}

/// Everything a reader sees, as comparable JSON.
fn state(docs: &mut CommunityDocs) -> serde_json::Value {
    let view = ViewCache::default().view(docs).unwrap();
    serde_json::json!({
        "community": &*view.community,
        "exchanges": &*view.exchanges,
        "events": &*view.events,
        "ideas": &*view.ideas,
        "sheets": &*view.sheets,
        "posts": &*view.posts,
    })
}

fn merge(into: &mut CommunityDocs, from: &mut CommunityDocs) {
    for kind in DocKind::ALL {
        let mut other = from.doc_mut(kind).unwrap().clone();
        into.doc_mut(kind).unwrap().merge(&mut other).unwrap();
    }
}

/// A community with two members, each on their own device and actor.
fn two_replicas() -> (Replica, Replica, ItemId, ItemId) {
    let actor_a = ActorId::from(b"aaaaaaaaaaaaaaaa".as_slice());
    let device_a = DeviceKey("a".repeat(64));
    let device_b = DeviceKey("b".repeat(64));
    let admin = Member {
        id: MemberId("01ADMIN".into()),
        display_name: "Marion".into(),
        role: Role::Admin,
        devices: [(
            device_a.0.clone(),
            Device {
                revoked: None,
                added_at: 0,
                label: "portable".into(),
            },
        )]
        .into(),
        skills: vec![],
        languages: vec![],
        joined_at: 0,
        removed_at: None,
    };
    let genesis = Genesis {
        id: CommunityId("01GENESIS".into()),
        community_doc: DocumentId::from_random(1),
        collections: DocumentIds {
            exchanges: DocumentId::from_random(2),
            agenda: DocumentId::from_random(3),
            ideas: DocumentId::from_random(4),
            savoirs: DocumentId::from_random(5),
            fil: DocumentId::from_random(6),
        },
        name: "Quartier".into(),
        description: String::new(),
        categories: defaults::default_categories(),
        themes: defaults::default_themes(),
        creator: admin,
        now: 0,
        discovery_secret: "00".repeat(32),
    };
    let mut docs = CommunityDocs::create(genesis, &actor_a).unwrap();
    let a = Author { device: device_a };
    docs.apply(
        &a,
        Command::Members(MemberCommand::AddMember {
            id: MemberId("01ANA".into()),
            display_name: "Ana".into(),
            role: Role::Membre,
            device: device_b.clone(),
            device_label: "portable".into(),
        }),
        1,
    )
    .unwrap();
    let group = ItemId("01GROUP".into());
    docs.apply(
        &a,
        Command::Groups(GroupCommand::AddGroup {
            id: group.clone(),
            name: "Jardinage".into(),
            theme: None,
            description: String::new(),
        }),
        2,
    )
    .unwrap();
    let sheet = ItemId("01SHEET".into());
    docs.apply(
        &a,
        Command::Savoirs(SavoirsCommand::AddSheet {
            id: sheet.clone(),
            title: "Fiche".into(),
            sections: vec![("Étapes".into(), "Début".into())],
        }),
        3,
    )
    .unwrap();
    let mut docs_b = docs.clone();
    docs_b.set_actor(&ActorId::from(b"bbbbbbbbbbbbbbbb".as_slice()));
    let ra = Replica {
        docs,
        author: a,
        counter: 1 << 64,
        now: 10_000,
    };
    let rb = Replica {
        docs: docs_b,
        author: Author { device: device_b },
        counter: 2 << 64,
        now: 10_000,
    };
    (ra, rb, group, sheet)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn replicas_converge_whatever_the_merge_order(
        steps_a in proptest::collection::vec(step(), 0..24),
        steps_b in proptest::collection::vec(step(), 0..24),
        interleave in proptest::collection::vec(any::<bool>(), 0..6),
    ) {
        let (mut a, mut b, group, sheet) = two_replicas();
        // Some rounds of concurrent work with partial syncs in between.
        let chunk = |steps: &[Step], round: usize, rounds: usize| -> Vec<Step> {
            let per = steps.len().div_ceil(rounds.max(1));
            steps.iter().skip(round * per).take(per).cloned().collect()
        };
        let rounds = interleave.len() + 1;
        for round in 0..rounds {
            for s in chunk(&steps_a, round, rounds) { a.run(&s, &group, &sheet); }
            for s in chunk(&steps_b, round, rounds) { b.run(&s, &group, &sheet); }
            if interleave.get(round).copied().unwrap_or(false) {
                merge(&mut a.docs, &mut b.docs);
            }
        }
        // A third replica receives B first then A; A and B merge each other.
        let mut c = b.docs.clone();
        merge(&mut c, &mut a.docs);
        let mut a_final = a.docs.clone();
        merge(&mut a_final, &mut b.docs);
        let mut b_final = b.docs.clone();
        merge(&mut b_final, &mut a.docs);
        let sa = state(&mut a_final);
        prop_assert_eq!(&sa, &state(&mut b_final));
        prop_assert_eq!(&sa, &state(&mut c));
        prop_assert_eq!(a_final.heads(), c.heads());
    }
}

#[test]
fn one_vote_and_one_rsvp_per_member_even_when_concurrent() {
    let (mut a, mut b, _, _) = two_replicas();
    let idea = ItemId("01IDEA".into());
    a.docs
        .apply(
            &a.author,
            Command::Ideas(IdeaCommand::AddIdea {
                id: idea.clone(),
                text: "Un lieu commun".into(),
                theme: None,
                table: Some(1),
            }),
            20,
        )
        .unwrap();
    merge(&mut b.docs, &mut a.docs);
    // The same member votes on two of... one device each here; then both vote twice.
    for r in [&mut a, &mut b] {
        r.docs
            .apply(
                &r.author.clone(),
                Command::Ideas(IdeaCommand::Vote { idea: idea.clone() }),
                30,
            )
            .unwrap();
        r.docs
            .apply(
                &r.author.clone(),
                Command::Ideas(IdeaCommand::Vote { idea: idea.clone() }),
                31,
            )
            .unwrap();
    }
    merge(&mut a.docs, &mut b.docs);
    let view = ViewCache::default().view(&mut a.docs).unwrap();
    assert_eq!(view.ideas[0].votes.len(), 2, "two members, two votes");
}

#[test]
fn categories_and_themes_are_slugged_once_and_moderated() {
    let (mut a, b, _, _) = two_replicas();
    let id = a
        .docs
        .apply(
            &a.author,
            Command::Community(CommunityCommand::AddCategory {
                label: " Réparation vélo ".into(),
            }),
            40,
        )
        .unwrap()
        .id;
    assert_eq!(id, "reparation-velo");
    let again = a.docs.apply(
        &a.author,
        Command::Community(CommunityCommand::AddCategory {
            label: "réparation VÉLO".into(),
        }),
        41,
    );
    assert!(matches!(again, Err(CommandError::AlreadyExists(_))));
    assert!(matches!(
        a.docs.apply(
            &a.author,
            Command::Community(CommunityCommand::AddTheme { label: "  ".into() }),
            42
        ),
        Err(CommandError::Empty("theme"))
    ));
    let mut b = b;
    let refused = b.docs.apply(
        &b.author,
        Command::Community(CommunityCommand::AddTheme {
            label: "Fêtes".into(),
        }),
        43,
    );
    assert!(
        matches!(refused, Err(CommandError::NotAllowed(_))),
        "a plain member cannot change the typology"
    );
}
