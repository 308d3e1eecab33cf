//! A deterministic generator of realistic community histories, for
//! benchmarks and for trying Passerelle on a community of real size.
//!
//! A seeded generator plays the life of a 50-member skill-exchange circle,
//! month by month, through the same typed [`Command`]s the app issues: each
//! member acts from their own device (their own Automerge actor), posts
//! offers and needs and answers them, answers events, talks in the groups,
//! votes on workshop ideas, fills in the annuaire, co-writes savoirs sheets
//! and comments the fil. The first month is the busy launch (everyone joins,
//! the Grande Rencontre workshop); the following months are the steady life
//! of the group. The same seed always gives the same changes, byte for byte.

use std::collections::{BTreeMap, BTreeSet};

use automerge::ActorId;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use passerelle_model::command::{
    AgendaCommand, AnnuaireCommand, Author, Command, CommandError, ExchangeCommand, FilCommand,
    GroupCommand, IdeaCommand, MemberCommand, SavoirsCommand,
};
use passerelle_model::entities::*;
use passerelle_model::ids::{DeviceKey, ItemId, MemberId, Timestamp};
use passerelle_model::layout::{CommunityDocs, DocKind, Genesis};
use passerelle_model::signing::{Signatures, Signed};

const DAY: Timestamp = 24 * 60 * 60 * 1000;
const MONTH: Timestamp = 30 * DAY;

/// Members of a generated community.
pub const MEMBERS: usize = 50;

/// How much history to generate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    /// The launch month: about 8,000 changes.
    Month,
    /// A year: the launch month and eleven steady months.
    Year,
    /// Five years of steady life after the launch.
    FiveYears,
}

impl Size {
    /// Every size, smallest first.
    pub const ALL: [Size; 3] = [Size::Month, Size::Year, Size::FiveYears];

    /// The name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Size::Month => "month",
            Size::Year => "year",
            Size::FiveYears => "five-years",
        }
    }

    /// The plan this size stands for.
    pub fn plan(self) -> Plan {
        let months = match self {
            Size::Month => 1,
            Size::Year => 12,
            Size::FiveYears => 60,
        };
        Plan {
            months,
            ..Plan::default()
        }
    }
}

impl std::str::FromStr for Size {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Size::ALL
            .into_iter()
            .find(|size| size.as_str() == s)
            .ok_or_else(|| format!("unknown size '{s}' (expected one of: month, year, five-years)"))
    }
}

/// What to generate: how long, how busy, and of what.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Months of history.
    pub months: u32,
    /// Changes in the first month (members joining included).
    pub launch_changes: usize,
    /// Changes in each following month.
    pub monthly_changes: usize,
    /// Relative weights of each kind of activity.
    pub weights: Weights,
}

impl Default for Plan {
    fn default() -> Self {
        Plan {
            months: 1,
            launch_changes: 8_000,
            monthly_changes: 2_500,
            weights: Weights::default(),
        }
    }
}

impl Plan {
    /// A community holding `count` échanges and little else: the long lists
    /// the app must scroll smoothly.
    pub fn exchanges(count: usize) -> Plan {
        // One échange in ten has a photo: one more change.
        let changes = count + count / 10;
        Plan {
            months: 12,
            launch_changes: changes / 12 + changes % 12 + 2 * MEMBERS,
            monthly_changes: changes / 12,
            weights: Weights {
                exchange: 1,
                ..Weights::none()
            },
        }
    }

    /// Every change this plan makes, setup included (about).
    pub fn changes(&self) -> usize {
        self.launch_changes + self.monthly_changes * (self.months as usize).saturating_sub(1)
    }
}

/// Relative weights of each kind of activity in a month.
#[derive(Clone, Debug)]
#[allow(missing_docs)] // Each field is named after the activity it weighs.
pub struct Weights {
    pub exchange: u32,
    pub reply: u32,
    pub status: u32,
    pub edit_exchange: u32,
    pub event: u32,
    pub rsvp: u32,
    pub join_group: u32,
    pub group_post: u32,
    pub meeting: u32,
    pub idea: u32,
    pub vote: u32,
    pub idea_theme: u32,
    pub actor: u32,
    pub link: u32,
    pub sheet: u32,
    pub edit_section: u32,
    pub post: u32,
    pub comment: u32,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            exchange: 80,
            reply: 140,
            status: 50,
            edit_exchange: 15,
            event: 8,
            rsvp: 120,
            join_group: 15,
            group_post: 120,
            meeting: 6,
            idea: 35,
            vote: 90,
            idea_theme: 10,
            actor: 8,
            link: 6,
            sheet: 4,
            edit_section: 60,
            post: 35,
            comment: 110,
        }
    }
}

impl Weights {
    /// No activity at all.
    pub fn none() -> Self {
        Weights {
            exchange: 0,
            reply: 0,
            status: 0,
            edit_exchange: 0,
            event: 0,
            rsvp: 0,
            join_group: 0,
            group_post: 0,
            meeting: 0,
            idea: 0,
            vote: 0,
            idea_theme: 0,
            actor: 0,
            link: 0,
            sheet: 0,
            edit_section: 0,
            post: 0,
            comment: 0,
        }
    }

    fn table(&self) -> [(Activity, u32); 18] {
        use Activity::*;
        [
            (Exchange, self.exchange),
            (Reply, self.reply),
            (Status, self.status),
            (EditExchange, self.edit_exchange),
            (Event, self.event),
            (Rsvp, self.rsvp),
            (JoinGroup, self.join_group),
            (GroupPost, self.group_post),
            (Meeting, self.meeting),
            (Idea, self.idea),
            (Vote, self.vote),
            (IdeaTheme, self.idea_theme),
            (Actor, self.actor),
            (Link, self.link),
            (Sheet, self.sheet),
            (EditSection, self.edit_section),
            (Post, self.post),
            (Comment, self.comment),
        ]
    }
}

#[derive(Clone, Copy, Debug)]
enum Activity {
    Exchange,
    Reply,
    Status,
    EditExchange,
    Event,
    Rsvp,
    JoinGroup,
    GroupPost,
    Meeting,
    Idea,
    Vote,
    IdeaTheme,
    Actor,
    Link,
    Sheet,
    EditSection,
    Post,
    Comment,
}

/// A generated community.
pub struct Generated {
    /// Its documents.
    pub docs: CommunityDocs,
    /// Changes made (commands applied, the genesis included).
    pub changes: usize,
    /// Each member's device, in the order of the member list (the devices
    /// passed in come first).
    pub devices: Vec<DeviceKey>,
    /// The made-up devices' secret keys, to sign their writing.
    secrets: Vec<(DeviceKey, [u8; 32])>,
}

