//! Passerelle's look, in one place: the type scale, spacing, one accent
//! colour per kind of item, cards, avatars with initials, icons and the calm
//! "…" menu that holds secondary actions.
//!
//! Screens draw with these and never pick a size or a colour of their own,
//! so the whole app changes together ("Grand texte" scales all of it, see
//! [`crate::settings::Settings::apply`]). Every colour here carries white
//! text at WCAG AA contrast (tested below); text colours themselves come
//! from [`crate::settings::visuals`].

use egui::{Color32, CornerRadius, FontId, Margin, Response, RichText, Stroke, TextStyle, Ui};
pub use egui_material_icons::MaterialIcon as Icon;
use egui_material_icons::icons;

/// Body text, in points: readable for older eyes at arm's length.
pub const BODY: f32 = 16.0;
/// Secondary text (dates, places, "membre depuis…").
pub const SMALL: f32 = 13.5;
/// A card's title.
pub const TITLE: f32 = 18.5;
/// A screen's heading.
pub const HEADING: f32 = 25.0;

/// Space between lines of a card, and between cards.
pub const GAP: f32 = 10.0;
/// Space between sections of a screen.
pub const SECTION: f32 = 18.0;

/// The named text style of card titles.
fn title_style() -> TextStyle {
    TextStyle::Name("title".into())
}

/// Installs the icon font; called once, before the first frame is drawn.
pub fn install(ctx: &egui::Context) {
    egui_material_icons::initialize(ctx);
}

/// Applies the type scale and spacing to `style` (both themes).
pub fn apply(style: &mut egui::Style) {
    use egui::FontFamily::{Monospace, Proportional};
    style.text_styles = [
        (TextStyle::Small, FontId::new(SMALL, Proportional)),
        (TextStyle::Body, FontId::new(BODY, Proportional)),
        (TextStyle::Button, FontId::new(BODY, Proportional)),
        (TextStyle::Monospace, FontId::new(SMALL + 0.5, Monospace)),
        (TextStyle::Heading, FontId::new(HEADING, Proportional)),
        (title_style(), FontId::new(TITLE, Proportional)),
    ]
    .into();
    let s = &mut style.spacing;
    s.item_spacing = egui::vec2(8.0, 8.0);
    s.button_padding = egui::vec2(10.0, 5.0);
    s.interact_size.y = 30.0;
    s.menu_margin = Margin::same(10);
}

/// Whether `style` already has the type scale (so it is applied once).
pub fn is_applied(style: &egui::Style) -> bool {
    style.text_styles.contains_key(&title_style())
}

/// The kinds of things Passerelle shows, each with its accent colour and
/// icon, so that an offer never looks like a need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// "Je propose".
    Offer,
    /// "Je cherche".
    Need,
    /// An event.
    Event,
    /// A workshop idea.
    Idea,
    /// A group.
    Group,
    /// A place, an organisation, a person of the directory.
    Place,
    /// A sheet of the Savoirs.
    Knowledge,
    /// An announcement of the Fil.
    Post,
    /// A member.
    Member,
    /// Syncing, meeting.
    Sync,
    /// The Bilan.
    Report,
}

impl Kind {
    /// Every kind, for tests.
    pub const ALL: [Kind; 11] = [
        Kind::Offer,
        Kind::Need,
        Kind::Event,
        Kind::Idea,
        Kind::Group,
        Kind::Place,
        Kind::Knowledge,
        Kind::Post,
        Kind::Member,
        Kind::Sync,
        Kind::Report,
    ];

    /// The accent colour: a card's stripe, a tag's background.
    pub fn accent(self) -> Color32 {
        match self {
            Kind::Offer => Color32::from_rgb(23, 116, 56),
            Kind::Need => Color32::from_rgb(176, 64, 0),
            Kind::Event => Color32::from_rgb(26, 92, 170),
            Kind::Idea => Color32::from_rgb(128, 60, 160),
            Kind::Group => Color32::from_rgb(0, 112, 112),
            Kind::Place => Color32::from_rgb(125, 84, 20),
            Kind::Knowledge => Color32::from_rgb(60, 75, 175),
            Kind::Post => Color32::from_rgb(70, 84, 104),
            Kind::Member => Color32::from_rgb(150, 40, 90),
            Kind::Sync => Color32::from_rgb(0, 105, 150),
            Kind::Report => Color32::from_rgb(90, 90, 40),
        }
    }

