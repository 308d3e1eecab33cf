//! The Agenda, Atelier and Annuaire screens driven like a person would,
//! through the accessibility tree, on a real node with the example community.

mod common;
use common::*;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use passerelle_app::PasserelleApp;
use passerelle_core::model::{CommunityView, RsvpAnswer};

fn fill(h: &mut Harness<'static, PasserelleApp>, label: &str, text: &str) {
    fill_as(h, Role::TextInput, label, text);
}

fn fill_as(h: &mut Harness<'static, PasserelleApp>, role: Role, label: &str, text: &str) {
    wait_until(h, label, |h| {
        h.query_by_role_and_label(role, label).is_some()
    });
    h.get_by_role_and_label(role, label).click();
    h.step();
    h.get_by_role_and_label(role, label).type_text(text);
    h.step();
}

#[test]
fn an_event_is_created_checked_and_answered_yes() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Nadia", "Agenda");
    wait_until(&mut h, "the example events", |h| {
        h.query_by_label("Info'action : réunion de lancement")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Nouvel événement")
        .click();
    h.step();
    let day = now().date_naive() + chrono::Days::new(5);
    fill(&mut h, "Titre", "Atelier tricot");
    fill(&mut h, "Date", "32/13/2026");
    fill(&mut h, "Heure de début", "18h");
    fill(&mut h, "Heure de fin (facultatif)", "20:00");
    fill(&mut h, "Lieu", "Centre social");
    fill(&mut h, "Nombre de places (facultatif)", "8");
    // Under the form's fields and its photos, scrolled to if need be.
    press(&mut h, "Créer l'événement");
    // A wrong date is explained, and nothing is saved.
    wait_until(&mut h, "the date explained", |h| {
        h.query_by_label_contains("La date n'est pas comprise")
            .is_some()
    });
    assert!(!view(&h).events.iter().any(|e| e.title == "Atelier tricot"));

    h.get_by_role_and_label(Role::TextInput, "Date").click();
    h.step();
    for _ in 0.."32/13/2026".len() {
        h.key_press(egui::Key::Backspace);
    }
    h.step();
    h.get_by_role_and_label(Role::TextInput, "Date")
        .type_text(&day.format("%d/%m/%Y").to_string());
    h.step();
    // Under the form's fields and its photos, scrolled to if need be.
    press(&mut h, "Créer l'événement");
    wait_until(&mut h, "the new event", |h| {
        view(h).events.iter().any(|e| e.title == "Atelier tricot")
    });
    let event = view(&h)
        .events
        .iter()
        .find(|e| e.title == "Atelier tricot")
        .cloned()
        .unwrap();
    assert_eq!(event.capacity, Some(8));
    assert_eq!(event.place.as_deref(), Some("Centre social"));
    assert_eq!(event.end.unwrap() - event.start, 2 * 3_600_000);
    assert!(event.rsvps.is_empty());

    // The new event opens on its own; answer yes.
    wait_until(&mut h, "the event's detail", |h| {
        h.query_by_role_and_label(Role::Button, "Oui, je viens")
            .is_some()
    });
    // In the list and in the detail.
    assert_eq!(h.query_all_by_label("0 / 8 inscrits").count(), 2);
    h.get_by_role_and_label(Role::Button, "Oui, je viens")
        .click();
    let me = member_id(&h, "Nadia");
    wait_until(&mut h, "the RSVP", |h| {
        view(h)
            .events
            .iter()
            .any(|e| e.id == event.id && e.rsvps.contains_key(me.as_str()))
    });
    let v = view(&h);
    let saved = v.events.iter().find(|e| e.id == event.id).unwrap();
    assert_eq!(saved.rsvps[me.as_str()].answer, RsvpAnswer::Yes);
    assert_eq!(saved.attending(), 1);
    wait_until(&mut h, "the count in the detail", |h| {
        h.query_by_label("Votre réponse : Oui, je viens").is_some()
    });
    assert!(h.query_by_label("1 / 8 inscrits").is_some());
    assert!(h.query_by_label("1 / 8 inscrits · Nadia").is_some());
    h.run();
}

#[test]
fn the_month_grid_shows_an_event_and_opens_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Karim", "Agenda");
    h.get_by_role_and_label(Role::Button, "Mois").click();
    h.step();
    // The launch meeting is three days away: this month or the next.
    let title = "Info'action : réunion de lancement";
    if h.query_by_label_contains(title).is_none() {
        h.get_by_role_and_label(Role::Button, "Mois suivant")
            .click();
        h.step();
    }
    h.get_by_label_contains(title).click();
    wait_until(&mut h, "the event's detail", |h| {
        h.query_by_label_contains("Présentation du système d'échange")
            .is_some()
    });
    assert!(h.query_by_label("Lieu : Centre social").is_some());
    assert!(h.query_by_label_contains("/ 30 inscrits").is_some());
    h.run();
}

