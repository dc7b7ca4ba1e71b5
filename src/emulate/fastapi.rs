//! Request bodies as a FastAPI server reads them, and its validation errors byte for byte.
//!
//! Crawl4AI's Docker server and LlamaCloud's API are FastAPI applications: a body that is
//! not JSON, or JSON that does not fit the endpoint's pydantic model, gets 422 with
//! `{"detail": [{"type", "loc", "msg", "input", "ctx"?}, …]}`, one entry per fault in the
//! model's field order. This module reproduces that:
//!
//! - [`read_body`] follows FastAPI's `fastapi/routing.py` `get_request_handler`: an empty
//!   body is "missing"; a JSON content type (or none) is parsed with Python's `json.loads`
//!   — [`parse_python_json`] gives CPython 3.12's exact error message and character
//!   offset (`{"type":"json_invalid","loc":["body",10],…,"ctx":{"error":"Expecting value"}}`)
//!   — and any other content type passes the raw text to the model; bytes that are not
//!   UTF-8 get 400 `{"detail":"There was an error parsing the body"}`.
//! - [`Check`] collects pydantic v2's errors (lax mode, `from_attributes=True` as FastAPI
//!   validates) for the field types the emulated models use: `str`, `bool`, `float`,
//!   `int`, `Dict`, `list`, nested models, `Literal[…]` and `HttpUrl` (parsed by the same
//!   `url` crate pydantic-core uses, so messages and normalisation — `https://example.com`
//!   → `https://example.com/` — are pydantic's).
//!
//! Sources: the byte output of a scratch FastAPI 0.136 / pydantic 2.14 app with Crawl4AI
//! v0.9.2's own models (recorded while the emulator was written; the recordings are not
//! in this repository); CPython 3.12 `Lib/json/decoder.py` and `Modules/_json.c` for the
//! decoder's messages (Crawl4AI's image is `python:3.12-slim`).

use serde_json::{Map, Number, Value, json};

/// What FastAPI hands the model: nothing, parsed JSON, or the raw text of a body whose
/// content type is not JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyIn {
    /// An empty body.
    Missing,
    /// A JSON body, parsed.
    Json(Value),
    /// A body of another content type, as text.
    Text(String),
}

/// The deepest nesting of arrays and objects read; one level more is answered as FastAPI
/// answers a body Python cannot decode (400 "There was an error parsing the body").
/// CPython 3.12's `json.loads` goes further — 1,497 levels decode, 1,498 raise
/// `RecursionError` (3.12.1, measured) — but a body is echoed whole in a 422's `input`,
/// and every step after parsing (cloning, writing the answer) recurses once per level:
/// 128, serde_json's own limit, keeps all of them shallow. A body nested 129 to 1,497
/// levels deep gets this 400 here where the real server would validate it.
pub const MAX_NESTING: usize = 128;

/// Why a body was refused before validation.
#[derive(Debug, Clone, PartialEq)]
pub enum BodyRefused {
    /// 422 `json_invalid`: Python's message and character offset.
    Json {
        /// Character offset of the error.
        pos: usize,
        /// `json.JSONDecodeError.msg`.
        msg: &'static str,
    },
    /// 400: the bytes are not UTF-8.
    NotText,
}

impl BodyRefused {
    /// The status and FastAPI's body for the refusal.
    pub fn answer(&self) -> (u16, Value) {
        match self {
            BodyRefused::Json { pos, msg } => (
                422,
                json!({"detail": [{"type": "json_invalid", "loc": ["body", pos], "msg": "JSON decode error", "input": {}, "ctx": {"error": msg}}]}),
            ),
            BodyRefused::NotText => (
                400,
                json!({"detail": "There was an error parsing the body"}),
            ),
        }
    }
}

