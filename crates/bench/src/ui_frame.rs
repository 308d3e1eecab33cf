//! CPU time of one app frame on the Échanges screen with 10,000 échanges,
//! while the list scrolls.
//!
//! The real app runs in an `egui_kittest` harness (no GPU, 1200 x 800, its
//! network on loopback), on a copy of a community holding about 10,000
//! échanges. Each measured frame is one `Harness::step()` after a trackpad
//! scroll event over the list: most frames move it by a few rows, every
//! tenth jumps tens of thousands of points, so the rows drawn change every
//! frame and some frames lay out text never seen before.
//!
//! The figure is the CPU time of the UI thread during `step()`
//! (`CLOCK_THREAD_CPUTIME_ID`): egui draws on that thread alone, and the
//! machine is shared, so wall time would also count other processes. Wall
//! time and the cost of tessellating the frame's shapes (which a real
//! window adds before painting; the harness does not) are printed beside it.
//! `step()` includes building egui's AccessKit tree, which the harness
//! always asks for (a real window only with a screen reader on), but not the
//! harness's accessibility check, which only `run()` makes and which this
//! scenario turns off anyway.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use egui::{Event, Modifiers, MouseWheelSource, MouseWheelUnit, Pos2, TouchPhase, Vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use passerelle_app::clock::Clock;
use passerelle_app::views::Screen;
use passerelle_app::{AppConfig, PasserelleApp};
use passerelle_demo::generate::Plan;

use crate::fixture::{self, copy_dir, loopback};
use crate::{Effort, ms_since, percentile};

/// Échanges in the community shown.
const EXCHANGES: usize = 10_000;

/// Window size, as in the app's UI tests.
const SIZE: [f32; 2] = [1200.0, 800.0];

/// A point over the list: right of the navigation (230 pt), left of the
/// details panel (340 pt), below the filters.
const OVER_THE_LIST: Pos2 = Pos2::new(500.0, 500.0);

type H = Harness<'static, PasserelleApp>;

/// Returns the median and 99th percentile frame times, in ms.
pub fn ui_frame(effort: Effort) -> Result<(f64, f64)> {
    let template = tokio::runtime::Runtime::new()?.block_on(fixture::plan_fixture(
        "exchanges-10000",
        Plan::exchanges(EXCHANGES),
    ))?;
    let tmp = tempfile::tempdir()?;
    let dir = tmp.path().join("device");
    copy_dir(&template, &dir)?;

    let mut h = harness(&dir)?;
    wait_until(&mut h, "the community's view", |h| {
        h.state().is_ready() && h.state().view().is_some()
    })?;
    h.state_mut().show(Screen::Exchanges);
    let count = h.state().view().map_or(0, |v| v.exchanges.len());
    wait_until(&mut h, "the list of échanges", |h| {
        !visible_rows(h).is_empty()
    })?;
    eprintln!("ui_frame: {count} échanges in the community");
    anyhow::ensure!(
        count >= EXCHANGES * 95 / 100,
        "the fixture holds {count} échanges, not about {EXCHANGES}"
    );

    h.hover_at(OVER_THE_LIST);
    h.event(wheel(TouchPhase::Start, 0.0));
    h.step();
    let mut scroll = Scroll::default();
    for _ in 0..effort.reps(100, 30) {
        h.event(scroll.next());
        h.step();
    }
    let frames = effort.reps(1000, 300);
    let (mut cpu, mut wall, mut tessellated) = (Vec::new(), Vec::new(), Vec::new());
    let mut before = visible_rows(&h);
    let mut unchanged = 0;
    for _ in 0..frames {
        h.event(scroll.next());
        let (started, started_cpu) = (Instant::now(), thread_cpu_ms());
        h.step();
        let step_cpu = thread_cpu_ms() - started_cpu;
        wall.push(ms_since(started));
        cpu.push(step_cpu);
        let shapes = h.output().shapes.clone();
        let started_cpu = thread_cpu_ms();
        let pixels_per_point = h.ctx.pixels_per_point();
        std::hint::black_box(h.ctx.tessellate(shapes, pixels_per_point));
        tessellated.push(step_cpu + thread_cpu_ms() - started_cpu);
        let now = visible_rows(&h);
        if now == before {
            unchanged += 1;
        }
        before = now;
    }
    // A list that stopped moving would be cheaper to draw: nearly every
    // frame must show other rows than the one before.
    anyhow::ensure!(
        unchanged <= frames / 20,
        "{unchanged} of {frames} frames showed the same rows as the previous one"
    );
    let p = |v: &[f64]| (percentile(v, 50.0), percentile(v, 99.0));
    let (wall, tessellated) = (p(&wall), p(&tessellated));
    eprintln!(
        "ui_frame: {frames} frames; wall time p50 {:.2} ms, p99 {:.2} ms; \
         CPU time with tessellation p50 {:.2} ms, p99 {:.2} ms",
        wall.0, wall.1, tessellated.0, tessellated.1
    );
    Ok(p(&cpu))
}

