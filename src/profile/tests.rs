use std::time::Duration;

use serde_json::json;

use super::*;
use crate::clock::SIM_EPOCH_UNIX;

fn epoch(offset_s: u64) -> Duration {
    Duration::from_secs(SIM_EPOCH_UNIX as u64 + offset_s)
}

fn names(r: &OutgoingRequest) -> Vec<&str> {
    r.headers.iter().map(|(k, _)| k.as_str()).collect()
}

fn ids(m: &str) -> DeliveryIds {
    DeliveryIds::with_message_id(m)
}

#[test]
fn llamacloud_sends_its_documented_headers_and_signs_only_with_a_secret() {
    let p = builtin("llamacloud").unwrap();
    let mut e = Endpoint {
        output_format: OutputFormat::Json,
        ..Endpoint::default()
    };
    let data = json!({"id": "j1", "job_id": "j1"});
    let r = p
        .build_request(&e, "parse.success", &data, &ids("ev-1"), epoch(0))
        .unwrap();
    assert_eq!(
        names(&r),
        [
            "Content-Type",
            "User-Agent",
            "X-Webhook-Event-ID",
            "X-Webhook-Event-Type"
        ]
    );
    assert_eq!(
        crate::signing::header(&r.headers, "user-agent"),
        Some("llamaindex-webhook-service/1.0")
    );
    e.secrets = vec!["s".into()];
    let r = p
        .build_request(&e, "parse.success", &data, &ids("ev-1"), epoch(0))
        .unwrap();
    let sig = crate::signing::header(&r.headers, "LC-Signature").unwrap();
    assert_eq!(sig, crate::signing::sign_sha256_prefixed("s", &r.body));
}

#[test]
fn llamacloud_custom_headers_cannot_override_content_type() {
    let p = builtin("llamacloud").unwrap();
    let e = Endpoint {
        headers: vec![
            ("Content-Type".into(), "text/plain".into()),
            ("Authorization".into(), "Bearer t".into()),
        ],
        ..Endpoint::default()
    };
    let r = p
        .build_request(&e, "parse.success", &json!({}), &ids("x"), epoch(0))
        .unwrap();
    assert_eq!(
        crate::signing::header(&r.headers, "content-type"),
        Some("application/json")
    );
    assert_eq!(
        crate::signing::header(&r.headers, "authorization"),
        Some("Bearer t")
    );
}

#[test]
fn llamacloud_string_output_format_encodes_the_json_body_as_a_json_string() {
    let p = builtin("llamacloud").unwrap();
    let data = json!({"id": "j1", "job_id": "j1"});
    let r = p
        .build_request(
            &Endpoint::default(),
            "parse.success",
            &data,
            &ids("ev"),
            epoch(0),
        )
        .unwrap();
    let outer: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert!(outer.is_string());
    let decoded = p.decode_body(&r.body).unwrap();
    assert_eq!(decoded["event_id"], "ev");
    assert_eq!(decoded["data"], data);
}

#[test]
fn crawl4ai_custom_headers_win_but_content_type_is_forced_last() {
    let p = builtin("crawl4ai").unwrap();
    let e = Endpoint {
        headers: vec![
            ("User-Agent".into(), "mine/2".into()),
            ("X-Service".into(), "a".into()),
        ],
        ..Endpoint::default()
    };
    let data = json!({"task_id": "crawl_0123abcd", "urls": ["https://example.com"]});
    let r = p
        .build_request(&e, "crawl.completed", &data, &ids(""), epoch(0))
        .unwrap();
    assert_eq!(names(&r), ["User-Agent", "X-Service", "Content-Type"]);
    assert_eq!(r.headers[0].1, "mine/2");
}

#[test]
fn crawl4ai_refuses_denied_and_malformed_header_names_at_configuration_time() {
    let p = builtin("crawl4ai").unwrap();
    for bad in ["Authorization", "cookie", "Content-Type", "X_Under", "Host"] {
        let e = Endpoint {
            headers: vec![(bad.into(), "v".into())],
            ..Endpoint::default()
        };
        let err = p.check_endpoint(&e).unwrap_err();
        assert!(err.to_string().contains(bad), "{err}");
    }
    let many = (0..21).map(|i| (format!("X-H{i}"), "v".into())).collect();
    assert!(
        p.check_endpoint(&Endpoint {
            headers: many,
            ..Endpoint::default()
        })
        .is_err()
    );
    let long = Endpoint {
        headers: vec![("X-Long".into(), "v".repeat(2049))],
        ..Endpoint::default()
    };
    assert!(p.check_endpoint(&long).is_err());
}

