//! Where scenarios come from: files and folders expanded (`*.yaml`, `*.yml`, sorted),
//! each file read and told apart (a scenario, a list under `scenarios:`, or a profile
//! file that is checked and never run), and scenario names checked unique across the run.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::diagnostics::{file_error, kind, loc, yaml_error};
use super::{Cx, Position};
use crate::profile;
use crate::scenario::raw::{self, RawScenario, Spanned};
use crate::scenario::{InputError, Scenario};

/// What loading produced: the valid scenarios and every error found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Valid scenarios, in file order.
    pub scenarios: Vec<Scenario>,
    /// Every problem found.
    pub errors: Vec<InputError>,
    /// Files read.
    pub files: Vec<PathBuf>,
    /// Profile files among them that are valid (checked, test vectors included; never run).
    pub profiles: usize,
}

/// Loads every scenario under `paths` (files, or folders searched recursively), reading
/// and checking the files on one thread per core ([`load_paths_on`]).
pub fn load_paths(paths: &[PathBuf]) -> Loaded {
    load_paths_on(paths, crate::par::default_jobs())
}

/// [`load_paths`] on `jobs` threads: the files are read and checked side by side and
/// taken in file order, so the scenarios, the errors and their order (a duplicate name
/// named against its first use) are those of one thread.
pub fn load_paths_on(paths: &[PathBuf], jobs: usize) -> Loaded {
    let mut loaded = Loaded::default();
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files, &mut loaded.errors);
    }
    // Most files hold one scenario: sized once rather than doubled (and copied) as it grows.
    loaded.scenarios.reserve(files.len());
    // Each name with where it was first used: the index of its file in `loaded.files`.
    let mut names: HashMap<String, (usize, Position)> = HashMap::new();
    let never: Result<(), std::convert::Infallible> = crate::par::in_order(
        files.len(),
        jobs,
        Vec::new,
        |buf, i| {
            let file = &files[i];
            read_text(file, buf)
                .map_err(|e| vec![file_error(file, format!("cannot read: {e}"))])
                .and_then(|text| parse_any(file, text))
        },
        |here, parsed| {
            let file = &files[here];
            match parsed {
                Ok(Parsed::Profile) => loaded.profiles += 1,
                Ok(Parsed::Scenarios(list)) => {
                    for (scenario, pos) in list {
                        if let Some(&(first_file, first)) = names.get(&scenario.name) {
                            let first_at = match first {
                                (Some(l), Some(c)) => format!(":{l}:{c}"),
                                (Some(l), None) => format!(":{l}"),
                                _ => String::new(),
                            };
                            loaded.errors.push(InputError {
                                file: file.clone(),
                                line: pos.0,
                                column: pos.1,
                                message: format!(
                                    "name: duplicate scenario name `{}` (first used at {}{first_at}); names must be unique in a run",
                                    scenario.name,
                                    files[first_file].display(),
                                ),
                            });
                            continue;
                        }
                        names.insert(scenario.name.clone(), (here, pos));
                        loaded.scenarios.push(scenario);
                    }
                }
                Err(mut errs) => loaded.errors.append(&mut errs),
            }
            Ok(())
        },
    );
    if let Err(e) = never {
        match e {}
    }
    // Every file read is kept, in order: `here` above is its index there.
    loaded.files = files;
    loaded
}

/// The text of `file`, read into `buf` (each loading thread keeps one, so its room is
/// reused from file to file): what `std::fs::read_to_string` gives, errors worded the same,
/// without its size query (a system call per file) or a new buffer each time.
fn read_text<'b>(file: &Path, buf: &'b mut Vec<u8>) -> std::io::Result<&'b str> {
    use std::io::Read;
    let mut f = std::fs::File::open(file)?;
    if buf.len() < 16 * 1024 {
        buf.resize(16 * 1024, 0);
    }
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        match f.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    std::str::from_utf8(&buf[..len]).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        )
    })
}

fn collect(path: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<InputError>) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            errors.push(file_error(path, format!("cannot read: {e}")));
            return;
        }
    };
    if meta.is_file() {
        out.push(path.to_owned());
        return;
    }
    // Each entry with whether it is a folder, from the directory listing's own file type
    // (no stat per entry); a symbolic link is followed, as `Path::is_dir` does.
    let mut entries: Vec<(PathBuf, bool)> = match std::fs::read_dir(path) {
        Ok(rd) => rd
            .filter_map(|e| {
                let e = e.ok()?;
                let path = e.path();
                let dir = match e.file_type() {
                    Ok(t) if !t.is_symlink() => t.is_dir(),
                    _ => path.is_dir(),
                };
                Some((path, dir))
            })
            .collect(),
        Err(e) => {
            errors.push(file_error(path, format!("cannot read folder: {e}")));
            return;
        }
    };
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (e, dir) in entries {
        if dir {
            collect(&e, out, errors);
        } else if matches!(e.extension().and_then(|x| x.to_str()), Some("yaml" | "yml")) {
            out.push(e);
        }
    }
}

/// Parses and validates one file; each scenario comes with the line it starts on.
pub fn load_file(file: &Path) -> Result<Vec<(Scenario, Position)>, Vec<InputError>> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| vec![file_error(file, format!("cannot read: {e}"))])?;
    parse_str(file, &text)
}

/// Parses and validates scenario text as if read from `file`.
pub fn parse_str(file: &Path, text: &str) -> Result<Vec<(Scenario, Position)>, Vec<InputError>> {
    match parse_any(file, text)? {
        Parsed::Scenarios(list) => Ok(list),
        Parsed::Profile => Ok(Vec::new()),
    }
}

