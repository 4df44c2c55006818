//! The text of each system file. Pure functions of the settings; the admin may read the
//! results, so their comments are in French.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::PathBuf;

use super::{BoxNetwork, BOX_BINARY, BOX_DATA_DIR, BOX_USER, KIT_PORT};
use crate::config::WifiConfig;

/// First line of every generated file (`#` comments in all of these formats).
const HEADER: &str = "# Fichier fabriqué par `mednum-kit system install` à partir de kit.toml.\n\
                      # Ne le modifiez pas ici : modifiez kit.toml, puis relancez la commande.\n";

/// The access point. The SSID is written in hex (`ssid2=`): a name with any byte in it
/// cannot break out of its line.
pub fn hostapd(wifi: &WifiConfig) -> String {
    let mut out = String::from(HEADER);
    let readable: String = wifi
        .ssid
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let hex = crate::packs::format::to_hex(wifi.ssid.as_bytes());
    let _ = write!(
        out,
        "\ninterface={interface}\n\
         driver=nl80211\n\
         # Nom du réseau : {readable}\n\
         ssid2={hex}\n\
         utf8_ssid=1\n\
         country_code={country}\n\
         ieee80211d=1\n\
         hw_mode=g\n\
         channel={channel}\n\
         ieee80211n=1\n\
         wmm_enabled=1\n\
         # Les téléphones ne se voient pas entre eux : chacun ne parle qu'au kit.\n\
         ap_isolate=1\n",
        interface = wifi.interface,
        country = wifi.country,
        channel = wifi.channel,
    );
    match (&wifi.passphrase, wifi.open) {
        (Some(passphrase), false) => {
            let _ = write!(
                out,
                "\n# WPA2 avec mot de passe.\n\
                 auth_algs=1\n\
                 wpa=2\n\
                 wpa_key_mgmt=WPA-PSK\n\
                 rsn_pairwise=CCMP\n\
                 wpa_passphrase={passphrase}\n"
            );
        }
        _ => out.push_str("\n# Réseau ouvert, sans mot de passe.\nauth_algs=1\n"),
    }
    out
}

/// DHCP and DNS for the phones: every name is the kit (there is no internet behind it), and
/// option 114 (RFC 8910) names the captive portal.
pub fn dnsmasq(interface: &str, net: &BoxNetwork) -> String {
    format!(
        "{HEADER}\n\
         # Seulement sur le Wi-Fi du kit.\n\
         interface={interface}\n\
         except-interface=lo\n\
         bind-dynamic\n\
         \n\
         # Pas d'internet : aucun serveur de noms en amont, et tous les noms mènent au kit.\n\
         no-resolv\n\
         no-poll\n\
         no-hosts\n\
         address=/#/{address}\n\
         \n\
         # Adresses des téléphones.\n\
         dhcp-range={first},{last},255.255.255.0,12h\n\
         dhcp-authoritative\n\
         dhcp-option=option:router,{address}\n\
         dhcp-option=option:dns-server,{address}\n\
         # Option 114 (RFC 8910) : l'adresse du portail captif.\n\
         dhcp-option=114,\"{base}/.well-known/captive-portal\"\n",
        address = net.address,
        first = net.dhcp_first,
        last = net.dhcp_last,
        base = net.base_url(),
    )
}

/// The firewall. From the Wi-Fi: port 80 goes to the kit, HTTPS is refused at once (a
/// phone then shows the portal instead of waiting), only what the portal needs is open, and
/// nothing is forwarded anywhere.
pub fn nftables(interface: &str) -> String {
    format!(
        "#!/usr/sbin/nft -f\n{HEADER}\n\
         flush ruleset\n\
         \n\
         table inet mednum_kit {{\n\
         \tchain prerouting {{\n\
         \t\ttype nat hook prerouting priority dstnat; policy accept;\n\
         \t\t# Le web (port 80) va au kit, qui écoute sur le port {KIT_PORT} sans être root.\n\
         \t\tiifname \"{interface}\" tcp dport 80 redirect to :{KIT_PORT}\n\
         \t}}\n\
         \n\
         \tchain input {{\n\
         \t\ttype filter hook input priority filter; policy accept;\n\
         \t\tiifname != \"{interface}\" accept\n\
         \t\tct state established,related accept\n\
         \t\tct state invalid drop\n\
         \t\tmeta l4proto {{ icmp, ipv6-icmp }} accept\n\
         \t\t# DNS, DHCP, mDNS (nom.local), et le kit.\n\
         \t\tudp dport {{ 53, 67, 5353 }} accept\n\
         \t\ttcp dport {{ 53, {KIT_PORT} }} accept\n\
         \t\t# HTTPS : refusé tout de suite, pour que le téléphone n'attende pas.\n\
         \t\ttcp dport 443 reject with tcp reset\n\
         \t\tudp dport 443 reject\n\
         \t\tmeta l4proto tcp reject with tcp reset\n\
         \t\treject\n\
         \t}}\n\
         \n\
         \tchain forward {{\n\
         \t\t# Le kit n'est pas un routeur : rien ne passe d'un réseau à l'autre.\n\
         \t\ttype filter hook forward priority filter; policy drop;\n\
         \t}}\n\
         }}\n"
    )
}