#[test]
fn crawl4ai_includes_data_only_with_data_in_payload_and_wraps_llm_results() {
    let p = builtin("crawl4ai").unwrap();
    let data = json!({"task_id": "llm_1735689600_12345", "urls": ["u"], "result": {"title": "t"}});
    let off = p
        .build_request(
            &Endpoint::default(),
            "llm_extraction.completed",
            &data,
            &ids(""),
            epoch(0),
        )
        .unwrap();
    assert!(p.decode_body(&off.body).unwrap().get("data").is_none());
    let on = Endpoint {
        data_in_payload: true,
        ..Endpoint::default()
    };
    let r = p
        .build_request(&on, "llm_extraction.completed", &data, &ids(""), epoch(0))
        .unwrap();
    let body = p.decode_body(&r.body).unwrap();
    assert_eq!(body["data"], json!({"extracted_content": {"title": "t"}}));
    assert_eq!(body["task_type"], "llm_extraction");
    assert_eq!(body["status"], "completed");
    assert_eq!(body["timestamp"], "2025-01-01T00:00:00+00:00");
}

#[test]
fn standard_webhooks_keeps_its_id_and_renews_timestamp_and_signature_per_attempt() {
    let p = builtin("standard-webhooks").unwrap();
    let e = Endpoint {
        secrets: vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
        ..Endpoint::default()
    };
    let a = p
        .build_request(
            &e,
            "user.created",
            &json!({"id": "u"}),
            &ids("msg_1"),
            epoch(0),
        )
        .unwrap();
    let b = p
        .build_request(
            &e,
            "user.created",
            &json!({"id": "u"}),
            &ids("msg_1"),
            epoch(300),
        )
        .unwrap();
    let h =
        |r: &OutgoingRequest, n: &str| crate::signing::header(&r.headers, n).unwrap().to_owned();
    assert_eq!(
        names(&a),
        [
            "webhook-id",
            "webhook-timestamp",
            "webhook-signature",
            "Content-Type"
        ]
    );
    assert_eq!(h(&a, "webhook-id"), h(&b, "webhook-id"));
    assert_eq!(
        h(&b, "webhook-timestamp"),
        (SIM_EPOCH_UNIX + 300).to_string()
    );
    assert_ne!(h(&a, "webhook-signature"), h(&b, "webhook-signature"));
    let v = p.scheme.verify(&e.secrets, &b.headers, &b.body, epoch(301));
    assert_eq!(v, crate::signing::Verdict::Valid);
}

#[test]
fn perfectparser_sends_flat_bodies_with_the_static_secret_header() {
    let p = builtin("perfectparser").unwrap();
    let e = Endpoint {
        secrets: vec!["k".into()],
        static_secret: Some("st".into()),
        ..Endpoint::default()
    };
    let data = json!({"extraction_id": "ext_1", "document_id": "doc_1", "status": "completed"});
    let r = p
        .build_request(
            &e,
            "extraction.document_completed",
            &data,
            &ids(""),
            epoch(0),
        )
        .unwrap();
    assert_eq!(
        names(&r),
        [
            "Content-Type",
            "X-Webhook-Secret",
            "X-PerfectParser-Signature"
        ]
    );
    let body = p.decode_body(&r.body).unwrap();
    assert_eq!(body["event"], "extraction.document_completed");
    assert_eq!(body["document_id"], "doc_1");
    assert!(
        p.build_request(
            &e,
            "extraction.document_completed",
            &json!([1]),
            &ids(""),
            epoch(0)
        )
        .is_err()
    );
}

#[test]
fn extend_signs_its_timestamp_and_body() {
    let p = builtin("extend").unwrap();
    let e = Endpoint {
        secrets: vec!["sec".into()],
        ..Endpoint::default()
    };
    let r = p
        .build_request(
            &e,
            "workflow_run.completed",
            &json!({"object": "workflow_run", "id": "workflow_run_1"}),
            &ids("event_1"),
            epoch(5),
        )
        .unwrap();
    let ts = crate::signing::header(&r.headers, "x-extend-request-timestamp").unwrap();
    assert_eq!(ts, (SIM_EPOCH_UNIX + 5).to_string());
    let sig = crate::signing::header(&r.headers, "x-extend-request-signature").unwrap();
    let message = [
        format!("v0:{}:", SIM_EPOCH_UNIX + 5).as_bytes(),
        &r.body[..],
    ]
    .concat();
    assert_eq!(
        sig,
        hex::encode(crate::signing::hmac_sha256(b"sec", &[&message]))
    );
}

