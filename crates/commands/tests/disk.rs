//! The disk under the data directory: full (during local writes and during
//! a sync) and read-only. Each needs a small filesystem of its own, mounted
//! by the test (tmpfs with a size limit, a read-only bind mount): when that
//! is not possible (not root, no mount permission), the test says why and
//! skips.

use std::path::{Path, PathBuf};
use std::process::Command;

use passerelle_tests::{Server, add_offer, device, fails, list, node, ok, setup, sync_with};

/// A filesystem mounted for one test, unmounted when dropped.
struct Mount {
    _tmp: tempfile::TempDir,
    path: PathBuf,
}

impl Mount {
    /// A tmpfs of `size` (e.g. "2m"), or why there is none.
    fn tmpfs(size: &str) -> Result<Mount, String> {
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = tmp.path().join("disk");
        std::fs::create_dir(&path).map_err(|e| e.to_string())?;
        run_mount(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            &path,
        )?;
        Ok(Mount { _tmp: tmp, path })
    }

    /// `dir` seen again, read-only, at a new place.
    fn read_only(dir: &Path) -> Result<Mount, String> {
        let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
        let path = tmp.path().join("ro");
        std::fs::create_dir(&path).map_err(|e| e.to_string())?;
        run_mount(&["--bind", &dir.display().to_string()], &path)?;
        let mount = Mount { _tmp: tmp, path };
        run_mount(&["-o", "remount,ro,bind"], &mount.path)?;
        Ok(mount)
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

fn run_mount(args: &[&str], target: &Path) -> Result<(), String> {
    let out = Command::new("mount")
        .args(args)
        .arg(target)
        .output()
        .map_err(|e| format!("cannot run mount: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "mount failed (root needed): {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Fills the filesystem holding `dir` to the last byte; returns the filler.
fn fill(dir: &Path) -> PathBuf {
    use std::io::Write;
    let filler = dir.join("filler");
    let mut file = std::fs::File::create(&filler).expect("a filler file");
    let block = vec![0u8; 64 * 1024];
    let mut size = block.len();
    // Big blocks, then smaller ones, until not one byte more fits.
    while size > 0 {
        match file.write(&block[..size]) {
            Ok(0) | Err(_) => size /= 2,
            Ok(_) => {}
        }
    }
    let _ = file.sync_all();
    filler
}

fn ids(dir: &Path, c: &str) -> std::collections::HashSet<String> {
    list(dir, &["exchange", "list", "--community", c])
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

fn heads(dir: &Path) -> serde_json::Value {
    list(dir, &["community", "list"])[0]["heads"].clone()
}

#[test]
fn a_full_disk_is_said_plainly_acknowledges_nothing_unwritten_and_recovers() {
    setup!();
    let disk = match Mount::tmpfs("4m") {
        Ok(disk) => disk,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    // A's data directory is on the small disk; B's is not, and serves.
    let a = disk.path.join("data");
    ok(&a, &["init", "--name", "Awa"]);
    let (_tb, b) = device("Bastien");
    let c = ok(&b, &["demo"]);
    let server = Server::start(&b);
    let ticket = ok(&b, &["invite", "--community", &c]);
    assert_eq!(ok(&a, &["join", &ticket]), c);

    let mut acknowledged: Vec<String> = Vec::new();
    for n in 0..3 {
        acknowledged.push(ok(
            &a,
            &[
                "exchange",
                "add",
                "--community",
                &c,
                "--kind",
                "need",
                "--title",
                &format!("Avant {n}"),
                "--category",
                "bricolage",
            ],
        ));
    }
    let filler = fill(&disk.path);

    // Local writes on the full disk: refused with a plain message, no id.
    let mut refused = 0;
    for n in 0..10 {
        let out = add_offer(&a, &c, &format!("Disque plein {n}"));
        let id = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if out.status.success() && !id.is_empty() {
            acknowledged.push(id);
        } else {
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(id.is_empty(), "a refused add prints no id");
            assert!(err.contains("the disk is full"), "plain message: {err}");
            refused += 1;
        }
    }
    println!("{refused} of 10 adds refused on the full disk");
    assert!(refused >= 9, "the disk is really full: {refused} refused");

    // B writes meanwhile; A syncs with the disk full: it fails plainly and
    // takes nothing it could not write.
    for n in 0..5 {
        let out = add_offer(&b, &c, &format!("Chez B {n}"));
        assert!(out.status.success());
        acknowledged.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    }
    let out = node(&a, &["sync", "--peer", &server.ticket(), "--timeout", "20"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a sync that cannot write fails");
    println!("sync on the full disk: {}", err.trim());
    assert!(err.contains("disk is full"), "plain message: {err}");
    let before: Vec<String> = acknowledged
        .iter()
        .filter(|id| ids(&a, &c).contains(*id))
        .cloned()
        .collect();
    assert_eq!(before.len(), 3, "A holds its own acknowledged changes");

    // Space again: everything works and nothing acknowledged is missing.
    std::fs::remove_file(filler).unwrap();
    let out = add_offer(&a, &c, "Après");
    assert!(out.status.success());
    acknowledged.push(String::from_utf8_lossy(&out.stdout).trim().to_owned());
    sync_with(&a, &server.ticket());
    server.stop();
    assert_eq!(heads(&a), heads(&b), "equal heads after the next sync");
    for dir in [&a, &b] {
        let held = ids(dir, &c);
        for id in &acknowledged {
            assert!(held.contains(id), "{id} missing on {}", dir.display());
        }
        assert!(!dir.join("quarantine").exists(), "no file damaged");
    }
}

#[test]
fn a_read_only_data_directory_reads_and_refuses_writes_plainly() {
    setup!();
    let (_ta, a) = device("Awa");
    let c = ok(&a, &["demo"]);
    let titles_before = list(&a, &["exchange", "list", "--community", &c]).len();
    let ro = match Mount::read_only(&a) {
        Ok(ro) => ro,
        Err(why) => {
            println!("skipped: {why}");
            return;
        }
    };
    let err = fails(&ro.path, &["exchange", "list", "--community", &c]);
    println!("read-only data directory: {}", err.trim());
    assert!(err.contains("read-only"), "plain message: {err}");
    let err = String::from_utf8_lossy(&add_offer(&ro.path, &c, "Jamais").stderr).into_owned();
    assert!(err.contains("read-only"), "plain message: {err}");
    drop(ro);
    // Nothing lost, and the directory works where it is writable.
    assert_eq!(
        list(&a, &["exchange", "list", "--community", &c]).len(),
        titles_before
    );
    assert!(add_offer(&a, &c, "Plus tard").status.success());
}
