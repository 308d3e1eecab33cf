//! Every `--out` takes a bare file name, written in the working directory,
//! as a newcomer types it.

use passerelle_tests::{device, node_cmd, ok};

#[test]
fn every_out_takes_a_bare_file_name() {
    passerelle_tests::setup!();
    let (tmp, dir) = device("Marion");
    let c = ok(&dir, &["community", "create", "--name", "Quartier"]);
    let here = tempfile::tempdir().unwrap();
    let runs: [(&str, Vec<&str>); 6] = [
        (
            "quartier.bundle",
            vec!["bundle", "export", "--community", &c, "--out"],
        ),
        (
            "quartier.json",
            vec!["export", "--community", &c, "--format", "json", "--out"],
        ),
        (
            "quartier.automerge",
            vec![
                "export",
                "--community",
                &c,
                "--format",
                "automerge",
                "--out",
            ],
        ),
        (
            "quartier.ics",
            vec!["export", "--community", &c, "--format", "ics", "--out"],
        ),
        ("invitation.png", vec!["invite", "--community", &c, "--qr"]),
        (
            "marion.passerelle-backup",
            vec!["backup", "create", "--out"],
        ),
    ];
    for (file, mut args) in runs {
        args.push(file);
        let out = node_cmd(&dir, &args)
            .env("PASSERELLE_PASSPHRASE", "une phrase de passe assez longue")
            .current_dir(here.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let written = here.path().join(file);
        assert!(
            std::fs::metadata(&written).is_ok_and(|m| m.len() > 0),
            "{args:?} wrote no {}",
            written.display()
        );
    }
    // Nothing was left beside them (no temporary file).
    let mut names: Vec<String> = std::fs::read_dir(here.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 6, "{names:?}");
    drop(tmp);
}