#[test]
fn profile_schedules_match_the_design_table() {
    let starts = |n: &str| {
        retry_starts(&builtin(n).unwrap().retry)
            .iter()
            .map(Duration::as_secs)
            .collect::<Vec<_>>()
    };
    assert_eq!(starts("llamacloud"), [0, 1, 3]);
    assert_eq!(starts("crawl4ai"), [0, 1, 3, 7, 15]);
    assert_eq!(starts("extend"), [0, 1, 3, 7, 15]);
    assert_eq!(starts("perfectparser"), [0, 300, 900, 2100, 4500, 9300]);
    let h = 3600;
    assert_eq!(
        starts("standard-webhooks"),
        [
            0,
            5,
            305,
            2105,
            2105 + 2 * h,
            2105 + 7 * h,
            2105 + 17 * h,
            2105 + 31 * h,
            2105 + 51 * h,
            2105 + 75 * h
        ]
    );
}

#[test]
fn only_a_profile_with_rotation_accepts_several_secrets() {
    let two = Endpoint {
        secrets: vec!["a".into(), "b".into()],
        ..Endpoint::default()
    };
    assert!(
        builtin("perfectparser")
            .unwrap()
            .check_endpoint(&two)
            .is_err()
    );
    let sw = Endpoint {
        secrets: vec!["whsec_YQ==".into(), "whsec_Yg==".into()],
        ..Endpoint::default()
    };
    assert!(
        builtin("standard-webhooks")
            .unwrap()
            .check_endpoint(&sw)
            .is_ok()
    );
}

#[test]
fn every_profile_sources_every_rule_it_has() {
    use super::rules::Rule;
    for p in builtins() {
        let has = |r: Rule| p.rules.iter().any(|s| s.rule == r);
        let mut must = vec![
            Rule::Version,
            Rule::Body,
            Rule::BodyBytes,
            Rule::Headers,
            Rule::Signature,
            Rule::Secret,
            Rule::Attempts,
            Rule::Timeout,
            Rule::RetryOn,
            Rule::Redirects,
            Rule::Events,
        ];
        let r = &p.retry;
        if r.attempts > 1 {
            must.push(Rule::Waits);
        }
        if r.jitter_percent > 0 {
            must.push(Rule::Jitter);
        }
        if r.overload.is_some() {
            must.push(Rule::Overload);
        }
        if r.retry_after.honoured() {
            must.push(Rule::RetryAfter);
        }
        if r.resend_quick_connection_error.is_some() {
            must.push(Rule::Resend);
        }
        if !r.disable_on.is_empty() {
            must.push(Rule::Disable);
        }
        if r.stop_header.is_some() {
            must.push(Rule::Stop);
        }
        if p.pending_status.is_some() {
            must.push(Rule::Status);
        }
        if p.header_rules.limits.is_some() || !p.header_rules.protected.is_empty() {
            must.push(Rule::CustomHeaders);
        }
        for rule in must {
            assert!(has(rule), "{}: no source for `{}`", p.name, rule.label());
        }
        for s in &p.rules {
            assert!(
                !s.sources.is_empty(),
                "{}: `{}` has no source",
                p.name,
                s.rule.label()
            );
            let same = p.rules.iter().filter(|o| o.rule == s.rule).count();
            assert_eq!(same, 1, "{}: `{}` listed twice", p.name, s.rule.label());
        }
    }
}

#[test]
fn an_event_time_given_beside_the_ids_is_the_bodys_time_unless_the_ids_have_their_own() {
    // Arrange
    let p = builtin("standard-webhooks").unwrap();
    let e = Endpoint::default();
    let data = json!({"id": "u"});
    let without = DeliveryIds::with_message_id("msg_1");
    let with = DeliveryIds {
        event_time: Some(epoch(60)),
        ..without.clone()
    };
    let build = |ids: &DeliveryIds, event_time| {
        let r = p
            .build_attempt_memo(
                &e,
                "user.created",
                &data,
                ids,
                event_time,
                epoch(3600),
                AttemptInfo::first(),
                None,
                None,
            )
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        body["timestamp"].as_str().unwrap().to_owned()
    };

    // Act
    let given = build(&without, Some(epoch(120)));
    let own = build(&with, Some(epoch(120)));
    let neither = build(&without, None);

    // Assert
    assert_eq!(given, "2025-01-01T00:02:00.000Z");
    assert_eq!(own, "2025-01-01T00:01:00.000Z");
    assert_eq!(neither, "2025-01-01T01:00:00.000Z");
}

