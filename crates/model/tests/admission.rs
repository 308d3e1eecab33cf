//! The community's rules applied on merge: what a removed member, a revoked
//! device or a member without the right role writes is ignored by every
//! device, identically, whatever order the devices meet in.

use automerge::transaction::Transactable;
use automerge::{ReadDoc, ScalarValue};
use passerelle_model::layout::Genesis;
use passerelle_model::*;
use proptest::prelude::*;

mod common;
use common::{key, member};

const ADMIN: &str = "01ADMIN";
const ANA: &str = "01ANA";
const BASILE: &str = "01BASILE";

/// One device's copy of the community.
#[derive(Clone)]
struct Copy {
    docs: CommunityDocs,
    author: Author,
    now: i64,
    counter: u128,
}

impl Copy {
    fn run(&mut self, command: Command) -> Result<Outcome, CommandError> {
        self.now += 1000;
        self.docs.apply(&self.author, command, self.now)
    }

    fn id(&mut self) -> ItemId {
        self.counter += 1;
        ItemId::from_parts(self.now + 1, self.counter)
    }

    fn view(&mut self) -> std::sync::Arc<CommunityView> {
        ViewCache::default().view(&mut self.docs).unwrap()
    }

    fn merge_from(&mut self, other: &Copy) {
        for kind in DocKind::ALL {
            let mut theirs = other.docs.doc(kind).unwrap().clone();
            self.docs.doc_mut(kind).unwrap().merge(&mut theirs).unwrap();
        }
    }
}

/// Marion (admin, device a), Ana (membre, device b), Basile (animateur,
/// device c): three copies of one community, each with its own actor.
fn community() -> [Copy; 3] {
    let admin = key('a');
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
        creator: member(ADMIN, "Marion", Role::Admin, &admin),
        now: 0,
        discovery_secret: "00".repeat(32),
    };
    let mut docs = CommunityDocs::create_signed(genesis, &admin.actor()).unwrap();
    let mut marion = Copy {
        docs: docs.clone(),
        author: Author { device: admin },
        now: 0,
        counter: 1 << 64,
    };
    for (id, name, role, device) in [
        (ANA, "Ana", Role::Membre, key('b')),
        (BASILE, "Basile", Role::Animateur, key('c')),
    ] {
        marion
            .run(Command::Members(MemberCommand::AddMember {
                id: MemberId(id.into()),
                display_name: name.into(),
                role,
                device,
                device_label: "portable".into(),
            }))
            .unwrap();
    }
    docs = marion.docs.clone();
    let copy = |device: DeviceKey, counter: u128| {
        let mut docs = docs.clone();
        docs.set_actor(&device.actor());
        Copy {
            docs,
            author: Author { device },
            now: 10_000,
            counter,
        }
    };
    [marion, copy(key('b'), 2 << 64), copy(key('c'), 3 << 64)]
}

fn add_exchange(copy: &mut Copy, title: &str) -> ItemId {
    let id = copy.id();
    copy.run(Command::Exchanges(ExchangeCommand::AddExchange {
        id: id.clone(),
        kind: ExchangeKind::Need,
        title: title.into(),
        description: String::new(),
        category: "bricolage".into(),
        mode: ExchangeMode::CoupDeMain,
        place: None,
    }))
    .unwrap();
    id
}

fn titles(view: &CommunityView) -> Vec<String> {
    let mut t: Vec<String> = view.exchanges.iter().map(|e| e.title.clone()).collect();
    t.sort();
    t
}

fn role_of(view: &CommunityView, id: &str) -> Role {
    view.member(&MemberId(id.into())).unwrap().role
}

/// Writes a member's role directly, as a modified app could.
fn write_role(copy: &mut Copy, member: &str, role: Role) {
    let doc = copy.docs.doc_mut(DocKind::Community).unwrap();
    let (_, members) = doc.get(automerge::ROOT, "members").unwrap().unwrap();
    let (_, entry) = doc.get(&members, member).unwrap().unwrap();
    doc.put(&entry, "role", role.as_str()).unwrap();
    doc.commit();
}

