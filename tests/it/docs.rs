//! The docs say what the code does: every command's option table (the one after its
//! `<!-- options: COMMAND -->` marker in README.md or docs/) names exactly the options of
//! the command's `--help`, with their values; the README lists every command and stays a
//! front page; ARCHITECTURE.md names every top-level module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use clap::CommandFactory as _;
use hookrig::cmd::Cli;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// README.md and every page under docs/, with their text.
fn pages() -> Vec<(PathBuf, String)> {
    let mut files = vec![root().join("README.md")];
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root().join("docs"))
        .expect("docs/")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    docs.sort();
    files.extend(docs);
    files
        .into_iter()
        .map(|f| {
            let text = std::fs::read_to_string(&f).unwrap();
            (f, text)
        })
        .collect()
}

/// The first cell of each row of every option table, by command, with the page it is on.
fn option_tables() -> BTreeMap<String, (PathBuf, Vec<String>)> {
    let mut tables: BTreeMap<String, (PathBuf, Vec<String>)> = BTreeMap::new();
    for (file, text) in pages() {
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            let Some(name) = line
                .trim()
                .strip_prefix("<!-- options:")
                .and_then(|r| r.strip_suffix("-->"))
            else {
                continue;
            };
            let rows: Vec<String> = lines
                .by_ref()
                .take_while(|l| l.starts_with('|'))
                .skip(2) // the header and the |---| line
                .map(|row| {
                    // `\|` separates values inside a cell; `|` separates cells.
                    let row = row.replace("\\|", "\u{0}");
                    row.split('|').nth(1).unwrap_or("").replace('\u{0}', "|")
                })
                .collect();
            let name = name.trim().to_owned();
            assert!(
                !tables.contains_key(&name),
                "two option tables for `{name}` ({} and {})",
                tables[&name].0.display(),
                file.display()
            );
            tables.insert(name, (file.clone(), rows));
        }
    }
    tables
}

/// Every `--option` named in a cell.
fn long_options(cell: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = cell;
    while let Some(i) = rest.find("--") {
        let name: String = rest[i + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if !name.is_empty() {
            out.insert(name.clone());
        }
        rest = &rest[i + 2 + name.len()..];
    }
    out
}

#[test]
fn every_commands_option_table_names_exactly_the_options_of_its_help() {
    let tables = option_tables();
    let cli = Cli::command();
    let mut problems = Vec::new();

    for cmd in cli.get_subcommands() {
        let name = cmd.get_name();
        let Some((file, rows)) = tables.get(name) else {
            problems.push(format!(
                "`hookrig {name}` has no option table (`<!-- options: {name} -->`)"
            ));
            continue;
        };
        let documented: BTreeSet<String> = rows.iter().flat_map(|r| long_options(r)).collect();
        let args: Vec<&clap::Arg> = cmd
            .get_arguments()
            .filter(|a| !a.is_hide_set())
            .filter(|a| a.get_long().is_some_and(|l| l != "help" && l != "version"))
            .collect();
        let actual: BTreeSet<String> = args
            .iter()
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect();
        for missing in actual.difference(&documented) {
            problems.push(format!(
                "{}: `hookrig {name} --{missing}` is not in the option table",
                file.display()
            ));
        }
        for extra in documented.difference(&actual) {
            problems.push(format!(
                "{}: the `{name}` table names `--{extra}`, which `hookrig {name} --help` does not have",
                file.display()
            ));
        }
        for arg in args {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|v| !v.is_hide_set())
                .map(|v| v.get_name().to_owned())
                .collect();
            if !arg.get_action().takes_values() || values.is_empty() {
                continue;
            }
            let long = format!("--{}", arg.get_long().unwrap_or_default());
            let want = format!("{long} {}", values.join("|"));
            if !rows.iter().any(|r| r.contains(&want)) {
                problems.push(format!(
                    "{}: the `{name}` table should write `{want}` (its values as --help lists them)",
                    file.display()
                ));
            }
        }
    }
    for name in tables.keys() {
        if cli.find_subcommand(name).is_none() {
            problems.push(format!("an option table for `{name}`, which is no command"));
        }
    }

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_readme_is_a_front_page_listing_every_command() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();

    let lines = readme.lines().count();

    assert!(
        lines <= 300,
        "README.md has {lines} lines; move detail to docs/"
    );
    for cmd in Cli::command().get_subcommands() {
        let row = format!("| `hookrig {}", cmd.get_name());
        assert!(
            readme.contains(&row),
            "README's command table has no {row}…"
        );
    }
    assert!(readme.contains("cargo run --release -- run"));
    assert!(readme.contains("cargo test"));
}

#[test]
fn architecture_md_names_every_top_level_module() {
    let lib = std::fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();

    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.strip_prefix("pub mod "))
        .filter_map(|l| l.strip_suffix(';'))
        .collect();

    assert!(modules.len() > 10, "{modules:?}");
    for m in modules {
        assert!(
            arch.contains(&format!("**`{m}`**")),
            "ARCHITECTURE.md does not describe the module `{m}`"
        );
    }
}

#[test]
fn an_option_cell_names_each_of_its_options() {
    assert_eq!(
        long_options("`--only CHECK…` / `--skip CHECK…`"),
        ["only", "skip"].map(String::from).into()
    );
    assert_eq!(
        long_options("`--format text|json|junit`"),
        ["format"].map(String::from).into()
    );
}