#[test]
fn the_event_time_in_the_body_stays_while_the_signature_timestamp_moves() {
    let p = builtin("standard-webhooks").unwrap();
    let e = Endpoint {
        secrets: vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
        ..Endpoint::default()
    };
    let ids = DeliveryIds {
        event_time: Some(epoch(60)),
        ..DeliveryIds::with_message_id("msg_1")
    };
    let data = json!({"id": "u"});

    let first = p
        .build_request(&e, "user.created", &data, &ids, epoch(60))
        .unwrap();
    let retry = p
        .build_request(&e, "user.created", &data, &ids, epoch(3600))
        .unwrap();

    assert_eq!(first.body, retry.body);
    let body: serde_json::Value = serde_json::from_slice(&retry.body).unwrap();
    assert_eq!(body["timestamp"], "2025-01-01T00:01:00.000Z");
    assert_eq!(
        crate::signing::header(&retry.headers, "webhook-timestamp"),
        Some((SIM_EPOCH_UNIX + 3600).to_string().as_str())
    );
    assert_ne!(
        crate::signing::header(&first.headers, "webhook-signature"),
        crate::signing::header(&retry.headers, "webhook-signature")
    );
}

#[test]
fn extend_selects_the_catalogue_of_its_api_version() {
    let p = builtin("extend").unwrap();
    assert_eq!(p.api_version.as_deref(), Some("2024-12-23"));
    assert!(p.knows_event("processor_run.processed"));
    assert!(!p.knows_event("extract_run.processed"));

    let newer = p.clone().with_api_version("2026-02-09").unwrap();

    assert!(newer.knows_event("extract_run.processed"));
    assert!(newer.knows_event("workflow_run.cancelled"));
    assert!(!newer.knows_event("processor_run.processed"));
    let err = p.with_api_version("2025-04-2").unwrap_err();
    assert!(err.contains("valid: 2024-12-23, 2026-02-09"), "{err}");
}

#[test]
fn generated_secrets_have_the_providers_forms_and_follow_the_seed() {
    let secret = |name: &str, seed| {
        builtin(name)
            .unwrap()
            .generate_secret(&mut RunRng::new(seed))
    };
    let extend = secret("extend", 1).unwrap();
    assert!(extend.starts_with("wss_") && extend.len() == 36, "{extend}");
    let svix = secret("svix", 1).unwrap();
    let key = builtin("svix").unwrap().scheme.key.key(&svix).unwrap();
    assert_eq!(key.len(), 24);
    assert_eq!(secret("perfectparser", 1).unwrap().len(), 64);
    assert_eq!(secret("extend", 1), secret("extend", 1));
    assert_ne!(secret("extend", 1), secret("extend", 2));
    assert_eq!(secret("llamacloud", 1), None, "signing is optional there");
    assert_eq!(secret("crawl4ai", 1), None);
}

#[test]
fn every_signing_built_in_carries_a_test_vector_its_scheme_reproduces() {
    for p in builtins() {
        if !p.scheme.signs() {
            assert!(p.test_vectors.is_empty(), "{}", p.name);
            continue;
        }
        assert!(!p.test_vectors.is_empty(), "{} has no test vector", p.name);
        for v in &p.test_vectors {
            assert_eq!(v.check(&p.scheme), Ok(()), "{}", p.name);
        }
    }
}

#[test]
fn a_test_vector_with_a_wrong_value_says_what_the_scheme_gives() {
    let p = builtin("standard-webhooks").unwrap();
    let mut v = p.test_vectors[0].clone();
    v.expect[0].1 = "v1,AAAA".into();

    let err = v.check(&p.scheme).unwrap_err();

    assert!(
        err.contains("expected `v1,AAAA`, the signature section gives `v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=`"),
        "{err}"
    );
}

#[test]
fn the_built_in_files_are_what_export_prints_and_what_loads() {
    for name in BUILTIN_NAMES {
        let text = builtin_text(name).unwrap();
        let again = load::load_str(std::path::Path::new("x.yaml"), text).unwrap();
        let built_in = builtin(name).unwrap();
        assert_eq!(again.name, built_in.name);
        assert_eq!(again.retry, built_in.retry);
        assert_eq!(again.scheme, built_in.scheme);
        assert_eq!(built_in.export(), Some(text));
    }
}