/// What a YAML file among the scenarios turned out to be.
enum Parsed {
    Scenarios(Vec<(Scenario, Position)>),
    /// A valid profile file: checked, never run.
    Profile,
}

fn parse_any(file: &Path, text: &str) -> Result<Parsed, Vec<InputError>> {
    if text.trim().is_empty() {
        return Err(vec![file_error(
            file,
            "the file is empty; expected a scenario (name, profile, events)".into(),
        )]);
    }
    // One parse in the common case: a file whose top-level keys a line scan reads for
    // certain, and which are a scenario's (or `scenarios:`), is parsed straight into the
    // raw types. Only a successful typed parse is taken from this path: a typed parse
    // that succeeds means the document is the mapping the value parse would have found,
    // so nothing changes; any error is told by the path below, as before.
    if let Some(raws) = fast_raws(text) {
        return check(file, raws);
    }
    let shape: Value =
        serde_saphyr::from_str(text).map_err(|e| vec![yaml_error(file, text, &e)])?;
    // A profile file beside the scenarios that use it: checked, never run.
    if profile::load::looks_like_profile(&shape) {
        return match profile::load::load_str(file, text) {
            Ok(_) => Ok(Parsed::Profile),
            Err(errs) => Err(errs
                .into_iter()
                .map(|e| InputError {
                    file: e.file,
                    line: e.line,
                    column: e.column,
                    message: e.message,
                })
                .collect()),
        };
    }
    let raws: Vec<Spanned<RawScenario>> = match &shape {
        Value::Object(m) if m.contains_key("scenarios") => {
            serde_saphyr::from_str::<raw::RawFile>(text)
                .map_err(|e| vec![yaml_error(file, text, &e)])?
                .scenarios
        }
        Value::Object(_) => {
            vec![
                serde_saphyr::from_str::<Spanned<RawScenario>>(text)
                    .map_err(|e| vec![yaml_error(file, text, &e)])?,
            ]
        }
        other => {
            return Err(vec![InputError {
                file: file.to_owned(),
                line: Some(1),
                column: Some(1),
                message: format!(
                    "expected a mapping (a scenario, or `scenarios:` with a list), found {}",
                    kind(other)
                ),
            }]);
        }
    };
    check(file, raws)
}

/// The raw scenarios of `text` from one typed parse, when its top-level keys (read by
/// [`top_level_keys`]) say which form it has and that parse succeeds; `None` otherwise.
fn fast_raws(text: &str) -> Option<Vec<Spanned<RawScenario>>> {
    let keys = top_level_keys(text)?;
    if keys == ["scenarios"] {
        return serde_saphyr::from_str::<raw::RawFile>(text)
            .ok()
            .map(|f| f.scenarios);
    }
    if !keys.contains(&"name") || keys.contains(&"scenarios") {
        return None;
    }
    serde_saphyr::from_str::<Spanned<RawScenario>>(text)
        .ok()
        .map(|r| vec![r])
}

/// The top-level keys of a block mapping written plainly: every line that starts at the
/// first column is blank, a comment or `key:` with `key` letters, digits and `_`.
/// `None` for anything else (directives, document markers, flow or indented top levels,
/// quoted or complex keys), which the full parse then reads.
fn top_level_keys(text: &str) -> Option<Vec<&str>> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let Some(first) = line.chars().next() else {
            continue;
        };
        if first == '#' || (first == ' ' && !keys.is_empty()) {
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let (key, rest) = line.split_once(':')?;
        let ident = key
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
            return None;
        }
        keys.push(key);
    }
    (!keys.is_empty()).then_some(keys)
}

/// Checks each raw scenario of a file: the valid ones with the line each starts on, or
/// every error found.
fn check(file: &Path, raws: Vec<Spanned<RawScenario>>) -> Result<Parsed, Vec<InputError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for raw in raws {
        let line = loc(&raw.value.name);
        let mut cx = Cx {
            live: false,
            file,
            errors: Vec::new(),
        };
        let s = cx.scenario(raw.value);
        errors.append(&mut cx.errors);
        if let Some(s) = s {
            out.push((s, line));
        }
    }
    if errors.is_empty() {
        Ok(Parsed::Scenarios(out))
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_as_read_to_string_reads_it_whatever_its_size_or_bytes() {
        // Arrange: a file longer than the first buffer, a short one after it, and one
        // that is not UTF-8.
        let dir = std::env::temp_dir().join(format!("hookrig-read-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let long = dir.join("long.yaml");
        let short = dir.join("short.yaml");
        let bad = dir.join("bad.yaml");
        let long_text: String = (0..3000).map(|i| format!("# line {i} ünïcode\n")).collect();
        std::fs::write(&long, &long_text).unwrap();
        std::fs::write(&short, "name: short\n").unwrap();
        std::fs::write(&bad, b"name: \xff\xfe\n").unwrap();
        let mut buf = Vec::new();

        // Act
        let got_long = read_text(&long, &mut buf).unwrap().to_owned();
        let got_short = read_text(&short, &mut buf).unwrap().to_owned();
        let got_bad = read_text(&bad, &mut buf).unwrap_err().to_string();
        let got_missing = read_text(&dir.join("missing.yaml"), &mut buf)
            .unwrap_err()
            .to_string();

        // Assert
        assert!(long_text.len() > 16 * 1024);
        assert_eq!(got_long, std::fs::read_to_string(&long).unwrap());
        assert_eq!(got_short, "name: short\n");
        assert_eq!(
            got_bad,
            std::fs::read_to_string(&bad).unwrap_err().to_string()
        );
        assert_eq!(
            got_missing,
            std::fs::read_to_string(dir.join("missing.yaml"))
                .unwrap_err()
                .to_string()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
