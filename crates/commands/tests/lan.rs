//! LAN discovery for real: two network namespaces joined by a veth pair, a
//! `passerelle-node serve` in each with mDNS on and no address known. The two
//! members find each other by mDNS, connect and sync live.
//!
//! Needs root (to make namespaces); elsewhere it prints why and passes.
//! Each namespace's default route leads to a third namespace standing for
//! "the outside world": the packet counter of the link to it proves that
//! neither node sent anything anywhere but to the other member.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use passerelle_tests::{Server, device, list, node_bin, ok, setup};

/// Two member namespaces, the veth pair between them, and a third namespace
/// their default routes lead to; removed on drop.
struct Lan {
    spaces: [String; 3],
    /// In each member namespace, the link to the outside world.
    outside: [String; 2],
}

const SUBNET: [&str; 2] = ["10.77.0.1/24", "10.77.0.2/24"];

fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

impl Lan {
    /// Makes the pair, or says why it cannot.
    fn new() -> Result<Lan, String> {
        if !nix_is_root() {
            return Err("not running as root".into());
        }
        let tag = std::process::id();
        let lan = Lan {
            spaces: [
                format!("pslan{tag}a"),
                format!("pslan{tag}b"),
                format!("pslan{tag}w"),
            ],
            outside: [format!("po{tag}a"), format!("po{tag}b")],
        };
        let veths = [format!("pv{tag}a"), format!("pv{tag}b")];
        for ns in &lan.spaces {
            ip(&["netns", "add", ns])?;
        }
        ip(&[
            "link", "add", &veths[0], "type", "veth", "peer", "name", &veths[1],
        ])?;
        for i in 0..2 {
            let (ns, out, world_end) = (&lan.spaces[i], &lan.outside[i], format!("pw{tag}{i}"));
            ip(&[
                "link", "add", out, "type", "veth", "peer", "name", &world_end,
            ])?;
            ip(&["link", "set", out, "netns", ns])?;
            ip(&["link", "set", &world_end, "netns", &lan.spaces[2]])?;
            ip(&[
                "-n",
                &lan.spaces[2],
                "link",
                "set",
                &world_end,
                "addrgenmode",
                "none",
            ])?;
            ip(&["-n", &lan.spaces[2], "link", "set", &world_end, "up"])?;
            // No IPv6 link-local address: the kernel itself sends nothing
            // (no address detection, no router solicitation) on this link.
            ip(&["-n", ns, "link", "set", out, "addrgenmode", "none"])?;
            ip(&["-n", ns, "link", "set", out, "up"])?;
            ip(&["-n", ns, "route", "add", "default", "dev", out])?;
            ip(&["-n", ns, "-6", "route", "add", "default", "dev", out])?;
        }
        for i in 0..2 {
            let (ns, veth) = (&lan.spaces[i], &veths[i]);
            ip(&["link", "set", veth, "netns", ns])?;
            ip(&["-n", ns, "addr", "add", SUBNET[i], "dev", veth])?;
            ip(&["-n", ns, "link", "set", "lo", "up"])?;
            ip(&["-n", ns, "link", "set", veth, "up", "multicast", "on"])?;
            // Multicast for mDNS goes out of the LAN link.
            ip(&["-n", ns, "route", "add", "224.0.0.0/4", "dev", veth])?;
        }
        Ok(lan)
    }

    /// `passerelle-node --data-dir DIR serve` inside namespace `i`, with
    /// mDNS on and the default bind: nothing confines it but the namespace.
    fn serve(&self, i: usize, dir: &Path) -> Server {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.spaces[i]])
            .arg(node_bin())
            .arg("--data-dir")
            .arg(dir)
            .arg("serve")
            .env_remove("PASSERELLE_BIND")
            .env_remove("PASSERELLE_MDNS")
            .env_remove("PASSERELLE_DATA_DIR");
        Server::start_with(cmd, dir)
    }

    /// Starts listening, inside the outside-world namespace, to everything
    /// the member namespaces send it.
    fn watch_outside(&self) -> Watch {
        Watch::start(&self.spaces[2])
    }
}

/// A packet capture on every link of a namespace, from a thread that moved
/// into it: what arrives there is what the member namespaces sent towards
/// the outside world.
struct Watch {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<(usize, Vec<String>)>,
}

impl Watch {
    fn start(ns: &str) -> Watch {
        use std::os::fd::AsRawFd;
        let file = std::fs::File::open(format!("/var/run/netns/{ns}")).expect("netns file");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            // SAFETY: setns on this thread only; the socket made next belongs
            // to that namespace and the thread never touches anything else.
            let socket = unsafe {
                assert_eq!(libc::setns(file.as_raw_fd(), libc::CLONE_NEWNET), 0);
                let protocol = (libc::ETH_P_ALL as u16).to_be() as i32;
                let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, protocol);
                assert!(fd >= 0, "a packet socket");
                let timeout = libc::timeval {
                    tv_sec: 0,
                    tv_usec: 200_000,
                };
                libc::setsockopt(
                    fd,
                    libc::SOL_SOCKET,
                    libc::SO_RCVTIMEO,
                    (&raw const timeout).cast(),
                    size_of::<libc::timeval>() as u32,
                );
                fd
            };
            ready_tx.send(()).unwrap();
            let mut seen = 0;
            let mut beyond = Vec::new();
            let mut buf = [0u8; 2048];
            while !flag.load(std::sync::atomic::Ordering::SeqCst) {
                // SAFETY: buf and from are valid for the lengths given.
                let (len, from) = unsafe {
                    let mut from: libc::sockaddr_ll = std::mem::zeroed();
                    let mut from_len = size_of::<libc::sockaddr_ll>() as u32;
                    let len = libc::recvfrom(
                        socket,
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        0,
                        (&raw mut from).cast(),
                        &mut from_len,
                    );
                    (len, from)
                };
                if len <= 0 || from.sll_pkttype == libc::PACKET_OUTGOING {
                    continue;
                }
                seen += 1;
                if let Some(bad) = beyond_the_link(&buf[..len as usize]) {
                    beyond.push(bad);
                }
            }
            // SAFETY: the descriptor is ours and closed once.
            unsafe { libc::close(socket) };
            (seen, beyond)
        });
        ready.recv().expect("the capture starts");
        Watch { stop, thread }
    }

    /// Stops; returns how many packets arrived, and those meant for more
    /// than the link itself.
    fn finish(self) -> (usize, Vec<String>) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.thread.join().expect("the capture ends")
    }
}

