//! Photos and files between real `passerelle-node` processes on loopback:
//! Aïcha attaches a photo to an offer; Bruno meets her and gets its
//! thumbnail at once and the photo when he asks for it; Chloé, who meets
//! only Bruno, gets it from him. A stranger who knows the hash, and Bruno
//! once removed, get nothing. Deleting the offer frees the bytes everywhere.

use std::path::Path;
use std::time::Duration;

use iroh::endpoint::{PortmapperConfig, presets};
use iroh::{Endpoint, RelayMode, SecretKey};
use passerelle_sync::{BLOBS_ALPN, Ticket};
use passerelle_tests::{Server, add_offer, device, node, ok, setup, sync_with};
use serde_json::Value;

/// A photo of noise, which compresses badly: 2400×1800 is about 3 MB.
fn photo(path: &Path, width: u32, height: u32) -> u64 {
    let mut state = 0x2545_f491_u32;
    let picture = image::RgbImage::from_fn(width, height, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [a, b, c, _] = state.to_le_bytes();
        image::Rgb([a, b, c])
    });
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80)
        .encode_image(&picture)
        .unwrap();
    std::fs::write(path, &bytes).unwrap();
    bytes.len() as u64
}

fn attachments(dir: &Path, c: &str, item: &str) -> Vec<Value> {
    let text = ok(
        dir,
        &["attach", "list", "--community", c, "--item", item, "--json"],
    );
    serde_json::from_str(&text).expect("attach list --json prints an array")
}

/// `attach add`: returns the attachment's hash.
fn attach(dir: &Path, c: &str, item: &str, file: &Path) -> String {
    ok(
        dir,
        &[
            "attach",
            "add",
            "--community",
            c,
            "--item",
            item,
            file.to_str().unwrap(),
        ],
    )
}

/// `attach get` into `out`.
fn get(dir: &Path, c: &str, hash: &str, out: &Path) {
    ok(
        dir,
        &[
            "attach",
            "get",
            "--community",
            c,
            hash,
            "--out",
            out.to_str().unwrap(),
        ],
    );
}

fn storage(dir: &Path) -> Value {
    serde_json::from_str(&ok(dir, &["storage", "--json"])).expect("storage --json")
}

fn offer(dir: &Path, c: &str, title: &str) -> String {
    String::from_utf8(add_offer(dir, c, title).stdout)
        .unwrap()
        .trim()
        .to_owned()
}

/// Asks a device for a blob over `/iroh-bytes/4` with the given key, as any
/// modified app could; returns whether any byte of it came.
fn raw_fetch(secret: SecretKey, ticket: &str, hash: &str) -> bool {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let addr = Ticket::decode(ticket).unwrap().addr;
    let hash: iroh_blobs::Hash = {
        let bytes: [u8; 32] = data_encoding_hex(hash).try_into().unwrap();
        iroh_blobs::Hash::from_bytes(bytes)
    };
    runtime.block_on(async move {
        let endpoint = Endpoint::builder(presets::Minimal)
            .secret_key(secret)
            .relay_mode(RelayMode::Disabled)
            .portmapper_config(PortmapperConfig::Disabled)
            .clear_ip_transports()
            .bind_addr("127.0.0.1:0")
            .unwrap()
            .bind()
            .await
            .unwrap();
        let conn =
            tokio::time::timeout(Duration::from_secs(10), endpoint.connect(addr, BLOBS_ALPN))
                .await
                .expect("the device answers")
                .expect("the blob protocol is offered");
        let sized = iroh_blobs::get::request::get_verified_size(&conn, &hash).await;
        let store = iroh_blobs::store::mem::MemStore::new();
        let whole = store
            .remote()
            .fetch(conn.clone(), iroh_blobs::HashAndFormat::raw(hash))
            .complete()
            .await;
        let has = store.has(hash).await.unwrap_or(false);
        endpoint.close().await;
        eprintln!(
            "raw fetch: size {:?}, whole {:?}",
            sized.is_ok(),
            whole.is_ok()
        );
        sized.is_ok() || whole.is_ok() || has
    })
}

fn data_encoding_hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

