//! Crawl4AI's four job events, named `task_type.status`: `crawl.completed`,
//! `crawl.failed`, `llm_extraction.completed` and `llm_extraction.failed`. The body
//! (`task_id`, `task_type`, `status`, an ISO-8601 UTC `timestamp`, `urls`, then `data` when
//! the job asked for data in the payload and `error` when it failed) and the task id forms
//! (`crawl_<8 hex>`, `llm_<unix seconds>_<number>`) come from Crawl4AI's webhook examples
//! (`reference/crawl4ai-webhooks.txt`). A crawl job's `data` is what the code sends
//! (unclecode/crawl4ai v0.9.2 `deploy/docker/api.py`, `handle_crawl_job`): the whole
//! `/crawl` response, `{success, results, server_processing_time_s,
//! server_memory_delta_mb, server_peak_memory_mb}`, with one `CrawlResult.model_dump()` per
//! URL of the job in `results` (`crawl4ai/models.py`: its fields in declaration order, then
//! `markdown`). The seed doc's Example 2 shows a simplified `data`; its own Flask handler
//! reads `data['results']`.
//!
//! The generated data is `{task_id, urls, result}` for a completed job and
//! `{task_id, urls, error}` for a failed one; the sender puts `result` under `data` (LLM
//! jobs as `{extracted_content: result}`) only when data in payload is on. Given data is
//! sent as given: a crawl job's `result` is the `/crawl` response.

use super::EventSpec;
use crate::rng::RunRng;
use serde_json::{Value, json};

/// Crawl4AI's event catalogue.
pub fn catalogue() -> Vec<EventSpec> {
    vec![
        EventSpec {
            name: "crawl.completed",
            description: "A /crawl/job task finished and its results are ready.",
            body_schema: || body_schema(Task::Crawl, Status::Completed),
            generate: crawl_completed,
        },
        EventSpec {
            name: "crawl.failed",
            description: "A /crawl/job task failed; the body carries the error.",
            body_schema: || body_schema(Task::Crawl, Status::Failed),
            generate: crawl_failed,
        },
        EventSpec {
            name: "llm_extraction.completed",
            description: "An /llm/job extraction finished and its extracted content is ready.",
            body_schema: || body_schema(Task::Llm, Status::Completed),
            generate: llm_completed,
        },
        EventSpec {
            name: "llm_extraction.failed",
            description: "An /llm/job extraction failed; the body carries the error.",
            body_schema: || body_schema(Task::Llm, Status::Failed),
            generate: llm_failed,
        },
    ]
}

#[derive(Clone, Copy)]
enum Task {
    Crawl,
    Llm,
}

impl Task {
    fn task_type(self) -> &'static str {
        match self {
            Task::Crawl => "crawl",
            Task::Llm => "llm_extraction",
        }
    }

    fn task_id_pattern(self) -> &'static str {
        match self {
            Task::Crawl => "^crawl_[0-9a-f]{8}$",
            Task::Llm => "^llm_[0-9]{10}_[0-9]+$",
        }
    }
}

#[derive(Clone, Copy)]
enum Status {
    Completed,
    Failed,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Failed => "failed",
        }
    }
}

/// Python's `datetime.isoformat()` of an aware UTC time: microseconds are left out when
/// they are zero.
const TIMESTAMP_PATTERN: &str =
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{6})?\+00:00$";

/// The whole body of a `task.status` delivery.
fn body_schema(task: Task, status: Status) -> Value {
    let (task_type, status) = (task.task_type(), status.as_str());
    let mut required = vec!["task_id", "task_type", "status", "timestamp", "urls"];
    if status == "failed" {
        required.push("error");
    }
    let data = match task {
        Task::Crawl => crawl_data_schema(),
        Task::Llm => llm_data_schema(),
    };
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": format!("Crawl4AI {task_type}.{status} webhook body"),
        "type": "object",
        "required": required,
        "properties": {
            "task_id": { "type": "string", "pattern": task.task_id_pattern() },
            "task_type": { "type": "string", "const": task_type },
            "status": { "type": "string", "const": status },
            "timestamp": {
                "description": "When the notification was sent, ISO-8601 in UTC.",
                "type": "string",
                "pattern": TIMESTAMP_PATTERN,
            },
            "urls": {
                "description": "The URLs the job was given.",
                "type": "array",
                "items": { "type": "string" },
            },
            "data": data,
            "error": { "description": "Why the job failed.", "type": "string" },
        },
        "additionalProperties": true,
    })
}

