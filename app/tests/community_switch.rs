//! Two communities on one device, every screen that keeps rows derived from
//! the view visited in one, then in the other, then in the first again, and
//! once more after a change rebuilt a part of the view: each screen shows
//! the rows of the community shown, never the other's, and none panics
//! (a stale row index past the end of the new list would).

mod common;
use common::*;

use chrono::{Offset, TimeZone};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use passerelle_core::model::booking::{Bookable, parse_hours};
use passerelle_core::model::{
    ActorKind, AgendaCommand, AnnuaireCommand, BookingCommand, Command, CommunityId, Contact,
    DeviceKey, FilCommand, IdeaCommand, ItemId, MemberCommand, MemberId, Role as MemberRole,
    SavoirsCommand,
};
use passerelle_core::{Handle, Node, NodeConfig};

/// What one community shows on each screen, and so what the other must not.
struct Shown {
    name: &'static str,
    post: &'static str,
    event: &'static str,
    place: &'static str,
    booking: &'static str,
    idea: &'static str,
    actor: &'static str,
    sheet: &'static str,
    member: &'static str,
}

/// The example community, with its Centre social made bookable and booked.
const EXAMPLE: Shown = Shown {
    name: "Échange de savoirs du quartier (exemple)",
    post: "Bienvenue à toutes et à tous",
    event: "Info'action : réunion de lancement",
    place: "Centre social",
    booking: "Atelier pain",
    idea: "Un lieu commun où travailleurs sociaux",
    actor: "Jardins de Gorki",
    sheet: "Fiche projet : système d'échange de savoirs",
    member: "Marion",
};

/// A small community made here: one of everything, Nadia and Gaspard.
const GARDEN: Shown = Shown {
    name: "Jardin des Lilas",
    post: "Les premiers radis sont sortis",
    event: "Troc de graines anciennes",
    place: "Serre des Lilas",
    booking: "Repiquage des poireaux",
    idea: "Un composteur collectif au pied des immeubles",
    actor: "Serre des Lilas",
    sheet: "Tailler les rosiers",
    member: "Gaspard",
};

#[test]
fn every_screen_shows_the_community_switched_to_and_back() {
    let dir = tempfile::tempdir().unwrap();
    two_communities(dir.path());
    let mut h = harness(dir.path());
    wait_until(&mut h, "a community", |h| h.state().view().is_some());
    switch_to(&mut h, &EXAMPLE);

    visit_every_screen(&mut h, &EXAMPLE, &GARDEN);
    switch_to(&mut h, &GARDEN);
    visit_every_screen(&mut h, &GARDEN, &EXAMPLE);
    switch_to(&mut h, &EXAMPLE);
    visit_every_screen(&mut h, &EXAMPLE, &GARDEN);

    // A new entry of the Annuaire rebuilds the example's community part
    // (members, places, themes): the screens derive their rows again from
    // it, and the garden's stay the garden's.
    go(&mut h, "Annuaire");
    press(&mut h, "Nouvelle fiche");
    wait_until(&mut h, "the new entry form", |h| {
        h.query_by_role_and_label(Role::Button, "Lieu").is_some()
    });
    press(&mut h, "Lieu");
    type_into(&mut h, "Nom", "Ressourcerie du quartier");
    press(&mut h, "Créer la fiche");
    wait_until(&mut h, "the new entry", |h| {
        view(h)
            .community
            .actors
            .iter()
            .any(|a| a.name == "Ressourcerie du quartier")
    });
    switch_to(&mut h, &GARDEN);
    visit_every_screen(&mut h, &GARDEN, &EXAMPLE);
    go(&mut h, "Annuaire");
    assert!(!shows(&h, "Ressourcerie du quartier"));
    switch_to(&mut h, &EXAMPLE);
    visit_every_screen(&mut h, &EXAMPLE, &GARDEN);
    go(&mut h, "Annuaire");
    // Entries are cards: a long annuaire shows its end once filtered.
    type_into(&mut h, "Filtrer par nom", "ressourcerie");
    wait_until(&mut h, "the new entry listed", |h| {
        shows(h, "Ressourcerie du quartier")
    });
}

/// Picks `community` in the navigation and waits for its view.
fn switch_to(h: &mut H, community: &Shown) {
    if view(h).community.name == community.name {
        return;
    }
    h.get_by_role_and_label(Role::ComboBox, "Communauté")
        .click();
    h.step();
    wait_until(h, community.name, |h| {
        h.query_by_label_contains(&format!("{} (", community.name))
            .is_some()
    });
    h.get_by_label_contains(&format!("{} (", community.name))
        .click();
    wait_until(h, "the view switched to", |h| {
        h.state()
            .view()
            .is_some_and(|v| v.community.name == community.name)
    });
    h.step();
}

/// Shows `text` once the screen has settled.
fn expect(h: &mut H, screen: &str, text: &str) {
    wait_until(h, &format!("{text} on {screen}"), |h| shows(h, text));
}

/// `text` of the other community is nowhere on the screen.
fn expect_not(h: &H, screen: &str, text: &str) {
    assert!(
        !shows(h, text),
        "{screen} shows {text:?} of the other community"
    );
}

