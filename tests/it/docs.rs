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

// ---------------------------------------------------------------------------------------
// Every fenced block of README.md and docs/ is run, or says why not.
//
// The line before a block (blank lines aside) is a marker, `<!-- doc: KIND ARGS -->`:
//
// - `not run: REASON` — shown as is; the reason says why (a workflow for GitHub, a command
//   that needs the reader's own server, …);
// - `in .ci/run` — each command of the block is one `.ci/run` runs itself;
// - `sh [exit=N]` — each command runs with bash in the page's scratch folder (a copy of
//   `scenarios/`, `examples/`, `fixtures/` and `profiles/`, `hookrig` on the PATH) and
//   exits N (default 0; `exit=N,M`: N or M, for a run whose outcome is luck by design);
// - `output [exit=N] [any-digits]: COMMAND` — the block is what COMMAND prints (standard
//   output then standard error): its lines appear in that order, one after the other; `…`
//   in a line stands for any text, a line that is only `…` for any lines; with
//   `any-digits` a run of digits stands for any digits (times that vary from run to run);
// - `scenario [file=NAME] [run]` — a scenario file, saved as NAME in the scratch folder
//   and checked by `hookrig validate` (with `run`, `hookrig run` passes it too);
// - `faults [file=NAME]` — a fault file, loaded by `hookrig receive`'s loader;
// - `plan: PROVIDER` — a plan file, loaded by `hookrig emulate PROVIDER`'s loader;
// - `profile [file=NAME]` — a profile file, checked by `hookrig validate`;
// - `profile-part BASE` — keys of a profile file: `base: BASE` plus the block validates;
// - `cargo-toml` — a Cargo.toml excerpt: the dependencies the page's Rust snippet uses;
// - `rust`, `python`, `node` — a test file, run by cargo test in a crate of its own (a path
//   dependency on this one), pytest, or `node --test`.

/// A fenced block: where it is, its language, its marker and its text.
#[derive(Debug, Clone)]
struct Block {
    file: PathBuf,
    line: usize,
    lang: String,
    marker: Option<String>,
    text: String,
}

impl Block {
    fn place(&self) -> String {
        format!(
            "{}:{}",
            self.file
                .strip_prefix(root())
                .unwrap_or(&self.file)
                .display(),
            self.line
        )
    }

    /// The marker's kind and arguments: `output exit=1: hookrig run x` →
    /// ("output", {"exit": "1"}, flags, "hookrig run x").
    fn kind(&self) -> Marker {
        Marker::parse(self.marker.as_deref().unwrap_or(""))
    }

    /// The block's commands: comment and blank lines left out, `\` continuations joined.
    fn commands(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut current = String::new();
        for line in self.text.lines() {
            let t = line.trim();
            if current.is_empty() && (t.is_empty() || t.starts_with('#')) {
                continue;
            }
            match t.strip_suffix('\\') {
                Some(head) => {
                    current.push_str(head.trim_end());
                    current.push(' ');
                }
                None => {
                    current.push_str(t);
                    out.push(std::mem::take(&mut current));
                }
            }
        }
        out
    }
}

#[derive(Debug, Default)]
struct Marker {
    kind: String,
    args: BTreeMap<String, String>,
    flags: BTreeSet<String>,
    rest: String,
}

impl Marker {
    fn parse(text: &str) -> Marker {
        let (head, rest) = match text.split_once(':') {
            Some((h, r)) => (h, r.trim().to_owned()),
            None => (text, String::new()),
        };
        let mut words = head.split_whitespace();
        let mut m = Marker {
            kind: words.next().unwrap_or("").to_owned(),
            rest,
            ..Marker::default()
        };
        if m.kind == "in" || m.kind == "not" {
            // `in .ci/run`, `not run: …`
            m.kind = format!("{} {}", m.kind, words.next().unwrap_or(""));
        }
        for w in words {
            match w.split_once('=') {
                Some((k, v)) => {
                    m.args.insert(k.to_owned(), v.to_owned());
                }
                None => {
                    m.flags.insert(w.to_owned());
                }
            }
        }
        m
    }

    /// The exit codes the marker allows: `exit=N`, or `exit=N,M` for a command whose
    /// outcome is luck by design (0 unless told).
    fn exits(&self) -> Vec<i32> {
        self.args.get("exit").map_or(vec![0], |e| {
            e.split(',')
                .map(|n| n.parse().expect("exit=N or exit=N,M"))
                .collect()
        })
    }
}

