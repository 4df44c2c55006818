//! Validators for the answers of a practice form, French formats first: postal code, phone,
//! NIR (social security number) with its key, IBAN with its mod-97 check, e-mail, dates and
//! numbers. The server uses them on every answer; nothing else checks an answer.

use super::{Field, FieldType};
use crate::reports::date::Date;

/// Longest one-line answer, in characters.
pub const MAX_TEXT: usize = 200;
/// Longest long-text answer, in characters.
pub const MAX_LONG_TEXT: usize = 1000;

/// Why an answer is not accepted. Each maps to a FALC message of the `[forms]` catalog
/// (`invalid_<key>`), which names what is expected with an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invalid {
    Required,
    TooLong,
    Text,
    Number,
    NumberRange,
    Date,
    DateFuture,
    YesNo,
    Choice,
    Email,
    Phone,
    PostalCode,
    Commune,
    Address,
    Nir,
    NirKey,
    Iban,
    IbanCountry,
    IbanKey,
}

impl Invalid {
    /// The key of its message in the `[forms]` catalog.
    pub fn key(self) -> &'static str {
        match self {
            Invalid::Required => "invalid_required",
            Invalid::TooLong => "invalid_too_long",
            Invalid::Text => "invalid_text",
            Invalid::Number => "invalid_number",
            Invalid::NumberRange => "invalid_number_range",
            Invalid::Date => "invalid_date",
            Invalid::DateFuture => "invalid_date_future",
            Invalid::YesNo => "invalid_yes_no",
            Invalid::Choice => "invalid_choice",
            Invalid::Email => "invalid_email",
            Invalid::Phone => "invalid_phone",
            Invalid::PostalCode => "invalid_postal_code",
            Invalid::Commune => "invalid_commune",
            Invalid::Address => "invalid_address",
            Invalid::Nir => "invalid_nir",
            Invalid::NirKey => "invalid_nir_key",
            Invalid::Iban => "invalid_iban",
            Invalid::IbanCountry => "invalid_iban_country",
            Invalid::IbanKey => "invalid_iban_key",
        }
    }

    /// Every kind, for the test that proves each has its message.
    pub const ALL: [Invalid; 19] = [
        Invalid::Required,
        Invalid::TooLong,
        Invalid::Text,
        Invalid::Number,
        Invalid::NumberRange,
        Invalid::Date,
        Invalid::DateFuture,
        Invalid::YesNo,
        Invalid::Choice,
        Invalid::Email,
        Invalid::Phone,
        Invalid::PostalCode,
        Invalid::Commune,
        Invalid::Address,
        Invalid::Nir,
        Invalid::NirKey,
        Invalid::Iban,
        Invalid::IbanCountry,
        Invalid::IbanKey,
    ];
}

/// The values `yes-no` questions send.
pub const YES: &str = "oui";
pub const NO: &str = "non";

/// Checks the answer(s) of `field` (several only for `choices`), `today` for dates. An empty
/// answer is fine unless the field is required. Returns the answer as it will be shown
/// (a phone number spaced by pairs, an IBAN by fours, a date as `JJ/MM/AAAA`).
pub fn check(field: &Field, values: &[String], today: Date) -> Result<Vec<String>, Invalid> {
    let values: Vec<&str> = values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .collect();
    if values.is_empty() {
        return match field.required && field.kind.is_question() {
            true => Err(Invalid::Required),
            false => Ok(Vec::new()),
        };
    }
    if field.kind == FieldType::Choices {
        let mut seen = Vec::new();
        for v in values {
            if !field.choices.iter().any(|c| c == v) || seen.contains(&v) {
                return Err(Invalid::Choice);
            }
            seen.push(v);
        }
        return Ok(seen.into_iter().map(str::to_owned).collect());
    }
    let [value] = values.as_slice() else {
        return Err(Invalid::Choice);
    };
    one(field, value, today).map(|v| vec![v])
}