#[test]
fn every_built_in_sends_the_same_body_on_every_attempt() {
    for p in builtins() {
        assert!(p.body_repeats(), "{}'s body reads the attempt", p.name);
    }
}

#[test]
fn a_template_reading_the_attempt_or_the_generator_varies_per_attempt() {
    use template::{CtxVar, Expr, Func, TNode, Var, node_varies_per_attempt};
    let var = |v| TNode::Expr(Expr::Var(Var::Ctx(v)));

    assert!(node_varies_per_attempt(&var(CtxVar::Attempt), &[]));
    assert!(node_varies_per_attempt(&var(CtxVar::Now), &[]));
    assert!(node_varies_per_attempt(
        &TNode::List(vec![TNode::Expr(Expr::Call(Func::Uuid, vec![]))]),
        &[]
    ));
    assert!(!node_varies_per_attempt(&var(CtxVar::Time), &[]));
    assert!(!node_varies_per_attempt(&var(CtxVar::Data), &[]));
}

/// Attempts 1 to 4 of one delivery of `p`'s first event type, each a minute apart, built
/// with one header memo for the delivery and each built afresh.
fn attempts_with_and_without_a_memo(p: &Profile) -> (Vec<OutgoingRequest>, Vec<OutgoingRequest>) {
    let mut rng = RunRng::new(11);
    let endpoint = p
        .endpoint_for_run(&Endpoint::default(), &mut rng)
        .unwrap_or_default();
    let event_type = p
        .catalogue
        .first()
        .map_or_else(|| "ping".to_owned(), |e| e.name.clone());
    let data = p.generate_data(&event_type, &mut rng);
    let ids = DeliveryIds {
        event_time: Some(epoch(0)),
        ..p.new_ids(&mut rng)
    };
    let mut memo = HeaderMemo::default();
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for n in 1..=4u32 {
        let attempt = AttemptInfo {
            n,
            last: (n > 1).then_some(AttemptResult::Status(503)),
            url: DEFAULT_PATH,
        };
        let now = epoch(60 * u64::from(n));
        with.push(
            p.build_attempt_memo(
                &endpoint,
                &event_type,
                &data,
                &ids,
                None,
                now,
                attempt,
                None,
                Some(&mut memo),
            )
            .unwrap(),
        );
        without.push(
            p.build_attempt(&endpoint, &event_type, &data, &ids, now, attempt)
                .unwrap(),
        );
    }
    (with, without)
}

fn header_lists(r: &[OutgoingRequest]) -> Vec<Vec<crate::record::Header>> {
    r.iter().map(|r| r.headers.clone()).collect()
}

#[test]
fn a_delivery_header_memo_gives_every_attempt_the_headers_built_afresh_with_every_built_in() {
    for p in builtins() {
        // Act
        let (with, without) = attempts_with_and_without_a_memo(&p);

        // Assert
        assert_eq!(header_lists(&with), header_lists(&without), "{}", p.name);
    }
}

#[test]
fn a_header_memo_leaves_headers_reading_the_attempt_or_a_per_attempt_id_fresh() {
    // Arrange: a header reading the attempt number, one shown only from the second attempt,
    // one reading the data; then the same with an id drawn afresh per attempt.
    let text = builtin_text("standard-webhooks").unwrap().replace(
        "  - $custom\n",
        "  - $custom\n  - X-Attempt: \"{attempt}\"\n  - name: X-Retry\n    value: \"{last_status}\"\n    when: \"attempt > 1\"\n  - X-Type: \"{type}\"\n",
    );
    let fixed = load::load_str(std::path::Path::new("x.yaml"), &text).unwrap();
    let per_attempt_id = text.replace(
        "  id: \"msg_{alnum(27)}\"",
        "  id: \"msg_{alnum(27)}\"\n  try: {form: \"try_{alnum(8)}\", repeat: false}",
    );
    let per_attempt_id = per_attempt_id.replace(
        "  - X-Type: \"{type}\"\n",
        "  - X-Type: \"{type}\"\n  - X-Try: \"{try}\"\n",
    );
    let per_attempt_id = load::load_str(std::path::Path::new("y.yaml"), &per_attempt_id).unwrap();

    for p in [&fixed, &per_attempt_id] {
        // Act
        let (with, without) = attempts_with_and_without_a_memo(p);

        // Assert
        assert_eq!(header_lists(&with), header_lists(&without), "{}", p.name);
        let value = |r: &OutgoingRequest, name: &str| {
            crate::signing::header(&r.headers, name).map(str::to_owned)
        };
        assert_eq!(value(&with[0], "X-Attempt").as_deref(), Some("1"));
        assert_eq!(value(&with[3], "X-Attempt").as_deref(), Some("4"));
        assert_eq!(value(&with[0], "X-Retry"), None);
        assert_eq!(value(&with[1], "X-Retry").as_deref(), Some("503"));
        assert_ne!(
            value(&with[0], "webhook-timestamp"),
            value(&with[1], "webhook-timestamp")
        );
    }
    assert_eq!(
        fixed.headers_fixed.as_slice(),
        &[true, false, false, true, false, false, false, true]
    );
    assert!(per_attempt_id.headers_fixed.iter().all(|f| !f));
    let (tries, _) = attempts_with_and_without_a_memo(&per_attempt_id);
    let try_of =
        |r: &OutgoingRequest| crate::signing::header(&r.headers, "X-Try").map(str::to_owned);
    assert_ne!(try_of(&tries[0]), try_of(&tries[1]));
}