fn visit_every_screen(h: &mut H, this: &Shown, other: &Shown) {
    go(h, "Fil");
    expect(h, "Fil", this.post);
    expect_not(h, "Fil", other.post);

    go(h, "Agenda");
    press(h, "Liste");
    expect(h, "Agenda", this.event);
    expect_not(h, "Agenda", other.event);
    press(h, "Mois");
    expect_not(h, "the month", other.event);
    press(h, "Réservations");
    expect(h, "Réservations", this.booking);
    expect_not(h, "Réservations", other.place);
    expect_not(h, "Réservations", other.booking);
    press(h, "Liste");

    go(h, "Atelier");
    expect(h, "Atelier", this.idea);
    expect_not(h, "Atelier", other.idea);

    go(h, "Annuaire");
    expect(h, "Annuaire", this.actor);
    expect_not(h, "Annuaire", other.actor);
    // A bookable place's section: its bookings.
    h.get_by_label(this.place).click();
    h.step();
    h.step();
    expect(h, "the place", this.booking);
    expect_not(h, "the place", other.booking);

    go(h, "Savoirs");
    expect(h, "Savoirs", this.sheet);
    expect_not(h, "Savoirs", other.sheet);

    go(h, "Bilan");
    // Since the beginning, the events planned are counted, one row each.
    let period = |h: &H| {
        h.get_by_role_and_label(Role::ComboBox, "Période")
            .accesskit_node()
            .value()
    };
    if period(h).as_deref() != Some("Depuis le début") {
        h.get_by_role_and_label(Role::ComboBox, "Période").click();
        wait_until(h, "the periods", |h| {
            h.query_by_label("Depuis le début").is_some()
        });
        h.get_by_label("Depuis le début").click();
        h.step();
        h.step();
    }
    expect(h, "Bilan", &format!(". {}", this.event));
    expect_not(h, "Bilan", &format!(". {}", other.event));

    go(h, "Membres");
    expect(h, "Membres", this.member);
    expect_not(h, "Membres", other.member);
}

/// A data directory where Nadia holds the example community and the
/// garden's, a place of each bookable and booked tomorrow.
fn two_communities(dir: &std::path::Path) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let node = Node::start(NodeConfig::new(dir.to_owned())).unwrap();
        let h = node.handle();
        h.set_display_name("Nadia").await.unwrap();
        let example = h.load_example().await.unwrap();
        let centre = h
            .view(&example)
            .await
            .unwrap()
            .community
            .actors
            .iter()
            .find(|a| a.name == EXAMPLE.place)
            .expect("the example has its Centre social")
            .id
            .clone();
        book(&h, &example, &centre, EXAMPLE.booking).await;

        let garden = h.create_community(GARDEN.name, "").await.unwrap();
        let serre = h.new_id();
        let now = now().timestamp_millis();
        let day = 24 * 3_600_000;
        for command in [
            Command::Members(MemberCommand::AddMember {
                id: MemberId("01KGASPARD".into()),
                display_name: GARDEN.member.into(),
                role: MemberRole::Membre,
                device: DeviceKey("g".repeat(64)),
                device_label: String::new(),
            }),
            Command::Fil(FilCommand::AddPost {
                id: h.new_id(),
                text: GARDEN.post.into(),
            }),
            Command::Agenda(AgendaCommand::AddEvent {
                id: h.new_id(),
                title: GARDEN.event.into(),
                description: String::new(),
                start: now + 2 * day,
                end: None,
                place: None,
                capacity: None,
            }),
            Command::Ideas(IdeaCommand::AddIdea {
                id: h.new_id(),
                text: GARDEN.idea.into(),
                theme: None,
                table: Some(1),
            }),
            Command::Annuaire(AnnuaireCommand::AddActor {
                id: serre.clone(),
                kind: ActorKind::Place,
                name: GARDEN.place.into(),
                description: String::new(),
                contact: Contact::default(),
                address: None,
                tags: vec![],
            }),
            Command::Savoirs(SavoirsCommand::AddSheet {
                id: h.new_id(),
                title: GARDEN.sheet.into(),
                sections: vec![("En mars".into(), "Couper au-dessus d'un œil.".into())],
            }),
        ] {
            h.apply(&garden, command).await.unwrap();
        }
        book(&h, &garden, &serre, GARDEN.booking).await;
        node.shutdown().await;
    });
}

/// Makes `place` bookable every day and books it tomorrow 10:00-12:00.
async fn book(h: &Handle, community: &CommunityId, place: &ItemId, note: &str) {
    let offset = now().offset().fix();
    let bookable = Command::Booking(BookingCommand::SetBookable {
        place: place.clone(),
        bookable: Some(Bookable {
            openings: parse_hours("lun-dim 08:00-20:00").unwrap(),
            capacity: 1,
            slot_minutes: 60,
            referent: None,
            utc_offset_minutes: i64::from(offset.local_minus_utc() / 60),
        }),
    });
    h.apply(community, bookable).await.unwrap();
    let day = now().date_naive() + chrono::Days::new(1);
    let at = |hour: u32| {
        let time = day.and_hms_opt(hour, 0, 0).unwrap();
        offset
            .from_local_datetime(&time)
            .unwrap()
            .timestamp_millis()
    };
    let booking = Command::Booking(BookingCommand::BookPlace {
        id: h.new_id(),
        place: place.clone(),
        start: at(10),
        end: at(12),
        note: note.into(),
    });
    h.apply(community, booking).await.unwrap();
}
