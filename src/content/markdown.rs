//! Markdown → HTML fragments, once, at install: links between items become portal URLs,
//! images point at the installed pack, raw HTML is shown as text, and tutorials are cut into
//! steps at their level-2 headings, whose text (plain, nothing else) is the step's title.

use pulldown_cmark::{CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::media::Kind;
use super::Finding;

/// Where relative links and images in one file lead.
pub trait Resolver {
    /// A link target written in the file (already known not to be external) → portal URL.
    fn link(&self, target: &str) -> Result<String, String>;
    /// An image path written in the file → URL of the installed file.
    fn image(&self, target: &str) -> Result<String, String>;
    /// A video, a sound or a handout (`../media/clip.mp4`) → what the page shows of it.
    /// `None`: not a media file of the pack (an image, a page, a missing file).
    fn media(&self, _target: &str) -> Option<MediaRef> {
        None
    }
}

/// A media file of the pack, as a page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    pub kind: super::media::Kind,
    pub url: String,
    /// `MP4`, `PDF`…
    pub format: String,
    pub size: u64,
    /// The URL of an image of the same name, shown before the video plays.
    pub poster: Option<String>,
    /// The URL of the French subtitles (`clip.vtt`).
    pub subtitles: Option<String>,
}

/// A printable handout linked from a text: its link's words, URL and size.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Handout {
    pub title: String,
    pub url: String,
    pub size: u64,
}

/// One section: the intro (title empty) or a step.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: String,
    pub html: String,
    pub plain: String,
}

/// A rendered body: the part before the first step, then the steps.
#[derive(Debug, Default)]
pub struct Rendered {
    pub intro: Section,
    pub steps: Vec<Section>,
    pub findings: Vec<Finding>,
    /// The printable handouts (PDF) the text links to, in order, once each.
    pub handouts: Vec<Handout>,
}

/// How the body is shaped.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Headings of level 1 and 2 start a new step (tutorials).
    Steps,
    /// One flowing body; headings are shifted so none is above `<h2>` (the page has the h1).
    Flow,
}

fn is_external(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    ["http://", "https://", "mailto:", "tel:"]
        .iter()
        .any(|p| lower.starts_with(p))
}

fn has_scheme(url: &str) -> bool {
    match url.find(':') {
        Some(i) => url[..i]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)),
        None => false,
    }
}