/// Reads a request body as FastAPI does for a JSON body parameter.
pub fn read_body(content_type: Option<&str>, bytes: &[u8]) -> Result<BodyIn, BodyRefused> {
    if bytes.is_empty() {
        return Ok(BodyIn::Missing);
    }
    let is_json = match content_type {
        None => true,
        Some(ct) => {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            match essence.split_once('/') {
                Some(("application", sub)) => sub == "json" || sub.ends_with("+json"),
                _ => false,
            }
        }
    };
    if !is_json {
        return Ok(BodyIn::Text(String::from_utf8_lossy(bytes).into_owned()));
    }
    // json.loads on bytes decodes them first (a UTF-8 BOM is dropped); bytes that do not
    // decode raise UnicodeDecodeError, which FastAPI answers with a 400.
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|_| BodyRefused::NotText)?;
    match parse_python(text) {
        Ok(v) => Ok(BodyIn::Json(v)),
        Err(Stop::Error(pos, msg)) => Err(BodyRefused::Json { pos, msg }),
        Err(Stop::TooDeep) => Err(BodyRefused::NotText),
        Err(Stop::At(pos)) => Err(BodyRefused::Json {
            pos,
            msg: "Expecting value",
        }),
    }
}

/// Parses `text` as CPython 3.12's `json.loads` does, or gives its error: the message
/// and the offset in characters. `NaN` and `Infinity`, which Python accepts and JSON
/// cannot hold, become null.
///
/// Nesting deeper than [`MAX_NESTING`] is Python's `RecursionError`, not a decode error:
/// it is given as offset 0 with the message "maximum recursion depth exceeded".
pub fn parse_python_json(text: &str) -> Result<Value, (usize, &'static str)> {
    match parse_python(text) {
        Ok(v) => Ok(v),
        Err(Stop::At(i)) => Err((i, "Expecting value")),
        Err(Stop::Error(i, msg)) => Err((i, msg)),
        Err(Stop::TooDeep) => Err((0, "maximum recursion depth exceeded")),
    }
}

fn parse_python(text: &str) -> Result<Value, Stop> {
    let chars: Vec<char> = text.chars().collect();
    let mut p = PyJson { s: &chars };
    let start = p.ws(0);
    let (value, end) = p.value(start)?;
    let end = p.ws(end);
    if end != chars.len() {
        return Err(Stop::Error(end, "Extra data"));
    }
    Ok(value)
}

/// A failed scan: `At(i)` is Python's `StopIteration(i)` (no value starts at `i`), which
/// the caller turns into "Expecting value"; `Error` is a `JSONDecodeError` already;
/// `TooDeep` is a `RecursionError`.
enum Stop {
    At(usize),
    Error(usize, &'static str),
    TooDeep,
}

struct PyJson<'a> {
    s: &'a [char],
}

