//! Bad scenario input: every problem is exit 2 with `PATH:LINE:COL: message`, the message
//! says what is wrong (and the nearest valid choice where there is one), and nothing panics.

use std::path::PathBuf;

use hookrig::ExitStatus;

use crate::utils::*;

/// Runs `text` as a scenario file; it must be refused as bad input without a panic.
/// Returns the file's path and standard error.
fn refused(text: &str) -> (PathBuf, String) {
    let scratch = Scratch::new();
    let file = scratch.scenario(text);
    let args = ["run".into(), file.clone().into_os_string()];
    let out = std::panic::catch_unwind(|| hookrig(args))
        .unwrap_or_else(|_| panic!("hookrig panicked on:\n{text}"));
    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_eq!(out.stdout, "", "nothing is run on bad input");
    (file, out.stderr)
}

#[test]
fn malformed_yaml_is_refused_where_the_syntax_breaks() {
    let text = yaml(
        "
        name: malformed
        profile: llamacloud
        events:
          - type: parse.success
            data: {a: [1, 2}
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "[1, 2}"));
    assert_contains(&stderr, "bracket");
}

#[test]
fn an_unknown_key_is_refused_where_it_stands_with_the_nearest_valid_key_suggested() {
    for (text, key, suggestion) in [
        (
            yaml(
                "
                name: misspelt expect key
                profile: perfectparser
                events:
                  - type: batch.completed
                expect:
                  attemps: 3
                ",
            ),
            "attemps",
            "did you mean `attempts`?",
        ),
        (
            yaml(
                "
                name: misspelt top-level key
                profile: perfectparser
                events:
                  - type: batch.completed
                recevier:
                  - respond: 200
                ",
            ),
            "recevier",
            "did you mean `receiver`?",
        ),
    ] {
        let (file, stderr) = refused(&text);

        assert_contains(&stderr, &located(&file, &text, key));
        assert_contains(&stderr, &format!("unknown field `{key}`"));
        assert_contains(&stderr, suggestion);
    }
}

#[test]
fn an_unknown_key_in_a_profile_override_gets_the_nearest_valid_key_suggested() {
    let text = yaml(
        "
        name: misspelt override
        profile: { base: llamacloud, atempts: 5 }
        events:
          - type: parse.success
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "{ base"));
    assert_contains(&stderr, "did you mean `attempts`?");
}

#[test]
fn a_value_of_the_wrong_type_is_refused_where_it_stands_and_explained() {
    let text = yaml(
        "
        name: wrong type
        profile: perfectparser
        events:
          - type: batch.completed
        expect:
          attempts: many
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "many"));
    assert_contains(&stderr, "attempts");
    assert_contains(&stderr, "many");
    assert!(
        stderr.contains("number") || stderr.contains("integer"),
        "the message should say a number was expected:\n{stderr}"
    );
}

#[test]
fn an_unknown_profile_is_refused_with_the_nearest_name_suggested() {
    let text = yaml(
        "
        name: misspelt profile
        profile: perfectparsr
        events:
          - type: batch.completed
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "perfectparsr"));
    assert_contains(&stderr, "unknown profile `perfectparsr`");
    assert_contains(&stderr, "did you mean `perfectparser`?");
}

#[test]
fn an_unknown_event_type_is_refused_with_the_nearest_type_suggested() {
    let text = yaml(
        "
        name: misspelt event type
        profile: perfectparser
        events:
          - type: batch.complete
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "batch.complete\n"));
    assert_contains(&stderr, "`batch.complete`");
    assert_contains(&stderr, "did you mean `batch.completed`?");
}

/// A one-step receiver whose `after` is `value`.
fn after(value: &str) -> String {
    yaml(&format!(
        "
        name: an odd delay
        profile: perfectparser
        events:
          - type: batch.completed
        receiver:
          - respond: 200
            after: {value}
        "
    ))
}

