//! Exports and imports over the example community: the annuaire and the
//! échanges as CSV, the agenda as iCalendar, the Bilan's series.

use passerelle_model::{CommunityView, DeviceKey, ViewCache};

/// The example community's view.
fn example_view() -> CommunityView {
    let mut n = 0u128;
    let mut random = || {
        n += 1;
        n
    };
    let me = DeviceKey("c".repeat(64));
    let actor = automerge::ActorId::from(b"cccccccccccccccc".as_slice());
    let mut docs =
        passerelle_demo::example_community(&actor, (&me, "Nadia"), 1_790_000_000_000, &mut random)
            .expect("the example community builds");
    let view = ViewCache::default()
        .view(&mut docs)
        .expect("the example community has a view");
    (*view).clone()
}

mod csv {
    use chrono::DateTime;
    use passerelle_model::command::{AnnuaireCommand, Command};
    use passerelle_model::entities::ActorKind;
    use passerelle_model::export::csv::*;
    use passerelle_model::export::{FileError, Origin, SkipReason};
    use passerelle_model::ids::ItemId;
    use passerelle_model::view::CommunityView;

    fn view() -> CommunityView {
        super::example_view()
    }

    #[test]
    fn annuaire_round_trips_through_the_csv_crate() {
        let view = view();
        assert!(!view.community.actors.is_empty());
        let text = annuaire_csv(&view);
        assert!(text.starts_with(&ACTOR_COLUMNS.join(",")));
        let rows: Vec<ActorRow> = read_rows(text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(_, r)| r.unwrap())
            .collect();
        let expected: Vec<ActorRow> = view.community.actors.iter().map(ActorRow::of).collect();
        assert_eq!(rows, expected);
    }

    #[test]
    fn exchanges_round_trip_with_names_and_dates() {
        let view = view();
        assert!(!view.exchanges.is_empty());
        let text = exchanges_csv(&view);
        let rows: Vec<ExchangeRow> = read_rows(text.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(_, r)| r.unwrap())
            .collect();
        assert_eq!(rows.len(), view.exchanges.len());
        for (row, exchange) in rows.iter().zip(view.exchanges.iter()) {
            assert_eq!(row, &ExchangeRow::of(exchange, &view));
            let created = DateTime::parse_from_rfc3339(&row.created).unwrap();
            assert_eq!(created.timestamp(), exchange.created_at / 1000);
            assert_eq!(row.author, view.member_name(&exchange.author));
            assert_ne!(row.author, "?");
        }
    }

    #[test]
    fn tricky_values_survive_quoting() {
        let mut view = view();
        let part = std::sync::Arc::make_mut(&mut view.community);
        let actor = &mut part.actors[0];
        actor.name = "Café \"Le Lien\", quai 3".into();
        actor.description = autosurgeon::Text::with_value("ligne 1\nligne 2; avec ; points");
        actor.tags = vec!["cuisine".into(), "solidarité".into()];
        let expected = ActorRow::of(actor);
        let text = annuaire_csv(&view);
        let (_, first) = read_rows::<ActorRow>(text.as_bytes())
            .unwrap()
            .into_iter()
            .next()
            .unwrap();
        assert_eq!(first.unwrap(), expected);
    }

    fn ids() -> impl FnMut() -> ItemId {
        let mut n = 0;
        move || {
            n += 1;
            ItemId(format!("01JIMPORT{n:04}"))
        }
    }

    #[test]
    fn import_reads_rows_and_reports_bad_ones_with_their_line() {
        let view = view();
        let file = "nom;type;étiquettes;courriel\n\
                    Jardins partagés;lieu;jardin, potager;\n\
                    ;person;;\n\
                    Marie;robot;;marie@example.org\n\
                    Amicale;organisation;fête;contact@amicale.fr;extra\n\
                    Jardins Partagés;place;;\n";
        let plan = plan_annuaire_import(file.as_bytes(), &view, ids()).unwrap();
        assert_eq!(plan.commands.len(), 1, "{:?}", plan.skipped);
        let Command::Annuaire(AnnuaireCommand::AddActor {
            kind, name, tags, ..
        }) = &plan.commands[0].command
        else {
            panic!("an AddActor")
        };
        assert_eq!(
            (name.as_str(), *kind),
            ("Jardins partagés", ActorKind::Place)
        );
        assert_eq!(tags, &["jardin", "potager"]);
        let lines: Vec<_> = plan.skipped.iter().map(|s| s.origin).collect();
        assert_eq!(lines, [3, 4, 5, 6].map(Origin::Line), "{:?}", plan.skipped);
        assert!(plan.skipped[1].reason.to_string().contains("robot"));
        assert!(plan.skipped[2].reason.to_string().contains("5 columns"));
        assert!(matches!(plan.skipped[3].reason, SkipReason::InAnnuaire));
    }