impl Generated {
    /// The signatures that vouch for the made-up members' writing: for each
    /// document, the latest change of each of their devices, signed. The
    /// devices passed in sign their own (a node signs its own changes when
    /// it keeps the community, [`Generated::sign_as`] signs for others).
    pub fn signatures(&mut self) -> BTreeMap<DocKind, Signatures> {
        let secrets = self.secrets.clone();
        self.sign_with(&secrets)
    }

    /// The signatures of a device passed in, given its secret key.
    pub fn sign_as(&mut self, secret: &[u8; 32]) -> BTreeMap<DocKind, Signatures> {
        let key = Signed::with_secret(secret, automerge::ChangeHash([0; 32])).device();
        self.sign_with(&[(key, *secret)])
    }

    fn sign_with(&mut self, secrets: &[(DeviceKey, [u8; 32])]) -> BTreeMap<DocKind, Signatures> {
        let by_actor: BTreeMap<ActorId, [u8; 32]> =
            secrets.iter().map(|(k, s)| (k.actor(), *s)).collect();
        let mut out = BTreeMap::new();
        for (kind, doc) in self.docs.docs_mut() {
            let mut latest: BTreeMap<ActorId, (u64, automerge::ChangeHash)> = BTreeMap::new();
            for meta in doc.get_changes_meta(&[]) {
                if !by_actor.contains_key(meta.actor.as_ref()) {
                    continue;
                }
                let entry = latest
                    .entry(meta.actor.into_owned())
                    .or_insert((0, meta.hash));
                if meta.seq >= entry.0 {
                    *entry = (meta.seq, meta.hash);
                }
            }
            let mut signatures = Signatures::default();
            for (actor, (seq, hash)) in latest {
                signatures.keep(seq, Signed::with_secret(&by_actor[&actor], hash));
            }
            out.insert(kind, signatures);
        }
        out
    }
}

/// Generates a community's history, ending at `now`.
///
/// The first members are the owners of `devices` (the first one is the
/// admin who created the community), so real nodes can hold and sync it; the
/// others get made-up device keys no real device holds. `stop_after` ends the
/// history after that many changes: the same seed with a smaller
/// `stop_after` gives a prefix of the same history.
pub fn generate(
    plan: &Plan,
    seed: u64,
    devices: &[DeviceKey],
    now: Timestamp,
    stop_after: Option<usize>,
) -> Result<Generated, CommandError> {
    generate_with(plan, seed, devices, now, stop_after, true)
}

/// [`generate`] as versions before signed changes made communities: the
/// genesis does not ask for signatures (see [`passerelle_model::epoch`] for how such a
/// community starts requiring them). The same seed gives the same history.
pub fn generate_legacy(
    plan: &Plan,
    seed: u64,
    devices: &[DeviceKey],
    now: Timestamp,
    stop_after: Option<usize>,
) -> Result<Generated, CommandError> {
    generate_with(plan, seed, devices, now, stop_after, false)
}

fn generate_with(
    plan: &Plan,
    seed: u64,
    devices: &[DeviceKey],
    now: Timestamp,
    stop_after: Option<usize>,
    signed: bool,
) -> Result<Generated, CommandError> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let start = now - plan.months as Timestamp * MONTH;
    let mut people: Vec<Person> = Vec::with_capacity(MEMBERS);
    let mut secrets = Vec::new();
    for i in 0..MEMBERS.max(devices.len()) {
        let device = devices.get(i).cloned().unwrap_or_else(|| {
            // A real key pair, so that its writing can be signed.
            let mut secret = [0u8; 32];
            secret[..16].copy_from_slice(&rng.random::<u128>().to_le_bytes());
            secret[16..].copy_from_slice(&rng.random::<u128>().to_le_bytes());
            let key = Signed::with_secret(&secret, automerge::ChangeHash([0; 32])).device();
            secrets.push((key.clone(), secret));
            key
        });
        let name = format!(
            "{} {}",
            FIRST_NAMES[i % FIRST_NAMES.len()],
            LAST_NAMES[(i * 7 + i / FIRST_NAMES.len()) % LAST_NAMES.len()]
        );
        people.push(Person {
            id: MemberId::from_parts(start, rng.random()),
            name,
            // Each device writes under the actor derived from its key, as a
            // real device does (the draw keeps the generated history stable).
            actor: {
                let _ = rng.random::<[u8; 16]>();
                device.actor()
            },
            author: Author { device },
        });
    }
    let creator = Member {
        id: people[0].id.clone(),
        display_name: people[0].name.clone(),
        role: Role::Admin,
        devices: [(
            people[0].author.device.0.clone(),
            Device {
                revoked: None,
                added_at: start,
                label: "portable".into(),
            },
        )]
        .into(),
        skills: vec![],
        languages: vec!["français".into()],
        joined_at: start,
        removed_at: None,
    };
    let mut random = || rng.random::<u128>();
    let genesis = Genesis::new(
        "Échange de savoirs du quartier Saint-Michel",
        "Un cercle d'échange de savoirs et de coups de main entre habitants, au centre social : \
         chacun sait quelque chose, chacun a besoin de quelqu'un.",
        creator,
        &people[0].author.device,
        start,
        &mut random,
    )?;
    let docs = if signed {
        CommunityDocs::create_signed(genesis, &people[0].actor)?
    } else {
        CommunityDocs::create(genesis, &people[0].actor)?
    };
    let mut world = World {
        docs,
        rng,
        people,
        limit: stop_after.unwrap_or(usize::MAX),
        changes: passerelle_model::layout::DocKind::ALL.len(),
        now: start,
        exchanges: Vec::new(),
        events: Vec::new(),
        groups: Vec::new(),
        ideas: Vec::new(),
        actors: Vec::new(),
        sheets: Vec::new(),
        posts: Vec::new(),
    };
    world.launch(plan)?;
    for month in 1..plan.months {
        let begin = start + month as Timestamp * MONTH;
        world.month(plan, begin, plan.monthly_changes)?;
    }
    let devices = world
        .people
        .iter()
        .map(|p| p.author.device.clone())
        .collect();
    Ok(Generated {
        docs: world.docs,
        changes: world.changes,
        devices,
        secrets,
    })
}

struct Person {
    id: MemberId,
    name: String,
    actor: ActorId,
    author: Author,
}

struct GenExchange {
    id: ItemId,
    by: usize,
    status: ExchangeStatus,
}

struct GenEvent {
    id: ItemId,
    answered: BTreeSet<usize>,
}

struct GenGroup {
    id: ItemId,
    members: BTreeSet<usize>,
}

struct GenIdea {
    id: ItemId,
    votes: BTreeSet<usize>,
}