/// Renders `body`; `first_line` is the body's line in its file, for findings.
pub fn render(body: &str, first_line: usize, mode: Mode, resolver: &dyn Resolver) -> Rendered {
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH;
    let mut out = Rendered::default();
    let mut current = Section::default();
    let mut in_step_title = false;
    let mut in_steps = false;
    // Links and images we refuse are unwrapped to their text; these remember to drop the end.
    let mut dropped_link = false;
    let mut dropped_image = false;
    // A video or sound being read (its caption is the image's text), or a handout's link.
    let mut media: Option<(MediaRef, String)> = None;
    let mut handout: Option<(MediaRef, String)> = None;
    let mut events: Vec<Event<'_>> = Vec::new();

    let line_at = |offset: usize| first_line + super::frontmatter::line_of(body, offset) - 1;

    let flush = |events: &mut Vec<Event<'_>>, section: &mut Section| {
        pulldown_cmark::html::push_html(&mut section.html, events.drain(..));
    };

    for (event, range) in Parser::new_ext(body, options).into_offset_iter() {
        // A step title is plain text: only its words are kept, and nothing in it reaches
        // the step's body.
        if in_step_title {
            match event {
                Event::End(TagEnd::Heading(_)) => {
                    in_step_title = false;
                    current.title = collapse_spaces(&current.title);
                }
                Event::Text(text) | Event::Code(text) => current.title.push_str(&text),
                Event::Html(html) | Event::InlineHtml(html) if is_comment(&html) => {}
                // As in bodies, raw HTML is shown as text (the page escapes titles).
                Event::Html(html) | Event::InlineHtml(html) => current.title.push_str(&html),
                Event::SoftBreak | Event::HardBreak => current.title.push(' '),
                // Emphasis, links, images: their text is kept, the markup goes.
                _ => {}
            }
            continue;
        }
        if media.is_some() {
            match event {
                Event::End(TagEnd::Image) => {
                    if let Some((found, caption)) = media.take() {
                        current.plain.push_str(&caption);
                        current.plain.push(' ');
                        events.push(Event::InlineHtml(media_html(&found, &caption).into()));
                    }
                }
                Event::Text(text) | Event::Code(text) => {
                    if let Some((_, caption)) = &mut media {
                        caption.push_str(&text);
                    }
                }
                _ => {}
            }
            continue;
        }
        if let Some((_, words)) = &mut handout {
            if let Event::Text(text) | Event::Code(text) = &event {
                words.push_str(text);
            }
            if let Event::End(TagEnd::Link) = event {
                events.push(event);
                if let Some((found, words)) = handout.take() {
                    events.push(Event::InlineHtml(handout_label(&found).into()));
                    let title = collapse_spaces(&words);
                    if !out.handouts.iter().any(|h| h.url == found.url) {
                        out.handouts.push(Handout {
                            title,
                            url: found.url,
                            size: found.size,
                        });
                    }
                }
                continue;
            }
        }
        match event {
            Event::Start(Tag::Image { ref dest_url, .. })
                if resolver
                    .media(dest_url)
                    .is_some_and(|m| matches!(m.kind, Kind::Video | Kind::Audio)) =>
            {
                media = resolver.media(dest_url).map(|m| (m, String::new()));
            }
            Event::Start(Tag::Heading { level, .. })
                if mode == Mode::Steps && level <= HeadingLevel::H2 =>
            {
                flush(&mut events, &mut current);
                let finished = std::mem::take(&mut current);
                if !in_steps {
                    out.intro = finished;
                    in_steps = true;
                } else {
                    out.steps.push(finished);
                }
                in_step_title = true;
            }
            Event::Start(Tag::Heading {
                level,
                id,
                classes,
                attrs,
            }) if mode == Mode::Flow && level == HeadingLevel::H1 => {
                events.push(Event::Start(Tag::Heading {
                    level: HeadingLevel::H2,
                    id,
                    classes,
                    attrs,
                }));
            }
            Event::End(TagEnd::Heading(HeadingLevel::H1)) if mode == Mode::Flow => {
                events.push(Event::End(TagEnd::Heading(HeadingLevel::H2)));
                current.plain.push(' ');
            }
            Event::Text(ref text) | Event::Code(ref text) => {
                current.plain.push_str(text);
                events.push(event.clone());
            }
            // Comments are for authors (e.g. `<!-- falc: ignore … -->`): never shown.
            Event::Html(html) | Event::InlineHtml(html) if is_comment(&html) => {}
            Event::Html(html) | Event::InlineHtml(html) => {
                // Packs come from outside: their HTML is shown, never run.
                current.plain.push_str(&html);
                events.push(Event::Text(html));
            }
            Event::Start(Tag::Link {
                link_type,
                dest_url,
                title,
                id,
            }) => {
                let target = dest_url.to_string();
                let resolved = if is_external(&target) {
                    Ok(target)
                } else if has_scheme(&target) {
                    Err(format!(
                        "lien `{target}` refusé : seuls http, https, mailto et tel sont permis"
                    ))
                } else if let Some(fragment) = target.strip_prefix('#') {
                    Ok(format!("#{fragment}"))
                } else {
                    if let Some(found) = resolver.media(&target) {
                        if found.kind == Kind::Handout {
                            handout = Some((found, String::new()));
                        }
                    }
                    resolver.link(&target)
                };
                match resolved {
                    Ok(url) => events.push(Event::Start(Tag::Link {
                        link_type,
                        dest_url: CowStr::from(url),
                        title,
                        id,
                    })),
                    Err(message) => {
                        out.findings.push(Finding {
                            line: line_at(range.start),
                            message,
                        });
                        dropped_link = true;
                    }
                }
            }
            Event::End(TagEnd::Link) if dropped_link => dropped_link = false,
            Event::Start(Tag::Image {
                link_type,
                dest_url,
                title,
                id,
            }) => match resolver.image(&dest_url) {
                Ok(url) => events.push(Event::Start(Tag::Image {
                    link_type,
                    dest_url: CowStr::from(url),
                    title,
                    id,
                })),
                Err(message) => {
                    out.findings.push(Finding {
                        line: line_at(range.start),
                        message,
                    });
                    dropped_image = true;
                }
            },
            Event::End(TagEnd::Image) if dropped_image => dropped_image = false,
            Event::SoftBreak | Event::HardBreak => {
                current.plain.push(' ');
                events.push(event);
            }
            Event::End(
                TagEnd::Paragraph | TagEnd::Item | TagEnd::Heading(_) | TagEnd::TableCell,
            ) => {
                current.plain.push(' ');
                events.push(event);
            }
            other => events.push(other),
        }
    }
    flush(&mut events, &mut current);
    if in_steps {
        out.steps.push(current);
    } else {
        out.intro = current;
    }
    for section in std::iter::once(&mut out.intro).chain(out.steps.iter_mut()) {
        section.plain = collapse_spaces(&section.plain);
    }
    out
}