    /// The colour of a card's stripe and of the kind's icons: the accent,
    /// lightened on the dark theme's cards.
    pub fn stripe(self, dark: bool) -> Color32 {
        let accent = self.accent();
        if dark {
            accent.lerp_to_gamma(Color32::WHITE, 0.45)
        } else {
            accent
        }
    }

    /// The icon drawn beside the kind's name.
    pub fn icon(self) -> Icon {
        match self {
            Kind::Offer => icons::ICON_VOLUNTEER_ACTIVISM,
            Kind::Need => icons::ICON_HANDSHAKE,
            Kind::Event => icons::ICON_EVENT,
            Kind::Idea => icons::ICON_LIGHTBULB,
            Kind::Group => icons::ICON_GROUPS,
            Kind::Place => icons::ICON_LOCATION_ON,
            Kind::Knowledge => icons::ICON_MENU_BOOK,
            Kind::Post => icons::ICON_CAMPAIGN,
            Kind::Member => icons::ICON_PERSON,
            Kind::Sync => icons::ICON_SYNC,
            Kind::Report => icons::ICON_BAR_CHART,
        }
    }
}

/// Icons the screens use beside their words.
pub mod icon {
    pub use egui_material_icons::icons::{
        ICON_ADD as ADD, ICON_CALENDAR_MONTH as CALENDAR, ICON_CHECK_CIRCLE as DONE,
        ICON_DELETE as DELETE, ICON_DEVICES as DEVICES, ICON_DOWNLOAD as DOWNLOAD,
        ICON_EDIT as EDIT, ICON_EXPLORE as EXPLORE, ICON_FLAG as FLAG, ICON_FORUM as FORUM,
        ICON_GROUP_ADD as CREATE, ICON_LOGIN as JOIN, ICON_MORE_HORIZ as MORE,
        ICON_NOTIFICATIONS as NOTIFICATIONS, ICON_PLACE as PLACE, ICON_QR_CODE as QR_CODE,
        ICON_RESTORE as RESTORE, ICON_SCHEDULE as TIME, ICON_SEARCH as SEARCH,
        ICON_SETTINGS as SETTINGS, ICON_UPLOAD as UPLOAD, ICON_WAVING_HAND as MEET,
        ICON_WIFI as WIFI,
    };
}

/// An icon as text, at `size` points, in `color` (the text colour if none).
pub fn icon_text(icon: Icon, size: f32) -> RichText {
    icon.rich_text().size(size)
}

/// A button showing `icon` then `label`, read by screen readers (and found
/// by tests) as `label` alone.
pub fn icon_button(ui: &mut Ui, icon: Icon, label: &str) -> Response {
    let button = egui::Button::new((icon.rich_text(), label));
    let response = ui.add(button);
    named(&response, ui, label, None);
    response
}

/// A button showing `icon` alone, where room is short: read by screen
/// readers (and found by tests) as `label`, which its tooltip shows.
pub fn icon_only_button(ui: &mut Ui, icon: Icon, label: &str) -> Response {
    // Narrow, so it fits beside a button in a side panel.
    let button = egui::Button::new(icon.rich_text().size(BODY + 2.0));
    let response = ui
        .scope(|ui| {
            ui.spacing_mut().button_padding.x = 6.0;
            ui.add(button)
        })
        .inner;
    named(&response, ui, label, None);
    response.on_hover_text(label)
}

/// A large button for the main choice of a screen: an icon, a label and a
/// line that explains it, `width` wide.
pub fn big_choice(ui: &mut Ui, icon: Icon, label: &str, explain: &str, width: f32) -> Response {
    let mut job = egui::text::LayoutJob::default();
    let style = ui.style();
    let lines = [
        RichText::new(format!("{label}\n"))
            .size(TITLE + 2.0)
            .strong(),
        RichText::new(explain).size(SMALL + 0.5),
    ];
    for line in lines {
        line.append_to(
            &mut job,
            style,
            egui::FontSelection::Default,
            egui::Align::LEFT,
        );
    }
    // Laid out here, wrapped, so that a long explanation keeps the button
    // `width` wide.
    let beside_icon = 30.0 + ui.spacing().item_spacing.x + 2.0 * ui.spacing().button_padding.x;
    job.wrap.max_width = (width - beside_icon - 4.0).max(80.0);
    let galley = ui.ctx().fonts_mut(|f| f.layout_job(job));
    let text = (icon.rich_text().size(30.0), galley, egui::Atom::grow());
    let response = ui.add(
        egui::Button::new(text)
            .min_size(egui::vec2(width, 76.0))
            .corner_radius(CornerRadius::same(12)),
    );
    named(&response, ui, label, None);
    response
}