#[test]
fn a_removed_members_offline_edits_are_ignored_by_every_device() {
    let [mut marion, mut ana, mut basile] = community();
    let kept = add_exchange(&mut ana, "Réparer mon vélo");
    marion.merge_from(&ana);
    basile.merge_from(&ana);

    // Ana, offline, keeps writing; Marion removes her meanwhile.
    ana.run(Command::Exchanges(ExchangeCommand::UpdateExchange {
        id: kept.clone(),
        title: Some("Vélo volé, rendez-le".into()),
        description: None,
        category: None,
        mode: None,
        place: None,
    }))
    .unwrap();
    add_exchange(&mut ana, "Annonce tardive");
    marion
        .run(Command::Members(MemberCommand::RemoveMember {
            member: MemberId(ANA.into()),
        }))
        .unwrap();

    // Basile meets Ana first (he does not know of the removal yet), then
    // Marion; Marion meets Basile only.
    basile.merge_from(&ana);
    assert_eq!(
        titles(&basile.view()),
        ["Annonce tardive", "Vélo volé, rendez-le"],
        "before the removal reaches him, Basile sees Ana's writing"
    );
    basile.merge_from(&marion);
    marion.merge_from(&basile);
    ana.merge_from(&marion);

    for copy in [&mut marion, &mut basile, &mut ana] {
        let view = copy.view();
        assert_eq!(titles(&view), ["Réparer mon vélo"]);
        // The new échange, and the retitle with its update time.
        let ignored = &view.ignored[&DocKind::Exchanges];
        assert_eq!(
            ignored.by_device.get(key('b').as_str()),
            Some(&3),
            "{ignored:?}"
        );
        assert!(!view.is_active_device(&key('b')));
    }
    // Ana's device can no longer act.
    assert!(matches!(
        add_exchange_result(&mut ana),
        Err(CommandError::NotAMember)
    ));
}

fn add_exchange_result(copy: &mut Copy) -> Result<Outcome, CommandError> {
    add_exchange_titled(copy, "Encore")
}

fn add_exchange_titled(copy: &mut Copy, title: &str) -> Result<Outcome, CommandError> {
    let id = copy.id();
    copy.run(Command::Exchanges(ExchangeCommand::AddExchange {
        id,
        kind: ExchangeKind::Offer,
        title: title.into(),
        description: String::new(),
        category: "bricolage".into(),
        mode: ExchangeMode::Don,
        place: None,
    }))
}

#[test]
fn a_membre_who_writes_roles_changes_nothing() {
    let [mut marion, mut ana, _] = community();
    write_role(&mut ana, ANA, Role::Admin);
    write_role(&mut ana, ADMIN, Role::Membre);
    marion.merge_from(&ana);
    for copy in [&mut marion, &mut ana] {
        let view = copy.view();
        assert_eq!(role_of(&view, ANA), Role::Membre);
        assert_eq!(role_of(&view, ADMIN), Role::Admin);
        assert_eq!(view.ignored[&DocKind::Community].total(), 2);
    }
    // Her copy refuses her what an admin may do.
    assert!(matches!(
        ana.run(Command::Members(MemberCommand::SetRole {
            member: MemberId(BASILE.into()),
            role: Role::Admin,
        })),
        Err(CommandError::NotAllowed(_))
    ));
    // An admin's role change counts.
    marion
        .run(Command::Members(MemberCommand::SetRole {
            member: MemberId(ANA.into()),
            role: Role::Animateur,
        }))
        .unwrap();
    ana.merge_from(&marion);
    assert_eq!(role_of(&ana.view(), ANA), Role::Animateur);
}

#[test]
fn a_membre_cannot_hide_an_item_but_an_animateur_can() {
    let [mut marion, mut ana, mut basile] = community();
    let id = add_exchange(&mut marion, "Cours de danse");
    ana.merge_from(&marion);
    basile.merge_from(&marion);
    assert!(matches!(
        ana.run(Command::Moderation(ModerationCommand::Moderate {
            kind: ItemKind::Exchange,
            id: id.clone(),
            action: Some(ModerationAction::Hide),
            reason: "je n'aime pas".into(),
        })),
        Err(CommandError::NotAllowed(_))
    ));
    // A modified app writes the moderation anyway.
    {
        let doc = ana.docs.doc_mut(DocKind::Exchanges).unwrap();
        let (_, exchanges) = doc.get(automerge::ROOT, "exchanges").unwrap().unwrap();
        let (_, item) = doc.get(&exchanges, id.as_str()).unwrap().unwrap();
        let m = doc
            .put_object(&item, "moderation", automerge::ObjType::Map)
            .unwrap();
        doc.put(&m, "action", "hide").unwrap();
        doc.put(&m, "reason", "je n'aime pas").unwrap();
        doc.put(&m, "by", ANA).unwrap();
        doc.put(&m, "at", ScalarValue::Int(1)).unwrap();
        doc.commit();
    }
    marion.merge_from(&ana);
    for copy in [&mut marion, &mut ana] {
        let view = copy.view();
        assert_eq!(titles(&view), ["Cours de danse"]);
        assert!(view.moderated.is_empty());
    }
    basile
        .run(Command::Moderation(ModerationCommand::Moderate {
            kind: ItemKind::Exchange,
            id,
            action: Some(ModerationAction::Hide),
            reason: "hors sujet".into(),
        }))
        .unwrap();
    marion.merge_from(&basile);
    let view = marion.view();
    assert!(view.exchanges.is_empty());
    assert_eq!(view.moderated[0].moderation.reason, "hors sujet");
}