/// `data` of a crawl job: the whole `/crawl` response, present only with data in payload.
fn crawl_data_schema() -> Value {
    let links = json!({ "type": "array", "items": { "type": "object" } });
    let number_or_null = json!({ "type": ["number", "null"] });
    json!({
        "description": "The /crawl response (one result per URL); sent only when the job set webhook_data_in_payload.",
        "type": "object",
        "required": [
            "success",
            "results",
            "server_processing_time_s",
            "server_memory_delta_mb",
            "server_peak_memory_mb"
        ],
        "properties": {
            "success": { "type": "boolean" },
            "results": {
                "description": "One CrawlResult per URL of the job.",
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["url", "html", "success"],
                    "properties": {
                        "url": { "type": "string" },
                        "html": { "type": "string" },
                        "success": { "type": "boolean" },
                        "links": {
                            "type": "object",
                            "properties": { "internal": links, "external": links },
                        },
                        "metadata": { "type": ["object", "null"] },
                        "markdown": {
                            "type": "object",
                            "properties": {
                                "raw_markdown": { "type": "string" },
                                "markdown_with_citations": { "type": "string" },
                                "references_markdown": { "type": "string" },
                            },
                        },
                    },
                    "additionalProperties": true,
                },
            },
            "server_processing_time_s": { "type": "number" },
            "server_memory_delta_mb": number_or_null,
            "server_peak_memory_mb": number_or_null,
        },
        "additionalProperties": true,
    })
}

/// `data` of an LLM job: `{extracted_content}`, present only with data in payload.
fn llm_data_schema() -> Value {
    json!({
        "description": "The extraction; sent only when the job set webhook_data_in_payload.",
        "type": "object",
        "required": ["extracted_content"],
        "properties": {
            "extracted_content": {
                "description": "What the LLM extracted, in the shape the job's schema asked for.",
            },
        },
        "additionalProperties": true,
    })
}

/// Pages a crawl can visit: URL, title, one line of text.
const PAGES: &[(&str, &str, &str)] = &[
    (
        "https://example.com",
        "Example Domain",
        "This domain is for use in illustrative examples in documents.",
    ),
    (
        "https://example.com/blog/release-notes",
        "Release notes",
        "Version 2.4 adds streaming exports and faster search.",
    ),
    (
        "https://docs.example.org/guide/getting-started",
        "Getting started",
        "Install the client, create an API key and send your first request.",
    ),
    (
        "https://shop.example.net/products/desk-lamp",
        "Desk lamp",
        "A dimmable LED desk lamp with a USB-C charging port.",
    ),
];

/// Articles an LLM extraction can read: URL, title, author, publication date.
const ARTICLES: &[(&str, &str, &str, &str)] = &[
    (
        "https://example.com/article",
        "Understanding Web Scraping",
        "John Doe",
        "2024-12-30",
    ),
    (
        "https://news.example.org/2024/12/28/year-in-review",
        "The Year in Review",
        "Maria Garcia",
        "2024-12-28",
    ),
    (
        "https://blog.example.net/posts/async-python",
        "Async Python in Practice",
        "Wei Chen",
        "2024-12-19",
    ),
];

const CRAWL_ERRORS: &[&str] = &[
    "Connection timeout after 30s",
    "Page.goto: Timeout 60000ms exceeded",
    "net::ERR_NAME_NOT_RESOLVED",
    "Failed on navigating ACS-GOTO: net::ERR_CONNECTION_REFUSED",
];

const LLM_ERRORS: &[&str] = &[
    "Invalid provider: no API key configured for openai/gpt-4o-mini",
    "LLM extraction failed: rate limit exceeded, retry later",
    "Failed to crawl the page: Connection timeout after 30s",
];

fn crawl_task_id(rng: &mut RunRng) -> String {
    format!("crawl_{}", rng.hex(8))
}

/// `llm_<unix seconds>_<5 digits>`, created in the hour before 2025-01-01T00:00:00Z.
fn llm_task_id(rng: &mut RunRng) -> String {
    let created = rng.range(1_735_686_000, 1_735_689_600);
    format!("llm_{created}_{}", rng.range(10_000, 99_999))
}

/// One or two different pages, as indexes into [`PAGES`].
fn crawl_pages(rng: &mut RunRng) -> Vec<usize> {
    let first = rng.range(0, PAGES.len() as i64 - 1) as usize;
    let count = rng.range(1, 2) as usize;
    (0..count).map(|i| (first + i) % PAGES.len()).collect()
}

fn urls_of(pages: &[usize]) -> Value {
    json!(pages.iter().map(|&i| PAGES[i].0).collect::<Vec<_>>())
}