/// A navigation entry: the screen's icon and name, selected when shown.
pub fn nav_item(ui: &mut Ui, kind: Kind, label: &str, selected: bool) -> Response {
    let text = (
        (kind.icon().rich_text().size(20.0)).color(kind.stripe(ui.visuals().dark_mode)),
        RichText::new(label).size(BODY + 0.5),
    );
    let response = ui.add(
        egui::Button::selectable(selected, text)
            .min_size(egui::vec2(ui.available_width(), 34.0))
            .frame_when_inactive(false),
    );
    named(&response, ui, label, Some(selected));
    response
}

/// Names a widget `label` for screen readers, over what its atoms say.
fn named(response: &Response, ui: &Ui, label: &str, selected: Option<bool>) {
    let enabled = ui.is_enabled();
    response.widget_info(|| match selected {
        Some(s) => egui::WidgetInfo::selected(egui::Role::Button, enabled, s, label),
        None => egui::WidgetInfo::labeled(egui::Role::Button, enabled, label),
    });
}

/// A menu button showing `icon` then `label`, read as `label`.
pub fn menu<R>(ui: &mut Ui, icon: Icon, label: &str, add: impl FnOnce(&mut Ui) -> R) -> Option<R> {
    let response = ui.menu_button((icon.rich_text(), label), add);
    named(&response.response, ui, label, None);
    response.inner
}

/// A "…" button opening a menu of secondary actions (moderate, delete):
/// they stay out of the way of reading and replying.
pub fn more_menu<R>(ui: &mut Ui, label: &str, add: impl FnOnce(&mut Ui) -> R) -> Option<R> {
    let response = ui.menu_button(icon::MORE.rich_text().size(20.0), add);
    named(&response.response, ui, label, None);
    response.response.on_hover_text(label);
    response.inner
}

/// A card holding one item: a rounded frame with the kind's accent stripe
/// on its left.
pub fn card<R>(ui: &mut Ui, kind: Kind, add: impl FnOnce(&mut Ui) -> R) -> R {
    let visuals = ui.visuals();
    let dark = visuals.dark_mode;
    let frame = egui::Frame::new()
        .fill(card_fill(dark))
        .stroke(visuals.widgets.noninteractive.bg_stroke)
        .corner_radius(CornerRadius::same(10))
        .inner_margin(Margin {
            left: 18,
            right: 14,
            top: 12,
            bottom: 12,
        });
    let shown = frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        add(ui)
    });
    let rect = shown.response.rect;
    let stripe = egui::Rect::from_min_max(rect.min, egui::pos2(rect.min.x + 6.0, rect.max.y));
    ui.painter().rect_filled(
        stripe,
        CornerRadius {
            nw: 10,
            sw: 10,
            ne: 0,
            se: 0,
        },
        kind.stripe(dark),
    );
    ui.add_space(GAP - ui.spacing().item_spacing.y);
    shown.inner
}

/// The background of cards.
pub fn card_fill(dark: bool) -> Color32 {
    if dark {
        Color32::from_gray(36)
    } else {
        Color32::WHITE
    }
}

/// A card's title: larger and strong.
pub fn title(ui: &mut Ui, text: impl Into<String>) -> Response {
    ui.label(RichText::new(text).text_style(title_style()).strong())
}

/// A card's title that opens the item when clicked.
pub fn title_link(ui: &mut Ui, text: impl Into<String>) -> Response {
    let text = RichText::new(text).text_style(title_style()).strong();
    ui.add(egui::Button::new(text).frame(false))
}

/// Secondary text: dates, places, counts.
pub fn meta(ui: &mut Ui, text: impl Into<String>) -> Response {
    ui.label(RichText::new(text).small().weak())
}

/// Secondary text after an icon.
pub fn meta_with(ui: &mut Ui, icon: Icon, text: impl Into<String>) -> Response {
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        ui.label(icon_text(icon, SMALL + 1.0).weak());
        ui.label(RichText::new(text).small().weak())
    })
    .inner
}