impl PyJson<'_> {
    fn is_ws(c: char) -> bool {
        matches!(c, ' ' | '\t' | '\n' | '\r')
    }

    fn ws(&self, mut i: usize) -> usize {
        while i < self.s.len() && Self::is_ws(self.s[i]) {
            i += 1;
        }
        i
    }

    fn at(&self, i: usize) -> Option<char> {
        self.s.get(i).copied()
    }

    fn starts(&self, i: usize, word: &str) -> bool {
        let w: Vec<char> = word.chars().collect();
        self.s.get(i..i + w.len()) == Some(&w[..])
    }

    /// `scan_once` and the `JSONObject`/`JSONArray` loops it recurses into, run with an
    /// explicit stack of open containers so that nesting costs heap, not stack: the same
    /// checks at the same offsets as CPython's decoder.
    fn value(&mut self, start: usize) -> Result<(Value, usize), Stop> {
        enum Open {
            Array(Vec<Value>),
            Object(Map<String, Value>, String),
        }
        let mut stack: Vec<Open> = Vec::new();
        let mut pos = start;
        'value: loop {
            // A value starts at `pos`.
            let Some(c) = self.at(pos) else {
                return Err(Stop::At(pos));
            };
            let (mut value, mut end) = match c {
                '"' => {
                    let (s, end) = self.string(pos + 1)?;
                    (Value::String(s), end)
                }
                '{' | '[' => {
                    if stack.len() >= MAX_NESTING {
                        return Err(Stop::TooDeep);
                    }
                    if c == '[' {
                        let end = self.ws(pos + 1);
                        if self.at(end) == Some(']') {
                            (Value::Array(Vec::new()), end + 1)
                        } else {
                            stack.push(Open::Array(Vec::new()));
                            pos = end;
                            continue 'value;
                        }
                    } else {
                        let mut end = pos + 1;
                        let mut next = self.at(end);
                        if next != Some('"') && next.is_some_and(Self::is_ws) {
                            end = self.ws(end);
                            next = self.at(end);
                        }
                        if next == Some('}') {
                            (Value::Object(Map::new()), end + 1)
                        } else if next != Some('"') {
                            return Err(Stop::Error(
                                end,
                                "Expecting property name enclosed in double quotes",
                            ));
                        } else {
                            let (key, end) = self.key(end + 1)?;
                            stack.push(Open::Object(Map::new(), key));
                            pos = end;
                            continue 'value;
                        }
                    }
                }
                'n' if self.starts(pos, "null") => (Value::Null, pos + 4),
                't' if self.starts(pos, "true") => (Value::Bool(true), pos + 4),
                'f' if self.starts(pos, "false") => (Value::Bool(false), pos + 5),
                'N' if self.starts(pos, "NaN") => (Value::Null, pos + 3),
                'I' if self.starts(pos, "Infinity") => (Value::Null, pos + 8),
                '-' if self.starts(pos, "-Infinity") => (Value::Null, pos + 9),
                _ => self.number(pos)?,
            };
            // A value ends at `end`: it goes into the innermost open container.
            loop {
                match stack.last_mut() {
                    None => return Ok((value, end)),
                    Some(Open::Array(items)) => {
                        items.push(value);
                        end = self.ws(end);
                        let next = self.at(end);
                        end += 1;
                        match next {
                            Some(']') => {
                                let Some(Open::Array(items)) = stack.pop() else {
                                    unreachable!("the innermost container is this array")
                                };
                                value = Value::Array(items);
                            }
                            Some(',') => {
                                pos = self.ws(end);
                                continue 'value;
                            }
                            _ => return Err(Stop::Error(end - 1, "Expecting ',' delimiter")),
                        }
                    }
                    Some(Open::Object(map, key)) => {
                        map.insert(std::mem::take(key), value);
                        end = self.ws(end);
                        let next = self.at(end);
                        end += 1;
                        match next {
                            Some('}') => {
                                let Some(Open::Object(map, _)) = stack.pop() else {
                                    unreachable!("the innermost container is this object")
                                };
                                value = Value::Object(map);
                            }
                            Some(',') => {
                                end = self.ws(end);
                                let next = self.at(end);
                                end += 1;
                                if next != Some('"') {
                                    return Err(Stop::Error(
                                        end - 1,
                                        "Expecting property name enclosed in double quotes",
                                    ));
                                }
                                let (k, after) = self.key(end)?;
                                *key = k;
                                pos = after;
                                continue 'value;
                            }
                            _ => return Err(Stop::Error(end - 1, "Expecting ',' delimiter")),
                        }
                    }
                }
            }
        }
    }

    /// A key (its opening quote at `end - 1`), the `:` after it, and the whitespace
    /// before its value; returns the key and where the value starts.
    fn key(&self, end: usize) -> Result<(String, usize), Stop> {
        let (key, mut end) = self.string(end)?;
        if self.at(end) != Some(':') {
            end = self.ws(end);
            if self.at(end) != Some(':') {
                return Err(Stop::Error(end, "Expecting ':' delimiter"));
            }
        }
        Ok((key, self.ws(end + 1)))
    }

    /// `NUMBER_RE = r'(-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?'`.
    fn number(&self, start: usize) -> Result<(Value, usize), Stop> {
        let digit = |i: usize| self.at(i).is_some_and(|c| c.is_ascii_digit());
        let mut i = start;
        if self.at(i) == Some('-') {
            i += 1;
        }
        match self.at(i) {
            Some('0') => i += 1,
            Some('1'..='9') => {
                while digit(i) {
                    i += 1;
                }
            }
            _ => return Err(Stop::At(start)),
        }
        let mut float = false;
        if self.at(i) == Some('.') && digit(i + 1) {
            float = true;
            i += 1;
            while digit(i) {
                i += 1;
            }
        }
        if matches!(self.at(i), Some('e' | 'E')) {
            let mut j = i + 1;
            if matches!(self.at(j), Some('+' | '-')) {
                j += 1;
            }
            if digit(j) {
                float = true;
                i = j;
                while digit(i) {
                    i += 1;
                }
            }
        }
        let text: String = self.s[start..i].iter().collect();
        let value = if float {
            text.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number)
        } else if let Ok(n) = text.parse::<i64>() {
            Value::from(n)
        } else if let Ok(n) = text.parse::<u64>() {
            Value::from(n)
        } else {
            // Python keeps arbitrary precision; the nearest float is the best JSON holds.
            text.parse::<f64>()
                .ok()
                .and_then(Number::from_f64)
                .map_or(Value::Null, Value::Number)
        };
        Ok((value, i))
    }

    /// `scanstring` (C version): `end` is just past the opening quote.
    fn string(&self, end: usize) -> Result<(String, usize), Stop> {
        let begin = end - 1;
        let mut out = String::new();
        let mut i = end;
        loop {
            let Some(c) = self.at(i) else {
                return Err(Stop::Error(begin, "Unterminated string starting at"));
            };
            match c {
                '"' => return Ok((out, i + 1)),
                '\\' => {
                    let Some(esc) = self.at(i + 1) else {
                        return Err(Stop::Error(begin, "Unterminated string starting at"));
                    };
                    if esc == 'u' {
                        let (ch, next) = self.unicode_escape(i)?;
                        out.push(ch);
                        i = next;
                        continue;
                    }
                    let ch = match esc {
                        '"' => '"',
                        '\\' => '\\',
                        '/' => '/',
                        'b' => '\u{8}',
                        'f' => '\u{c}',
                        'n' => '\n',
                        'r' => '\r',
                        't' => '\t',
                        _ => return Err(Stop::Error(i, "Invalid \\escape")),
                    };
                    out.push(ch);
                    i += 2;
                }
                c if (c as u32) < 0x20 => {
                    return Err(Stop::Error(i, "Invalid control character at"));
                }
                c => {
                    out.push(c);
                    i += 1;
                }
            }
        }
    }

    /// `\uXXXX` at `i` (the backslash), with a following low surrogate joined to a high
    /// one; a lone surrogate becomes U+FFFD (Python would keep it; JSON text cannot).
    fn unicode_escape(&self, i: usize) -> Result<(char, usize), Stop> {
        let hex = |at: usize| -> Option<u32> {
            let digits = self.s.get(at..at + 4)?;
            let text: String = digits.iter().collect();
            if digits.iter().all(char::is_ascii_hexdigit) {
                u32::from_str_radix(&text, 16).ok()
            } else {
                None
            }
        };
        let Some(u) = hex(i + 2) else {
            return Err(Stop::Error(i + 1, "Invalid \\uXXXX escape"));
        };
        let mut next = i + 6;
        let code = if (0xd800..0xdc00).contains(&u)
            && self.at(next) == Some('\\')
            && self.at(next + 1) == Some('u')
        {
            match hex(next + 2) {
                Some(lo) if (0xdc00..0xe000).contains(&lo) => {
                    next += 6;
                    0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00)
                }
                Some(_) => u,
                None => return Err(Stop::Error(next + 1, "Invalid \\uXXXX escape")),
            }
        } else {
            u
        };
        Ok((char::from_u32(code).unwrap_or('\u{fffd}'), next))
    }
}