#[test]
fn a_scheme_reads_the_time_when_its_signed_string_or_a_signature_header_holds_the_timestamp() {
    // Standard Webhooks and Extend sign `{timestamp}`; Stripe writes `t={timestamp}` in
    // its header; PerfectParser signs only the body.
    for (name, reads) in [
        ("standard-webhooks", true),
        ("extend", true),
        ("stripe", true),
        ("perfectparser", false),
    ] {
        assert_eq!(builtin(name).unwrap().scheme.reads_time(), reads, "{name}");
    }
}

/// The `X-PerfectParser-Signature` that `p`'s scheme gives `body` sent to `url`, signed
/// afresh (no memo).
fn perfectparser_signed_afresh(p: &Profile, body: &[u8], url: &str) -> Option<String> {
    let headers = p
        .scheme
        .sign(
            &["pp_secret".to_owned()],
            crate::signing::SignInput {
                id: "ev-1",
                timestamp: 0,
                body,
                url,
                method: "POST",
            },
        )
        .unwrap();
    crate::signing::header(&headers, "X-PerfectParser-Signature").map(str::to_owned)
}

/// Attempt `n` of one `perfectparser` delivery at minute `n`, with `memo`, re-sending
/// `body` when given.
fn perfectparser_attempt(
    p: &Profile,
    memo: &mut HeaderMemo,
    n: u32,
    body: Option<Bytes>,
) -> OutgoingRequest {
    perfectparser_attempt_to(p, memo, n, body, DEFAULT_PATH)
}

/// The same attempt, sent to `url`.
fn perfectparser_attempt_to(
    p: &Profile,
    memo: &mut HeaderMemo,
    n: u32,
    body: Option<Bytes>,
    url: &str,
) -> OutgoingRequest {
    let endpoint = Endpoint {
        secrets: vec!["pp_secret".into()],
        ..Endpoint::default()
    };
    let data = json!({"job_id": "j1"});
    let attempt = AttemptInfo { n, last: None, url };
    p.build_attempt_memo(
        &endpoint,
        "batch.failed",
        &data,
        &ids("ev-1"),
        Some(epoch(0)),
        epoch(60 * u64::from(n)),
        attempt,
        body,
        Some(memo),
    )
    .unwrap()
}

#[test]
fn a_header_memo_keeps_the_signature_of_a_body_signed_without_the_time_and_only_for_that_body() {
    // Arrange
    let p = builtin("perfectparser").unwrap();
    let mut memo = HeaderMemo::default();
    let sig = |r: &OutgoingRequest| {
        crate::signing::header(&r.headers, "X-PerfectParser-Signature").map(str::to_owned)
    };

    // Act: two attempts of the same body, then one of another body with the same memo.
    let first = perfectparser_attempt(&p, &mut memo, 1, None);
    let kept = memo.signature.as_ref().map(|k| k.headers.clone());
    let second = perfectparser_attempt(&p, &mut memo, 2, None);
    let other_body = Bytes::from_static(b"{\"event\":\"batch.failed\",\"other\":1}");
    let other = perfectparser_attempt(&p, &mut memo, 3, Some(other_body.clone()));

    // Assert: kept after the first attempt, sent again for the same body, and a body that
    // differs signed afresh (as the scheme signs it, not as the memo had it).
    assert!(sig(&first).is_some());
    assert_eq!(
        kept.as_deref(),
        Some(&first.headers[first.headers.len() - 1..])
    );
    assert_eq!(first.headers, second.headers);
    assert_ne!(sig(&other), sig(&first));
    assert_eq!(
        sig(&other),
        perfectparser_signed_afresh(&p, &other_body, DEFAULT_PATH)
    );
}