/// A small coloured label naming a kind ("Je propose", "Événement"):
/// white text on the kind's accent.
pub fn tag(ui: &mut Ui, kind: Kind, text: &str) -> Response {
    let text = (
        kind.icon()
            .rich_text()
            .size(SMALL + 1.0)
            .color(Color32::WHITE),
        RichText::new(text)
            .size(SMALL)
            .strong()
            .color(Color32::WHITE),
    );
    egui::Frame::new()
        .fill(kind.accent())
        .corner_radius(CornerRadius::same(20))
        .inner_margin(Margin::symmetric(8, 2))
        .show(ui, |ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            ui.horizontal(|ui| {
                ui.label(text.0);
                ui.label(text.1)
            })
            .inner
        })
        .inner
}

/// A screen's heading, with its kind's icon.
pub fn heading(ui: &mut Ui, kind: Kind, text: &str) -> Response {
    ui.horizontal(|ui| {
        let color = kind.stripe(ui.visuals().dark_mode);
        ui.label(kind.icon().rich_text().size(HEADING).color(color));
        ui.heading(text)
    })
    .inner
}

/// Colours an avatar may take: each carries white initials at AA contrast.
const AVATAR: [Color32; 8] = [
    Color32::from_rgb(176, 58, 46),
    Color32::from_rgb(20, 110, 70),
    Color32::from_rgb(30, 90, 160),
    Color32::from_rgb(125, 60, 152),
    Color32::from_rgb(0, 110, 120),
    Color32::from_rgb(150, 75, 0),
    Color32::from_rgb(170, 40, 100),
    Color32::from_rgb(70, 80, 100),
];

/// A member's initials: the first letter of the first two words ("Aïcha
/// Benali" → "AB"), or of the one word.
pub fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().find(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        "?".to_owned()
    } else {
        letters
    }
}

/// The avatar colour of whoever `seed` names (a member id): the same on
/// every device and every run.
pub fn avatar_color(seed: &str) -> Color32 {
    // FNV-1a: stable, unlike the standard library's hasher.
    let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    AVATAR[(hash % AVATAR.len() as u64) as usize]
}

/// A round avatar with the initials of `name`, coloured by `seed`.
pub fn avatar(ui: &mut Ui, name: &str, seed: &str, size: f32) -> Response {
    let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
    if ui.is_rect_visible(rect) {
        let painter = ui.painter();
        painter.circle_filled(rect.center(), size / 2.0, avatar_color(seed));
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            initials(name),
            FontId::proportional(size * 0.42),
            Color32::WHITE,
        );
    }
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Image, true, name));
    response
}

/// An avatar then a name, on one line.
pub fn person(ui: &mut Ui, name: &str, seed: &str) -> Response {
    ui.horizontal(|ui| {
        avatar(ui, name, seed, 28.0);
        ui.label(RichText::new(name).strong())
    })
    .inner
}

/// A quiet, boxed line of text that says nothing is here yet.
pub fn empty(ui: &mut Ui, text: &str) {
    egui::Frame::new()
        .stroke(Stroke::new(1.0, ui.visuals().weak_text_color()))
        .corner_radius(CornerRadius::same(10))
        .inner_margin(Margin::same(16))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(text).weak());
        });
}

// ---------------------------------------------------------------------
// Cards of lists, main buttons, and menus whose actions ask first
// (Échanges, Fil, Groupes, Agenda).
// ---------------------------------------------------------------------

/// More icons of the cards.
pub mod card_icon {
    pub use egui_material_icons::icons::{
        ICON_CHECK as CHECK, ICON_CLOSE as CLOSE, ICON_PEOPLE as PEOPLE, ICON_PERSON_ADD as JOIN,
        ICON_SELL as CATEGORY, ICON_SEND as SEND,
    };
}

/// The main button of a form or an item ("Publier", "Je peux aider"):
/// white words on the kind's accent, so it is the first thing seen.
pub fn primary_button(ui: &mut Ui, kind: Kind, icon: Icon, label: &str, enabled: bool) -> Response {
    let text = (
        icon.rich_text().size(BODY + 2.0).color(Color32::WHITE),
        RichText::new(label).strong().color(Color32::WHITE),
    );
    let button = egui::Button::new(text)
        .fill(kind.accent())
        .corner_radius(CornerRadius::same(8))
        .min_size(egui::vec2(0.0, ui.spacing().interact_size.y + 6.0));
    let response = ui.add_enabled(enabled, button);
    named(&response, ui, label, None);
    response
}

