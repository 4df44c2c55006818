//! "Emporter sur mon téléphone": a tutorial, a blank practice form or a filled-in summary as
//! one self-contained HTML file (its style inline, its images as `data:` URIs, no script,
//! nothing fetched), and a tutorial's print view (A4, large type, one step per block).
//!
//! Both are made from the HTML fragments stored at import: links to the kit's own pages
//! become their words (a glossary word is explained at the end), a video or a sound becomes
//! a sentence saying where to see it, and each image is read from the installed pack through
//! the same checks as the file route (`files::locate`). A file's size is estimated from its
//! texts and its images' sizes on disk before any image is read: above `MAX_BYTES` the
//! learner gets a page that says so and offers the print view.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;

use base64::Engine as _;
use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::files;
use super::forms::{self, Loaded};
use super::http::{HttpError, HttpResult, Reply, Slot};
use super::templates::{content_dir, content_lang, item_meta, item_url, page};
use super::{Shared, Worker};
use crate::content::fragment::{attr, pieces, unescape, Piece};
use crate::content::glossary::URL_PREFIX as GLOSSARY_PREFIX;
use crate::forms::validate::{NO, YES};
use crate::forms::{Answers, Field, FieldType, FormDef};
use crate::i18n::{fill, Catalog};
use crate::reports::date::Date;
use crate::store::TutorialPage;

/// Largest take-home file: 2 MiB. A starter tutorial makes 10 to 25 KB; a tutorial above
/// 2 MB is mostly photos, better seen on the portal or printed, and each file is made in the
/// box's memory (with its images) while it is sent.
pub const MAX_BYTES: u64 = 2 * 1024 * 1024;

/// A file of more than `BIG_BUILD` bytes is built with its images in the box's memory
/// (about three times its size while it is made): at most `MAX_BIG_BUILDS` at once, so that a
/// phone asking for a big one again and again cannot fill the memory of a small box. The
/// others get the kit's "busy, try again in a few seconds" page. Small ones (every starter
/// tutorial) are never held back.
const BIG_BUILD: u64 = 256 * 1024;
pub const MAX_BIG_BUILDS: usize = 2;

/// The take-home file's stylesheet, put inline in each file; the print view links it.
const STYLE: &str = include_str!("assets/takehome.css");

/// What a file adds to its texts and images (head, headings, step labels, the words at
/// the end), generously: the estimate must not pass a file that is then much bigger.
const FRAME_BYTES: u64 = 16 * 1024;

/// Most glossary words explained at the end of one file.
const MAX_WORDS: usize = 40;

/// A take-home file fetches nothing, whatever a pack's text holds; sent both in the file
/// (it is opened from the phone's disk, without our headers) and as a header.
const FILE_CSP: &str = "default-src 'none'; img-src data:; style-src 'unsafe-inline'";

/// How a document reaches the learner.
enum Mode<'a> {
    /// A file to keep: style inline, images inlined, where it came from and when.
    File,
    /// The print view, on the portal: linked style, the portal's images, a way back.
    Print { back: &'a str, href: String },
}

/// How a document shows the pack's images.
enum Images {
    /// Each image's `src` as stored → its `data:` URI. An image absent from the map could not
    /// be read and shows as its alternative text.
    Inline(HashMap<String, String>),
    /// As the portal serves them.
    Linked,
}

/// A tutorial in the phone's language where it has a translation (as the portal shows it).
fn load_tutorial(w: &mut Worker, slug: &str) -> Result<TutorialPage, HttpError> {
    let lang = crate::i18n::current_lang().code();
    w.store.tutorial_in(slug, lang)?.ok_or(HttpError::NotFound)
}

