//! Practice forms: the definition a pack gives in `forms/<slug>.md` (papers to prepare,
//! sections, fields and their conditions), its checks, which questions show for a set of
//! answers, and the validators of the answers (`validate`). Answers only ever live in a
//! request and its reply: nothing here stores them.

pub mod validate;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Most fields a form may have (questions and signature blocks).
pub const MAX_FIELDS: usize = 60;
/// Longest field id, in bytes.
const MAX_ID: usize = 40;
/// Longest choice, in characters.
const MAX_CHOICE: usize = 100;

/// What a field asks for. The names are those authors write in `type = "…"`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FieldType {
    #[default]
    Text,
    LongText,
    Number,
    Date,
    YesNo,
    Choice,
    Choices,
    Email,
    Phone,
    PostalCode,
    Address,
    Nir,
    Iban,
    /// "Fait à … le … Signature": a block of the printout, not a question.
    Signature,
}

impl FieldType {
    /// `false` for the signature block, which is only printed.
    pub fn is_question(self) -> bool {
        self != FieldType::Signature
    }

    /// Answers picked from a list (a condition may depend on them).
    pub fn has_choices(self) -> bool {
        matches!(self, FieldType::Choice | FieldType::Choices)
    }

    /// The name authors write (`postal-code`…).
    pub fn code(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::LongText => "long-text",
            FieldType::Number => "number",
            FieldType::Date => "date",
            FieldType::YesNo => "yes-no",
            FieldType::Choice => "choice",
            FieldType::Choices => "choices",
            FieldType::Email => "email",
            FieldType::Phone => "phone",
            FieldType::PostalCode => "postal-code",
            FieldType::Address => "address",
            FieldType::Nir => "nir",
            FieldType::Iban => "iban",
            FieldType::Signature => "signature",
        }
    }

    /// Answers typed in a box, which an example helps with.
    fn is_typed(self) -> bool {
        !matches!(
            self,
            FieldType::YesNo | FieldType::Choice | FieldType::Choices | FieldType::Signature
        )
    }
}

/// "Show this field only if the answer to `field` is `equals`".
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    pub field: String,
    pub equals: String,
}

/// One field of a form.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Lowercase letters, digits and hyphens; unique in the form.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: FieldType,
    #[serde(default)]
    pub label: String,
    /// "C'est quoi ?": a short FALC explanation.
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub example: String,
    #[serde(default)]
    pub required: bool,
    /// The FALC message shown when the answer is not valid (else the kit's own).
    #[serde(default)]
    pub message: String,
    /// For the conseiller's sheet: a longer explanation of the field.
    #[serde(default)]
    pub helper: String,
    /// The answers offered by `choice` and `choices`.
    #[serde(default)]
    pub choices: Vec<String>,
    #[serde(default)]
    pub when: Option<Condition>,
    /// A date that cannot be in the future (a birth date).
    #[serde(default)]
    pub past: bool,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
    /// A postal code that also asks for its commune, on the same screen.
    #[serde(default)]
    pub commune: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    pub title: String,
    pub fields: Vec<Field>,
}

/// A paper to have at hand, with its pictogram (an image of the pack).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Paper {
    pub label: String,
    #[serde(default)]
    pub icon: Option<String>,
}

/// A form's definition: the front matter of `forms/<slug>.md` (its Markdown says what the
/// form is for). Stored as JSON in the library, paper icons as portal URLs.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormDef {
    pub title: String,
    pub theme: String,
    pub summary: String,
    /// The real procedure this practice form mirrors.
    pub procedure: String,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub papers: Vec<Paper>,
    pub sections: Vec<Section>,
}

/// What the library keeps of a form (its item's `extra`): the definition, and each field's
/// help as HTML with its glossary words linked (made once, at install).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Stored {
    pub def: FormDef,
    /// Field id → help as HTML; a field missing here shows its plain help.
    #[serde(default)]
    pub help_html: BTreeMap<String, String>,
}