struct GenSheet {
    id: ItemId,
    sections: Vec<(String, String)>,
}

struct World {
    docs: CommunityDocs,
    rng: ChaCha8Rng,
    people: Vec<Person>,
    limit: usize,
    changes: usize,
    now: Timestamp,
    exchanges: Vec<GenExchange>,
    events: Vec<GenEvent>,
    groups: Vec<GenGroup>,
    ideas: Vec<GenIdea>,
    actors: Vec<ItemId>,
    sheets: Vec<GenSheet>,
    posts: Vec<ItemId>,
}

/// Stops the history once the change limit is reached.
struct Full;

type Step = Result<(), Stop>;

enum Stop {
    Full(Full),
    Error(CommandError),
}

impl From<CommandError> for Stop {
    fn from(e: CommandError) -> Self {
        Stop::Error(e)
    }
}

fn finish(step: Step) -> Result<(), CommandError> {
    match step {
        Ok(()) | Err(Stop::Full(Full)) => Ok(()),
        Err(Stop::Error(e)) => Err(e),
    }
}

impl World {
    /// Applies a command as member `who`, from their own device and actor.
    fn run(&mut self, who: usize, command: Command) -> Step {
        if self.changes >= self.limit {
            return Err(Stop::Full(Full));
        }
        let person = &self.people[who];
        self.docs.set_actor(&person.actor);
        self.docs.apply(&person.author, command, self.now)?;
        self.changes += 1;
        Ok(())
    }

    fn id(&mut self) -> ItemId {
        ItemId::from_parts(self.now, self.rng.random())
    }

    fn someone(&mut self) -> usize {
        // A few members do most of the talking, as in every group.
        if self.rng.random_bool(0.5) {
            self.rng.random_range(0..self.people.len().min(12))
        } else {
            self.rng.random_range(0..self.people.len())
        }
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items.choose(&mut self.rng).copied().unwrap_or_default()
    }

    /// The busy first month: everyone joins and fills in their profile, the
    /// groups and the annuaire are set up, the Grande Rencontre happens.
    fn launch(&mut self, plan: &Plan) -> Result<(), CommandError> {
        let start = self.now;
        finish(self.setup(plan))?;
        let used = self.changes;
        self.month(plan, start, plan.launch_changes.saturating_sub(used))
    }

    fn setup(&mut self, plan: &Plan) -> Step {
        for i in 1..self.people.len() {
            self.now += 10 * 60 * 1000;
            let role = if i < 4 { Role::Animateur } else { Role::Membre };
            let p = &self.people[i];
            let command = Command::Members(MemberCommand::AddMember {
                id: p.id.clone(),
                display_name: p.name.clone(),
                role,
                device: p.author.device.clone(),
                device_label: "portable".into(),
            });
            self.run(0, command)?;
            let skills = [self.pick(SKILLS), self.pick(SKILLS)];
            let languages = if self.rng.random_bool(0.3) {
                vec!["français".into(), self.pick(LANGUAGES).to_owned()]
            } else {
                vec!["français".into()]
            };
            self.run(
                i,
                Command::Members(MemberCommand::UpdateProfile {
                    display_name: None,
                    skills: Some(skills.iter().map(|s| s.to_string()).collect()),
                    languages: Some(languages),
                }),
            )?;
        }
        if plan.weights.group_post == 0 && plan.weights.actor == 0 {
            return Ok(());
        }
        for (i, (name, theme, description)) in GROUPS.iter().enumerate() {
            let id = self.id();
            let by = 1 + i % 3;
            self.run(
                by,
                Command::Groups(GroupCommand::AddGroup {
                    id: id.clone(),
                    name: (*name).into(),
                    theme: Some((*theme).into()),
                    description: (*description).into(),
                }),
            )?;
            self.groups.push(GenGroup {
                id,
                members: [by].into(),
            });
        }
        Ok(())
    }

    /// One month of life: `budget` changes spread over thirty days.
    fn month(&mut self, plan: &Plan, begin: Timestamp, budget: usize) -> Result<(), CommandError> {
        let table = plan.weights.table();
        let total: u32 = table.iter().map(|(_, w)| w).sum();
        if total == 0 || budget == 0 {
            return Ok(());
        }
        let target = self.changes + budget;
        let step = (MONTH / budget as Timestamp).max(1);
        self.now = self.now.max(begin);
        let mut attempts = 0;
        while self.changes < target && attempts < budget * 4 {
            attempts += 1;
            self.now += self.rng.random_range(1..=step * 2 - 1).min(step * 2);
            let mut roll = self.rng.random_range(0..total);
            let activity = table
                .iter()
                .find(|(_, w)| {
                    if roll < *w {
                        true
                    } else {
                        roll -= w;
                        false
                    }
                })
                .map(|(a, _)| *a)
                .unwrap_or(Activity::Exchange);
            match self.act(activity) {
                Ok(()) => {}
                Err(Stop::Full(Full)) => return Ok(()),
                Err(Stop::Error(e)) => return Err(e),
            }
        }
        Ok(())
    }

    fn act(&mut self, activity: Activity) -> Step {
        let who = self.someone();
        match activity {
            Activity::Exchange => self.add_exchange(who),
            Activity::Reply => self.reply(who),
            Activity::Status => self.status(),
            Activity::EditExchange => self.edit_exchange(),
            Activity::Event => self.add_event(),
            Activity::Rsvp => self.rsvp(),
            Activity::JoinGroup => self.join_group(who),
            Activity::GroupPost => self.group_post(),
            Activity::Meeting => self.meeting(),
            Activity::Idea => self.add_idea(who),
            Activity::Vote => self.vote(),
            Activity::IdeaTheme => self.idea_theme(),
            Activity::Actor => self.add_actor(who),
            Activity::Link => self.link(who),
            Activity::Sheet => self.add_sheet(who),
            Activity::EditSection => self.edit_section(who),
            Activity::Post => self.add_post(who),
            Activity::Comment => self.comment(who),
        }
    }

    fn add_exchange(&mut self, who: usize) -> Step {
        let (category, offers, needs) = *CATALOGUE.choose(&mut self.rng).expect("catalogue");
        let offer = self.rng.random_bool(0.5);
        let (kind, title) = if offer {
            (ExchangeKind::Offer, self.pick(offers))
        } else {
            (ExchangeKind::Need, self.pick(needs))
        };
        let when = self.pick(WHEN);
        let description = format!("{title}, {when}. {}", self.pick(DETAILS));
        let mode = *ExchangeMode::ALL.choose(&mut self.rng).expect("modes");
        let place = self
            .rng
            .random_bool(0.4)
            .then(|| self.pick(PLACES).to_owned());
        let id = self.id();
        self.run(
            who,
            Command::Exchanges(ExchangeCommand::AddExchange {
                id: id.clone(),
                kind,
                title: title.into(),
                description,
                category: category.into(),
                mode,
                place,
            }),
        )?;
        // One offer in five has a photo (its description: the bytes are not
        // part of a generated community), decided and named from its id so
        // the rest of the history stays as it was.
        if offer && fnv(id.as_str(), 0).is_multiple_of(5) {
            self.run(who, photo_of(&id, title))?;
        }
        self.exchanges.push(GenExchange {
            id,
            by: who,
            status: ExchangeStatus::Open,
        });
        Ok(())
    }

