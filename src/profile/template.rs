//! Templates: the small language a profile file writes its envelope, headers, ids,
//! secrets, schemas and data generators in.
//!
//! A template is a YAML value. A string may hold expressions in braces — `"msg_{alnum(27)}"`,
//! `"{rfc3339(time, 3, 'Z')}"`; a string that is exactly one `{expression}` gives the
//! expression's value with its JSON type (a number stays a number, an object an object);
//! `{{` and `}}` are literal braces. A mapping whose keys include one of the directives
//! below is evaluated; any other mapping and list is built key by key, in order, and a key
//! (or list item) whose value is absent is left out.
//!
//! | directive | does |
//! |---|---|
//! | `{$if: EXPR, then: T, else: T}` | `then` or `else` (absent without `else`) |
//! | `{$each: EXPR, as: NAME, do: T}` | a list: `do` once per item of the list |
//! | `{$merge: [T, …]}` | the objects merged in order, a later key replacing an earlier one in place |
//! | `{$part: NAME, ARG: T, …}` | the part (a named, reusable template) with its parameters bound |
//! | `{$literal: VALUE}` | `VALUE` as it is, braces and all |
//!
//! Expressions: literals (`12`, `0.5`, `'text'`, `true`, `null`, `[a, b]`), variables and
//! fields (`data.task_id`, `x[0]`), `+ - * / %` (integers stay integers; `+` joins
//! text), `== != < <= > >=`, `&& || !`, and the functions in [`FUNCTIONS`]. Functions
//! that draw from the run's seeded generator (`uuid()`, `alnum(n)`, `int(lo, hi)`,
//! `pick(list)`, …) are allowed only where a value is drawn once (ids, secrets, generated
//! data); the envelope and headers are pure, so a retry re-sends what the first attempt
//! sent.
//!
//! Everything is compiled once, when the profile loads: names are resolved to slots, parts
//! to indexes, and unknown names, functions or arities are errors with their position and
//! the valid choices. At run time a template is walked without re-parsing, and the body is
//! serialised straight from the template and the borrowed event data ([`Render`]).

use std::borrow::Cow;
use std::time::Duration;

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Number, Value};

use super::raw::{Node, NodeKind};
use crate::clock;
use crate::rng::RunRng;

/// A compile error: where, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TError {
    /// 1-based line (0: unknown).
    pub line: u64,
    /// 1-based column (0: unknown).
    pub col: u64,
    /// What is wrong, with the valid choices.
    pub message: String,
}

// ---------------------------------------------------------------------------------------
// Variables and functions

/// A variable the caller provides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CtxVar {
    /// The event type.
    Type,
    /// The event data.
    Data,
    /// The delivery's id of this index (in the profile's `ids:` order).
    Id(usize),
    /// When the event happened (fixed for the delivery).
    Time,
    /// When this attempt is made.
    Now,
    /// This attempt's Unix seconds (the signature's timestamp).
    Timestamp,
    /// This attempt's number, from 1.
    Attempt,
    /// How the previous attempt failed: `timeout`, `connection`, `status`,
    /// `too_many_redirects`; absent on the first attempt.
    LastFailure,
    /// The previous attempt's status, when it got an answer.
    LastStatus,
    /// Whether the request is signed (the endpoint has a secret).
    Signed,
    /// An endpoint setting.
    Endpoint(EndpointField),
    /// A received body, decoded (for `type_from`).
    Body,
}

/// The endpoint settings a template can read (`endpoint.NAME`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointField {
    /// `static_secret`: a fixed secret sent as a header (PerfectParser).
    StaticSecret,
    /// `data_in_payload`: include results inline (Crawl4AI).
    DataInPayload,
    /// `output_format`: `string` or `json` (LlamaCloud).
    OutputFormat,
    /// `url`: the endpoint's URL, when it has one.
    Url,
}

impl EndpointField {
    /// Every field and its name.
    pub const ALL: &[(&str, EndpointField)] = &[
        ("static_secret", EndpointField::StaticSecret),
        ("data_in_payload", EndpointField::DataInPayload),
        ("output_format", EndpointField::OutputFormat),
        ("url", EndpointField::Url),
    ];
}

/// A resolved variable.
#[derive(Debug, Clone, PartialEq)]
pub enum Var {
    /// Provided by the caller.
    Ctx(CtxVar),
    /// A parameter, `let` or `$each` name: a slot of the current frame.
    Slot(usize),
    /// A table of the profile (constant data).
    Table(usize),
}

/// A function of the expression language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    Uuid,
    UuidV1,
    Alnum,
    Hex,
    Chars,
    Base64Bytes,
    Int,
    Pick,
    Chance,
    If,
    Pad,
    Lower,
    Upper,
    Before,
    After,
    Len,
    Float,
    Window,
    Get,
    Default,
    Has,
    Json,
    Str,
    Unix,
    UnixMs,
    UnixFloat,
    Rfc3339,
    Header,
}

/// Every function: name, fewest and most arguments, whether it draws from the seeded
/// generator, and what it does (for `docs/profile-format.md` and error messages).
pub const FUNCTIONS: &[(&str, Func, usize, usize, bool, &str)] = &[
    ("uuid", Func::Uuid, 0, 0, true, "a random UUID v4"),
    (
        "uuid_v1",
        Func::UuidV1,
        0,
        0,
        true,
        "a random UUID laid out as version 1 (time-based)",
    ),
    (
        "alnum",
        Func::Alnum,
        1,
        1,
        true,
        "n letters and digits [A-Za-z0-9]",
    ),
    ("hex", Func::Hex, 1, 1, true, "n lowercase hex digits"),
    (
        "chars",
        Func::Chars,
        2,
        2,
        true,
        "n characters from the given alphabet",
    ),
    (
        "base64_bytes",
        Func::Base64Bytes,
        1,
        1,
        true,
        "n random bytes, base64",
    ),
    (
        "int",
        Func::Int,
        2,
        2,
        true,
        "a whole number from lo to hi, both included",
    ),
    ("pick", Func::Pick, 1, 1, true, "one item of a list"),
    (
        "chance",
        Func::Chance,
        2,
        2,
        true,
        "true with probability num/den",
    ),
    (
        "if",
        Func::If,
        3,
        3,
        false,
        "the second argument when the first is true, else the third (only the chosen one is evaluated)",
    ),
    (
        "pad",
        Func::Pad,
        2,
        2,
        false,
        "a whole number with leading zeros to the given width",
    ),
    ("lower", Func::Lower, 1, 1, false, "text in lowercase"),
    ("upper", Func::Upper, 1, 1, false, "text in uppercase"),
    (
        "before",
        Func::Before,
        2,
        2,
        false,
        "text before the first separator (all of it when there is none)",
    ),
    (
        "after",
        Func::After,
        2,
        2,
        false,
        "text after the first separator (empty when there is none)",
    ),
    (
        "len",
        Func::Len,
        1,
        1,
        false,
        "items of a list or object, characters of text",
    ),
    ("float", Func::Float, 1, 1, false, "a number as a float"),
    (
        "window",
        Func::Window,
        3,
        3,
        false,
        "count items of a list from start on, wrapping around",
    ),
    (
        "get",
        Func::Get,
        2,
        3,
        false,
        "an object's value for a key (or a default)",
    ),
    (
        "default",
        Func::Default,
        2,
        2,
        false,
        "the value, or the default when it is absent",
    ),
    (
        "has",
        Func::Has,
        1,
        1,
        false,
        "whether a value is present (null counts as present)",
    ),
    (
        "json",
        Func::Json,
        1,
        1,
        false,
        "a value as compact JSON text",
    ),
    ("str", Func::Str, 1, 1, false, "a value as text"),
    (
        "unix",
        Func::Unix,
        1,
        1,
        false,
        "a time as whole Unix seconds",
    ),
    (
        "unix_ms",
        Func::UnixMs,
        1,
        1,
        false,
        "a time as whole Unix milliseconds",
    ),
    (
        "unix_float",
        Func::UnixFloat,
        1,
        1,
        false,
        "a time as Unix seconds with a microsecond fraction",
    ),
    (
        "rfc3339",
        Func::Rfc3339,
        3,
        3,
        false,
        "a time as RFC 3339: digits 0-9 or 'auto' (Python's isoformat), offset 'Z' or '+HH:MM'/'-HH:MM' (local time there)",
    ),
    (
        "header",
        Func::Header,
        1,
        1,
        false,
        "a received header's value (type_from only)",
    ),
];

fn func_named(
    name: &str,
) -> Option<&'static (&'static str, Func, usize, usize, bool, &'static str)> {
    FUNCTIONS.iter().find(|f| f.0 == name)
}

fn func_info(f: Func) -> &'static (&'static str, Func, usize, usize, bool, &'static str) {
    FUNCTIONS
        .iter()
        .find(|x| x.1 == f)
        .expect("every function is listed")
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
}

/// A compiled expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal.
    Lit(Value),
    /// A variable.
    Var(Var),
    /// `x.name`.
    Field(Box<Expr>, String),
    /// `x[i]`.
    Index(Box<Expr>, Box<Expr>),
    /// `[a, b]`.
    List(Vec<Expr>),
    /// `-x`, `!x`.
    Un(UnOp, Box<Expr>),
    /// `a + b`, …
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// `f(a, b)`.
    Call(Func, Vec<Expr>),
}

/// A piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum SPart {
    /// Literal text.
    Lit(String),
    /// An expression's value, as text.
    Expr(Expr),
}

/// A mapping key: literal, or interpolated.
#[derive(Debug, Clone, PartialEq)]
pub enum TKey {
    /// Literal.
    Lit(String),
    /// Interpolated.
    Str(Vec<SPart>),
}

/// Which part a `$part` calls.
#[derive(Debug, Clone, PartialEq)]
pub enum PartRef {
    /// Known when compiled.
    Static(usize),
    /// Named by an expression.
    Dynamic(Expr),
}

/// A compiled template.
#[derive(Debug, Clone, PartialEq)]
pub enum TNode {
    /// A value with no template in it.
    Lit(Value),
    /// A string that is one expression: the expression's value.
    Expr(Expr),
    /// An interpolated string.
    Str(Vec<SPart>),
    /// An object built key by key.
    Obj(Vec<(TKey, TNode)>),
    /// A list built item by item.
    List(Vec<TNode>),
    /// `$if`.
    If {
        /// The condition.
        cond: Expr,
        /// When true.
        then: Box<TNode>,
        /// When false (absent when `None`).
        els: Option<Box<TNode>>,
    },
    /// `$each`.
    Each {
        /// The list.
        list: Expr,
        /// The slot the item is bound to.
        slot: usize,
        /// Made once per item.
        body: Box<TNode>,
    },
    /// `$merge`.
    Merge(Vec<TNode>),
    /// `$part`.
    Part {
        /// Which part.
        part: PartRef,
        /// Its arguments by parameter name.
        args: Vec<(String, TNode)>,
        /// For a part known when compiled, each argument's parameter slot (in `args`'
        /// order), found once rather than by name on every call; empty otherwise.
        slots: Vec<usize>,
    },
}

/// A named, reusable template with parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Its name.
    pub name: String,
    /// Its parameters, in slot order.
    pub params: Vec<String>,
    /// `let` bindings: (slot, template), evaluated in order.
    pub lets: Vec<(usize, TNode)>,
    /// Its value.
    pub value: TNode,
    /// Slots its frame needs.
    pub frame: usize,
    /// Whether calling it draws from the seeded generator.
    pub rng: bool,
}

/// A generator: `let` bindings, then a value (or an example with `set` overrides).
#[derive(Debug, Clone, PartialEq)]
pub struct Gen {
    /// `let` bindings.
    pub lets: Vec<(usize, TNode)>,
    /// The value; `None`: the example with `set` applied.
    pub value: Option<TNode>,
    /// JSON Pointers into the example and what to put there.
    pub set: Vec<(String, TNode)>,
    /// Slots its frame needs.
    pub frame: usize,
}

/// Tables and parts: what every template of a profile may use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Program {
    /// Constant data by name.
    pub tables: Vec<(String, Value)>,
    /// Parts by name.
    pub parts: Vec<Part>,
}

// ---------------------------------------------------------------------------------------
// Expression parser

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(Value),
    Str(String),
    Ident(String),
    Op(&'static str),
}