/// Threads besides the connections (`server.max_connections`, one thread each) and the
/// workers: main, accept loop, liveness, mDNS and the pool's spare threads (7 at idle), with
/// room for pool threads that linger a few seconds after a burst.
const SPARE_THREADS: usize = 180;

/// The kit's own service: an unprivileged user that can write only its data dir, a watchdog
/// (the kit sends `WATCHDOG=1`, see `crate::notify`), and bounds on its threads and memory
/// sized for a 1 GB Raspberry Pi, so a runaway kit is stopped and restarted by systemd
/// before the box itself runs out (`workers` and `connections` are `server.workers` and
/// `server.max_connections`).
pub fn kit_unit(mount_roots: &[PathBuf], workers: usize, connections: usize) -> String {
    let mut read_only = String::new();
    for root in mount_roots {
        // `-`: a missing folder is not an error.
        let _ = writeln!(read_only, "ReadWritePaths=-{}", systemd_path(root));
    }
    let tasks_max = connections + workers + SPARE_THREADS;
    format!(
        "# Fichier fabriqué par mednum-kit à partir de kit.toml (`usb.mount_roots`,\n\
         # `server.workers`, `server.max_connections`).\n\
         # Pour adapter ce service : sudo systemctl edit mednum-kit\n\
         \n\
         [Unit]\n\
         Description=mednum-kit, le portail hors ligne des ateliers numériques\n\
         After=network.target\n\
         \n\
         [Service]\n\
         Type=notify\n\
         NotifyAccess=main\n\
         ExecStart={BOX_BINARY} --data-dir {BOX_DATA_DIR} serve --listen 0.0.0.0:{KIT_PORT}\n\
         User={BOX_USER}\n\
         Group={BOX_USER}\n\
         StateDirectory=mednum-kit\n\
         StateDirectoryMode=0750\n\
         WorkingDirectory={BOX_DATA_DIR}\n\
         UMask=0077\n\
         Restart=on-failure\n\
         RestartSec=2s\n\
         # Au tout premier démarrage, le kit installe sa bibliothèque : une carte SD lente\n\
         # peut y mettre du temps.\n\
         TimeoutStartSec=5min\n\
         WatchdogSec=30s\n\
         LimitNOFILE=65536\n\
         # Le fil qui envoie les vidéos et les fichiers à tous les téléphones passe avant\n\
         # ceux qui envoient les pages (nice -10 pour ce seul fil) : un téléphone qui demande\n\
         # des pages sans arrêt ne prend pas la part des vidéos.\n\
         LimitNICE=-10\n\
         # Jusqu'à {connections} connexions ouvertes (un fil chacune), {workers} fils qui\n\
         # répondent et quelques autres : un client qui ouvre des milliers de connexions\n\
         # ne prive pas tout le boîtier de processus.\n\
         TasksMax={tasks_max}\n\
         # Un Pi de 1 Go : le kit reste sous 50 Mo avec 100 téléphones. Au-delà de 192 Mo\n\
         # il est freiné, à 256 Mo il est arrêté puis relancé, avant que le système entier\n\
         # manque de mémoire.\n\
         MemoryHigh=192M\n\
         MemoryMax=256M\n\
         \n\
         # Protections : le kit ne peut écrire que dans son dossier.\n\
         NoNewPrivileges=yes\n\
         CapabilityBoundingSet=\n\
         AmbientCapabilities=\n\
         ProtectSystem=strict\n\
         ProtectHome=yes\n\
         PrivateTmp=yes\n\
         PrivateDevices=yes\n\
         PrivateMounts=yes\n\
         ProtectKernelTunables=yes\n\
         ProtectKernelModules=yes\n\
         ProtectKernelLogs=yes\n\
         ProtectControlGroups=yes\n\
         ProtectClock=yes\n\
         ProtectHostname=yes\n\
         ProtectProc=invisible\n\
         ProcSubset=pid\n\
         # AF_NETLINK : la liste des interfaces, pour annoncer le nom du kit (mDNS).\n\
         RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK\n\
         RestrictNamespaces=yes\n\
         RestrictRealtime=yes\n\
         RestrictSUIDSGID=yes\n\
         LockPersonality=yes\n\
         MemoryDenyWriteExecute=yes\n\
         RemoveIPC=yes\n\
         SystemCallArchitectures=native\n\
         SystemCallFilter=@system-service\n\
         SystemCallFilter=~@privileged @resources\n\
         # Sauf setpriority, pour cette priorité (dans la limite de LimitNICE).\n\
         SystemCallFilter=setpriority\n\
         SystemCallErrorNumber=EPERM\n\
         # Les clés USB : le système les monte en lecture seule ; pour un export, le kit\n\
         # demande à mednum-kit-usb-rw@ de la remonter en écriture, le temps de la copie.\n\
         {read_only}\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n"
    )
}