#[test]
fn a_header_memo_keeps_no_signature_that_reads_the_time() {
    // Arrange
    let p = builtin("standard-webhooks").unwrap();
    let mut memo = HeaderMemo::default();
    let endpoint = Endpoint {
        secrets: vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
        ..Endpoint::default()
    };
    let data = json!({"id": "u1"});

    // Act: two attempts a minute apart with one memo.
    let mut attempt = |n: u32| {
        p.build_attempt_memo(
            &endpoint,
            "user.created",
            &data,
            &ids("msg_1"),
            Some(epoch(0)),
            epoch(60 * u64::from(n)),
            AttemptInfo {
                n,
                last: None,
                url: DEFAULT_PATH,
            },
            None,
            Some(&mut memo),
        )
        .unwrap()
    };
    let (first, second) = (attempt(1), attempt(2));

    // Assert: each signed afresh (its signature moves with its timestamp), none kept.
    let sig = |r: &OutgoingRequest| {
        crate::signing::header(&r.headers, "webhook-signature").map(str::to_owned)
    };
    assert!(sig(&first).is_some());
    assert_ne!(sig(&first), sig(&second));
    assert!(memo.signature.is_none());
}

#[test]
fn a_header_memo_keeps_no_signature_of_a_scheme_that_signs_the_url() {
    // Arrange: perfectparser's body-only scheme made to sign the URL before the body.
    let mut p = builtin("perfectparser").unwrap();
    p.scheme.signed = vec![crate::signing::Signed::Url, crate::signing::Signed::Body];
    let mut memo = HeaderMemo::default();

    // Act: two attempts of the same body to two URLs, with one memo.
    let first = perfectparser_attempt_to(&p, &mut memo, 1, None, "/hooks/a");
    let second = perfectparser_attempt_to(&p, &mut memo, 2, None, "/hooks/b");

    // Assert: each signed for its own URL, as the scheme signs it; none kept.
    let sig = |r: &OutgoingRequest| {
        crate::signing::header(&r.headers, "X-PerfectParser-Signature").map(str::to_owned)
    };
    for (request, url) in [(&first, "/hooks/a"), (&second, "/hooks/b")] {
        assert_eq!(
            sig(request),
            perfectparser_signed_afresh(&p, &request.body, url)
        );
    }
    assert_eq!(first.body, second.body);
    assert_ne!(sig(&first), sig(&second));
    assert!(memo.signature.is_none());
}

#[test]
fn a_header_whose_value_is_a_plain_string_is_that_string_as_evaluating_it_gives() {
    let mut literal = 0;
    for p in builtins() {
        let env = Env::default();
        let rt = Rt {
            prog: &p.program,
            env: &env,
        };
        for entry in p.headers.iter() {
            let HeaderEntry::Header {
                name, value, frame, ..
            } = entry
            else {
                continue;
            };
            if !matches!(value, TNode::Lit(Value::String(_))) {
                continue;
            }
            literal += 1;

            // Act
            let ours = Profile::header_value(&rt, name, value, *frame, None).unwrap();

            // Assert
            let mut evaluated = String::new();
            rt.eval(value, *frame, None)
                .unwrap()
                .write_text(&mut evaluated);
            assert_eq!(ours, Some(evaluated.into()), "{} {name}", p.name);
        }
    }
    assert!(literal > 10, "{literal} plain-string headers");
}

/// Values whose JSON holds every kind of escape: each control byte, quotes, backslashes,
/// a solidus, 0x7f, text outside ASCII, in keys and values, at the start, middle and end of
/// strings, and every kind of JSON value around them.
fn escape_dense_values() -> Vec<Value> {
    let controls: String = (0u8..0x20).map(char::from).collect();
    let mut values = vec![
        json!(null),
        json!(true),
        json!(-12),
        json!(1.5e300),
        json!(0.1),
        json!(""),
        json!("\"\\/\u{7f}é€😀"),
        json!(controls),
        json!({"a\"b": "c\\d", "\n": ["\t", 1, null, false, {"\u{1f}": -0.0}], "": {}}),
        json!([[], {}, "\"", "\\\"", "\\\\", "a\u{0}b"]),
    ];
    for c in 0u8..0x80 {
        let ch = char::from(c);
        values.push(json!({ format!("k{ch}"): format!("{ch}x{ch}{ch}"), "n": c }));
    }
    values
}

