//! The License API v4 as the official SDKs see it: request authentication, response signing and the
//! exact JSON shapes. Every field name a client reads is spelled in this crate.

pub mod auth;
pub mod body;
pub mod bundle_file;
pub mod offline;
pub mod signing;
pub mod time;