fn one(field: &Field, value: &str, today: Date) -> Result<String, Invalid> {
    match field.kind {
        FieldType::Text => text(value, MAX_TEXT),
        FieldType::LongText => text(value, MAX_LONG_TEXT),
        FieldType::Address => address(value),
        FieldType::Number => number(value, field.min, field.max),
        FieldType::Date => date(value, field.past, today),
        FieldType::YesNo => match value {
            YES | NO => Ok(value.to_owned()),
            _ => Err(Invalid::YesNo),
        },
        FieldType::Choice | FieldType::Choices => match field.choices.iter().any(|c| c == value) {
            true => Ok(value.to_owned()),
            false => Err(Invalid::Choice),
        },
        FieldType::Email => email(value),
        FieldType::Phone => phone(value),
        FieldType::PostalCode => postal_code(value),
        FieldType::Nir => nir(value),
        FieldType::Iban => iban(value),
        FieldType::Signature => Ok(String::new()),
    }
}

/// Free text: at most `max` characters, no control characters (a tab or a line break
/// only in long text, which allows `max` > `MAX_TEXT`).
pub fn text(value: &str, max: usize) -> Result<String, Invalid> {
    if value.chars().count() > max {
        return Err(Invalid::TooLong);
    }
    let multiline = max > MAX_TEXT;
    let bad = |c: char| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t'));
    if value.chars().any(bad) {
        return Err(Invalid::Text);
    }
    Ok(value.replace("\r\n", "\n"))
}

/// A postal address: a few words with at least one letter.
pub fn address(value: &str) -> Result<String, Invalid> {
    let value = text(value, 300)?;
    let letters = value.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 3 {
        return Err(Invalid::Address);
    }
    Ok(value)
}

/// A number as people write it: `1 234,50`, `1234.5`, `-3`; within `min..=max` if given.
pub fn number(value: &str, min: Option<f64>, max: Option<f64>) -> Result<String, Invalid> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    let ok_chars = compact
        .chars()
        .enumerate()
        .all(|(i, c)| c.is_ascii_digit() || c == ',' || c == '.' || (i == 0 && c == '-'));
    let separators = compact.chars().filter(|c| matches!(c, ',' | '.')).count();
    if !ok_chars
        || separators > 1
        || compact.len() > 18
        || !compact.contains(|c: char| c.is_ascii_digit())
    {
        return Err(Invalid::Number);
    }
    let n: f64 = compact
        .replace(',', ".")
        .parse()
        .map_err(|_| Invalid::Number)?;
    if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
        return Err(Invalid::NumberRange);
    }
    Ok(compact.replace('.', ","))
}

/// A day that exists, `JJ/MM/AAAA` or `AAAA-MM-JJ`, from 1900; not after `today` when
/// `past` (a birth date).
pub fn date(value: &str, past: bool, today: Date) -> Result<String, Invalid> {
    let d = Date::parse(value)
        .filter(|d| (1900..=2200).contains(&d.year()))
        .ok_or(Invalid::Date)?;
    if past && d > today {
        return Err(Invalid::DateFuture);
    }
    let iso = d.to_string();
    Ok(format!("{}/{}/{}", &iso[8..10], &iso[5..7], &iso[..4]))
}

/// An e-mail address: `name@domain.tld`, no spaces, at most 254 characters.
pub fn email(value: &str) -> Result<String, Invalid> {
    let Some((local, domain)) = value.rsplit_once('@') else {
        return Err(Invalid::Email);
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
        && labels.last().is_some_and(|tld| tld.chars().count() >= 2);
    if value.len() > 254 || !local_ok || !domain_ok {
        return Err(Invalid::Email);
    }
    Ok(format!("{local}@{}", domain.to_lowercase()))
}

/// Digits of `value` once spaces, dots and dashes are taken out; `None` if anything else.
fn digits_only(value: &str) -> Option<String> {
    let kept: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '.' | '-' | '\u{a0}'))
        .collect();
    kept.chars().all(|c| c.is_ascii_digit()).then_some(kept)
}