/// Gives the Wi-Fi interface the kit's address before hostapd and dnsmasq start.
pub fn wifi_unit(interface: &str, address: Ipv4Addr) -> String {
    format!(
        "{HEADER}\n\
         [Unit]\n\
         Description=Adresse {address} du Wi-Fi du kit ({interface})\n\
         BindsTo=sys-subsystem-net-devices-{interface}.device\n\
         After=sys-subsystem-net-devices-{interface}.device\n\
         Before=hostapd.service dnsmasq.service\n\
         \n\
         [Service]\n\
         Type=oneshot\n\
         RemainAfterExit=yes\n\
         # Raspberry Pi OS bloque le Wi-Fi tant que le pays n'est pas choisi ; hostapd le\n\
         # choisit (country_code).\n\
         ExecStart=-/usr/sbin/rfkill unblock wlan\n\
         ExecStart=/usr/sbin/ip address replace {address}/24 dev {interface}\n\
         ExecStart=/usr/sbin/ip link set {interface} up\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n"
    )
}

/// NetworkManager (Raspberry Pi OS Bookworm) must leave the kit's Wi-Fi to hostapd.
pub fn network_manager(interface: &str) -> String {
    format!("{HEADER}\n[keyfile]\nunmanaged-devices=interface-name:{interface}\n")
}

/// A path as a systemd setting: spaces and backslashes escaped (`\x20`, `\x5c`).
fn systemd_path(path: &std::path::Path) -> String {
    let mut out = String::new();
    for c in path.to_string_lossy().chars() {
        match c {
            ' ' => out.push_str("\\x20"),
            '\\' => out.push_str("\\x5c"),
            c if c.is_control() => {
                for b in c.to_string().bytes() {
                    let _ = write!(out, "\\x{b:02x}");
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ssid_cannot_add_lines_to_hostapd_conf() {
        let wifi = WifiConfig {
            ssid: "Kit\nwpa=0".into(),
            passphrase: Some("12345678".into()),
            ..WifiConfig::default()
        };
        let text = hostapd(&wifi);
        assert!(!text.lines().any(|l| l == "wpa=0"), "{text}");
        assert!(text.contains("ssid2=4b69740a7770613d30\n"), "{text}");
        assert!(text.contains("# Nom du réseau : Kit?wpa=0\n"), "{text}");
    }

    /// One `Key=value` setting of a unit, as a number (`M` suffix in MiB).
    fn setting(unit: &str, key: &str) -> usize {
        let value = unit
            .lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("no `{key}=` in:\n{unit}"));
        match value.strip_suffix('M') {
            Some(mib) => mib.parse::<usize>().unwrap() << 20,
            None => value.parse().unwrap(),
        }
    }

    #[test]
    fn the_kit_unit_bounds_its_threads_and_memory_for_a_1_gb_pi() {
        let unit = kit_unit(&[], 8, 512);
        let tasks = setting(&unit, "TasksMax");
        assert_eq!(tasks, 700, "512 connections, 8 workers and the others");
        let (high, max) = (setting(&unit, "MemoryHigh"), setting(&unit, "MemoryMax"));
        assert!(
            50 << 20 < high && high < max && max <= 256 << 20,
            "{high} {max}"
        );
        // More workers or connections get more room.
        assert_eq!(setting(&kit_unit(&[], 256, 512), "TasksMax"), tasks + 248);
        assert_eq!(setting(&kit_unit(&[], 8, 1024), "TasksMax"), tasks + 512);
    }

    #[test]
    fn mount_roots_with_odd_characters_stay_one_setting() {
        assert_eq!(
            systemd_path(std::path::Path::new("/media/clé usb\n")),
            "/media/clé\\x20usb\\x0a"
        );
    }
}
