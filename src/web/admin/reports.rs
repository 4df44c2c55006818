//! The activity reports' pages: the list, the form (new, prefilled from a workshop
//! session's end, or to edit), deletion and the CSV/JSON exports.
//!
//! A conseiller sees, edits, deletes and exports their own reports only; an admin, every
//! report. Someone else's report is "not found" (404), never "forbidden": its number tells
//! nothing. The routing table has already checked the session, the token and the origin.

use std::borrow::Cow;
use std::sync::Arc;

use maud::{html, Markup};

use super::{admin_page, csrf_input, notice, reply, Ctx};
use crate::accounts::{Role, Session};
use crate::i18n::fill;
use crate::reports::{
    export, AgeBand, Autonomy, Date, Domain, Equipment, Field, Filter, Input, Kind, Level, Owner,
    PlaceKind, Problem, Report, ReportError, Reports, Status, Theme, DURATIONS, DURATION_OTHER,
    DURATION_OTHER_FIELD, MAX_COMMUNE, MAX_DURATION, MAX_NOTES, MAX_PARTICIPANTS, MAX_REDIRECTION,
    MAX_STRUCTURE, MAX_TITLE,
};
use crate::web::http::{HttpError, HttpResult, Reply};
use crate::web::templates::pager;
use crate::web::Worker;

const BASE: &str = "/admin/comptes-rendus";
/// Reports on one page of the list.
const PER_PAGE: usize = 50;

fn internal(e: impl std::fmt::Display) -> HttpError {
    HttpError::Internal(e.to_string())
}

/// The worker's connection to the reports, opened on first use.
fn reports(w: &mut Worker) -> Result<&mut Reports, HttpError> {
    if w.reports.is_none() {
        w.reports = Some(Reports::open(&w.shared.data_dir).map_err(internal)?);
    }
    w.reports
        .as_mut()
        .ok_or_else(|| HttpError::Internal("reports".into()))
}

fn owner_of(session: &Session) -> Owner<'_> {
    Owner {
        name: &session.user.name,
        since: session.user.created_at,
    }
}

/// Whose reports `session` may see: its own, or (an admin) everyone's.
fn scope(session: &Session) -> Option<Owner<'_>> {
    (session.user.role != Role::Admin).then(|| owner_of(session))
}

/// Report `id` (a path segment), if `session` may see it.
fn visible(w: &mut Worker, session: &Session, id: &str) -> Result<Report, HttpError> {
    let id: i64 = (!id.is_empty() && id.len() <= 18 && id.bytes().all(|b| b.is_ascii_digit()))
        .then(|| id.parse().ok())
        .flatten()
        .ok_or(HttpError::NotFound)?;
    let report = reports(w)?
        .get(id)
        .map_err(internal)?
        .ok_or(HttpError::NotFound)?;
    match scope(session) {
        Some(owner) if !report.is_owned_by(owner) => Err(HttpError::NotFound),
        _ => Ok(report),
    }
}

/// "45 min", "1 h", "1 h 30".
fn minutes_label(n: u32) -> String {
    match (n / 60, n % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02}"),
    }
}

/// What a report is about, in a few words: its workshop's title, or its themes.
fn report_heading(report: &Report) -> String {
    let f = &report.fields;
    if f.title.is_empty() {
        f.themes
            .iter()
            .map(|t| t.label())
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        f.title.clone()
    }
}