#[test]
fn a_duration_over_thirty_days_is_refused() {
    let text = after("99999h");

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "99999h\n"));
    assert_contains(&stderr, "over 30 days");
}

#[test]
fn a_negative_duration_is_refused() {
    let text = after("-5s");

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "-5s\n"));
    assert_contains(&stderr, "negative");
}

#[test]
fn a_bare_number_duration_is_refused_with_units_suggested() {
    let text = after("5");

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "5\n"));
    assert_contains(&stderr, "bare number");
    assert_contains(&stderr, "`5s`");
}

#[test]
fn a_duration_over_thirty_days_in_an_event_offset_is_refused() {
    let text = yaml(
        "
        name: an event far in the future
        profile: llamacloud
        events:
          - type: parse.success
            at: 31 days
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "31 days"));
    assert_contains(&stderr, "over 30 days");
}

#[test]
fn an_empty_receiver_list_is_refused() {
    let text = yaml(
        "
        name: empty receiver
        profile: perfectparser
        events:
          - type: batch.completed
        receiver: []
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "[]"));
    assert_contains(&stderr, "receiver");
    assert_contains(&stderr, "empty");
}

#[test]
fn a_status_outside_100_to_599_is_refused() {
    let text = yaml(
        "
        name: no such status
        profile: perfectparser
        events:
          - type: batch.completed
        receiver:
          - respond: 1000
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "1000"));
    assert_contains(&stderr, "1000 is not an HTTP status");
}

#[test]
fn crawl4ai_refuses_a_custom_authorization_header_naming_it() {
    let text = yaml(
        "
        name: crawl4ai with an authorization header
        profile: crawl4ai
        endpoint:
          headers:
            Authorization: Bearer t0ken
        events:
          - type: crawl.completed
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "Authorization"));
    assert_contains(&stderr, "custom header `Authorization`");
    assert!(
        !stderr.contains("t0ken"),
        "the value is a secret:\n{stderr}"
    );
}

#[test]
fn crawl4ai_locates_a_refused_header_at_its_own_line() {
    let text = yaml(
        "
        name: crawl4ai with an authorization header after a good one
        profile: crawl4ai
        endpoint:
          headers:
            X-Tenant: acme
            Authorization: Bearer t0ken
        events:
          - type: crawl.completed
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "Authorization"));
}

