//! `multipart/form-data` bodies (RFC 7578), for the uploads the emulated APIs take:
//! PerfectParser's `POST /v1/extractions` (`parser_id`, `files`) and LlamaCloud's
//! `POST /api/v2/parse/upload` and `POST /api/v1/beta/files` (`file`, …). Small and
//! strict: a body that does not follow the format is an error the caller answers as its
//! provider does.

use bytes::Bytes;

/// One part of a form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name.
    pub name: String,
    /// The file name, for a file.
    pub filename: Option<String>,
    /// The part's own content type.
    pub content_type: Option<String>,
    /// Its bytes.
    pub data: Bytes,
}

impl Part {
    /// The part's bytes as text (for plain fields).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }
}

/// The boundary of a `multipart/form-data` content type, if it is one.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';');
    let essence = parts.next()?.trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
            .filter(|b| !b.is_empty())
    })
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from > hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// The parts of `body`, or what is wrong with it.
pub fn parse(body: &Bytes, boundary: &str) -> Result<Vec<Part>, String> {
    let delim = format!("--{boundary}");
    let delim = delim.as_bytes();
    let mut at = find(body, delim, 0).ok_or("the body has no part boundary")?;
    let mut parts = Vec::new();
    loop {
        at += delim.len();
        if body[at..].starts_with(b"--") {
            return Ok(parts);
        }
        if !body[at..].starts_with(b"\r\n") {
            return Err("a part boundary is not followed by a line break".into());
        }
        at += 2;
        let head_end = find(body, b"\r\n\r\n", at).ok_or("a part has no end of headers")?;
        let head = std::str::from_utf8(&body[at..head_end])
            .map_err(|_| "a part's headers are not text")?;
        let data_start = head_end + 4;
        let mut close = Vec::with_capacity(delim.len() + 2);
        close.extend_from_slice(b"\r\n");
        close.extend_from_slice(delim);
        let data_end = find(body, &close, data_start).ok_or("the body ends inside a part")?;
        let mut name = None;
        let mut filename = None;
        let mut content_type = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            let k = k.trim();
            if k.eq_ignore_ascii_case("content-disposition") {
                for param in v.split(';').skip(1) {
                    let Some((pk, pv)) = param.split_once('=') else {
                        continue;
                    };
                    let pv = pv.trim().trim_matches('"').to_owned();
                    match pk.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(pv),
                        "filename" => filename = Some(pv),
                        _ => {}
                    }
                }
            } else if k.eq_ignore_ascii_case("content-type") {
                content_type = Some(v.trim().to_owned());
            }
        }
        let name = name.ok_or("a part has no name in its Content-Disposition")?;
        parts.push(Part {
            name,
            filename,
            content_type,
            data: body.slice(data_start..data_end),
        });
        at = data_end + 2;
    }
}

/// The pages of a PDF, counted from its page objects (`/Type /Page`, not `/Pages`); 1
/// for anything that is not a PDF or names no page.
pub fn pdf_pages(data: &[u8]) -> usize {
    if !data.starts_with(b"%PDF") {
        return 1;
    }
    let needle = b"/Type";
    let mut n = 0;
    let mut i = 0;
    while let Some(p) = find(data, needle, i) {
        let mut j = p + needle.len();
        while j < data.len() && matches!(data[j], b' ' | b'\n' | b'\r' | b'\t') {
            j += 1;
        }
        if data[j..].starts_with(b"/Page") && !data[j..].starts_with(b"/Pages") {
            n += 1;
        }
        i = p + needle.len();
    }
    n.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_pages_are_counted_from_their_page_objects() {
        let pdf = b"%PDF-1.4\n1 0 obj << /Type /Pages /Kids [2 0 R 3 0 R] >>\n2 0 obj << /Type /Page >>\n3 0 obj <</Type/Page>>\n";
        assert_eq!(pdf_pages(pdf), 2);
        assert_eq!(pdf_pages(b"hello"), 1);
    }

    #[test]
    fn fields_and_files_are_read_with_their_names() {
        let body = Bytes::from_static(
            b"--XyZ\r\nContent-Disposition: form-data; name=\"parser_id\"\r\n\r\nprs_1\r\n--XyZ\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\nx\r\n--XyZ--\r\n",
        );
        let b = boundary("multipart/form-data; boundary=XyZ").unwrap();
        let parts = parse(&body, &b).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name, "parser_id");
        assert_eq!(parts[0].text(), "prs_1");
        assert_eq!(parts[1].filename.as_deref(), Some("a.pdf"));
        assert_eq!(&parts[1].data[..], b"%PDF-1.4\r\nx");
        assert_eq!(parts[1].content_type.as_deref(), Some("application/pdf"));
    }

    #[test]
    fn a_body_cut_inside_a_part_is_an_error() {
        let body =
            Bytes::from_static(b"--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx");
        assert!(parse(&body, "b").is_err());
        assert!(boundary("application/json").is_none());
    }
}