/// A "…" menu as [`more_menu`] that stays open while the user clicks
/// inside it, so that an action can ask its question there ("Supprimer ?",
/// a moderator's reason). A click outside, or Escape, closes it.
pub fn more_menu_asking<R>(ui: &mut Ui, label: &str, add: impl FnOnce(&mut Ui) -> R) -> Option<R> {
    let response = ui.button(icon::MORE.rich_text().size(20.0));
    named(&response, ui, label, None);
    let response = response.on_hover_text(label);
    // Opened leftwards from its right edge: the "…" sits at the right of a
    // card, and the menu keeps its place as a question makes it grow.
    // One width from the first frame, so that a question wrapping inside
    // does not make the menu grow (and its buttons move) frame after frame.
    egui::Popup::menu(&response)
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
        .align(egui::RectAlign::BOTTOM_END)
        .align_alternatives(&[egui::RectAlign::TOP_END])
        .width(MENU_WIDTH)
        .show(|ui| {
            ui.set_width(MENU_WIDTH);
            add(ui)
        })
        .map(|shown| shown.inner)
}

/// The width of a "…" menu whose actions ask first.
const MENU_WIDTH: f32 = 300.0;

/// The height of a list card holding `lines` lines of one control's
/// height (a title, a tag, an avatar, a button), margins included: list
/// cards have one height so that only those on screen are drawn.
pub fn list_card_height(ui: &Ui, lines: usize) -> f32 {
    let line = list_card_line(ui);
    let spacing = ui.spacing().item_spacing.y;
    let stroke = ui.visuals().widgets.noninteractive.bg_stroke.width;
    lines as f32 * line + lines.saturating_sub(1) as f32 * spacing + 24.0 + 2.0 * stroke
}

/// The height of one line of a list card: the taller of a control and a
/// card's title.
pub fn list_card_line(ui: &Ui) -> f32 {
    let title = ui.text_style_height(&title_style()) + 2.0 * ui.spacing().button_padding.y;
    title.max(ui.spacing().interact_size.y)
}

/// Passerelle's name on the first screen: the largest text of the app.
pub const DISPLAY: f32 = 40.0;

// ---------------------------------------------------------------------------
// Cards of fixed height for long lists, and the icons of the Atelier,
// Annuaire, Savoirs, Bilan and Membres screens.
// ---------------------------------------------------------------------------

/// A figure of the Bilan: a number one reads from across the room.
pub const FIGURE: f32 = 34.0;

/// More icons, for the details of items and members.
pub mod more_icon {
    pub use egui_material_icons::icons::{
        ICON_ADMIN_PANEL_SETTINGS as ADMIN, ICON_BACKUP as BACKUP, ICON_HISTORY as HISTORY,
        ICON_LABEL as TAG, ICON_LANGUAGE as WEBSITE, ICON_LINK as LINK, ICON_LOCK as LOCK,
        ICON_LOCK_OPEN as LOCK_OPEN, ICON_MAIL as EMAIL, ICON_PERSON_ADD as INVITE,
        ICON_PHONE as PHONE, ICON_SCHOOL as SKILL, ICON_TABLE_RESTAURANT as TABLE,
        ICON_THUMB_UP as VOTE, ICON_VERIFIED_USER as DEVICES_OK, ICON_VISIBILITY_OFF as HIDE,
    };
}

/// Icons of pictures and files on items.
pub mod file_icon {
    pub use egui_material_icons::icons::{
        ICON_ADD_PHOTO_ALTERNATE as ADD, ICON_ATTACH_FILE as ATTACHED, ICON_BROKEN_IMAGE as BROKEN,
        ICON_CLEANING_SERVICES as FREE, ICON_DRAFT as FILE, ICON_HOURGLASS_EMPTY as WAITING,
        ICON_IMAGE as PICTURE, ICON_KEYBOARD as TYPE, ICON_OPEN_IN_NEW as OPEN, ICON_SAVE as SAVE,
        ICON_STORAGE as STORAGE,
    };
}

