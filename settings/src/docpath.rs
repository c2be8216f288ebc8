//! Dotted-key access to a `toml_edit` document: look up, insert while keeping the user's
//! formatting, and list the keys nobody asked for.
//!
//! Tables may be written as `[headers]`, inline tables or dotted keys; all three are handled.

use toml_edit::{DocumentMut, InlineTable, Item, Table, TableLike, Value};

/// The result of looking up a dotted key.
#[derive(Debug)]
pub(crate) enum Lookup<'a> {
    /// Neither the key nor some table on its path exists.
    Missing,
    /// The key exists and holds this item.
    Found(&'a Item),
    /// A prefix of the key (e.g. `display` in `display.mode`) holds a non-table `item`.
    Blocked {
        /// The dotted prefix that is not a table.
        prefix: String,
        /// What it holds instead.
        item: &'a Item,
    },
}

/// Looks up `key` (segments separated by dots) under `root`.
pub(crate) fn lookup<'a>(root: &'a Table, key: &str) -> Lookup<'a> {
    let segments: Vec<&str> = key.split('.').collect();
    let Some((last, parents)) = segments.split_last() else {
        return Lookup::Missing;
    };
    let mut table: &dyn TableLike = root;
    for (depth, segment) in parents.iter().enumerate() {
        match table.get(segment) {
            None => return Lookup::Missing,
            Some(item) if item.is_none() => return Lookup::Missing,
            Some(item) => match item.as_table_like() {
                Some(inner) => table = inner,
                None => {
                    let prefix = segments[..=depth].join(".");
                    return Lookup::Blocked { prefix, item };
                }
            },
        }
    }
    match table.get(last) {
        Some(item) if !item.is_none() => Lookup::Found(item),
        _ => Lookup::Missing,
    }
}

/// Sets `key` to `value`, creating missing tables and keeping the comment and spacing around
/// a value that is replaced. A non-table value standing where a table is needed is replaced
/// by a table; its dotted key is returned so the caller can say so.
pub(crate) fn insert(doc: &mut DocumentMut, key: &str, value: Value) -> Option<String> {
    let segments: Vec<&str> = key.split('.').collect();
    let mut replaced = None;
    insert_in_table(doc.as_table_mut(), &segments, 0, value, &mut replaced);
    replaced
}

fn insert_in_table(
    table: &mut Table,
    segments: &[&str],
    depth: usize,
    value: Value,
    replaced: &mut Option<String>,
) {
    let Some((&segment, rest)) = segments[depth..].split_first() else {
        return;
    };
    if rest.is_empty() {
        match table.get_mut(segment) {
            Some(Item::Value(old)) => replace_keeping_decor(old, value),
            _ => {
                table.insert(segment, Item::Value(value));
            }
        }
        return;
    }
    if !table.get(segment).is_some_and(Item::is_table_like) {
        if table.contains_key(segment) {
            *replaced = Some(segments[..=depth].join("."));
        }
        table.insert(segment, new_table(table.is_dotted()));
        // `key = value` spacing would otherwise leak into the new `[key]` header.
        if let Some(mut key) = table.key_mut(segment) {
            key.fmt();
        }
    }
    match table.get_mut(segment) {
        Some(Item::Table(inner)) => insert_in_table(inner, segments, depth + 1, value, replaced),
        Some(Item::Value(Value::InlineTable(inner))) => {
            insert_in_inline(inner, segments, depth + 1, value, replaced);
        }
        _ => {}
    }
}

fn insert_in_inline(
    table: &mut InlineTable,
    segments: &[&str],
    depth: usize,
    value: Value,
    replaced: &mut Option<String>,
) {
    let Some((&segment, rest)) = segments[depth..].split_first() else {
        return;
    };
    if rest.is_empty() {
        match table.get_mut(segment) {
            Some(old) => replace_keeping_decor(old, value),
            None => {
                // Move the space before `}` from the last entry to the new one.
                let mut value = value.decorated(" ", "");
                if let Some((_, last)) = table.iter_mut().last() {
                    if let Some(trailing) = last.decor().suffix().cloned() {
                        value.decor_mut().set_suffix(trailing);
                    }
                    last.decor_mut().set_suffix("");
                }
                table.insert(segment, value);
            }
        }
        return;
    }
    let child = table
        .entry(segment)
        .or_insert_with(|| Value::InlineTable(InlineTable::new()));
    if !child.is_inline_table() {
        *replaced = Some(segments[..=depth].join("."));
        *child = Value::InlineTable(InlineTable::new());
    }
    if let Value::InlineTable(inner) = child {
        insert_in_inline(inner, segments, depth + 1, value, replaced);
    }
}