#[test]
fn an_expect_item_naming_a_type_two_events_share_must_use_an_index() {
    let text = yaml(
        "
        name: two events of one type
        profile: perfectparser
        events:
          - type: batch.completed
          - type: batch.completed
        expect:
          - event: batch.completed
            attempts: 1
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(
        &stderr,
        &located(&file, &text, "batch.completed\n    attempts"),
    );
    assert_contains(&stderr, "0-based index");
}

const SAME_NAME: &str = "
    # both files use one name
    name: the same name twice
    profile: perfectparser
    events:
      - type: batch.completed
";

#[test]
fn a_scenario_name_used_in_two_files_is_refused_naming_both() {
    let scratch = Scratch::new();
    let first = scratch.file("a.yaml", &yaml(SAME_NAME));
    let second = scratch.file("b.yaml", &yaml(SAME_NAME));

    let out = hookrig(["run".into(), scratch.path().as_os_str().to_owned()]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, &format!("{}:", second.display()));
    assert_contains(&out.stderr, "duplicate scenario name `the same name twice`");
    assert_contains(&out.stderr, &first.display().to_string());
}

#[test]
fn a_scenario_name_used_twice_in_one_list_is_refused_naming_that_file_as_the_first_use() {
    let scratch = Scratch::new();
    let list = scratch.file(
        "list.yaml",
        &yaml(
            "
            scenarios:
              - name: the same name twice
                profile: perfectparser
                events:
                  - type: batch.completed
              - name: the same name twice
                profile: perfectparser
                events:
                  - type: batch.completed
            ",
        ),
    );

    let out = hookrig(["validate".into(), scratch.path().as_os_str().to_owned()]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(
        &out.stderr,
        &format!(
            "{}:6:11: name: duplicate scenario name `the same name twice` (first used at {}:2:11)",
            list.display(),
            list.display()
        ),
    );
}

#[test]
fn a_folder_reached_through_a_symbolic_link_is_searched_like_a_folder() {
    let scratch = Scratch::new();
    let real = Scratch::new();
    real.file("a.yaml", &yaml(SAME_NAME));
    std::os::unix::fs::symlink(real.path(), scratch.path().join("linked")).unwrap();
    scratch.file("b.yaml", &yaml(SAME_NAME));

    let out = hookrig(["validate".into(), scratch.path().as_os_str().to_owned()]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, "duplicate scenario name `the same name twice`");
    assert_contains(
        &out.stderr,
        &scratch
            .path()
            .join("linked")
            .join("a.yaml")
            .display()
            .to_string(),
    );
}

#[test]
fn a_scenario_name_used_in_two_files_is_located_at_the_second_name() {
    let scratch = Scratch::new();
    let text = yaml(SAME_NAME);
    scratch.file("a.yaml", &text);
    let second = scratch.file("b.yaml", &text);

    let out = hookrig(["run".into(), scratch.path().as_os_str().to_owned()]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, &located(&second, &text, "the same name twice"));
}

#[test]
fn a_missing_file_is_refused_naming_it() {
    let scratch = Scratch::new();
    let missing = scratch.path().join("not-there.yaml");

    let out = hookrig(["run".into(), missing.clone().into_os_string()]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, &format!("{}: cannot read", missing.display()));
}

#[test]
fn a_file_that_is_not_a_mapping_is_refused_at_its_start() {
    let text = yaml("- just\n- a list\n");

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &format!("{}:1:1:", file.display()));
    assert_contains(&stderr, "expected a mapping");
}

#[test]
fn every_error_in_a_file_is_reported_not_only_the_first() {
    let text = yaml(
        "
        name: two mistakes
        profile: perfectparser
        events:
          - type: batch.complete
        receiver:
          - respond: 1000
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "batch.complete\n"));
    assert_contains(&stderr, &located(&file, &text, "1000"));
}

#[test]
fn a_response_header_with_an_invalid_name_is_refused() {
    let text = yaml(
        "
        name: a header name with a space
        profile: llamacloud
        events:
          - type: parse.success
        receiver:
          - respond: 429
            headers: { Retry After: 600 }
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "Retry After: 600"));
    assert_contains(&stderr, "Retry After");
}

#[test]
fn an_unknown_extend_api_version_is_refused_listing_the_valid_ones() {
    let text = yaml(
        "
        name: extend with a made-up API version
        profile: extend
        endpoint:
          api_version: 2025-13-40
        events:
          - type: workflow.created
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "2025-13-40"));
    assert_contains(
        &stderr,
        "endpoint.api_version: unknown api_version `2025-13-40`",
    );
    assert_contains(&stderr, "valid: 2024-12-23, 2026-02-09; default 2024-12-23");
}

#[test]
fn an_event_of_another_api_version_is_refused_with_that_versions_names() {
    let text = yaml(
        "
        name: extend 2026 event under the default version
        profile: extend
        events:
          - type: extract_run.processed
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "extract_run.processed"));
    assert_contains(&stderr, "unknown event type for profile extend");
}

#[test]
fn api_version_on_a_profile_with_one_catalogue_is_refused() {
    let text = yaml(
        "
        name: llamacloud has no API versions
        profile: llamacloud
        endpoint:
          api_version: 2026-02-09
        events:
          - type: parse.success
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "2026-02-09"));
    assert_contains(&stderr, "`api_version` is for extend");
}

