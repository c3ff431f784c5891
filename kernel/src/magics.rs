//! Cell magics: `%%sql` and `%%explain` cells become Rust code on the prelude's `session`, and `:help` lists what a
//! Flint notebook offers. Everything else is Rust, for evcxr.

/// What a cell asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// Rust code for evcxr (a magic cell translated, or the cell as written).
    Rust(String),
    /// Flint's `:help`: the text to show.
    Help,
}

/// The text `:help` shows (Markdown, readable as plain text).
pub const HELP: &str = "\
**Flint notebooks** — Rust cells with Flint's engine loaded: `use flint_engine::prelude::*;` and a `session` \
(`local[*]`) are ready.

| command | what it does |
|---|---|
| `%%sql` | runs the SQL of the cell (statements separated by `;`) on `session` and shows the last result as a table |
| `%%explain` | shows the parsed, analysed, optimised and physical plans of the cell's SQL query |
| `:help` | this list |
| `:vars` | the variables defined so far (evcxr) |
| `:timing` | toggles the time each cell takes (evcxr) |

Examples:

```rust
let words = session.text_file(\"datasets/book.txt\", 2)?
    .flat_map(|line| line.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>())
    .map(|w| (w, 1))
    .reduce_by_key(|a, b| a + b);
words.take(5)?
```

```rust
let people = session.read().option(\"inferSchema\", \"true\").csv(\"datasets/fakefriends.csv\")?
    .to_df([\"id\", \"name\", \"age\", \"friends\"])?;
people.create_or_replace_temp_view(\"people\")?;
people.group_by([\"age\"]).agg([avg(\"friends\")])?   // shown as a table
```

```
%%sql
SELECT age, count(*) AS n FROM people GROUP BY age ORDER BY n DESC
```

A running job can be stopped with the notebook's interrupt button; earlier variables are kept.
";

/// Reads a cell: a magic (`%%sql`, `%%explain`, `:help`) or Rust.
pub fn parse(code: &str) -> Result<Cell, String> {
    let trimmed = code.trim_start();
    if trimmed.trim_end() == ":help" {
        return Ok(Cell::Help);
    }
    let (first, body) = trimmed.split_once('\n').unwrap_or((trimmed, ""));
    let magic = first.trim_end();
    match magic {
        "%%sql" => {
            let statements = split_statements(body);
            let Some((last, before)) = statements.split_last() else {
                return Err("%%sql: the cell has no SQL statement after its first line".into());
            };
            // The last call is the cell's value: its DataFrame shows as a table.
            let mut rust = String::new();
            for statement in before {
                rust.push_str(&format!("session.sql({})?;\n", raw_string(statement)));
            }
            rust.push_str(&format!("session.sql({})?", raw_string(last)));
            Ok(Cell::Rust(rust))
        }
        "%%explain" => match split_statements(body).as_slice() {
            [query] => Ok(Cell::Rust(format!(
                "{{\nlet flint_plan = session.sql({})?.explain_string(true)?;\nprint!(\"{{flint_plan}}\");\n}}",
                raw_string(query)
            ))),
            [] => Err("%%explain: the cell has no SQL query after its first line".into()),
            _ => Err("%%explain: the cell must hold one SQL query".into()),
        },
        m if m.starts_with("%%") => {
            Err(format!("`{m}` is not a Flint cell magic; use %%sql or %%explain (:help lists them)"))
        }
        _ => Ok(Cell::Rust(code.to_string())),
    }
}

/// A Rust raw string literal holding `text` exactly.
fn raw_string(text: &str) -> String {
    let hashes = (0..).find(|&n| !text.contains(&format!("\"{}", "#".repeat(n)))).unwrap_or(0).max(1);
    let h = "#".repeat(hashes);
    format!("r{h}\"{text}\"{h}")
}

/// The statements of a SQL text, cut at the `;` outside quotes and comments, trimmed, empty ones left out.
fn split_statements(sql: &str) -> Vec<String> {
    let mut statements = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match quote {
            Some(q) => {
                current.push(c);
                if c == '\\' && q != '`' {
                    // Spark's string literals escape with a backslash.
                    if let Some(next) = chars.next() {
                        current.push(next);
                    }
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => {
                    quote = Some(c);
                    current.push(c);
                }
                '-' if chars.peek() == Some(&'-') => {
                    // A comment runs to the end of its line.
                    for skipped in chars.by_ref() {
                        if skipped == '\n' {
                            current.push('\n');
                            break;
                        }
                    }
                }
                ';' => statements.push(std::mem::take(&mut current)),
                _ => current.push(c),
            },
        }
    }
    statements.push(current);
    statements.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_cells_become_session_sql_calls() {
        let cell = parse("%%sql\nSELECT 'a;b' AS s -- not; a cut\n;\nSELECT 2\n").expect("a SQL cell");
        assert_eq!(cell, Cell::Rust("session.sql(r#\"SELECT 'a;b' AS s\"#)?;\nsession.sql(r#\"SELECT 2\"#)?".into()));
        assert!(matches!(parse("%%explain\nSELECT 1"), Ok(Cell::Rust(code)) if code.contains("explain_string(true)")));
    }

    #[test]
    fn other_cells_are_rust_or_help() {
        assert_eq!(parse("let x = 1;"), Ok(Cell::Rust("let x = 1;".into())));
        assert_eq!(parse("  :help \n"), Ok(Cell::Help));
        assert!(parse("%%sql\n  \n").is_err());
        assert!(parse("%%explain\nSELECT 1; SELECT 2").is_err());
        assert!(parse("%%bash\nls").expect_err("unknown magic").contains("not a Flint cell magic"));
    }

    #[test]
    fn raw_strings_hold_any_text() {
        assert_eq!(raw_string("a"), "r#\"a\"#");
        assert_eq!(raw_string("say \"#hi\""), "r##\"say \"#hi\"\"##");
    }
}