fn device_secret(dir: &Path) -> SecretKey {
    let hex = std::fs::read_to_string(dir.join("identity/device.key")).unwrap();
    let bytes: [u8; 32] = data_encoding_hex(hex.trim()).try_into().unwrap();
    SecretKey::from_bytes(&bytes)
}

#[test]
fn a_photo_reaches_members_and_no_one_else() {
    setup!();
    let work = tempfile::tempdir().unwrap();
    let original = work.path().join("lampe.jpg");
    let size = photo(&original, 2400, 1800);
    assert!(size > 2_000_000, "a photo of about 3 MB ({size} bytes)");

    let (_ta, aicha) = device("Aïcha");
    let c = ok(&aicha, &["community", "create", "--name", "Les Tilleuls"]);
    let lamp = offer(&aicha, &c, "Lampe à donner");
    let hash = attach(&aicha, &c, &lamp, &original);
    let listed = attachments(&aicha, &c, &lamp);
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["hash"], hash.as_str());
    assert_eq!(listed[0]["mime"], "image/jpeg");
    assert_eq!(listed[0]["name"], "lampe.jpg");
    assert_eq!(listed[0]["present"], true);
    let stored = listed[0]["size"].as_u64().unwrap();
    assert!(stored < size, "re-encoded at 2,048 px: {stored} < {size}");

    let aicha_server = Server::start(&aicha);
    let aicha_ticket = aicha_server.ticket();
    let (_tb, bruno) = device("Bruno");
    let (_tc, chloe) = device("Chloé");
    for dir in [&bruno, &chloe] {
        let invite = ok(&aicha, &["invite", "--community", &c]);
        assert_eq!(ok(dir, &["join", &invite]), c);
        // Full files are fetched only when asked for.
        std::fs::write(dir.join("storage.json"), r#"{"auto_fetch": 0}"#).unwrap();
    }

    // Bruno meets Aïcha: the thumbnail comes with the sync.
    sync_with(&bruno, &aicha_ticket);
    let seen = attachments(&bruno, &c, &lamp);
    assert_eq!(seen[0]["thumb_present"], true, "{seen:?}");
    assert_eq!(seen[0]["present"], false, "{seen:?}");
    // The photo comes when he asks for it, byte for byte.
    let got = work.path().join("bruno.jpg");
    get(&bruno, &c, &hash, &got);
    let bytes = std::fs::read(&got).unwrap();
    assert_eq!(bytes.len() as u64, stored);
    assert_eq!(passerelle_sync::blobs::hash_of(&bytes), hash);
    drop(aicha_server);

    // Chloé meets only Bruno, and gets it from him.
    let bruno_server = Server::start(&bruno);
    sync_with(&chloe, &bruno_server.ticket());
    assert_eq!(attachments(&chloe, &c, &lamp)[0]["thumb_present"], true);
    let got = work.path().join("chloe.jpg");
    get(&chloe, &c, &hash, &got);
    assert_eq!(std::fs::read(&got).unwrap(), bytes);
    drop(bruno_server);

    // A stranger who knows the hash gets nothing.
    let aicha_server = Server::start(&aicha);
    let aicha_ticket = aicha_server.ticket();
    assert!(
        !raw_fetch(SecretKey::generate(), &aicha_ticket, &hash),
        "a stranger got the photo"
    );
    // A member's own key does get it (the same request, allowed).
    assert!(raw_fetch(device_secret(&chloe), &aicha_ticket, &hash));

    // Bruno is removed: a new photo is not for him, even asked for by hash.
    let bruno_key = ok(&bruno, &["id"]);
    ok(
        &aicha,
        &["members", "remove", "--community", &c, "--key", &bruno_key],
    );
    let second = work.path().join("plants.jpg");
    photo(&second, 1200, 900);
    let tomatoes = offer(&aicha, &c, "Plants de tomates");
    let new_hash = attach(&aicha, &c, &tomatoes, &second);
    assert!(
        !raw_fetch(device_secret(&bruno), &aicha_ticket, &new_hash),
        "a removed member got a new photo"
    );
    assert!(
        !raw_fetch(device_secret(&bruno), &aicha_ticket, &hash),
        "a removed member still gets photos"
    );
    let out = node(
        &bruno,
        &["sync", "--peer", &aicha_ticket, "--timeout", "20"],
    );
    assert!(!out.status.success(), "a removed member's sync is refused");
}