/// Every fenced block of a page.
fn page_blocks(file: &Path, text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let trimmed = lines[i].trim_start();
        let Some(lang) = trimmed.strip_prefix("```") else {
            i += 1;
            continue;
        };
        let indent = lines[i].len() - trimmed.len();
        let start = i;
        let mut body = Vec::new();
        i += 1;
        while i < lines.len() && lines[i].trim() != "```" {
            body.push(lines[i].get(indent..).unwrap_or(lines[i].trim_start()));
            i += 1;
        }
        let marker = lines[..start]
            .iter()
            .rev()
            .find(|l| !l.trim().is_empty())
            .and_then(|l| {
                l.trim()
                    .strip_prefix("<!-- doc:")
                    .and_then(|r| r.strip_suffix("-->"))
            })
            .map(|m| m.trim().to_owned());
        out.push(Block {
            file: file.to_owned(),
            line: start + 1,
            lang: lang.trim().to_owned(),
            marker,
            text: body.iter().map(|l| format!("{l}\n")).collect(),
        });
        i += 1;
    }
    out
}

fn all_blocks() -> Vec<Block> {
    pages()
        .iter()
        .flat_map(|(file, text)| page_blocks(file, text))
        .collect()
}

const KINDS: &[&str] = &[
    "not run",
    "in .ci/run",
    "sh",
    "output",
    "scenario",
    "faults",
    "plan",
    "profile",
    "profile-part",
    "cargo-toml",
    "rust",
    "python",
    "node",
];