/// A problem of a definition: the field it is about (if any) and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefError {
    pub field: Option<String>,
    pub message: String,
}

/// The answers of one filling: field id (or `<id>.commune`) → its values.
pub type Answers = BTreeMap<String, Vec<String>>;

/// The answer key of a postal code's commune.
pub fn commune_key(id: &str) -> String {
    format!("{id}.commune")
}

fn is_field_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl FormDef {
    /// Every field, in order.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.sections.iter().flat_map(|s| s.fields.iter())
    }

    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id == id)
    }

    /// The section a field is in.
    pub fn section_of(&self, id: &str) -> Option<&Section> {
        self.sections
            .iter()
            .find(|s| s.fields.iter().any(|f| f.id == id))
    }

    /// `true` when the field's condition (and its condition's, up the chain) holds.
    pub fn is_shown(&self, field: &Field, answers: &Answers) -> bool {
        let mut current = field;
        // A chain is at most as long as the form (the checks refuse loops).
        for _ in 0..=MAX_FIELDS {
            let Some(when) = &current.when else {
                return true;
            };
            let holds = answers
                .get(&when.field)
                .is_some_and(|v| v.contains(&when.equals));
            match (holds, self.field(&when.field)) {
                (true, Some(parent)) => current = parent,
                _ => return false,
            }
        }
        false
    }

    /// The questions shown for these answers, in order.
    pub fn questions<'a>(&'a self, answers: &Answers) -> Vec<&'a Field> {
        self.fields()
            .filter(|f| f.kind.is_question() && self.is_shown(f, answers))
            .collect()
    }

    /// Every answer key the form may receive.
    pub fn knows_key(&self, key: &str) -> bool {
        match key.strip_suffix(".commune") {
            Some(id) => self
                .field(id)
                .is_some_and(|f| f.kind == FieldType::PostalCode && f.commune),
            None => self.field(key).is_some_and(|f| f.kind.is_question()),
        }
    }

    /// Drops the answers of questions not shown (a changed answer can hide later ones).
    pub fn prune(&self, answers: &mut Answers) {
        let shown: Vec<String> = self
            .questions(answers)
            .iter()
            .flat_map(|f| [f.id.clone(), commune_key(&f.id)])
            .collect();
        answers.retain(|k, v| shown.contains(k) && v.iter().any(|s| !s.trim().is_empty()));
    }

    /// Every problem of the definition, in field order.
    pub fn check(&self) -> Vec<DefError> {
        let mut errors = Vec::new();
        let mut err = |field: Option<&str>, message: String| {
            errors.push(DefError {
                field: field.map(str::to_owned),
                message,
            })
        };
        if self.sections.is_empty() {
            err(
                None,
                "un formulaire a au moins une partie `[[sections]]`".into(),
            );
        }
        let count = self.fields().count();
        if count > MAX_FIELDS {
            err(
                None,
                format!("{count} champs : {MAX_FIELDS} au plus, coupez le formulaire en deux"),
            );
        }
        for section in &self.sections {
            if section.title.trim().is_empty() {
                err(None, "une partie n'a pas de titre (`title`)".into());
            }
            if section.fields.is_empty() {
                err(
                    None,
                    format!("la partie « {} » n'a aucun champ", section.title),
                );
            }
        }
        for paper in &self.papers {
            if paper.label.trim().is_empty() {
                err(None, "un papier à préparer n'a pas de nom (`label`)".into());
            }
        }
        let mut earlier: Vec<&Field> = Vec::new();
        for field in self.fields() {
            for message in field_problems(field, &earlier) {
                err(Some(&field.id), message);
            }
            earlier.push(field);
        }
        errors
    }
}