#[test]
fn deleting_an_offer_frees_its_photo_on_every_device() {
    setup!();
    let work = tempfile::tempdir().unwrap();
    let original = work.path().join("velo.jpg");
    photo(&original, 800, 600);
    let (_ta, aicha) = device("Aïcha");
    let c = ok(&aicha, &["community", "create", "--name", "Les Tilleuls"]);
    let bike = offer(&aicha, &c, "Vélo à réparer");
    attach(&aicha, &c, &bike, &original);
    let server = Server::start(&aicha);
    let ticket = server.ticket();
    let (_tb, bruno) = device("Bruno");
    let invite = ok(&aicha, &["invite", "--community", &c]);
    ok(&bruno, &["join", &invite]);
    sync_with(&bruno, &ticket);
    let held = storage(&bruno);
    assert!(held["thumbnails"].as_u64().unwrap() > 0, "{held}");
    assert!(held["others"].as_u64().unwrap() > 0, "auto-fetched: {held}");

    ok(
        &aicha,
        &[
            "moderate",
            "delete",
            "--community",
            &c,
            "exchange",
            &bike,
            "--reason",
            "donné",
        ],
    );
    sync_with(&bruno, &ticket);
    drop(server);
    for dir in [&aicha, &bruno] {
        let left = storage(dir);
        assert_eq!(left["total"], 0, "nothing referenced, nothing kept: {left}");
    }
}

#[test]
fn a_bundle_with_files_carries_photos_checked_by_hash() {
    setup!();
    let work = tempfile::tempdir().unwrap();
    let (_ta, aicha) = device("Aïcha");
    let c = ok(&aicha, &["community", "create", "--name", "Les Tilleuls"]);
    let server = Server::start(&aicha);
    let (_tb, bruno) = device("Bruno");
    let invite = ok(&aicha, &["invite", "--community", &c]);
    ok(&bruno, &["join", &invite]);
    drop(server);

    // Offline from now on: the photo goes by USB stick.
    let original = work.path().join("affiche.jpg");
    photo(&original, 900, 1200);
    let poster = offer(&aicha, &c, "Affiche du Pik-nik");
    let hash = attach(&aicha, &c, &poster, &original);
    let plain = work.path().join("sans-fichiers.passerelle");
    let full = work.path().join("avec-fichiers.passerelle");
    ok(
        &aicha,
        &[
            "bundle",
            "export",
            "--community",
            &c,
            "--out",
            plain.to_str().unwrap(),
        ],
    );
    ok(
        &aicha,
        &[
            "bundle",
            "export",
            "--community",
            &c,
            "--out",
            full.to_str().unwrap(),
            "--with-files",
        ],
    );
    let (plain_size, full_size) = (
        std::fs::metadata(&plain).unwrap().len(),
        std::fs::metadata(&full).unwrap().len(),
    );
    assert!(full_size > plain_size, "{full_size} > {plain_size}");

    // A damaged file inside is left out; the documents still merge.
    let mut damaged = std::fs::read(&full).unwrap();
    let last = damaged.len() - 1;
    damaged[last] ^= 0xff;
    let damaged_path = work.path().join("abimé.passerelle");
    std::fs::write(&damaged_path, &damaged).unwrap();
    let out = node(
        &bruno,
        &["bundle", "import", damaged_path.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("left out 1 file"), "{said}");
    let seen = attachments(&bruno, &c, &poster);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0]["hash"], hash.as_str());

    // The whole bundle brings the photo and its thumbnail.
    let out = node(&bruno, &["bundle", "import", full.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("took 2 file(s)"));
    let seen = attachments(&bruno, &c, &poster);
    assert_eq!(seen[0]["present"], true, "{seen:?}");
    assert_eq!(seen[0]["thumb_present"], true, "{seen:?}");
    let got = work.path().join("bruno.jpg");
    get(&bruno, &c, &hash, &got);
    assert_eq!(
        passerelle_sync::blobs::hash_of(&std::fs::read(&got).unwrap()),
        hash
    );
}

