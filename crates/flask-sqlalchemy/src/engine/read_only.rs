//! Which statements [`Engine::fetch_read_only`](crate::Engine::fetch_read_only) runs: one,
//! that reads.

use crate::Error;

/// The words a reading statement starts with.
const READING: [&str; 5] = ["select", "with", "explain", "values", "show"];

/// Whether `sql` is one statement that starts as a reading one does; the error says why not.
pub(crate) fn check(sql: &str) -> Result<(), Error> {
    let body = strip_comments(sql);
    let first = body
        .split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| !w.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !READING.contains(&first.as_str()) {
        return Err(Error::NotReadOnly(format!(
            "only statements that read run here (SELECT, WITH, EXPLAIN, VALUES, SHOW), and this one starts with {:?}",
            if first.is_empty() {
                body.trim()
            } else {
                &first
            }
        )));
    }
    if let Some(end) = statement_end(&body)
        && !body[end + 1..].trim().is_empty()
    {
        return Err(Error::NotReadOnly(
            "one statement at a time: this text has more than one (a `;` ends the first)".into(),
        ));
    }
    Ok(())
}

/// `sql` without its `--` and `/* */` comments (quoted text kept).
fn strip_comments(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '`' => {
                quote = Some(c);
                out.push(c);
            }
            '-' if chars.peek() == Some(&'-') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                out.push(' ');
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let mut last = ' ';
                for c in chars.by_ref() {
                    if last == '*' && c == '/' {
                        break;
                    }
                    last = c;
                }
                out.push(' ');
            }
            c => out.push(c),
        }
    }
    out
}

/// Where the first `;` outside quotes is.
fn statement_end(sql: &str) -> Option<usize> {
    let mut quote: Option<char> = None;
    for (i, c) in sql.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                ';' => return Some(i),
                _ => {}
            },
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn reading_statements_pass_and_others_are_refused() {
        for ok in [
            "select count(*) from post",
            "  -- the posts\n SELECT * FROM post;",
            "/* x */ with t as (select 1) select * from t",
            "EXPLAIN select 1",
            "select ';' as semi",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for refused in [
            "delete from post",
            "update post set title = 'x'",
            "drop table post",
            "select 1; delete from post",
            "/* select */ insert into post values (1)",
            "",
        ] {
            let err = check(refused).unwrap_err().to_string();
            assert!(
                err.contains("only statements that read") || err.contains("one statement"),
                "{refused}: {err}"
            );
        }
    }
}