/// What is wrong with one field, given the fields before it.
fn field_problems(field: &Field, earlier: &[&Field]) -> Vec<String> {
    let mut out = Vec::new();
    let id = &field.id;
    if !is_field_id(id) {
        out.push(format!(
            "identifiant de champ `{id}` invalide : lettres minuscules, chiffres et tirets"
        ));
    }
    if earlier.iter().any(|f| f.id == *id) {
        out.push(format!("deux champs s'appellent `{id}`"));
    }
    if field.label.trim().is_empty() {
        out.push(format!("le champ `{id}` n'a pas de question (`label`)"));
    }
    if field.kind.is_question() && field.help.trim().is_empty() {
        out.push(format!("le champ `{id}` n'a pas d'aide (`help`)"));
    }
    if field.kind.is_typed() && field.example.trim().is_empty() {
        out.push(format!("le champ `{id}` n'a pas d'exemple (`example`)"));
    }
    out.extend(choice_problems(field));
    out.extend(option_problems(field));
    if let Some(when) = &field.when {
        out.extend(condition_problem(id, when, earlier));
    }
    if field.kind.is_typed() && !field.example.trim().is_empty() {
        let today = crate::reports::date::Date::today();
        let example = vec![field.example.clone()];
        if validate::check(field, &example, today).is_err() {
            out.push(format!(
                "l'exemple `{}` du champ `{id}` n'est pas une réponse valable",
                field.example
            ));
        }
    }
    out
}

fn choice_problems(field: &Field) -> Vec<String> {
    let id = &field.id;
    if !field.kind.has_choices() {
        return match field.choices.is_empty() {
            true => Vec::new(),
            false => vec![format!(
                "le champ `{id}` n'est pas une liste : `choices` ne sert qu'avec `choice` ou `choices`"
            )],
        };
    }
    let mut out = Vec::new();
    if field.choices.len() < 2 {
        out.push(format!(
            "le champ `{id}` propose moins de 2 réponses (`choices`)"
        ));
    }
    for (i, choice) in field.choices.iter().enumerate() {
        if choice.trim().is_empty()
            || choice.trim() != choice
            || choice.chars().count() > MAX_CHOICE
        {
            out.push(format!(
                "réponse `{choice}` du champ `{id}` : un texte de 1 à {MAX_CHOICE} signes, sans espace autour"
            ));
        }
        if field.choices[..i].contains(choice) {
            out.push(format!(
                "la réponse `{choice}` du champ `{id}` est en double"
            ));
        }
    }
    out
}

fn option_problems(field: &Field) -> Vec<String> {
    let id = &field.id;
    let mut out = Vec::new();
    let only = |set: bool, kind: FieldType, key: &str, name: &str| {
        (set && field.kind != kind)
            .then(|| format!("`{key}` du champ `{id}` ne sert qu'avec le type `{name}`"))
    };
    out.extend(only(field.past, FieldType::Date, "past", "date"));
    out.extend(only(
        field.commune,
        FieldType::PostalCode,
        "commune",
        "postal-code",
    ));
    out.extend(only(
        field.min.is_some() || field.max.is_some(),
        FieldType::Number,
        "min/max",
        "number",
    ));
    if let (Some(min), Some(max)) = (field.min, field.max) {
        if min > max {
            out.push(format!(
                "le champ `{id}` a un `min` plus grand que son `max`"
            ));
        }
    }
    if !field.kind.is_question() && (field.required || field.when.is_some()) {
        out.push(format!(
            "le bloc signature `{id}` est toujours imprimé : ni `required` ni `when`"
        ));
    }
    out
}