#[test]
fn a_revoked_device_keeps_what_was_seen_and_loses_the_rest() {
    let [mut marion, mut ana, _] = community();
    add_exchange(&mut ana, "Avant");
    marion.merge_from(&ana);
    // Ana's laptop is stolen: Marion removes the device's rights by
    // removing and re-adding Ana with a new device.
    marion
        .run(Command::Members(MemberCommand::RemoveMember {
            member: MemberId(ANA.into()),
        }))
        .unwrap();
    add_exchange(&mut ana, "Après");
    marion.merge_from(&ana);
    assert_eq!(titles(&marion.view()), ["Avant"]);
}

/// What every device must agree on: members and their devices, lists,
/// roles, removals, moderation.
fn outcome(copy: &mut Copy) -> String {
    let view = copy.view();
    let mut out = String::new();
    for m in &view.community.members {
        out += &format!("{} {} {}", m.id, m.role, m.removed_at.is_some());
        for (k, d) in &m.devices {
            out += &format!(" {}:{}", &k[..1], d.is_active());
        }
        out += "\n";
    }
    let mut active: Vec<String> =
        passerelle_model::admission::active_devices(copy.docs.doc_mut(DocKind::Community).unwrap())
            .into_iter()
            .collect();
    active.sort();
    out += &format!("{active:?}\n");
    for e in view.exchanges.iter() {
        out += &format!("{} {} {}\n", e.id, e.title, e.status);
    }
    for m in view.moderated.iter() {
        out += &format!(
            "{} {:?} {}\n",
            m.id, m.moderation.action, m.moderation.reason
        );
    }
    out += &format!("{:?}\n", view.ignored);
    out
}

#[derive(Clone, Debug)]
enum Step {
    Add(usize),
    Retitle(usize, usize),
    Hide(usize),
    Show(usize),
    SetRole(usize, usize),
    WriteRole(usize),
    Remove(usize),
    Meet(usize),
    /// A modified app adds a device of its own to a member's entry.
    ForgeDevice(usize),
    /// A modified app clears a member's removal and revocations.
    Unremove(usize),
    /// A pairing ticket for the author, used for a new device of theirs.
    Pair,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..3usize).prop_map(Step::Add),
        (0..6usize, 0..3usize).prop_map(|(i, t)| Step::Retitle(i, t)),
        (0..6usize).prop_map(Step::Hide),
        (0..6usize).prop_map(Step::Show),
        (0..3usize, 0..3usize).prop_map(|(m, r)| Step::SetRole(m, r)),
        (0..3usize).prop_map(Step::WriteRole),
        (1..3usize).prop_map(Step::Remove),
        (0..3usize).prop_map(Step::Meet),
        (0..3usize).prop_map(Step::ForgeDevice),
        (0..3usize).prop_map(Step::Unremove),
        Just(Step::Pair),
    ]
}

/// Writes a device entry for `device` in `member`'s entry, as a modified
/// app would.
fn forge_device(copy: &mut Copy, member: &str, device: &DeviceKey) {
    let doc = copy.docs.doc_mut(DocKind::Community).unwrap();
    let (_, members) = doc.get(automerge::ROOT, "members").unwrap().unwrap();
    let (_, entry) = doc.get(&members, member).unwrap().unwrap();
    let (_, devices) = doc.get(&entry, "devices").unwrap().unwrap();
    let d = doc
        .put_object(&devices, device.as_str(), automerge::ObjType::Map)
        .unwrap();
    doc.put(&d, "added_at", ScalarValue::Int(1)).unwrap();
    doc.put(&d, "label", "").unwrap();
    doc.put(&d, "revoked", ScalarValue::Null).unwrap();
    doc.commit();
}

/// Clears a member's removal and their devices' revocations, as a modified
/// app (or an admin's) would: a new null operation on each.
fn unremove(copy: &mut Copy, member: &str) {
    let doc = copy.docs.doc_mut(DocKind::Community).unwrap();
    let (_, members) = doc.get(automerge::ROOT, "members").unwrap().unwrap();
    let (_, entry) = doc.get(&members, member).unwrap().unwrap();
    let mut clear = |obj: &automerge::ObjId, key: &str| {
        doc.delete(obj, key).unwrap();
        doc.put(obj, key, ScalarValue::Null).unwrap();
    };
    clear(&entry, "removed_at");
    let (_, devices) = doc.get(&entry, "devices").unwrap().unwrap();
    let keys: Vec<String> = doc.keys(&devices).collect();
    for k in keys {
        if let Ok(Some((automerge::Value::Object(_), d))) = doc.get(&devices, k.as_str()) {
            let mut clear = |obj: &automerge::ObjId, key: &str| {
                doc.delete(obj, key).unwrap();
                doc.put(obj, key, ScalarValue::Null).unwrap();
            };
            clear(&d, "revoked");
        }
    }
    doc.commit();
}

