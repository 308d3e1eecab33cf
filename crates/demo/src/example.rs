//! The example community, drawn from the groups Passerelle is made for: a
//! skill-exchange circle in a social centre (vélo, danse, garde d'enfants),
//! its thematic groups, the cuisine d'Authenti'Cité and the jardins de Gorki,
//! and the seven themes of a "Grande Rencontre".
//!
//! It is built through the same typed commands as everything else. The other
//! members are fictional: their device keys are made-up values that no real
//! device holds, so they can never connect.

use passerelle_model::command::{
    AgendaCommand, AnnuaireCommand, Author, Command, CommandError, ExchangeCommand, FilCommand,
    GroupCommand, IdeaCommand, MemberCommand, SavoirsCommand,
};
use passerelle_model::entities::*;
use passerelle_model::ids::{DeviceKey, ItemId, MemberId, Timestamp};
use passerelle_model::layout::{CommunityDocs, Genesis};
use passerelle_model::normalize::slug;

const DAY: Timestamp = 24 * 60 * 60 * 1000;
const HOUR: Timestamp = 60 * 60 * 1000;

/// Builds the example community, with `me` as its admin.
///
/// `random` supplies fresh randomness for every id; `now` anchors every date
/// (events are in the coming weeks, échanges in the past ones).
pub fn example_community(
    actor: &automerge::ActorId,
    me: (&DeviceKey, &str),
    now: Timestamp,
    random: &mut dyn FnMut() -> u128,
) -> Result<CommunityDocs, CommandError> {
    build(actor, me, now, random, true)
}

/// The example community as versions before signed changes made it: its
/// genesis does not ask for signatures (see [`passerelle_model::epoch`] for how such a
/// community starts requiring them).
pub fn example_community_legacy(
    actor: &automerge::ActorId,
    me: (&DeviceKey, &str),
    now: Timestamp,
    random: &mut dyn FnMut() -> u128,
) -> Result<CommunityDocs, CommandError> {
    build(actor, me, now, random, false)
}