fn lex(src: &str) -> Result<Vec<(usize, Tok)>, (usize, String)> {
    let b: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    const OPS: &[&str] = &[
        "==", "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "<", ">", "!", "(", ")", "[",
        "]", ",", ".",
    ];
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c.is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let mut float = false;
            if i + 1 < b.len() && b[i] == '.' && b[i + 1].is_ascii_digit() {
                float = true;
                i += 1;
                while i < b.len() && b[i].is_ascii_digit() {
                    i += 1;
                }
            }
            if i < b.len() && (b[i] == 'e' || b[i] == 'E') {
                let mut j = i + 1;
                if j < b.len() && (b[j] == '+' || b[j] == '-') {
                    j += 1;
                }
                if j < b.len() && b[j].is_ascii_digit() {
                    float = true;
                    i = j;
                    while i < b.len() && b[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let text: String = b[start..i].iter().collect();
            let v = if float {
                text.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
            } else {
                text.parse::<i64>().ok().map(Value::from)
            };
            match v {
                Some(v) => out.push((start, Tok::Num(v))),
                None => return Err((start, format!("`{text}` is not a number hookrig can use"))),
            }
            continue;
        }
        if c == '\'' || c == '"' {
            let quote = c;
            i += 1;
            let mut s = String::new();
            loop {
                let Some(&ch) = b.get(i) else {
                    return Err((start, "text in quotes is not closed".into()));
                };
                i += 1;
                if ch == quote {
                    break;
                }
                if ch == '\\' {
                    let Some(&e) = b.get(i) else {
                        return Err((start, "text in quotes is not closed".into()));
                    };
                    i += 1;
                    s.push(match e {
                        'n' => '\n',
                        't' => '\t',
                        'r' => '\r',
                        other => other,
                    });
                } else {
                    s.push(ch);
                }
            }
            out.push((start, Tok::Str(s)));
            continue;
        }
        if c.is_alphabetic() || c == '_' {
            while i < b.len() && (b[i].is_alphanumeric() || b[i] == '_') {
                i += 1;
            }
            out.push((start, Tok::Ident(b[start..i].iter().collect())));
            continue;
        }
        let rest: String = b[i..b.len().min(i + 2)].iter().collect();
        match OPS.iter().find(|op| rest.starts_with(**op)) {
            Some(op) => {
                i += op.chars().count();
                out.push((start, Tok::Op(op)));
            }
            None => return Err((start, format!("unexpected `{c}`"))),
        }
    }
    Ok(out)
}

/// A parsed expression before names are resolved.
#[derive(Debug, Clone)]
enum PExpr {
    Lit(Value),
    Name(String),
    Field(Box<PExpr>, String),
    Index(Box<PExpr>, Box<PExpr>),
    List(Vec<PExpr>),
    Un(UnOp, Box<PExpr>),
    Bin(BinOp, Box<PExpr>, Box<PExpr>),
    Call(String, Vec<PExpr>),
}

struct Parser {
    toks: Vec<(usize, Tok)>,
    pos: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.1)
    }
    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.end, |t| t.0)
    }
    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Op(o)) if *o == op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, op: &str) -> Result<(), (usize, String)> {
        if self.eat(op) {
            Ok(())
        } else {
            Err((self.at(), format!("expected `{op}`")))
        }
    }

    fn binary(&mut self, level: usize) -> Result<PExpr, (usize, String)> {
        const LEVELS: &[&[(&str, BinOp)]] = &[
            &[("||", BinOp::Or)],
            &[("&&", BinOp::And)],
            &[
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
                ("<=", BinOp::Le),
                (">=", BinOp::Ge),
                ("<", BinOp::Lt),
                (">", BinOp::Gt),
            ],
            &[("+", BinOp::Add), ("-", BinOp::Sub)],
            &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        'outer: loop {
            for (op, bin) in LEVELS[level] {
                if self.eat(op) {
                    let rhs = self.binary(level + 1)?;
                    lhs = PExpr::Bin(*bin, Box::new(lhs), Box::new(rhs));
                    continue 'outer;
                }
            }
            return Ok(lhs);
        }
    }

    fn unary(&mut self) -> Result<PExpr, (usize, String)> {
        if self.eat("-") {
            return Ok(PExpr::Un(UnOp::Neg, Box::new(self.unary()?)));
        }
        if self.eat("!") {
            return Ok(PExpr::Un(UnOp::Not, Box::new(self.unary()?)));
        }
        let mut e = self.primary()?;
        loop {
            if self.eat(".") {
                match self.toks.get(self.pos).cloned() {
                    Some((_, Tok::Ident(name))) => {
                        self.pos += 1;
                        e = PExpr::Field(Box::new(e), name);
                    }
                    _ => return Err((self.at(), "expected a field name after `.`".into())),
                }
            } else if self.eat("[") {
                let i = self.binary(0)?;
                self.expect("]")?;
                e = PExpr::Index(Box::new(e), Box::new(i));
            } else {
                return Ok(e);
            }
        }
    }

    fn primary(&mut self) -> Result<PExpr, (usize, String)> {
        let at = self.at();
        let Some((_, tok)) = self.toks.get(self.pos).cloned() else {
            return Err((at, "expected a value".into()));
        };
        self.pos += 1;
        match tok {
            Tok::Num(v) => Ok(PExpr::Lit(v)),
            Tok::Str(s) => Ok(PExpr::Lit(Value::String(s))),
            Tok::Ident(name) => match name.as_str() {
                "true" => Ok(PExpr::Lit(Value::Bool(true))),
                "false" => Ok(PExpr::Lit(Value::Bool(false))),
                "null" => Ok(PExpr::Lit(Value::Null)),
                _ if self.eat("(") => {
                    let mut args = Vec::new();
                    if !self.eat(")") {
                        loop {
                            args.push(self.binary(0)?);
                            if self.eat(")") {
                                break;
                            }
                            self.expect(",")?;
                        }
                    }
                    Ok(PExpr::Call(name, args))
                }
                _ => Ok(PExpr::Name(name)),
            },
            Tok::Op("(") => {
                let e = self.binary(0)?;
                self.expect(")")?;
                Ok(e)
            }
            Tok::Op("[") => {
                let mut items = Vec::new();
                if !self.eat("]") {
                    loop {
                        items.push(self.binary(0)?);
                        if self.eat("]") {
                            break;
                        }
                        self.expect(",")?;
                    }
                }
                Ok(PExpr::List(items))
            }
            Tok::Op(op) => Err((at, format!("unexpected `{op}`"))),
        }
    }
}

fn parse_expr(src: &str) -> Result<PExpr, (usize, String)> {
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        end: src.chars().count(),
    };
    let e = p.binary(0)?;
    if p.pos < p.toks.len() {
        return Err((p.at(), "unexpected text after the expression".into()));
    }
    Ok(e)
}

/// A template string split into literal text and expression sources (with their
/// character offsets).
enum Raw<'s> {
    Lit(String),
    Expr(&'s str, usize),
}

fn split_template(s: &str) -> Result<Vec<Raw<'_>>, (usize, String)> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = s.char_indices().peekable();
    let mut n = 0usize;
    while let Some((i, c)) = chars.next() {
        let here = n;
        n += 1;
        match c {
            '{' if chars.peek().map(|x| x.1) == Some('{') => {
                chars.next();
                n += 1;
                lit.push('{');
            }
            '}' if chars.peek().map(|x| x.1) == Some('}') => {
                chars.next();
                n += 1;
                lit.push('}');
            }
            '}' => {
                return Err((
                    here,
                    "`}` without `{` (write `}}` for a literal brace)".into(),
                ));
            }
            '{' => {
                let start = i + 1;
                let mut quote: Option<char> = None;
                let mut end = None;
                for (j, d) in chars.by_ref() {
                    n += 1;
                    match (quote, d) {
                        (Some(q), d) if d == q => quote = None,
                        (Some(_), _) => {}
                        (None, '\'' | '"') => quote = Some(d),
                        (None, '}') => {
                            end = Some(j);
                            break;
                        }
                        _ => {}
                    }
                }
                let Some(end) = end else {
                    return Err((
                        here,
                        "`{` is not closed (write `{{` for a literal brace)".into(),
                    ));
                };
                if !lit.is_empty() {
                    out.push(Raw::Lit(std::mem::take(&mut lit)));
                }
                out.push(Raw::Expr(&s[start..end], here + 1));
            }
            other => lit.push(other),
        }
    }
    if !lit.is_empty() {
        out.push(Raw::Lit(lit));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Compiler

/// What a template may read: the caller's variables by name, and whether it may draw from
/// the seeded generator.
#[derive(Debug, Clone)]
pub struct Allowed {
    /// Variable names and what they are.
    pub vars: Vec<(String, CtxVar)>,
    /// Whether random functions are allowed.
    pub rng: bool,
    /// Where the template is, for messages: `the body`, `a header`.
    pub what: &'static str,
    /// Why random functions are not allowed here, for messages.
    pub why_pure: &'static str,
}

impl Allowed {
    /// `type`, `time` (when the event happened), and random functions: the catalogue's
    /// generators.
    pub fn generator() -> Self {
        Self {
            vars: vec![("type".into(), CtxVar::Type), ("time".into(), CtxVar::Time)],
            rng: true,
            what: "a generator",
            why_pure: "",
        }
    }

    /// Only `type`, no random functions: schemas.
    pub fn pure(what: &'static str, why: &'static str) -> Self {
        Self {
            vars: vec![("type".into(), CtxVar::Type)],
            rng: false,
            what,
            why_pure: why,
        }
    }
}

/// Names in scope in one frame: slot names, innermost last.
#[derive(Debug, Default)]
struct Scope {
    names: Vec<(String, usize)>,
    next: usize,
    max: usize,
}

impl Scope {
    fn bind(&mut self, name: &str) -> usize {
        let slot = self.next;
        self.next += 1;
        self.max = self.max.max(self.next);
        self.names.push((name.to_owned(), slot));
        slot
    }
    fn lookup(&self, name: &str) -> Option<usize> {
        self.names
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
    }
}

/// Compiles templates against a profile's tables and part signatures.
pub struct Compiler<'c> {
    /// Table names, in slot order.
    pub tables: &'c [String],
    /// Part names and parameters, in index order.
    pub parts: &'c [(String, Vec<String>)],
    /// Errors found.
    pub errors: Vec<TError>,
    /// Static part calls made (for cycle checks).
    pub calls: Vec<usize>,
    /// Whether a dynamic part call was made.
    pub dynamic_calls: bool,
    /// Whether a random function was used directly.
    pub used_rng: bool,
    /// Caller variables used.
    pub used: Vec<CtxVar>,
}

/// Directive keys and the keys that go with them.
const DIRECTIVES: &[(&str, &[&str])] = &[
    ("$if", &["$if", "then", "else"]),
    ("$each", &["$each", "as", "do"]),
    ("$merge", &["$merge"]),
    ("$literal", &["$literal"]),
];

impl<'c> Compiler<'c> {
    /// A compiler over these tables and parts.
    pub fn new(tables: &'c [String], parts: &'c [(String, Vec<String>)]) -> Self {
        Self {
            tables,
            parts,
            errors: Vec::new(),
            calls: Vec::new(),
            dynamic_calls: false,
            used_rng: false,
            used: Vec::new(),
        }
    }

    fn err(&mut self, node: &Node, message: String) {
        self.errors.push(TError {
            line: node.line,
            col: node.col,
            message,
        });
    }

    /// Compiles a template in a fresh frame; returns it and the frame size.
    pub fn template(&mut self, node: &Node, allowed: &Allowed) -> (TNode, usize) {
        let mut scope = Scope::default();
        let t = self.node(node, allowed, &mut scope);
        (t, scope.max)
    }

