//! The background process's socket `<data>/app.sock`, attacked by a
//! stranger on the same machine: another user who reaches it, lines that
//! are malformed, huge or never end, many idle connections, and a symlink
//! placed at the socket's path before the process starts.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use passerelle_app::background;

/// `passerelle --background` on `dir`, with no display and no session bus.
fn start_background(dir: &Path) -> Reaper {
    Reaper(
        Command::new(env!("CARGO_BIN_EXE_passerelle"))
            .arg("--background")
            .arg("--data-dir")
            .arg(dir)
            .env("PASSERELLE_BIND", "127.0.0.1")
            .env("PASSERELLE_MDNS", "off")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .env_remove("PASSERELLE_DATA_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("passerelle starts"),
    )
}

/// Kills the background process if a failed assertion leaves it running.
struct Reaper(Child);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

impl Reaper {
    fn wait_serving(&mut self, dir: &Path) {
        let start = Instant::now();
        while !background::is_serving(dir) {
            if let Ok(Some(status)) = self.0.try_wait() {
                panic!("passerelle --background exited: {status}");
            }
            assert!(start.elapsed() < Duration::from_secs(30), "not serving");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn still_running(&mut self) -> bool {
        matches!(self.0.try_wait(), Ok(None))
    }
}

/// How long a "ping" takes to be answered.
fn ping_time(dir: &Path) -> Duration {
    let start = Instant::now();
    assert!(background::is_serving(dir), "no answer to ping");
    start.elapsed()
}

#[test]
fn garbage_huge_endless_lines_and_idle_connections_do_not_stop_the_serving_loop() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("salle");
    let mut server = start_background(&dir);
    server.wait_serving(&dir);
    let sock = background::socket_path(&dir);
    assert_eq!(
        std::fs::metadata(&sock).unwrap().permissions().mode() & 0o777,
        0o600
    );

    // 300 connections that say nothing, held open.
    let idle: Vec<UnixStream> = (0..300)
        .map(|_| UnixStream::connect(&sock).unwrap())
        .collect();
    assert!(ping_time(&dir) < Duration::from_secs(2));

    // Malformed, binary, a request with trailing words, and 20 MiB without
    // a newline: none is answered "ok", none opens the window.
    for request in [
        b"OPEN\n".to_vec(),
        b"open please\n".to_vec(),
        vec![0xff, 0xfe, 0, 1, b'\n'],
        vec![b'a'; 20 << 20],
    ] {
        let mut s = UnixStream::connect(&sock).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let _ = s.write_all(&request); // the process may close early
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        assert!(answer.is_empty(), "answered {answer:?}");
    }
    assert!(server.still_running());
    assert!(ping_time(&dir) < Duration::from_secs(2));
    drop(idle);
}

#[test]
fn another_user_who_reaches_the_socket_cannot_open_the_window() {
    // The socket is bound, then made 0600: between the two, with a
    // permissive umask, it is open to every user. Another user then
    // connected cannot be told from its owner by the mode any more.
    let python = Path::new("/usr/bin/python3");
    if !python.exists() || std::fs::metadata("/proc/self").unwrap().uid() != 0 {
        eprintln!("skipped: needs root (to act as another user) and /usr/bin/python3");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = tmp.path().join("salle");
    let mut server = start_background(&dir);
    server.wait_serving(&dir);
    let sock = background::socket_path(&dir);
    // The window, held open.
    std::fs::set_permissions(&sock, std::fs::Permissions::from_mode(0o666)).unwrap();

    // It connects (the mode lets it); what it is answered, if anything.
    let script = "import socket,sys\n\
                  s=socket.socket(socket.AF_UNIX)\n\
                  s.connect(sys.argv[1])\n\
                  s.settimeout(10)\n\
                  try:\n\
                  \x20s.sendall(b'open\\n')\n\
                  \x20print(s.recv(16))\n\
                  except OSError:\n\
                  \x20print(b'')\n";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(&sock)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the other user reached the socket: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "b''");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        server.still_running(),
        "the other user made it stop serving"
    );
    assert!(background::is_serving(&dir), "its owner is still answered");

    // The node's control socket, which runs `passerelle-node` commands
    // (backups written anywhere, invites), is bound the same way.
    let control = dir.join("control.sock");
    std::fs::set_permissions(&control, std::fs::Permissions::from_mode(0o666)).unwrap();
    let script = "import socket,sys\n\
                  s=socket.socket(socket.AF_UNIX)\n\
                  s.connect(sys.argv[1])\n\
                  s.settimeout(10)\n\
                  try:\n\
                  \x20s.sendall(b'{\"args\": [\"passerelle-node\", \"communities\"], \"cwd\": \"/\"}\\n')\n\
                  \x20print(s.recv(4096))\n\
                  except OSError:\n\
                  \x20print(b'')\n";
    let out = Command::new(python)
        .args(["-c", script])
        .arg(&control)
        .uid(65534)
        .gid(65534)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "b''",
        "the other user ran a command"
    );
}

#[test]
fn a_symlink_at_the_sockets_path_is_replaced_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("salle");
    std::fs::create_dir_all(&dir).unwrap();
    let victim = tmp.path().join("victim");
    std::fs::write(&victim, "précieux").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::os::unix::fs::symlink(&victim, background::socket_path(&dir)).unwrap();

    let mut server = start_background(&dir);
    server.wait_serving(&dir);
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "précieux");
    assert_eq!(
        std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777,
        0o644
    );
    let meta = std::fs::symlink_metadata(background::socket_path(&dir)).unwrap();
    assert!(!meta.file_type().is_symlink());
    let mut s = UnixStream::connect(background::socket_path(&dir)).unwrap();
    writeln!(s, "ping").unwrap();
    let mut line = String::new();
    BufReader::new(s).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ok");
}
