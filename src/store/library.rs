//! Queries on the library: packs, items (themes, tutorials, workshops), steps and search.

use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{params, OptionalExtension, Row};

use super::{Result, Store};

/// A pack as installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackRow {
    pub id: String,
    pub version: String,
    pub title: String,
    pub digest: String,
    /// The version kept on disk for `pack rollback`.
    pub previous_version: Option<String>,
    /// The publisher's public key (hex); `None` for an unsigned pack.
    pub publisher: Option<String>,
    /// `false` when the admin let it in with `--allow-untrusted`.
    pub trusted: bool,
    /// The key the id belongs to: the one that first installed it, or the one the admin
    /// gave it to with `--replace-publisher`; `None` when first installed unsigned.
    pub owner: Option<String>,
    pub items: i64,
}

/// What `replace_pack` writes for the pack itself.
pub struct NewPack<'a> {
    pub id: &'a str,
    pub version: &'a str,
    pub title: &'a str,
    pub digest: &'a str,
    pub previous_version: Option<&'a str>,
    pub publisher: Option<&'a str>,
    pub trusted: bool,
    pub owner: Option<&'a str>,
}

const PACK_COLUMNS: &str = "p.id, p.version, p.title, p.digest, p.previous_version, p.publisher,
     p.trusted, p.owner, (SELECT count(*) FROM items i WHERE i.pack_id = p.id)";

fn pack_row(r: &Row<'_>) -> rusqlite::Result<PackRow> {
    Ok(PackRow {
        id: r.get(0)?,
        version: r.get(1)?,
        title: r.get(2)?,
        digest: r.get(3)?,
        previous_version: r.get(4)?,
        publisher: r.get(5)?,
        trusted: r.get(6)?,
        owner: r.get(7)?,
        items: r.get(8)?,
    })
}

/// One item ready to be indexed: everything already rendered.
pub struct NewItem {
    pub kind: &'static str,
    pub slug: String,
    pub title: String,
    pub theme: Option<String>,
    pub level: Option<String>,
    pub duration: Option<u32>,
    pub summary: String,
    pub ord: i64,
    pub icon: Option<String>,
    pub body_html: String,
    /// Kind-specific details as JSON (a workshop's objectives, activities…).
    pub extra: String,
    pub keywords: String,
    /// Plain text for the search index (intro, steps, notes).
    pub search_body: String,
    pub steps: Vec<NewStep>,
    /// The original's language (`fr`).
    pub lang: String,
    /// The same item in other languages.
    pub translations: Vec<NewTranslation>,
}

/// An item's texts in one more language (see `NewItem::translations`).
pub struct NewTranslation {
    pub lang: String,
    pub title: String,
    pub summary: String,
    pub body_html: String,
    pub extra: String,
    pub keywords: String,
    pub search_body: String,
    pub steps: Vec<NewStep>,
}

pub struct NewStep {
    pub title: String,
    pub html: String,
    pub plain: String,
}

/// An item as listed (no body).
#[derive(Debug, Clone)]
pub struct ItemRow {
    pub id: i64,
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub theme: Option<String>,
    pub level: Option<String>,
    pub duration: Option<u32>,
    pub summary: String,
    pub icon: Option<String>,
    /// The language of `title` and `summary` (the original's, or a translation's).
    pub lang: String,
    /// Shown in another language than the original's (`Library::translate`).
    pub translated: bool,
}

#[derive(Debug, Clone)]
pub struct StepRow {
    pub title: String,
    pub html: String,
    pub plain: String,
}

/// A tutorial with its intro and every step, in order.
#[derive(Debug, Clone)]
pub struct TutorialPage {
    pub item: ItemRow,
    pub intro_html: String,
    pub steps: Vec<StepRow>,
    /// Kind-specific details as JSON (`updated`).
    pub extra: String,
}

/// A workshop (or theme) with its body and kind-specific JSON.
#[derive(Debug, Clone)]
pub struct ItemPage {
    pub item: ItemRow,
    pub body_html: String,
    pub extra: String,
}

/// Which slice of a long list to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    pub limit: i64,
    pub offset: i64,
}

impl Paging {
    /// Page `number` (from 1) of `size` items.
    pub fn page(number: usize, size: usize) -> Paging {
        Paging {
            limit: size as i64,
            offset: (number.saturating_sub(1) * size) as i64,
        }
    }
}