    #[test]
    fn reimporting_an_export_adds_nothing() {
        let view = view();
        let text = annuaire_csv(&view);
        let plan = plan_annuaire_import(text.as_bytes(), &view, ids()).unwrap();
        assert!(plan.commands.is_empty());
        assert_eq!(plan.skipped.len(), view.community.actors.len());
    }

    #[test]
    fn a_file_without_header_or_not_utf8_is_refused() {
        let view = view();
        assert!(matches!(
            plan_annuaire_import(b"Jardins,place\n", &view, ids()),
            Err(FileError::NoHeader(_))
        ));
        assert_eq!(
            plan_annuaire_import(b"name,kind\nCaf\xe9,place\n", &view, ids()).unwrap_err(),
            FileError::NotUtf8 { line: 2 }
        );
    }
}

mod ics {
    use chrono::NaiveDateTime;
    use passerelle_model::command::{AgendaCommand, Command};
    use passerelle_model::entities::Event;
    use passerelle_model::export::{ImportPlan, Origin, SkipReason};
    use passerelle_model::ics::*;
    use passerelle_model::ids::{ItemId, MemberId, Timestamp};

    const START: Timestamp = 1_795_000_000_000;
    const HOUR: Timestamp = 3_600_000;

    /// Paris in winter, as the importing device's zone in these tests.
    fn paris(naive: NaiveDateTime) -> Option<Timestamp> {
        Some(naive.and_utc().timestamp_millis() - HOUR)
    }

    fn numbered() -> impl FnMut() -> ItemId {
        let mut n = 0;
        move || {
            n += 1;
            ItemId(format!("01JNEW{n:020}"))
        }
    }