    /// Compiles a generator: `lets` in order, then `value` (or `set` overrides).
    pub fn generator(
        &mut self,
        lets: &[(Node, Node)],
        value: Option<&Node>,
        set: &[(Node, Node)],
        allowed: &Allowed,
    ) -> Gen {
        let mut scope = Scope::default();
        let mut compiled = Vec::new();
        for (name, t) in lets {
            let n = self.node(t, allowed, &mut scope);
            let key = name.as_str().unwrap_or_default();
            self.check_name(name, key, allowed);
            let slot = scope.bind(key);
            compiled.push((slot, n));
        }
        let value = value.map(|v| self.node(v, allowed, &mut scope));
        let set = set
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().unwrap_or_default().to_owned(),
                    self.node(v, allowed, &mut scope),
                )
            })
            .collect();
        Gen {
            lets: compiled,
            value,
            set,
            frame: scope.max,
        }
    }

    /// Compiles a part's body with its parameters bound.
    pub fn part(
        &mut self,
        name: &str,
        params: &[String],
        lets: &[(Node, Node)],
        value: &Node,
        allowed: &Allowed,
    ) -> Part {
        let mut scope = Scope::default();
        for p in params {
            scope.bind(p);
        }
        let mut compiled = Vec::new();
        for (n, t) in lets {
            let c = self.node(t, allowed, &mut scope);
            let key = n.as_str().unwrap_or_default();
            self.check_name(n, key, allowed);
            compiled.push((scope.bind(key), c));
        }
        let value = self.node(value, allowed, &mut scope);
        Part {
            name: name.to_owned(),
            params: params.to_vec(),
            lets: compiled,
            value,
            frame: scope.max,
            rng: false,
        }
    }

    /// Compiles one expression source (without braces).
    pub fn expression(&mut self, node: &Node, src: &str, allowed: &Allowed) -> Expr {
        let mut scope = Scope::default();
        self.expr_src(node, src, 0, allowed, &mut scope)
    }

    fn check_name(&mut self, node: &Node, name: &str, allowed: &Allowed) {
        let ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_alphanumeric() || c == '_');
        if !ok {
            self.err(node, format!("`{name}` is not a usable name: letters, digits and `_`, not starting with a digit"));
        } else if allowed.vars.iter().any(|(n, _)| n == name)
            || self.tables.iter().any(|t| t == name)
        {
            self.err(
                node,
                format!("`{name}` is already a variable or table name here; choose another"),
            );
        }
    }

    fn node(&mut self, node: &Node, allowed: &Allowed, scope: &mut Scope) -> TNode {
        match &node.kind {
            NodeKind::Str(s) => self.string(node, s, allowed, scope),
            NodeKind::Seq(items) => {
                let items: Vec<TNode> =
                    items.iter().map(|i| self.node(i, allowed, scope)).collect();
                if items.iter().all(|i| matches!(i, TNode::Lit(_))) {
                    TNode::Lit(Value::Array(
                        items
                            .into_iter()
                            .map(|i| match i {
                                TNode::Lit(v) => v,
                                _ => unreachable!("checked"),
                            })
                            .collect(),
                    ))
                } else {
                    TNode::List(items)
                }
            }
            NodeKind::Map(entries) => {
                if let Some(t) = self.directive(node, entries, allowed, scope) {
                    return t;
                }
                let mut out = Vec::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = match split_template(&k.name) {
                        Ok(parts) if parts.iter().any(|p| matches!(p, Raw::Expr(..))) => {
                            let knode = Node {
                                line: k.line,
                                col: k.col,
                                kind: NodeKind::Null,
                            };
                            match self.string(&knode, &k.name, allowed, scope) {
                                TNode::Str(p) => TKey::Str(p),
                                TNode::Expr(e) => TKey::Str(vec![SPart::Expr(e)]),
                                TNode::Lit(Value::String(s)) => TKey::Lit(s),
                                _ => TKey::Lit(k.name.clone()),
                            }
                        }
                        Ok(parts) => TKey::Lit(
                            parts
                                .into_iter()
                                .map(|p| match p {
                                    Raw::Lit(l) => l,
                                    Raw::Expr(..) => String::new(),
                                })
                                .collect(),
                        ),
                        Err((_, m)) => {
                            let knode = Node {
                                line: k.line,
                                col: k.col,
                                kind: NodeKind::Null,
                            };
                            self.err(&knode, format!("key `{}`: {m}", k.name));
                            TKey::Lit(k.name.clone())
                        }
                    };
                    out.push((key, self.node(v, allowed, scope)));
                }
                let all_lit = out
                    .iter()
                    .all(|(k, v)| matches!(k, TKey::Lit(_)) && matches!(v, TNode::Lit(_)));
                if all_lit {
                    let mut m = Map::new();
                    for (k, v) in out {
                        if let (TKey::Lit(k), TNode::Lit(v)) = (k, v) {
                            m.insert(k, v);
                        }
                    }
                    TNode::Lit(Value::Object(m))
                } else {
                    TNode::Obj(out)
                }
            }
            _ => TNode::Lit(node.to_value()),
        }
    }

    fn directive(
        &mut self,
        node: &Node,
        entries: &[(super::raw::Key, Node)],
        allowed: &Allowed,
        scope: &mut Scope,
    ) -> Option<TNode> {
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.name.as_str()).collect();
        let get = |name: &str| entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v);
        if keys.contains(&"$part") {
            let target = get("$part").expect("present");
            let part = match target.as_str() {
                Some(name) if !name.contains('{') => {
                    match self.parts.iter().position(|p| p.0 == name) {
                        Some(i) => {
                            self.calls.push(i);
                            let params = &self.parts[i].1;
                            for (k, _) in entries.iter().filter(|(k, _)| k.name != "$part") {
                                if !params.contains(&k.name) {
                                    let knode = Node {
                                        line: k.line,
                                        col: k.col,
                                        kind: NodeKind::Null,
                                    };
                                    let ps: Vec<&str> = params.iter().map(String::as_str).collect();
                                    let msg = if ps.is_empty() {
                                        format!(
                                            "part `{name}` has no parameter `{}` (it takes none)",
                                            k.name
                                        )
                                    } else {
                                        crate::text::choice_error(
                                            &format!("parameter of part `{name}`"),
                                            &k.name,
                                            &ps,
                                        )
                                    };
                                    self.err(&knode, msg);
                                }
                            }
                            PartRef::Static(i)
                        }
                        None => {
                            let names: Vec<&str> =
                                self.parts.iter().map(|p| p.0.as_str()).collect();
                            let msg = if names.is_empty() {
                                format!("unknown part `{name}`: the profile defines no `parts:`")
                            } else {
                                crate::text::choice_error("part", name, &names)
                            };
                            self.err(target, msg);
                            PartRef::Static(0)
                        }
                    }
                }
                Some(src) => {
                    self.dynamic_calls = true;
                    match self.string(target, src, allowed, scope) {
                        TNode::Expr(e) => PartRef::Dynamic(e),
                        TNode::Str(p) => PartRef::Dynamic(concat(p)),
                        _ => PartRef::Static(0),
                    }
                }
                None => {
                    self.err(target, "`$part` names a part: give its name as text".into());
                    PartRef::Static(0)
                }
            };
            let args: Vec<(String, TNode)> = entries
                .iter()
                .filter(|(k, _)| k.name != "$part")
                .map(|(k, v)| (k.name.clone(), self.node(v, allowed, scope)))
                .collect();
            let slots = match &part {
                PartRef::Static(i) => self.parts.get(*i).map_or_else(Vec::new, |p| {
                    args.iter()
                        .map_while(|(name, _)| p.1.iter().position(|x| x == name))
                        .collect()
                }),
                PartRef::Dynamic(_) => Vec::new(),
            };
            return Some(TNode::Part { part, args, slots });
        }
        let (dir, companions) = DIRECTIVES.iter().find(|(d, _)| keys.contains(d))?;
        for (k, _) in entries {
            if !companions.contains(&k.name.as_str()) {
                let knode = Node {
                    line: k.line,
                    col: k.col,
                    kind: NodeKind::Null,
                };
                self.err(
                    &knode,
                    crate::text::choice_error(&format!("key beside `{dir}`"), &k.name, companions),
                );
            }
        }
        let need = |c: &mut Self, name: &str| -> Option<&Node> {
            let v = get(name);
            if v.is_none() {
                c.err(node, format!("`{dir}` needs `{name}`"));
            }
            v
        };
        Some(match *dir {
            "$if" => {
                let cond = self.cond(get("$if").expect("present"), allowed, scope);
                let then = need(self, "then")
                    .map_or(TNode::Lit(Value::Null), |t| self.node(t, allowed, scope));
                let els = get("else").map(|e| Box::new(self.node(e, allowed, scope)));
                TNode::If {
                    cond,
                    then: Box::new(then),
                    els,
                }
            }
            "$each" => {
                let list = self.cond(get("$each").expect("present"), allowed, scope);
                let name = need(self, "as")
                    .and_then(|a| a.as_str().map(str::to_owned))
                    .unwrap_or_default();
                if let Some(a) = get("as") {
                    self.check_name(a, &name, allowed);
                }
                let saved = scope.names.len();
                let saved_next = scope.next;
                let slot = scope.bind(&name);
                let body = need(self, "do")
                    .map_or(TNode::Lit(Value::Null), |d| self.node(d, allowed, scope));
                scope.names.truncate(saved);
                scope.next = saved_next.max(slot + 1);
                TNode::Each {
                    list,
                    slot,
                    body: Box::new(body),
                }
            }
            "$merge" => match &get("$merge").expect("present").kind {
                NodeKind::Seq(items) => {
                    TNode::Merge(items.iter().map(|i| self.node(i, allowed, scope)).collect())
                }
                _ => {
                    self.err(node, "`$merge` takes a list of templates to merge".into());
                    TNode::Lit(Value::Null)
                }
            },
            _ => TNode::Lit(get("$literal").expect("present").to_value()),
        })
    }

    /// A condition or list: an expression with or without braces.
    fn cond(&mut self, node: &Node, allowed: &Allowed, scope: &mut Scope) -> Expr {
        match &node.kind {
            NodeKind::Str(s) => {
                let t = s.trim();
                let src = t
                    .strip_prefix('{')
                    .and_then(|x| x.strip_suffix('}'))
                    .filter(|x| !x.contains('{'))
                    .unwrap_or(t);
                self.expr_src(node, src, 0, allowed, scope)
            }
            _ => Expr::Lit(node.to_value()),
        }
    }

    fn string(&mut self, node: &Node, s: &str, allowed: &Allowed, scope: &mut Scope) -> TNode {
        let parts = match split_template(s) {
            Ok(p) => p,
            Err((at, m)) => {
                self.err(node, format!("in `{s}` at character {}: {m}", at + 1));
                return TNode::Lit(Value::String(s.to_owned()));
            }
        };
        match parts.as_slice() {
            [] => TNode::Lit(Value::String(String::new())),
            [Raw::Lit(l)] => TNode::Lit(Value::String(l.clone())),
            [Raw::Expr(src, off)] => TNode::Expr(self.expr_in(node, s, src, *off, allowed, scope)),
            _ => TNode::Str(
                parts
                    .iter()
                    .map(|p| match p {
                        Raw::Lit(l) => SPart::Lit(l.clone()),
                        Raw::Expr(src, off) => {
                            SPart::Expr(self.expr_in(node, s, src, *off, allowed, scope))
                        }
                    })
                    .collect(),
            ),
        }
    }

    fn expr_in(
        &mut self,
        node: &Node,
        whole: &str,
        src: &str,
        off: usize,
        allowed: &Allowed,
        scope: &mut Scope,
    ) -> Expr {
        let before = self.errors.len();
        let e = self.expr_src(node, src, off, allowed, scope);
        for err in &mut self.errors[before..] {
            if !err.message.starts_with("in `") {
                err.message = format!("in `{whole}`: {}", err.message);
            }
        }
        e
    }

    fn expr_src(
        &mut self,
        node: &Node,
        src: &str,
        off: usize,
        allowed: &Allowed,
        scope: &mut Scope,
    ) -> Expr {
        match parse_expr(src) {
            Ok(p) => self.resolve(node, p, allowed, scope),
            Err((at, m)) => {
                self.err(
                    node,
                    format!("`{{{src}}}` at character {}: {m}", off + at + 1),
                );
                Expr::Lit(Value::Null)
            }
        }
    }

    fn resolve(&mut self, node: &Node, p: PExpr, allowed: &Allowed, scope: &mut Scope) -> Expr {
        match p {
            PExpr::Lit(v) => Expr::Lit(v),
            PExpr::Name(name) => {
                if let Some(slot) = scope.lookup(&name) {
                    return Expr::Var(Var::Slot(slot));
                }
                if let Some((_, v)) = allowed.vars.iter().find(|(n, _)| *n == name) {
                    if !self.used.contains(v) {
                        self.used.push(*v);
                    }
                    return Expr::Var(Var::Ctx(*v));
                }
                if let Some(i) = self.tables.iter().position(|t| *t == name) {
                    return Expr::Var(Var::Table(i));
                }
                if name == "endpoint"
                    && allowed
                        .vars
                        .iter()
                        .any(|(_, v)| matches!(v, CtxVar::Endpoint(_)))
                {
                    self.err(node, "`endpoint` is read by field: endpoint.static_secret, endpoint.data_in_payload, endpoint.output_format or endpoint.url".into());
                    return Expr::Lit(Value::Null);
                }
                let mut names: Vec<String> = scope.names.iter().map(|(n, _)| n.clone()).collect();
                names.extend(
                    allowed
                        .vars
                        .iter()
                        .filter(|(_, v)| !matches!(v, CtxVar::Endpoint(_)))
                        .map(|(n, _)| n.clone()),
                );
                if allowed
                    .vars
                    .iter()
                    .any(|(_, v)| matches!(v, CtxVar::Endpoint(_)))
                {
                    names.push("endpoint".into());
                }
                names.extend(self.tables.iter().cloned());
                names.sort();
                names.dedup();
                let refs: Vec<&str> = names.iter().map(String::as_str).collect();
                let mut msg = crate::text::choice_error(
                    &format!("variable in {}", allowed.what),
                    &name,
                    &refs,
                );
                if refs.is_empty() {
                    msg.push_str(" (no variables here)");
                }
                self.err(node, msg);
                Expr::Lit(Value::Null)
            }
            PExpr::Field(inner, field) => {
                if let PExpr::Name(n) = inner.as_ref()
                    && n == "endpoint"
                    && scope.lookup("endpoint").is_none()
                    && allowed
                        .vars
                        .iter()
                        .any(|(_, v)| matches!(v, CtxVar::Endpoint(_)))
                {
                    let names: Vec<&str> = EndpointField::ALL.iter().map(|(n, _)| *n).collect();
                    return match EndpointField::ALL.iter().find(|(n, _)| *n == field) {
                        Some((_, f)) => {
                            let v = CtxVar::Endpoint(*f);
                            if !self.used.contains(&v) {
                                self.used.push(v);
                            }
                            Expr::Var(Var::Ctx(v))
                        }
                        None => {
                            self.err(
                                node,
                                crate::text::choice_error("endpoint setting", &field, &names),
                            );
                            Expr::Lit(Value::Null)
                        }
                    };
                }
                Expr::Field(Box::new(self.resolve(node, *inner, allowed, scope)), field)
            }
            PExpr::Index(a, b) => Expr::Index(
                Box::new(self.resolve(node, *a, allowed, scope)),
                Box::new(self.resolve(node, *b, allowed, scope)),
            ),
            PExpr::List(items) => {
                let items: Vec<Expr> = items
                    .into_iter()
                    .map(|i| self.resolve(node, i, allowed, scope))
                    .collect();
                // A list of literals is a literal: made once here, not item by item at
                // every evaluation (`pick(['Maersk', 'MSC', 'CMA CGM'])`); it draws nothing.
                if items.iter().all(|i| matches!(i, Expr::Lit(_))) {
                    Expr::Lit(Value::Array(
                        items
                            .into_iter()
                            .map(|i| match i {
                                Expr::Lit(v) => v,
                                _ => unreachable!("checked"),
                            })
                            .collect(),
                    ))
                } else {
                    Expr::List(items)
                }
            }
            PExpr::Un(op, a) => Expr::Un(op, Box::new(self.resolve(node, *a, allowed, scope))),
            PExpr::Bin(op, a, b) => Expr::Bin(
                op,
                Box::new(self.resolve(node, *a, allowed, scope)),
                Box::new(self.resolve(node, *b, allowed, scope)),
            ),
            PExpr::Call(name, args) => {
                let Some(&(fname, f, lo, hi, rng, _)) = func_named(&name) else {
                    let names: Vec<&str> = FUNCTIONS.iter().map(|f| f.0).collect();
                    let mut msg = crate::text::choice_error("function", &name, &names);
                    if !msg.contains("(valid:") {
                        msg.push_str(&format!(" (valid: {})", names.join(", ")));
                    }
                    self.err(node, msg);
                    return Expr::Lit(Value::Null);
                };
                if args.len() < lo || args.len() > hi {
                    let want = if lo == hi {
                        format!("{lo}")
                    } else {
                        format!("{lo} to {hi}")
                    };
                    self.err(
                        node,
                        format!("{fname}() takes {want} argument(s), {} given", args.len()),
                    );
                }
                if rng {
                    self.used_rng = true;
                    if !allowed.rng {
                        self.err(
                            node,
                            format!("{fname}() draws from the run's seeded generator, which {} may not do: {}", allowed.what, allowed.why_pure),
                        );
                    }
                }
                if f == Func::Header && !allowed.vars.iter().any(|(_, v)| *v == CtxVar::Body) {
                    self.err(
                        node,
                        "header() reads a received request's header: it is for `type_from` only"
                            .into(),
                    );
                }
                Expr::Call(
                    f,
                    args.into_iter()
                        .map(|a| self.resolve(node, a, allowed, scope))
                        .collect(),
                )
            }
        }
    }
}

