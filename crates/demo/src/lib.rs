//! Communities to try Passerelle on, kept out of the domain crate: the
//! example community a person can open from the start screen, and the
//! seeded generator of realistic histories that benchmarks and
//! `passerelle-node demo` use.
//!
//! Like `passerelle-model`, this crate is pure: no IO, no clock, no entropy.
//! Everything is written through the model's typed commands; time and
//! randomness come in as arguments (the generator draws from a seeded
//! ChaCha8), so the same inputs always give the same documents.
#![warn(missing_docs)]

pub mod example;
pub mod generate;

pub use example::{example_community, example_community_legacy};
