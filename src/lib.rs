//! mednum-kit: an offline portal box for digital mediation workshops. The binary is a thin
//! shell around these modules (see `docs/architecture.md`).

pub mod accounts;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod content;
pub mod discovery;
pub mod forms;
pub mod i18n;
pub mod logging;
pub mod notify;
pub mod packs;
pub mod paths;
pub mod printable;
pub mod reports;
pub mod store;
pub mod sync;
pub mod system;
pub mod web;
pub mod workshops;