/// The example community, written out as data: every member, échange,
/// event, group, idea, place and sheet of the seeds, in the order a group
/// would have made them. The one function allowed past 150 lines (its
/// length is the content, not logic); split it only along the
/// community's story.
fn build(
    actor: &automerge::ActorId,
    me: (&DeviceKey, &str),
    now: Timestamp,
    random: &mut dyn FnMut() -> u128,
    signed: bool,
) -> Result<CommunityDocs, CommandError> {
    let creator = Member {
        id: MemberId::from_parts(now, random()),
        display_name: me.1.to_owned(),
        role: Role::Admin,
        devices: [(
            me.0.0.clone(),
            Device {
                revoked: None,
                added_at: now,
                label: "cet appareil".into(),
            },
        )]
        .into(),
        skills: vec![],
        languages: vec!["français".into()],
        joined_at: now - 60 * DAY,
        removed_at: None,
    };
    let genesis = Genesis::new(
        "Échange de savoirs du quartier (exemple)",
        "Nous possédons tous des savoirs qui ne sont pas toujours valorisés. Un système d'échange \
         permet de les partager tout en créant du lien entre nous : réparer un vélo, danser, garder \
         des enfants pendant un entretien, se former ensemble.",
        creator,
        me.0,
        now - 60 * DAY,
        random,
    )?;
    let mut docs = if signed {
        CommunityDocs::create_signed(genesis, actor)?
    } else {
        CommunityDocs::create(genesis, actor)?
    };
    let mut b = Builder {
        docs: &mut docs,
        random,
        now,
        me: Author {
            device: me.0.clone(),
        },
    };

    let people = [
        ("Marion", Role::Animateur, &["animation", "danse"][..]),
        ("Ana", Role::Membre, &["danse", "espagnol"][..]),
        ("Leila", Role::Membre, &["cuisine", "couture"][..]),
        ("Karim", Role::Membre, &["informatique"][..]),
        ("Moussa", Role::Membre, &["vélo", "bricolage"][..]),
        (
            "Chantal",
            Role::Membre,
            &["garde d'enfants", "jardinage"][..],
        ),
        ("Sophie", Role::Membre, &["emploi", "cv"][..]),
    ];
    let mut authors = Vec::new();
    for (name, role, skills) in people {
        let device = DeviceKey(format!("{:032x}{:032x}", (b.random)(), (b.random)()));
        let id = MemberId::from_parts(now, (b.random)());
        b.run(
            &b.me.clone(),
            Command::Members(MemberCommand::AddMember {
                id,
                display_name: name.into(),
                role,
                device: device.clone(),
                device_label: "portable".into(),
            }),
            50,
        )?;
        let author = Author { device };
        b.run(
            &author,
            Command::Members(MemberCommand::UpdateProfile {
                display_name: None,
                skills: Some(skills.iter().map(|s| s.to_string()).collect()),
                languages: Some(vec!["français".into()]),
            }),
            50,
        )?;
        authors.push(author);
    }
    let [marion, ana, leila, karim, moussa, chantal, sophie] =
        <[Author; 7]>::try_from(authors).map_err(|_| CommandError::NotAMember)?;

    use ExchangeKind::{Need, Offer};
    use ExchangeMode::*;
    let exchanges: [(&Author, ExchangeKind, &str, &str, &str, ExchangeMode, i64); 13] = [
        (
            &karim,
            Need,
            "Réparer mon vélo",
            "J'ai besoin d'aide pour réparer mon vélo : la chaîne saute et les freins sont mous.",
            "bricolage",
            CoupDeMain,
            30,
        ),
        (
            &moussa,
            Offer,
            "Réparation de vélos : je vous montre",
            "Je vous apprends à réparer votre vélo vous-même : chaîne, freins, crevaisons.",
            "bricolage",
            Savoir,
            28,
        ),
        (
            &ana,
            Offer,
            "Je partage ma connaissance en danse",
            "Salsa et danses afro, le samedi matin, débutants bienvenus.",
            "danse-et-culture",
            Savoir,
            25,
        ),
        (
            &leila,
            Need,
            "Garde d'enfants pendant un entretien d'embauche",
            "Entretien jeudi matin, j'ai besoin que quelqu'un garde mes deux enfants (3 et 6 ans).",
            "garde-d-enfants",
            CoupDeMain,
            6,
        ),
        (
            &chantal,
            Offer,
            "Je peux garder vos enfants le mardi et le jeudi",
            "Garde d'enfants pour souffler ou pour un entretien, chez moi près du centre social.",
            "garde-d-enfants",
            CoupDeMain,
            20,
        ),
        (
            &sophie,
            Need,
            "Qui veut me montrer comment déboucher un évier ?",
            "Mon évier est bouché, j'aimerais apprendre à le faire moi-même.",
            "bricolage",
            Savoir,
            4,
        ),
        (
            &leila,
            Offer,
            "Cuisine du monde à la cuisine d'Authenti'Cité",
            "Je montre mes recettes de couscous et de pastilla, dans la cuisine d'Authenti'Cité.",
            "cuisine",
            Savoir,
            18,
        ),
        (
            &chantal,
            Offer,
            "Plants de tomates à donner",
            "Des plants de tomates et de courges aux jardins de Gorki, venez les chercher.",
            "jardinage",
            Don,
            10,
        ),
        (
            &karim,
            Need,
            "Relire mon CV",
            "Je cherche un emploi dans la logistique, quelqu'un peut relire mon CV ?",
            "emploi",
            Savoir,
            8,
        ),
        (
            &sophie,
            Offer,
            "Relecture de CV et simulation d'entretien",
            "Je relis votre CV et on prépare ensemble votre entretien d'embauche.",
            "emploi",
            Savoir,
            15,
        ),
        (
            &moussa,
            Offer,
            "Prêt d'une perceuse",
            "Perceuse-visseuse à prêter pour le week-end.",
            "bricolage",
            Pret,
            12,
        ),
        (
            &ana,
            Need,
            "Conversation en anglais",
            "J'aimerais pratiquer l'anglais une heure par semaine, en échange de cours d'espagnol.",
            "langues",
            Troc,
            3,
        ),
        (
            &karim,
            Offer,
            "Initiation à l'informatique",
            "Allumer un ordinateur, envoyer un mail, remplir un formulaire en ligne.",
            "informatique",
            Savoir,
            2,
        ),
    ];
    let mut exchange_ids = Vec::new();
    for (who, kind, title, description, category, mode, days_ago) in exchanges {
        let id = b.id(now - days_ago * DAY);
        b.run(
            who,
            Command::Exchanges(ExchangeCommand::AddExchange {
                id: id.clone(),
                kind,
                title: title.into(),
                description: description.into(),
                category: category.into(),
                mode,
                place: None,
            }),
            days_ago * DAY,
        )?;
        exchange_ids.push(id);
    }
    let reply = b.id(now - 5 * DAY);
    b.run(
        &chantal,
        Command::Exchanges(ExchangeCommand::ReplyToExchange {
            exchange: exchange_ids[3].clone(),
            id: reply,
            kind: ReplyKind::CanHelp,
            text: "Je suis libre jeudi matin, déposez-les à 8 h 30.".into(),
        }),
        5 * DAY,
    )?;
    b.run(
        &chantal,
        Command::Exchanges(ExchangeCommand::SetExchangeStatus {
            id: exchange_ids[3].clone(),
            status: ExchangeStatus::InProgress,
        }),
        5 * DAY,
    )?;
    let reply = b.id(now - 2 * DAY);
    b.run(
        &b.me.clone(),
        Command::Exchanges(ExchangeCommand::ReplyToExchange {
            exchange: exchange_ids[2].clone(),
            id: reply,
            kind: ReplyKind::Interested,
            text: "Ça m'intéresse !".into(),
        }),
        2 * DAY,
    )?;
    b.run(
        &moussa,
        Command::Exchanges(ExchangeCommand::SetExchangeStatus {
            id: exchange_ids[10].clone(),
            status: ExchangeStatus::Done,
        }),
        DAY,
    )?;

    // (who, title, description, in how many days, hours, place, capacity)
    type EventRow<'a> = (&'a Author, &'a str, &'a str, i64, i64, &'a str, Option<i64>);
    let events: [EventRow; 5] = [
        (
            &marion,
            "Info'action : réunion de lancement",
            "Présentation du système d'échange de savoirs et des groupes thématiques.",
            3,
            2,
            "Centre social",
            Some(30),
        ),
        (
            &leila,
            "Journée découverte cuisine",
            "On cuisine ensemble dans la cuisine de l'association Authenti'Cité.",
            10,
            5,
            "Cuisine d'Authenti'Cité",
            Some(12),
        ),
        (
            &chantal,
            "Atelier jardinage",
            "Semis et plantations aux jardins de Gorki.",
            13,
            3,
            "Jardins de Gorki",
            None,
        ),
        (
            &marion,
            "Pik-nik de quartier",
            "Chacun apporte un plat à partager.",
            17,
            4,
            "Parc du quartier",
            None,
        ),
        (
            &marion,
            "Grande Rencontre : 6 tables, 50 idées",
            "60 personnes réparties en 6 tables pour faire émerger des idées de collaborations.",
            24,
            4,
            "Centre social",
            Some(60),
        ),
    ];
    let mut event_ids = Vec::new();
    for (who, title, description, in_days, hours, place, capacity) in events {
        let id = b.id(now);
        let start = (now / DAY + in_days) * DAY + 14 * HOUR;
        b.run(
            who,
            Command::Agenda(AgendaCommand::AddEvent {
                id: id.clone(),
                title: title.into(),
                description: description.into(),
                start,
                end: Some(start + hours * HOUR),
                place: Some(place.into()),
                capacity,
            }),
            DAY,
        )?;
        event_ids.push(id);
    }
    for (who, answer) in [
        (&ana, RsvpAnswer::Yes),
        (&leila, RsvpAnswer::Yes),
        (&karim, RsvpAnswer::Maybe),
        (&moussa, RsvpAnswer::No),
        (&sophie, RsvpAnswer::Yes),
    ] {
        b.run(
            who,
            Command::Agenda(AgendaCommand::Rsvp {
                event: event_ids[0].clone(),
                answer,
            }),
            HOUR,
        )?;
    }
    for who in [&ana, &chantal, &karim] {
        b.run(
            who,
            Command::Agenda(AgendaCommand::Rsvp {
                event: event_ids[1].clone(),
                answer: RsvpAnswer::Yes,
            }),
            HOUR,
        )?;
    }

    let groups: [(&Author, &str, &str); 6] = [
        (
            &leila,
            "Cuisine",
            "Recettes, journées découverte à la cuisine d'Authenti'Cité.",
        ),
        (
            &karim,
            "Informatique",
            "Accès aux postes informatiques, démarches en ligne, entraide.",
        ),
        (
            &chantal,
            "Jardinage",
            "Les jardins de Gorki et les balcons du quartier.",
        ),
        (&moussa, "Bricolage", "Outils partagés, réparations, vélo."),
        (
            &ana,
            "Langues",
            "Conversation en français, anglais, espagnol, arabe.",
        ),
        (
            &marion,
            "Cercle recherche d'emploi",
            "Une micro-communauté d'une dizaine de personnes en transition professionnelle, avec une animatrice.",
        ),
    ];
    let mut group_ids = Vec::new();
    for (who, name, description) in groups {
        let id = b.id(now - 40 * DAY);
        b.run(
            who,
            Command::Groups(GroupCommand::AddGroup {
                id: id.clone(),
                name: name.into(),
                theme: None,
                description: description.into(),
            }),
            40 * DAY,
        )?;
        group_ids.push(id);
    }
    for who in [&karim, &sophie, &leila, &b.me.clone()] {
        b.run(
            who,
            Command::Groups(GroupCommand::JoinGroup {
                group: group_ids[5].clone(),
            }),
            30 * DAY,
        )?;
    }
    for (who, text) in [
        (
            &marion,
            "Bienvenue dans le cercle ! On se retrouve chaque mardi pour faire le point.",
        ),
        (
            &karim,
            "J'ai un entretien la semaine prochaine, quelqu'un pour une simulation ?",
        ),
        (&sophie, "Oui, je peux jeudi après-midi."),
    ] {
        let id = b.id(now - 3 * DAY);
        b.run(
            who,
            Command::Groups(GroupCommand::PostInGroup {
                group: group_ids[5].clone(),
                id,
                text: text.into(),
            }),
            3 * DAY,
        )?;
    }
    let meeting = Meeting {
        at: (now / DAY + 2) * DAY + 18 * HOUR,
        place: Some("Centre social, salle 2".into()),
    };
    b.run(
        &marion,
        Command::Groups(GroupCommand::SetNextMeeting {
            group: group_ids[5].clone(),
            meeting: Some(meeting),
        }),
        DAY,
    )?;

    let ideas: [(&str, &str, i64); 9] = [
        (
            "Un lieu commun où travailleurs sociaux et entrepreneurs sociaux se croisent chaque mois",
            "lieux-de-rencontre",
            1,
        ),
        (
            "Des formations croisées : un travailleur social en immersion dans une entreprise sociale",
            "formation-et-apprentissage",
            2,
        ),
        (
            "Un podcast qui raconte les coopérations réussies du territoire",
            "communication-et-valorisation",
            3,
        ),
        (
            "Un plaidoyer commun pour simplifier les financements partagés",
            "dispositions-legales-et-plaidoyer",
            4,
        ),
        (
            "Cartographier les initiatives inspirantes du quartier",
            "observer-et-inspirer",
            5,
        ),
        (
            "Une instance tierce de médiation entre ESS et travail social",
            "instances-et-outils-tiers",
            6,
        ),
        (
            "Des fiches projets partagées pour capitaliser les pratiques",
            "mise-en-commun-des-pratiques",
            1,
        ),
        (
            "Des cafés-rencontres itinérants dans les lieux partenaires",
            "lieux-de-rencontre",
            2,
        ),
        (
            "Un annuaire partagé des acteurs de la solidarité",
            "observer-et-inspirer",
            3,
        ),
    ];
    let mut idea_ids = Vec::new();
    for (n, (text, theme, table)) in ideas.into_iter().enumerate() {
        let who = [&marion, &ana, &leila, &karim, &moussa, &chantal, &sophie][n % 7];
        let id = b.id(now - 20 * DAY);
        b.run(
            who,
            Command::Ideas(IdeaCommand::AddIdea {
                id: id.clone(),
                text: text.into(),
                theme: Some(theme.into()),
                table: Some(table),
            }),
            20 * DAY,
        )?;
        idea_ids.push(id);
    }
    for (n, who) in [&marion, &ana, &leila, &karim, &moussa]
        .into_iter()
        .enumerate()
    {
        b.run(
            who,
            Command::Ideas(IdeaCommand::Vote {
                idea: idea_ids[n % 3].clone(),
            }),
            19 * DAY,
        )?;
        b.run(
            who,
            Command::Ideas(IdeaCommand::Vote {
                idea: idea_ids[6].clone(),
            }),
            19 * DAY,
        )?;
    }

    // (name, kind, description, address, tags)
    type ActorRow<'a> = (&'a str, ActorKind, &'a str, Option<&'a str>, &'a [&'a str]);
    let actors: [ActorRow; 7] = [
        (
            "Authenti'Cité",
            ActorKind::Organisation,
            "Association qui met sa cuisine à disposition pour des journées découverte.",
            None,
            &["cuisine", "association"],
        ),
        (
            "Cuisine d'Authenti'Cité",
            ActorKind::Place,
            "Cuisine équipée, 12 personnes.",
            Some("Rez-de-chaussée, rue du Marché"),
            &["cuisine", "lieu"],
        ),
        (
            "Jardins de Gorki",
            ActorKind::Place,
            "Jardins partagés ouverts aux habitants.",
            Some("Allée Gorki"),
            &["jardinage", "lieu"],
        ),
        (
            "Centre social",
            ActorKind::Place,
            "Salles de réunion et postes informatiques en accès libre.",
            Some("Place de la Mairie"),
            &["informatique", "réunion", "lieu"],
        ),
        (
            "La Compagnie Générale des Autres",
            ActorKind::Organisation,
            "Favorise les coopérations entre acteurs de la solidarité.",
            None,
            &["solidarité", "coopération"],
        ),
        (
            "Crèche Les Petits Pas",
            ActorKind::Organisation,
            "Crèche partenaire pour la garde d'enfants ponctuelle.",
            Some("Rue des Écoles"),
            &["garde d'enfants"],
        ),
        (
            "Solène",
            ActorKind::Person,
            "Anime le Club des communautés.",
            None,
            &["communautés", "animation"],
        ),
    ];
    let mut actor_ids = Vec::new();
    for (name, kind, description, address, tags) in actors {
        let id = b.id(now - 30 * DAY);
        let contact = match kind {
            ActorKind::Organisation => Contact {
                email: Some(format!("contact@{}.example", slug(name))),
                phone: Some("01 23 45 67 89".into()),
                website: None,
            },
            _ => Contact::default(),
        };
        b.run(
            &marion,
            Command::Annuaire(AnnuaireCommand::AddActor {
                id: id.clone(),
                kind,
                name: name.into(),
                description: description.into(),
                contact,
                address: address.map(Into::into),
                tags: tags.iter().map(|t| t.to_string()).collect(),
            }),
            30 * DAY,
        )?;
        actor_ids.push(id);
    }
    for (from, to, label) in [
        (0, 1, "gère"),
        (4, 0, "accompagne"),
        (3, 2, "partenaire de"),
        (5, 3, "partenaire de"),
    ] {
        let id = b.id(now - 29 * DAY);
        b.run(
            &marion,
            Command::Annuaire(AnnuaireCommand::LinkActors {
                id,
                from: actor_ids[from].clone(),
                to: actor_ids[to].clone(),
                label: label.into(),
            }),
            29 * DAY,
        )?;
    }

    let sheet = b.id(now - 15 * DAY);
    b.run(&marion, Command::Savoirs(SavoirsCommand::AddSheet {
        id: sheet.clone(),
        title: "Fiche projet : système d'échange de savoirs".into(),
        sections: vec![
            ("Objectif".into(), "Échanger des compétences et renforcer le lien social par la valorisation des savoirs de chacun.".into()),
            ("Étape 1 : Info'action".into(), "Recenser ce que chacun sait faire et ce qu'il veut apprendre.".into()),
            ("Étape 2 : Cré'action".into(), "Construire des groupes thématiques : cuisine, informatique, jardinage, bricolage, langues.".into()),
            ("Étape 3 : Activ'action".into(), "Stabiliser les formats avec des partenaires : organismes d'accompagnement, crèches, associations.".into()),
        ],
    }), 15 * DAY)?;
    b.run(&leila, Command::Savoirs(SavoirsCommand::EditSection { sheet: sheet.clone(), section: format!("{sheet}-2"), heading: None, body: Some("Construire des groupes thématiques : cuisine, informatique, jardinage, bricolage, langues. Journée découverte à la cuisine d'Authenti'Cité.".into()) }), 10 * DAY)?;
    let sheet = b.id(now - 12 * DAY);
    b.run(&moussa, Command::Savoirs(SavoirsCommand::AddSheet {
        id: sheet,
        title: "Déboucher un évier".into(),
        sections: vec![
            ("Matériel".into(), "Une ventouse, un seau, des gants, une clé pour le siphon.".into()),
            ("Étapes".into(), "1. Essayer la ventouse. 2. Démonter le siphon au-dessus du seau. 3. Nettoyer et remonter.".into()),
        ],
    }), 12 * DAY)?;

    let post = b.id(now - 7 * DAY);
    b.run(&marion, Command::Fil(FilCommand::AddPost { id: post.clone(), text: "Bienvenue à toutes et à tous ! Ce mois-ci, notre thème est l'accueil des nouveaux membres.".into() }), 7 * DAY)?;
    let comment = b.id(now - 6 * DAY);
    b.run(
        &ana,
        Command::Fil(FilCommand::AddComment {
            post,
            id: comment,
            text: "Merci Marion, à jeudi !".into(),
        }),
        6 * DAY,
    )?;
    let post = b.id(now - DAY);
    b.run(&leila, Command::Fil(FilCommand::AddPost { id: post, text: "Il reste 9 places pour la journée découverte cuisine, inscrivez-vous dans l'agenda.".into() }), DAY)?;
    Ok(docs)
}