/// One pydantic error entry.
#[derive(Debug, Clone, PartialEq)]
pub struct PydError {
    /// `type`.
    pub ty: &'static str,
    /// `loc`.
    pub loc: Vec<Value>,
    /// `msg`.
    pub msg: String,
    /// `input`.
    pub input: Value,
    /// `ctx`, when the error type has one.
    pub ctx: Option<Value>,
}

impl PydError {
    fn json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), json!(self.ty));
        m.insert("loc".into(), Value::Array(self.loc.clone()));
        m.insert("msg".into(), json!(self.msg));
        m.insert("input".into(), self.input.clone());
        if let Some(c) = &self.ctx {
            m.insert("ctx".into(), c.clone());
        }
        Value::Object(m)
    }
}

/// FastAPI's 422 body for `errors`.
pub fn detail(errors: &[PydError]) -> Value {
    json!({"detail": errors.iter().map(PydError::json).collect::<Vec<_>>()})
}

/// A location: `["body", "webhook_config", "webhook_url"]`.
pub type Loc = Vec<Value>;

/// `loc` with one more step.
pub fn at(loc: &[Value], step: impl Into<Value>) -> Loc {
    let mut l = loc.to_vec();
    l.push(step.into());
    l
}

/// The longest URL `HttpUrl` takes.
pub const HTTP_URL_MAX: usize = 2083;

/// Collects pydantic errors while a body is checked field by field.
#[derive(Debug, Default)]
pub struct Check {
    /// The errors so far, in field order.
    pub errors: Vec<PydError>,
}