/// The `CrawlResult.model_dump()` of one page: the model's fields in declaration order,
/// then `markdown` (a MarkdownGenerationResult), as `crawl4ai/models.py` dumps them.
fn crawl_result(page: usize) -> Value {
    let (url, title, text) = PAGES[page];
    let origin = url.splitn(4, '/').take(3).collect::<Vec<_>>().join("/");
    let html = format!(
        "<html><head><title>{title}</title></head><body><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let markdown = format!("# {title}\n\n{text}\n");
    json!({
        "url": url,
        "html": html,
        "fit_html": null,
        "success": true,
        "cleaned_html": format!("<div><h1>{title}</h1><p>{text}</p></div>"),
        "media": { "images": [], "videos": [], "audios": [] },
        "links": {
            "internal": [link(&format!("{origin}/about"), "About")],
            "external": [link("https://www.iana.org/domains/example", "More information")],
        },
        "downloaded_files": null,
        "js_execution_result": null,
        "screenshot": null,
        "pdf": null,
        "mhtml": null,
        "extracted_content": null,
        "metadata": { "title": title, "description": text },
        "error_message": "",
        "session_id": null,
        "response_headers": { "content-type": "text/html; charset=UTF-8" },
        "status_code": 200,
        "ssl_certificate": null,
        "dispatch_result": null,
        "redirected_url": url,
        "redirected_status_code": null,
        "network_requests": null,
        "console_messages": null,
        "tables": [],
        "head_fingerprint": null,
        "cached_at": null,
        "cache_status": "miss",
        "crawl_stats": null,
        "markdown": {
            "raw_markdown": markdown,
            "markdown_with_citations": markdown,
            "references_markdown": "",
            "fit_markdown": "",
            "fit_html": "",
        },
    })
}

/// The `/crawl` response for these pages: one result per URL and the server's figures.
fn crawl_response(rng: &mut RunRng, pages: &[usize]) -> Value {
    let results: Vec<Value> = pages.iter().map(|&p| crawl_result(p)).collect();
    let seconds = rng.range(800, 9_000) as f64 / 1000.0 + 0.000_123;
    let delta = rng.range(0, 4_000) as f64 / 100.0;
    let peak = 180.0 + rng.range(0, 12_000) as f64 / 100.0;
    json!({
        "success": true,
        "results": results,
        "server_processing_time_s": seconds,
        "server_memory_delta_mb": delta,
        "server_peak_memory_mb": peak,
    })
}

/// One entry of a crawl result's `links` lists.
fn link(href: &str, text: &str) -> Value {
    json!({ "href": href, "text": text, "title": "" })
}

fn crawl_completed(rng: &mut RunRng) -> Value {
    let task_id = crawl_task_id(rng);
    let pages = crawl_pages(rng);
    let result = crawl_response(rng, &pages);
    json!({ "task_id": task_id, "urls": urls_of(&pages), "result": result })
}

fn crawl_failed(rng: &mut RunRng) -> Value {
    let task_id = crawl_task_id(rng);
    let pages = crawl_pages(rng);
    let error = *rng.pick(CRAWL_ERRORS);
    json!({ "task_id": task_id, "urls": urls_of(&pages), "error": error })
}

fn llm_completed(rng: &mut RunRng) -> Value {
    let task_id = llm_task_id(rng);
    let (url, title, author, date) = *rng.pick(ARTICLES);
    json!({
        "task_id": task_id,
        "urls": [url],
        "result": { "title": title, "author": author, "date": date },
    })
}

fn llm_failed(rng: &mut RunRng) -> Value {
    let task_id = llm_task_id(rng);
    let (url, ..) = *rng.pick(ARTICLES);
    let error = *rng.pick(LLM_ERRORS);
    json!({ "task_id": task_id, "urls": [url], "error": error })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_name_is_its_schemas_task_type_and_status() {
        for spec in catalogue() {
            let schema = (spec.body_schema)();
            let props = &schema["properties"];
            let name = format!(
                "{}.{}",
                props["task_type"]["const"].as_str().unwrap(),
                props["status"]["const"].as_str().unwrap()
            );
            assert_eq!(name, spec.name);
        }
    }

    #[test]
    fn a_completed_crawl_carries_one_result_per_url_of_the_job() {
        for seed in 0..20 {
            let d = crawl_completed(&mut RunRng::new(seed));
            let urls = d["urls"].as_array().unwrap();
            let results = d["result"]["results"].as_array().unwrap();
            assert_eq!(results.len(), urls.len());
            for (r, u) in results.iter().zip(urls) {
                assert_eq!(&r["url"], u);
            }
            assert_eq!(d["result"]["success"], true);
            assert!(d["result"]["server_processing_time_s"].is_f64());
        }
    }

    #[test]
    fn task_ids_have_the_providers_forms() {
        for seed in 0..20 {
            let crawl = crawl_completed(&mut RunRng::new(seed));
            let id = crawl["task_id"].as_str().unwrap();
            assert_eq!(id.len(), "crawl_".len() + 8, "{id}");
            let llm = llm_failed(&mut RunRng::new(seed));
            let id = llm["task_id"].as_str().unwrap();
            let parts: Vec<_> = id.split('_').collect();
            assert_eq!(parts[0], "llm");
            assert_eq!((parts[1].len(), parts[2].len()), (10, 5), "{id}");
        }
    }
}