/// An interpolated string as one expression: its pieces joined with `+`.
fn concat(p: Vec<SPart>) -> Expr {
    p.into_iter()
        .map(|x| match x {
            SPart::Lit(l) => Expr::Lit(Value::String(l)),
            SPart::Expr(e) => Expr::Call(Func::Str, vec![e]),
        })
        .reduce(|a, b| Expr::Bin(BinOp::Add, Box::new(a), Box::new(b)))
        .unwrap_or(Expr::Lit(Value::String(String::new())))
}

/// Whether a compiled template draws from the seeded generator, given which parts do.
pub fn node_uses_rng(t: &TNode, parts: &[Part]) -> bool {
    fn expr(e: &Expr) -> bool {
        match e {
            Expr::Lit(_) | Expr::Var(_) => false,
            Expr::Field(a, _) | Expr::Un(_, a) => expr(a),
            Expr::Index(a, b) | Expr::Bin(_, a, b) => expr(a) || expr(b),
            Expr::List(items) => items.iter().any(expr),
            Expr::Call(f, args) => func_info(*f).4 || args.iter().any(expr),
        }
    }
    match t {
        TNode::Lit(_) => false,
        TNode::Expr(e) => expr(e),
        TNode::Str(p) => p.iter().any(|x| matches!(x, SPart::Expr(e) if expr(e))),
        TNode::Obj(entries) => entries.iter().any(|(k, v)| {
            matches!(k, TKey::Str(p) if p.iter().any(|x| matches!(x, SPart::Expr(e) if expr(e))))
                || node_uses_rng(v, parts)
        }),
        TNode::List(items) | TNode::Merge(items) => items.iter().any(|i| node_uses_rng(i, parts)),
        TNode::If { cond, then, els } => {
            expr(cond)
                || node_uses_rng(then, parts)
                || els.as_ref().is_some_and(|e| node_uses_rng(e, parts))
        }
        TNode::Each { list, body, .. } => expr(list) || node_uses_rng(body, parts),
        TNode::Part { part, args, .. } => {
            let called = match part {
                PartRef::Static(i) => parts.get(*i).is_some_and(|p| p.rng),
                PartRef::Dynamic(e) => expr(e) || parts.iter().any(|p| p.rng),
            };
            called || args.iter().any(|(_, a)| node_uses_rng(a, parts))
        }
    }
}

/// Whether an expression reads anything that may differ between two attempts of one
/// delivery: the attempt's time, number or previous result, a received body or headers,
/// or the seeded generator.
pub fn expr_varies_per_attempt(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) => false,
        Expr::Var(Var::Ctx(v)) => matches!(
            v,
            CtxVar::Now
                | CtxVar::Timestamp
                | CtxVar::Attempt
                | CtxVar::LastFailure
                | CtxVar::LastStatus
                | CtxVar::Body
        ),
        Expr::Var(_) => false,
        Expr::Field(a, _) | Expr::Un(_, a) => expr_varies_per_attempt(a),
        Expr::Index(a, b) | Expr::Bin(_, a, b) => {
            expr_varies_per_attempt(a) || expr_varies_per_attempt(b)
        }
        Expr::List(items) => items.iter().any(expr_varies_per_attempt),
        Expr::Call(f, args) => {
            func_info(*f).4 || *f == Func::Header || args.iter().any(expr_varies_per_attempt)
        }
    }
}

/// Whether a compiled template may make different values for two attempts of one delivery
/// (see [`expr_varies_per_attempt`]); parts are followed (a part reached again through
/// itself, or one named at run time, counts as varying).
pub fn node_varies_per_attempt(t: &TNode, parts: &[Part]) -> bool {
    node_any(t, parts, expr_varies_per_attempt, |p| p.rng)
}

/// Whether an expression reads the event data (`data`).
pub fn expr_reads_data(e: &Expr) -> bool {
    match e {
        Expr::Lit(_) => false,
        Expr::Var(v) => matches!(v, Var::Ctx(CtxVar::Data)),
        Expr::Field(a, _) | Expr::Un(_, a) => expr_reads_data(a),
        Expr::Index(a, b) | Expr::Bin(_, a, b) => expr_reads_data(a) || expr_reads_data(b),
        Expr::List(items) | Expr::Call(_, items) => items.iter().any(expr_reads_data),
    }
}

/// Whether a compiled template may read the event data; parts are followed (a part
/// reached again through itself, or one named at run time, counts as reading it).
pub fn node_reads_data(t: &TNode, parts: &[Part]) -> bool {
    node_any(t, parts, expr_reads_data, |_| false)
}

/// Whether any expression of a compiled template satisfies `hit`, following parts: a part
/// for which `part_hit` holds, one reached again through itself (past 32 levels) or one
/// named at run time counts as a hit.
fn node_any(
    t: &TNode,
    parts: &[Part],
    hit: fn(&Expr) -> bool,
    part_hit: fn(&Part) -> bool,
) -> bool {
    fn walk(
        t: &TNode,
        parts: &[Part],
        hit: fn(&Expr) -> bool,
        part_hit: fn(&Part) -> bool,
        depth: usize,
    ) -> bool {
        let sparts = |p: &[SPart]| p.iter().any(|x| matches!(x, SPart::Expr(x) if hit(x)));
        let node = |n: &TNode| walk(n, parts, hit, part_hit, depth);
        match t {
            TNode::Lit(_) => false,
            TNode::Expr(x) => hit(x),
            TNode::Str(p) => sparts(p),
            TNode::Obj(entries) => entries
                .iter()
                .any(|(k, v)| matches!(k, TKey::Str(p) if sparts(p)) || node(v)),
            TNode::List(items) | TNode::Merge(items) => items.iter().any(node),
            TNode::If { cond, then, els } => {
                hit(cond) || node(then) || els.as_deref().is_some_and(node)
            }
            TNode::Each { list, body, .. } => hit(list) || node(body),
            TNode::Part { part, args, .. } => {
                if args.iter().any(|(_, a)| node(a)) || depth > 32 {
                    return true;
                }
                match part {
                    PartRef::Dynamic(_) => true,
                    PartRef::Static(i) => parts.get(*i).is_none_or(|p| {
                        part_hit(p)
                            || p.lets
                                .iter()
                                .any(|(_, l)| walk(l, parts, hit, part_hit, depth + 1))
                            || walk(&p.value, parts, hit, part_hit, depth + 1)
                    }),
                }
            }
        }
    }
    walk(t, parts, hit, part_hit, 0)
}

// ---------------------------------------------------------------------------------------
// Run time

/// A value while a template is evaluated: borrowed where it can be.
#[derive(Debug, Clone)]
pub enum Val<'a> {
    /// Borrowed JSON (event data, tables, literals).
    Ref(&'a Value),
    /// Made JSON.
    Own(Value),
    /// Borrowed text (ids, the event type).
    Str(&'a str),
    /// A point in time.
    Time(Duration),
    /// Nothing: a missing field, a false `$if` without `else`.
    Absent,
}

impl<'a> Val<'a> {
    fn json(&self) -> Option<&Value> {
        match self {
            Val::Ref(v) => Some(v),
            Val::Own(v) => Some(v),
            _ => None,
        }
    }

    /// Whether the value is absent.
    pub fn is_absent(&self) -> bool {
        matches!(self, Val::Absent)
    }

    /// The value as owned JSON (a time as RFC 3339, absent as null).
    pub fn into_value(self) -> Value {
        match self {
            Val::Ref(v) => v.clone(),
            Val::Own(v) => v,
            Val::Str(s) => Value::String(s.to_owned()),
            Val::Time(t) => Value::String(clock::iso_z(t)),
            Val::Absent => Value::Null,
        }
    }

    fn truthy(&self) -> bool {
        match self {
            Val::Absent => false,
            Val::Str(s) => !s.is_empty(),
            Val::Time(_) => true,
            Val::Ref(v) => json_truthy(v),
            Val::Own(v) => json_truthy(v),
        }
    }

    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Val::Str(s) => Some(Cow::Borrowed(s)),
            Val::Ref(Value::String(s)) | Val::Own(Value::String(s)) => Some(Cow::Borrowed(s)),
            _ => None,
        }
    }

    fn int(&self) -> Option<i64> {
        self.json().and_then(Value::as_i64)
    }

    fn num(&self) -> Option<&Number> {
        match self.json() {
            Some(Value::Number(n)) => Some(n),
            _ => None,
        }
    }

    fn time(&self) -> Option<Duration> {
        match self {
            Val::Time(t) => Some(*t),
            _ => None,
        }
    }

    /// The value as text, the way an interpolated string writes it.
    pub fn write_text(&self, out: &mut String) {
        match self {
            Val::Absent => {}
            Val::Str(s) => put(out, s),
            Val::Time(t) => {
                let t = clock::iso_z(*t);
                if out.is_empty() {
                    *out = t;
                } else {
                    out.push_str(&t);
                }
            }
            Val::Ref(v) => write_json_text(v, out),
            Val::Own(v) => write_json_text(v, out),
        }
    }
}

fn json_truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// `s` appended to `out`; into an empty `out` copied at its own size in one allocation
/// (pushing it went through the vector's growth path, for most header values and for the
/// first piece of every interpolated string).
fn put(out: &mut String, s: &str) {
    if out.capacity() == 0 {
        *out = s.to_owned();
    } else {
        out.push_str(s);
    }
}

fn write_json_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => put(out, s),
        // Whole numbers written without the formatting machinery or a string of their own
        // (the same digits as their `Display`); floats keep serde_json's own text.
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => put(out, itoa::Buffer::new().format(u)),
            (None, Some(i)) => put(out, itoa::Buffer::new().format(i)),
            _ => out.push_str(&n.to_string()),
        },
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Null => out.push_str("null"),
        other => out.push_str(&other.to_string()),
    }
}

fn kind(v: &Val<'_>) -> &'static str {
    match v {
        Val::Absent => "absent",
        Val::Str(_) => "text",
        Val::Time(_) => "a time",
        Val::Ref(j) => json_kind(j),
        Val::Own(j) => json_kind(j),
    }
}

fn json_kind(j: &Value) -> &'static str {
    match j {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What the caller provides to a template.
#[derive(Debug, Clone, Default)]
pub struct Env<'a> {
    /// The event type.
    pub ty: &'a str,
    /// The event data.
    pub data: Option<&'a Value>,
    /// The delivery's ids, by index.
    pub ids: &'a [String],
    /// When the event happened.
    pub time: Duration,
    /// When the attempt is made.
    pub now: Duration,
    /// The attempt's number.
    pub attempt: u32,
    /// How the previous attempt failed.
    pub last_failure: Option<&'static str>,
    /// The previous attempt's status.
    pub last_status: Option<u16>,
    /// Whether the request is signed.
    pub signed: bool,
    /// `endpoint.static_secret`.
    pub static_secret: Option<&'a str>,
    /// `endpoint.data_in_payload`.
    pub data_in_payload: bool,
    /// `endpoint.output_format`.
    pub output_format: &'a str,
    /// `endpoint.url`.
    pub url: Option<&'a str>,
    /// A received body (for `type_from`).
    pub body: Option<&'a Value>,
    /// A received request's headers (for `type_from`).
    pub headers: &'a [crate::record::Header],
}

/// Evaluates compiled templates.
pub struct Rt<'a> {
    /// Tables and parts.
    pub prog: &'a Program,
    /// The caller's variables.
    pub env: &'a Env<'a>,
}

