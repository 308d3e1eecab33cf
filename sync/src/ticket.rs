//! Tickets: one line of text (and a QR code) telling another device how to
//! reach this one, and, for an invite, which community to join with which
//! one-time secret.
//!
//! Format: `PASSERELLE1` followed by the RFC 4648 base32 (no padding) of a
//! postcard-encoded [`TicketData`] and the first 4 bytes of its BLAKE3 hash.
//! Base32 survives being read aloud, retyped in capitals, and fits a QR
//! code's compact alphanumeric mode.
//!
//! Whether an invite is a pairing ticket (it links a device to an existing
//! member) is the last field, added later: older readers ignore it, and a
//! ticket without it reads as an invite for a new member.

use std::net::SocketAddr;
use std::path::Path;

use data_encoding::BASE32_NOPAD;
use iroh::{EndpointAddr, EndpointId, TransportAddr};
use serde::{Deserialize, Serialize};

const PREFIX: &str = "PASSERELLE1";
const CHECKSUM: usize = 4;

/// A way to reach a device, and maybe an invitation to a community.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// The device: its key and the addresses it listens on.
    pub addr: EndpointAddr,
    /// The invitation, if this ticket is one.
    pub invite: Option<InviteTicket>,
}

/// The invitation part of a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteTicket {
    /// The community to join.
    pub community: String,
    /// The invite's id in the community document.
    pub invite: String,
    /// The one-time secret; its BLAKE3 hash is in the community document.
    pub secret: [u8; 16],
    /// A pairing ticket: the device that uses it becomes one of an existing
    /// member's devices and takes that member's name, so the app does not
    /// ask for one. Only a hint for the joining device: the community
    /// document says what the invite is. Written after the rest (see the
    /// module's doc), not with it.
    #[serde(skip)]
    pub pairing: bool,
}

impl InviteTicket {
    /// The hash stored in the community document, hex.
    pub fn secret_hash(&self) -> String {
        secret_hash(&self.secret)
    }
}

/// The BLAKE3 hash of an invite secret, hex: what the community document stores.
pub fn secret_hash(secret: &[u8; 16]) -> String {
    blake3::hash(secret).to_hex().to_string()
}

#[derive(Serialize, Deserialize)]
struct TicketData {
    endpoint: [u8; 32],
    addrs: Vec<SocketAddr>,
    relay: Option<String>,
    invite: Option<InviteTicket>,
    /// Last, so that readers made before it read the rest.
    pairing: bool,
}

/// A ticket written before `pairing` existed.
#[derive(Deserialize)]
struct TicketDataV1 {
    endpoint: [u8; 32],
    addrs: Vec<SocketAddr>,
    relay: Option<String>,
    invite: Option<InviteTicket>,
}

impl From<TicketDataV1> for TicketData {
    fn from(v1: TicketDataV1) -> Self {
        TicketData {
            endpoint: v1.endpoint,
            addrs: v1.addrs,
            relay: v1.relay,
            invite: v1.invite,
            pairing: false,
        }
    }
}

/// Why a ticket could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TicketError {
    /// Not a Passerelle ticket at all.
    #[error("this is not a Passerelle ticket (it should start with {PREFIX})")]
    NotATicket,
    /// Starts right but is damaged (a character mistyped, or cut short).
    #[error("this ticket is damaged or incomplete; copy it again in full")]
    Damaged,
}

impl Ticket {
    /// The ticket as one line of text.
    pub fn encode(&self) -> String {
        let mut addrs = Vec::new();
        let mut relay = None;
        for addr in &self.addr.addrs {
            match addr {
                TransportAddr::Ip(ip) => addrs.push(*ip),
                TransportAddr::Relay(url) => relay = Some(url.to_string()),
                _ => {}
            }
        }
        let data = TicketData {
            endpoint: *self.addr.id.as_bytes(),
            addrs,
            relay,
            invite: self.invite.clone(),
            pairing: self.invite.as_ref().is_some_and(|i| i.pairing),
        };
        let mut bytes = postcard::to_stdvec(&data).expect("tickets always serialise");
        let sum = blake3::hash(&bytes);
        bytes.extend_from_slice(&sum.as_bytes()[..CHECKSUM]);
        format!("{PREFIX}{}", BASE32_NOPAD.encode(&bytes))
    }

    /// Reads a ticket, forgiving spaces, line breaks and lower case.
    pub fn decode(text: &str) -> Result<Ticket, TicketError> {
        let clean: String = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_uppercase();
        let body = clean.strip_prefix(PREFIX).ok_or(TicketError::NotATicket)?;
        let bytes = BASE32_NOPAD
            .decode(body.as_bytes())
            .map_err(|_| TicketError::Damaged)?;
        if bytes.len() <= CHECKSUM {
            return Err(TicketError::Damaged);
        }
        let (data, sum) = bytes.split_at(bytes.len() - CHECKSUM);
        if blake3::hash(data).as_bytes()[..CHECKSUM] != *sum {
            return Err(TicketError::Damaged);
        }
        let data: TicketData = postcard::from_bytes(data)
            .or_else(|_| postcard::from_bytes::<TicketDataV1>(data).map(TicketData::from))
            .map_err(|_| TicketError::Damaged)?;
        let id = EndpointId::from_bytes(&data.endpoint).map_err(|_| TicketError::Damaged)?;
        let mut addr = EndpointAddr::new(id);
        for ip in data.addrs {
            addr = addr.with_ip_addr(ip);
        }
        if let Some(relay) = data.relay {
            let url = relay.parse().map_err(|_| TicketError::Damaged)?;
            addr = addr.with_relay_url(url);
        }
        let invite = data.invite.map(|invite| InviteTicket {
            pairing: data.pairing,
            ..invite
        });
        Ok(Ticket { addr, invite })
    }