#[test]
fn exports_carry_attachments() {
    setup!();
    let work = tempfile::tempdir().unwrap();
    let (_ta, aicha) = device("Aïcha");
    let c = ok(&aicha, &["community", "create", "--name", "Les Tilleuls"]);
    let sheet = ok(
        &aicha,
        &[
            "sheet",
            "add",
            "--community",
            &c,
            "--title",
            "Fiche projet : cuisine partagée",
        ],
    );
    let picture = work.path().join("table 3.jpg");
    photo(&picture, 640, 480);
    let pdf = work.path().join("budget.pdf");
    std::fs::write(&pdf, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n").unwrap();
    let mut hashes = Vec::new();
    for file in [&picture, &pdf] {
        hashes.push(attach(&aicha, &c, &sheet, file));
    }

    // JSON lists them on their sheet.
    let json = work.path().join("export.json");
    ok(
        &aicha,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "json",
            "--out",
            json.to_str().unwrap(),
        ],
    );
    let export: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let listed = &export["sheets"][0]["attachments"];
    for hash in &hashes {
        assert_eq!(listed[hash]["hash"], hash.as_str(), "{listed}");
    }

    // Automerge: the references in the documents, the bytes in files/.
    let dir = work.path().join("automerge");
    ok(
        &aicha,
        &[
            "export",
            "--community",
            &c,
            "--format",
            "automerge",
            "--out",
            dir.to_str().unwrap(),
        ],
    );
    for hash in &hashes {
        let bytes = std::fs::read(dir.join("files").join(hash)).unwrap();
        assert_eq!(&passerelle_sync::blobs::hash_of(&bytes), hash);
    }

    // Markdown and HTML: the picture shown, the PDF linked, both beside it.
    for (format, name) in [("markdown", "fiche.md"), ("html", "fiche.html")] {
        let out = work.path().join(name);
        ok(
            &aicha,
            &[
                "export",
                "--community",
                &c,
                "--format",
                format,
                "--what",
                &format!("sheet:{sheet}"),
                "--out",
                out.to_str().unwrap(),
            ],
        );
        let text = std::fs::read_to_string(&out).unwrap();
        let stem = name.split('.').next().unwrap();
        let shown = format!("{stem}_fichiers/{}-table%203.jpg", &hashes[0][..8]);
        let linked = format!("{stem}_fichiers/{}-budget.pdf", &hashes[1][..8]);
        assert!(text.contains(&shown), "{text}");
        assert!(text.contains(&linked), "{text}");
        let beside = work.path().join(format!("{stem}_fichiers"));
        assert!(
            beside
                .join(format!("{}-table 3.jpg", &hashes[0][..8]))
                .exists()
        );
        assert!(
            beside
                .join(format!("{}-budget.pdf", &hashes[1][..8]))
                .exists()
        );
        if format == "html" {
            assert!(text.contains("<img src="), "{text}");
        }
    }
}

/// A meeting brings every thumbnail of what it brings, however many: the
/// fetcher running beside the session and the round after it share the
/// work, and neither loses blobs to the other.
#[test]
fn a_meeting_brings_every_thumbnail() {
    setup!();
    let work = tempfile::tempdir().unwrap();
    let (_ta, aicha) = device("Aïcha");
    let c = ok(&aicha, &["community", "create", "--name", "Les Tilleuls"]);
    let (_tb, bruno) = device("Bruno");
    let server = Server::start(&aicha);
    let ticket = server.ticket();
    let invite = ok(&aicha, &["invite", "--community", &c]);
    ok(&bruno, &["join", &invite]);
    std::fs::write(bruno.join("storage.json"), r#"{"auto_fetch": 0}"#).unwrap();
    let n: u32 = std::env::var("PASSERELLE_TEST_PHOTOS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let mut items = Vec::new();
    for i in 0..n {
        let file = work.path().join(format!("photo-{i}.jpg"));
        photo(&file, 160 + i, 120);
        let item = offer(&aicha, &c, &format!("Objet {i}"));
        attach(&aicha, &c, &item, &file);
        items.push(item);
    }
    sync_with(&bruno, &ticket);
    drop(server);
    let missing: Vec<&String> = items
        .iter()
        .filter(|item| attachments(&bruno, &c, item)[0]["thumb_present"] != true)
        .collect();
    assert!(
        missing.is_empty(),
        "{} of {n} thumbnails missing",
        missing.len()
    );
}