/// A new intermediate table: dotted inside a dotted table, else implicit so that an empty
/// parent (`[workers]` above `[workers.fft]`) gets no header of its own.
fn new_table(dotted: bool) -> Item {
    let mut table = Table::new();
    table.set_implicit(true);
    table.set_dotted(dotted);
    Item::Table(table)
}

fn replace_keeping_decor(old: &mut Value, new: Value) {
    let decor = old.decor().clone();
    *old = new;
    *old.decor_mut() = decor;
}

/// Dotted paths of entries under `root` that are neither a known leaf nor a known table.
///
/// An unknown table is reported once, not key by key; a known table that holds a non-table
/// value is not reported here (the caller reports it as a repair).
pub(crate) fn unknown_keys(
    root: &Table,
    is_leaf: &dyn Fn(&str) -> bool,
    is_table: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let mut out = Vec::new();
    walk(root, "", is_leaf, is_table, &mut out);
    out
}

fn walk(
    table: &dyn TableLike,
    prefix: &str,
    is_leaf: &dyn Fn(&str) -> bool,
    is_table: &dyn Fn(&str) -> bool,
    out: &mut Vec<String>,
) {
    for (key, item) in table.iter() {
        // A quoted key containing a dot can never name a known setting.
        let segment = if key.contains('.') {
            format!("{key:?}")
        } else {
            key.to_owned()
        };
        let path = if prefix.is_empty() {
            segment
        } else {
            format!("{prefix}.{segment}")
        };
        if is_leaf(&path) {
            continue;
        }
        if is_table(&path) {
            if let Some(inner) = item.as_table_like() {
                walk(inner, &path, is_leaf, is_table, out);
            }
            continue;
        }
        out.push(path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> DocumentMut {
        text.parse().expect("test TOML parses")
    }

    #[test]
    fn lookup_handles_every_table_style() {
        let cases = [
            "[display]\nmode = 'fit'\n",
            "display = { mode = 'fit' }\n",
            "display.mode = 'fit'\n",
            "[display]\nmode = 'fit'\n[display.extra]\n",
        ];
        for text in cases {
            let d = doc(text);
            let found = match lookup(d.as_table(), "display.mode") {
                Lookup::Found(item) => item.as_str().map(str::to_owned),
                other => panic!("{text}: {other:?}"),
            };
            assert_eq!(found.as_deref(), Some("fit"), "{text}");
        }
    }

    #[test]
    fn lookup_reports_missing_and_blocked() {
        let d = doc("display = 5\n[workers]\nheartbeat_ms = 1\n");
        assert!(
            matches!(lookup(d.as_table(), "display.mode"), Lookup::Blocked { prefix, .. } if prefix == "display")
        );
        assert!(matches!(
            lookup(d.as_table(), "workers.fft.enabled"),
            Lookup::Missing
        ));
        assert!(matches!(
            lookup(d.as_table(), "logging.level"),
            Lookup::Missing
        ));
    }

    #[test]
    fn insert_keeps_formatting_and_creates_tables() {
        let cases: &[(&str, &str, &str)] = &[
            (
                "",
                "workers.fft.enabled",
                "[workers.fft]\nenabled = false\n",
            ),
            (
                "[display]\nmode = 'fit' # mine\n",
                "display.mode",
                "[display]\nmode = false # mine\n",
            ),
            (
                "display = { mode = 'fit' }\n",
                "display.x",
                "display = { mode = 'fit', x = false }\n",
            ),
            (
                "display.mode = 'fit'\n",
                "display.x",
                "display.mode = 'fit'\ndisplay.x = false\n",
            ),
            ("display = 5\n", "display.mode", "[display]\nmode = false\n"),
        ];
        for &(before, key, after) in cases {
            let mut d = doc(before);
            insert(&mut d, key, Value::from(false));
            assert_eq!(d.to_string(), after, "{before:?} + {key}");
        }
    }

    #[test]
    fn unknown_keys_are_reported_once_per_unknown_table() {
        let d = doc(
            "version = 1\nextra = 1\n\"a.b\" = 2\n[display]\nmode = 'x'\nold = 1\n[future]\na = 1\nb = 2\n",
        );
        let leaf = |k: &str| matches!(k, "version" | "display.mode");
        let table = |k: &str| k == "display";
        assert_eq!(
            unknown_keys(d.as_table(), &leaf, &table),
            ["extra", "\"a.b\"", "display.old", "future"]
        );
    }
}