#[test]
fn a_malformed_whsec_secret_is_refused_where_it_stands_without_echoing_it() {
    for profile in ["standard-webhooks", "svix"] {
        let text = yaml(&format!(
            "
            name: {profile} with a secret that is not base64
            profile: {profile}
            endpoint:
              secret: whsec_not*base64!
            events:
              - type: user.created
            "
        ));

        let (file, stderr) = refused(&text);

        assert_contains(&stderr, &located(&file, &text, "whsec_not"));
        assert_contains(&stderr, "a whsec_ secret must be base64 after `whsec_`");
        assert!(
            !stderr.contains("not*base64"),
            "the secret is never printed:\n{stderr}"
        );
    }
}

#[test]
fn profile_overrides_out_of_range_are_refused_with_their_range() {
    for (overrides, message) in [
        (
            "{base: svix, jitter_percent: 150}",
            "profile.jitter_percent: 150 is out of range (0 to 100)",
        ),
        (
            "{base: crawl4ai, max_redirects: 21}",
            "profile.max_redirects: 21 is out of range (0 to 20)",
        ),
        (
            "{base: extend, attempts: 0}",
            "profile.attempts: 0 is out of range (1 to 1000)",
        ),
    ] {
        let text = yaml(&format!(
            "
            name: an override out of range
            profile: {overrides}
            events:
              - type: {event}
            ",
            event = if overrides.contains("svix") {
                "user.created"
            } else if overrides.contains("crawl4ai") {
                "crawl.completed"
            } else {
                "workflow.created"
            }
        ));

        let (file, stderr) = refused(&text);

        assert_contains(&stderr, &located(&file, &text, "{base"));
        assert_contains(&stderr, message);
    }
}

#[test]
fn svix_refuses_custom_headers_it_forbids() {
    for (name, why) in [
        ("svix-foo", "starting with `svix-`"),
        ("User-Agent", "Svix refuses this header"),
    ] {
        let text = yaml(&format!(
            "
            name: svix with a forbidden header
            profile: svix
            endpoint:
              headers:
                X-Tenant: acme
                {name}: v
            events:
              - type: user.created
            "
        ));

        let (file, stderr) = refused(&text);

        assert_contains(&stderr, &located(&file, &text, name));
        assert_contains(&stderr, why);
    }
}

#[test]
fn a_tolerance_percentage_over_100_is_refused() {
    let text = yaml(
        "
        name: tolerance as a percentage
        profile: svix
        events:
          - type: user.created
        expect:
          tolerance: 120%
        ",
    );

    let (file, stderr) = refused(&text);

    assert_contains(&stderr, &located(&file, &text, "120%"));
    assert_contains(&stderr, "a whole percentage from 0% to 100%");
}

/// A small valid profile file; each bad-input test below breaks one thing in it.
const PROFILE: &str = r#"name: tiny
provider: Tiny (a test)
version: a test profile
ids:
  id: "msg_{alnum(8)}"
envelope:
  body: {type: "{type}", data: "{data}"}
headers:
  - Content-Type: application/json
  - tiny-id: "{id}"
  - tiny-timestamp: "{timestamp}"
signature:
  algorithm: hmac-sha256
  key: utf8
  signed: "{id}.{timestamp}.{body}"
  encoding: hex
  header: tiny-signature
delivery:
  attempts: 2
  waits: [1s]
  timeout: 5s
  retry_on: any_failure
catalogue:
  events:
    - name: a.b
      description: Something happened.
      schema: {type: object, required: [type, data]}
      generate: {value: {n: "{int(1, 9)}"}}
sources:
  version: [{assumption: a test}]
  body: [{assumption: a test}]
  body_bytes: [{assumption: a test}]
  headers: [{assumption: a test}]
  signature: [{assumption: a test}]
  secret: [{assumption: a test}]
  attempts: [{assumption: a test}]
  waits: [{assumption: a test}]
  timeout: [{assumption: a test}]
  retry_on: [{assumption: a test}]
  events: [{assumption: a test}]
"#;