fn list_page(
    w: &mut Worker,
    ctx: &Ctx<'_, '_>,
    status: u16,
    said: Option<(bool, String)>,
) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let session = ctx.session()?.clone();
    let admin = session.user.role == Role::Admin;
    let filter = Filter {
        owner: scope(&session),
        newest_first: true,
        ..Filter::default()
    };
    let total = reports(w)?.count(&filter).map_err(internal)?;
    let pages = total.div_ceil(PER_PAGE).max(1);
    let number = ctx
        .req
        .target
        .param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .filter(|n| (1..=pages).contains(n))
        .unwrap_or(1);
    let list = reports(w)?
        .list(&Filter {
            limit: Some(PER_PAGE),
            offset: (number - 1) * PER_PAGE,
            ..filter
        })
        .map_err(internal)?;
    let since = ctx
        .req
        .target
        .param("depuis")
        .unwrap_or("")
        .trim()
        .to_owned();
    let count = match total {
        1 => t.a("reports_count_one").to_owned(),
        n => fill(t.a("reports_count_many"), &[("n", &n.to_string())]),
    };
    let main = html! {
        h1 { (t.a("reports_title")) }
        p.lead { (if admin { t.a("reports_intro_admin") } else { t.a("reports_intro") }) }
        @if let Some((ok, text)) = &said { (notice(*ok, text)) }
        p { a.button href=(format!("{BASE}/nouveau")) { (t.a("report_new")) } }
        @if total == 0 {
            p { (t.a("reports_none")) }
        } @else {
            h2 { (count) }
            ul.rows {
                @for r in &list {
                    li.row {
                        p.row-title { a href=(format!("{BASE}/{}", r.id)) { (report_heading(r)) } }
                        p { (r.fields.date.french()) " · " (r.fields.kind.label()) }
                        p.hint {
                            (fill(t.a("report_facts"), &[
                                ("duration", &minutes_label(r.fields.duration)),
                                ("n", &r.fields.participants.to_string()),
                            ]))
                        }
                        @if admin { p.hint { (fill(t.a("report_by"), &[("name", &r.owner)])) } }
                    }
                }
            }
            (pager(&shared, BASE, number, pages))
        }
        h2 { (t.a("export_heading")) }
        p { (if admin { t.a("export_intro_admin") } else { t.a("export_intro") }) }
        form.stack action=(format!("{BASE}/export.csv")) method="get" {
            label for="depuis" { (t.a("export_since")) }
            p.hint #depuis-aide { (t.a("export_since_hint")) }
            input #depuis name="depuis" type="date" value=(since) aria-describedby="depuis-aide";
            button.button type="submit" { (t.a("export_csv")) }
            button.button.secondary type="submit" formaction=(format!("{BASE}/export.json")) {
                (t.a("export_json"))
            }
        }
    };
    Ok(reply(
        status,
        admin_page(&shared, Some(&session), t.a("reports_title"), main),
    ))
}

/// `GET /admin/comptes-rendus`.
pub fn list(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let known = [
        ("creation", w.shared.catalog().a("report_created")),
        ("modification", w.shared.catalog().a("report_updated")),
        ("suppression", w.shared.catalog().a("report_deleted")),
    ];
    let said = super::done_notice(ctx, &known);
    list_page(w, ctx, 200, said)
}

/// Which form: a new report, or report N.
#[derive(Clone, Copy)]
enum Mode<'a> {
    New,
    Edit(&'a Report),
}

/// What is wrong with the form's values, for each field's element.
struct View<'a> {
    problems: &'a [Problem],
}