/// `GET /tutoriels/<slug>/emporter`: the tutorial as one file, or the page saying it is
/// too big.
pub fn tutorial(w: &mut Worker, slug: &str) -> HttpResult {
    let tut = load_tutorial(w, slug)?;
    let fragments = tutorial_fragments(&tut);
    let plan = plan(w, &fragments)?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let base = item_url("tutorial", slug);
    if plan.bytes > MAX_BYTES {
        return Ok(too_big(
            shared,
            t.th("too_big_title"),
            plan.bytes,
            (t.th("back"), &base),
            Some(&format!("{base}/imprimer")),
        ));
    }
    let _place = build_place(shared, &plan)?;
    let words = words(w, &fragments)?;
    let images = Images::Inline(inline(plan));
    let main = tutorial_main(shared, &tut, &images, &words);
    let doc = document(shared, &Mode::File, &tut.item.title, main);
    Ok(attachment(doc, slug, &tut.item.title))
}

/// `GET /tutoriels/<slug>/imprimer`: every step on one page laid out for A4.
pub fn print(w: &mut Worker, slug: &str) -> HttpResult {
    let tut = load_tutorial(w, slug)?;
    let words = words(w, &tutorial_fragments(&tut))?;
    let shared = &*w.shared;
    let t = shared.catalog();
    let main = tutorial_main(shared, &tut, &Images::Linked, &words);
    let title = fill(t.th("print_title"), &[("title", &tut.item.title)]);
    let mode = Mode::Print {
        back: t.th("back"),
        href: item_url("tutorial", slug),
    };
    Ok(Reply::html(200, document(shared, &mode, &title, main)))
}

/// `GET /formulaires/<slug>/emporter`: the blank form, laid out like the paper, with each
/// question's help and example.
pub fn blank_form(w: &mut Worker, slug: &str) -> HttpResult {
    let loaded = forms::load(w, slug)?;
    let icons: Vec<String> = loaded
        .def
        .papers
        .iter()
        .filter_map(|paper| paper.icon.as_deref())
        .map(icon_tag)
        .collect();
    let mut fragments = vec![loaded.purpose_html.as_str()];
    // In the order the questions come, so the words at the end come in that order too.
    let def = &loaded.def;
    fragments.extend(
        def.fields()
            .filter_map(|f| loaded.help_html.get(&f.id))
            .map(String::as_str),
    );
    fragments.extend(icons.iter().map(String::as_str));
    let plan = plan(w, &fragments)?;
    let shared = &*w.shared;
    let t = shared.catalog();
    if plan.bytes > MAX_BYTES {
        let back = forms::form_url(slug);
        return Ok(too_big(
            shared,
            t.th("too_big_form_title"),
            plan.bytes,
            (t.th("back_form"), &back),
            None,
        ));
    }
    let _place = build_place(shared, &plan)?;
    let words = words(w, &fragments)?;
    let images = Images::Inline(inline(plan));
    let main = blank_main(shared, &loaded, &images, &words);
    let doc = document(shared, &Mode::File, &loaded.def.title, main);
    Ok(attachment(doc, slug, &loaded.def.title))
}

/// The review page's "Emporter sur mon téléphone": the answers as a file, laid out like the
/// print page. Nothing of it is kept or logged; the answers only pass through this reply.
pub(super) fn filled_form(shared: &Shared, loaded: &Loaded, answers: &Answers) -> Reply {
    let t = shared.catalog();
    let def = &loaded.def;
    let shown = def.questions(answers);
    let title = fill(t.th("filled_title"), &[("title", &def.title)]);
    let main = html! {
        h1 { (title) }
        p.practice { (t.f("practice")) }
        p { strong { (t.f("procedure")) } " " (def.procedure) }
        @for section in &def.sections {
            section.box {
                h2 { (section.title) }
                @for field in &section.fields {
                    @if field.kind == FieldType::Signature {
                        (signature(t, field))
                    } @else if shown.iter().any(|s| s.id == field.id) {
                        p.label { (field.label) }
                        p.line { (forms::shown_answer(shared, field, answers).unwrap_or_default()) }
                    }
                }
            }
        }
    };
    let doc = document(shared, &Mode::File, &title, main);
    let slug = &loaded.item.slug;
    let name = fill(t.th("filled_file"), &[("title", &def.title)]);
    attachment(doc, &format!("{slug}-mes-reponses"), &name)
}

