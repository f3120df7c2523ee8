//! Time axis labels in the viewer's zone, from Unix seconds and the zone's offset.

/// `14:05` for a span of up to two days, `03-28` (month-day) beyond.
pub fn local_label(at: i64, utc_offset_minutes: i32, span_seconds: i64) -> String {
    let local = at + i64::from(utc_offset_minutes) * 60;
    let days = local.div_euclid(86_400);
    let seconds = local.rem_euclid(86_400);
    if span_seconds <= 2 * 86_400 {
        format!("{:02}:{:02}", seconds / 3600, seconds % 3600 / 60)
    } else {
        let (_, month, day) = civil_from_days(days);
        format!("{month:02}-{day:02}")
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_follow_the_viewers_zone() {
        // 2026-12-02 18:30:00 UTC.
        let at = 1_796_236_200;
        assert_eq!(local_label(at, 0, 3600), "18:30");
        assert_eq!(local_label(at, 60, 3600), "19:30");
        assert_eq!(local_label(at, -19 * 60, 3600), "23:30");
        assert_eq!(local_label(at, 0, 7 * 86_400), "12-02");
        assert_eq!(local_label(at, 6 * 60, 7 * 86_400), "12-03");
    }
}
