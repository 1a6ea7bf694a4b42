//! The one CSV line splitter the label and pair files go through: `labels.csv` quotes fields
//! that hold commas, so a plain `split(',')` would shift every later column.

/// Splits one CSV line, honouring double quotes (`""` inside quotes is a literal quote).
pub fn split_line(line: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

/// Column `i` of a split row, or empty when the row is short (a malformed row never panics).
pub fn field(row: &[String], i: usize) -> &str {
    row.get(i).map(String::as_str).unwrap_or("")
}

/// Joins fields into one CSV line, quoting a field that holds a comma, a quote or a line break.
pub fn join_line(fields: &[&str]) -> String {
    let quote = |f: &str| {
        if f.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", f.replace('"', "\"\""))
        } else {
            f.to_string()
        }
    };
    fields.iter().map(|f| quote(f)).collect::<Vec<_>>().join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_commas_stay_in_their_field() {
        assert_eq!(split_line(r#"a,"b, c",d"#), vec!["a", "b, c", "d"]);
        assert_eq!(split_line(r#""say ""hi""",x"#), vec![r#"say "hi""#, "x"]);
        assert_eq!(field(&split_line("a"), 3), "");
    }

    #[test]
    fn joined_lines_split_back() {
        let fields = ["a", "b, c", r#"say "hi""#, ""];
        assert_eq!(split_line(&join_line(&fields)), fields);
    }
}