/// One search result. `snippet` is plain text where the matches sit between
/// `SNIPPET_OPEN` and `SNIPPET_CLOSE`; the page escapes it and turns those into `<mark>`.
#[derive(Debug, Clone)]
pub struct SearchHit {
    pub kind: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub snippet: String,
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Control characters cannot appear in indexed text, so they can mark matches safely.
pub const SNIPPET_OPEN: char = '\u{1}';
pub const SNIPPET_CLOSE: char = '\u{2}';

const ITEM_COLUMNS: &str = "id, kind, slug, title, theme, level, duration, summary, icon, lang";

fn item_row(r: &Row<'_>) -> rusqlite::Result<ItemRow> {
    Ok(ItemRow {
        id: r.get(0)?,
        kind: r.get(1)?,
        slug: r.get(2)?,
        title: r.get(3)?,
        theme: r.get(4)?,
        level: r.get(5)?,
        duration: r.get(6)?,
        summary: r.get(7)?,
        icon: r.get(8)?,
        lang: r.get(9)?,
        translated: false,
    })
}

/// A search result row: kind, slug, title, summary, snippet.
fn search_hit(r: &Row<'_>) -> rusqlite::Result<SearchHit> {
    Ok(SearchHit {
        kind: r.get(0)?,
        slug: r.get(1)?,
        title: r.get(2)?,
        summary: r.get(3)?,
        snippet: r.get(4)?,
    })
}

/// Little words that match nearly every text: searching for them only slows the search
/// down (ranking scores every matching row) and pushes the right answer away.
const STOP_WORDS: &[&str] = &[
    "a", "à", "au", "aux", "avec", "c", "ce", "ces", "d", "dans", "de", "des", "du", "elle",
    "elles", "en", "est", "et", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs",
    "lui", "m", "ma", "me", "mes", "mon", "n", "ne", "nos", "notre", "nous", "on", "ou", "où",
    "par", "pour", "qu", "que", "qui", "s", "sa", "se", "ses", "son", "sont", "sur", "t", "ta",
    "te", "tes", "ton", "tu", "un", "une", "vos", "votre", "vous", "y",
];

/// Above this many matching items, search results are no longer ranked by bm25 (see
/// [`Store::search`]).
const RANKED_MATCHES: i64 = 1000;

/// Turns what a person typed into a safe FTS5 query.
///
/// Words are cut at spaces and apostrophes (`l'adresse` is `l` and `adresse`); a word
/// joined by other signs (`e-mail`, `wi-fi`) is a phrase whose parts must follow each other.
/// Every part is quoted, so FTS5's syntax (`"`, `*`, `AND(`, `NEAR`, a lone `-`…) is only
/// text. Little words (`de`, `la`, a single letter) are left out unless nothing else is
/// left; a word of three letters or more also matches longer ones (`calend` finds
/// `calendrier`). Returns `None` when nothing searchable is left.
pub fn fts_query(input: &str) -> Option<String> {
    const MAX_TERMS: usize = 8;
    const MAX_TERM_CHARS: usize = 40;
    let terms: Vec<Vec<String>> = input
        .split(|c: char| c.is_whitespace() || c == '\'' || c == '’')
        .map(|word| {
            word.split(|c: char| !c.is_alphanumeric())
                .filter(|t| !t.is_empty())
                .map(|t| t.chars().take(MAX_TERM_CHARS).collect::<String>())
                .collect::<Vec<_>>()
        })
        .filter(|parts| !parts.is_empty())
        .take(MAX_TERMS)
        .collect();
    let is_little = |parts: &Vec<String>| match parts.as_slice() {
        [one] => one.chars().count() == 1 || STOP_WORDS.contains(&one.to_lowercase().as_str()),
        _ => false,
    };
    let all_little = terms.iter().all(is_little);
    let quoted: Vec<String> = terms
        .iter()
        .filter(|parts| all_little || !is_little(parts))
        .map(|parts| {
            let phrase = parts.join(" ");
            let last = parts.last().map_or(0, |p| p.chars().count());
            if last >= 3 {
                format!("\"{phrase}\"*")
            } else {
                format!("\"{phrase}\"")
            }
        })
        .collect();
    (!quoted.is_empty()).then(|| quoted.join(" "))
}

impl Store {
    pub fn pack(&self, id: &str) -> Result<Option<PackRow>> {
        let sql = format!("SELECT {PACK_COLUMNS} FROM packs p WHERE p.id = ?1");
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row([id], pack_row)
            .optional()?;
        Ok(row)
    }