    /// A recent échange: people answer what was posted lately.
    fn recent_exchange(&mut self) -> Option<usize> {
        let n = self.exchanges.len();
        (n > 0).then(|| n - 1 - self.rng.random_range(0..n.min(60)))
    }

    fn reply(&mut self, who: usize) -> Step {
        let Some(i) = self.recent_exchange() else {
            return Ok(());
        };
        let (kind, text) = match self.rng.random_range(0..3) {
            0 => (ReplyKind::CanHelp, self.pick(CAN_HELP)),
            1 => (ReplyKind::Interested, self.pick(INTERESTED)),
            _ => (ReplyKind::Message, self.pick(MESSAGES)),
        };
        let id = self.id();
        let exchange = self.exchanges[i].id.clone();
        self.run(
            who,
            Command::Exchanges(ExchangeCommand::ReplyToExchange {
                exchange,
                id,
                kind,
                text: text.into(),
            }),
        )
    }

    fn status(&mut self) -> Step {
        let Some(i) = self.recent_exchange() else {
            return Ok(());
        };
        let next = match self.exchanges[i].status {
            ExchangeStatus::Open => ExchangeStatus::InProgress,
            ExchangeStatus::InProgress => ExchangeStatus::Done,
            ExchangeStatus::Done => return Ok(()),
        };
        let (id, by) = (self.exchanges[i].id.clone(), self.exchanges[i].by);
        self.run(
            by,
            Command::Exchanges(ExchangeCommand::SetExchangeStatus { id, status: next }),
        )?;
        self.exchanges[i].status = next;
        Ok(())
    }

    fn edit_exchange(&mut self) -> Step {
        let Some(i) = self.recent_exchange() else {
            return Ok(());
        };
        let (id, by) = (self.exchanges[i].id.clone(), self.exchanges[i].by);
        let description = format!("{} {}", self.pick(DETAILS), self.pick(WHEN));
        self.run(
            by,
            Command::Exchanges(ExchangeCommand::UpdateExchange {
                id,
                title: None,
                description: Some(description),
                category: None,
                mode: None,
                place: None,
            }),
        )
    }

    fn add_event(&mut self) -> Step {
        let who = self.rng.random_range(0..4);
        let (title, description) = *EVENTS.choose(&mut self.rng).expect("events");
        let start = self.now + self.rng.random_range(3..21) * DAY + 14 * 60 * 60 * 1000;
        let id = self.id();
        let capacity = self
            .rng
            .random_bool(0.5)
            .then(|| self.rng.random_range(8..30));
        let place = Some(self.pick(PLACES).to_owned());
        self.run(
            who,
            Command::Agenda(AgendaCommand::AddEvent {
                id: id.clone(),
                title: title.into(),
                description: description.into(),
                start,
                end: Some(start + 2 * 60 * 60 * 1000),
                place,
                capacity,
            }),
        )?;
        self.events.push(GenEvent {
            id,
            answered: BTreeSet::new(),
        });
        Ok(())
    }

    fn rsvp(&mut self) -> Step {
        let n = self.events.len();
        if n == 0 {
            return Ok(());
        }
        let i = n - 1 - self.rng.random_range(0..n.min(4));
        let who = self.someone();
        let answer = match self.rng.random_range(0..10) {
            0..6 => RsvpAnswer::Yes,
            6..8 => RsvpAnswer::Maybe,
            _ => RsvpAnswer::No,
        };
        if !self.events[i].answered.insert(who) && answer != RsvpAnswer::No {
            // Someone who answered already changes their mind only to "non".
            return Ok(());
        }
        let event = self.events[i].id.clone();
        self.run(who, Command::Agenda(AgendaCommand::Rsvp { event, answer }))
    }

    fn join_group(&mut self, who: usize) -> Step {
        if self.groups.is_empty() {
            return Ok(());
        }
        let g = self.rng.random_range(0..self.groups.len());
        if !self.groups[g].members.insert(who) {
            return Ok(());
        }
        let group = self.groups[g].id.clone();
        self.run(who, Command::Groups(GroupCommand::JoinGroup { group }))
    }

    fn group_post(&mut self) -> Step {
        if self.groups.is_empty() {
            return Ok(());
        }
        let g = self.rng.random_range(0..self.groups.len());
        let members: Vec<usize> = self.groups[g].members.iter().copied().collect();
        let who = *members
            .choose(&mut self.rng)
            .expect("a group has its creator");
        let text = format!("{} {}", self.pick(GROUP_TALK), self.pick(WHEN));
        let (group, id) = (self.groups[g].id.clone(), self.id());
        self.run(
            who,
            Command::Groups(GroupCommand::PostInGroup { group, id, text }),
        )
    }

    fn meeting(&mut self) -> Step {
        if self.groups.is_empty() {
            return Ok(());
        }
        let g = self.rng.random_range(0..self.groups.len());
        let at = self.now + self.rng.random_range(2..15) * DAY + 18 * 60 * 60 * 1000;
        let place = Some(self.pick(PLACES).to_owned());
        let group = self.groups[g].id.clone();
        let who = *self.groups[g]
            .members
            .first()
            .expect("a group has its creator");
        self.run(
            who,
            Command::Groups(GroupCommand::SetNextMeeting {
                group,
                meeting: Some(Meeting { at, place }),
            }),
        )
    }

    fn add_idea(&mut self, who: usize) -> Step {
        let (theme, texts) = *IDEAS.choose(&mut self.rng).expect("ideas");
        let text = self.pick(texts).to_owned();
        let id = self.id();
        let table = Some(self.rng.random_range(1..=6));
        let theme = self.rng.random_bool(0.7).then(|| theme.to_owned());
        self.run(
            who,
            Command::Ideas(IdeaCommand::AddIdea {
                id: id.clone(),
                text,
                theme,
                table,
            }),
        )?;
        self.ideas.push(GenIdea {
            id,
            votes: BTreeSet::new(),
        });
        Ok(())
    }

