//! An invite ticket as typed or scanned: read by `Ticket::decode`. A ticket
//! that reads is read the same once written again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use passerelle_core::Ticket;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(ticket) = Ticket::decode(text) {
        assert_eq!(Ticket::decode(&ticket.encode()), Ok(ticket));
    }
});