const MEMBERS: [&str; 3] = [ADMIN, ANA, BASILE];
const TITLES: [&str; 3] = ["Vélo", "Danse", "Tomates"];

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    /// Three devices act (each step by the device `who`), meeting now and
    /// then; at the end they meet in one of two orders. Every device
    /// computes the same outcome, and the two orders give the same one.
    #[test]
    fn every_device_computes_the_same_outcome_whatever_the_meeting_order(
        steps in proptest::collection::vec((0..3usize, step()), 1..30),
        order in any::<bool>(),
    ) {
        let mut copies = community();
        for (who, step) in &steps {
            let who = *who;
            let ids: Vec<ItemId> = copies[who].view().exchanges.iter().map(|e| e.id.clone())
                .chain(copies[who].view().moderated.iter().map(|m| m.id.clone()))
                .collect();
            let pick = |i: usize| (!ids.is_empty()).then(|| ids[i % ids.len()].clone());
            let copy = &mut copies[who];
            let _ = match step.clone() {
                Step::Add(t) => add_exchange_titled(copy, TITLES[t]).map(|_| ()),
                Step::Retitle(i, t) => match pick(i) {
                    Some(id) => copy.run(Command::Exchanges(ExchangeCommand::UpdateExchange {
                        id, title: Some(TITLES[t].into()), description: None,
                        category: None, mode: None, place: None,
                    })).map(|_| ()),
                    None => Ok(()),
                },
                Step::Hide(i) | Step::Show(i) => match pick(i) {
                    Some(id) => copy.run(Command::Moderation(ModerationCommand::Moderate {
                        kind: ItemKind::Exchange, id,
                        action: matches!(step, Step::Hide(_)).then_some(ModerationAction::Hide),
                        reason: "règle".into(),
                    })).map(|_| ()),
                    None => Ok(()),
                },
                Step::SetRole(m, r) => copy.run(Command::Members(MemberCommand::SetRole {
                    member: MemberId(MEMBERS[m].into()), role: Role::ALL[r],
                })).map(|_| ()),
                Step::WriteRole(m) => {
                    write_role(copy, MEMBERS[m], Role::Admin);
                    Ok(())
                }
                Step::Remove(m) => copy.run(Command::Members(MemberCommand::RemoveMember {
                    member: MemberId(MEMBERS[m].into()),
                })).map(|_| ()),
                Step::Meet(other) => {
                    if other != who {
                        let theirs = copies[other].clone();
                        copies[who].merge_from(&theirs);
                    }
                    Ok(())
                }
                Step::ForgeDevice(m) => {
                    // One forged key per author and target.
                    let forged = key(['s', 't', 'u', 'v', 'w', 'x', 'y', 'z', 'q'][who * 3 + m]);
                    forge_device(copy, MEMBERS[m], &forged);
                    Ok(())
                }
                Step::Unremove(m) => {
                    unremove(copy, MEMBERS[m]);
                    Ok(())
                }
                Step::Pair => {
                    let invite = copy.id();
                    let me = MemberId(MEMBERS[who].into());
                    copy.run(Command::Members(MemberCommand::CreateInvite {
                        id: invite.clone(), secret_hash: common::invite_hash(true),
                        expires_at: copy.now + 1_000_000, member: Some(me),
                    })).and_then(|_| copy.run(Command::Members(MemberCommand::AdmitMember {
                        secret_hash: common::invite_proof(true, invite.as_str(), &key(['d', 'e', 'f'][who])),
                        invite,
                        member: MemberId("01UNUSED".into()), display_name: "tablette".into(),
                        device: key(['d', 'e', 'f'][who]),
                    }))).map(|_| ())
                }
            };
        }
        let meet = |copies: &mut [Copy; 3], pairs: &[(usize, usize)]| {
            for &(a, b) in pairs {
                let theirs = copies[b].clone();
                copies[a].merge_from(&theirs);
            }
        };
        let mut first = copies.clone();
        let mut second = copies;
        let ring = [(0, 1), (1, 2), (2, 0), (0, 1), (1, 2)];
        let star = [(2, 1), (0, 2), (1, 0), (2, 1)];
        meet(&mut first, if order { &ring } else { &star });
        meet(&mut second, if order { &star } else { &ring });
        let expected = outcome(&mut first[0]);
        for copy in first.iter_mut().chain(second.iter_mut()) {
            prop_assert_eq!(&outcome(copy), &expected);
        }
    }
}
