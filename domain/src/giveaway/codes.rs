//! Prize codes as a tenant uploads them for one prize: pasted one per line, or a CSV
//! file whose first column is the code (a header row `code` is skipped; quoted fields
//! with `""` are understood). Codes are checked and de-duplicated here; sealing and
//! handing them out is the backend's.
//!
//! Pure.

use crate::ValidationError;

/// The longest code, in characters.
pub const MAX_CODE: usize = 200;
/// The most codes one upload may bring.
pub const MAX_UPLOAD: usize = 2_000;
/// The most codes a giveaway may hold in all.
pub const MAX_PER_GIVEAWAY: usize = 10_000;

/// The codes of an upload, in order, each once. Empty lines are skipped; an upload with no
/// code, too many, a code too long or with control characters is refused whole.
pub fn parse_codes(raw: &str) -> Result<Vec<String>, ValidationError> {
    let raw = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    let mut out: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, line) in raw.lines().enumerate() {
        let code = first_field(line)?;
        let code = code.trim();
        if code.is_empty() || (i == 0 && code.eq_ignore_ascii_case("code")) {
            continue;
        }
        if code.chars().count() > MAX_CODE {
            return Err(ValidationError::TooLong);
        }
        if code.chars().any(char::is_control) {
            return Err(ValidationError::ForbiddenCharacters);
        }
        if seen.insert(code.to_owned()) {
            out.push(code.to_owned());
        }
        if out.len() > MAX_UPLOAD {
            return Err(ValidationError::TooMany);
        }
    }
    if out.is_empty() {
        return Err(ValidationError::Required);
    }
    Ok(out)
}

/// A CSV line's first field: up to the first comma, or a quoted field (`""` is a quote).
/// A line without a comma is the code itself (a pasted list).
fn first_field(line: &str) -> Result<String, ValidationError> {
    let line = line.trim_start();
    let Some(rest) = line.strip_prefix('"') else {
        return Ok(line.split(',').next().unwrap_or_default().to_owned());
    };
    let mut field = String::new();
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '"' {
            if chars.peek() == Some(&'"') {
                chars.next();
                field.push('"');
            } else {
                return Ok(field);
            }
        } else {
            field.push(c);
        }
    }
    // An opening quote never closed.
    Err(ValidationError::ForbiddenCharacters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_lines_are_codes_in_order_each_once() {
        assert_eq!(
            parse_codes("AAA-1\r\n\n  BBB-2  \nAAA-1\n").unwrap(),
            vec!["AAA-1", "BBB-2"]
        );
    }

    #[test]
    fn csv_takes_the_first_column_and_skips_the_header() {
        let csv = "\u{feff}code,value\nX1,10 USD\n\"Y,2\",20 USD\n\"say \"\"hi\"\"\",x\n";
        assert_eq!(parse_codes(csv).unwrap(), vec!["X1", "Y,2", "say \"hi\""]);
    }

    #[test]
    fn refuses_empty_long_control_and_too_many() {
        assert_eq!(parse_codes(" \n\n"), Err(ValidationError::Required));
        assert_eq!(parse_codes("code\n"), Err(ValidationError::Required));
        assert_eq!(
            parse_codes(&"x".repeat(MAX_CODE + 1)),
            Err(ValidationError::TooLong)
        );
        assert_eq!(
            parse_codes("ok\nbad\u{7}code"),
            Err(ValidationError::ForbiddenCharacters)
        );
        assert_eq!(
            parse_codes("\"never closed"),
            Err(ValidationError::ForbiddenCharacters)
        );
        let many: String = (0..=MAX_UPLOAD).map(|i| format!("C{i}\n")).collect();
        assert_eq!(parse_codes(&many), Err(ValidationError::TooMany));
        let just: String = (0..MAX_UPLOAD).map(|i| format!("C{i}\n")).collect();
        assert_eq!(parse_codes(&just).unwrap().len(), MAX_UPLOAD);
    }
}