/// Describes an Ethernet frame addressed beyond its own link, or `None` for
/// the link-local multicast every host sends (IGMP/MLD group reports, mDNS).
fn beyond_the_link(frame: &[u8]) -> Option<String> {
    let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
    let ip = &frame[14..];
    match ethertype {
        0x0800 => {
            let dst = std::net::Ipv4Addr::new(ip[16], ip[17], ip[18], ip[19]);
            let link_local = dst.octets()[..3] == [224, 0, 0];
            (!link_local).then(|| format!("IPv4 to {dst}"))
        }
        0x86dd => {
            let dst = std::net::Ipv6Addr::from(<[u8; 16]>::try_from(&ip[24..40]).unwrap());
            let link_local = dst.segments()[0] == 0xff02;
            (!link_local).then(|| format!("IPv6 to {dst}"))
        }
        // Who-has for an outside address: a unicast send was attempted.
        0x0806 => Some(format!(
            "ARP for {}",
            std::net::Ipv4Addr::new(ip[24], ip[25], ip[26], ip[27])
        )),
        other => Some(format!("ethertype {other:#06x}")),
    }
}

impl Drop for Lan {
    fn drop(&mut self) {
        // Deleting a namespace deletes the veth ends inside it, and their peers.
        for ns in &self.spaces {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

fn nix_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn titles(dir: &Path, c: &str) -> Vec<String> {
    list(dir, &["exchange", "list", "--community", c])
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn members_on_one_lan_find_each_other_by_mdns_and_sync_live() {
    setup!();
    let lan = match Lan::new() {
        Ok(lan) => lan,
        Err(why) => {
            println!("skipped: LAN test needs network namespaces ({why})");
            return;
        }
    };

    // Alice and Bruno become members of one community over loopback...
    let (_ta, a) = device("Alice");
    let c = ok(&a, &["demo"]);
    let server = Server::start(&a);
    let ticket = ok(&a, &["invite", "--community", &c]);
    let (_tb, b) = device("Bruno");
    assert_eq!(ok(&b, &["join", &ticket]), c);
    server.stop();
    // ...then forget every address: only mDNS can bring them together.
    for dir in [&a, &b] {
        let _ = std::fs::remove_file(dir.join("addresses.json"));
    }
    ok(
        &a,
        &[
            "exchange",
            "add",
            "--community",
            &c,
            "--kind",
            "need",
            "--title",
            "Aide pour déménager samedi",
            "--category",
            "bricolage",
        ],
    );

    let watch = lan.watch_outside();
    let started = Instant::now();
    let mut sa = lan.serve(0, &a);
    let mut sb = lan.serve(1, &b);
    for s in [&sa, &sb] {
        let listening = &s.seen[0];
        let addrs = listening["addrs"].to_string();
        assert!(
            addrs.contains("10.77.0."),
            "serve listens on the LAN address: {listening}"
        );
    }
    let key_a = ok(&a, &["id"]);
    let key_b = ok(&b, &["id"]);
    let timeout = Duration::from_secs(60);
    sa.saw_or_wait("peer_discovered", timeout, |e| e["peer"] == key_b);
    sb.saw_or_wait("peer_discovered", timeout, |e| e["peer"] == key_a);
    sa.saw_or_wait("peer_connected", timeout, |e| e["peer"] == key_b);
    sb.saw_or_wait("peer_connected", timeout, |e| e["peer"] == key_a);
    let found = started.elapsed();
    println!("found and connected by mDNS in {found:?}");

    // What Alice added while apart reaches Bruno.
    let deadline = Instant::now() + timeout;
    while !titles(&b, &c).contains(&"Aide pour déménager samedi".to_owned()) {
        assert!(Instant::now() < deadline, "Bruno never got Alice's need");
        std::thread::sleep(Duration::from_millis(200));
    }
    // A live edit from Bruno reaches Alice's serve (through Bruno's control
    // socket, which lives in the shared filesystem).
    ok(
        &b,
        &[
            "exchange",
            "add",
            "--community",
            &c,
            "--kind",
            "offer",
            "--title",
            "Je prête ma perceuse",
            "--category",
            "bricolage",
        ],
    );
    let added = Instant::now();
    let (_, at) = sa.wait_for("received", Duration::from_secs(10), |e| e["community"] == c);
    println!("live edit over the LAN in {:?}", at.duration_since(added));
    assert!(titles(&a, &c).contains(&"Je prête ma perceuse".to_owned()));
    assert_eq!(
        list(&a, &["community", "list"])[0]["heads"],
        list(&b, &["community", "list"])[0]["heads"]
    );

    // Neither node sent anything beyond the link but to the other member.
    let (seen, beyond) = watch.finish();
    println!(
        "packets towards the outside world: {seen} link-local, {} beyond",
        beyond.len()
    );
    // The capture works: the group reports of the mDNS socket were seen.
    assert!(seen > 0, "the capture saw nothing at all");
    assert!(beyond.is_empty(), "sent beyond the LAN: {beyond:?}");
    sa.stop();
    sb.stop();
}