    fn vote(&mut self) -> Step {
        let n = self.ideas.len();
        if n == 0 {
            return Ok(());
        }
        let i = n - 1 - self.rng.random_range(0..n.min(40));
        let who = self.someone();
        if !self.ideas[i].votes.insert(who) {
            return Ok(());
        }
        let idea = self.ideas[i].id.clone();
        self.run(who, Command::Ideas(IdeaCommand::Vote { idea }))
    }

    fn idea_theme(&mut self) -> Step {
        let Some(idea) = self.ideas.choose(&mut self.rng).map(|i| i.id.clone()) else {
            return Ok(());
        };
        let theme = IDEAS.choose(&mut self.rng).map(|(t, _)| (*t).to_owned());
        let who = self.rng.random_range(0..4);
        self.run(
            who,
            Command::Ideas(IdeaCommand::SetIdeaTheme { idea, theme }),
        )
    }

    fn add_actor(&mut self, who: usize) -> Step {
        let (kind, name, description, tags) = *ACTORS.choose(&mut self.rng).expect("actors");
        let n = self.actors.len();
        let name = if n < ACTORS.len() {
            name.to_owned()
        } else {
            format!("{name} ({})", n / ACTORS.len() + 1)
        };
        let id = self.id();
        let address = Some(self.pick(PLACES).to_owned());
        let phone = format!(
            "06 {:02} {:02} {:02} {:02}",
            self.rng.random_range(10..99),
            self.rng.random_range(10..99),
            self.rng.random_range(10..99),
            self.rng.random_range(10..99)
        );
        self.run(
            who,
            Command::Annuaire(AnnuaireCommand::AddActor {
                id: id.clone(),
                kind,
                name,
                description: description.into(),
                contact: Contact {
                    email: None,
                    phone: Some(phone),
                    website: None,
                },
                address,
                tags: tags.iter().map(|t| t.to_string()).collect(),
            }),
        )?;
        self.actors.push(id);
        Ok(())
    }

    fn link(&mut self, who: usize) -> Step {
        if self.actors.len() < 2 {
            return Ok(());
        }
        let from = self
            .actors
            .choose(&mut self.rng)
            .cloned()
            .expect("two actors");
        let to = self
            .actors
            .choose(&mut self.rng)
            .cloned()
            .expect("two actors");
        if from == to {
            return Ok(());
        }
        let label = self
            .pick(&[
                "partenaire de",
                "accompagne",
                "gère",
                "oriente vers",
                "prête ses locaux à",
            ])
            .to_owned();
        let id = self.id();
        self.run(
            who,
            Command::Annuaire(AnnuaireCommand::LinkActors {
                id,
                from,
                to,
                label,
            }),
        )
    }

    fn add_sheet(&mut self, who: usize) -> Step {
        let (title, sections) = *SHEETS.choose(&mut self.rng).expect("sheets");
        let n = self.sheets.len();
        let title = if n < SHEETS.len() {
            title.to_owned()
        } else {
            format!("{title} ({})", n / SHEETS.len() + 1)
        };
        let id = self.id();
        let sections: Vec<(String, String)> = sections
            .iter()
            .map(|(h, b)| ((*h).to_owned(), (*b).to_owned()))
            .collect();
        self.run(
            who,
            Command::Savoirs(SavoirsCommand::AddSheet {
                id: id.clone(),
                title,
                sections: sections.clone(),
            }),
        )?;
        self.sheets.push(GenSheet { id, sections });
        Ok(())
    }

    /// Several people improve the same sheets: a sentence is added, or the
    /// oldest added sentence is rewritten once the section is long.
    fn edit_section(&mut self, who: usize) -> Step {
        let n = self.sheets.len();
        if n == 0 {
            return Ok(());
        }
        let s = n - 1 - self.rng.random_range(0..n.min(8));
        let k = self.rng.random_range(0..self.sheets[s].sections.len());
        let addition = self.pick(SHEET_ADDITIONS);
        let body = &self.sheets[s].sections[k].1;
        let mut sentences: Vec<&str> = body.split_inclusive(". ").collect();
        if sentences.len() > 8 {
            sentences.remove(1);
        }
        let mut new_body: String = sentences.concat();
        if !new_body.ends_with(' ') {
            new_body.push(' ');
        }
        new_body.push_str(addition);
        let sheet = self.sheets[s].id.clone();
        let section = format!("{sheet}-{k}");
        self.run(
            who,
            Command::Savoirs(SavoirsCommand::EditSection {
                sheet,
                section,
                heading: None,
                body: Some(new_body.clone()),
            }),
        )?;
        self.sheets[s].sections[k].1 = new_body;
        Ok(())
    }

    fn add_post(&mut self, who: usize) -> Step {
        let text = format!("{} {}", self.pick(POSTS), self.pick(WHEN));
        let id = self.id();
        self.run(
            who,
            Command::Fil(FilCommand::AddPost {
                id: id.clone(),
                text,
            }),
        )?;
        self.posts.push(id);
        Ok(())
    }

    fn comment(&mut self, who: usize) -> Step {
        let n = self.posts.len();
        if n == 0 {
            return Ok(());
        }
        let post = self.posts[n - 1 - self.rng.random_range(0..n.min(10))].clone();
        let id = self.id();
        let text = self.pick(COMMENTS).to_owned();
        self.run(who, Command::Fil(FilCommand::AddComment { post, id, text }))
    }
}

/// Counts of each kind of item, for checking generated communities.
pub fn counts(view: &passerelle_model::CommunityView) -> BTreeMap<&'static str, usize> {
    [
        ("members", view.community.members.len()),
        ("exchanges", view.exchanges.len()),
        (
            "replies",
            view.exchanges.iter().map(|e| e.replies.len()).sum(),
        ),
        ("events", view.events.len()),
        ("groups", view.community.groups.len()),
        ("ideas", view.ideas.len()),
        ("actors", view.community.actors.len()),
        ("sheets", view.sheets.len()),
        ("posts", view.posts.len()),
    ]
    .into()
}

const FIRST_NAMES: &[&str] = &[
    "Nadia",
    "Karim",
    "Ana",
    "Moussa",
    "Leila",
    "Chantal",
    "Sophie",
    "Marion",
    "Yasmine",
    "Bruno",
    "Fatou",
    "Julien",
    "Aïcha",
    "Thierry",
    "Mélanie",
    "Ibrahim",
    "Élodie",
    "Rachid",
    "Nathalie",
    "Sékou",
    "Claire",
    "Mehdi",
    "Josiane",
    "Oumar",
    "Hélène",
    "Kevin",
    "Samia",
    "Gérard",
    "Inès",
    "Jean-Pierre",
    "Amina",
    "Lucas",
    "Zohra",
    "François",
    "Awa",
    "Patrick",
    "Naïma",
    "Cédric",
    "Khadija",
    "Bernadette",
    "Youssef",
    "Émilie",
    "Mamadou",
    "Sylvie",
    "Farid",
    "Laurence",
    "Djamila",
    "Olivier",
    "Rokia",
    "Martine",
];