/// `hookrig validate` of `text` as a profile file: exit 2, nothing panics; its path and
/// standard error.
fn refused_profile(text: &str) -> (PathBuf, String) {
    let scratch = Scratch::new();
    let file = scratch.file("tiny.yaml", text);
    let out =
        std::panic::catch_unwind(|| hookrig(["validate".into(), file.clone().into_os_string()]))
            .unwrap_or_else(|_| panic!("hookrig panicked on:\n{text}"));
    assert_eq!(out.status, ExitStatus::BadInput, "{}\n{text}", out.both());
    std::mem::forget(scratch); // the path stays valid for the assertions' messages
    (file, out.stderr)
}

#[test]
fn the_test_profile_itself_is_valid() {
    let scratch = Scratch::new();
    let file = scratch.file("tiny.yaml", PROFILE);

    let out = hookrig(["validate".into(), file.into_os_string()]);

    assert_eq!(out.status, ExitStatus::Success, "{}", out.both());
}

#[test]
fn a_profile_with_an_unknown_key_is_refused_with_the_nearest_key() {
    for (from, to, needle, hint) in [
        (
            "signature:",
            "signatur:",
            "signatur:",
            "did you mean `signature`?",
        ),
        (
            "  attempts: 2",
            "  atempts: 2",
            "atempts",
            "did you mean `attempts`?",
        ),
    ] {
        let text = PROFILE.replacen(from, to, 1);

        let (file, stderr) = refused_profile(&text);

        assert_contains(&stderr, &located(&file, &text, needle));
        assert_contains(&stderr, hint);
    }
}