fn tutorial_fragments(tut: &TutorialPage) -> Vec<&str> {
    std::iter::once(tut.intro_html.as_str())
        .chain(tut.steps.iter().map(|s| s.html.as_str()))
        .collect()
}

fn tutorial_main(
    shared: &Shared,
    tut: &TutorialPage,
    images: &Images,
    words: &[(String, String)],
) -> Markup {
    let t = shared.catalog();
    let total = tut.steps.len().to_string();
    let meta = item_meta(shared, &tut.item);
    // The tutorial's own language, marked where it is not the phone's.
    let (lang, dir) = (content_lang(&tut.item.lang), content_dir(&tut.item.lang));
    html! {
        h1 lang=[lang] dir=[dir] { (tut.item.title) }
        @if !meta.is_empty() { p.meta { (meta) } }
        @if !tut.item.summary.is_empty() { p.lead lang=[lang] dir=[dir] { (tut.item.summary) } }
        div lang=[lang] dir=[dir] { (PreEscaped(rewrite(&tut.intro_html, images, t))) }
        @for (i, step) in tut.steps.iter().enumerate() {
            @let id = format!("etape-{}", i + 1);
            section.step aria-labelledby=(id) {
                p.step-number { (fill(&t.step_of, &[("n", &(i + 1).to_string()), ("total", &total)])) }
                h2 #(id) lang=[lang] dir=[dir] { (step.title) }
                div lang=[lang] dir=[dir] { (PreEscaped(rewrite(&step.html, images, t))) }
            }
        }
        (words_section(t, words))
    }
}

fn blank_main(
    shared: &Shared,
    loaded: &Loaded,
    images: &Images,
    words: &[(String, String)],
) -> Markup {
    let t = shared.catalog();
    let def = &loaded.def;
    html! {
        h1 { (def.title) }
        p.practice { (t.f("practice")) }
        p { (t.th("form_blank")) }
        p.lead { (def.summary) }
        (PreEscaped(rewrite(&loaded.purpose_html, images, t)))
        p { strong { (t.f("procedure")) } " " (def.procedure) }
        @if !def.papers.is_empty() {
            h2 { (t.f("papers_heading")) }
            ul.checks {
                @for paper in &def.papers {
                    li {
                        @if let Some(icon) = &paper.icon { (PreEscaped(rewrite(&icon_tag(icon), images, t))) }
                        (paper.label)
                    }
                }
            }
        }
        @for section in &def.sections {
            section.box {
                h2 { (section.title) }
                @for field in &section.fields {
                    @if field.kind == FieldType::Signature {
                        (signature(t, field))
                    } @else {
                        (blank_field(t, loaded, field, images))
                    }
                }
            }
        }
        (words_section(t, words))
    }
}

/// One question of the blank form: its words, then room to answer (boxes to tick for
/// choices, a dotted line otherwise).
fn blank_field(t: &Catalog, loaded: &Loaded, field: &Field, images: &Images) -> Markup {
    html! {
        p.label { (field.label) }
        @if let Some(condition) = condition(t, &loaded.def, field) { p.hint { (condition) } }
        @if !field.help.is_empty() {
            p.hint {
                strong { (t.f("what_is_it")) } " "
                @match loaded.help_html.get(&field.id) {
                    Some(linked) => (PreEscaped(rewrite(linked, images, t))),
                    None => (field.help),
                }
            }
        }
        @if !field.example.is_empty() {
            p.hint { (fill(t.f("example"), &[("example", &field.example)])) }
        }
        @if !field.required { p.hint { (t.f("optional")) } }
        @match field.kind {
            FieldType::YesNo => ul.checks { li { (t.f("yes")) } li { (t.f("no")) } },
            FieldType::Choice | FieldType::Choices => {
                ul.checks { @for choice in &field.choices { li { (choice) } } }
            }
            FieldType::LongText | FieldType::Address => p.line.tall {},
            _ => p.line {},
        }
        @if field.commune {
            p.label { (t.f("commune_label")) }
            p.line {}
        }
    }
}