/// The frame of slots a template's names live in.
pub type Frame<'a> = Vec<Val<'a>>;

/// How deep parts may call parts.
const MAX_DEPTH: usize = 64;

impl<'a> Rt<'a> {
    /// A template's value, drawing from `rng` where it asks to.
    pub fn eval(
        &self,
        t: &'a TNode,
        frame_size: usize,
        rng: Option<&mut RunRng>,
    ) -> Result<Val<'a>, String> {
        let mut frame = vec![Val::Absent; frame_size];
        let mut rng = rng;
        self.node(t, &mut frame, &mut rng, 0)
    }

    /// A generator's value, its example being `example`.
    pub fn generate(
        &self,
        g: &'a Gen,
        example: Option<&'a Value>,
        rng: &mut RunRng,
    ) -> Result<Value, String> {
        let mut frame = vec![Val::Absent; g.frame];
        let mut r = Some(rng);
        for (slot, t) in &g.lets {
            let v = self.node(t, &mut frame, &mut r, 0)?;
            set(&mut frame, *slot, v);
        }
        let mut value = match &g.value {
            Some(t) => self.node(t, &mut frame, &mut r, 0)?.into_value(),
            None => example.cloned().unwrap_or(Value::Null),
        };
        for (ptr, t) in &g.set {
            let v = self.node(t, &mut frame, &mut r, 0)?;
            match value.pointer_mut(ptr) {
                Some(slot) => *slot = v.into_value(),
                None => return Err(format!("set: {ptr} is not in the example")),
            }
        }
        Ok(value)
    }

    /// The value of the part named `name` called with `args` (parameter names and their
    /// values), drawing from `rng` where it asks to: how code outside the profile file
    /// (the provider emulators) makes data with a profile's own generators.
    pub fn call_part(
        &self,
        name: &str,
        args: &'a [(String, Value)],
        rng: &mut RunRng,
    ) -> Result<Value, String> {
        let p = self
            .prog
            .parts
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| format!("no part named `{name}`"))?;
        let mut inner: Frame<'a> = vec![Val::Absent; p.frame.max(p.params.len())];
        for (arg, v) in args {
            let Some(i) = p.params.iter().position(|x| x == arg) else {
                return Err(format!("part `{}` has no parameter `{arg}`", p.name));
            };
            inner[i] = Val::Ref(v);
        }
        let mut r = Some(rng);
        for (slot, t) in &p.lets {
            let v = self.node(t, &mut inner, &mut r, 1)?;
            set(&mut inner, *slot, v);
        }
        Ok(self.node(&p.value, &mut inner, &mut r, 1)?.into_value())
    }

    /// An expression's value (no random functions).
    pub fn expr_value(&self, e: &'a Expr) -> Result<Val<'a>, String> {
        self.expr(e, &Vec::new(), &mut None, 0)
    }

    fn node(
        &self,
        t: &'a TNode,
        frame: &mut Frame<'a>,
        rng: &mut Option<&mut RunRng>,
        depth: usize,
    ) -> Result<Val<'a>, String> {
        Ok(match t {
            TNode::Lit(v) => Val::Ref(v),
            TNode::Expr(e) => self.expr(e, frame, rng, depth)?,
            TNode::Str(parts) => {
                Val::Own(Value::String(self.interpolate(parts, frame, rng, depth)?))
            }
            TNode::Obj(entries) => {
                let mut m = Map::with_capacity(entries.len());
                for (k, v) in entries {
                    let key = match k {
                        TKey::Lit(k) => k.clone(),
                        TKey::Str(p) => self.interpolate(p, frame, rng, depth)?,
                    };
                    let v = self.node(v, frame, rng, depth)?;
                    if !v.is_absent() {
                        m.insert(key, v.into_value());
                    }
                }
                Val::Own(Value::Object(m))
            }
            TNode::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    let v = self.node(i, frame, rng, depth)?;
                    if !v.is_absent() {
                        out.push(v.into_value());
                    }
                }
                Val::Own(Value::Array(out))
            }
            TNode::If { cond, then, els } => {
                if self.expr(cond, frame, rng, depth)?.truthy() {
                    self.node(then, frame, rng, depth)?
                } else {
                    match els {
                        Some(e) => self.node(e, frame, rng, depth)?,
                        None => Val::Absent,
                    }
                }
            }
            TNode::Each { list, slot, body } => {
                let l = self.expr(list, frame, rng, depth)?;
                let items: Vec<Val<'a>> = match l {
                    Val::Ref(Value::Array(a)) => a.iter().map(Val::Ref).collect(),
                    Val::Own(Value::Array(a)) => a.into_iter().map(Val::Own).collect(),
                    Val::Absent => Vec::new(),
                    other => return Err(format!("$each takes a list, got {}", kind(&other))),
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    set(frame, *slot, item);
                    let v = self.node(body, frame, rng, depth)?;
                    if !v.is_absent() {
                        out.push(v.into_value());
                    }
                }
                Val::Own(Value::Array(out))
            }
            TNode::Merge(items) => {
                let mut m = Map::new();
                for i in items {
                    match self.node(i, frame, rng, depth)? {
                        Val::Absent => {}
                        // The first object is the start as it is: copied whole (its index
                        // copied, not rebuilt) or taken, rather than put in key by key, in
                        // the same order.
                        Val::Ref(Value::Object(o)) if m.is_empty() => m.clone_from(o),
                        Val::Own(Value::Object(o)) if m.is_empty() => m = o,
                        Val::Ref(Value::Object(o)) => {
                            for (k, v) in o {
                                m.insert(k.clone(), v.clone());
                            }
                        }
                        Val::Own(Value::Object(o)) => {
                            for (k, v) in o {
                                m.insert(k, v);
                            }
                        }
                        other => {
                            return Err(format!("$merge merges objects, got {}", kind(&other)));
                        }
                    }
                }
                Val::Own(Value::Object(m))
            }
            TNode::Part { part, args, slots } => {
                if depth >= MAX_DEPTH {
                    return Err(format!("parts call each other more than {MAX_DEPTH} deep"));
                }
                let p = match part {
                    PartRef::Static(i) => &self.prog.parts[*i],
                    PartRef::Dynamic(e) => {
                        let name = self.expr(e, frame, rng, depth)?;
                        let name = name.text().map(|t| t.into_owned()).unwrap_or_default();
                        self.prog
                            .parts
                            .iter()
                            .find(|p| p.name == name)
                            .ok_or_else(|| format!("no part named `{name}`"))?
                    }
                };
                let mut inner: Frame<'a> = vec![Val::Absent; p.frame.max(p.params.len())];
                // A static part's slots were found when it was compiled (all of them: an
                // unknown parameter does not compile); a part named at run time looks its
                // parameters up by name.
                let known = slots.len() == args.len() && matches!(part, PartRef::Static(_));
                for (j, (name, a)) in args.iter().enumerate() {
                    let found = if known {
                        Some(slots[j])
                    } else {
                        p.params.iter().position(|x| x == name)
                    };
                    let Some(i) = found else {
                        return Err(format!("part `{}` has no parameter `{name}`", p.name));
                    };
                    inner[i] = self.node(a, frame, rng, depth)?;
                }
                for (slot, t) in &p.lets {
                    let v = self.node(t, &mut inner, rng, depth + 1)?;
                    set(&mut inner, *slot, v);
                }
                self.node(&p.value, &mut inner, rng, depth + 1)?
            }
        })
    }

    fn interpolate(
        &self,
        parts: &'a [SPart],
        frame: &Frame<'a>,
        rng: &mut Option<&mut RunRng>,
        depth: usize,
    ) -> Result<String, String> {
        // The pieces' values first (in order: the draws are the same), then the text made
        // at its whole size when the pieces are text, in one allocation (written piece by
        // piece it grew once or twice: `in_` then 24 drawn characters).
        if parts.len() <= MAX_PIECES {
            let mut vals: [Option<Cow<'_, Val<'a>>>; MAX_PIECES] = Default::default();
            let mut len = 0;
            for (p, v) in parts.iter().zip(vals.iter_mut()) {
                match p {
                    SPart::Lit(l) => len += l.len(),
                    SPart::Expr(e) => {
                        let x = self.operand(e, frame, rng, depth)?;
                        len += x.text().map_or(0, |t| t.len());
                        *v = Some(x);
                    }
                }
            }
            let mut s = String::with_capacity(len);
            for (p, v) in parts.iter().zip(vals.iter()) {
                match (p, v) {
                    (SPart::Expr(_), Some(v)) => v.write_text(&mut s),
                    (SPart::Lit(l), _) => put(&mut s, l),
                    (SPart::Expr(_), None) => {}
                }
            }
            return Ok(s);
        }
        let mut s = String::new();
        for p in parts {
            match p {
                SPart::Lit(l) => put(&mut s, l),
                SPart::Expr(e) => self.operand(e, frame, rng, depth)?.write_text(&mut s),
            }
        }
        Ok(s)
    }

    fn expr(
        &self,
        e: &'a Expr,
        frame: &Frame<'a>,
        rng: &mut Option<&mut RunRng>,
        depth: usize,
    ) -> Result<Val<'a>, String> {
        Ok(match e {
            Expr::Lit(v) => Val::Ref(v),
            Expr::Var(Var::Slot(i)) => frame.get(*i).cloned().unwrap_or(Val::Absent),
            Expr::Var(Var::Table(i)) => Val::Ref(&self.prog.tables[*i].1),
            Expr::Var(Var::Ctx(c)) => self.ctx(*c),
            Expr::Field(inner, name) => match self.operand(inner, frame, rng, depth)? {
                Cow::Borrowed(Val::Ref(Value::Object(o)))
                | Cow::Owned(Val::Ref(Value::Object(o))) => {
                    o.get(name).map_or(Val::Absent, Val::Ref)
                }
                // A field of an object a name holds: that field copied, not the object.
                Cow::Borrowed(Val::Own(Value::Object(o))) => {
                    o.get(name).cloned().map_or(Val::Absent, Val::Own)
                }
                Cow::Owned(Val::Own(Value::Object(mut o))) => {
                    o.remove(name).map_or(Val::Absent, Val::Own)
                }
                _ => Val::Absent,
            },
            Expr::Index(a, b) => {
                let i = self.expr(b, frame, rng, depth)?;
                match self.expr(a, frame, rng, depth)? {
                    Val::Ref(Value::Array(l)) => i
                        .int()
                        .and_then(|i| usize::try_from(i).ok())
                        .and_then(|i| l.get(i))
                        .map_or(Val::Absent, Val::Ref),
                    Val::Own(Value::Array(mut l)) => {
                        match i.int().and_then(|i| usize::try_from(i).ok()) {
                            Some(i) if i < l.len() => Val::Own(l.swap_remove(i)),
                            _ => Val::Absent,
                        }
                    }
                    Val::Ref(Value::Object(o)) => i
                        .text()
                        .and_then(|k| o.get(k.as_ref()))
                        .map_or(Val::Absent, Val::Ref),
                    Val::Own(Value::Object(mut o)) => {
                        let k = i.text().map(|k| k.into_owned()).unwrap_or_default();
                        o.remove(&k).map_or(Val::Absent, Val::Own)
                    }
                    _ => Val::Absent,
                }
            }
            Expr::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.expr(i, frame, rng, depth)?.into_value());
                }
                Val::Own(Value::Array(out))
            }
            Expr::Un(UnOp::Not, a) => {
                Val::Own(Value::Bool(!self.operand(a, frame, rng, depth)?.truthy()))
            }
            Expr::Un(UnOp::Neg, a) => {
                let v = self.operand(a, frame, rng, depth)?;
                match v.num() {
                    Some(n) if n.is_i64() => Val::Own(Value::from(-n.as_i64().unwrap_or_default())),
                    Some(n) => float(-n.as_f64().unwrap_or_default())?,
                    None => return Err(format!("`-` takes a number, got {}", kind(&v))),
                }
            }
            Expr::Bin(BinOp::And, a, b) => {
                let a = self.operand(a, frame, rng, depth)?.truthy();
                Val::Own(Value::Bool(
                    a && self.operand(b, frame, rng, depth)?.truthy(),
                ))
            }
            Expr::Bin(BinOp::Or, a, b) => {
                let a = self.operand(a, frame, rng, depth)?.truthy();
                Val::Own(Value::Bool(
                    a || self.operand(b, frame, rng, depth)?.truthy(),
                ))
            }
            Expr::Bin(op, a, b) => {
                let a = self.operand(a, frame, rng, depth)?;
                let b = self.operand(b, frame, rng, depth)?;
                binary(*op, &a, &b)?
            }
            Expr::Call(f, args) => self.call(*f, args, frame, rng, depth)?,
        })
    }

    /// An operand's value, read in place when it is a name (its slot in the frame) rather
    /// than copied: an operator, a field or a piece of text only reads it, and a name may
    /// hold a whole made object or text.
    fn operand<'f>(
        &self,
        e: &'a Expr,
        frame: &'f Frame<'a>,
        rng: &mut Option<&mut RunRng>,
        depth: usize,
    ) -> Result<Cow<'f, Val<'a>>, String> {
        match e {
            Expr::Var(Var::Slot(i)) => {
                Ok(frame.get(*i).map_or(Cow::Owned(Val::Absent), Cow::Borrowed))
            }
            _ => self.expr(e, frame, rng, depth).map(Cow::Owned),
        }
    }

    fn ctx(&self, c: CtxVar) -> Val<'a> {
        let env = self.env;
        match c {
            CtxVar::Type => Val::Str(env.ty),
            CtxVar::Data => env.data.map_or(Val::Absent, Val::Ref),
            CtxVar::Id(i) => env.ids.get(i).map_or(Val::Absent, |s| Val::Str(s.as_str())),
            CtxVar::Time => Val::Time(env.time),
            CtxVar::Now => Val::Time(env.now),
            CtxVar::Timestamp => Val::Own(Value::from(clock::unix_secs(env.now))),
            CtxVar::Attempt => Val::Own(Value::from(env.attempt)),
            CtxVar::LastFailure => env.last_failure.map_or(Val::Absent, Val::Str),
            CtxVar::LastStatus => env
                .last_status
                .map_or(Val::Absent, |s| Val::Own(Value::from(s))),
            CtxVar::Signed => Val::Own(Value::Bool(env.signed)),
            CtxVar::Endpoint(EndpointField::StaticSecret) => {
                env.static_secret.map_or(Val::Absent, Val::Str)
            }
            CtxVar::Endpoint(EndpointField::DataInPayload) => {
                Val::Own(Value::Bool(env.data_in_payload))
            }
            CtxVar::Endpoint(EndpointField::OutputFormat) => Val::Str(env.output_format),
            CtxVar::Endpoint(EndpointField::Url) => env.url.map_or(Val::Absent, Val::Str),
            CtxVar::Body => env.body.map_or(Val::Absent, Val::Ref),
        }
    }

    fn call(
        &self,
        f: Func,
        args: &'a [Expr],
        frame: &Frame<'a>,
        rng: &mut Option<&mut RunRng>,
        depth: usize,
    ) -> Result<Val<'a>, String> {
        // The name is looked up only for an error's words.
        let name = || func_info(f).0;
        if f == Func::If {
            let c = self.expr(&args[0], frame, rng, depth)?.truthy();
            return self.expr(&args[if c { 1 } else { 2 }], frame, rng, depth);
        }
        if args.len() > MAX_ARGS {
            return Err(format!("{}(): takes at most {MAX_ARGS} arguments", name()));
        }
        let mut vals = Args::default();
        for a in args {
            vals.push(self.expr(a, frame, rng, depth)?);
        }
        let int_arg = |i: usize| -> Result<i64, String> {
            vals[i].int().ok_or_else(|| {
                format!(
                    "{}(): argument {} must be a whole number, got {}",
                    name(),
                    i + 1,
                    kind(&vals[i])
                )
            })
        };
        let count_arg = |i: usize| -> Result<usize, String> {
            let n = int_arg(i)?;
            usize::try_from(n)
                .ok()
                .filter(|n| *n <= 1 << 20)
                .ok_or_else(|| format!("{}(): {n} is out of range (0 to 1048576)", name()))
        };
        let text_arg = |i: usize| -> Result<Cow<'_, str>, String> {
            vals[i].text().ok_or_else(|| {
                format!(
                    "{}(): argument {} must be text, got {}",
                    name(),
                    i + 1,
                    kind(&vals[i])
                )
            })
        };
        let time_arg = |i: usize| -> Result<Duration, String> {
            vals[i].time().ok_or_else(|| {
                format!(
                    "{}(): argument {} must be a time (time or now), got {}",
                    name(),
                    i + 1,
                    kind(&vals[i])
                )
            })
        };
        macro_rules! draw {
            () => {
                rng.as_deref_mut().ok_or_else(|| {
                    format!(
                        "{}() draws from the seeded generator, which is not available here",
                        name()
                    )
                })?
            };
        }
        let text = |s: String| Ok(Val::Own(Value::String(s)));
        match f {
            Func::Uuid => text(draw!().uuid()),
            Func::UuidV1 => text(draw!().uuid_v1()),
            Func::Alnum => {
                let n = count_arg(0)?;
                text(draw!().alnum(n))
            }
            Func::Hex => {
                let n = count_arg(0)?;
                text(draw!().hex(n))
            }
            Func::Chars => {
                let n = count_arg(0)?;
                let alphabet = text_arg(1)?.into_owned();
                if !alphabet.is_ascii() || alphabet.is_empty() {
                    return Err("chars(): the alphabet must be non-empty ASCII text".into());
                }
                text(draw!().chars(n, alphabet.as_bytes()))
            }
            Func::Base64Bytes => {
                use base64::Engine as _;
                let n = count_arg(0)?;
                text(base64::engine::general_purpose::STANDARD.encode(draw!().bytes(n)))
            }
            Func::Int => {
                let (lo, hi) = (int_arg(0)?, int_arg(1)?);
                Ok(Val::Own(Value::from(draw!().range(lo, hi))))
            }
            Func::Pick => {
                let len = match vals[0].json() {
                    Some(Value::Array(a)) if !a.is_empty() => a.len(),
                    _ => {
                        return Err(format!(
                            "pick(): takes a non-empty list, got {}",
                            kind(&vals[0])
                        ));
                    }
                };
                let i = (draw!().u64() % len as u64) as usize;
                Ok(match vals.swap_remove(0) {
                    Val::Ref(Value::Array(a)) => Val::Ref(&a[i]),
                    Val::Own(Value::Array(mut a)) => Val::Own(a.swap_remove(i)),
                    _ => unreachable!("checked to be a list"),
                })
            }
            Func::Chance => {
                let (num, den) = (int_arg(0)?, int_arg(1)?);
                if num < 0 || den < 0 {
                    return Err("chance(): num and den must not be negative".into());
                }
                Ok(Val::Own(Value::Bool(
                    draw!().chance(num as u64, den as u64),
                )))
            }
            Func::If => unreachable!("handled above"),
            Func::Pad => {
                let (n, w) = (int_arg(0)?, count_arg(1)?);
                text(format!("{n:0w$}"))
            }
            Func::Lower => text(text_arg(0)?.to_lowercase()),
            Func::Upper => text(text_arg(0)?.to_uppercase()),
            Func::Before => {
                let (s, sep) = (text_arg(0)?, text_arg(1)?);
                text(
                    s.split_once(sep.as_ref())
                        .map_or(s.as_ref(), |(a, _)| a)
                        .to_owned(),
                )
            }
            Func::After => {
                let (s, sep) = (text_arg(0)?, text_arg(1)?);
                text(s.split_once(sep.as_ref()).map_or("", |(_, b)| b).to_owned())
            }
            Func::Len => Ok(Val::Own(Value::from(match &vals[0] {
                v if v.text().is_some() => v.text().map_or(0, |t| t.chars().count()),
                v => match v.json() {
                    Some(Value::Array(a)) => a.len(),
                    Some(Value::Object(o)) => o.len(),
                    _ => {
                        return Err(format!(
                            "len(): takes a list, an object or text, got {}",
                            kind(v)
                        ));
                    }
                },
            }))),
            Func::Float => match vals[0].num() {
                Some(n) => float(n.as_f64().unwrap_or_default()),
                None => Err(format!("float(): takes a number, got {}", kind(&vals[0]))),
            },
            Func::Window => {
                let (start, count) = (int_arg(1)?, count_arg(2)?);
                let Some(Value::Array(list)) = vals[0].json() else {
                    return Err(format!("window(): takes a list, got {}", kind(&vals[0])));
                };
                if list.is_empty() {
                    return Ok(Val::Own(Value::Array(Vec::new())));
                }
                let len = list.len() as i64;
                let out = (0..count as i64)
                    .map(|i| list[((start + i).rem_euclid(len)) as usize].clone())
                    .collect();
                Ok(Val::Own(Value::Array(out)))
            }
            Func::Get => {
                let key = text_arg(1)?.into_owned();
                // `swap_remove(0)` takes the map and puts the last argument, the default
                // when there is one, in its place: [map, key, default] → [default, key].
                let found = match vals.swap_remove(0) {
                    Val::Ref(Value::Object(o)) => o.get(&key).map(Val::Ref),
                    Val::Own(Value::Object(mut o)) => o.remove(&key).map(Val::Own),
                    _ => None,
                };
                Ok(match found {
                    Some(v) => v,
                    None if vals.len() >= 2 => vals.swap_remove(0),
                    None => Val::Absent,
                })
            }
            Func::Default => Ok(if vals[0].is_absent() {
                vals.swap_remove(1)
            } else {
                vals.swap_remove(0)
            }),
            Func::Has => Ok(Val::Own(Value::Bool(!vals[0].is_absent()))),
            Func::Json => text(vals.swap_remove(0).into_value().to_string()),
            Func::Str => {
                let mut s = String::new();
                vals[0].write_text(&mut s);
                text(s)
            }
            Func::Unix => Ok(Val::Own(Value::from(clock::unix_secs(time_arg(0)?)))),
            Func::UnixMs => Ok(Val::Own(Value::from(time_arg(0)?.as_millis() as i64))),
            Func::UnixFloat => float(clock::unix_float(time_arg(0)?)),
            Func::Rfc3339 => {
                let t = time_arg(0)?;
                let digits = match vals[1].text() {
                    Some(a) if a == "auto" => None,
                    _ => match vals[1].int() {
                        Some(d) if (0..=9).contains(&d) => Some(d as u8),
                        _ => return Err("rfc3339(): digits must be 0 to 9 or 'auto'".into()),
                    },
                };
                let offset = text_arg(2)?;
                let Some(minutes) = clock::parse_utc_offset(&offset) else {
                    return Err(format!(
                        "rfc3339(): offset must be 'Z' or '+HH:MM' / '-HH:MM' (such as '+00:00' or '-04:00'), not `{offset}`"
                    ));
                };
                text(clock::rfc3339_at(t, digits, minutes))
            }
            Func::Header => {
                let name = text_arg(0)?.into_owned();
                Ok(self
                    .env
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(&name))
                    .map_or(Val::Absent, |(_, v)| Val::Str(v.as_str())))
            }
        }
    }
}

