//! Criterion benchmarks of the hot paths, on a generated `month` community:
//! `cargo bench -p passerelle-bench` (docs/PERFORMANCE.md).

use std::hint::black_box;

use automerge::sync::SyncDoc;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use passerelle_bench::fixture::{NOW, SEED};
use passerelle_core::model::layout::new_doc;
use passerelle_core::model::matching::Matcher;
use passerelle_core::model::search::SearchIndex;
use passerelle_core::model::{
    Author, Command, CommunityDocs, DeviceKey, DocKind, ExchangeCommand, ExchangeKind,
    ExchangeMode, ItemId, ViewCache,
};
use passerelle_demo::generate::{Generated, Size, generate};

fn month(stop_after: Option<usize>) -> Generated {
    let me = DeviceKey("ab".repeat(32));
    generate(&Size::Month.plan(), SEED, &[me], NOW, stop_after).expect("the generator works")
}

fn bench(c: &mut Criterion) {
    let mut full = month(None);
    let me = Author {
        device: full.devices[0].clone(),
    };
    let view = ViewCache::default().view(&mut full.docs).expect("a view");

    let mut docs = full.docs.clone();
    let mut n = 0u128;
    c.bench_function("apply: add an échange", |b| {
        b.iter(|| {
            n += 1;
            let command = Command::Exchanges(ExchangeCommand::AddExchange {
                id: ItemId::from_parts(NOW, n),
                kind: ExchangeKind::Offer,
                title: "Je prête ma perceuse".into(),
                description: "Perceuse-visseuse, le week-end.".into(),
                category: "bricolage".into(),
                mode: ExchangeMode::Pret,
                place: None,
            });
            docs.apply(&me, command, NOW).expect("applies")
        })
    });

    let exchanges = full
        .docs
        .doc(DocKind::Exchanges)
        .expect("exchanges")
        .clone();
    let saved = exchanges.clone().save();
    c.bench_function("save: échanges document", |b| {
        b.iter_batched(
            || exchanges.clone(),
            |mut d| d.save(),
            BatchSize::LargeInput,
        )
    });
    c.bench_function("load: échanges document", |b| {
        b.iter(|| {
            let mut doc = new_doc();
            doc.load_incremental(black_box(&saved)).expect("loads");
            doc
        })
    });
    c.bench_function("hydrate: whole view", |b| {
        b.iter_batched(
            || (ViewCache::default(), full.docs.clone()),
            |(mut cache, mut docs): (ViewCache, CommunityDocs)| cache.view(&mut docs).is_ok(),
            BatchSize::LargeInput,
        )
    });

    let mut cache = ViewCache::default();
    let mut growing = full.docs.clone();
    cache.view(&mut growing).expect("a view");
    let exchange = view.exchanges[0].id.clone();
    let mut k = 0u128;
    c.bench_function("hydrate: after one reply", |b| {
        b.iter(|| {
            k += 1;
            let reply = Command::Exchanges(ExchangeCommand::ReplyToExchange {
                exchange: exchange.clone(),
                id: ItemId::from_parts(NOW, k),
                kind: passerelle_core::model::ReplyKind::Interested,
                text: "Ça m'intéresse".into(),
            });
            growing.apply(&me, reply, NOW).expect("applies");
            cache.view(&mut growing).is_ok()
        })
    });

    c.bench_function("search: build the index", |b| {
        b.iter(|| SearchIndex::build(&view))
    });
    let index = SearchIndex::build(&view);
    c.bench_function("search: one query", |b| {
        b.iter(|| index.search(black_box("vélo")))
    });

    c.bench_function("match: first run", |b| {
        b.iter(|| Matcher::default().suggest(&view.exchanges))
    });
    let mut matcher = Matcher::default();
    matcher.suggest(&view.exchanges);
    c.bench_function("match: after a change", |b| {
        b.iter(|| matcher.suggest(&view.exchanges))
    });

    // One device holds 90 % of the history: a whole automerge sync round
    // (every message both ways, in memory) of the échanges document.
    let missing = full.changes / 10;
    let part = month(Some(full.changes - missing));
    let theirs = part
        .docs
        .doc(DocKind::Exchanges)
        .expect("exchanges")
        .clone();
    c.bench_function("sync round: échanges, 10 % missing", |b| {
        b.iter_batched(
            || (exchanges.clone(), theirs.clone()),
            |(mut a, mut b)| {
                let (mut sa, mut sb) = Default::default();
                loop {
                    let to_b = a.sync().generate_sync_message(&mut sa);
                    let to_a = b.sync().generate_sync_message(&mut sb);
                    if to_b.is_none() && to_a.is_none() {
                        break;
                    }
                    if let Some(m) = to_b {
                        b.sync().receive_sync_message(&mut sb, m).expect("receives");
                    }
                    if let Some(m) = to_a {
                        a.sync().receive_sync_message(&mut sa, m).expect("receives");
                    }
                }
                (a, b)
            },
            BatchSize::LargeInput,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