impl View<'_> {
    fn error(&self, field: Field) -> Option<&str> {
        self.problems
            .iter()
            .find(|p| p.field == field)
            .map(|p| p.message.as_str())
    }

    /// The ids that describe `field`'s element: its hint, its error.
    fn described(&self, field: Field, hint: bool) -> Option<String> {
        let name = field.name();
        let mut ids = Vec::new();
        if hint {
            ids.push(format!("{name}-aide"));
        }
        if self.error(field).is_some() {
            ids.push(format!("{name}-erreur"));
        }
        (!ids.is_empty()).then(|| ids.join(" "))
    }

    fn invalid(&self, field: Field) -> Option<&'static str> {
        self.error(field).map(|_| "true")
    }

    fn hint_and_error(&self, field: Field, hint: Option<&str>) -> Markup {
        let name = field.name();
        html! {
            @if let Some(hint) = hint { p.hint id=(format!("{name}-aide")) { (hint) } }
            @if let Some(error) = self.error(field) {
                p.error id=(format!("{name}-erreur")) { (error) }
            }
        }
    }

    /// A one-line text box.
    fn text(&self, field: Field, value: &str, hint: &str, max: usize, extra: TextKind) -> Markup {
        let name = field.name();
        let (kind, inputmode, autocomplete, pattern) = match extra {
            TextKind::Plain => ("text", None, "off", None),
            TextKind::PostalCode => ("text", Some("numeric"), "postal-code", Some("[0-9]{5}")),
        };
        html! {
            label for=(name) { (field.label()) }
            (self.hint_and_error(field, Some(hint)))
            input id=(name) name=(name) type=(kind) value=(value) maxlength=(max)
                inputmode=[inputmode] autocomplete=(autocomplete) pattern=[pattern]
                aria-describedby=[self.described(field, true)] aria-invalid=[self.invalid(field)];
        }
    }

    /// A box for a whole number from `min` to `max`.
    fn number(&self, field: Field, value: &str, hint: Option<&str>, min: u32, max: u32) -> Markup {
        let name = field.name();
        html! {
            label for=(name) { (field.label()) }
            (self.hint_and_error(field, hint))
            input id=(name) name=(name) type="number" inputmode="numeric" min=(min) max=(max)
                step="1" value=(value)
                aria-describedby=[self.described(field, hint.is_some())]
                aria-invalid=[self.invalid(field)];
        }
    }

    /// A group of radio buttons (`multiple`: checkboxes) with a legend, laid out in
    /// columns as wide as `layout` says.
    fn choices(
        &self,
        field: Field,
        hint: Option<&str>,
        options: &[(&str, Cow<'_, str>)],
        chosen: &dyn Fn(&str) -> bool,
        multiple: bool,
        layout: Layout,
    ) -> Markup {
        let name = field.name();
        let class = match layout {
            Layout::Short => "choices short",
            Layout::Long => "choices long",
        };
        html! {
            fieldset id=(name) class=(class) aria-describedby=[self.described(field, hint.is_some())] {
                legend { (field.label()) }
                (self.hint_and_error(field, hint))
                @for (code, label) in options {
                    label.check {
                        input type=(if multiple { "checkbox" } else { "radio" }) name=(name)
                            id=(format!("{name}-{}", if code.is_empty() { "aucun-choix" } else { code }))
                            value=(code) checked[chosen(code)];
                        " " (label)
                    }
                }
            }
        }
    }
}

/// How wide a group's choices are: short ones share a line on a phone.
#[derive(Clone, Copy)]
enum Layout {
    Short,
    Long,
}

#[derive(Clone, Copy)]
enum TextKind {
    Plain,
    PostalCode,
}

/// Whether a choice's code is the value chosen.
fn is(value: &str) -> impl Fn(&str) -> bool + '_ {
    move |code| code == value.trim()
}

fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, Cow<'static, str>)> {
    all.iter()
        .map(|&v| (code(v), Cow::Borrowed(label(v))))
        .collect()
}