/// The most pieces of an interpolated string whose text is made at its whole size (more
/// are written piece by piece).
const MAX_PIECES: usize = 6;

/// The most arguments a function takes (`if`, `get`, `window` and `rfc3339` take three).
const MAX_ARGS: usize = 3;

/// A function call's argument values, kept on the stack (a call per generated field
/// allocated a list for them); `swap_remove` and `len` behave as a `Vec`'s do.
struct Args<'a> {
    v: [Val<'a>; MAX_ARGS],
    len: usize,
}

impl Default for Args<'_> {
    fn default() -> Self {
        Args {
            v: [Val::Absent, Val::Absent, Val::Absent],
            len: 0,
        }
    }
}

impl<'a> Args<'a> {
    fn push(&mut self, v: Val<'a>) {
        self.v[self.len] = v;
        self.len += 1;
    }

    fn len(&self) -> usize {
        self.len
    }

    /// The `i`th value, the last one put in its place (as `Vec::swap_remove`).
    fn swap_remove(&mut self, i: usize) -> Val<'a> {
        assert!(i < self.len, "argument {i} of {}", self.len);
        self.len -= 1;
        self.v.swap(i, self.len);
        std::mem::replace(&mut self.v[self.len], Val::Absent)
    }
}

impl<'a> std::ops::Index<usize> for Args<'a> {
    type Output = Val<'a>;

    fn index(&self, i: usize) -> &Val<'a> {
        &self.v[..self.len][i]
    }
}

/// Puts `v` in `slot`, growing the frame if it must.
fn set<'a>(frame: &mut Frame<'a>, slot: usize, v: Val<'a>) {
    if frame.len() <= slot {
        frame.resize(slot + 1, Val::Absent);
    }
    frame[slot] = v;
}

fn float(x: f64) -> Result<Val<'static>, String> {
    Number::from_f64(x)
        .map(|n| Val::Own(Value::Number(n)))
        .ok_or_else(|| format!("{x} is not a number JSON can hold"))
}