/// A French phone number: `06 12 34 56 78`, `0612345678`, `+33 6 12 34 56 78` or
/// `0033 6…`. Shown as `06 12 34 56 78`.
pub fn phone(value: &str) -> Result<String, Invalid> {
    let trimmed = value.trim();
    let (international, rest) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    let digits = digits_only(rest).ok_or(Invalid::Phone)?;
    let national = if international {
        digits.strip_prefix("33").map(|d| format!("0{d}"))
    } else if let Some(d) = digits.strip_prefix("0033") {
        Some(format!("0{d}"))
    } else {
        Some(digits)
    }
    .ok_or(Invalid::Phone)?;
    let b = national.as_bytes();
    if b.len() != 10 || b[0] != b'0' || b[1] == b'0' {
        return Err(Invalid::Phone);
    }
    let pairs: Vec<&str> = (0..5).map(|i| &national[i * 2..i * 2 + 2]).collect();
    Ok(pairs.join(" "))
}

/// A French postal code: 5 digits, from `01000` to `98999`.
pub fn postal_code(value: &str) -> Result<String, Invalid> {
    let digits = digits_only(value).ok_or(Invalid::PostalCode)?;
    let n: u32 = digits.parse().map_err(|_| Invalid::PostalCode)?;
    if digits.len() != 5 || !(1000..=98999).contains(&n) {
        return Err(Invalid::PostalCode);
    }
    Ok(digits)
}

/// A commune's name: letters, spaces, hyphens and apostrophes, at most 60 characters.
pub fn commune(value: &str) -> Result<String, Invalid> {
    let value = value.trim();
    let ok = value.chars().count() <= 60
        && value.chars().any(char::is_alphabetic)
        && value
            .chars()
            .all(|c| c.is_alphabetic() || c.is_ascii_digit() || " -'’".contains(c));
    ok.then(|| value.to_owned()).ok_or(Invalid::Commune)
}

/// A French social security number (NIR): 13 characters and a 2-digit key, spaces allowed.
/// The key is `97 − (number mod 97)`; for Corsica the department `2A` counts as `19` and `2B`
/// as `18`.
pub fn nir(value: &str) -> Result<String, Invalid> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.len() != 15 || !compact.is_ascii() {
        return Err(Invalid::Nir);
    }
    let (body, key) = compact.split_at(13);
    let numeric = match &body[5..7] {
        "2A" => format!("{}19{}", &body[..5], &body[7..]),
        "2B" => format!("{}18{}", &body[..5], &body[7..]),
        _ => body.to_owned(),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(&numeric)
        || !all_digits(key)
        || !matches!(&body[..1], "1" | "2" | "3" | "4" | "7" | "8")
    {
        return Err(Invalid::Nir);
    }
    let n: u64 = numeric.parse().map_err(|_| Invalid::Nir)?;
    let key: u64 = key.parse().map_err(|_| Invalid::Nir)?;
    if key != 97 - n % 97 {
        return Err(Invalid::NirKey);
    }
    let c = &compact;
    Ok(format!(
        "{} {} {} {} {} {} {}",
        &c[..1],
        &c[1..3],
        &c[3..5],
        &c[5..7],
        &c[7..10],
        &c[10..13],
        &c[13..]
    ))
}

/// IBAN lengths of the SEPA countries, by country code.
const IBAN_LENGTHS: &[(&str, usize)] = &[
    ("AD", 24),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GI", 23),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PT", 25),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
];