/// "Répondez seulement si…" for a question shown only after a given answer.
fn condition(t: &Catalog, def: &FormDef, field: &Field) -> Option<String> {
    let when = field.when.as_ref()?;
    let asked = def.field(&when.field)?;
    let value = match (asked.kind, when.equals.as_str()) {
        (FieldType::YesNo, YES) => t.f("yes"),
        (FieldType::YesNo, NO) => t.f("no"),
        (_, other) => other,
    };
    Some(fill(
        t.th("only_if"),
        &[("question", &asked.label), ("value", value)],
    ))
}

/// Place, date and signature, left blank (as on the print page).
fn signature(t: &Catalog, field: &Field) -> Markup {
    html! {
        p.label { (field.label) }
        p.hint { (t.f("signature_place")) }
        p.line {}
        p.hint { (t.f("signature_date")) }
        p.line {}
        p.hint { (t.f("signature")) }
        div.signature {}
    }
}

fn words_section(t: &Catalog, words: &[(String, String)]) -> Markup {
    html! {
        @if !words.is_empty() {
            section.words aria-labelledby="mots" {
                h2 #mots { (t.th("words_heading")) }
                dl { @for (word, summary) in words { dt { (word) } dd { (summary) } } }
            }
        }
    }
}

/// A whole document around `main`: the file to keep, or the print view.
fn document(shared: &Shared, mode: &Mode<'_>, title: &str, main: Markup) -> String {
    let t = shared.catalog();
    let site = shared.site();
    let prefs = super::prefs::current();
    let today = Date::today();
    let date = t
        .day(today.year(), today.month(), today.day())
        .unwrap_or_else(|| today.to_string());
    let origin_key = match mode {
        Mode::File => "taken",
        Mode::Print { .. } => "printed",
    };
    let origin = fill(t.th(origin_key), &[("site", &site.name), ("date", &date)]);
    html! {
        (DOCTYPE)
        html lang=(prefs.lang.code()) dir=(prefs.lang.dir()) class=[prefs.large.then_some("texte-grand")] {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Mode::File = mode {
                    meta http-equiv="Content-Security-Policy" content=(FILE_CSP);
                }
                title { (title) " · " (site.name) }
                @match mode {
                    Mode::File => style { (PreEscaped(STYLE)) },
                    Mode::Print { .. } => link rel="stylesheet" href=(shared.assets.url("takehome.css"));,
                }
            }
            body {
                @if let Mode::Print { back, href } = mode {
                    nav.no-print aria-label=(t.nav_label) {
                        p { a href=(href) { span.arrow aria-hidden="true" { "←" } " " (back) } }
                        p { (t.th("print_how")) }
                    }
                }
                header.origin { p { (origin) } }
                main { (main) }
                @if let Mode::File = mode {
                    footer { p { (t.th("offline")) } }
                }
            }
        }
    }
    .into_string()
}

/// The file as a download named after its slug (`filename`, ASCII) and its French title
/// (`filename*`, RFC 8187), never kept: it carries today's date, and a form's answers.
fn attachment(doc: String, slug: &str, title: &str) -> Reply {
    let name = files::clean_name(title);
    let name = if name.is_empty() { slug } else { &name };
    let disposition = format!(
        "attachment; filename=\"{slug}.html\"; filename*=UTF-8''{}",
        files::rfc8187(&format!("{name}.html"))
    );
    Reply::bytes(
        200,
        "text/html; charset=utf-8",
        Cow::Owned(doc.into_bytes()),
    )
    .header("Content-Disposition", disposition)
    .header("Cache-Control", "no-store")
    .header("Content-Security-Policy", FILE_CSP)
}