    /// Writes the ticket as a QR code in a PNG image.
    pub fn write_qr_png(&self, path: &Path) -> std::io::Result<()> {
        write_qr_png(&self.encode(), path)
    }
}

impl std::fmt::Display for Ticket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.encode())
    }
}

/// `text` as a QR code (error correction M), rendered by the qrcode crate:
/// dark modules on white, `scale` pixels per module, with the 4-module quiet
/// zone scanners expect.
pub fn qr_image(text: &str, scale: u32) -> Result<image::GrayImage, String> {
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
        .map_err(|e| format!("cannot make a QR code: {e}"))?;
    Ok(code
        .render::<image::Luma<u8>>()
        .quiet_zone(true)
        .module_dimensions(scale, scale)
        .build())
}

/// `text` as a QR code in a PNG picture: 8 pixels per module.
pub fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    qr_image(text, 8)?
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|e| format!("cannot write the QR code as PNG: {e}"))?;
    Ok(bytes)
}

/// Writes `text` as a QR code PNG file ([`qr_png`]): to a temporary file,
/// then renamed.
pub fn write_qr_png(text: &str, path: &Path) -> std::io::Result<()> {
    let bytes = qr_png(text).map_err(std::io::Error::other)?;
    let tmp = path.with_extension("png.tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Ticket {
        let id = iroh::SecretKey::generate().public();
        Ticket {
            addr: EndpointAddr::new(id).with_ip_addr("127.0.0.1:4242".parse().unwrap()),
            invite: Some(InviteTicket {
                community: "01JCOMMUNITY0000000000000".into(),
                invite: "01JINVITE000000000000000000".into(),
                secret: [7; 16],
                pairing: false,
            }),
        }
    }

    #[test]
    fn a_pairing_ticket_says_so_and_older_tickets_read_as_invites() {
        let mut ticket = sample();
        if let Some(invite) = &mut ticket.invite {
            invite.pairing = true;
        }
        let decoded = Ticket::decode(&ticket.encode()).unwrap();
        assert_eq!(decoded, ticket);
        assert!(decoded.invite.is_some_and(|i| i.pairing));

        // A ticket written before the pairing field: the same bytes without it.
        #[derive(Serialize)]
        struct V1<'a> {
            endpoint: [u8; 32],
            addrs: Vec<SocketAddr>,
            relay: Option<String>,
            invite: &'a Option<InviteTicket>,
        }
        let old = sample();
        let v1 = V1 {
            endpoint: *old.addr.id.as_bytes(),
            addrs: vec!["127.0.0.1:4242".parse().unwrap()],
            relay: None,
            invite: &old.invite,
        };
        let mut bytes = postcard::to_stdvec(&v1).unwrap();
        let sum = blake3::hash(&bytes);
        bytes.extend_from_slice(&sum.as_bytes()[..CHECKSUM]);
        let text = format!("{PREFIX}{}", BASE32_NOPAD.encode(&bytes));
        assert_eq!(Ticket::decode(&text).unwrap(), old);

        // A reader made before the field reads a new ticket's invite.
        let new = Ticket::decode(&ticket.encode()).unwrap().encode();
        let bytes = BASE32_NOPAD
            .decode(&new.as_bytes()[PREFIX.len()..])
            .unwrap();
        let data = &bytes[..bytes.len() - CHECKSUM];
        let read: TicketDataV1 = postcard::from_bytes(data).unwrap();
        assert_eq!(read.invite.map(|i| i.invite), old.invite.map(|i| i.invite));
    }

    #[test]
    fn round_trips_through_text_in_any_case() {
        let ticket = sample();
        let text = ticket.encode();
        assert!(text.starts_with(PREFIX));
        assert_eq!(Ticket::decode(&text).unwrap(), ticket);
        let messy = format!("  {}\n{} ", text[..20].to_lowercase(), &text[20..]);
        assert_eq!(Ticket::decode(&messy).unwrap(), ticket);
    }

    #[test]
    fn a_changed_character_is_damage_not_another_ticket() {
        let text = sample().encode();
        for i in PREFIX.len()..text.len() {
            let mut bytes = text.clone().into_bytes();
            bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
            let changed = String::from_utf8(bytes).unwrap();
            assert_eq!(
                Ticket::decode(&changed),
                Err(TicketError::Damaged),
                "at {i}"
            );
        }
        assert_eq!(
            Ticket::decode(&text[..text.len() - 3]),
            Err(TicketError::Damaged)
        );
        assert_eq!(Ticket::decode("hello"), Err(TicketError::NotATicket));
    }

    #[test]
    fn qr_png_is_a_png() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ticket.png");
        let ticket = sample();
        ticket.write_qr_png(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        let picture = image::load_from_memory(&bytes).unwrap().to_luma8();
        assert!(picture.width() > 200);
        // 8 pixels per module, the quiet zone white, every pixel black or white.
        let modules = qr_image(&ticket.encode(), 1).unwrap();
        assert_eq!(picture.width(), modules.width() * 8);
        assert_eq!(picture.get_pixel(0, 0).0, [255]);
        assert!(picture.pixels().all(|p| p.0 == [0] || p.0 == [255]));
        let dark = |p: &image::GrayImage| p.pixels().filter(|p| p.0 == [0]).count();
        assert_eq!(dark(&picture), 64 * dark(&modules));
    }
}
