//! Durations and byte sizes as compose files write them and the docker CLI reads them:
//! durations in Go's `time.ParseDuration` notation (`1m30s`, `500ms`, `1.5h`), sizes in
//! docker's `units.RAMInBytes` notation (`512m`, `1.5GiB`, `100kb`, binary multiples).

/// Nanoseconds in `text`, e.g. `1m30s` → 90_000_000_000. Negative durations are refused:
/// nothing in a compose file can use one.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let expected = || format!("`{text}` is not a duration (for example 10s, 1m30s, 500ms)");
    let mut rest = text.trim();
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() || rest.starts_with('-') {
        return Err(expected());
    }
    rest = rest.strip_prefix('+').unwrap_or(rest);
    if rest.is_empty() {
        return Err(expected());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(expected)?;
        let number: f64 = rest[..number_len].parse().map_err(|_| expected())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(expected()),
        };
        rest = &rest[unit_len..];
        total += number * nanos_per_unit;
    }
    if total > i64::MAX as f64 {
        return Err(format!("`{text}` is too long a duration"));
    }
    Ok(total as i64)
}

/// Bytes in `text`, e.g. `512m` → 536_870_912. Plain numbers are bytes.
pub fn parse_bytes(text: &str) -> Result<i64, String> {
    let expected = || format!("`{text}` is not a size (for example 512m, 1.5g, 100kb)");
    let trimmed = text.trim();
    let number_len = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    if number_len == 0 {
        return Err(expected());
    }
    let number: f64 = trimmed[..number_len].parse().map_err(|_| expected())?;
    let unit = trimmed[number_len..].trim_start().to_ascii_lowercase();
    let unit = unit.strip_suffix('b').unwrap_or(&unit);
    let unit = unit.strip_suffix('i').unwrap_or(unit);
    let multiplier: f64 = match unit {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "p" => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(expected()),
    };
    let bytes = number * multiplier;
    if bytes > i64::MAX as f64 {
        return Err(format!("`{text}` is too large"));
    }
    Ok(bytes as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000_000_000;

    #[test]
    fn durations_read_like_go() {
        assert_eq!(parse_duration("10s"), Ok(10 * SECOND));
        assert_eq!(parse_duration("1m30s"), Ok(90 * SECOND));
        assert_eq!(parse_duration("1.5h"), Ok(5400 * SECOND));
        assert_eq!(parse_duration("500ms"), Ok(SECOND / 2));
        assert_eq!(parse_duration("2us"), Ok(2_000));
        assert_eq!(parse_duration("1h2m3s4ms"), Ok(3723 * SECOND + 4_000_000));
        assert_eq!(parse_duration("0"), Ok(0));
        for bad in ["", "10", "1x", "s", "-5s", "1m 30s", "1..5s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_read_like_docker() {
        assert_eq!(parse_bytes("512"), Ok(512));
        assert_eq!(parse_bytes("512m"), Ok(512 << 20));
        assert_eq!(parse_bytes("512M"), Ok(512 << 20));
        assert_eq!(parse_bytes("1g"), Ok(1 << 30));
        assert_eq!(parse_bytes("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_bytes("100kb"), Ok(100 << 10));
        assert_eq!(parse_bytes("2 MB"), Ok(2 << 20));
        for bad in ["", "m", "12x", "1.2.3g", "-1m"] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
    }
}
