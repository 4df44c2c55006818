//! Packs from elsewhere, whenever they can be had: USB sticks plugged into the box, an
//! upstream catalog (any static web host, or another kit) when a connection exists; and
//! activity reports sent up to a WebDAV folder.

pub mod catalog;
pub mod http;
pub mod reports;
pub mod status;
pub mod upstream;
pub mod usb;

pub use status::Status;