const LAST_NAMES: &[&str] = &[
    "Benali",
    "Diallo",
    "Martin",
    "Traoré",
    "Bernard",
    "Haddad",
    "Petit",
    "Nguyen",
    "Moreau",
    "Koné",
    "Lefèvre",
    "Mansouri",
    "Garcia",
    "Fofana",
    "Roux",
    "Chevalier",
    "Bouzid",
    "Fournier",
    "Camara",
    "Girard",
    "Sow",
    "Lambert",
    "Belkacem",
];

const SKILLS: &[&str] = &[
    "vélo",
    "bricolage",
    "couture",
    "cuisine",
    "danse",
    "informatique",
    "jardinage",
    "anglais",
    "espagnol",
    "arabe",
    "garde d'enfants",
    "cv",
    "peinture",
    "plomberie",
    "photo",
    "tricot",
    "comptabilité",
    "démarches administratives",
    "musique",
    "théâtre",
];

const LANGUAGES: &[&str] = &[
    "arabe",
    "anglais",
    "espagnol",
    "wolof",
    "portugais",
    "tamoul",
    "turc",
];

type Entry = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);

/// Per category: offers, then needs.
const CATALOGUE: &[Entry] = &[
    (
        "bricolage",
        &[
            "Réparation de vélos : je vous montre",
            "Prêt d'une perceuse-visseuse",
            "Je monte vos meubles en kit",
            "Petite plomberie : fuites et joints",
            "Je vous apprends à changer une prise",
        ],
        &[
            "Réparer mon vélo",
            "Monter une étagère",
            "Déboucher un évier",
            "Changer le joint du robinet",
            "Emprunter une échelle",
        ],
    ),
    (
        "cuisine",
        &[
            "Cuisine du monde à la cuisine d'Authenti'Cité",
            "Je partage mes recettes de pâtisserie",
            "Atelier pain maison",
            "Cuisiner avec les légumes du jardin",
        ],
        &[
            "Apprendre à faire le pain",
            "Idées de repas pas chers",
            "Aide pour préparer la fête des voisins",
            "Apprendre la cuisine végétarienne",
        ],
    ),
    (
        "jardinage",
        &[
            "Plants de tomates à donner",
            "Je partage mes graines",
            "Conseils pour un potager sur un balcon",
            "Aide au désherbage aux jardins de Gorki",
        ],
        &[
            "Apprendre à tailler les arbres fruitiers",
            "Aide pour bêcher ma parcelle",
            "Des semis de courges",
            "Comprendre le compost",
        ],
    ),
    (
        "informatique",
        &[
            "Initiation à l'ordinateur et à internet",
            "Je vous aide avec votre téléphone",
            "Installer une imprimante",
            "Créer une adresse e-mail",
        ],
        &[
            "Aide pour mon ordinateur qui rame",
            "Apprendre à faire un tableau",
            "Scanner des documents",
            "Faire une visio avec ma famille",
        ],
    ),
    (
        "langues",
        &[
            "Conversation en espagnol",
            "Cours d'arabe pour débutants",
            "Je corrige vos lettres en français",
            "Conversation en anglais autour d'un café",
        ],
        &[
            "Conversation en anglais",
            "Progresser en français à l'écrit",
            "Apprendre quelques mots de wolof",
            "Préparer un entretien en anglais",
        ],
    ),
    (
        "garde-d-enfants",
        &[
            "Je peux garder vos enfants le mardi et le jeudi",
            "Aide aux devoirs le mercredi",
            "Sortie au parc avec les enfants",
        ],
        &[
            "Garde d'enfants pendant un entretien d'embauche",
            "Quelqu'un pour récupérer mon fils à l'école",
            "Aide aux devoirs en mathématiques",
        ],
    ),
    (
        "emploi",
        &[
            "Relecture de CV et simulation d'entretien",
            "Je vous aide à écrire une lettre de motivation",
            "Partage de mon réseau dans la logistique",
        ],
        &[
            "Relire mon CV",
            "Préparer un entretien d'embauche",
            "Trouver une formation d'aide-soignante",
        ],
    ),
    (
        "mobilite",
        &[
            "Covoiturage vers le marché du samedi",
            "Je vous accompagne à vélo pour prendre confiance",
            "Prêt d'un siège auto",
        ],
        &[
            "Apprendre à faire du vélo",
            "Un trajet vers l'hôpital jeudi",
            "Comprendre le réseau de bus",
        ],
    ),
    (
        "danse-et-culture",
        &[
            "Je partage ma connaissance en danse",
            "Atelier percussions africaines",
            "Sortie au musée en groupe",
            "Initiation au théâtre d'improvisation",
        ],
        &[
            "Apprendre la salsa",
            "Quelqu'un pour m'accompagner au concert",
            "Apprendre à jouer de la guitare",
        ],
    ),
    (
        "demarches",
        &[
            "Je vous aide à remplir vos dossiers CAF",
            "Accompagnement pour les démarches en ligne",
            "Lire et comprendre un courrier administratif",
        ],
        &[
            "Aide pour un dossier de logement",
            "Comprendre ma feuille d'impôts",
            "Prendre rendez-vous à la préfecture",
        ],
    ),
    (
        "autre",
        &[
            "Je prête mes outils de couture",
            "Je donne des vêtements d'enfant",
            "Atelier tricot au centre social",
        ],
        &[
            "Apprendre à coudre un ourlet",
            "Un coup de main pour un déménagement",
            "Des cartons pour déménager",
        ],
    ),
];

const WHEN: &[&str] = &[
    "plutôt le samedi matin",
    "en semaine après 18 h",
    "le mercredi après-midi",
    "quand vous voulez",
    "avant la fin du mois",
    "pendant les vacances scolaires",
    "le dimanche",
    "le mardi ou le jeudi",
];

const DETAILS: &[&str] = &[
    "Débutants bienvenus, on apprend ensemble.",
    "Je peux me déplacer dans le quartier.",
    "On peut se retrouver au centre social.",
    "J'ai le matériel, il suffit de venir.",
    "Une heure devrait suffire.",
    "En échange je peux aider en cuisine ou en couture.",
    "C'est urgent, merci d'avance !",
    "Pas de souci si vous ne parlez pas bien français.",
];

const PLACES: &[&str] = &[
    "Centre social Saint-Michel",
    "Cuisine d'Authenti'Cité",
    "Jardins de Gorki",
    "Salle informatique de la maison de quartier",
    "Médiathèque",
    "Local associatif, 12 rue des Lilas",
    "Parc du Château",
];