#[test]
fn a_profile_with_an_unknown_template_variable_is_refused_with_the_valid_ones() {
    let text = PROFILE.replace(r#"data: "{data}"}"#, r#"data: "{dta}"}"#);

    let (file, stderr) = refused_profile(&text);

    assert_contains(&stderr, &located(&file, &text, r#""{dta}""#));
    assert_contains(
        &stderr,
        "unknown variable in the body `dta`: did you mean `data`?",
    );
    assert_contains(&stderr, "(valid: data, endpoint, id, time, type)");
}

#[test]
fn a_profile_with_an_unknown_algorithm_or_encoding_is_refused_with_the_choices() {
    for (from, to, needle, message) in [
        (
            "algorithm: hmac-sha256",
            "algorithm: hmac-sha384",
            "hmac-sha384",
            "(valid: hmac-sha1, hmac-sha256, hmac-sha512, none)",
        ),
        (
            "encoding: hex",
            "encoding: base32",
            "base32",
            "unknown encoding `base32`",
        ),
        (
            "key: utf8",
            "key: utf16",
            "utf16",
            "unknown key reading `utf16`: did you mean `utf8`? (valid: utf8, base64, hex)",
        ),
    ] {
        let text = PROFILE.replace(from, to);

        let (file, stderr) = refused_profile(&text);

        assert_contains(&stderr, &located(&file, &text, needle));
        assert_contains(&stderr, message);
    }
}

#[test]
fn a_signed_string_that_never_includes_the_body_is_refused() {
    let text = PROFILE.replace(
        r#"signed: "{id}.{timestamp}.{body}""#,
        r#"signed: "{id}.{timestamp}""#,
    );

    let (file, stderr) = refused_profile(&text);

    assert_contains(&stderr, &located(&file, &text, r#""{id}.{timestamp}""#));
    assert_contains(&stderr, "never includes {body}");
    assert_contains(
        &stderr,
        "(valid variables: id, timestamp, body, url, method)",
    );
}

#[test]
fn a_signed_string_with_an_unknown_variable_is_refused_with_the_valid_ones() {
    let text = PROFILE.replace(
        r#"signed: "{id}.{timestamp}.{body}""#,
        r#"signed: "{id}.{time}.{body}""#,
    );

    let (file, stderr) = refused_profile(&text);

    assert_contains(&stderr, &located(&file, &text, r#""{id}.{time}.{body}""#));
    assert_contains(
        &stderr,
        "unknown template variable `time` (valid: id, timestamp, body, url, method)",
    );
}

#[test]
fn a_schema_that_does_not_compile_is_refused() {
    let text = PROFILE.replace("schema: {type: object,", "schema: {type: objet,");

    let (file, stderr) = refused_profile(&text);

    assert_contains(&stderr, &located(&file, &text, "{type: objet"));
    assert_contains(&stderr, "catalogue `a.b`: the schema does not compile");
}

#[test]
fn a_rule_without_a_source_is_refused_where_the_rule_stands() {
    let text = PROFILE.replace("  timeout: [{assumption: a test}]\n", "");

    let (file, stderr) = refused_profile(&text);

    assert_contains(&stderr, &located(&file, &text, "5s"));
    assert_contains(&stderr, "rule `timeout` has no source");
    assert_contains(&stderr, "`assumption: why`");
}

#[test]
fn a_failing_test_vector_is_refused_where_it_stands() {
    let text = format!(
        "{PROFILE}test_vectors:\n  - source: {{assumption: a test}}\n    secret: k\n    id: m\n    timestamp: 1\n    body: '{{}}'\n    expect: {{tiny-signature: deadbeef}}\n"
    );

    let (file, stderr) = refused_profile(&text);

    assert_contains(
        &stderr,
        &located(&file, &text, "source: {assumption: a test}\n    secret"),
    );
    assert_contains(
        &stderr,
        "test_vectors[0] fails: tiny-signature: expected `deadbeef`",
    );
}

#[test]
fn a_random_draw_in_the_body_is_refused_because_retries_resend_it() {
    let text = PROFILE.replace(
        r#"body: {type: "{type}","#,
        r#"body: {type: "{type}", nonce: "{uuid()}","#,
    );

    let (file, stderr) = refused_profile(&text);

    assert_contains(&stderr, &located(&file, &text, r#""{uuid()}""#));
    assert_contains(
        &stderr,
        "uuid() draws from the run's seeded generator, which the body may not do",
    );
}

#[test]
fn a_scenario_naming_a_bad_profile_file_points_into_the_profile_file() {
    let scratch = Scratch::new();
    let text = PROFILE.replace("retry_on: any_failure", "retry_on: everything");
    let profile = scratch.file("tiny.yaml", &text);
    let scenario = scratch.file(
        "s.yaml",
        "name: uses a bad profile\nprofile: ./tiny.yaml\nevents: [{type: a.b}]\n",
    );

    let out = hookrig(["run".into(), scenario.into_os_string()]);

    assert_eq!(out.status, ExitStatus::BadInput, "{}", out.both());
    assert_contains(&out.stderr, &located(&profile, &text, "everything"));
    assert_contains(&out.stderr, "(valid: any_failure, server_errors)");
}

#[test]
fn a_misspelt_named_choice_is_refused_where_it_stands_with_the_nearest_choice_and_the_valid_ones() {
    for (text, value, message) in [
        (
            yaml(
                "
                name: misspelt outcome
                profile: perfectparser
                events:
                  - type: batch.completed
                expect:
                  outcome: deliverd
                ",
            ),
            "deliverd",
            "expect.outcome: unknown outcome `deliverd`: did you mean `delivered`? (valid: delivered, exhausted, gave_up, filtered)",
        ),
        (
            yaml(
                "
                name: misspelt verdict
                profile: perfectparser
                events:
                  - type: batch.completed
                expect:
                  signature: vaild
                ",
            ),
            "vaild",
            "expect.signature: unknown verdict `vaild`: did you mean `valid`? (valid: valid, invalid, absent)",
        ),
        (
            yaml(
                "
                name: misspelt output format
                profile: llamacloud
                endpoint:
                  output_format: jsn
                events:
                  - type: parse.success
                ",
            ),
            "jsn",
            "endpoint.output_format: unknown format `jsn`: did you mean `json`? (valid: string, json)",
        ),
    ] {
        let (file, stderr) = refused(&text);

        assert_contains(
            &stderr,
            &format!("{} {message}", located(&file, &text, value)),
        );
    }
}