#[test]
fn a_vote_is_given_then_taken_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Agathe", "Atelier");
    wait_until(&mut h, "the ideas", |h| {
        h.query_all_by_role_and_label(Role::Button, "Voter")
            .next()
            .is_some()
    });
    let me = member_id(&h, "Agathe");
    let before = view(&h);
    assert!(
        before
            .ideas
            .iter()
            .all(|i| !i.votes.contains_key(me.as_str()))
    );
    let total = |v: &CommunityView| v.ideas.iter().map(|i| i.votes.len()).sum::<usize>();
    let total_before = total(&before);

    h.get_all_by_role_and_label(Role::Button, "Voter")
        .next()
        .unwrap()
        .click();
    wait_until(&mut h, "the vote", |h| {
        view(h)
            .ideas
            .iter()
            .any(|i| i.votes.contains_key(me.as_str()))
    });
    let voted = view(&h);
    let idea = voted
        .ideas
        .iter()
        .find(|i| i.votes.contains_key(me.as_str()))
        .unwrap();
    let count = before
        .ideas
        .iter()
        .find(|i| i.id == idea.id)
        .unwrap()
        .votes
        .len();
    assert_eq!(idea.votes.len(), count + 1);
    assert_eq!(total(&voted), total_before + 1);
    wait_until(&mut h, "the voted mark", |h| {
        h.query_by_label_contains("Vous avez voté").is_some()
    });

    h.get_by_role_and_label(Role::Button, "Retirer mon vote")
        .click();
    wait_until(&mut h, "the vote taken back", |h| {
        !view(h)
            .ideas
            .iter()
            .any(|i| i.votes.contains_key(me.as_str()))
    });
    let after = view(&h);
    assert_eq!(
        after
            .ideas
            .iter()
            .find(|i| i.id == idea.id)
            .unwrap()
            .votes
            .len(),
        count
    );
    assert_eq!(total(&after), total_before);
    h.step();
    assert!(h.query_by_label_contains("Vous avez voté").is_none());
    h.run();
}

#[test]
fn an_idea_is_added_at_table_two() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Leila", "Atelier");
    let text = "Une bourse aux outils entre associations";
    fill_as(&mut h, Role::MultilineTextInput, "Votre idée", text);
    h.get_by_role_and_label(Role::ComboBox, "Table").click();
    wait_until(&mut h, "the table list", |h| {
        h.query_by_label("Table 2").is_some()
    });
    h.get_by_label("Table 2").click();
    h.step();
    h.get_by_role_and_label(Role::Button, "Ajouter l'idée")
        .click();
    wait_until(&mut h, "the new idea", |h| {
        view(h).ideas.iter().any(|i| i.text.as_str() == text)
    });
    let v = view(&h);
    let idea = v.ideas.iter().find(|i| i.text.as_str() == text).unwrap();
    assert_eq!(idea.table, Some(2));
    assert!(idea.votes.is_empty());
    assert_eq!(v.ideas.iter().filter(|i| i.table == Some(2)).count(), 3);
    // Listed under its table, and the form is empty again.
    wait_until(&mut h, "the idea in the list", |h| {
        h.query_by_label(text).is_some()
    });
    assert!(h.query_by_label_contains("Table 2 — 3 idées").is_some());
    h.run();
}

#[test]
fn an_actor_is_created_with_tags_and_linked_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = example_on(dir.path(), "Marion", "Annuaire");
    wait_until(&mut h, "the example annuaire", |h| {
        h.query_by_label("Jardins de Gorki").is_some()
    });
    h.get_by_role_and_label(Role::Button, "Nouvelle fiche")
        .click();
    wait_until(&mut h, "the new entry form", |h| {
        h.query_by_role_and_label(Role::Button, "Lieu").is_some()
    });
    h.get_by_role_and_label(Role::Button, "Lieu").click();
    h.step();
    fill(&mut h, "Nom", "Ressourcerie du quartier");
    fill(&mut h, "E-mail", "bonjour@ressourcerie.example");
    fill(
        &mut h,
        "Mots-clés (séparés par des virgules)",
        "Réemploi, vélo, réemploi",
    );
    h.get_by_role_and_label(Role::Button, "Créer la fiche")
        .click();
    wait_until(&mut h, "the new entry", |h| {
        view(h)
            .community
            .actors
            .iter()
            .any(|a| a.name == "Ressourcerie du quartier")
    });
    let v = view(&h);
    let actor = v
        .community
        .actors
        .iter()
        .find(|a| a.name == "Ressourcerie du quartier")
        .unwrap()
        .clone();
    assert_eq!(actor.tags, ["réemploi", "vélo"]);
    assert_eq!(
        actor.contact.email.as_deref(),
        Some("bonjour@ressourcerie.example")
    );
    let solene = v
        .community
        .actors
        .iter()
        .find(|a| a.name == "Solène")
        .unwrap()
        .id
        .clone();

    // The new entry is open; only it is listed once filtered by its name.
    fill(&mut h, "Filtrer par nom", "ressourcerie");
    wait_until(&mut h, "the entry's detail", |h| {
        h.query_by_role_and_label(Role::ComboBox, "Autre fiche")
            .is_some()
            && h.query_by_label("Jardins de Gorki").is_none()
    });
    h.get_by_role_and_label(Role::ComboBox, "Autre fiche")
        .scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Autre fiche")
        .click();
    wait_until(&mut h, "the entries to link", |h| {
        h.query_by_label("Solène").is_some()
    });
    // The list of entries scrolls: Solène is near its end.
    h.get_by_label("Solène").scroll_to_me();
    h.run();
    h.get_by_label("Solène").click();
    h.step();
    h.get_by_role_and_label(Role::Button, "Relier").click();
    wait_until(&mut h, "the link", |h| {
        view(h)
            .community
            .links
            .iter()
            .any(|l| l.from == actor.id && l.to == solene)
    });
    let link = view(&h)
        .community
        .links
        .iter()
        .find(|l| l.from == actor.id)
        .cloned()
        .unwrap();
    assert_eq!(link.label, "partenaire de");
    wait_until(&mut h, "the link in the detail", |h| {
        h.query_by_label("Ressourcerie du quartier partenaire de")
            .is_some()
    });

    // Following the link opens Solène, where the link reads the other way.
    h.get_by_role_and_label(Role::Link, "Solène").click();
    wait_until(&mut h, "Solène's entry", |h| {
        h.query_by_label("partenaire de Solène").is_some()
    });
    assert!(
        h.query_by_role_and_label(Role::Link, "Ressourcerie du quartier")
            .is_some()
    );
    assert!(h.query_by_label("Anime le Club des communautés.").is_some());
    h.run();
}