const CAN_HELP: &[&str] = &[
    "Je peux t'aider, je suis libre samedi.",
    "Je sais faire, on se voit au centre social ?",
    "Avec plaisir, envoie-moi un message.",
    "Je peux venir jeudi soir.",
];

const INTERESTED: &[&str] = &[
    "Ça m'intéresse aussi !",
    "Je viendrais bien apprendre avec vous.",
    "Super idée, je suis partante.",
    "Ça m'intéresse, c'est à quelle heure ?",
];

const MESSAGES: &[&str] = &[
    "Merci beaucoup, c'était très utile.",
    "C'est toujours d'actualité ?",
    "On a fait ça ensemble hier, merci !",
    "Je passe le message à ma voisine.",
];

const EVENTS: &[(&str, &str)] = &[
    (
        "Café des savoirs",
        "On se retrouve pour partager ce que chacun sait faire et ce qu'il cherche.",
    ),
    (
        "Atelier réparation de vélos",
        "Venez avec votre vélo : chaînes, freins, crevaisons.",
    ),
    (
        "Repas partagé",
        "Chacun apporte un plat de chez lui, à la cuisine d'Authenti'Cité.",
    ),
    (
        "Journée aux jardins de Gorki",
        "Plantations, désherbage et pique-nique.",
    ),
    ("Soirée danse", "Salsa et danses afro, tous niveaux."),
    (
        "Permanence démarches en ligne",
        "Aide pour les dossiers CAF, impôts et logement.",
    ),
    ("Réunion mensuelle", "Bilan du mois et projets à venir."),
    (
        "Grande Rencontre",
        "Six tables, sept thèmes : construisons ensemble la suite.",
    ),
];

const GROUPS: &[(&str, &str, &str)] = &[
    (
        "Cuisine d'Authenti'Cité",
        "mise-en-commun-des-pratiques",
        "Cuisiner ensemble et partager nos recettes.",
    ),
    (
        "Informatique pour tous",
        "formation-et-apprentissage",
        "S'entraider sur les ordinateurs et les téléphones.",
    ),
    (
        "Jardins de Gorki",
        "lieux-de-rencontre",
        "Les parcelles partagées et le compost.",
    ),
    (
        "Recherche d'emploi",
        "observer-et-inspirer",
        "Micro-communauté de personnes en transition professionnelle.",
    ),
    (
        "Langues et conversation",
        "formation-et-apprentissage",
        "Pratiquer les langues autour d'un café.",
    ),
    (
        "Communication du collectif",
        "communication-et-valorisation",
        "Affiches, réseaux et journal du quartier.",
    ),
];

const GROUP_TALK: &[&str] = &[
    "Qui vient à la prochaine séance ?",
    "J'apporte le matériel.",
    "Merci à tous pour hier, c'était super.",
    "On pourrait inviter l'association du quartier.",
    "Je serai en retard de dix minutes.",
    "Quelqu'un peut ouvrir la salle ?",
    "J'ai trouvé une formation gratuite, je vous mets le lien.",
    "Proposition : on change d'horaire.",
];

const IDEAS: &[(&str, &[&str])] = &[
    (
        "lieux-de-rencontre",
        &[
            "Un café des savoirs chaque mois",
            "Ouvrir la salle le samedi",
            "Un banc à livres devant le centre social",
        ],
    ),
    (
        "formation-et-apprentissage",
        &[
            "Des binômes pour apprendre l'informatique",
            "Former des animateurs bénévoles",
            "Un atelier CV mensuel",
        ],
    ),
    (
        "communication-et-valorisation",
        &[
            "Un journal du quartier",
            "Afficher les offres à la boulangerie",
            "Raconter nos réussites",
        ],
    ),
    (
        "dispositions-legales-et-plaidoyer",
        &[
            "Connaître les droits des bénévoles",
            "Écrire à la mairie pour un local",
            "Une assurance pour les échanges",
        ],
    ),
    (
        "observer-et-inspirer",
        &[
            "Visiter un autre réseau d'échange",
            "Inviter une association voisine",
            "Recenser ce qui marche ailleurs",
        ],
    ),
    (
        "instances-et-outils-tiers",
        &[
            "Travailler avec Pôle emploi",
            "Un partenariat avec la médiathèque",
            "Une convention avec le bailleur",
        ],
    ),
    (
        "mise-en-commun-des-pratiques",
        &[
            "Une fiche par savoir partagé",
            "Un classeur des bonnes adresses",
            "Mutualiser le matériel",
        ],
    ),
];

const ACTORS: &[(ActorKind, &str, &str, &[&str])] = &[
    (
        ActorKind::Organisation,
        "Centre social Saint-Michel",
        "Accueil, activités et permanences pour tous les habitants.",
        &["social", "accueil"],
    ),
    (
        ActorKind::Place,
        "Cuisine d'Authenti'Cité",
        "Cuisine partagée ouverte aux associations.",
        &["cuisine", "lieu"],
    ),
    (
        ActorKind::Place,
        "Jardins de Gorki",
        "Jardins partagés en pied d'immeuble.",
        &["jardinage", "lieu"],
    ),
    (
        ActorKind::Organisation,
        "Mission locale",
        "Accompagnement des jeunes vers l'emploi.",
        &["emploi"],
    ),
    (
        ActorKind::Organisation,
        "Médiathèque du quartier",
        "Livres, ordinateurs et ateliers numériques.",
        &["culture", "informatique"],
    ),
    (
        ActorKind::Person,
        "Mme Diallo, écrivaine publique",
        "Aide aux courriers et aux démarches.",
        &["démarches"],
    ),
    (
        ActorKind::Organisation,
        "Atelier vélo solidaire",
        "Réparation et récupération de vélos.",
        &["vélo", "mobilité"],
    ),
    (
        ActorKind::Organisation,
        "Crèche parentale Les Lucioles",
        "Places d'urgence pour les parents en recherche d'emploi.",
        &["garde d'enfants"],
    ),
];