    fn added(plan: &ImportPlan) -> Vec<Event> {
        plan.commands
            .iter()
            .map(|p| match &p.command {
                Command::Agenda(AgendaCommand::AddEvent {
                    id,
                    title,
                    description,
                    start,
                    end,
                    place,
                    ..
                }) => Event {
                    attachments: Default::default(),
                    moderation: None,
                    id: id.clone(),
                    title: title.clone(),
                    description: autosurgeon::Text::with_value(description),
                    start: *start,
                    end: *end,
                    place: place.clone(),
                    capacity: None,
                    rsvps: Default::default(),
                    created_by: MemberId::from("m"),
                    created_at: 0,
                },
                other => panic!("not an AddEvent: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn the_agenda_round_trips_through_import_and_reimport_adds_nothing() {
        let mut view = super::example_view();
        let exported: Vec<Event> = view.events.iter().cloned().collect();
        assert!(exported.len() >= 2);
        let text = agenda_calendar(exported.iter(), Some("Quartier"), START);
        // Into an empty agenda: every event comes back with its id and fields.
        view.events = Default::default();
        let plan = plan_import(text.as_bytes(), &view, paris, numbered()).unwrap();
        assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
        let back = added(&plan);
        assert_eq!(back.len(), exported.len());
        for (b, e) in back.iter().zip(&exported) {
            assert_eq!(
                (&b.id, &b.title, b.start, b.end, &b.place),
                (&e.id, &e.title, e.start, e.end, &e.place)
            );
            assert_eq!(b.description.as_str(), e.description.as_str().trim());
        }
        // Into the agenda it came from: everything is already there.
        view.events = std::sync::Arc::new(exported.clone());
        let again = plan_import(text.as_bytes(), &view, paris, numbered()).unwrap();
        assert!(again.commands.is_empty());
        assert_eq!(again.skipped.len(), exported.len());
        assert!(
            again
                .skipped
                .iter()
                .all(|s| matches!(s.reason, SkipReason::InAgenda))
        );
    }

    #[test]
    fn events_from_other_calendar_apps_are_read_and_bad_ones_reported() {
        let mut view = super::example_view();
        view.events = Default::default();
        let file = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//App//EN\r\n\
            BEGIN:VEVENT\r\nUID:abc@example.org\r\nDTSTAMP:20260101T000000Z\r\n\
            DTSTART;TZID=Europe/Paris:20260314T183000\r\nDTEND;TZID=Europe/Paris:20260314T203000\r\n\
            SUMMARY:Info'action\\, au centre\r\nLOCATION:Centre social\\; salle 2\r\n\
            DESCRIPTION:Ligne 1\\nLigne 2 avec un texte assez long pour être plié par l\r\n \
            'application de calendrier\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:day@example.org\r\nDTSTART;VALUE=DATE:20260320\r\nSUMMARY:Pik-nik\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:notitle@example.org\r\nDTSTART:20260320T100000Z\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:nostart@example.org\r\nSUMMARY:Quand ?\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:other@example.org\r\nDTSTART:20260314T173000Z\r\nSUMMARY:info'action, au centre\r\nEND:VEVENT\r\n\
            END:VCALENDAR\r\n";
        let plan = plan_import(file.as_bytes(), &view, paris, numbered()).unwrap();
        let events = added(&plan);
        assert_eq!(events.len(), 2, "{:?}", plan.skipped);
        let march_14 = chrono::NaiveDate::from_ymd_opt(2026, 3, 14)
            .unwrap()
            .and_hms_opt(17, 30, 0)
            .unwrap()
            .and_utc()
            .timestamp_millis();
        assert_eq!(events[0].title, "Info'action, au centre");
        assert_eq!(events[0].start, march_14);
        assert_eq!(events[0].end, Some(march_14 + 2 * HOUR));
        assert_eq!(events[0].place.as_deref(), Some("Centre social; salle 2"));
        assert_eq!(
            events[0].description.as_str(),
            "Ligne 1\nLigne 2 avec un texte assez long pour être plié par l'application de calendrier"
        );
        assert_eq!(events[0].id.as_str(), "01JNEW00000000000000000001");
        assert_eq!(events[1].title, "Pik-nik");
        assert_eq!(events[1].end, None);
        let reasons: Vec<_> = plan.skipped.iter().map(|s| (s.origin, &s.reason)).collect();
        assert!(
            matches!(
                reasons.as_slice(),
                [
                    (Origin::Event(3), SkipReason::NoTitle),
                    (Origin::Event(4), SkipReason::NoStart),
                    (Origin::Event(5), SkipReason::InAgenda),
                ]
            ),
            "{reasons:?}"
        );
    }

    #[test]
    fn what_is_not_an_icalendar_file_is_refused() {
        let view = super::example_view();
        for bad in [&b"name,kind\n"[..], b"BEGIN:VCALENDAR\r\nSUMMARY:\xff\r\n"] {
            assert!(plan_import(bad, &view, paris, numbered()).is_err());
        }
    }
}

mod bilan {
    use chrono::Utc;
    use passerelle_model::bilan::*;

    #[test]
    fn the_example_community_fills_every_series() {
        let view = super::example_view();
        let all = Bilan::compute(&view, i64::MIN, i64::MAX, &Utc);
        assert_eq!(all.opened_total(), view.exchanges.len());
        assert_eq!(all.events.len(), view.events.len());
        assert_eq!(
            all.ideas.values().flatten().sum::<usize>(),
            view.ideas.len()
        );
        assert!(all.active_in_period > 0 && !all.months.is_empty());
        for series in all.opened.values().chain(all.done.values()) {
            assert_eq!(series.len(), all.months.len());
        }
        // A period before anything happened: its months, all zeros.
        let first = all.months[0].start(&Utc).unwrap();
        let empty = Bilan::compute(&view, first - 90 * 24 * 3600 * 1000, first - 1, &Utc);
        assert!(empty.months.len() >= 3);
        assert!(empty.opened.is_empty() && empty.events.is_empty());
        assert!(empty.active.iter().all(|n| *n == 0));
        assert_eq!(empty.to_csv(&view).lines().count(), 1 + empty.months.len());
    }
}