#[test]
fn every_block_in_the_docs_is_run_by_a_test_or_says_why_not() {
    let mut problems = Vec::new();

    for b in all_blocks() {
        let m = b.kind();
        if b.marker.is_none() {
            problems.push(format!(
                "{}: a ```{} block with no `<!-- doc: KIND -->` marker before it: run it (sh, output, scenario, faults, profile, …) or say `<!-- doc: not run: WHY -->`",
                b.place(),
                b.lang
            ));
        } else if !KINDS.contains(&m.kind.as_str()) {
            problems.push(format!(
                "{}: unknown marker kind `{}` (valid: {})",
                b.place(),
                m.kind,
                KINDS.join(", ")
            ));
        } else if m.kind == "not run" && m.rest.len() < 12 {
            problems.push(format!(
                "{}: `not run` needs its reason after the colon",
                b.place()
            ));
        } else if m.kind == "output" && m.rest.is_empty() {
            problems.push(format!("{}: `output` needs `: COMMAND`", b.place()));
        }
    }

    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_block_is_found_with_its_marker_and_its_commands_joined() {
    let page = "text\n<!-- doc: output exit=1 any-digits: hookrig run x -->\n\n  ```sh\n  a \\\n    --b # c\n  # only a comment\n  d\n  ```\n";

    let blocks = page_blocks(Path::new("p.md"), page);

    assert_eq!(blocks.len(), 1);
    let m = blocks[0].kind();
    assert_eq!(
        (m.kind.as_str(), m.exits(), m.rest.as_str()),
        ("output", vec![1], "hookrig run x")
    );
    assert!(m.flags.contains("any-digits"));
    assert_eq!(blocks[0].commands(), ["a --b # c", "d"]);
}

#[test]
fn a_marker_may_allow_more_than_one_exit_code_for_a_run_that_passes_by_luck() {
    let page = "<!-- doc: output exit=0,1: hookrig run --live x -->\n```text\nwarning\n```\n";

    let blocks = page_blocks(Path::new("p.md"), page);

    assert_eq!(blocks[0].kind().exits(), [0, 1]);
}

/// Whether the doc's sample lines appear in `actual` (see the module's rules).
fn sample_matches(doc: &str, actual: &str, any_digits: bool) -> Result<(), String> {
    fn line_matches(pattern: &str, line: &str, any_digits: bool) -> bool {
        // `…` is any text; with any_digits, a run of digits is any run of digits.
        let mut regex = String::from("^");
        let mut chars = pattern.trim_end().chars().peekable();
        while let Some(c) = chars.next() {
            if c == '…' {
                regex.push_str(".*");
            } else if any_digits && c.is_ascii_digit() {
                while chars.peek().is_some_and(char::is_ascii_digit) {
                    chars.next();
                }
                regex.push_str("[0-9]+");
            } else {
                regex.push_str(&escape(c));
            }
        }
        regex.push('$');
        simple_match(&regex, line.trim_end())
    }
    let actual: Vec<&str> = actual.lines().collect();
    let mut at = 0;
    let mut free = true; // the first doc line may be anywhere
    for want in doc.lines() {
        if want.trim() == "…" {
            free = true;
            continue;
        }
        let found = if free {
            (at..actual.len()).find(|&i| line_matches(want, actual[i], any_digits))
        } else {
            (at < actual.len() && line_matches(want, actual[at], any_digits)).then_some(at)
        };
        match found {
            Some(i) => {
                at = i + 1;
                free = false;
            }
            None => {
                return Err(format!(
                    "the line\n    {want}\nis not {} in the real output:\n{}",
                    if free {
                        "anywhere after the lines before it"
                    } else {
                        "the next line"
                    },
                    actual.join("\n")
                ));
            }
        }
    }
    Ok(())
}

fn escape(c: char) -> String {
    if c.is_ascii_alphanumeric() || c == ' ' {
        c.to_string()
    } else {
        format!("\\x{{{:x}}}", c as u32)
    }
}

/// A match of the tiny regex `escape` and `line_matches` build: literals, `.*`, `[0-9]+`.
fn simple_match(regex: &str, text: &str) -> bool {
    #[derive(Debug)]
    enum Tok {
        Lit(char),
        Any,
        Digits,
    }
    let mut toks = Vec::new();
    let mut r = regex.trim_start_matches('^').trim_end_matches('$');
    while !r.is_empty() {
        if let Some(rest) = r.strip_prefix(".*") {
            toks.push(Tok::Any);
            r = rest;
        } else if let Some(rest) = r.strip_prefix("[0-9]+") {
            toks.push(Tok::Digits);
            r = rest;
        } else if let Some(rest) = r.strip_prefix("\\x{") {
            let end = rest.find('}').expect("escape");
            let c = char::from_u32(u32::from_str_radix(&rest[..end], 16).unwrap()).unwrap();
            toks.push(Tok::Lit(c));
            r = &rest[end + 1..];
        } else {
            let c = r.chars().next().unwrap();
            toks.push(Tok::Lit(c));
            r = &r[c.len_utf8()..];
        }
    }
    let text: Vec<char> = text.chars().collect();
    // Backtracking over positions (the patterns are short).
    fn go(toks: &[Tok], text: &[char]) -> bool {
        match toks.split_first() {
            None => text.is_empty(),
            Some((Tok::Lit(c), rest)) => text.first() == Some(c) && go(rest, &text[1..]),
            Some((Tok::Any, rest)) => (0..=text.len()).any(|i| go(rest, &text[i..])),
            Some((Tok::Digits, rest)) => {
                let n = text.iter().take_while(|c| c.is_ascii_digit()).count();
                (1..=n).any(|i| go(rest, &text[i..]))
            }
        }
    }
    go(&toks, &text)
}

#[test]
fn a_sample_matches_real_output_line_by_line_with_elisions() {
    let real = "head\nPASS  a  (x.yaml)\n      ok @0s\nmiddle\nhookrig: 3 of 3 passed\n";

    let ok = sample_matches(
        "PASS  a  (x.yaml)\n      ok @…\n…\nhookrig: 3 of 3 passed",
        real,
        false,
    );
    let gap = sample_matches("PASS  a  (x.yaml)\nhookrig: 3 of 3 passed", real, false);
    let wrong = sample_matches("hookrig: 2 of 3 passed", real, false);
    let digits = sample_matches("hookrig: 7 of 12 passed", real, true);

    assert_eq!(ok, Ok(()));
    assert!(gap.is_err(), "lines not next to each other need a `…` line");
    assert!(wrong.is_err());
    assert_eq!(digits, Ok(()));
}

/// A page's scratch folder: copies of the folders the docs' commands read, and a `bin/`
/// holding `hookrig` for the PATH.
fn page_folder() -> crate::utils::Scratch {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), &target).unwrap();
            }
        }
    }
    let scratch = crate::utils::Scratch::new();
    for dir in [
        "scenarios",
        "examples",
        "fixtures",
        "profiles",
        "tests/docs",
    ] {
        copy(&root().join(dir), &scratch.path().join(dir));
    }
    let bin = scratch.path().join(".bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_hookrig"), bin.join("hookrig")).unwrap();
    scratch
}

