//! Calendar dates of activities (`YYYY-MM-DD`) and timestamps as text, without a date crate:
//! the reports need a day, "today" and an ISO 8601 time, nothing more.

use std::fmt;

/// A day of the Gregorian calendar (years 1 to 9999).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

impl Date {
    /// The date, if it exists (no 31 April, no 29 February outside leap years).
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        ((1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(year, month))
        .then_some(Date { year, month, day })
    }

    pub fn year(self) -> u16 {
        self.year
    }

    /// 1 to 12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// 1 to 31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// `2026-03-12` (what `<input type="date">` sends), or `12/03/2026` as people write it
    /// where a browser shows a plain text box instead; surrounding spaces are ignored.
    pub fn parse(text: &str) -> Option<Date> {
        let text = text.trim();
        let number = |s: &str, len: std::ops::RangeInclusive<usize>| {
            (len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u16>().ok())
                .flatten()
        };
        let parts: Vec<&str> = text.split(['-', '/']).collect();
        let [a, b, c] = parts.as_slice() else {
            return None;
        };
        let (year, month, day) = if text.contains('-') && !text.contains('/') {
            (number(a, 4..=4)?, number(b, 2..=2)?, number(c, 2..=2)?)
        } else if text.contains('/') && !text.contains('-') {
            (number(c, 4..=4)?, number(b, 1..=2)?, number(a, 1..=2)?)
        } else {
            return None;
        };
        Date::new(year, u8::try_from(month).ok()?, u8::try_from(day).ok()?)
    }

    /// The date of the day `days` after 1970-01-01 (negative: before).
    pub fn from_days(days: i64) -> Date {
        // Howard Hinnant's `civil_from_days`.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = yoe + era * 400 + i64::from(month <= 2);
        Date {
            year: year.clamp(1, 9999) as u16,
            month,
            day,
        }
    }

    /// Today, in the box's time zone (UTC when it has none).
    pub fn today() -> Date {
        let now = crate::accounts::now();
        // SAFETY: `localtime_r` only writes the `tm` passed by pointer; `now` outlives the call.
        let local = unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            let t: libc::time_t = now as libc::time_t;
            (!libc::localtime_r(&t, &mut tm).is_null()).then_some(tm)
        };
        local
            .and_then(|tm| {
                Date::new(
                    u16::try_from(tm.tm_year + 1900).ok()?,
                    u8::try_from(tm.tm_mon + 1).ok()?,
                    u8::try_from(tm.tm_mday).ok()?,
                )
            })
            .unwrap_or_else(|| Date::from_days(now.div_euclid(86_400)))
    }

    /// "12 mars 2026".
    pub fn french(self) -> String {
        let month = MONTHS[usize::from(self.month - 1)];
        let day = if self.day == 1 {
            "1er".to_owned()
        } else {
            self.day.to_string()
        };
        format!("{day} {month} {}", self.year)
    }
}

impl fmt::Display for Date {
    /// `2026-03-12`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// A time in seconds since the epoch for people: `12 mars 2026 à 09 h 05 (UTC)`.
pub fn french_time(secs: i64) -> String {
    let date = Date::from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!(
        "{} à {:02} h {:02} (UTC)",
        date.french(),
        s / 3600,
        s / 60 % 60
    )
}

/// A time in seconds since the epoch as ISO 8601 in UTC: `2026-03-12T09:05:00Z`.
pub fn utc_timestamp(secs: i64) -> String {
    let date = Date::from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s / 60 % 60, s % 60)
}

/// A time in seconds since the epoch as an HTTP date (RFC 9110 §5.6.7, `Last-Modified`):
/// `Thu, 12 Mar 2026 09:05:00 GMT`.
pub fn http_date(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let days = secs.div_euclid(86_400);
    let date = Date::from_days(days);
    let s = secs.rem_euclid(86_400);
    format!(
        "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
        DAYS[days.rem_euclid(7) as usize],
        date.day,
        MONTHS[usize::from(date.month.clamp(1, 12) - 1)],
        date.year,
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_written_as_rfc_9110_says() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(http_date(1_773_306_300), "Thu, 12 Mar 2026 09:05:00 GMT");
    }

    #[test]
    fn dates_parse_as_browsers_send_them_and_as_people_type_them() {
        let d = |y, m, day| Date::new(y, m, day);
        for (text, expected) in [
            ("2026-03-12", d(2026, 3, 12)),
            (" 2026-03-12 ", d(2026, 3, 12)),
            ("12/03/2026", d(2026, 3, 12)),
            ("1/3/2026", d(2026, 3, 1)),
            ("2024-02-29", d(2024, 2, 29)),
            ("2000-02-29", d(2000, 2, 29)),
            ("2026-02-29", None),
            ("1900-02-29", None),
            ("2026-04-31", None),
            ("2026-13-01", None),
            ("2026-00-10", None),
            ("2026-3-12", None),
            ("26-03-12", None),
            ("2026-03-12T10:00", None),
            ("2026/03-12", None),
            ("12.03.2026", None),
            ("+2026-03-12", None),
            ("", None),
            ("demain", None),
        ] {
            assert_eq!(Date::parse(text), expected, "{text:?}");
        }
        assert_eq!(Date::parse("2026-03-12").unwrap().to_string(), "2026-03-12");
    }

    #[test]
    fn days_and_timestamps_count_from_1970_in_utc() {
        assert_eq!(Date::from_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_days(-1).to_string(), "1969-12-31");
        assert_eq!(Date::from_days(20_524).to_string(), "2026-03-12");
        assert_eq!(Date::from_days(11_016).to_string(), "2000-02-29");
        assert_eq!(utc_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(utc_timestamp(1_773_306_300), "2026-03-12T09:05:00Z");
        let today = Date::today();
        assert!(today.year() >= 2024, "{today}");
    }

    #[test]
    fn dates_read_in_french() {
        assert_eq!(Date::new(2026, 3, 12).unwrap().french(), "12 mars 2026");
        assert_eq!(Date::new(2026, 8, 1).unwrap().french(), "1er août 2026");
    }
}