fn form_page(
    w: &mut Worker,
    session: &Session,
    mode: Mode<'_>,
    input: &Input,
    problems: &[Problem],
    status: u16,
) -> HttpResult {
    let shared = Arc::clone(&w.shared);
    let t = shared.catalog();
    let view = View { problems };
    let (title, action) = match mode {
        Mode::New => (t.a("report_new_title").to_owned(), BASE.to_owned()),
        Mode::Edit(r) => (
            fill(t.a("report_edit_title"), &[("id", &r.id.to_string())]),
            format!("{BASE}/{}", r.id),
        ),
    };
    let among = |list: &[String]| {
        let list: Vec<String> = list.iter().map(|c| c.trim().to_owned()).collect();
        move |code: &str| list.iter().any(|c| c == code)
    };
    let optional = |label: &str| fill(t.a("optional"), &[("label", label)]);
    // The durations offered, and "other" with its own box when the minutes are not one
    // of them.
    let minutes = input.minutes().to_owned();
    let offered = DURATIONS.iter().any(|d| d.to_string() == minutes);
    let other = !offered && !minutes.is_empty() || input.duration.trim() == DURATION_OTHER;
    let mut durations: Vec<(&str, Cow<'_, str>)> = Vec::new();
    let codes: Vec<String> = DURATIONS.iter().map(u32::to_string).collect();
    for (code, d) in codes.iter().zip(DURATIONS) {
        durations.push((code.as_str(), Cow::Owned(minutes_label(d))));
    }
    durations.push((DURATION_OTHER, Cow::Borrowed(t.a("duration_other"))));
    let chosen_duration = |code: &str| {
        if code == DURATION_OTHER {
            other
        } else {
            code == minutes
        }
    };
    let other_minutes = if other {
        minutes.clone()
    } else {
        String::new()
    };
    // "I don't know" last: a choice made by mistake can be taken back without JavaScript.
    let mut level_options = options(Level::ALL, Level::code, Level::label);
    level_options.push(("", Cow::Borrowed(t.a("not_said"))));
    let mut autonomy_options = options(Autonomy::ALL, Autonomy::code, Autonomy::label);
    autonomy_options.push(("", Cow::Borrowed(t.a("not_said"))));
    let limit = |text: &str, max: usize| fill(text, &[("max", &max.to_string())]);
    let counts_open = input
        .ages
        .iter()
        .chain(&input.statuses)
        .any(|n| !n.trim().is_empty() && n.trim() != "0")
        || problems
            .iter()
            .any(|p| matches!(p.field, Field::Age(_) | Field::Status(_)));

    let main = html! {
        h1 { (title) }
        @if let Mode::Edit(r) = mode {
            p.lead {
                (fill(t.a("report_written_by"), &[
                    ("name", &r.owner),
                    ("date", &Date::from_days(r.created_at.div_euclid(86_400)).french()),
                ]))
            }
        } @else {
            p.lead { (t.a("report_form_intro")) }
        }
        @if !problems.is_empty() {
            div.notice.problem role="alert" {
                p { (t.a("report_problems")) }
                ul {
                    @for p in problems {
                        li { a href=(format!("#{}", p.field.name())) { (p.message) } }
                    }
                }
            }
        }
        @if matches!(mode, Mode::New) && !input.session.is_empty() {
            p.notice.ok { (t.a("report_from_session")) }
        }
        form.stack.report action=(action) method="post" novalidate {
            (csrf_input(session))
            @if matches!(mode, Mode::New) && !input.session.is_empty() {
                input type="hidden" name=(Field::Session.name()) value=(input.session);
            }
            h2 { (t.a("section_activity")) }
            (view.choices(Field::Kind, None, &options(Kind::ALL, Kind::code, Kind::label), &is(&input.kind), false, Layout::Long))
            label for="date" { (Field::Date.label()) }
            (view.hint_and_error(Field::Date, Some(t.a("date_hint"))))
            input #date name="date" type="date" required value=(input.date.trim())
                aria-describedby=[view.described(Field::Date, true)]
                aria-invalid=[view.invalid(Field::Date)];
            (view.choices(Field::Duration, None, &durations, &chosen_duration, false, Layout::Short))
            label for=(DURATION_OTHER_FIELD) { (t.a("duration_other_label")) }
            p.hint #duree_autre-aide { (limit(t.a("duration_other_hint"), MAX_DURATION as usize)) }
            input id=(DURATION_OTHER_FIELD) name=(DURATION_OTHER_FIELD) type="number"
                inputmode="numeric" min="1" max=(MAX_DURATION) step="1" value=(other_minutes)
                aria-describedby="duree_autre-aide";

            h2 { (t.a("section_place")) }
            (view.choices(Field::Place, None, &options(PlaceKind::ALL, PlaceKind::code, PlaceKind::label), &is(&input.place), false, Layout::Long))
            (view.text(Field::Structure, &input.structure, &limit(t.a("structure_hint"), MAX_STRUCTURE), MAX_STRUCTURE, TextKind::Plain))
            (view.text(Field::Commune, &input.commune, &limit(t.a("commune_hint"), MAX_COMMUNE), MAX_COMMUNE, TextKind::Plain))
            (view.text(Field::PostalCode, &input.postal_code, t.a("postal_code_hint"), 5, TextKind::PostalCode))

            h2 { (t.a("section_themes")) }
            (view.choices(Field::Themes, Some(t.a("themes_hint")), &options(Theme::ALL, Theme::code, Theme::label), &among(&input.themes), true, Layout::Long))
            (view.choices(Field::Domains, Some(t.a("domains_hint")), &options(Domain::ALL, Domain::code, Domain::label), &among(&input.domains), true, Layout::Long))

            h2 { (t.a("section_workshop")) }
            p.hint { (t.a("section_workshop_hint")) }
            (view.text(Field::Title, &input.title, &limit(t.a("title_hint"), MAX_TITLE), MAX_TITLE, TextKind::Plain))
            (view.choices(Field::Level, None, &level_options, &is(&input.level), false, Layout::Long))

            h2 { (t.a("section_equipment")) }
            (view.choices(Field::Equipment, Some(t.a("equipment_hint")), &options(Equipment::ALL, Equipment::code, Equipment::label), &among(&input.equipment), true, Layout::Short))

            h2 { (t.a("section_people")) }
            (view.number(Field::Participants, &input.participants, Some(&limit(t.a("participants_hint"), MAX_PARTICIPANTS as usize)), 0, MAX_PARTICIPANTS))
            // Optional and long: folded away unless filled in or wrong.
            details.counts open[counts_open] {
                summary { (optional(t.a("counts_summary"))) }
                p.hint { (t.a("counts_hint")) }
                fieldset.counts {
                    legend { (t.a("ages_legend")) }
                    @for (i, band) in AgeBand::ALL.iter().enumerate() {
                        div { (view.number(Field::Age(*band), &input.ages[i], None, 0, MAX_PARTICIPANTS)) }
                    }
                }
                fieldset.counts {
                    legend { (t.a("statuses_legend")) }
                    @for (i, status) in Status::ALL.iter().enumerate() {
                        div { (view.number(Field::Status(*status), &input.statuses[i], None, 0, MAX_PARTICIPANTS)) }
                    }
                }
            }

            h2 { (t.a("section_individual")) }
            p.hint { (t.a("section_individual_hint")) }
            (view.choices(Field::Autonomy, None, &autonomy_options, &is(&input.autonomy), false, Layout::Long))
            (view.text(Field::Redirection, &input.redirection, &limit(t.a("redirection_hint"), MAX_REDIRECTION), MAX_REDIRECTION, TextKind::Plain))

            h2 { (Field::Notes.label()) }
            label for="notes" { (optional(Field::Notes.label())) }
            (view.hint_and_error(Field::Notes, Some(&limit(t.a("notes_hint"), MAX_NOTES))))
            textarea.prose #notes name="notes" rows="5" maxlength=(MAX_NOTES)
                aria-describedby=[view.described(Field::Notes, true)]
                aria-invalid=[view.invalid(Field::Notes)] { (input.notes) }

            button.button type="submit" { (t.a("report_save")) }
        }
        @if let Mode::Edit(r) = mode {
            h2 { (t.a("report_delete_heading")) }
            details {
                summary { (t.a("report_delete")) }
                p { (t.a("report_delete_warning")) }
                form.inline action=(format!("{BASE}/{}/supprimer", r.id)) method="post" {
                    (csrf_input(session))
                    button.button.danger type="submit" { (t.a("report_delete_confirm")) }
                }
            }
        }
        p { a href=(BASE) { (t.a("back_reports")) } }
    };
    Ok(reply(
        status,
        admin_page(&shared, Some(session), &title, main),
    ))
}

/// `GET /admin/comptes-rendus/nouveau`: an empty form (today, an individual help at the
/// usual place), or one prefilled by the end of a workshop session: `type`, `date`,
/// `duree`, `titre`, `niveau`, `themes` (codes separated by commas), `participants`,
/// `lieu`, `seance` (kept in a hidden field).
pub fn new_form(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    let query = ctx
        .req
        .target
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()));
    let mut input = Input::prefill(query);
    if input.kind.is_empty() {
        input.kind = Kind::Individual.code().into();
    }
    if input.date.is_empty() {
        input.date = Date::today().to_string();
    }
    if input.place.is_empty() {
        input.place = PlaceKind::Usual.code().into();
    }
    if input.participants.is_empty() && input.kind != Kind::Workshop.code() {
        input.participants = "1".into();
    }
    form_page(w, &session, Mode::New, &input, &[], 200)
}