/// The page for a file above `MAX_BYTES`: how big it would be, and what to do instead.
/// It is a `200`: the request was fine and the kit answers it with a page to read (`413`
/// says the *request* was too large, which would be wrong, and an error status makes some
/// phones' browsers show their own page instead of ours).
fn too_big(
    shared: &Shared,
    title: &str,
    bytes: u64,
    (back, back_href): (&str, &str),
    print: Option<&str>,
) -> Reply {
    let t = shared.catalog();
    let size = crate::content::media::french_size(bytes);
    let main = html! {
        h1 { (title) }
        p.lead { (fill(t.th("too_big_text"), &[("size", &size)])) }
        @if let Some(print) = print {
            p { (t.th("too_big_print")) }
            p { a.button href=(print) { (t.th("print_instead")) } }
        }
        p { a.button.secondary href=(back_href) { span.arrow aria-hidden="true" { "←" } " " (back) } }
    };
    Reply::private_html(200, page(shared, title, &[], main))
}

/// A paper's icon as an image tag of the stored HTML's shape, to go through `rewrite`.
fn icon_tag(src: &str) -> String {
    format!(
        r#"<img class="icon" src="{}" alt="" />"#,
        html! { (src) }.into_string()
    )
}

/// The images of a document, found on disk before any is read.
struct Plan {
    /// Each distinct `src` as stored → the installed image (path, type, size); `None` when
    /// it names no installed image.
    images: HashMap<String, Option<Image>>,
    /// The file's size, estimated: texts, frame, and each image as base64 each time it shows.
    bytes: u64,
}

fn plan(w: &Worker, fragments: &[&str]) -> Result<Plan, HttpError> {
    let mut images: HashMap<String, Option<Image>> = HashMap::new();
    let mut bytes = FRAME_BYTES + STYLE.len() as u64;
    for fragment in fragments {
        bytes += fragment.len() as u64;
        for src in image_sources(fragment) {
            if !images.contains_key(src) {
                images.insert(src.to_owned(), pack_image(w, src)?);
            }
            if let Some(Some(image)) = images.get(src) {
                bytes += data_uri_len(image.mime, image.size);
            }
        }
    }
    Ok(Plan { images, bytes })
}

/// A place to build a big file (see `BIG_BUILD`); `Busy` when every place is taken.
fn build_place(shared: &Shared, plan: &Plan) -> Result<Option<Slot>, HttpError> {
    if plan.bytes <= BIG_BUILD {
        return Ok(None);
    }
    Slot::take(&shared.takehome_builds, MAX_BIG_BUILDS)
        .map(Some)
        .ok_or(HttpError::Busy)
}

/// The length of `data:<mime>;base64,…` for `size` bytes.
fn data_uri_len(mime: &str, size: u64) -> u64 {
    ("data:;base64,".len() + mime.len()) as u64 + size.div_ceil(3) * 4
}

/// The installed image an `<img src>` of a stored fragment names, as the file route would
/// find it; `None` for anything else (another version, not an image, missing).
fn pack_image(w: &Worker, src: &str) -> Result<Option<Image>, HttpError> {
    let Ok(target) = super::url::parse_target(&unescape(src)) else {
        return Ok(None);
    };
    let segments: Vec<&str> = target.segments.iter().map(String::as_str).collect();
    let [prefix, rest @ ..] = segments.as_slice() else {
        return Ok(None);
    };
    if *prefix != files::PREFIX {
        return Ok(None);
    }
    let found = match files::locate(w, rest) {
        Ok(found) => found,
        Err(HttpError::NotFound) => return Ok(None),
        Err(e) => return Err(e),
    };
    if !found.mime.starts_with("image/") {
        return Ok(None);
    }
    Ok(Some(Image {
        file: found.file,
        offset: found.at.offset,
        mime: found.mime,
        size: found.at.size,
        path: found.path,
    }))
}

/// An image to inline: its bytes are `size` bytes of `file` from `offset` (its own file, or
/// the pack's `.kitpack` that holds a big one).
struct Image {
    file: std::fs::File,
    offset: u64,
    mime: &'static str,
    size: u64,
    /// For the log.
    path: PathBuf,
}

