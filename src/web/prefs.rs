//! A phone's reading preferences: the language of the portal's texts and a larger reading
//! size. Both live in cookies on the phone (the kit keeps nothing), are chosen by plain
//! links (no JavaScript needed), and hold for the request's whole answer: the thread that
//! answers puts them in force (`apply`) before anything is rendered, error pages included.

use std::cell::Cell;

use super::http::{HttpResult, Reply};
use super::router::RequestInfo;
use crate::i18n::{use_lang, Lang, LangGuard};

/// The cookie that keeps the chosen language (`langue=ar`).
pub const LANG_COOKIE: &str = "langue";
/// The cookie that keeps the larger reading size (`texte=grand`).
pub const TEXT_COOKIE: &str = "texte";
/// The path of the links that change a preference.
pub const PATH: &str = "reglages";
/// A choice is kept for a year: it is the phone's, not a person's data.
const KEPT_SECONDS: u32 = 365 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Prefs {
    pub lang: Lang,
    /// The larger reading size ("A+").
    pub large: bool,
}

impl Prefs {
    /// The preferences a request carries: the language cookie if it names one of ours, else
    /// the phone's `Accept-Language`, else French; anything malformed counts as absent.
    pub fn of(cookie: Option<&str>, accept_language: Option<&str>) -> Prefs {
        let lang = cookie_value(cookie, LANG_COOKIE)
            .and_then(Lang::from_code)
            .or_else(|| accept_language.map(Lang::from_accept_language))
            .unwrap_or_default();
        let large = cookie_value(cookie, TEXT_COOKIE) == Some("grand");
        Prefs { lang, large }
    }

    /// A short key that tells pages rendered for these preferences apart (`ar+`).
    pub fn key(self) -> String {
        format!("{}{}", self.lang.code(), if self.large { "+" } else { "" })
    }
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

thread_local! {
    static LARGE: Cell<bool> = const { Cell::new(false) };
}

/// Whether the request being answered asked for the larger reading size.
pub fn large() -> bool {
    LARGE.with(Cell::get)
}

/// The preferences of the request being answered.
pub fn current() -> Prefs {
    Prefs {
        lang: crate::i18n::current_lang(),
        large: large(),
    }
}

/// Puts `prefs` in force on this thread until the guard is dropped.
pub fn apply(prefs: Prefs) -> PrefsGuard {
    let large = LARGE.with(|c| c.replace(prefs.large));
    PrefsGuard {
        _lang: use_lang(prefs.lang),
        large,
    }
}

pub struct PrefsGuard {
    _lang: LangGuard,
    large: bool,
}

impl Drop for PrefsGuard {
    fn drop(&mut self) {
        LARGE.with(|c| c.set(self.large));
    }
}

/// `/reglages?langue=ar` or `/reglages?texte=grand|normal`: keeps the choice in a cookie and
/// goes back to the page the link was on (from `Referer`, our own paths only), or home.
/// An unknown value changes nothing.
pub fn choose(req: &RequestInfo<'_>) -> HttpResult {
    let mut reply = Reply::redirect(303, back_to(req.referer, req.raw_host));
    if let Some(lang) = req.target.param(LANG_COOKIE).and_then(Lang::from_code) {
        reply = reply.header("Set-Cookie", set_cookie(LANG_COOKIE, lang.code()));
    }
    match req.target.param(TEXT_COOKIE) {
        Some("grand") => reply = reply.header("Set-Cookie", set_cookie(TEXT_COOKIE, "grand")),
        Some("normal") => {
            reply = reply.header(
                "Set-Cookie",
                format!("{TEXT_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0"),
            )
        }
        _ => {}
    }
    Ok(reply)
}

fn set_cookie(name: &str, value: &str) -> String {
    format!("{name}={value}; Path=/; SameSite=Lax; Max-Age={KEPT_SECONDS}")
}

/// The path of a same-site `Referer` (`http://kit.local/tutoriels/x?page=2` →
/// `/tutoriels/x?page=2`), else `/`. Never another site, never `//host`.
fn back_to(referer: Option<&str>, host: Option<&str>) -> String {
    let home = || "/".to_owned();
    let (Some(referer), Some(host)) = (referer, host) else {
        return home();
    };
    let Some(rest) = referer
        .strip_prefix("http://")
        .or_else(|| referer.strip_prefix("https://"))
    else {
        return home();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = path.split('#').next().unwrap_or("");
    let safe = authority.eq_ignore_ascii_case(host)
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.starts_with(&format!("/{PATH}"))
        && path.len() <= 2048
        // A header value is ASCII: a raw UTF-8 Referer would leave the answer without one.
        && path.is_ascii()
        && !path.bytes().any(|b| b.is_ascii_control() || b == b'\\');
    if safe {
        path.to_owned()
    } else {
        home()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_cookie_then_the_phone_then_french() {
        let of = |c, a| Prefs::of(c, a).lang;
        assert_eq!(of(Some("langue=ar"), Some("uk")), Lang::Ar);
        assert_eq!(of(Some("x=1; langue=uk"), None), Lang::Uk);
        assert_eq!(of(Some("langue=xx"), Some("en-GB,en;q=0.9")), Lang::En);
        assert_eq!(of(Some("langue="), None), Lang::Fr);
        assert_eq!(of(None, Some("de-DE,de;q=0.9")), Lang::Fr);
        assert_eq!(of(None, Some(";;;,,q=")), Lang::Fr);
        assert_eq!(of(None, None), Lang::Fr);
    }

    #[test]
    fn the_larger_size_needs_its_exact_cookie() {
        assert!(Prefs::of(Some("texte=grand"), None).large);
        assert!(!Prefs::of(Some("texte=GRAND"), None).large);
        assert!(!Prefs::of(Some("texte=normal"), None).large);
        assert!(!Prefs::of(None, None).large);
    }

    #[test]
    fn a_choice_goes_back_only_to_a_page_of_the_kit() {
        let host = Some("kit.local");
        for (referer, back) in [
            (
                Some("http://kit.local/tutoriels/x?page=2#e"),
                "/tutoriels/x?page=2",
            ),
            (Some("http://KIT.local/"), "/"),
            (Some("http://evil.example/x"), "/"),
            (Some("http://kit.local//evil.example/x"), "/"),
            (Some("http://kit.local/reglages?langue=ar"), "/"),
            (Some("http://kit.local"), "/"),
            (Some("javascript:alert(1)"), "/"),
            (Some("http://kit.local/a\\b"), "/"),
            (Some("http://kit.local/caf\u{e9}"), "/"),
            (None, "/"),
        ] {
            assert_eq!(back_to(referer, host), back, "{referer:?}");
        }
        assert_eq!(back_to(Some("http://kit.local/x"), None), "/");
    }

    #[test]
    fn prefs_hold_until_the_guard_goes() {
        assert_eq!(current(), Prefs::default());
        {
            let _guard = apply(Prefs {
                lang: Lang::Ar,
                large: true,
            });
            assert_eq!(current().lang, Lang::Ar);
            assert!(large());
        }
        assert_eq!(current(), Prefs::default());
    }
}