/// CPU time of the calling thread, in ms.
fn thread_cpu_ms() -> f64 {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid timespec for the call to fill in.
    let failed = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) } != 0;
    // This clock exists on every Linux since 2.6.12; should it fail, the
    // frame times would read zero, which the report would show.
    if failed {
        return 0.0;
    }
    now.tv_sec as f64 * 1000.0 + now.tv_nsec as f64 / 1_000_000.0
}

/// The app on `dir`, in a harness as the app's UI tests build it; frames
/// 1/60 s apart.
fn harness(dir: &std::path::Path) -> Result<H> {
    let config = AppConfig {
        data_dir: dir.to_owned(),
        net: loopback(),
        clock: Clock::System,
        notifier: Arc::new(passerelle_app::notify::Recorder::default()),
    };
    let app = PasserelleApp::new(config, Arc::new(|| {})).context("starting the app")?;
    Ok(Harness::builder()
        .with_size(SIZE)
        .with_step_dt(1.0 / 60.0)
        .with_accessibility_check(false)
        .build_ui_state(|ui, app: &mut PasserelleApp| app.ui(ui), app))
}

/// Steps the UI until `done` holds: the node answers asynchronously.
fn wait_until(h: &mut H, what: &str, done: impl Fn(&H) -> bool) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(h) {
        anyhow::ensure!(
            Instant::now() < deadline,
            "timed out waiting for {what}; error shown: {:?}",
            h.state().error()
        );
        std::thread::sleep(Duration::from_millis(5));
        h.step();
    }
    Ok(())
}

/// The titles of the échange cards drawn: which rows the list shows.
fn visible_rows(h: &H) -> Vec<String> {
    let Some(view) = h.state().view() else {
        return Vec::new();
    };
    let titles: HashSet<&str> = view.exchanges.iter().map(|e| e.title.as_str()).collect();
    h.query_all_by_role(egui::accesskit::Role::Button)
        .filter_map(|n| n.accesskit_node().label())
        .filter(|label| titles.contains(label.as_str()))
        .collect()
}

/// A trackpad scroll: `dy` points, positive moving the content down.
fn wheel(phase: TouchPhase, dy: f32) -> Event {
    Event::MouseWheel {
        unit: MouseWheelUnit::Point,
        delta: Vec2::new(0.0, dy),
        phase,
        source: MouseWheelSource::Trackpad,
        modifiers: Modifiers::NONE,
    }
}

/// Where the list is and which way it goes: down through the whole list,
/// then back up, in small steps with a long jump every tenth frame.
#[derive(Default)]
struct Scroll {
    frame: u64,
    /// Points scrolled from the top, as the scroll events add up. It stays
    /// between the list's ends, past which a trackpad would stretch it.
    offset: f32,
    up: bool,
}

impl Scroll {
    /// A little over one card's height (about 118 pt with its gap) per frame.
    const STEP: f32 = 125.0;
    /// About 800 cards.
    const JUMP: f32 = 94_000.0;
    /// The list is about 118 pt a card; stay clear of its end.
    const END: f32 = 110.0 * EXCHANGES as f32;

    fn next(&mut self) -> Event {
        self.frame += 1;
        let distance = if self.frame.is_multiple_of(10) {
            Self::JUMP
        } else {
            Self::STEP
        };
        if !self.up && self.offset + distance > Self::END {
            self.up = true;
        } else if self.up && self.offset - distance < 0.0 {
            self.up = false;
        }
        let delta = if self.up { -distance } else { distance };
        self.offset += delta;
        // Scrolling down moves the content up.
        wheel(TouchPhase::Move, -delta)
    }
}