#[test]
fn json_written_inside_a_json_string_is_the_json_encoded_twice() {
    for value in escape_dense_values() {
        // Arrange
        let once = serde_json::to_vec(&value).unwrap();
        let twice = serde_json::to_vec(&String::from_utf8(once).unwrap()).unwrap();
        // Act
        let written = in_json_string(&value).unwrap();
        // Assert
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&twice),
            "{value}"
        );
        assert_eq!(written, twice, "{value}");
    }
}

#[test]
fn a_llamacloud_body_sent_as_a_string_is_its_json_body_encoded_as_a_string() {
    let p = builtin("llamacloud").unwrap();
    let as_string = Endpoint {
        secrets: vec!["s".into()],
        ..Endpoint::default()
    };
    let as_json = Endpoint {
        output_format: OutputFormat::Json,
        ..as_string.clone()
    };
    for data in escape_dense_values()
        .into_iter()
        .filter(Value::is_object)
        .chain([json!({"id": "j1", "job_id": "j1"})])
    {
        // Arrange
        let ids = ids("ev-\"1\"");
        let attempt = AttemptInfo {
            n: 1,
            last: None,
            url: DEFAULT_PATH,
        };
        let json_body = p
            .build_attempt(&as_json, "parse.success", &data, &ids, epoch(0), attempt)
            .unwrap()
            .body;
        let expected = serde_json::to_vec(&String::from_utf8(json_body.to_vec()).unwrap()).unwrap();
        // Act
        let sent = p
            .build_attempt(&as_string, "parse.success", &data, &ids, epoch(0), attempt)
            .unwrap();
        // Assert
        assert_eq!(sent.body, expected, "{data}");
        assert_eq!(
            p.decode_body(&sent.body).unwrap(),
            p.decode_body(&json_body).unwrap()
        );
        let signature = crate::signing::header(&sent.headers, "lc-signature").unwrap();
        let mac = crate::signing::hmac_sha256(b"s", &[&expected]);
        assert_eq!(signature, format!("sha256={}", hex::encode(mac)));
    }
}

#[test]
fn a_header_of_the_timestamp_alone_has_the_digits_the_timestamp_among_other_text_has() {
    // Arrange: `{timestamp}` alone (written straight from the attempt's seconds) beside
    // the same variable inside other text (evaluated as a template), and one alone under
    // `when: signed` and under its negation.
    let text = builtin_text("standard-webhooks").unwrap().replace(
        "  - $custom\n",
        "  - $custom\n  - X-Alone: \"{timestamp}\"\n  - X-Among: \"t={timestamp};\"\n  - name: X-When-Signed\n    value: \"{timestamp}\"\n    when: signed\n  - name: X-When-Unsigned\n    value: \"{timestamp}\"\n    when: \"!signed\"\n",
    );
    let p = load::load_str(std::path::Path::new("x.yaml"), &text).unwrap();
    let signed = Endpoint {
        secrets: vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".into()],
        ..Endpoint::default()
    };
    let unsigned = Endpoint::default();

    for (endpoint, offset) in [(&signed, 0), (&signed, 86_399), (&unsigned, 7)] {
        // Act
        let r = p
            .build_request(
                endpoint,
                "user.created",
                &json!({"id": "u1"}),
                &ids("msg_1"),
                epoch(offset),
            )
            .unwrap();

        // Assert
        let value = |name: &str| crate::signing::header(&r.headers, name).map(str::to_owned);
        let seconds = (SIM_EPOCH_UNIX + offset as i64).to_string();
        assert_eq!(value("X-Alone").as_deref(), Some(seconds.as_str()));
        assert_eq!(value("X-Among"), Some(format!("t={seconds};")));
        assert_eq!(
            value("webhook-timestamp").as_deref(),
            Some(seconds.as_str())
        );
        let is_signed = !endpoint.secrets.is_empty();
        assert_eq!(value("X-When-Signed").is_some(), is_signed);
        assert_eq!(value("X-When-Unsigned").is_some(), !is_signed);
    }
}