/// Text for an HTML attribute or element.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `%`-encodes a query value (the download's name).
fn encode_query(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A video or a sound: the player (nothing loads before the learner presses play), its
/// French subtitles, and a link to download it under its caption's name. Without
/// JavaScript, the browser's own controls work.
fn media_html(found: &MediaRef, caption: &str) -> String {
    let t = crate::i18n::fr();
    let caption = collapse_spaces(caption);
    let (tag, download) = match found.kind {
        Kind::Audio => ("audio", &t.media_download_audio),
        _ => ("video", &t.media_download_video),
    };
    let url = escape(&found.url);
    let mut html = format!(r#"<span class="media media-{tag}"><{tag} controls preload="none""#);
    if let (Some(poster), "video") = (&found.poster, tag) {
        html.push_str(&format!(r#" poster="{}""#, escape(poster)));
    }
    if !caption.is_empty() {
        html.push_str(&format!(r#" aria-label="{}""#, escape(&caption)));
    }
    html.push_str(&format!(r#" src="{url}">"#));
    if let Some(vtt) = &found.subtitles {
        html.push_str(&format!(
            r#"<track kind="subtitles" srclang="fr" label="{}" src="{}" default>"#,
            escape(&t.media_subtitles),
            escape(vtt)
        ));
    }
    html.push_str(&format!("</{tag}>"));
    if !caption.is_empty() {
        html.push_str(&format!(
            r#"<span class="media-caption">{}</span>"#,
            escape(&caption)
        ));
    }
    let name = if caption.is_empty() {
        "media"
    } else {
        &caption
    };
    let label = download
        .replace("{format}", &found.format)
        .replace("{size}", &super::media::french_size(found.size));
    html.push_str(&format!(
        r#"<a class="media-download" href="{url}?telecharger={}">{}</a></span>"#,
        escape(&encode_query(name)),
        escape(&label)
    ));
    html
}

/// After a handout's link: what it is and how big (`Fiche à imprimer, PDF, 240 Ko`).
fn handout_label(found: &MediaRef) -> String {
    let t = crate::i18n::fr();
    let label = t
        .media_handout
        .replace("{format}", &found.format)
        .replace("{size}", &super::media::french_size(found.size));
    format!(r#" <small class="media-size">({})</small>"#, escape(&label))
}

/// An author's comment (e.g. `<!-- falc: ignore … -->`), never shown.
fn is_comment(html: &str) -> bool {
    let html = html.trim();
    html.starts_with("<!--") && html.ends_with("-->")
}

fn collapse_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;
    impl Resolver for Fixed {
        fn link(&self, target: &str) -> Result<String, String> {
            match target {
                "autre.md" => Ok("/tutoriels/autre".into()),
                _ => Err(format!("lien `{target}` introuvable")),
            }
        }
        fn image(&self, target: &str) -> Result<String, String> {
            match target {
                "../images/a.svg" => Ok("/contenus/p/1.0.0/images/a.svg".into()),
                _ => Err(format!("image `{target}` introuvable")),
            }
        }
    }

    #[test]
    fn cuts_steps_at_level_two_headings() {
        let r = render(
            "Intro **ici**.\n\n## Premier\nUn.\n\n## Second `code`\nDeux.\n",
            5,
            Mode::Steps,
            &Fixed,
        );
        assert_eq!(r.intro.html, "<p>Intro <strong>ici</strong>.</p>\n");
        assert_eq!(r.intro.plain, "Intro ici.");
        let titles: Vec<_> = r.steps.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(titles, ["Premier", "Second code"]);
        assert_eq!(r.steps[1].html, "<p>Deux.</p>\n");
        assert!(r.findings.is_empty());
    }

    /// Regression: inline HTML, emphasis, links or images in a `##` title went to the step's
    /// body (`## Ouvrir <b>Réglages</b>` gave a body starting with `&lt;b&gt;&lt;/b&gt;`).
    /// A title is plain text, raw HTML shown as text as in bodies; the body is the text
    /// under the heading alone.
    #[test]
    fn a_step_title_is_plain_text_and_leaves_the_body_alone() {
        let cases = [
            ("## Ouvrir <b>Réglages</b>", "Ouvrir <b>Réglages</b>"),
            (
                "## Étape <img src=x onerror=alert(1)>",
                "Étape <img src=x onerror=alert(1)>",
            ),
            ("## Un <!-- falc: ignore --> titre", "Un titre"),
            (
                "## Ouvrir **Réglages** et *Wi-Fi*",
                "Ouvrir Réglages et Wi-Fi",
            ),
            ("## Le ~~menu~~ `Réglages`", "Le menu Réglages"),
            ("## Voir [l'autre](autre.md)", "Voir l'autre"),
            ("## Voir [ailleurs](absent.md)", "Voir ailleurs"),
            ("## Un ![dessin](../images/a.svg) ici", "Un dessin ici"),
            ("Deux\nlignes\n---", "Deux lignes"),
            ("# Grand <i>titre</i>", "Grand <i>titre</i>"),
        ];
        for (heading, title) in cases {
            let r = render(
                &format!("Intro.\n\n{heading}\n\nCorps.\n"),
                1,
                Mode::Steps,
                &Fixed,
            );
            assert_eq!(r.intro.html, "<p>Intro.</p>\n", "{heading}");
            assert_eq!(r.steps.len(), 1, "{heading}");
            assert_eq!(r.steps[0].title, title, "{heading}");
            assert_eq!(r.steps[0].html, "<p>Corps.</p>\n", "{heading}");
            assert_eq!(r.steps[0].plain, "Corps.", "{heading}");
            assert!(r.findings.is_empty(), "{heading}: {:?}", r.findings);
        }
    }

    #[test]
    fn a_body_without_intro_starts_with_its_first_step() {
        let r = render("## Seul\nTexte.", 1, Mode::Steps, &Fixed);
        assert_eq!(r.intro, Section::default());
        assert_eq!(r.steps.len(), 1);
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let r = render(
            "<script>alert(1)</script>\n\nok <b>x</b>",
            1,
            Mode::Flow,
            &Fixed,
        );
        assert!(!r.intro.html.contains("<script>"), "{}", r.intro.html);
        assert!(r.intro.html.contains("&lt;script&gt;"), "{}", r.intro.html);
        assert!(!r.intro.html.contains("<b>"));
    }

    #[test]
    fn links_and_images_are_resolved_or_unwrapped_with_a_finding() {
        let body = "[ok](autre.md) [mal](absent.md) [js](javascript:alert(1)) \
                    [web](https://example.org)\n\n![Un dessin](../images/a.svg)\n\n![Perdu](x.png)";
        let r = render(body, 10, Mode::Flow, &Fixed);
        let html = &r.intro.html;
        assert!(
            html.contains(r#"<a href="/tutoriels/autre">ok</a>"#),
            "{html}"
        );
        assert!(html.contains(" mal "), "{html}");
        assert!(!html.contains("javascript"), "{html}");
        assert!(html.contains(r#"href="https://example.org""#), "{html}");
        assert!(html.contains(r#"src="/contenus/p/1.0.0/images/a.svg" alt="Un dessin""#));
        assert!(html.contains("Perdu") && !html.contains("x.png"), "{html}");
        let lines: Vec<_> = r.findings.iter().map(|f| f.line).collect();
        assert_eq!(lines, [10, 10, 14]);
    }

    #[test]
    fn author_comments_are_dropped() {
        let r = render(
            "Une phrase. <!-- falc: ignore -->\n\n<!-- note -->\n",
            1,
            Mode::Flow,
            &Fixed,
        );
        assert_eq!(r.intro.html, "<p>Une phrase. </p>\n");
    }

    #[test]
    fn flow_mode_demotes_level_one_headings() {
        let r = render("# Grand\n\n## Moyen", 1, Mode::Flow, &Fixed);
        assert_eq!(r.intro.html, "<h2>Grand</h2>\n<h2>Moyen</h2>\n");
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    /// Accepts half the targets, so both branches run.
    struct Half;
    impl Resolver for Half {
        fn link(&self, target: &str) -> Result<String, String> {
            match target.len() % 2 {
                0 => Ok("/tutoriels/x".into()),
                _ => Err(format!("lien `{target}`")),
            }
        }
        fn image(&self, target: &str) -> Result<String, String> {
            match target.len() % 2 {
                0 => Ok("/contenus/x.svg".into()),
                _ => Err(format!("image `{target}`")),
            }
        }
    }

    /// Markdown made of the constructs the renderer treats specially.
    fn markdown() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("# "),
            Just("## "),
            Just("### "),
            Just("\n"),
            Just("\n\n"),
            Just("["),
            Just("]"),
            Just("("),
            Just(")"),
            Just("!["),
            Just("<b>"),
            Just("<!-- x -->"),
            Just("<!--"),
            Just("`"),
            Just("*"),
            Just("_"),
            Just("|"),
            Just("---"),
            Just("- "),
            Just("1. "),
            Just("> "),
            Just("~~"),
            Just("javascript:"),
            Just("https://"),
            Just("a.md"),
            Just("#x"),
            Just("mot"),
            Just(" "),
        ];
        prop_oneof![
            proptest::collection::vec(piece, 0..30).prop_map(|p| p.concat()),
            any::<String>(),
        ]
    }

    proptest! {
        #[test]
        fn render_never_panics(body in markdown(), line in 1usize..10_000) {
            for mode in [Mode::Steps, Mode::Flow] {
                let r = render(&body, line, mode, &Half);
                prop_assert!(r.findings.iter().all(|f| f.line >= line));
                for s in std::iter::once(&r.intro).chain(&r.steps) {
                    prop_assert!(!s.html.contains("<script"), "{}", s.html);
                    let lower = s.html.to_ascii_lowercase();
                    prop_assert!(!lower.contains("href=\"javascript"), "{}", s.html);
                }
            }
        }
    }
}