/// `POST /admin/comptes-rendus`.
pub fn create(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    let input = Input::from_pairs(ctx.form.pairs());
    let fields = match input.parse() {
        Ok(fields) => fields,
        Err(problems) => return form_page(w, &session, Mode::New, &input, &problems, 422),
    };
    let workshop_session = Some(input.session.trim()).filter(|s| !s.is_empty());
    match reports(w)?.create(owner_of(&session), &fields, workshop_session) {
        Ok(report) => {
            log::info!("{} filed report {}", session.user.name, report.id);
            Ok(Reply::redirect(303, format!("{BASE}?fait=creation")))
        }
        Err(ReportError::Invalid(problems)) => {
            form_page(w, &session, Mode::New, &input, &problems, 422)
        }
        Err(e) => Err(internal(e)),
    }
}

/// `GET /admin/comptes-rendus/N`.
pub fn edit_form(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    let report = visible(w, &session, ctx.param(0))?;
    let input = report.fields.to_input();
    form_page(w, &session, Mode::Edit(&report), &input, &[], 200)
}

/// `POST /admin/comptes-rendus/N`.
pub fn update(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    let report = visible(w, &session, ctx.param(0))?;
    let input = Input::from_pairs(ctx.form.pairs());
    let fields = match input.parse() {
        Ok(fields) => fields,
        Err(problems) => {
            return form_page(w, &session, Mode::Edit(&report), &input, &problems, 422)
        }
    };
    match reports(w)?.update(report.id, &fields) {
        Ok(_) => {
            log::info!("{} changed report {}", session.user.name, report.id);
            Ok(Reply::redirect(303, format!("{BASE}?fait=modification")))
        }
        Err(ReportError::Invalid(problems)) => {
            form_page(w, &session, Mode::Edit(&report), &input, &problems, 422)
        }
        Err(ReportError::NotFound(_)) => Err(HttpError::NotFound),
        Err(e) => Err(internal(e)),
    }
}

