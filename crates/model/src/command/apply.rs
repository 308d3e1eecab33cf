//! What each command writes, after its checks.

use automerge::AutoCommit;
use autosurgeon::{Text, hydrate_prop, reconcile_prop};

use super::access::{
    Context, ensure_new, existing, get, get_field, has_entry, put, put_entry, put_field, remove,
    remove_entry,
};
use super::validate::{clean_contact, limit, optional, positive, required, tags, text_value};
use super::{Command, CommandError, MAX_TEXT, MAX_TITLE, Result};
use crate::entities::*;
use crate::ids::Timestamp;
use crate::layout::DocKind;
use crate::normalize::slug;

const C: DocKind = DocKind::Community;
const X: DocKind = DocKind::Exchanges;
const A: DocKind = DocKind::Agenda;
const I: DocKind = DocKind::Ideas;
const S: DocKind = DocKind::Savoirs;
const F: DocKind = DocKind::Fil;

/// Checks a new category or theme label; returns its slug id and trimmed label.
fn new_label(
    field: &'static str,
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> Result<(String, String)> {
    let label = required(field, label, MAX_TITLE)?;
    let id = slug(&label);
    if id.is_empty() {
        return Err(CommandError::Empty(field));
    }
    if taken(&id) {
        return Err(CommandError::AlreadyExists(label));
    }
    Ok((id, label))
}

/// Validates and writes a command's operations (uncommitted). Returns the item id.
pub(super) fn apply_to(
    doc: &mut AutoCommit,
    ctx: &Context,
    command: Command,
    now: Timestamp,
) -> Result<String> {
    use Command::*;
    match command {
        UpdateCommunity { name, description } => {
            ctx.admin()?;
            if let Some(name) = name {
                reconcile_prop(
                    doc,
                    automerge::ROOT,
                    "name",
                    required("name", &name, MAX_TITLE)?,
                )?;
            }
            if let Some(description) = description {
                let mut text: Text = hydrate_prop(doc, automerge::ROOT, "description")?;
                text.update(limit("description", &description, MAX_TEXT)?);
                reconcile_prop(doc, automerge::ROOT, "description", &text)?;
            }
            Ok(String::new())
        }
        AddCategory { label } => {
            ctx.moderator()?;
            let (id, label) = new_label("category", &label, |id| {
                ctx.categories.iter().any(|c| c.id == id)
            })?;
            let mut categories = ctx.categories.clone();
            categories.push(Category {
                id: id.clone(),
                label,
            });
            reconcile_prop(doc, automerge::ROOT, "categories", &categories)?;
            Ok(id)
        }
        AddTheme { label } => {
            ctx.moderator()?;
            let (id, label) =
                new_label("theme", &label, |id| ctx.themes.iter().any(|t| t.id == id))?;
            let mut themes = ctx.themes.clone();
            themes.push(Theme {
                id: id.clone(),
                label,
            });
            reconcile_prop(doc, automerge::ROOT, "themes", &themes)?;
            Ok(id)
        }
        AddMember {
            id,
            display_name,
            role,
            device,
            device_label,
        } => {
            ctx.moderator()?;
            ensure_new(doc, C, "members", id.as_str())?;
            let mut devices = std::collections::BTreeMap::new();
            devices.insert(
                device.0.clone(),
                Device {
                    revoked: None,
                    added_at: now,
                    label: limit("device name", &device_label, MAX_TITLE)?,
                },
            );
            let member = Member {
                id: id.clone(),
                display_name: required("display name", &display_name, MAX_TITLE)?,
                role,
                devices,
                skills: Vec::new(),
                languages: Vec::new(),
                joined_at: now,
                removed_at: None,
            };
            put(doc, C, "members", id.as_str(), &member)?;
            Ok(id.0)
        }
        UpdateProfile {
            display_name,
            skills,
            languages,
        } => {
            let mut member = ctx.member.clone();
            if let Some(name) = display_name {
                member.display_name = required("display name", &name, MAX_TITLE)?;
            }
            if let Some(skills) = skills {
                member.skills = tags(&skills)?;
            }
            if let Some(languages) = languages {
                member.languages = tags(&languages)?;
            }
            put(doc, C, "members", member.id.as_str(), &member)?;
            Ok(member.id.0)
        }
        RemoveMember { member } => {
            if member != ctx.member.id {
                ctx.moderator()?;
            }
            let mut m: Member = existing(doc, C, "members", "member", member.as_str())?;
            if m.removed_at.is_none() {
                m.removed_at = Some(now);
                for (key, device) in m.devices.iter_mut() {
                    if device.revoked.is_none() {
                        device.revoked = Some(ctx.revocation(key, now));
                    }
                }
                put(doc, C, "members", member.as_str(), &m)?;
            }
            Ok(member.0)
        }
        CreateInvite {
            id,
            secret_hash,
            expires_at,
            member,
        } => {
            ensure_new(doc, C, "invites", id.as_str())?;
            if expires_at <= now {
                return Err(CommandError::Invite(InviteRefusal::Expired));
            }
            if let Some(member) = &member {
                super::devices::may_pair(doc, ctx, member)?;
            }
            let invite = Invite {
                id: id.clone(),
                secret_hash: limit("secret hash", &secret_hash, 64)?,
                created_by: ctx.me(),
                created_at: now,
                expires_at,
                revoked: false,
                used_by: None,
                used_at: None,
                member,
            };
            put(doc, C, "invites", id.as_str(), &invite)?;
            Ok(id.0)
        }
        RevokeInvite { id } => {
            let mut invite: Invite = existing(doc, C, "invites", "invite", id.as_str())?;
            ctx.may_edit(&invite.created_by)?;
            invite.revoked = true;
            put(doc, C, "invites", id.as_str(), &invite)?;
            Ok(id.0)
        }
        AdmitMember {
            invite,
            secret_hash,
            member,
            display_name,
            device,
        } => {
            let Some(mut found) = get::<Invite>(doc, C, "invites", invite.as_str())? else {
                return Err(CommandError::Invite(InviteRefusal::Unknown));
            };
            // Both sides are hashes of 16 random bytes: comparing them leaks
            // nothing about the secret.
            if found.secret_hash != secret_hash {
                return Err(CommandError::Invite(InviteRefusal::Unknown));
            }
            if found.revoked {
                return Err(CommandError::Invite(InviteRefusal::Revoked));
            }
            if found.used_by.is_some() {
                return Err(CommandError::Invite(InviteRefusal::Used));
            }
            if found.expires_at <= now {
                return Err(CommandError::Invite(InviteRefusal::Expired));
            }
            let members: std::collections::BTreeMap<String, Member> =
                hydrate_prop(doc, automerge::ROOT, "members")?;
            if members.values().any(|m| m.has_device(&device)) {
                return Err(CommandError::Duplicate(device.0));
            }
            if let Some(existing) = found.member.clone() {
                // A pairing ticket: the name sent is the new device's label.
                super::devices::link(doc, &existing, &device, &display_name, now)?;
                found.used_by = Some(device.0);
                found.used_at = Some(now);
                put(doc, C, "invites", invite.as_str(), &found)?;
                return Ok(existing.0);
            }
            ensure_new(doc, C, "members", member.as_str())?;
            let new = Member {
                id: member.clone(),
                display_name: required("display name", &display_name, MAX_TITLE)?,
                role: Role::Membre,
                devices: [(
                    device.0.clone(),
                    Device {
                        revoked: None,
                        added_at: now,
                        label: String::new(),
                    },
                )]
                .into(),
                skills: Vec::new(),
                languages: Vec::new(),
                joined_at: now,
                removed_at: None,
            };
            put(doc, C, "members", member.as_str(), &new)?;
            found.used_by = Some(device.0);
            found.used_at = Some(now);
            put(doc, C, "invites", invite.as_str(), &found)?;
            Ok(member.0)
        }
        SetRole { member, role } => {
            ctx.admin()?;
            let mut m: Member = existing(doc, C, "members", "member", member.as_str())?;
            m.role = role;
            put(doc, C, "members", member.as_str(), &m)?;
            Ok(member.0)
        }

        AddExchange {
            id,
            kind,
            title,
            description,
            category,
            mode,
            place,
        } => {
            ensure_new(doc, X, "exchanges", id.as_str())?;
            let exchange = Exchange {
                moderation: None,
                locked: None,
                id: id.clone(),
                kind,
                title: required("title", &title, MAX_TITLE)?,
                description: text_value(&limit("description", &description, MAX_TEXT)?),
                category: ctx.category(&category)?,
                mode,
                place: optional("place", place.as_deref(), MAX_TITLE)?,
                status: ExchangeStatus::Open,
                author: ctx.me(),
                created_at: now,
                updated_at: now,
                replies: Default::default(),
            };
            put(doc, X, "exchanges", id.as_str(), &exchange)?;
            Ok(id.0)
        }
        UpdateExchange {
            id,
            title,
            description,
            category,
            mode,
            place,
        } => {
            let mut e: Exchange = existing(doc, X, "exchanges", "échange", id.as_str())?;
            ctx.may_edit(&e.author)?;
            if let Some(title) = title {
                e.title = required("title", &title, MAX_TITLE)?;
            }
            if let Some(description) = description {
                e.description
                    .update(limit("description", &description, MAX_TEXT)?);
            }
            if let Some(category) = category {
                e.category = ctx.category(&category)?;
            }
            if let Some(mode) = mode {
                e.mode = mode;
            }
            if let Some(place) = place {
                e.place = optional("place", place.as_deref(), MAX_TITLE)?;
            }
            e.updated_at = now;
            put(doc, X, "exchanges", id.as_str(), &e)?;
            Ok(id.0)
        }
        SetExchangeStatus { id, status } => {
            let item = ("exchanges", "échange", id.as_str());
            // Whoever replied may also mark it in progress or done: the exchange is theirs too.
            let replies: std::collections::BTreeMap<String, Reply> =
                get_field(doc, X, item, "replies")?;
            if !replies.values().any(|r| r.author == ctx.member.id) {
                ctx.may_edit(&get_field(doc, X, item, "author")?)?;
            }
            put_field(doc, X, item, "status", &status)?;
            put_field(doc, X, item, "updated_at", &now)?;
            Ok(id.0)
        }
        ReplyToExchange {
            exchange,
            id,
            kind,
            text,
        } => {
            super::moderation::ensure_unlocked(doc, ItemKind::Exchange, exchange.as_str())?;
            let reply = Reply {
                id: id.clone(),
                author: ctx.me(),
                kind,
                text: limit("reply", &text, MAX_TEXT)?,
                at: now,
            };
            let item = ("exchanges", "échange", exchange.as_str());
            if has_entry(doc, X, item, "replies", id.as_str())? {
                return Err(CommandError::Duplicate(id.0));
            }
            put_entry(doc, X, item, "replies", id.as_str(), &reply)?;
            Ok(id.0)
        }
        DeleteExchange { id } => {
            let e: Exchange = existing(doc, X, "exchanges", "échange", id.as_str())?;
            ctx.may_edit(&e.author)?;
            remove(doc, X, "exchanges", "échange", id.as_str())?;
            Ok(id.0)
        }

        AddEvent {
            id,
            title,
            description,
            start,
            end,
            place,
            capacity,
        } => {
            ensure_new(doc, A, "events", id.as_str())?;
            if matches!(end, Some(end) if end < start) {
                return Err(CommandError::EndBeforeStart);
            }
            let event = Event {
                moderation: None,
                id: id.clone(),
                title: required("title", &title, MAX_TITLE)?,
                description: text_value(&limit("description", &description, MAX_TEXT)?),
                start,
                end,
                place: optional("place", place.as_deref(), MAX_TITLE)?,
                capacity: positive("capacity", capacity)?,
                rsvps: Default::default(),
                created_by: ctx.me(),
                created_at: now,
            };
            put(doc, A, "events", id.as_str(), &event)?;
            Ok(id.0)
        }
        UpdateEvent {
            id,
            title,
            description,
            start,
            end,
            place,
            capacity,
        } => {
            let mut e: Event = existing(doc, A, "events", "event", id.as_str())?;
            ctx.may_edit(&e.created_by)?;
            if let Some(title) = title {
                e.title = required("title", &title, MAX_TITLE)?;
            }
            if let Some(description) = description {
                e.description
                    .update(limit("description", &description, MAX_TEXT)?);
            }
            if let Some(start) = start {
                e.start = start;
            }
            if let Some(end) = end {
                e.end = end;
            }
            if matches!(e.end, Some(end) if end < e.start) {
                return Err(CommandError::EndBeforeStart);
            }
            if let Some(place) = place {
                e.place = optional("place", place.as_deref(), MAX_TITLE)?;
            }
            if let Some(capacity) = capacity {
                e.capacity = positive("capacity", capacity)?;
            }
            put(doc, A, "events", id.as_str(), &e)?;
            Ok(id.0)
        }
        Rsvp { event, answer } => {
            let rsvp = crate::entities::Rsvp { answer, at: now };
            let item = ("events", "event", event.as_str());
            put_entry(doc, A, item, "rsvps", ctx.member.id.as_str(), &rsvp)?;
            Ok(event.0)
        }
        DeleteEvent { id } => {
            let e: Event = existing(doc, A, "events", "event", id.as_str())?;
            ctx.may_edit(&e.created_by)?;
            remove(doc, A, "events", "event", id.as_str())?;
            Ok(id.0)
        }

        AddGroup {
            id,
            name,
            theme,
            description,
        } => {
            ensure_new(doc, C, "groups", id.as_str())?;
            let mut members = std::collections::BTreeMap::new();
            members.insert(ctx.member.id.0.clone(), now);
            let group = Group {
                moderation: None,
                locked: None,
                id: id.clone(),
                name: required("name", &name, MAX_TITLE)?,
                theme: ctx.theme(theme.as_deref())?,
                description: text_value(&limit("description", &description, MAX_TEXT)?),
                members,
                facilitator: Some(ctx.me()),
                thread: Default::default(),
                next_meeting: None,
                created_by: ctx.me(),
                created_at: now,
            };
            put(doc, C, "groups", id.as_str(), &group)?;
            Ok(id.0)
        }
        JoinGroup { group } => {
            let item = ("groups", "group", group.as_str());
            if !has_entry(doc, C, item, "members", ctx.member.id.as_str())? {
                put_entry(doc, C, item, "members", ctx.member.id.as_str(), &now)?;
            }
            Ok(group.0)
        }
        LeaveGroup { group } => {
            let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
            g.members.remove(ctx.member.id.as_str());
            if g.facilitator.as_ref() == Some(&ctx.member.id) {
                g.facilitator = None;
            }
            put(doc, C, "groups", group.as_str(), &g)?;
            Ok(group.0)
        }
        SetFacilitator { group, member } => {
            let mut g: Group = existing(doc, C, "groups", "group", group.as_str())?;
            if g.facilitator.as_ref() != Some(&ctx.member.id) {
                ctx.moderator()?;
            }
            if let Some(m) = &member {
                existing::<Member>(doc, C, "members", "member", m.as_str())?;
                g.members.entry(m.0.clone()).or_insert(now);
            }
            g.facilitator = member;
            put(doc, C, "groups", group.as_str(), &g)?;
            Ok(group.0)
        }
        PostInGroup { group, id, text } => {
            super::moderation::ensure_unlocked(doc, ItemKind::Group, group.as_str())?;
            let message = Message {
                id: id.clone(),
                author: ctx.me(),
                text: required("message", &text, MAX_TEXT)?,
                at: now,
            };
            let item = ("groups", "group", group.as_str());
            if has_entry(doc, C, item, "thread", id.as_str())? {
                return Err(CommandError::Duplicate(id.0));
            }
            put_entry(doc, C, item, "thread", id.as_str(), &message)?;
            Ok(id.0)
        }
        SetNextMeeting { group, meeting } => {
            let meeting = match meeting {
                Some(m) => Some(Meeting {
                    at: m.at,
                    place: optional("place", m.place.as_deref(), MAX_TITLE)?,
                }),
                None => None,
            };
            let item = ("groups", "group", group.as_str());
            put_field(doc, C, item, "next_meeting", &meeting)?;
            Ok(group.0)
        }
        DeleteGroup { id } => {
            let g: Group = existing(doc, C, "groups", "group", id.as_str())?;
            ctx.may_edit(&g.created_by)?;
            remove(doc, C, "groups", "group", id.as_str())?;
            Ok(id.0)
        }

        AddIdea {
            id,
            text,
            theme,
            table,
        } => {
            ensure_new(doc, I, "ideas", id.as_str())?;
            let idea = Idea {
                moderation: None,
                id: id.clone(),
                text: text_value(&required("idea", &text, MAX_TEXT)?),
                theme: ctx.theme(theme.as_deref())?,
                table: positive("table number", table)?,
                votes: Default::default(),
                author: ctx.me(),
                created_at: now,
                workshop: None,
                merged_into: None,
            };
            put(doc, I, "ideas", id.as_str(), &idea)?;
            Ok(id.0)
        }
        SetIdeaTheme { idea, theme } => {
            let mut i: Idea = existing(doc, I, "ideas", "idea", idea.as_str())?;
            i.theme = ctx.theme(theme.as_deref())?;
            put(doc, I, "ideas", idea.as_str(), &i)?;
            Ok(idea.0)
        }
        Vote { idea } => {
            let item = ("ideas", "idea", idea.as_str());
            if !has_entry(doc, I, item, "votes", ctx.member.id.as_str())? {
                put_entry(doc, I, item, "votes", ctx.member.id.as_str(), &now)?;
            }
            Ok(idea.0)
        }
        Unvote { idea } => {
            let item = ("ideas", "idea", idea.as_str());
            remove_entry(doc, I, item, "votes", ctx.member.id.as_str())?;
            Ok(idea.0)
        }
        DeleteIdea { id } => {
            let i: Idea = existing(doc, I, "ideas", "idea", id.as_str())?;
            ctx.may_edit(&i.author)?;
            remove(doc, I, "ideas", "idea", id.as_str())?;
            Ok(id.0)
        }

        workshop @ (CreateWorkshop { .. }
        | EditWorkshopThemes { .. }
        | JoinTable { .. }
        | AddWorkshopIdea { .. }
        | MergeIdeas { .. }
        | MoveIdea { .. }
        | CloseWorkshop { .. }) => super::workshop::apply_to(doc, ctx, workshop, now),
        moderation @ (Moderate { .. } | LockThread { .. }) => {
            super::moderation::apply_to(doc, ctx, moderation, now)
        }
        booking @ (SetBookable { .. }
        | BookPlace { .. }
        | CancelBooking { .. }
        | DecideBooking { .. }) => {
            unreachable!("booking commands are applied by command::booking: {booking:?}")
        }

        AddActor {
            id,
            kind,
            name,
            description,
            contact,
            address,
            tags: given_tags,
        } => {
            ensure_new(doc, C, "actors", id.as_str())?;
            let actor = Actor {
                booking: None,
                moderation: None,
                id: id.clone(),
                kind,
                name: required("name", &name, MAX_TITLE)?,
                description: text_value(&limit("description", &description, MAX_TEXT)?),
                contact: clean_contact(contact)?,
                address: optional("address", address.as_deref(), MAX_TITLE)?,
                tags: tags(&given_tags)?,
                created_by: ctx.me(),
                created_at: now,
            };
            put(doc, C, "actors", id.as_str(), &actor)?;
            Ok(id.0)
        }
        UpdateActor {
            id,
            name,
            description,
            contact,
            address,
            tags: given_tags,
        } => {
            let mut a: Actor = existing(doc, C, "actors", "annuaire entry", id.as_str())?;
            if let Some(name) = name {
                a.name = required("name", &name, MAX_TITLE)?;
            }
            if let Some(description) = description {
                a.description
                    .update(limit("description", &description, MAX_TEXT)?);
            }
            if let Some(contact) = contact {
                a.contact = clean_contact(contact)?;
            }
            if let Some(address) = address {
                a.address = optional("address", address.as_deref(), MAX_TITLE)?;
            }
            if let Some(given) = given_tags {
                a.tags = tags(&given)?;
            }
            put(doc, C, "actors", id.as_str(), &a)?;
            Ok(id.0)
        }
        DeleteActor { id } => {
            let a: Actor = existing(doc, C, "actors", "annuaire entry", id.as_str())?;
            ctx.may_edit(&a.created_by)?;
            let links: std::collections::BTreeMap<String, Link> =
                hydrate_prop(doc, automerge::ROOT, "links")?;
            for link in links.values().filter(|l| l.from == id || l.to == id) {
                remove(doc, C, "links", "link", link.id.as_str())?;
            }
            remove(doc, C, "actors", "annuaire entry", id.as_str())?;
            Ok(id.0)
        }
        LinkActors {
            id,
            from,
            to,
            label,
        } => {
            ensure_new(doc, C, "links", id.as_str())?;
            existing::<Actor>(doc, C, "actors", "annuaire entry", from.as_str())?;
            existing::<Actor>(doc, C, "actors", "annuaire entry", to.as_str())?;
            let link = Link {
                id: id.clone(),
                from,
                to,
                label: required("link label", &label, MAX_TITLE)?,
            };
            put(doc, C, "links", id.as_str(), &link)?;
            Ok(id.0)
        }
        Unlink { id } => {
            remove(doc, C, "links", "link", id.as_str())?;
            Ok(id.0)
        }

        AddSheet {
            id,
            title,
            sections,
        } => {
            ensure_new(doc, S, "sheets", id.as_str())?;
            let sections = sections
                .into_iter()
                .enumerate()
                .map(|(n, (heading, body))| {
                    Ok(Section {
                        id: format!("{}-{n}", id.as_str()),
                        heading: limit("heading", &heading, MAX_TITLE)?,
                        body: text_value(&limit("section", &body, MAX_TEXT)?),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let sheet = Sheet {
                moderation: None,
                id: id.clone(),
                title: required("title", &title, MAX_TITLE)?,
                sections,
                created_by: ctx.me(),
                created_at: now,
                updated_at: now,
            };
            put(doc, S, "sheets", id.as_str(), &sheet)?;
            Ok(id.0)
        }
        AddSection {
            sheet,
            id,
            heading,
            body,
        } => {
            let mut s: Sheet = existing(doc, S, "sheets", "sheet", sheet.as_str())?;
            if s.sections.iter().any(|x| x.id == id) {
                return Err(CommandError::Duplicate(id));
            }
            s.sections.push(Section {
                id: id.clone(),
                heading: limit("heading", &heading, MAX_TITLE)?,
                body: text_value(&limit("section", &body, MAX_TEXT)?),
            });
            s.updated_at = now;
            put(doc, S, "sheets", sheet.as_str(), &s)?;
            Ok(id)
        }
        EditSection {
            sheet,
            section,
            heading,
            body,
        } => {
            let mut s: Sheet = existing(doc, S, "sheets", "sheet", sheet.as_str())?;
            let target = s
                .sections
                .iter_mut()
                .find(|x| x.id == section)
                .ok_or_else(|| CommandError::NotFound {
                    kind: "section",
                    id: section.clone(),
                })?;
            if let Some(heading) = heading {
                target.heading = limit("heading", &heading, MAX_TITLE)?;
            }
            if let Some(body) = body {
                target.body.update(limit("section", &body, MAX_TEXT)?);
            }
            s.updated_at = now;
            put(doc, S, "sheets", sheet.as_str(), &s)?;
            Ok(section)
        }
        DeleteSheet { id } => {
            let s: Sheet = existing(doc, S, "sheets", "sheet", id.as_str())?;
            ctx.may_edit(&s.created_by)?;
            remove(doc, S, "sheets", "sheet", id.as_str())?;
            Ok(id.0)
        }

        AddPost { id, text } => {
            ensure_new(doc, F, "posts", id.as_str())?;
            let post = Post {
                moderation: None,
                locked: None,
                id: id.clone(),
                text: text_value(&required("post", &text, MAX_TEXT)?),
                author: ctx.me(),
                created_at: now,
                comments: Default::default(),
            };
            put(doc, F, "posts", id.as_str(), &post)?;
            Ok(id.0)
        }
        AddComment { post, id, text } => {
            super::moderation::ensure_unlocked(doc, ItemKind::Post, post.as_str())?;
            let comment = Comment {
                id: id.clone(),
                author: ctx.me(),
                text: required("comment", &text, MAX_TEXT)?,
                at: now,
            };
            let item = ("posts", "post", post.as_str());
            if has_entry(doc, F, item, "comments", id.as_str())? {
                return Err(CommandError::Duplicate(id.0));
            }
            put_entry(doc, F, item, "comments", id.as_str(), &comment)?;
            Ok(id.0)
        }
        DeletePost { id } => {
            let p: Post = existing(doc, F, "posts", "post", id.as_str())?;
            ctx.may_edit(&p.author)?;
            remove(doc, F, "posts", "post", id.as_str())?;
            Ok(id.0)
        }
        // Written by `devices::revoke`, with what this device saw of the
        // revoked one: `CommunityDocs::apply` never sends it here.
        RevokeDevice { .. } => unreachable!("RevokeDevice is applied in devices.rs"),
    }
}