/// Runs `command` with bash in `dir` (`hookrig` on the PATH); its exit code and its
/// standard output followed by its standard error.
fn bash(dir: &Path, command: &str) -> (i32, String) {
    let path = format!(
        "{}:{}",
        dir.join(".bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .args(["-c", command])
        .current_dir(dir)
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

/// Runs one block of a page in the page's folder; a problem found, if any.
fn run_block(b: &Block, dir: &Path) -> Result<(), String> {
    let m = b.kind();
    let name = m
        .args
        .get("file")
        .cloned()
        .unwrap_or_else(|| format!("doc-{}.yaml", b.line));
    let write = |text: &str| {
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
    };
    let expect_exit = |cmd: &str, want: &[i32]| -> Result<String, String> {
        let (code, out) = bash(dir, cmd);
        if want.contains(&code) {
            Ok(out)
        } else {
            Err(format!("`{cmd}` exited {code}, not {want:?}:\n{out}"))
        }
    };
    match m.kind.as_str() {
        "in .ci/run" => {
            // .ci/run's commands (not its comments or messages), `--locked` aside.
            let ci: Vec<String> = std::fs::read_to_string(root().join(".ci/run"))
                .unwrap()
                .lines()
                .map(|l| l.trim().replace(" --locked", ""))
                .filter(|l| !l.starts_with('#') && !l.starts_with("echo"))
                .collect();
            for c in b.commands() {
                let c = c.split(" #").next().unwrap_or(&c).trim();
                if !ci.iter().any(|l| l == c) {
                    return Err(format!("`{c}` is not a command of .ci/run"));
                }
            }
        }
        "sh" => {
            for c in b.commands() {
                expect_exit(&c, &m.exits())?;
            }
        }
        "output" => {
            let out = expect_exit(&m.rest, &m.exits())?;
            sample_matches(&b.text, &out, m.flags.contains("any-digits"))
                .map_err(|e| format!("the sample of `{}` differs: {e}", m.rest))?;
        }
        "scenario" => {
            write(&b.text);
            expect_exit(&format!("hookrig validate '{name}'"), &[0])?;
            if m.flags.contains("run") {
                expect_exit(&format!("hookrig run '{name}'"), &[0])?;
            }
        }
        "profile" => {
            write(&b.text);
            expect_exit(&format!("hookrig validate '{name}'"), &[0])?;
        }
        "profile-part" => {
            write(&format!("base: {}\n{}", m.rest, b.text));
            expect_exit(&format!("hookrig validate '{name}'"), &[0])?;
        }
        "plan" => {
            write(&b.text);
            let provider = hookrig::emulate::Provider::parse(&m.rest)?;
            hookrig::emulate::plan::load(&dir.join(&name), &provider.vocabulary())
                .map_err(|e| format!("the plan does not load: {e:?}"))?;
        }
        "faults" => {
            write(&b.text);
            hookrig::scenario::load::load_faults(&dir.join(&name))
                .map_err(|e| format!("the fault file does not load: {e:?}"))?;
        }
        // Run by their own tests below; `not run` is not run.
        _ => {}
    }
    Ok(())
}

#[test]
fn the_docs_commands_samples_scenarios_fault_files_and_profiles_work() {
    let mut problems = Vec::new();

    for (file, text) in pages() {
        let dir = page_folder();
        for b in page_blocks(&file, &text) {
            if let Err(e) = run_block(&b, dir.path()) {
                problems.push(format!("{}: {e}", b.place()));
            }
        }
    }

    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The blocks of one kind, with the page each is on.
fn blocks_of(kind: &str) -> Vec<Block> {
    all_blocks()
        .into_iter()
        .filter(|b| b.kind().kind == kind)
        .collect()
}

/// Cargo.toml's `repository`.
fn repository() -> String {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    manifest
        .lines()
        .find_map(|l| l.strip_prefix("repository = \""))
        .and_then(|r| r.strip_suffix('"'))
        .expect("Cargo.toml has a repository")
        .to_owned()
}

/// Whether a tool the snippets need is missing: a note (or, when `.ci/run` sets
/// HOOKRIG_CI, a failure: CI must run every snippet).
fn missing(tool: &str, why: &str) {
    assert!(
        std::env::var_os("HOOKRIG_CI").is_none(),
        "{tool} is needed to run the docs' snippets in CI: {why}"
    );
    eprintln!("note: {why}; the docs' {tool} snippets were not run");
}

/// A folder under target/ for a snippet runner, emptied first.
fn snippet_folder(name: &str) -> PathBuf {
    let dir = root().join("target/doc-snippets").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_install_and_dependency_instructions_name_the_crates_repository() {
    let repo = repository();
    let mut named = 0;

    for (file, text) in pages() {
        for url in text
            .split_whitespace()
            .filter(|w| w.contains("github.com/hookrig"))
        {
            let url = url.trim_matches(|c: char| {
                !c.is_ascii_alphanumeric() && c != '/' && c != ':' && c != '.'
            });
            assert_eq!(url, repo, "{} names another address", file.display());
            named += 1;
        }
    }

    assert!(
        named >= 2,
        "README's `cargo install --git` and the Cargo.toml of docs/fixtures.md"
    );
}

#[test]
fn the_crate_is_ready_to_publish_and_packages_without_a_warning() {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml")).unwrap();
    for key in [
        "description",
        "license",
        "repository",
        "readme",
        "keywords",
        "categories",
        "include",
    ] {
        assert!(
            manifest
                .lines()
                .any(|l| l.starts_with(&format!("{key} = "))),
            "Cargo.toml has no `{key}`"
        );
    }

    let list = std::process::Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo runs");
    let package = std::process::Command::new(env!("CARGO"))
        .args(["package", "--no-verify", "--allow-dirty", "--offline"])
        .current_dir(root())
        .output()
        .expect("cargo runs");

    let files = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.status.success(),
        "{}",
        String::from_utf8_lossy(&list.stderr)
    );
    for name in embedded_files() {
        assert!(
            files.lines().any(|f| f == name),
            "the package lacks {name}, which src/ embeds"
        );
    }
    for f in [
        "src/lib.rs",
        "src/main.rs",
        "README.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
        "benches/live.rs",
        "tests/it/main.rs",
    ] {
        assert!(files.lines().any(|l| l == f), "the package lacks {f}");
    }
    assert!(
        !files
            .lines()
            .any(|f| f.starts_with("target/") || f.starts_with(".ci/"))
    );
    let log = String::from_utf8_lossy(&package.stderr);
    assert!(package.status.success(), "{log}");
    assert!(!log.contains("warning"), "cargo package warns:\n{log}");
}

#[test]
fn the_rust_snippets_compile_and_pass_in_a_crate_that_depends_on_hookrig_by_path() {
    let tomls = blocks_of("cargo-toml");
    let snippets = blocks_of("rust");
    assert_eq!(
        tomls.len(),
        1,
        "one Cargo.toml excerpt, for the Rust snippets"
    );
    let dir = snippet_folder("rust");
    // The doc's dependencies, with hookrig taken from this checkout instead of git.
    let deps = tomls[0].text.replace(
        &format!("git = \"{}\"", repository()),
        &format!("path = {:?}", root().display().to_string()),
    );
    assert!(
        deps.contains("path = "),
        "the Cargo.toml excerpt names hookrig by its git address"
    );
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"doc-snippets\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[workspace]\n\n{deps}"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(dir.join("src/lib.rs"), "").unwrap();
    std::fs::create_dir_all(dir.join("tests")).unwrap();
    for (i, b) in snippets.iter().enumerate() {
        std::fs::write(dir.join(format!("tests/snippet_{i}.rs")), &b.text).unwrap();
    }
    // The versions this crate was tested with; the snippets' fixtures as a user makes them.
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let (code, out) = bash_in(&dir, "hookrig fixtures --all --count 3");
    assert_eq!(code, 0, "{out}");

    let test = std::process::Command::new(env!("CARGO"))
        .args(["test", "--offline", "--quiet"])
        .current_dir(&dir)
        // This crate's own target folder: what its tests built is reused.
        .env("CARGO_TARGET_DIR", root().join("target"))
        .output()
        .expect("cargo runs");

    assert_snippets_pass("Rust", &snippets, &test);
}

/// Fails unless the runner of the `language` snippets `blocks` succeeded, naming where
/// they are and showing what it wrote.
fn assert_snippets_pass(language: &str, blocks: &[Block], out: &std::process::Output) {
    assert!(
        out.status.success(),
        "the {language} snippets ({}) fail:\n{}{}",
        blocks
            .iter()
            .map(Block::place)
            .collect::<Vec<_>>()
            .join(", "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `bash` in any folder, with `hookrig` on the PATH.
fn bash_in(dir: &Path, command: &str) -> (i32, String) {
    let bin = dir.join(".bin");
    if !bin.join("hookrig").exists() {
        std::fs::create_dir_all(&bin).unwrap();
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_hookrig"), bin.join("hookrig")).unwrap();
    }
    bash(dir, command)
}

/// The folder a snippet runs in: the snippets in files of their own, beside a copy of
/// `fixtures/` as `hookrig fixtures --all --count 3` writes it.
fn snippet_files(name: &str, blocks: &[Block], file: impl Fn(usize) -> String) -> PathBuf {
    let dir = snippet_folder(name);
    let (code, out) = bash_in(&dir, "hookrig fixtures --all --count 3");
    assert_eq!(code, 0, "{out}");
    for (i, b) in blocks.iter().enumerate() {
        std::fs::write(dir.join(file(i)), &b.text).unwrap();
    }
    dir
}

#[test]
fn the_python_snippets_pass_under_pytest() {
    let blocks = blocks_of("python");
    assert!(!blocks.is_empty());
    // The virtual environment tests/fidelity/run.sh makes (and .ci/run runs first).
    let python = root().join("target/fidelity-venv/bin/python");
    let ready = std::process::Command::new(&python)
        .args([
            "-c",
            "import pytest, flask, standardwebhooks, extend_ai, time_machine",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ready {
        return missing(
            "Python",
            "target/fidelity-venv with pytest, flask, standardwebhooks, extend-ai and time-machine is missing (bash tests/fidelity/run.sh makes it)",
        );
    }
    let dir = snippet_files("python", &blocks, |i| format!("test_snippet_{i}.py"));

    let out = std::process::Command::new(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .current_dir(&dir)
        .output()
        .expect("pytest runs");

    assert_snippets_pass("Python", &blocks, &out);
}

#[test]
fn the_node_snippets_pass_under_node_test() {
    let blocks = blocks_of("node");
    assert!(!blocks.is_empty());
    // The npm folder tests/fidelity/run.sh fills (and .ci/run runs first).
    let modules = root().join("target/fidelity-npm/node_modules");
    let node_ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node_ok || !modules.join("standardwebhooks").is_dir() {
        return missing(
            "Node",
            "node, or the standardwebhooks package in target/fidelity-npm, is missing (bash tests/fidelity/run.sh installs it)",
        );
    }
    let dir = snippet_files("node", &blocks, |i| format!("snippet_{i}.test.mjs"));
    std::os::unix::fs::symlink(&modules, dir.join("node_modules")).unwrap();

    let files: Vec<String> = (0..blocks.len())
        .map(|i| format!("snippet_{i}.test.mjs"))
        .collect();
    let out = std::process::Command::new("node")
        .arg("--test")
        .args(&files)
        .current_dir(&dir)
        .output()
        .expect("node runs");

    assert_snippets_pass("Node", &blocks, &out);
}

#[test]
fn architecture_md_layout_names_every_folder_bench_and_example() {
    let arch = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let layout = arch
        .split("## Files")
        .nth(1)
        .and_then(|l| l.split("\n## ").next())
        .expect("ARCHITECTURE.md has a Files section");
    let names = |dir: &str| -> Vec<(String, bool)> {
        let mut v: Vec<(String, bool)> = std::fs::read_dir(root().join(dir))
            .unwrap()
            .map(|e| e.unwrap())
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.file_type().unwrap().is_dir(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let mut missing = Vec::new();

    for (name, is_dir) in names(".") {
        if is_dir
            && !name.starts_with('.')
            && name != "target"
            && !layout.contains(&format!("{name}/"))
        {
            missing.push(format!("{name}/"));
        }
    }
    for (name, is_dir) in names("tests") {
        if is_dir && !layout.contains(&format!("tests/{name}/")) {
            missing.push(format!("tests/{name}/"));
        }
    }
    for (name, _) in names("benches") {
        if !layout.contains(&name) {
            missing.push(format!("benches/{name}"));
        }
    }
    for (name, is_dir) in names("examples") {
        let named = if is_dir {
            layout.contains(&format!("{name}/"))
        } else {
            layout.contains(&name)
                || (name.starts_with("receiver_") && layout.contains("receiver_*.rs"))
        };
        if !named {
            missing.push(format!("examples/{name}"));
        }
    }

    assert!(
        missing.is_empty(),
        "ARCHITECTURE.md's Files section does not name {missing:?}"
    );
}

#[test]
fn the_docs_and_the_code_cite_no_file_outside_the_repository() {
    // Split so that this file does not name them itself.
    let outside = [
        concat!("DESIGN", ".md"),
        concat!("../", "shared"),
        concat!("/work", "/"),
    ];
    let mut files = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    fn walk(dir: &Path, ext: &[&str], out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, ext, out);
            } else if p.extension().is_some_and(|x| ext.iter().any(|e| x == *e)) {
                out.push(p);
            }
        }
    }
    walk(&root().join("docs"), &["md"], &mut files);
    walk(&root().join("src"), &["rs"], &mut files);
    walk(&root().join("tests/it"), &["rs"], &mut files);
    walk(&root().join("profiles"), &["yaml"], &mut files);
    let mut found = Vec::new();

    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            if let Some(o) = outside.iter().find(|o| line.contains(*o)) {
                found.push(format!("{}:{}: {o}", f.display(), n + 1));
            }
        }
    }

    assert!(
        found.is_empty(),
        "references to files outside the repository:\n{}",
        found.join("\n")
    );
}

/// Every file `src/` embeds with `include_str!` or `include_bytes!`, relative to the root.
fn embedded_files() -> BTreeSet<String> {
    fn walk(dir: &Path, out: &mut BTreeSet<String>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            for part in text.split("include_").skip(1) {
                let Some(arg) = ["str!(\"", "bytes!(\""]
                    .iter()
                    .find_map(|m| part.strip_prefix(m))
                    .and_then(|r| r.split('"').next())
                else {
                    continue;
                };
                let mut at = p.parent().unwrap().to_path_buf();
                for seg in arg.split('/') {
                    match seg {
                        ".." => {
                            at.pop();
                        }
                        s => at.push(s),
                    }
                }
                let rel = at
                    .strip_prefix(root())
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel);
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(&root().join("src"), &mut out);
    out
}

#[test]
fn the_embedded_files_are_found() {
    let files = embedded_files();

    assert!(files.contains("src/report/report.css"), "{files:?}");
    assert!(files.contains("profiles/stripe.yaml"), "{files:?}");
}

#[test]
fn the_readmes_first_scenario_fails_and_is_refused_as_the_readme_says() {
    // README: change `attempts: 2` to `3` and it fails (exit 1) with `attempts: expected 3,
    // got 2`; a typo (`atempts:`, `profile: llamacloud2`) is exit 2 with
    // `my-first.yaml:LINE:COL:` and the nearest valid name.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let first = page_blocks(&root().join("README.md"), &readme)
        .into_iter()
        .find(|b| {
            b.kind()
                .args
                .get("file")
                .is_some_and(|f| f == "my-first.yaml")
        })
        .expect("README's my-first.yaml");
    let dir = page_folder();
    let run = |text: &str| {
        std::fs::write(dir.path().join("my-first.yaml"), text).unwrap();
        bash(dir.path(), "hookrig run my-first.yaml")
    };

    let three = run(&first.text.replace("attempts: 2", "attempts: 3"));
    let key = run(&first.text.replace("attempts: 2", "atempts: 2"));
    let name = run(&first
        .text
        .replace("profile: llamacloud", "profile: llamacloud2"));

    assert_eq!(three.0, 1, "{}", three.1);
    assert!(
        three.1.contains("attempts: expected 3, got 2"),
        "{}",
        three.1
    );
    assert_eq!(key.0, 2, "{}", key.1);
    assert!(
        key.1.contains("my-first.yaml:") && key.1.contains("did you mean `attempts`?"),
        "{}",
        key.1
    );
    assert_eq!(name.0, 2, "{}", name.1);
    assert!(
        name.1.contains("my-first.yaml:3:10:") && name.1.contains("did you mean `llamacloud`?"),
        "{}",
        name.1
    );
}