impl Check {
    /// Records an error.
    pub fn push(&mut self, ty: &'static str, loc: Loc, msg: impl Into<String>, input: &Value) {
        self.errors.push(PydError {
            ty,
            loc,
            msg: msg.into(),
            input: input.clone(),
            ctx: None,
        });
    }

    /// Records an error with a `ctx`.
    pub fn push_ctx(
        &mut self,
        ty: &'static str,
        loc: Loc,
        msg: impl Into<String>,
        input: &Value,
        ctx: Value,
    ) {
        self.errors.push(PydError {
            ty,
            loc,
            msg: msg.into(),
            input: input.clone(),
            ctx: Some(ctx),
        });
    }

    /// Whether no error was found.
    pub fn ok(&self) -> bool {
        self.errors.is_empty()
    }

    /// The model's own input: a mapping, or `model_attributes_type` (a model validated
    /// with `from_attributes`, as FastAPI does, refuses text, numbers and lists so).
    /// `Missing` is `missing` at `loc`.
    pub fn model<'v>(&mut self, body: &'v BodyIn, loc: Loc) -> Option<&'v Map<String, Value>> {
        match body {
            BodyIn::Missing => {
                self.push("missing", loc, "Field required", &Value::Null);
                None
            }
            BodyIn::Json(v) => self.object(v, loc),
            BodyIn::Text(t) => {
                self.push(
                    "model_attributes_type",
                    loc,
                    "Input should be a valid dictionary or object to extract fields from",
                    &Value::String(t.clone()),
                );
                None
            }
        }
    }

    /// A nested model's input (see [`Check::model`]).
    pub fn object<'v>(&mut self, v: &'v Value, loc: Loc) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.push(
                    "model_attributes_type",
                    loc,
                    "Input should be a valid dictionary or object to extract fields from",
                    other,
                );
                None
            }
        }
    }

    /// A required field: its value, or `missing` (whose input is the whole object).
    pub fn required<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        name: &str,
        loc: &[Value],
    ) -> Option<&'v Value> {
        match obj.get(name) {
            Some(v) => Some(v),
            None => {
                self.push(
                    "missing",
                    at(loc, name),
                    "Field required",
                    &Value::Object(obj.clone()),
                );
                None
            }
        }
    }

    /// `str`.
    pub fn string(&mut self, v: &Value, loc: Loc) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            other => {
                self.push("string_type", loc, "Input should be a valid string", other);
                None
            }
        }
    }

    /// `bool` in lax mode: booleans, 0 and 1, and Python's words for them.
    pub fn boolean(&mut self, v: &Value, loc: Loc) -> Option<bool> {
        const TRUE: &[&str] = &["1", "on", "t", "true", "y", "yes"];
        const FALSE: &[&str] = &["0", "off", "f", "false", "n", "no"];
        let parsing = "Input should be a valid boolean, unable to interpret input";
        match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) => match n.as_f64() {
                Some(0.0) => Some(false),
                Some(1.0) => Some(true),
                _ => {
                    self.push("bool_parsing", loc, parsing, v);
                    None
                }
            },
            Value::String(s) => {
                let l = s.trim().to_ascii_lowercase();
                if TRUE.contains(&l.as_str()) {
                    Some(true)
                } else if FALSE.contains(&l.as_str()) {
                    Some(false)
                } else {
                    self.push("bool_parsing", loc, parsing, v);
                    None
                }
            }
            other => {
                self.push("bool_type", loc, "Input should be a valid boolean", other);
                None
            }
        }
    }

    /// `float` in lax mode: numbers, booleans and numeric text.
    pub fn float(&mut self, v: &Value, loc: Loc) -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::String(s) => match s.trim().parse::<f64>() {
                Ok(x) => Some(x),
                Err(_) => {
                    self.push(
                        "float_parsing",
                        loc,
                        "Input should be a valid number, unable to parse string as a number",
                        v,
                    );
                    None
                }
            },
            other => {
                self.push("float_type", loc, "Input should be a valid number", other);
                None
            }
        }
    }

    /// `int` in lax mode.
    pub fn int(&mut self, v: &Value, loc: Loc) -> Option<i64> {
        match v {
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Some(i),
                (None, Some(x)) if x.fract() == 0.0 && x.abs() < 9.0e18 => Some(x as i64),
                _ => {
                    self.push(
                        "int_from_float",
                        loc,
                        "Input should be a valid integer, got a number with a fractional part",
                        v,
                    );
                    None
                }
            },
            Value::Bool(b) => Some(i64::from(*b)),
            Value::String(s) => match s.trim().parse::<i64>() {
                Ok(i) => Some(i),
                Err(_) => {
                    self.push(
                        "int_parsing",
                        loc,
                        "Input should be a valid integer, unable to parse string as an integer",
                        v,
                    );
                    None
                }
            },
            other => {
                self.push("int_type", loc, "Input should be a valid integer", other);
                None
            }
        }
    }

    /// `Dict`.
    pub fn dict<'v>(&mut self, v: &'v Value, loc: Loc) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.push(
                    "dict_type",
                    loc,
                    "Input should be a valid dictionary",
                    other,
                );
                None
            }
        }
    }

    /// `Dict[str, str]`: each value must be text.
    pub fn dict_str(&mut self, v: &Value, loc: Loc) -> Option<Vec<(String, String)>> {
        let m = self.dict(v, loc.clone())?;
        let before = self.errors.len();
        let mut out = Vec::new();
        for (k, v) in m {
            if let Some(s) = self.string(v, at(&loc, k.as_str())) {
                out.push((k.clone(), s));
            }
        }
        (self.errors.len() == before).then_some(out)
    }

    /// `list`.
    pub fn list<'v>(&mut self, v: &'v Value, loc: Loc) -> Option<&'v Vec<Value>> {
        match v {
            Value::Array(a) => Some(a),
            other => {
                self.push("list_type", loc, "Input should be a valid list", other);
                None
            }
        }
    }

    /// `Literal[…]`.
    pub fn literal(&mut self, v: &Value, loc: Loc, choices: &[&str]) -> Option<String> {
        if let Value::String(s) = v
            && choices.contains(&s.as_str())
        {
            return Some(s.clone());
        }
        let expected = literal_words(choices);
        self.push_ctx(
            "literal_error",
            loc,
            format!("Input should be {expected}"),
            v,
            json!({ "expected": expected }),
        );
        None
    }

    /// `HttpUrl`: an http or https URL with a host, at most 2083 characters; its
    /// normalised text (`str(HttpUrl(…))`).
    pub fn http_url(&mut self, v: &Value, loc: Loc) -> Option<String> {
        let Value::String(s) = v else {
            self.push("url_type", loc, "URL input should be a string or URL", v);
            return None;
        };
        if s.chars().count() > HTTP_URL_MAX {
            self.push_ctx(
                "url_too_long",
                loc,
                format!("URL should have at most {HTTP_URL_MAX} characters"),
                v,
                json!({ "max_length": HTTP_URL_MAX }),
            );
            return None;
        }
        if s.is_empty() {
            self.push_ctx(
                "url_parsing",
                loc,
                "Input should be a valid URL, input is empty",
                v,
                json!({"error": "input is empty"}),
            );
            return None;
        }
        match reqwest::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => Some(u.to_string()),
            Ok(_) => {
                self.push_ctx(
                    "url_scheme",
                    loc,
                    "URL scheme should be 'http' or 'https'",
                    v,
                    json!({"expected_schemes": "'http' or 'https'"}),
                );
                None
            }
            Err(e) => {
                let e = e.to_string();
                self.push_ctx(
                    "url_parsing",
                    loc,
                    format!("Input should be a valid URL, {e}"),
                    v,
                    json!({ "error": e }),
                );
                None
            }
        }
    }

    /// A model validator's `ValueError` for the field at `loc`.
    pub fn value_error(&mut self, loc: Loc, msg: &str, input: &Value) {
        self.push_ctx(
            "value_error",
            loc,
            format!("Value error, {msg}"),
            input,
            json!({"error": {}}),
        );
    }
}