/// `POST /admin/comptes-rendus/N/supprimer`.
pub fn delete(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    let session = ctx.session()?.clone();
    let report = visible(w, &session, ctx.param(0))?;
    match reports(w)?.delete(report.id) {
        Ok(()) => {
            log::info!("{} deleted report {}", session.user.name, report.id);
            Ok(Reply::redirect(303, format!("{BASE}?fait=suppression")))
        }
        Err(ReportError::NotFound(_)) => Err(HttpError::NotFound),
        Err(e) => Err(internal(e)),
    }
}

#[derive(Clone, Copy)]
enum Format {
    Csv,
    Json,
}

fn export(w: &mut Worker, ctx: &mut Ctx<'_, '_>, format: Format) -> HttpResult {
    let session = ctx.session()?.clone();
    let since = match ctx.req.target.param("depuis").map(str::trim) {
        None | Some("") => None,
        Some(text) => match Date::parse(text) {
            Some(date) => Some(date),
            None => {
                let text = w.shared.catalog().a("export_since_bad").to_owned();
                return list_page(w, ctx, 422, Some((false, text)));
            }
        },
    };
    let list = reports(w)?
        .list(&Filter {
            owner: scope(&session),
            since,
            ..Filter::default()
        })
        .map_err(internal)?;
    let (bytes, content_type, extension) = match format {
        Format::Csv => (export::csv(&list), "text/csv; charset=utf-8", "csv"),
        Format::Json => (export::json(&list), "application/json", "json"),
    };
    log::info!(
        "{} exported {} reports as {extension}",
        session.user.name,
        list.len()
    );
    let name = format!("comptes-rendus-{}.{extension}", Date::today());
    Ok(Reply::bytes(200, content_type, Cow::Owned(bytes))
        .header(
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        )
        .header("Cache-Control", "no-store"))
}

/// `GET /admin/comptes-rendus/export.csv[?depuis=YYYY-MM-DD]`.
pub fn export_csv(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    export(w, ctx, Format::Csv)
}

/// `GET /admin/comptes-rendus/export.json[?depuis=YYYY-MM-DD]`.
pub fn export_json(w: &mut Worker, ctx: &mut Ctx<'_, '_>) -> HttpResult {
    export(w, ctx, Format::Json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_people_say_them() {
        assert_eq!(minutes_label(15), "15 min");
        assert_eq!(minutes_label(60), "1 h");
        assert_eq!(minutes_label(90), "1 h 30");
        assert_eq!(minutes_label(125), "2 h 05");
    }

    #[test]
    fn the_report_pages_texts_pass_the_falc_linter() {
        let catalog = crate::i18n::fr();
        let options = crate::content::falc::LintOptions::default();
        let keys: Vec<&str> = include_str!("reports.rs")
            .split(".a(\"")
            .skip(1)
            .filter_map(|piece| piece.split('"').next())
            .collect();
        assert!(keys.len() > 40, "{keys:?}");
        for key in keys {
            let text = catalog.a(key);
            let findings: Vec<_> = crate::content::falc::lint_text(text, 1, &options)
                .into_iter()
                .filter(|f| !f.message.contains("15100"))
                .collect();
            assert!(findings.is_empty(), "{key} = {text}: {findings:?}");
        }
    }
}