fn binary<'a>(op: BinOp, a: &Val<'a>, b: &Val<'a>) -> Result<Val<'a>, String> {
    let eq = || -> bool {
        match (a, b) {
            (Val::Absent, Val::Absent) => true,
            (Val::Absent, x) | (x, Val::Absent) => matches!(x.json(), Some(Value::Null)),
            (Val::Time(x), Val::Time(y)) => x == y,
            _ => match (a.text(), b.text()) {
                (Some(x), Some(y)) => x == y,
                _ => a.json().is_some() && a.json() == b.json(),
            },
        }
    };
    match op {
        BinOp::Eq => return Ok(Val::Own(Value::Bool(eq()))),
        BinOp::Ne => return Ok(Val::Own(Value::Bool(!eq()))),
        _ => {}
    }
    // A time plus or minus whole milliseconds is a time: `time - 107583`.
    if let (Val::Time(t), BinOp::Add | BinOp::Sub) = (a, op)
        && let Some(ms) = b.num().and_then(|n| n.as_i64())
    {
        let delta = Duration::from_millis(ms.unsigned_abs());
        let moved = if (op == BinOp::Add) == (ms >= 0) {
            t.checked_add(delta)
        } else {
            t.checked_sub(delta)
        };
        return moved
            .map(Val::Time)
            .ok_or_else(|| format!("a time moved by {ms} ms falls outside 1970 to 9999"));
    }
    if op == BinOp::Add && (a.text().is_some() || b.text().is_some()) {
        let mut s = String::new();
        a.write_text(&mut s);
        b.write_text(&mut s);
        return Ok(Val::Own(Value::String(s)));
    }
    if matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
        && let (Some(x), Some(y)) = (a.text(), b.text())
    {
        let o = x.cmp(&y);
        return Ok(Val::Own(Value::Bool(match op {
            BinOp::Lt => o.is_lt(),
            BinOp::Le => o.is_le(),
            BinOp::Gt => o.is_gt(),
            _ => o.is_ge(),
        })));
    }
    let sym = match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::Rem => "%",
        BinOp::Lt => "<",
        BinOp::Le => "<=",
        BinOp::Gt => ">",
        _ => ">=",
    };
    let (Some(x), Some(y)) = (a.num(), b.num()) else {
        return Err(format!(
            "`{sym}` takes numbers, got {} and {}",
            kind(a),
            kind(b)
        ));
    };
    if let (Some(i), Some(j)) = (x.as_i64(), y.as_i64()) {
        let over = || format!("{i} {sym} {j} overflows a whole number");
        let v = match op {
            BinOp::Add => i.checked_add(j).ok_or_else(over)?,
            BinOp::Sub => i.checked_sub(j).ok_or_else(over)?,
            BinOp::Mul => i.checked_mul(j).ok_or_else(over)?,
            BinOp::Div | BinOp::Rem if j == 0 => {
                return Err(format!("{i} {sym} 0: division by zero"));
            }
            BinOp::Div => i.checked_div(j).ok_or_else(over)?,
            BinOp::Rem => i.checked_rem(j).ok_or_else(over)?,
            BinOp::Lt => return Ok(Val::Own(Value::Bool(i < j))),
            BinOp::Le => return Ok(Val::Own(Value::Bool(i <= j))),
            BinOp::Gt => return Ok(Val::Own(Value::Bool(i > j))),
            _ => return Ok(Val::Own(Value::Bool(i >= j))),
        };
        return Ok(Val::Own(Value::from(v)));
    }
    let (x, y) = (
        x.as_f64().unwrap_or_default(),
        y.as_f64().unwrap_or_default(),
    );
    match op {
        BinOp::Add => float(x + y),
        BinOp::Sub => float(x - y),
        BinOp::Mul => float(x * y),
        BinOp::Div => float(x / y),
        BinOp::Rem => float(x % y),
        BinOp::Lt => Ok(Val::Own(Value::Bool(x < y))),
        BinOp::Le => Ok(Val::Own(Value::Bool(x <= y))),
        BinOp::Gt => Ok(Val::Own(Value::Bool(x > y))),
        _ => Ok(Val::Own(Value::Bool(x >= y))),
    }
}

// ---------------------------------------------------------------------------------------
// Serialising a body straight from its template

/// A template written out through serde, evaluating as it goes: event data and literals
/// are serialised where they are, without being copied into a new tree first. Objects and
/// lists of the template itself stream; `$each`, `$merge` and `$part` are built as a value
/// and then written.
pub struct Render<'r, 'a> {
    /// The runtime.
    pub rt: &'r Rt<'a>,
    /// The template.
    pub node: &'a TNode,
}

/// A value written out through serde.
struct ValRef<'r, 'a>(&'r Val<'a>);

impl Serialize for ValRef<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Val::Ref(v) => v.serialize(s),
            Val::Own(v) => v.serialize(s),
            Val::Str(t) => s.serialize_str(t),
            Val::Time(t) => s.serialize_str(&clock::iso_z(*t)),
            Val::Absent => s.serialize_none(),
        }
    }
}

impl<'a> Render<'_, 'a> {
    /// The node a value node stands for once `$if`s are decided: `None` when absent.
    fn settle(&self, mut node: &'a TNode) -> Result<Option<Settled<'a>>, String> {
        loop {
            match node {
                TNode::If { cond, then, els } => {
                    if self.rt.expr_value(cond)?.truthy() {
                        node = then;
                    } else {
                        match els {
                            Some(e) => node = e,
                            None => return Ok(None),
                        }
                    }
                }
                TNode::Lit(v) => return Ok(Some(Settled::Val(Val::Ref(v)))),
                TNode::Obj(_) | TNode::List(_) | TNode::Merge(_) => {
                    return Ok(Some(Settled::Node(node)));
                }
                other => {
                    let v = self.rt.eval(other, 0, None)?;
                    return Ok((!v.is_absent()).then_some(Settled::Val(v)));
                }
            }
        }
    }
}

/// `o`'s value for `k`: a small object's keys compared in order (no hash of `k`), a
/// larger one's looked up through its index; the same answer as `o.get(k)`.
fn field<'m>(o: &'m Map<String, Value>, k: &str) -> Option<&'m Value> {
    if o.len() <= 8 {
        o.iter().find(|(x, _)| x.as_str() == k).map(|(_, v)| v)
    } else {
        o.get(k)
    }
}