/// Reads each planned image once, as a `data:` URI. One that cannot be read is left out
/// (it shows as its words) and said in the log.
fn inline(plan: Plan) -> HashMap<String, String> {
    let engine = base64::engine::general_purpose::STANDARD;
    plan.images
        .into_iter()
        .filter_map(|(src, found)| {
            let Image {
                mut file,
                offset,
                mime,
                size,
                path,
            } = found?;
            let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
            // No more than was planned, even if the file grew since.
            let read = std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(offset))
                .and_then(|_| file.take(size).read_to_end(&mut bytes));
            match read {
                Ok(_) => Some((src, format!("data:{mime};base64,{}", engine.encode(&bytes)))),
                Err(e) => {
                    log::warn!(
                        "take-home file: cannot read `{}` ({e}); its image is shown as its words",
                        path.display()
                    );
                    None
                }
            }
        })
        .collect()
}

/// The glossary words the fragments link to, in order, once each, with their first
/// sentence: the file explains them at its end.
fn words(w: &Worker, fragments: &[&str]) -> Result<Vec<(String, String)>, HttpError> {
    let mut slugs: Vec<&str> = Vec::new();
    for slug in fragments.iter().flat_map(|f| glossary_slugs(f)) {
        if !slugs.contains(&slug) && slugs.len() < MAX_WORDS {
            slugs.push(slug);
        }
    }
    let mut words = Vec::new();
    for slug in slugs {
        if let Some(entry) = w.store.glossary_entry(&unescape(slug))? {
            words.push((entry.word, entry.summary));
        }
    }
    Ok(words)
}

fn image_sources(html: &str) -> impl Iterator<Item = &str> {
    pieces(html).filter_map(|piece| match piece {
        Piece::Tag {
            raw,
            name,
            closing: false,
        } if name == "img" => attr(raw, "src"),
        _ => None,
    })
}

fn glossary_slugs(html: &str) -> impl Iterator<Item = &str> {
    pieces(html).filter_map(|piece| match piece {
        Piece::Tag {
            raw,
            name,
            closing: false,
        } if name == "a" && raw.contains(r#" class="glossaire""#) => {
            attr(raw, "href")?.strip_prefix(GLOSSARY_PREFIX)
        }
        _ => None,
    })
}

/// A link the file keeps (to the web), drops (to a page of the kit: its words stay), or
/// turns into a glossary word (explained at the end).
enum LinkEnd {
    Keep,
    Drop,
    Word,
}

/// An element left out with everything in it, until its end tag.
struct Skipped {
    name: String,
    depth: usize,
    /// `video` or `audio` for a player, which leaves a sentence instead; its caption.
    player: Option<&'static str>,
    caption: Option<String>,
}