    /// Every installed pack, by id.
    pub fn packs(&self) -> Result<Vec<PackRow>> {
        let sql = format!("SELECT {PACK_COLUMNS} FROM packs p ORDER BY p.id");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], pack_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Removes a pack and everything it put in the index, in one transaction.
    pub fn remove_pack(&mut self, id: &str) -> Result<bool> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM search WHERE rowid IN (SELECT id FROM items WHERE pack_id = ?1)",
            [id],
        )?;
        tx.execute("DELETE FROM items WHERE pack_id = ?1", [id])?;
        let removed = tx.execute("DELETE FROM packs WHERE id = ?1", [id])? > 0;
        tx.commit()?;
        Ok(removed)
    }

    /// The publisher keys this kit trusts: (hex key, name), by name.
    pub fn trusted_keys(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key, name FROM trusted_keys ORDER BY name, key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Trusts a key; `false` if it already was (its name is then updated, unless `name` is
    /// empty: adding a key again to designate it keeps the name it has).
    pub fn add_trusted_key(&mut self, key: &str, name: &str) -> Result<bool> {
        let existed = self.is_trusted(key)?;
        self.conn.execute(
            "INSERT INTO trusted_keys (key, name, added_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET name = CASE WHEN ?2 = '' THEN name ELSE ?2 END",
            params![key, name, unix_now()],
        )?;
        Ok(!existed)
    }

    /// Stops trusting every key that starts with `prefix`; returns how many.
    pub fn remove_trusted_key(&mut self, prefix: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM trusted_keys WHERE substr(key, 1, length(?1)) = ?1",
            [prefix],
        )?)
    }

    /// The name given to a trusted key, if the key is trusted.
    pub fn trusted_key_name(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT name FROM trusted_keys WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    /// The trusted key the admin designated to publish the starter pack's id, if any.
    pub fn starter_publisher(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT key FROM trusted_keys WHERE starter")?
            .query_row([], |r| r.get(0))
            .optional()?)
    }

    /// Makes the trusted key `key` the only one that may publish the starter pack's id.
    /// Returns the key designated before, if another was.
    pub fn designate_starter_publisher(&mut self, key: &str) -> Result<Option<String>> {
        let tx = self.conn.transaction()?;
        let before: Option<String> = tx
            .query_row("SELECT key FROM trusted_keys WHERE starter", [], |r| {
                r.get(0)
            })
            .optional()?;
        tx.execute("UPDATE trusted_keys SET starter = (key = ?1)", [key])?;
        tx.commit()?;
        Ok(before.filter(|b| b != key))
    }

    pub fn is_trusted(&self, key: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM trusted_keys WHERE key = ?1")?
            .query_row([key], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Replaces everything a pack put in the index, in one transaction: readers see the old
    /// pack or the new one, never a mix.
    pub fn replace_pack(&mut self, pack: &NewPack<'_>, items: &[NewItem]) -> Result<()> {
        self.replace_pack_with_glossary(pack, items, &[])
    }

    /// As `replace_pack`, with the pack's glossary entries, in the same transaction.
    pub fn replace_pack_with_glossary(
        &mut self,
        pack: &NewPack<'_>,
        items: &[NewItem],
        glossary: &[super::NewGlossaryEntry],
    ) -> Result<()> {
        let now = unix_now();
        let tx = self.conn.transaction()?;
        tx.execute(
            "DELETE FROM search WHERE rowid IN (SELECT id FROM items WHERE pack_id = ?1)",
            [pack.id],
        )?;
        tx.execute("DELETE FROM items WHERE pack_id = ?1", [pack.id])?;
        tx.execute(
            "INSERT INTO packs (id, version, title, digest, installed_at, previous_version,
                                publisher, trusted, owner)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT (id) DO UPDATE SET version = ?2, title = ?3, digest = ?4,
                installed_at = ?5, previous_version = ?6, publisher = ?7, trusted = ?8,
                owner = ?9",
            params![
                pack.id,
                pack.version,
                pack.title,
                pack.digest,
                now,
                pack.previous_version,
                pack.publisher,
                pack.trusted,
                pack.owner
            ],
        )?;
        {
            let mut insert_item = tx.prepare(
                "INSERT INTO items (pack_id, kind, slug, title, theme, level, duration, summary,
                                    ord, icon, body_html, extra, lang)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            let mut insert_translation = tx.prepare(
                "INSERT INTO translations (item_id, lang, title, summary, body_html, extra, steps)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            let mut insert_translation_search = tx.prepare(
                "INSERT INTO translations_search (rowid, title, keywords, body)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut insert_step = tx.prepare(
                "INSERT INTO steps (item_id, n, title, html, plain) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            let mut insert_search = tx.prepare(
                "INSERT INTO search (rowid, title, keywords, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for item in items {
                insert_item.execute(params![
                    pack.id,
                    item.kind,
                    item.slug,
                    item.title,
                    item.theme,
                    item.level,
                    item.duration,
                    item.summary,
                    item.ord,
                    item.icon,
                    item.body_html,
                    item.extra,
                    item.lang,
                ])?;
                let id = tx.last_insert_rowid();
                for tr in &item.translations {
                    let steps: Vec<[&str; 3]> = tr
                        .steps
                        .iter()
                        .map(|s| [s.title.as_str(), s.html.as_str(), s.plain.as_str()])
                        .collect();
                    insert_translation.execute(params![
                        id,
                        tr.lang,
                        tr.title,
                        tr.summary,
                        tr.body_html,
                        tr.extra,
                        serde_json::to_string(&steps).unwrap_or_else(|_| "[]".into()),
                    ])?;
                    let row = tx.last_insert_rowid();
                    insert_translation_search.execute(params![
                        row,
                        tr.title,
                        tr.keywords,
                        tr.search_body
                    ])?;
                }
                for (n, step) in item.steps.iter().enumerate() {
                    insert_step.execute(params![
                        id,
                        n as i64 + 1,
                        step.title,
                        step.html,
                        step.plain
                    ])?;
                }
                insert_search.execute(params![id, item.title, item.keywords, item.search_body])?;
            }
        }
        super::glossary::write(&tx, pack.id, glossary)?;
        tx.commit()?;
        Ok(())
    }

    /// Every theme, in display order.
    pub fn themes(&self) -> Result<Vec<ItemRow>> {
        let sql =
            format!("SELECT {ITEM_COLUMNS} FROM items WHERE kind = 'theme' ORDER BY ord, title");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], item_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One page of the items of a kind, by title, and how many there are in all.
    pub fn items_of_kind(&self, kind: &str, page: Paging) -> Result<(Vec<ItemRow>, usize)> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE kind = ?1 ORDER BY title LIMIT ?2 OFFSET ?3"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![kind, page.limit, page.offset], item_row)?
            .collect::<rusqlite::Result<_>>()?;
        let total: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM items WHERE kind = ?1")?
            .query_row([kind], |r| r.get(0))?;
        Ok((rows, total as usize))
    }

    /// One page of the items of a kind filed under a theme, by title, and how many there
    /// are in all.
    pub fn items_of_theme(
        &self,
        theme: &str,
        kind: &str,
        page: Paging,
    ) -> Result<(Vec<ItemRow>, usize)> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM items WHERE theme = ?1 AND kind = ?2 ORDER BY title
             LIMIT ?3 OFFSET ?4"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params![theme, kind, page.limit, page.offset], item_row)?
            .collect::<rusqlite::Result<_>>()?;
        let total: i64 = self
            .conn
            .prepare_cached("SELECT count(*) FROM items WHERE theme = ?1 AND kind = ?2")?
            .query_row([theme, kind], |r| r.get(0))?;
        Ok((rows, total as usize))
    }

    /// One item, listed form.
    pub fn item(&self, kind: &str, slug: &str) -> Result<Option<ItemRow>> {
        let sql = format!("SELECT {ITEM_COLUMNS} FROM items WHERE kind = ?1 AND slug = ?2");
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row([kind, slug], item_row)
            .optional()?;
        Ok(row)
    }

    /// The pack that defines an item, if any does.
    pub fn item_owner(&self, kind: &str, slug: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT pack_id FROM items WHERE kind = ?1 AND slug = ?2")?
            .query_row([kind, slug], |r| r.get(0))
            .optional()?)
    }

    /// One item with its body and details (themes and workshops).
    pub fn item_page(&self, kind: &str, slug: &str) -> Result<Option<ItemPage>> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS}, body_html, extra FROM items WHERE kind = ?1 AND slug = ?2"
        );
        let row = self
            .conn
            .prepare_cached(&sql)?
            .query_row([kind, slug], |r| {
                Ok(ItemPage {
                    item: item_row(r)?,
                    body_html: r.get(10)?,
                    extra: r.get(11)?,
                })
            })
            .optional()?;
        Ok(row)
    }

    /// A tutorial with its steps.
    pub fn tutorial(&self, slug: &str) -> Result<Option<TutorialPage>> {
        let Some(page) = self.item_page("tutorial", slug)? else {
            return Ok(None);
        };
        let mut stmt = self
            .conn
            .prepare_cached("SELECT title, html, plain FROM steps WHERE item_id = ?1 ORDER BY n")?;
        let steps = stmt
            .query_map([page.item.id], |r| {
                Ok(StepRow {
                    title: r.get(0)?,
                    html: r.get(1)?,
                    plain: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(Some(TutorialPage {
            item: page.item,
            intro_html: page.body_html,
            steps,
            extra: page.extra,
        }))
    }

    /// Full-text search: titles weigh most, then keywords, then the text. Any input is safe.
    ///
    /// Ranking with bm25 costs a few microseconds per matching item, so a query matching
    /// more than [`RANKED_MATCHES`] items (a common word in a large library) is not ranked:
    /// items whose title or keywords match come first, then the others, in library order.
    ///
    /// An item translated into `lang` is shown with its translated title, and its summary in
    /// place of a snippet of the original's text.
    pub fn search(&self, input: &str, lang: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(query) = fts_query(input) else {
            return Ok(Vec::new());
        };
        let matches: i64 = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM (SELECT rowid FROM search WHERE search MATCH ?1 LIMIT ?2)",
            )?
            .query_row(params![query, RANKED_MATCHES + 1], |r| r.get(0))?;
        if matches <= RANKED_MATCHES {
            return self.search_hits("ORDER BY bm25(search, 10.0, 5.0, 1.0)", &query, lang, limit);
        }
        let in_titles = format!("{{title keywords}} : ({query})");
        let mut hits = self.search_hits("", &in_titles, lang, limit)?;
        if hits.len() < limit {
            let elsewhere = format!("({query}) NOT {in_titles}");
            hits.extend(self.search_hits("", &elsewhere, lang, limit - hits.len())?);
        }
        Ok(hits)
    }

    /// The items matching the FTS5 expression `query`, in `order`, with their snippets.
    fn search_hits(
        &self,
        order: &str,
        query: &str,
        lang: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT i.kind, i.slug, coalesce(t.title, i.title), coalesce(t.summary, i.summary),
                    CASE WHEN t.id IS NULL
                         THEN snippet(search, 2, char(1), char(2), '…', 14)
                         ELSE t.summary END
             FROM search JOIN items i ON i.id = search.rowid
             LEFT JOIN translations t ON t.item_id = i.id AND t.lang = ?3
             WHERE search MATCH ?1
             {order}
             LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![query, limit as i64, lang], search_hit)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Shows `items` in `lang` where a translation exists (title, summary); the others stay
    /// in their original's language.
    pub fn translate(&self, items: &mut [ItemRow], lang: &str) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT title, summary FROM translations WHERE item_id = ?1 AND lang = ?2",
        )?;
        for item in items.iter_mut().filter(|i| i.lang != lang) {
            let found = stmt
                .query_row(params![item.id, lang], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                })
                .optional()?;
            if let Some((title, summary)) = found {
                item.title = title;
                item.summary = summary;
                item.lang = lang.to_owned();
                item.translated = true;
            }
        }
        Ok(())
    }

    /// An item's page in `lang` when it has a translation: the texts replaced (title,
    /// summary, body, details, steps).
    pub fn translate_page(&self, page: &mut ItemPage, lang: &str) -> Result<Option<Vec<StepRow>>> {
        if page.item.lang == lang {
            return Ok(None);
        }
        let found = self
            .conn
            .prepare_cached(
                "SELECT title, summary, body_html, extra, steps FROM translations
                 WHERE item_id = ?1 AND lang = ?2",
            )?
            .query_row(params![page.item.id, lang], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .optional()?;
        let Some((title, summary, body_html, extra, steps)) = found else {
            return Ok(None);
        };
        page.item.title = title;
        page.item.summary = summary;
        page.item.lang = lang.to_owned();
        page.item.translated = true;
        page.body_html = body_html;
        page.extra = extra;
        let steps: Vec<[String; 3]> = serde_json::from_str(&steps).unwrap_or_default();
        Ok(Some(
            steps
                .into_iter()
                .map(|[title, html, plain]| StepRow { title, html, plain })
                .collect(),
        ))
    }

    /// A tutorial in `lang` when it has a translation, else in its original's language.
    pub fn tutorial_in(&self, slug: &str, lang: &str) -> Result<Option<TutorialPage>> {
        let Some(mut tutorial) = self.tutorial(slug)? else {
            return Ok(None);
        };
        let mut page = ItemPage {
            item: tutorial.item,
            body_html: tutorial.intro_html,
            extra: tutorial.extra,
        };
        if let Some(steps) = self.translate_page(&mut page, lang)? {
            // A translation has as many steps as its original (`pack check`); a row that
            // does not is not used.
            if steps.len() == tutorial.steps.len() {
                tutorial.steps = steps;
            } else {
                return self.tutorial(slug);
            }
        }
        tutorial.item = page.item;
        tutorial.intro_html = page.body_html;
        tutorial.extra = page.extra;
        Ok(Some(tutorial))
    }

    /// Search in the translations into `lang` (ranked), as `search` does in the originals.
    pub fn search_translations(
        &self,
        input: &str,
        lang: &str,
        limit: usize,
    ) -> Result<Vec<SearchHit>> {
        let Some(query) = fts_query(input) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare_cached(
            "SELECT i.kind, i.slug, t.title, t.summary,
                    snippet(translations_search, 2, char(1), char(2), '…', 14)
             FROM translations_search
             JOIN translations t ON t.id = translations_search.rowid
             JOIN items i ON i.id = t.item_id
             WHERE translations_search MATCH ?1 AND t.lang = ?2
             ORDER BY bm25(translations_search, 10.0, 5.0, 1.0)
             LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![query, lang, limit as i64], search_hit)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many items of each kind are indexed, for logs and `--help`-like summaries.
    pub fn count_items(&self) -> Result<i64> {
        Ok(self
            .conn
            .prepare_cached("SELECT count(*) FROM items")?
            .query_row([], |r| r.get(0))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_neutralises_fts_syntax() {
        let cases: &[(&str, Option<&str>)] = &[
            ("mot de passe", Some("\"mot\"* \"passe\"*")),
            ("MOT DE PASSE", Some("\"MOT\"* \"PASSE\"*")),
            ("de", Some("\"de\"")),
            ("à la", Some("\"à\" \"la\"")),
            ("wifi 37", Some("\"wifi\"* \"37\"")),
            ("l'adresse e-mail", Some("\"adresse\"* \"e mail\"*")),
            ("l’appli", Some("\"appli\"*")),
            ("wi-fi", Some("\"wi fi\"")),
            ("x", Some("\"x\"")),
            ("événement", Some("\"événement\"*")),
            ("\"", None),
            ("*", None),
            ("-", None),
            ("AND(", Some("\"AND\"*")),
            ("a NEAR b", Some("\"NEAR\"*")),
            ("col:val^", Some("\"col val\"*")),
            ("", None),
            ("   ", None),
        ];
        for (input, want) in cases {
            assert_eq!(fts_query(input).as_deref(), *want, "input {input:?}");
        }
    }

    #[test]
    fn fts_query_caps_terms_and_length() {
        let long = "a".repeat(500);
        assert_eq!(fts_query(&long).unwrap().len(), 40 + 3);
        let many = "xyz ".repeat(100);
        assert_eq!(fts_query(&many).unwrap().matches('*').count(), 8);
    }

    /// The one pack the search tests install (and replace).
    fn sample_pack() -> NewPack<'static> {
        NewPack {
            id: "p",
            version: "1.0.0",
            title: "P",
            digest: "d",
            previous_version: None,
            publisher: None,
            trusted: true,
            owner: None,
        }
    }

    fn sample_item(slug: &str, title: &str, body: &str) -> NewItem {
        NewItem {
            kind: "tutorial",
            slug: slug.into(),
            title: title.into(),
            theme: Some("securite".into()),
            level: Some("debutant".into()),
            duration: Some(5),
            summary: "Résumé".into(),
            ord: 0,
            icon: None,
            body_html: "<p>intro</p>".into(),
            extra: "{}".into(),
            keywords: String::new(),
            search_body: body.into(),
            steps: vec![NewStep {
                title: "Un".into(),
                html: "<p>un</p>".into(),
                plain: "un".into(),
            }],
            lang: "fr".into(),
            translations: Vec::new(),
        }
    }

    #[test]
    fn search_folds_accents_and_case_and_ranks_titles_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("kit.sqlite")).unwrap();
        let pack = sample_pack();
        store
            .replace_pack(
                &pack,
                &[
                    sample_item("a", "Ajouter un événement", "Le calendrier du téléphone."),
                    sample_item("b", "Le calendrier", "Notez chaque événement important."),
                    sample_item("c", "Mot de passe", "Choisissez trois mots."),
                ],
            )
            .unwrap();
        let hits = store.search("evenement", "fr", 10).unwrap();
        let slugs: Vec<_> = hits.iter().map(|h| h.slug.as_str()).collect();
        assert_eq!(slugs, ["a", "b"]);
        assert!(
            hits[1].snippet.contains("\u{1}événement\u{2}"),
            "{:?}",
            hits[1].snippet
        );
        assert_eq!(store.search("MOT DE PASSE", "fr", 10).unwrap()[0].slug, "c");
        assert_eq!(store.search("calend", "fr", 10).unwrap().len(), 2);
        // Replacing the pack drops its old rows from the index.
        store
            .replace_pack(&pack, &[sample_item("c", "Mot de passe", "x")])
            .unwrap();
        assert!(store.search("evenement", "fr", 10).unwrap().is_empty());
        assert_eq!(store.count_items().unwrap(), 1);
    }

    /// A word found in more items than are ranked: the items with it in their title come
    /// first, then the others, and odd input still only matches text.
    #[test]
    fn a_broad_search_lists_title_matches_first_without_ranking_them_all() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("kit.sqlite")).unwrap();
        let pack = sample_pack();
        let body_only = RANKED_MATCHES as usize + 50;
        let mut items: Vec<NewItem> = (0..body_only)
            .map(|i| sample_item(&format!("b{i}"), "Sans rapport", "Une appli utile."))
            .collect();
        items.extend((0..3).map(|i| sample_item(&format!("t{i}"), "Installer une appli", "x")));
        store.replace_pack(&pack, &items).unwrap();

        let hits = store.search("appli", "fr", 10).unwrap();
        let slugs: Vec<_> = hits.iter().map(|h| h.slug.as_str()).collect();
        assert_eq!(
            slugs,
            ["t0", "t1", "t2", "b0", "b1", "b2", "b3", "b4", "b5", "b6"]
        );
        assert!(
            hits[3].snippet.contains("\u{1}appli\u{2}"),
            "{:?}",
            hits[3].snippet
        );
        for odd in ["appli\")", "(appli*", "-appli^", "{appli}:"] {
            let hits = store.search(odd, "fr", 5);
            assert!(
                hits.as_ref().is_ok_and(|h| h.len() == 5),
                "{odd:?}: {hits:?}"
            );
        }
        // Below the bound, ranking applies: the title matches still lead.
        assert_eq!(store.search("installer appli", "fr", 10).unwrap().len(), 3);
    }

    /// Inputs made of FTS5 syntax and words, and anything at all.
    fn search_input() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let piece = prop_oneof![
            Just("\""),
            Just("*"),
            Just("("),
            Just(")"),
            Just(":"),
            Just("^"),
            Just("+"),
            Just("-"),
            Just(" "),
            Just("AND"),
            Just("OR"),
            Just("NOT"),
            Just("NEAR"),
            Just("title"),
            Just("mot"),
            Just("é"),
            Just("{"),
            Just("\0"),
        ];
        prop_oneof![
            proptest::collection::vec(piece, 0..12).prop_map(|p| p.concat()),
            any::<String>(),
        ]
    }

    #[test]
    fn fts_query_output_is_always_accepted_by_fts5() {
        use proptest::test_runner::{Config, TestRunner};
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("kit.sqlite")).unwrap();
        let pack = sample_pack();
        let items = [
            sample_item("a", "Mot de passe", "Choisissez trois mots."),
            sample_item("b", "Le calendrier", "Notez chaque événement important."),
        ];
        store.replace_pack(&pack, &items).unwrap();
        // One store for every case: the runner is driven by hand instead of `proptest!`.
        let mut runner = TestRunner::new(Config::with_cases(512));
        let result = runner.run(&search_input(), |input| {
            if let Some(query) = fts_query(&input) {
                proptest::prop_assert!(query.matches('*').count() <= 8, "{query:?}");
            }
            let searched = store.search(&input, "fr", 5);
            proptest::prop_assert!(searched.is_ok(), "{input:?}: {:?}", searched.err());
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }
}