enum Settled<'a> {
    Node(&'a TNode),
    Val(Val<'a>),
}

impl Serialize for Render<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::Error as _;
        match self.node {
            TNode::Obj(entries) => {
                let mut map = s.serialize_map(None)?;
                for (k, v) in entries {
                    let Some(settled) = self.settle(v).map_err(S::Error::custom)? else {
                        continue;
                    };
                    let key: Cow<'_, str> = match k {
                        TKey::Lit(k) => Cow::Borrowed(k),
                        TKey::Str(p) => {
                            let frame = Vec::new();
                            Cow::Owned(
                                self.rt
                                    .interpolate(p, &frame, &mut None, 0)
                                    .map_err(S::Error::custom)?,
                            )
                        }
                    };
                    match settled {
                        Settled::Node(n) => map.serialize_entry(
                            &key,
                            &Render {
                                rt: self.rt,
                                node: n,
                            },
                        )?,
                        Settled::Val(v) => map.serialize_entry(&key, &ValRef(&v))?,
                    }
                }
                map.end()
            }
            TNode::Merge(items) => {
                // The objects merged are written as they are, not copied into one new
                // object first (the event data cloned key by key into a map and hashed):
                // each key where it first appears, with the value of the last object that
                // has it — the bytes the merged object gives.
                let mut vals: Vec<Val<'_>> = Vec::with_capacity(items.len());
                for i in items {
                    match self.rt.eval(i, 0, None).map_err(S::Error::custom)? {
                        Val::Absent => {}
                        v @ (Val::Ref(Value::Object(_)) | Val::Own(Value::Object(_))) => {
                            vals.push(v);
                        }
                        other => {
                            return Err(S::Error::custom(format!(
                                "$merge merges objects, got {}",
                                kind(&other)
                            )));
                        }
                    }
                }
                let objs: Vec<&Map<String, Value>> = vals
                    .iter()
                    .filter_map(|v| match v.json() {
                        Some(Value::Object(o)) => Some(o),
                        _ => None,
                    })
                    .collect();
                let empty = objs.iter().all(|o| o.is_empty());
                let mut map = s.serialize_map(if empty { Some(0) } else { None })?;
                for (i, o) in objs.iter().enumerate() {
                    for (k, v) in o.iter() {
                        if objs[..i].iter().any(|e| field(e, k).is_some()) {
                            continue;
                        }
                        let v = objs[i + 1..]
                            .iter()
                            .rev()
                            .find_map(|l| field(l, k))
                            .unwrap_or(v);
                        map.serialize_entry(k, v)?;
                    }
                }
                map.end()
            }
            TNode::List(items) => {
                let mut seq = s.serialize_seq(None)?;
                for i in items {
                    match self.settle(i).map_err(S::Error::custom)? {
                        None => {}
                        Some(Settled::Node(n)) => seq.serialize_element(&Render {
                            rt: self.rt,
                            node: n,
                        })?,
                        Some(Settled::Val(v)) => seq.serialize_element(&ValRef(&v))?,
                    }
                }
                seq.end()
            }
            other => match self.settle(other).map_err(S::Error::custom)? {
                None => s.serialize_none(),
                Some(Settled::Node(n)) => Render {
                    rt: self.rt,
                    node: n,
                }
                .serialize(s),
                Some(Settled::Val(v)) => ValRef(&v).serialize(s),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(yaml: &str) -> Node {
        serde_saphyr::from_str(yaml).expect("test YAML parses")
    }

    fn compile(yaml: &str, allowed: &Allowed) -> Result<(TNode, usize), Vec<TError>> {
        let mut c = Compiler::new(&[], &[]);
        let t = c.template(&node(yaml), allowed);
        if c.errors.is_empty() {
            Ok(t)
        } else {
            Err(c.errors)
        }
    }

    fn request_vars() -> Allowed {
        Allowed {
            vars: vec![
                ("type".into(), CtxVar::Type),
                ("data".into(), CtxVar::Data),
                ("time".into(), CtxVar::Time),
                ("id".into(), CtxVar::Id(0)),
            ],
            rng: false,
            what: "the body",
            why_pure: "the body is built once per delivery",
        }
    }

    /// The template `yaml`, compiled with the body's variables, evaluated in `env`.
    fn eval_in(yaml: &str, env: &Env) -> Value {
        let (t, n) = compile(yaml, &request_vars()).unwrap();
        Rt {
            prog: &Program::default(),
            env,
        }
        .eval(&t, n, None)
        .unwrap()
        .into_value()
    }

    #[test]
    fn a_whole_string_expression_keeps_its_type_and_interpolation_makes_text() {
        let v = eval_in(
            "{a: '{1 + 2}', b: 'n={1 + 2}', c: '{{x}}', d: '{7 / 2}', e: '{7.0 / 2}'}",
            &Env::default(),
        );
        assert_eq!(
            v,
            serde_json::json!({"a": 3, "b": "n=3", "c": "{x}", "d": 3, "e": 3.5})
        );
    }

    #[test]
    fn an_unknown_variable_is_an_error_naming_the_valid_ones() {
        let errs = compile("x: '{dta.id}'", &request_vars()).unwrap_err();
        assert_eq!(errs.len(), 1);
        assert!(
            errs[0]
                .message
                .contains("unknown variable in the body `dta`: did you mean `data`?"),
            "{}",
            errs[0].message
        );
        assert!(
            errs[0].message.contains("(valid: data, id, time, type)"),
            "{}",
            errs[0].message
        );
        assert_eq!((errs[0].line, errs[0].col), (1, 4));
    }

    #[test]
    fn a_random_function_in_a_pure_template_is_an_error() {
        let errs = compile("x: '{uuid()}'", &request_vars()).unwrap_err();
        assert!(
            errs[0]
                .message
                .contains("uuid() draws from the run's seeded generator"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn absent_values_leave_their_key_out_and_if_picks_a_branch() {
        let (t, n) = compile(
            "{a: '{data.missing}', b: {$if: 'data.n > 1', then: big, else: small}, c: {$if: false, then: x}}",
            &request_vars(),
        )
        .unwrap();
        let prog = Program::default();
        let data = serde_json::json!({"n": 2});
        let env = Env {
            data: Some(&data),
            ..Env::default()
        };
        let rt = Rt {
            prog: &prog,
            env: &env,
        };
        assert_eq!(
            rt.eval(&t, n, None).unwrap().into_value(),
            serde_json::json!({"b": "big"})
        );
        let streamed = serde_json::to_string(&Render { rt: &rt, node: &t }).unwrap();
        assert_eq!(streamed, r#"{"b":"big"}"#);
    }

    #[test]
    fn get_gives_the_value_for_a_present_key_and_the_default_or_nothing_for_a_missing_one() {
        // Arrange: maps read for a key they have and for one they lack, with and without a
        // default.
        let data = serde_json::json!({"x": 1, "m": {"k": 5}});
        let env = Env {
            data: Some(&data),
            ..Env::default()
        };

        // Act
        let v = eval_in(
            r#"
a: "{get(data, 'x', 'd')}"
b: "{get(data, 'y', 'd')}"
c: "{get(data, 'y')}"
d: "{get(data.m, 'k', 0)}"
e: "{get(data.m, 'z', 0)}"
"#,
            &env,
        );

        // Assert: the default for a missing key, never the key itself; no default, no value.
        assert_eq!(v, serde_json::json!({"a": 1, "b": "d", "d": 5, "e": 0}));
    }

    #[test]
    fn merge_replaces_a_key_in_place_and_appends_new_ones() {
        let data = serde_json::json!({"x": 1, "event": "mine"});
        let env = Env {
            ty: "a.b",
            data: Some(&data),
            ..Env::default()
        };
        let v = eval_in("{$merge: [{event: '{type}', at: 1}, '{data}']}", &env);
        assert_eq!(
            serde_json::to_string(&v).unwrap(),
            r#"{"event":"mine","at":1,"x":1}"#
        );
    }

    #[test]
    fn a_merge_written_straight_gives_the_bytes_of_the_merged_object_in_every_encoding() {
        // Arrange: merges of event data with made objects: a later key replacing an earlier
        // one in place, absent items, empty objects, objects past the size compared key by
        // key, one nested in a list and one under `$if`.
        let big: serde_json::Map<String, Value> =
            (0..12).map(|i| (format!("k{i}"), Value::from(i))).collect();
        let data = serde_json::json!({
            "x": 1, "event": "mine", "nested": {"a": [1, 2]}, "big": big, "empty": {},
        });
        let env = Env {
            ty: "a.b",
            data: Some(&data),
            ..Env::default()
        };
        let templates = [
            "{$merge: [{event: '{type}', at: 1}, '{data}']}",
            "{$merge: ['{data}', {event: '{type}', x: 2, late: true}]}",
            "{$merge: [{a: 1}, '{data.missing}', {b: 2}, {a: 3}]}",
            "{$merge: ['{data.empty}', '{data.missing}']}",
            "{$merge: []}",
            "{$merge: ['{data.big}', {k3: x, k11: y, k12: z}, '{data.big}']}",
            "{$merge: [{k5: first}, '{data.big}', {k0: last}]}",
            "{outer: [{$merge: [{a: '{data.nested}'}, {a: 1, b: '{data.nested.a}'}]}]}",
            "{w: {$if: 'data.x == 1', then: {$merge: [{p: 1}, {q: 2, p: 3}]}}}",
        ];
        let prog = Program::default();
        let rt = Rt {
            prog: &prog,
            env: &env,
        };
        for yaml in templates {
            let (t, n) = compile(yaml, &request_vars()).unwrap();
            let want = rt.eval(&t, n, None).unwrap().into_value();
            let render = Render { rt: &rt, node: &t };

            // Act
            let compact = serde_json::to_string(&render).unwrap();
            let pretty = serde_json::to_string_pretty(&render).unwrap();
            let python = crate::pyjson::to_vec(&render).unwrap();

            // Assert
            assert_eq!(compact, serde_json::to_string(&want).unwrap(), "{yaml}");
            assert_eq!(
                pretty,
                serde_json::to_string_pretty(&want).unwrap(),
                "{yaml}"
            );
            assert_eq!(python, crate::pyjson::to_vec(&want).unwrap(), "{yaml}");
        }
    }

    #[test]
    fn a_merge_of_something_not_an_object_is_the_same_error_written_straight_or_evaluated() {
        let data = serde_json::json!({"list": [1]});
        let env = Env {
            data: Some(&data),
            ..Env::default()
        };
        let prog = Program::default();
        let rt = Rt {
            prog: &prog,
            env: &env,
        };
        let (t, n) = compile("{$merge: [{a: 1}, '{data.list}']}", &request_vars()).unwrap();
        let evaluated = rt.eval(&t, n, None).unwrap_err();
        let written = serde_json::to_string(&Render { rt: &rt, node: &t }).unwrap_err();
        assert_eq!(evaluated, "$merge merges objects, got a list");
        assert_eq!(written.to_string(), evaluated);
    }

    #[test]
    fn a_field_looked_up_in_order_or_through_the_index_is_the_value_get_gives() {
        for size in [0, 1, 8, 9, 20] {
            let o: serde_json::Map<String, Value> = (0..size)
                .map(|i| (format!("f{i}"), Value::from(i)))
                .collect();
            for k in ["f0", "f7", "f8", "f19", "nope", ""] {
                assert_eq!(field(&o, k), o.get(k), "size {size}, key {k}");
            }
        }
    }

    #[test]
    fn a_part_called_by_its_name_or_named_at_run_time_binds_each_argument_to_its_parameter() {
        // Arrange: a part of three parameters (one left unset), called with its arguments
        // in another order than its parameters, by its name and by a name made at run time.
        let sigs = vec![(
            "pair".to_string(),
            vec![
                "first".to_string(),
                "second".to_string(),
                "third".to_string(),
            ],
        )];
        let mut c = Compiler::new(&[], &sigs);
        let part = c.part(
            "pair",
            &sigs[0].1,
            &[],
            &node("{f: '{first}', s: '{second}', t: '{third}', r: '{alnum(3)}'}"),
            &Allowed::generator(),
        );
        let value = node(
            "{by_name: {$part: pair, second: '{int(1, 9)}', first: b}, at_run_time: {$part: \"{'pa' + 'ir'}\", second: '{int(1, 9)}', first: b}}",
        );
        let g = c.generator(&[], Some(&value), &[], &Allowed::generator());
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let TNode::Obj(entries) = g.value.as_ref().expect("a value") else {
            panic!("an object");
        };
        assert!(matches!(&entries[0].1, TNode::Part { slots, .. } if slots == &[1, 0]));
        assert!(matches!(&entries[1].1, TNode::Part { slots, .. } if slots.is_empty()));
        let prog = Program {
            tables: Vec::new(),
            parts: vec![part],
        };

        // Act
        let v = Rt {
            prog: &prog,
            env: &Env::default(),
        }
        .generate(&g, None, &mut RunRng::new(9))
        .unwrap();

        // Assert: the same binding either way, the draws in the order written.
        let mut r = RunRng::new(9);
        let (s1, r1) = (r.range(1, 9), r.alnum(3));
        let (s2, r2) = (r.range(1, 9), r.alnum(3));
        let want = serde_json::json!({
            "by_name": {"f": "b", "s": s1, "r": r1},
            "at_run_time": {"f": "b", "s": s2, "r": r2},
        });
        assert_eq!(v.to_string(), want.to_string());
    }

    #[test]
    fn generators_draw_in_the_order_they_are_written() {
        let mut c = Compiler::new(&[], &[]);
        let lets = vec![
            (node("a"), node("'{int(1, 1000)}'")),
            (node("b"), node("'{alnum(4)}'")),
        ];
        let g = c.generator(
            &lets,
            Some(&node("{second: '{b}', first: '{a}'}")),
            &[],
            &Allowed::generator(),
        );
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let prog = Program::default();
        let env = Env::default();
        let v = Rt {
            prog: &prog,
            env: &env,
        }
        .generate(&g, None, &mut RunRng::new(5))
        .unwrap();
        let mut r = RunRng::new(5);
        let a = r.range(1, 1000);
        let b = r.alnum(4);
        assert_eq!(v, serde_json::json!({"second": b, "first": a}));
    }

    /// A generator compiled from `lets` and `value`, run with a generator seeded `seed`.
    fn generate_seeded(lets: &[(&str, &str)], value: &str, seed: u64) -> Value {
        let mut c = Compiler::new(&[], &[]);
        let lets: Vec<(Node, Node)> = lets.iter().map(|(n, t)| (node(n), node(t))).collect();
        let g = c.generator(&lets, Some(&node(value)), &[], &Allowed::generator());
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        Rt {
            prog: &Program::default(),
            env: &Env::default(),
        }
        .generate(&g, None, &mut RunRng::new(seed))
        .unwrap()
    }

    #[test]
    fn a_list_of_literals_is_compiled_to_one_literal_with_the_value_evaluating_it_gave() {
        // Arrange: a list of literals, and one with a name in it.
        let allowed = request_vars();

        // Act
        let (folded, _) = compile(r#""{[1, 2.5, 'x', [true, null]]}""#, &allowed).unwrap();
        let (kept, _) = compile("'{[1, type]}'", &allowed).unwrap();

        // Assert: the literal is the list's value; a list reading a name stays a list.
        assert_eq!(
            folded,
            TNode::Expr(Expr::Lit(serde_json::json!([1, 2.5, "x", [true, null]])))
        );
        assert!(matches!(kept, TNode::Expr(Expr::List(_))), "{kept:?}");
        let env = Env {
            ty: "t",
            ..Env::default()
        };
        assert_eq!(eval_in("'{[1, type]}'", &env), serde_json::json!([1, "t"]));
    }

    #[test]
    fn picking_from_a_literal_list_draws_the_same_sequence_as_drawing_by_hand() {
        // Arrange: picks from literal lists and drawn ids in interpolated text, in order.
        let lets = [
            ("vendor", r#""{pick(['Acme', 'Globex', 'Initech'])}""#),
            ("count", "'{int(1, 12)}'"),
        ];
        let value = r#"{id: 'in_{alnum(24)}', vendor: '{vendor}', carrier: "{pick(['Maersk', 'MSC'])}", label: '{vendor}-{count}-{hex(6)}'}"#;

        for seed in [1, 7, 42] {
            // Act
            let v = generate_seeded(&lets, value, seed);

            // Assert: the draws a generator seeded alike makes, in the order written.
            let mut r = RunRng::new(seed);
            let vendor = ["Acme", "Globex", "Initech"][(r.u64() % 3) as usize];
            let n = r.range(1, 12);
            let id = format!("in_{}", r.alnum(24));
            let carrier = ["Maersk", "MSC"][(r.u64() % 2) as usize];
            let label = format!("{vendor}-{n}-{}", r.hex(6));
            let want =
                serde_json::json!({"id": id, "vendor": vendor, "carrier": carrier, "label": label});
            assert_eq!(v.to_string(), want.to_string(), "seed {seed}");
        }
    }

    #[test]
    fn a_merge_starting_with_a_named_object_keeps_its_keys_in_order_and_the_later_keys_win() {
        // Arrange: an object a name holds merged first (taken whole), then one replacing a key
        // in place and adding one; the name's object read again afterwards, by field and whole.
        let lets = [("inv", "{id: '{alnum(3)}', due: '{int(5, 9)}', cur: usd}")];
        let value = "{m: {$merge: ['{inv}', {due: 0, paid: '{inv.due}'}]}, again: '{inv}', cur: '{inv.cur}', none: '{inv.nope}'}";

        // Act
        let v = generate_seeded(&lets, value, 3);

        // Assert
        let mut r = RunRng::new(3);
        let id = r.alnum(3);
        let due = r.range(5, 9);
        let want = serde_json::json!({
            "m": {"id": id, "due": 0, "cur": "usd", "paid": due},
            "again": {"id": id, "due": due, "cur": "usd"},
            "cur": "usd",
        });
        assert_eq!(v.to_string(), want.to_string());
    }

    #[test]
    fn operators_and_text_read_names_without_changing_what_the_name_holds() {
        // Arrange: a name holding made text and one holding a number, read by operators and
        // interpolation several times.
        let lets = [("s", "'x{alnum(2)}'"), ("t", "'{int(1, 40)}'")];
        let value = "{eq: '{s == s}', sum: '{t + t}', neg: '{-t}', not: '{!s}', and: '{s && t}', text: '{s}/{t}/{s}', s: '{s}'}";

        // Act
        let v = generate_seeded(&lets, value, 11);

        // Assert
        let mut r = RunRng::new(11);
        let s = format!("x{}", r.alnum(2));
        let t = r.range(1, 40);
        let want = serde_json::json!({
            "eq": true, "sum": t + t, "neg": -t, "not": false, "and": true,
            "text": format!("{s}/{t}/{s}"), "s": s,
        });
        assert_eq!(v.to_string(), want.to_string());
    }

    #[test]
    fn every_function_takes_no_more_arguments_than_a_call_keeps_on_the_stack() {
        for (name, _, _, most, _, _) in FUNCTIONS {
            assert!(*most <= MAX_ARGS, "{name} takes {most}");
        }
    }

    #[test]
    fn call_arguments_are_taken_out_as_a_vec_swap_removes_them() {
        for len in 1..=MAX_ARGS {
            for first in 0..len {
                for second in 0..len - 1 {
                    let texts = ["a", "b", "c"];
                    let mut want: Vec<Val<'_>> = texts[..len].iter().map(|t| Val::Str(t)).collect();
                    let mut got = Args::default();
                    for t in &texts[..len] {
                        got.push(Val::Str(t));
                    }
                    let text = |v: Val<'_>| v.into_value();
                    assert_eq!(text(got.swap_remove(first)), text(want.swap_remove(first)));
                    assert_eq!(got.len(), want.len());
                    assert_eq!(text(got[second].clone()), text(want[second].clone()));
                    assert_eq!(
                        text(got.swap_remove(second)),
                        text(want.swap_remove(second))
                    );
                }
            }
        }
    }

    #[test]
    fn numbers_interpolate_as_their_json_display() {
        let numbers = [
            serde_json::json!(0),
            serde_json::json!(7),
            serde_json::json!(-1),
            serde_json::json!(i64::MIN),
            serde_json::json!(u64::MAX),
            serde_json::json!(2500000),
            serde_json::json!(12.5),
            serde_json::json!(0.1),
            serde_json::json!(1e300),
            serde_json::json!(-3.0),
        ];
        for n in numbers {
            let mut out = String::from("x");
            write_json_text(&n, &mut out);
            assert_eq!(out, format!("x{n}"));
            // Into an empty string (copied at its size rather than pushed): the same text.
            let mut alone = String::new();
            write_json_text(&n, &mut alone);
            assert_eq!(alone, n.to_string());
        }
        for (v, text) in [
            (Val::Str("ab"), "ab"),
            (Val::Own(Value::String("cd".into())), "cd"),
            (
                Val::Time(Duration::from_millis(1_735_689_600_250)),
                "2025-01-01T00:00:00.250Z",
            ),
            (Val::Absent, ""),
        ] {
            let mut alone = String::new();
            v.write_text(&mut alone);
            assert_eq!(alone, text);
            let mut after = String::from("x");
            v.write_text(&mut after);
            assert_eq!(after, format!("x{text}"));
        }
    }

    #[test]
    fn syntax_errors_say_where_in_the_expression() {
        let errs = compile("x: 'a {1 +} b'", &request_vars()).unwrap_err();
        assert!(
            errs[0].message.contains("at character"),
            "{}",
            errs[0].message
        );
        let errs = compile("x: 'a {nope(1)}'", &request_vars()).unwrap_err();
        assert!(
            errs[0].message.contains("unknown function `nope`"),
            "{}",
            errs[0].message
        );
    }
}
