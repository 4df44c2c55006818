//! Queries on the glossary: its entries, written with their pack, and its search index.

use rusqlite::{params, OptionalExtension, Row, Transaction};

use super::library::{fts_query, SearchHit};
use super::{Result, Store};

/// One glossary entry ready to store: already rendered and linked.
#[derive(Debug, Clone)]
pub struct NewGlossaryEntry {
    pub slug: String,
    pub word: String,
    pub variants: Vec<String>,
    pub see_also: Vec<String>,
    pub summary: String,
    pub body_html: String,
    /// Plain text for the search index.
    pub plain: String,
}

/// One glossary entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlossaryRow {
    pub pack_id: String,
    pub slug: String,
    pub word: String,
    pub variants: Vec<String>,
    pub see_also: Vec<String>,
    pub summary: String,
    pub body_html: String,
}

const COLUMNS: &str = "pack_id, slug, word, variants, see_also, summary, body_html";

fn list(json: String) -> Vec<String> {
    serde_json::from_str(&json).unwrap_or_default()
}

fn row(r: &Row<'_>) -> rusqlite::Result<GlossaryRow> {
    Ok(GlossaryRow {
        pack_id: r.get(0)?,
        slug: r.get(1)?,
        word: r.get(2)?,
        variants: list(r.get(3)?),
        see_also: list(r.get(4)?),
        summary: r.get(5)?,
        body_html: r.get(6)?,
    })
}

fn json(list: &[String]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// Replaces a pack's glossary inside the transaction that replaces the pack.
pub(super) fn write(
    tx: &Transaction<'_>,
    pack_id: &str,
    entries: &[NewGlossaryEntry],
) -> rusqlite::Result<()> {
    tx.execute("DELETE FROM glossary WHERE pack_id = ?1", [pack_id])?;
    let mut insert = tx.prepare(
        "INSERT INTO glossary (pack_id, slug, word, variants, see_also, summary, body_html, plain)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for e in entries {
        insert.execute(params![
            pack_id,
            e.slug,
            e.word,
            json(&e.variants),
            json(&e.see_also),
            e.summary,
            e.body_html,
            e.plain
        ])?;
    }
    Ok(())
}

/// The order of a dictionary: case and accents do not count ("écran" between "e-mail" and
/// "espace").
pub fn sort_key(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            c => c,
        })
        .collect()
}

impl Store {
    /// One entry by its slug.
    pub fn glossary_entry(&self, slug: &str) -> Result<Option<GlossaryRow>> {
        let sql = format!("SELECT {COLUMNS} FROM glossary WHERE slug = ?1");
        Ok(self
            .conn
            .prepare_cached(&sql)?
            .query_row([slug], row)
            .optional()?)
    }

    /// Every entry, in dictionary order.
    pub fn glossary(&self) -> Result<Vec<GlossaryRow>> {
        let sql = format!("SELECT {COLUMNS} FROM glossary");
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt
            .query_map([], row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.sort_by_cached_key(|r| sort_key(&r.word));
        Ok(rows)
    }

    /// The pack whose glossary explains `slug`, if any.
    pub fn glossary_owner(&self, slug: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT pack_id FROM glossary WHERE slug = ?1")?
            .query_row([slug], |r| r.get(0))
            .optional()?)
    }

    /// Glossary entries whose word or a variant matches what a person typed (a word only
    /// mentioned in an explanation does not count). Hits have the kind `glossary`.
    pub fn search_glossary(&self, input: &str, limit: usize) -> Result<Vec<SearchHit>> {
        let Some(query) = fts_query(input) else {
            return Ok(Vec::new());
        };
        let query = format!("{{word variants}} : ({query})");
        let mut stmt = self.conn.prepare_cached(
            "SELECT g.slug, g.word, g.summary, snippet(glossary_search, 2, char(1), char(2), '…', 14)
             FROM glossary_search JOIN glossary g ON g.id = glossary_search.rowid
             WHERE glossary_search MATCH ?1
             ORDER BY bm25(glossary_search, 10.0, 8.0, 1.0)
             LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![query, limit as i64], |r| {
            Ok(SearchHit {
                kind: "glossary".into(),
                slug: r.get(0)?,
                title: r.get(1)?,
                summary: r.get(2)?,
                snippet: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewPack, Store};

    fn pack(id: &str) -> NewPack<'_> {
        NewPack {
            id,
            version: "1.0.0",
            title: "P",
            digest: "d",
            previous_version: None,
            publisher: None,
            trusted: true,
            owner: None,
        }
    }

    fn entry(slug: &str, word: &str, plain: &str) -> NewGlossaryEntry {
        NewGlossaryEntry {
            slug: slug.into(),
            word: word.into(),
            variants: vec![format!("{word}s")],
            see_also: vec![],
            summary: plain.into(),
            body_html: format!("<p>{plain}</p>"),
            plain: plain.into(),
        }
    }

    #[test]
    fn entries_are_listed_in_dictionary_order_found_by_search_and_go_with_their_pack() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(&dir.path().join("kit.sqlite")).unwrap();
        let entries = [
            entry("espace", "Espace personnel", "Votre coin sur un site."),
            entry("ecran", "Écran", "La vitre qui montre tout."),
            entry("appli", "Application", "Un programme du téléphone."),
        ];
        store
            .replace_pack_with_glossary(&pack("p"), &[], &entries)
            .unwrap();
        let words: Vec<_> = store
            .glossary()
            .unwrap()
            .into_iter()
            .map(|r| r.word)
            .collect();
        assert_eq!(words, ["Application", "Écran", "Espace personnel"]);
        assert_eq!(store.search_glossary("ecran", 5).unwrap()[0].slug, "ecran");
        assert_eq!(
            store.search_glossary("applications", 5).unwrap()[0].slug,
            "appli"
        );
        assert_eq!(store.glossary_owner("ecran").unwrap().as_deref(), Some("p"));
        let row = store.glossary_entry("ecran").unwrap().unwrap();
        assert_eq!(row.variants, ["Écrans"]);

        // A new version without the entry drops it from the index too.
        store
            .replace_pack_with_glossary(&pack("p"), &[], &entries[..1])
            .unwrap();
        assert!(store.search_glossary("ecran", 5).unwrap().is_empty());
        // Only the word and its variants are searched, not the explanation.
        assert!(store.search_glossary("coin", 5).unwrap().is_empty());
        assert!(store.glossary_entry("ecran").unwrap().is_none());
        // Removing the pack removes its glossary and its search rows.
        store.remove_pack("p").unwrap();
        assert!(store.glossary().unwrap().is_empty());
        assert!(store.search_glossary("espace", 5).unwrap().is_empty());
    }
}