/// A [`card`] exactly `height` points high (its content is cut to fit), so
/// that a long list can draw only its visible rows with
/// [`egui::ScrollArea::show_rows`]. `selected` outlines it in the kind's
/// colour. The whole card can be clicked (its response), not only its
/// title: a large target for an unsteady hand.
pub fn list_card<R>(
    ui: &mut Ui,
    kind: Kind,
    height: f32,
    selected: bool,
    add: impl FnOnce(&mut Ui) -> R,
) -> egui::InnerResponse<R> {
    // The card's margins (12 + 12) and its stroke.
    let inner = (height - 26.0).max(0.0);
    let size = egui::vec2(ui.available_width(), height);
    // Sensed before the card's widgets, which stay on top of it.
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::click());
    let response = response.on_hover_cursor(egui::CursorIcon::PointingHand);
    let builder = egui::UiBuilder::new()
        .max_rect(rect)
        .layout(egui::Layout::top_down(egui::Align::LEFT));
    let mut child = ui.new_child(builder);
    child.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
    let inner = card(&mut child, kind, |ui| {
        ui.set_height(inner);
        ui.set_clip_rect(ui.max_rect().intersect(ui.clip_rect()));
        add(ui)
    });
    if selected || response.hovered() {
        let rect = rect.shrink(1.0);
        let stroke = if selected {
            Stroke::new(2.0, kind.stripe(ui.visuals().dark_mode))
        } else {
            ui.visuals().widgets.hovered.bg_stroke
        };
        ui.painter().rect_stroke(
            rect,
            CornerRadius::same(10),
            stroke,
            egui::StrokeKind::Inside,
        );
    }
    egui::InnerResponse::new(inner, response)
}

/// Whether a [`list_card`] whose content says if its title was clicked
/// was opened: by its title, or by a click anywhere on it.
pub fn opened(card: egui::InnerResponse<bool>) -> bool {
    card.inner || card.response.clicked()
}

/// Secondary text after an icon, as two widgets of the current row: unlike
/// [`meta_with`], it wraps in a [`Ui::horizontal_wrapped`] row without
/// widening it.
pub fn meta_inline(ui: &mut Ui, icon: Icon, text: impl Into<String>) -> Response {
    ui.label(icon_text(icon, SMALL + 1.0).weak());
    ui.label(RichText::new(text).small().weak())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::tests::contrast;

    #[test]
    fn white_text_reads_on_every_accent_and_avatar() {
        for kind in Kind::ALL {
            let ratio = contrast(Color32::WHITE, kind.accent());
            assert!(ratio >= 4.5, "{kind:?} is {ratio:.2}:1");
        }
        for color in AVATAR {
            let ratio = contrast(Color32::WHITE, color);
            assert!(ratio >= 4.5, "avatar {color:?} is {ratio:.2}:1");
        }
    }

    #[test]
    fn stripes_stand_out_on_cards_in_both_themes() {
        // A stripe is a non-text mark: WCAG asks 3:1 against what is around it.
        for kind in Kind::ALL {
            for dark in [false, true] {
                let (stripe, bg) = (kind.stripe(dark), card_fill(dark));
                let ratio = contrast(stripe, bg);
                assert!(ratio >= 3.0, "{kind:?} (dark: {dark}) is {ratio:.2}:1");
            }
        }
    }

    #[test]
    fn initials_take_two_words_and_accents() {
        assert_eq!(initials("Aïcha Benali"), "AB");
        assert_eq!(initials("élodie"), "É");
        assert_eq!(initials("  jean  paul  marie "), "JP");
        assert_eq!(initials("🙂"), "?");
        assert_eq!(initials(""), "?");
    }

    #[test]
    fn avatar_colours_are_stable_and_spread() {
        assert_eq!(avatar_color("m-1"), avatar_color("m-1"));
        let colours: std::collections::HashSet<_> = (0..40)
            .map(|n| avatar_color(&format!("member-{n}")))
            .collect();
        assert!(
            colours.len() >= 6,
            "{} colours for 40 members",
            colours.len()
        );
    }

    #[test]
    fn the_type_scale_meets_its_sizes() {
        let mut style = egui::Style::default();
        apply(&mut style);
        let size = |s: TextStyle| style.text_styles[&s].size;
        assert!(size(TextStyle::Body) >= 15.0);
        assert!(size(TextStyle::Small) >= 13.0);
        assert!(size(TextStyle::Button) >= 15.0);
        assert!(size(TextStyle::Heading) >= size(TextStyle::Body) * 1.4);
        assert!(is_applied(&style));
    }
}
