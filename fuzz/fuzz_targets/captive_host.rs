//! Fuzzes the captive portal's reading of a request: the `Host` header's name, which probe a
//! host and path are, and whether a host is the kit itself. Nothing may panic, and the
//! answers must hold together: a name is lowercase with no port, a probe's host is never
//! the kit's own, and a host the kit calls its own is never redirected.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mednum_kit::web::captive::{classify, host_name, is_own_host};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // The first line is the Host header, the rest the path.
    let (header, path) = text.split_once('\n').unwrap_or((&text, "/"));
    let Some(host) = host_name(header) else {
        return;
    };
    assert!(!host.is_empty());
    assert_eq!(host, host.to_ascii_lowercase(), "{header:?}");
    assert!(!host.ends_with('.'), "{header:?} gave {host:?}");
    if !host.contains(':') {
        // Already a name: reading it again changes nothing. (A bare IPv6 address would
        // read as name:port; only its bracketed form is a Host header.)
        assert_eq!(
            host_name(&host).as_deref(),
            Some(host.as_str()),
            "{header:?}"
        );
    }
    if let Some(probe) = classify(&host, path) {
        assert!(
            !is_own_host(&host, "mednum"),
            "{host:?} is a probe and the kit"
        );
        let _ = probe.os;
    }
});
