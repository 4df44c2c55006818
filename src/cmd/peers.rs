//! `mednum-kit peers`: the other kits on the local network.

use std::time::Duration;

use anyhow::Result;

use crate::discovery;

pub fn run(wait_secs: u64) -> Result<()> {
    eprintln!("recherche des autres kits pendant {wait_secs} s…");
    let peers = discovery::find_peers(Duration::from_secs(wait_secs))?;
    if peers.is_empty() {
        println!(
            "aucun autre kit trouvé. Vérifiez qu'il est allumé et sur le même réseau \
             (même Wi-Fi ou même câble)."
        );
    }
    // Names, hosts and versions came from the network: `discovery` made them printable.
    for peer in &peers {
        let version = peer
            .version
            .as_deref()
            .map(|v| format!(", version {v}"))
            .unwrap_or_default();
        println!(
            "{} — {} ({}{version})",
            peer.name,
            peer.url(),
            peer.host.trim_end_matches('.')
        );
        println!(
            "    pour installer ses paquets : mednum-kit sync upstream --url {}catalog.json --once",
            peer.url()
        );
    }
    Ok(())
}
