//! Moderation with real `passerelle-node` processes on loopback: an admin
//! serves, a membre and an animateur join; what the admin hides leaves the
//! membre's lists and shows in the animateur's `moderate list` with its
//! reason; a deletion is final; a locked post refuses comments; a membre
//! cannot moderate and changes nothing by trying.

use std::collections::BTreeMap;
use std::path::Path;

use passerelle_tests::{Server, device, fails, list, ok, setup, sync_with};

/// Every file of a data directory and its content, except the lock, the
/// control socket and the hydrated views (a cache, not data).
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_owned();
            if path == dir.join("views") || name == "lock" || name == "control.sock" {
                continue;
            } else if path.is_dir() {
                stack.push(path);
            } else {
                out.insert(
                    path.strip_prefix(dir).unwrap().display().to_string(),
                    std::fs::read(&path).unwrap(),
                );
            }
        }
    }
    out
}

fn offer(dir: &Path, c: &str, title: &str) -> String {
    ok(
        dir,
        &[
            "exchange",
            "add",
            "--community",
            c,
            "--kind",
            "offer",
            "--title",
            title,
            "--category",
            "bricolage",
        ],
    )
}

fn titles(dir: &Path, c: &str) -> Vec<String> {
    list(dir, &["exchange", "list", "--community", c])
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn moderators_hide_delete_and_lock_members_cannot() {
    setup!();
    let (_ta, admin) = device("Nadia");
    let c = ok(&admin, &["community", "create", "--name", "Quartier Nord"]);
    let perceuse = offer(&admin, &c, "Perceuse à prêter");
    let doublon = offer(&admin, &c, "Perceuse à prêter (doublon)");
    let insulte = offer(&admin, &c, "Message insultant");
    let post = ok(
        &admin,
        &[
            "post",
            "add",
            "--community",
            &c,
            "--text",
            "Réunion du collectif jeudi",
        ],
    );
    let server = Server::start(&admin);
    let ticket = server.ticket();
    let (_tm, membre) = device("Karim");
    let (_tn, animateur) = device("Josiane");
    for dir in [&membre, &animateur] {
        let invite = ok(&admin, &["invite", "--community", &c]);
        assert_eq!(ok(dir, &["join", &invite]), c);
    }
    let josiane = ok(&animateur, &["id"]);
    ok(
        &admin,
        &["member", "role", "--community", &c, &josiane, "animateur"],
    );
    sync_with(&membre, &ticket);
    assert_eq!(titles(&membre, &c).len(), 3, "Karim sees every échange");

    // Hidden with a reason: gone for the membre, listed for the animateur.
    let reason = "Annonce en double";
    let hidden = ok(
        &admin,
        &[
            "moderate",
            "hide",
            "--community",
            &c,
            "exchange",
            &doublon,
            "--reason",
            reason,
        ],
    );
    assert_eq!(hidden, doublon);
    sync_with(&membre, &ticket);
    sync_with(&animateur, &ticket);
    let seen = titles(&membre, &c);
    assert_eq!(seen.len(), 2);
    assert!(!seen.iter().any(|t| t.contains("doublon")), "{seen:?}");
    let moderated = list(&animateur, &["moderate", "list", "--community", &c]);
    assert_eq!(moderated.len(), 1);
    assert_eq!(moderated[0]["id"], doublon.as_str());
    assert_eq!(moderated[0]["kind"], "exchange");
    assert_eq!(moderated[0]["moderation"]["action"], "hide");
    assert_eq!(moderated[0]["moderation"]["reason"], reason);
    assert_eq!(moderated[0]["by_name"], "Nadia");
    let text = ok(&animateur, &["moderate", "list", "--community", &c]);
    assert!(text.contains(reason) && text.contains("Nadia"), "{text}");
    let refused = fails(&membre, &["moderate", "list", "--community", &c]);
    assert!(
        refused.contains("only animateurs and admins"),
        "a membre is told why: {refused}"
    );

    // Shown again, then deleted for good: the content is emptied and it
    // cannot be shown again.
    ok(
        &admin,
        &["moderate", "show", "--community", &c, "exchange", &doublon],
    );
    ok(
        &admin,
        &[
            "moderate",
            "delete",
            "--community",
            &c,
            "exchange",
            &insulte,
            "--reason",
            "Propos injurieux",
        ],
    );
    sync_with(&animateur, &ticket);
    assert_eq!(titles(&animateur, &c).len(), 2, "the doublon is back");
    let moderated = list(&animateur, &["moderate", "list", "--community", &c]);
    assert_eq!(moderated.len(), 1);
    assert_eq!(moderated[0]["id"], insulte.as_str());
    assert_eq!(moderated[0]["moderation"]["action"], "delete");
    assert_eq!(moderated[0]["preview"], "", "the content is emptied");
    let refused = fails(
        &admin,
        &["moderate", "show", "--community", &c, "exchange", &insulte],
    );
    assert!(refused.contains("deleted by a moderator"), "{refused}");

    // A locked post refuses the membre's comment, and says so.
    ok(
        &admin,
        &[
            "moderate",
            "lock",
            "--community",
            &c,
            "post",
            &post,
            "--reason",
            "Le débat continue en réunion",
        ],
    );
    sync_with(&membre, &ticket);
    let posts = ok(&membre, &["post", "list", "--community", &c]);
    assert!(
        posts.contains("[locked: Le débat continue en réunion]"),
        "{posts}"
    );
    let comment = [
        "post",
        "comment",
        "--community",
        &c,
        "--post",
        &post,
        "--text",
        "Je serai là",
    ];
    let refused = fails(&membre, &comment);
    assert!(refused.contains("thread is locked"), "{refused}");
    ok(
        &admin,
        &["moderate", "unlock", "--community", &c, "post", &post],
    );
    sync_with(&membre, &ticket);
    ok(&membre, &comment);

    // A membre cannot moderate, and trying writes nothing.
    let before = snapshot(&membre);
    let refused = fails(
        &membre,
        &[
            "moderate",
            "hide",
            "--community",
            &c,
            "exchange",
            &perceuse,
            "--reason",
            "Je n'aime pas",
        ],
    );
    assert!(refused.contains("only animateurs and admins"), "{refused}");
    let refused = fails(
        &membre,
        &["member", "role", "--community", &c, &josiane, "admin"],
    );
    assert!(refused.contains("only admins"), "{refused}");
    assert!(
        snapshot(&membre) == before,
        "a refused command writes nothing"
    );
    assert_eq!(titles(&membre, &c).len(), 2);
    // Wrong input is refused clearly.
    let refused = fails(
        &admin,
        &[
            "moderate",
            "lock",
            "--community",
            &c,
            "event",
            &perceuse,
            "--reason",
            "x",
        ],
    );
    assert!(refused.contains("no thread to lock"), "{refused}");
    let refused = fails(
        &admin,
        &[
            "moderate",
            "hide",
            "--community",
            &c,
            "thing",
            &perceuse,
            "--reason",
            "x",
        ],
    );
    assert!(refused.contains("unknown item kind"), "{refused}");
    server.stop();
}