struct Builder<'a> {
    docs: &'a mut CommunityDocs,
    random: &'a mut dyn FnMut() -> u128,
    now: Timestamp,
    me: Author,
}

impl Builder<'_> {
    fn id(&mut self, at: Timestamp) -> ItemId {
        ItemId::from_parts(at, (self.random)())
    }

    /// Applies a command as `author`, `ago` milliseconds before now.
    fn run(
        &mut self,
        author: &Author,
        command: Command,
        ago: Timestamp,
    ) -> Result<(), CommandError> {
        self.docs.apply(author, command, self.now - ago)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_community_builds() {
        let mut n = 0u128;
        let mut random = || {
            n += 1;
            n
        };
        let me = DeviceKey("c".repeat(64));
        let actor = automerge::ActorId::from(b"cccccccccccccccc".as_slice());
        let mut docs =
            example_community(&actor, (&me, "Nadia"), 1_790_000_000_000, &mut random).unwrap();
        let view = passerelle_model::ViewCache::default()
            .view(&mut docs)
            .unwrap();
        assert!(view.exchanges.len() >= 10);
        assert_eq!(view.community.themes.len(), 7);
        assert!(view.sheets.iter().any(|s| {
            s.sections
                .iter()
                .any(|x| x.body.as_str().contains("Authenti'Cité"))
        }));
    }
}