/// An IBAN of a SEPA country: its length, then the mod-97 check (the first four
/// characters moved to the end, letters as 10 to 35, the whole number mod 97 is 1).
/// Shown in groups of four.
pub fn iban(value: &str) -> Result<String, Invalid> {
    let compact: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.len() < 5 || !compact.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Invalid::Iban);
    }
    let country = &compact[..2];
    let Some(&(_, length)) = IBAN_LENGTHS.iter().find(|(c, _)| *c == country) else {
        return Err(Invalid::IbanCountry);
    };
    if compact.len() != length || !compact[2..4].bytes().all(|b| b.is_ascii_digit()) {
        return Err(Invalid::Iban);
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut rest: u32 = 0;
    for b in rearranged.bytes() {
        let v = match b {
            b'0'..=b'9' => u32::from(b - b'0'),
            _ => u32::from(b - b'A') + 10,
        };
        rest = if v >= 10 {
            (rest * 100 + v) % 97
        } else {
            (rest * 10 + v) % 97
        };
    }
    if rest != 1 {
        return Err(Invalid::IbanKey);
    }
    let groups: Vec<String> = compact
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    Ok(groups.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        Date::new(2026, 12, 2).unwrap()
    }

    #[test]
    fn postal_codes_have_five_digits_of_a_real_department() {
        for (ok, shown) in [
            ("59500", "59500"),
            ("01000", "01000"),
            ("20000", "20000"),
            (" 75 011 ", "75011"),
            ("97400", "97400"),
            ("98800", "98800"),
        ] {
            assert_eq!(postal_code(ok).as_deref(), Ok(shown), "{ok}");
        }
        for bad in [
            "5950",
            "595000",
            "00100",
            "99000",
            "ABCDE",
            "59-50a",
            "",
            "５９５００",
        ] {
            assert_eq!(postal_code(bad), Err(Invalid::PostalCode), "{bad}");
        }
    }

    #[test]
    fn phones_are_french_numbers_in_any_usual_spelling() {
        for ok in [
            "06 12 34 56 78",
            "0612345678",
            "06.12.34.56.78",
            "06-12-34-56-78",
            "+33 6 12 34 56 78",
            "+33612345678",
            "0033 6 12 34 56 78",
            "01 23 45 67 89",
            "09 70 00 00 00",
        ] {
            assert!(phone(ok).is_ok(), "{ok}");
        }
        assert_eq!(phone("+33612345678").as_deref(), Ok("06 12 34 56 78"));
        for bad in [
            "0612",
            "00 12 34 56 78",
            "+44 20 7946 0958",
            "06 12 34 56 7a",
            "061234567890",
            "+33 06 12 34 56 78",
            "",
            "6 12 34 56 78",
        ] {
            assert_eq!(phone(bad), Err(Invalid::Phone), "{bad}");
        }
    }

    /// A NIR's key computed the slow way, to build real-shaped test numbers.
    fn with_key(body: &str) -> String {
        let numeric = body.replace("2A", "19").replace("2B", "18");
        let n: u64 = numeric.parse().unwrap();
        format!("{body}{:02}", 97 - n % 97)
    }

    #[test]
    fn nir_keys_are_checked_including_corsica() {
        // A man born in May 1985 in the Nord (59), commune 350, birth order 123.
        let nord = with_key("1850559350123");
        assert_eq!(&nord[13..], "42", "97 - 1850559350123 mod 97");
        let corse_sud = with_key("290082A004015");
        let haute_corse = with_key("172012B033002");
        for ok in [&nord, &corse_sud, &haute_corse] {
            assert!(nir(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            nir("1 85 05 59 350 123 42").as_deref(),
            Ok("1 85 05 59 350 123 42")
        );
        assert!(nir(&corse_sud.to_lowercase()).is_ok(), "2a in lowercase");
        // One digit changed, or the key changed: the key no longer matches.
        let typo = nord.replacen("350", "351", 1);
        assert_eq!(nir(&typo), Err(Invalid::NirKey));
        assert_eq!(nir("185055935012315"), Err(Invalid::NirKey));
        // Corsica's letters only in the department's place, and with their own key.
        let wrong_corsica = format!(
            "{}{}",
            &corse_sud[..13],
            if &corse_sud[13..] == "01" { "02" } else { "01" }
        );
        assert_eq!(nir(&wrong_corsica), Err(Invalid::NirKey));
        for bad in [
            "18505593501231",
            "1850559350123145",
            "5850559350123xx",
            "185055935A12314",
            "2900A20040150 1",
            "",
            "0850559350123 14",
        ] {
            assert_eq!(nir(bad), Err(Invalid::Nir), "{bad}");
        }
    }

    #[test]
    fn ibans_are_checked_by_length_and_mod_97() {
        // Check digits computed for these bank numbers (they are not real accounts).
        for ok in [
            "FR76 3000 6000 0112 3456 7890 189",
            "FR1420041010050500013M02606",
            "DE89 3704 0044 0532 0130 00",
            "BE68 5390 0754 7034",
            "GB82 WEST 1234 5698 7654 32",
            "fr76 3000 6000 0112 3456 7890 189",
        ] {
            assert!(iban(ok).is_ok(), "{ok}");
        }
        assert_eq!(
            iban("FR7630006000011234567890189").as_deref(),
            Ok("FR76 3000 6000 0112 3456 7890 189")
        );
        assert_eq!(
            iban("FR77 3000 6000 0112 3456 7890 189"),
            Err(Invalid::IbanKey)
        );
        assert_eq!(
            iban("FR76 3000 6000 0112 3456 7890 198"),
            Err(Invalid::IbanKey)
        );
        assert_eq!(iban("FR76 3000 6000 0112 3456 7890 18"), Err(Invalid::Iban));
        assert_eq!(
            iban("XX76 3000 6000 0112 3456 7890 189"),
            Err(Invalid::IbanCountry)
        );
        assert_eq!(iban("FR7é 3000"), Err(Invalid::Iban));
        assert_eq!(iban(""), Err(Invalid::Iban));
    }

    #[test]
    fn emails_need_a_name_an_at_sign_and_a_domain() {
        for ok in [
            "claire.martin@exemple.fr",
            "a+b@la-poste.net",
            "Jean@Exemple.FR",
            "élodie@exemple.fr",
        ] {
            assert!(email(ok).is_ok(), "{ok}");
        }
        assert_eq!(email("Jean@Exemple.FR").as_deref(), Ok("Jean@exemple.fr"));
        for bad in [
            "claire",
            "claire@",
            "@exemple.fr",
            "claire@exemple",
            "claire martin@exemple.fr",
            "claire@@exemple.fr",
            "claire@exemple..fr",
            "claire@-x.fr",
            ".a@b.fr",
            "a@b.f",
        ] {
            assert_eq!(email(bad), Err(Invalid::Email), "{bad}");
        }
    }

    #[test]
    fn dates_exist_and_birth_dates_are_not_in_the_future() {
        assert_eq!(
            date("03/04/1950", true, today()).as_deref(),
            Ok("03/04/1950")
        );
        assert_eq!(
            date("3/4/1950", false, today()).as_deref(),
            Ok("03/04/1950")
        );
        assert_eq!(
            date("1950-04-03", true, today()).as_deref(),
            Ok("03/04/1950")
        );
        assert_eq!(
            date("29/02/2024", false, today()).as_deref(),
            Ok("29/02/2024")
        );
        assert_eq!(
            date("02/12/2026", true, today()).as_deref(),
            Ok("02/12/2026")
        );
        assert_eq!(date("03/12/2026", true, today()), Err(Invalid::DateFuture));
        assert!(
            date("03/12/2027", false, today()).is_ok(),
            "an appointment may be later"
        );
        for bad in [
            "31/04/2020",
            "29/02/2023",
            "12/1950",
            "hier",
            "01/01/1850",
            "1950-4-3",
            "",
        ] {
            assert_eq!(date(bad, false, today()), Err(Invalid::Date), "{bad}");
        }
    }

    #[test]
    fn numbers_accept_french_writing_and_bounds() {
        for (ok, shown) in [
            ("1 234,50", "1234,50"),
            ("1234.5", "1234,5"),
            ("0", "0"),
            ("-3", "-3"),
            ("12\u{a0}000", "12000"),
        ] {
            assert_eq!(number(ok, None, None).as_deref(), Ok(shown), "{ok}");
        }
        for bad in ["douze", "1,2,3", "1-2", "--1", "12€", ",", "1e5"] {
            assert_eq!(number(bad, None, None), Err(Invalid::Number), "{bad}");
        }
        assert_eq!(number("-1", Some(0.0), None), Err(Invalid::NumberRange));
        assert_eq!(
            number("11", Some(0.0), Some(10.0)),
            Err(Invalid::NumberRange)
        );
        assert!(number("10", Some(0.0), Some(10.0)).is_ok());
    }

    #[test]
    fn texts_are_bounded_and_have_no_control_characters() {
        assert!(text("Bonjour", MAX_TEXT).is_ok());
        assert_eq!(
            text(&"a".repeat(MAX_TEXT + 1), MAX_TEXT),
            Err(Invalid::TooLong)
        );
        assert!(
            text(&"é".repeat(MAX_TEXT), MAX_TEXT).is_ok(),
            "characters, not bytes"
        );
        assert_eq!(text("a\u{0}b", MAX_TEXT), Err(Invalid::Text));
        assert_eq!(text("a\nb", MAX_TEXT), Err(Invalid::Text));
        assert_eq!(text("a\r\nb", MAX_LONG_TEXT).as_deref(), Ok("a\nb"));
        assert!(address("12 rue des Lilas").is_ok());
        assert_eq!(address("12"), Err(Invalid::Address));
        assert!(commune("Saint-Étienne-du-Rouvray").is_ok());
        assert!(commune("L'Haÿ-les-Roses").is_ok());
        assert_eq!(commune("<script>"), Err(Invalid::Commune));
        assert_eq!(commune("12345"), Err(Invalid::Commune));
    }

    fn field(kind: FieldType, required: bool, choices: &[&str]) -> Field {
        Field {
            kind,
            required,
            choices: choices.iter().map(|c| c.to_string()).collect(),
            ..Field::default()
        }
    }

    #[test]
    fn check_handles_required_answers_and_choices() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let required = field(FieldType::Text, true, &[]);
        assert_eq!(
            check(&required, &v(&["  "]), today()),
            Err(Invalid::Required)
        );
        assert_eq!(check(&required, &[], today()), Err(Invalid::Required));
        let optional = field(FieldType::PostalCode, false, &[]);
        assert_eq!(check(&optional, &v(&[""]), today()), Ok(vec![]));
        assert_eq!(
            check(&optional, &v(&["1"]), today()),
            Err(Invalid::PostalCode)
        );
        let yes_no = field(FieldType::YesNo, true, &[]);
        assert!(check(&yes_no, &v(&["oui"]), today()).is_ok());
        assert_eq!(
            check(&yes_no, &v(&["peut-être"]), today()),
            Err(Invalid::YesNo)
        );
        let one = field(FieldType::Choice, true, &["Bus", "Train"]);
        assert!(check(&one, &v(&["Bus"]), today()).is_ok());
        assert_eq!(check(&one, &v(&["Avion"]), today()), Err(Invalid::Choice));
        assert_eq!(
            check(&one, &v(&["Bus", "Train"]), today()),
            Err(Invalid::Choice)
        );
        let many = field(FieldType::Choices, true, &["Bus", "Train"]);
        assert_eq!(
            check(&many, &v(&["Bus", "Train"]), today()),
            Ok(v(&["Bus", "Train"]))
        );
        assert_eq!(
            check(&many, &v(&["Bus", "Bus"]), today()),
            Err(Invalid::Choice)
        );
        assert_eq!(
            check(&many, &v(&["Bus", "Avion"]), today()),
            Err(Invalid::Choice)
        );
        let signature = field(FieldType::Signature, true, &[]);
        assert_eq!(check(&signature, &[], today()), Ok(vec![]));
    }
}