/// A stored fragment made fit for a file that stands alone: no link to the kit's pages, no
/// player, images inlined (or left as they are for the print view).
fn rewrite(html: &str, images: &Images, t: &Catalog) -> String {
    let mut out = String::with_capacity(html.len());
    let mut links: Vec<LinkEnd> = Vec::new();
    let mut skipped: Option<Skipped> = None;
    for piece in pieces(html) {
        if let Some(skip) = &mut skipped {
            if let Piece::Tag { raw, name, closing } = &piece {
                if !closing && (name == "video" || name == "audio") {
                    skip.player = Some(if name == "audio" { "audio" } else { "video" });
                    skip.caption = attr(raw, "aria-label").map(str::to_owned);
                }
                if *name == skip.name {
                    if *closing {
                        skip.depth -= 1;
                    } else {
                        skip.depth += 1;
                    }
                }
            }
            if skip.depth == 0 {
                if let Some(kind) = skip.player {
                    out.push_str(&media_note(t, kind, skip.caption.as_deref()));
                }
                skipped = None;
            }
            continue;
        }
        let Piece::Tag { raw, name, closing } = piece else {
            if let Piece::Text(text) = piece {
                out.push_str(text);
            }
            continue;
        };
        match (name.as_str(), closing) {
            ("a", false) => {
                let href = attr(raw, "href").unwrap_or("");
                let end = if is_web(href) {
                    out.push_str(raw);
                    LinkEnd::Keep
                } else if raw.contains(r#" class="glossaire""#) {
                    out.push_str(r#"<span class="mot">"#);
                    LinkEnd::Word
                } else {
                    LinkEnd::Drop
                };
                links.push(end);
            }
            ("a", true) => match links.pop() {
                Some(LinkEnd::Keep) | None => out.push_str(raw),
                Some(LinkEnd::Word) => out.push_str("</span>"),
                Some(LinkEnd::Drop) => {}
            },
            ("img", false) => out.push_str(&image(raw, images)),
            // The player the renderer writes: `<span class="media media-video">…</span>`.
            ("span", false) if raw.contains(r#" class="media "#) => {
                skipped = Some(Skipped {
                    name,
                    depth: 1,
                    player: Some("video"),
                    caption: None,
                });
            }
            ("video" | "audio", false) => {
                let player = if name == "audio" { "audio" } else { "video" };
                skipped = Some(Skipped {
                    caption: attr(raw, "aria-label").map(str::to_owned),
                    name,
                    depth: 1,
                    player: Some(player),
                });
            }
            // Never in a stored fragment; left out whole should one ever be.
            (
                "script" | "style" | "iframe" | "object" | "embed" | "template" | "noscript",
                false,
            ) => {
                skipped = Some(Skipped {
                    name,
                    depth: 1,
                    player: None,
                    caption: None,
                });
            }
            ("source" | "track" | "link" | "base" | "meta", _) => {}
            _ => out.push_str(raw),
        }
    }
    out
}

/// A link a phone can follow later, with internet (the kit's pages it cannot).
fn is_web(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    ["http://", "https://", "mailto:", "tel:"]
        .iter()
        .any(|scheme| lower.starts_with(scheme))
}

/// An image tag with its `src` inlined; an image that could not be read becomes its words.
fn image(raw: &str, images: &Images) -> String {
    let Images::Inline(found) = images else {
        return raw.to_owned();
    };
    let src = attr(raw, "src").unwrap_or("");
    match found.get(src) {
        Some(uri) => raw.replacen(&format!(r#" src="{src}""#), &format!(r#" src="{uri}""#), 1),
        None => match attr(raw, "alt") {
            Some(alt) if !alt.trim().is_empty() => {
                format!(r#"<span class="media-note">{alt}</span>"#)
            }
            _ => String::new(),
        },
    }
}

/// Where to see a video or hear a sound the file cannot hold. `caption` is escaped already.
fn media_note(t: &Catalog, kind: &str, caption: Option<&str>) -> String {
    let escaped = |text: &str| html! { (text) }.into_string();
    let caption = caption.filter(|c| !c.trim().is_empty());
    let text = match (kind, caption) {
        ("audio", Some(c)) => fill(&escaped(t.th("audio")), &[("caption", c)]),
        ("audio", None) => escaped(t.th("audio_untitled")),
        (_, Some(c)) => fill(&escaped(t.th("video")), &[("caption", c)]),
        (_, None) => escaped(t.th("video_untitled")),
    };
    format!(r#"<span class="media-note">{text}</span>"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inlined(pairs: &[(&str, &str)]) -> Images {
        Images::Inline(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn links_to_the_kit_keep_their_words_and_web_links_stay() {
        let t = crate::i18n::fr();
        let html = concat!(
            r#"<p>Lisez <a href="/tutoriels/envoyer-des-photos">Envoyer des photos</a>, "#,
            r#"un <a class="glossaire" href="/glossaire/e-mail">e-mail</a>, "#,
            r##"<a href="https://www.ameli.fr">Ameli</a> et <a href="#etape-2">plus bas</a>.</p>"##
        );
        assert_eq!(
            rewrite(html, &Images::Linked, t),
            concat!(
                r#"<p>Lisez Envoyer des photos, un <span class="mot">e-mail</span>, "#,
                r#"<a href="https://www.ameli.fr">Ameli</a> et plus bas.</p>"#
            )
        );
        assert_eq!(glossary_slugs(html).collect::<Vec<_>>(), ["e-mail"]);
    }

    #[test]
    fn images_are_inlined_or_become_their_words() {
        let t = crate::i18n::fr();
        let html = concat!(
            r#"<p><img src="/contenus/p/1.0.0/images/a.svg" alt="Un &quot;bouton&quot;" /></p>"#,
            r#"<p><img src="/contenus/p/1.0.0/images/manque.svg" alt="Une flèche" /></p>"#,
            r#"<p><img src="/contenus/p/1.0.0/images/deco.svg" alt="" /></p>"#
        );
        assert_eq!(
            image_sources(html).collect::<Vec<_>>(),
            [
                "/contenus/p/1.0.0/images/a.svg",
                "/contenus/p/1.0.0/images/manque.svg",
                "/contenus/p/1.0.0/images/deco.svg"
            ]
        );
        let images = inlined(&[(
            "/contenus/p/1.0.0/images/a.svg",
            "data:image/svg+xml;base64,PHN2Zy8+",
        )]);
        assert_eq!(
            rewrite(html, &images, t),
            concat!(
                r#"<p><img src="data:image/svg+xml;base64,PHN2Zy8+" alt="Un &quot;bouton&quot;" /></p>"#,
                r#"<p><span class="media-note">Une flèche</span></p>"#,
                "<p></p>"
            )
        );
        assert_eq!(rewrite(html, &Images::Linked, t), html);
    }

    #[test]
    fn players_become_a_sentence_and_scripts_go_whole() {
        let t = crate::i18n::fr();
        let player = concat!(
            r#"<p>Avant <span class="media media-video"><video controls preload="none" "#,
            r#"poster="/contenus/p/1.0.0/media/clip.png" aria-label="Payer &amp; partir" "#,
            r#"src="/contenus/p/1.0.0/media/clip.mp4"><track kind="subtitles" srclang="fr" "#,
            r#"label="Français" src="/contenus/p/1.0.0/media/clip.vtt" default></video>"#,
            r#"<span class="media-caption">Payer &amp; partir</span><a class="media-download" "#,
            r#"href="/contenus/p/1.0.0/media/clip.mp4?telecharger=Payer">Télécharger</a></span> après</p>"#
        );
        assert_eq!(
            rewrite(player, &Images::Linked, t),
            concat!(
                r#"<p>Avant <span class="media-note">Vidéo à voir sur le portail de l'atelier : "#,
                r#"Payer &amp; partir</span> après</p>"#
            )
        );
        let sound = r#"<span class="media media-audio"><audio controls preload="none" src="/s.m4a"></audio></span>"#;
        assert_eq!(
            rewrite(sound, &Images::Linked, t),
            r#"<span class="media-note">Un son est à écouter sur le portail de l'atelier.</span>"#
        );
        let hostile =
            "<p>a<script>alert(1)<script>x</script></script>b<iframe src=\"/x\"></iframe>c</p>";
        assert_eq!(rewrite(hostile, &Images::Linked, t), "<p>abc</p>");
        // A broken tag is text, as the portal shows it.
        assert_eq!(
            rewrite("<p>a &lt; b <", &Images::Linked, t),
            "<p>a &lt; b <"
        );
    }

    #[test]
    fn an_image_is_estimated_at_the_exact_length_of_its_data_uri() {
        // `data:image/png;base64,` is 22 bytes; 3 bytes make 4 characters, 4 make 8.
        assert_eq!(data_uri_len("image/png", 3), 22 + 4);
        assert_eq!(data_uri_len("image/png", 4), 22 + 8);
        assert_eq!(
            data_uri_len("image/svg+xml", 0),
            "data:image/svg+xml;base64,".len() as u64
        );
        let engine = base64::engine::general_purpose::STANDARD;
        for size in [0usize, 1, 2, 3, 1000, 1001] {
            let uri = format!("data:image/gif;base64,{}", engine.encode(vec![7u8; size]));
            assert_eq!(data_uri_len("image/gif", size as u64), uri.len() as u64);
        }
    }
}