const SHEETS: &[(&str, &[(&str, &str)])] = &[
    (
        "Réparer une crevaison",
        &[
            ("Matériel", "Démonte-pneus, rustines, colle, une pompe. "),
            (
                "Étapes",
                "Démonter la roue. Trouver le trou dans une bassine d'eau. ",
            ),
        ],
    ),
    (
        "Fiche projet : système d'échange de savoirs",
        &[
            (
                "Objectif",
                "Échanger des compétences et renforcer le lien social. ",
            ),
            (
                "Étapes",
                "Recenser les savoirs. Construire des groupes thématiques. ",
            ),
        ],
    ),
    (
        "Accueillir un nouveau membre",
        &[
            (
                "Avant",
                "Préparer un badge et la liste des échanges en cours. ",
            ),
            (
                "Pendant",
                "Faire le tour des tables. Présenter les groupes. ",
            ),
        ],
    ),
    (
        "Feuille de route de la Grande Rencontre",
        &[
            ("Lieux de rencontre", "Un café des savoirs mensuel. "),
            ("Formation", "Des binômes d'apprentissage. "),
        ],
    ),
    (
        "Recettes du repas partagé",
        &[
            ("Entrées", "Houmous, taboulé. "),
            ("Plats", "Couscous aux légumes. "),
        ],
    ),
];

const SHEET_ADDITIONS: &[&str] = &[
    "Penser à prévenir le centre social la veille. ",
    "Prévoir une personne pour l'accueil. ",
    "Ça marche mieux à deux. ",
    "Astuce : garder une liste des contacts. ",
    "Vérifier le matériel avant de commencer. ",
    "Demander aux enfants d'aider, ils adorent. ",
    "Noter ce qui a marché pour la prochaine fois. ",
];

const POSTS: &[&str] = &[
    "Bienvenue aux nouveaux membres !",
    "Le centre social sera fermé pendant les vacances,",
    "Rappel : le repas partagé a lieu",
    "Merci à toutes et à tous pour la Grande Rencontre.",
    "On cherche des bénévoles pour la fête de quartier,",
    "Les photos de l'atelier vélo sont arrivées.",
    "Nouvelle permanence démarches en ligne,",
];

const COMMENTS: &[&str] = &[
    "Merci pour l'info !",
    "Je serai là.",
    "Bravo à tous !",
    "Je peux aider pour l'installation.",
    "Super nouvelle.",
    "Je ne pourrai pas venir, désolée.",
];

/// FNV-1a of a text and a salt.
fn fnv(text: &str, salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325_u64 ^ salt;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A made-up blob hash (64 hex characters) for an item.
fn made_up_hash(id: &str, salt: u64) -> String {
    (0..4)
        .map(|i| format!("{:016x}", fnv(id, salt * 8 + i)))
        .collect()
}

/// The description of a photo of an offer (2,048 × 1,536, with its
/// thumbnail), as the app would attach it.
fn photo_of(id: &ItemId, title: &str) -> Command {
    let size = 300_000 + fnv(id.as_str(), 1) % 1_700_000;
    Command::Attachments(passerelle_model::AttachmentCommand::Attach {
        kind: ItemKind::Exchange,
        id: id.clone(),
        attachment: passerelle_model::NewAttachment {
            hash: made_up_hash(id.as_str(), 2),
            name: format!("{}.jpg", title.to_lowercase().replace(' ', "-")),
            mime: "image/jpeg".into(),
            size,
            dimensions: Some((2048, 1536)),
            thumb: Some(Thumbnail {
                hash: made_up_hash(id.as_str(), 3),
                size: 12_000 + fnv(id.as_str(), 4) % 20_000,
                width: 320,
                height: 240,
            }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use passerelle_model::ViewCache;

    const NOW: Timestamp = 1_790_000_000_000;

    #[test]
    fn a_month_is_about_eight_thousand_changes_and_deterministic() {
        let me = DeviceKey("a".repeat(64));
        let mut one =
            generate(&Size::Month.plan(), 7, std::slice::from_ref(&me), NOW, None).unwrap();
        let mut two = generate(
            &Size::Month.plan(),
            7,
            std::slice::from_ref(&me),
            NOW,
            Some(1_000),
        )
        .unwrap();
        let mut one_prefix = generate(
            &Size::Month.plan(),
            7,
            std::slice::from_ref(&me),
            NOW,
            Some(1_000),
        )
        .unwrap();
        assert_eq!(one_prefix.docs.heads(), two.docs.heads());
        assert!((7_500..=8_000).contains(&one.changes), "{}", one.changes);
        assert_eq!(one.devices[0], me);
        let view = ViewCache::default().view(&mut one.docs).unwrap();
        let counts = counts(&view);
        assert_eq!(counts["members"], MEMBERS);
        for (what, n) in &counts {
            assert!(*n > 0, "no {what}");
        }
        // Every member acted from their own actor.
        let actors: BTreeSet<_> = one
            .docs
            .docs_mut()
            .flat_map(|(_, d)| {
                d.get_changes(&[])
                    .into_iter()
                    .map(|c| c.actor_id().clone())
                    .collect::<Vec<_>>()
            })
            .collect();
        assert!(actors.len() >= 45, "{} actors", actors.len());
        // Offers and needs meet: the matcher finds pairs.
        assert!(!passerelle_model::matching::suggest_matches(&view.exchanges).is_empty());
    }

    #[test]
    fn views_rebuilt_from_the_items_a_change_touched_equal_fresh_ones() {
        let me = DeviceKey("a".repeat(64));
        let plan = Size::Month.plan();
        let mut docs = generate(&plan, 5, std::slice::from_ref(&me), NOW, Some(1_500))
            .unwrap()
            .docs;
        let mut cache = ViewCache::default();
        cache.view(&mut docs).unwrap();
        for stop in [1_501, 1_530, 2_000] {
            let mut later = generate(&plan, 5, std::slice::from_ref(&me), NOW, Some(stop))
                .unwrap()
                .docs;
            for (kind, doc) in docs.docs_mut() {
                doc.merge(later.doc_mut(kind).unwrap()).unwrap();
            }
            let incremental = cache.view(&mut docs).unwrap();
            let fresh = ViewCache::default().view(&mut docs).unwrap();
            let json = |v: &passerelle_model::CommunityView| {
                serde_json::to_string(&(&v.exchanges, &v.events, &v.ideas, &v.sheets, &v.posts))
                    .unwrap()
            };
            assert_eq!(json(&incremental), json(&fresh), "after {stop} changes");
        }
    }

    #[test]
    fn a_shorter_run_is_a_prefix_of_the_same_history() {
        let me = DeviceKey("a".repeat(64));
        let mut full = generate(
            &Size::Month.plan(),
            3,
            std::slice::from_ref(&me),
            NOW,
            Some(2_000),
        )
        .unwrap();
        let mut part = generate(&Size::Month.plan(), 3, &[me], NOW, Some(1_800)).unwrap();
        assert_eq!(part.changes, 1_800);
        for (kind, doc) in part.docs.docs_mut() {
            let theirs = full.docs.doc_mut(kind).unwrap();
            for head in doc.get_heads() {
                assert!(theirs.get_change_by_hash(&head).is_some(), "{kind:?}");
            }
        }
    }
}