/// A condition names an earlier question with choices, and one of its answers.
fn condition_problem(id: &str, when: &Condition, earlier: &[&Field]) -> Option<String> {
    let Some(parent) = earlier.iter().find(|f| f.id == when.field) else {
        return Some(format!(
            "la condition du champ `{id}` parle de `{}`, qui n'est pas une question d'avant",
            when.field
        ));
    };
    let possible: Vec<&str> = match parent.kind {
        FieldType::YesNo => vec![validate::YES, validate::NO],
        k if k.has_choices() => parent.choices.iter().map(String::as_str).collect(),
        _ => {
            return Some(format!(
                "la condition du champ `{id}` dépend de `{}` : seulement une question oui/non ou à choix",
                when.field
            ))
        }
    };
    (!possible.contains(&when.equals.as_str())).then(|| {
        format!(
            "la condition du champ `{id}` attend `{}`, que `{}` ne propose pas ({})",
            when.equals,
            when.field,
            possible.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(toml_text: &str) -> FormDef {
        toml::from_str(toml_text).unwrap()
    }

    const BASE: &str = r#"
title = "T"
theme = "t"
summary = "S"
procedure = "P"
[[sections]]
title = "Vous"
[[sections.fields]]
id = "mail"
type = "yes-no"
label = "Avez-vous un e-mail ?"
help = "Une adresse pour recevoir des messages."
[[sections.fields]]
id = "adresse-mail"
type = "email"
label = "Votre adresse e-mail"
help = "Elle a un @."
example = "claire@exemple.fr"
when = { field = "mail", equals = "oui" }
[[sections.fields]]
id = "fournisseur"
type = "choice"
label = "Chez qui ?"
help = "Le nom après le @."
choices = ["Gmail", "Autre"]
when = { field = "adresse-mail", equals = "x" }
"#;

    #[test]
    fn definitions_report_every_problem_by_field() {
        let def = form(BASE);
        let errors = def.check();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field.as_deref(), Some("fournisseur"));
        assert!(errors[0].message.contains("seulement une question oui/non"));
        let cases = [
            (
                "equals = \"oui\"",
                "equals = \"peut-être\"",
                "que `mail` ne propose pas",
            ),
            (
                "field = \"mail\"",
                "field = \"plus-tard\"",
                "pas une question d'avant",
            ),
            (
                "example = \"claire@exemple.fr\"",
                "example = \"claire\"",
                "l'exemple `claire`",
            ),
            ("example = \"claire@exemple.fr\"", "", "pas d'exemple"),
            ("help = \"Elle a un @.\"", "", "pas d'aide"),
            (
                "id = \"adresse-mail\"",
                "id = \"mail\"",
                "deux champs s'appellent `mail`",
            ),
            (
                "id = \"adresse-mail\"",
                "id = \"Adresse\"",
                "identifiant de champ `Adresse` invalide",
            ),
            (
                "choices = [\"Gmail\", \"Autre\"]",
                "choices = [\"Gmail\"]",
                "moins de 2 réponses",
            ),
            (
                "type = \"email\"",
                "type = \"email\"\npast = true",
                "ne sert qu'avec le type `date`",
            ),
        ];
        for (from, to, want) in cases {
            let def = form(&BASE.replacen(from, to, 1));
            let all: Vec<String> = def.check().into_iter().map(|e| e.message).collect();
            assert!(all.iter().any(|m| m.contains(want)), "{to}: {all:?}");
        }
    }

    #[test]
    fn conditions_show_and_hide_questions_down_the_chain() {
        let def = form(
            &BASE
                .replace("equals = \"x\"", "equals = \"y\"")
                .replace("field = \"adresse-mail\"", "field = \"mail\""),
        );
        let mut answers = Answers::new();
        let ids = |a: &Answers| {
            def.questions(a)
                .iter()
                .map(|f| f.id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&answers), ["mail"]);
        answers.insert("mail".into(), vec!["oui".into()]);
        assert_eq!(ids(&answers), ["mail", "adresse-mail"]);
        answers.insert("adresse-mail".into(), vec!["a@b.fr".into()]);
        answers.insert("mail".into(), vec!["non".into()]);
        def.prune(&mut answers);
        assert_eq!(answers.keys().collect::<Vec<_>>(), ["mail"]);
        assert!(def.knows_key("mail") && !def.knows_key("mail.commune") && !def.knows_key("x"));
    }
}