/// `'a', 'b' or 'c'`, as pydantic lists a literal's choices.
pub fn literal_words(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("'{c}'")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, &'static str) {
        parse_python_json(text).expect_err(text)
    }

    // Every expected pair is what CPython 3.12's json.loads raised for the same text
    // (JSONDecodeError .pos and .msg).
    #[test]
    fn decode_errors_carry_python_messages_and_character_offsets() {
        assert_eq!(err(r#"{"urls": ["#), (10, "Expecting value"));
        assert_eq!(err(""), (0, "Expecting value"));
        assert_eq!(err("   "), (3, "Expecting value"));
        assert_eq!(
            err("{"),
            (1, "Expecting property name enclosed in double quotes")
        );
        assert_eq!(
            err("{'a': 1}"),
            (1, "Expecting property name enclosed in double quotes")
        );
        assert_eq!(err(r#"{"a" 1}"#), (5, "Expecting ':' delimiter"));
        assert_eq!(err(r#"{"a": 1 "b": 2}"#), (8, "Expecting ',' delimiter"));
        assert_eq!(
            err(r#"{"a": 1,}"#),
            (8, "Expecting property name enclosed in double quotes")
        );
        assert_eq!(err("[1,]"), (3, "Expecting value"));
        assert_eq!(err("[1 2]"), (3, "Expecting ',' delimiter"));
        assert_eq!(err(r#"{"a": "x"#), (6, "Unterminated string starting at"));
        assert_eq!(err("\"a\nb\""), (2, "Invalid control character at"));
        assert_eq!(err(r#""\q""#), (1, "Invalid \\escape"));
        assert_eq!(err("{} x"), (3, "Extra data"));
        assert_eq!(err("01"), (1, "Extra data"));
        assert_eq!(err("tru"), (0, "Expecting value"));
        // Offsets count characters, not bytes.
        assert_eq!(err("{\"é\": ]"), (6, "Expecting value"));
    }

    #[test]
    fn valid_text_parses_as_python_reads_it() {
        let v =
            parse_python_json(r#" {"a": [1, -2.5e3, "\u00e9\ud83d\ude80", true, null], "a": 2} "#)
                .unwrap();
        assert_eq!(v, json!({"a": 2}));
        let v = parse_python_json(r#"[NaN, 1E2, "x\/y"]"#).unwrap();
        assert_eq!(v, json!([null, 100.0, "x/y"]));
        let v = parse_python_json(r#""\u00e9\ud83d\ude80""#).unwrap();
        assert_eq!(v, json!("é🚀"));
    }

    #[test]
    fn nesting_past_pythons_recursion_limit_is_fastapis_400() {
        let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(parse_python_json(&deep(MAX_NESTING)).is_ok());
        assert_eq!(
            read_body(None, deep(MAX_NESTING + 1).as_bytes()),
            Err(BodyRefused::NotText)
        );
        assert_eq!(
            read_body(None, deep(100_000).as_bytes()),
            Err(BodyRefused::NotText)
        );
    }

    #[test]
    fn a_body_without_a_json_content_type_reaches_the_model_as_text() {
        assert_eq!(
            read_body(Some("text/plain"), br#"{"a":1}"#),
            Ok(BodyIn::Text(r#"{"a":1}"#.into()))
        );
        assert_eq!(
            read_body(
                Some("application/vnd.api+json; charset=utf-8"),
                br#"{"a":1}"#
            ),
            Ok(BodyIn::Json(json!({"a": 1})))
        );
        assert_eq!(read_body(None, b""), Ok(BodyIn::Missing));
        assert_eq!(read_body(None, b"\xff\xfe"), Err(BodyRefused::NotText));
    }

    #[test]
    fn urls_are_checked_and_normalised_as_pydantic_does() {
        let mut c = Check::default();
        assert_eq!(
            c.http_url(&json!("https://example.com"), vec![]),
            Some("https://example.com/".into())
        );
        assert!(
            c.http_url(&json!("example.com"), vec![json!("body")])
                .is_none()
        );
        assert!(c.http_url(&json!("ftp://example.com"), vec![]).is_none());
        let d = detail(&c.errors);
        assert_eq!(
            d["detail"][0],
            json!({"type":"url_parsing","loc":["body"],"msg":"Input should be a valid URL, relative URL without a base","input":"example.com","ctx":{"error":"relative URL without a base"}})
        );
        assert_eq!(d["detail"][1]["type"], "url_scheme");
    }

    #[test]
    fn literal_choices_are_listed_as_pydantic_lists_them() {
        assert_eq!(literal_words(&["json", "string"]), "'json' or 'string'");
        assert_eq!(literal_words(&["a", "b", "c"]), "'a', 'b' or 'c'");
    }
}
