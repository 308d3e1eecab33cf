//! Passerelle's peer-to-peer layer: the only crate that knows iroh.
//!
//! For now it owns the device's network identity: the iroh secret key that
//! authenticates this device to its peers (its public half, the `EndpointId`,
//! is the device key listed among a community's members). Endpoints,
//! discovery, the membership gate and document sync build on it.
#![warn(missing_docs)]

mod identity;

pub use identity::{DeviceSecret, IdentityError};
