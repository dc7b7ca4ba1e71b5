"""hookrig emulate driven by the providers' own Python SDKs.

LlamaCloud's `llama-cloud` and Extend's `extend-ai` both take a base URL, so an
integration written against them can point at `hookrig emulate` in CI. This script does
what such an integration does — create jobs and runs, register webhook endpoints, poll,
read results, hit the API's errors — and runs a receiver that checks every webhook the
way the provider says to: LlamaCloud's `LC-Signature` recomputed by hand (its SDKs ship
no verifier), Extend's with the SDK's own `client.webhooks.verify`.

    HOOKRIG=target/release/hookrig python tests/emulate/sdk_test.py

Both SDKs retry API errors themselves (LlamaCloud on 408/409/429/5xx, Extend on the
same): the errors checked here are 404 and 422, which they do not retry, and one planned
503 that LlamaCloud's client is expected to retry past.
"""

import hashlib
import hmac
import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOOKRIG = os.environ.get("HOOKRIG", "target/release/hookrig")
FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


class Receiver:
    """An integrator's webhook endpoint: records every request, answers 200."""

    def __init__(self):
        self.got = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(n)
                with receiver.lock:
                    receiver.got.append((self.path, dict(self.headers.items()), body))
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.server.server_address[1], path)

    def wait(self, path, n, timeout=20.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                got = [g for g in self.got if g[0] == path]
            if len(got) >= n:
                return got
            time.sleep(0.02)
        raise AssertionError("%d request(s) to %s, %d expected" % (len(got), path, n))


def emulate(provider, *args):
    """Starts `hookrig emulate PROVIDER` on a free port; returns (process, base URL)."""
    proc = subprocess.Popen(
        [HOOKRIG, "emulate", provider, "--listen", "127.0.0.1:0", "--quiet", "--time-scale", "0.05", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stdout.readline()
    if "listening on " not in first:
        raise SystemExit("hookrig emulate %s did not start: %s %s" % (provider, first, proc.stderr.read()))
    return proc, first.split("listening on ")[1].split()[0]


def header(headers, name):
    for k, v in headers.items():
        if k.lower() == name.lower():
            return v
    return None


def llamacloud(recv):
    from llama_cloud import LlamaCloud, NotFoundError, UnprocessableEntityError

    proc, base = emulate("llamacloud")
    try:
        client = LlamaCloud(api_key="llx-test", base_url=base)
        job = client.parsing.create(
            tier="fast",
            version="latest",
            source_url="https://example.com/report.pdf",
            webhook_configurations=[
                {
                    "webhook_url": recv.url("/lc/signed"),
                    "webhook_events": ["parse.success", "parse.error"],
                    "webhook_headers": {"X-Tenant": "acme"},
                    "webhook_output_format": "json",
                    "webhook_signing_secret": "lc_secret",
                },
                {"webhook_url": recv.url("/lc/all")},
            ],
        )
        check(job.status == "PENDING", "llamacloud: parsing.create gives a PENDING job")
        done = client.parsing.wait_for_completion(job.id, polling_interval=0.05, backoff="constant")
        check(done.status == "COMPLETED", "llamacloud: parsing.wait_for_completion ends COMPLETED")
        result = client.parsing.get(job.id, expand=["markdown", "text"])
        pages = result.markdown.pages
        check(len(pages) >= 1 and pages[0].success and pages[0].markdown.startswith("# "),
              "llamacloud: parsing.get(expand=markdown) has the pages' markdown")
        check(result.text is not None and result.text.pages[0].text, "llamacloud: expand=text has the text")

        path, headers, body = recv.wait("/lc/signed", 1)[0]
        want = "sha256=" + hmac.new(b"lc_secret", body, hashlib.sha256).hexdigest()
        check(hmac.compare_digest(header(headers, "LC-Signature") or "", want),
              "llamacloud: LC-Signature is sha256=<hex HMAC-SHA256(secret, raw body)>")
        event = json.loads(body)
        check(event["event_type"] == "parse.success" and event["data"]["job_id"] == job.id,
              "llamacloud: the filtered configuration gets parse.success for the job")
        check(header(headers, "X-Tenant") == "acme", "llamacloud: custom headers are sent")
        plain = recv.wait("/lc/all", 3)
        kinds = [json.loads(json.loads(b))["event_type"] for _, _, b in plain]
        check(kinds == ["parse.pending", "parse.running", "parse.success"],
              "llamacloud: the default string format, events in order: %s" % kinds)

        upload = client.files.create(file=("invoice.pdf", b"%PDF-1.4\n<< /Type /Page >>\n", "application/pdf"),
                                     purpose="extract")
        extract = client.extract.create(
            file_input=upload.id,
            configuration={"data_schema": {"type": "object", "properties": {
                "invoice_number": {"type": "string"}, "total": {"type": "number"}}}},
            webhook_configurations=[{"webhook_url": recv.url("/lc/extract"), "webhook_output_format": "json"}],
        )
        extracted = client.extract.wait_for_completion(extract.id, polling_interval=0.05, backoff="constant")
        r = extracted.extract_result or {}
        check(isinstance(r.get("total"), float) and isinstance(r.get("invoice_number"), str),
              "llamacloud: extract_result follows the data schema: %s" % r)
        kinds = [json.loads(b)["event_type"] for _, _, b in recv.wait("/lc/extract", 2)]
        check(kinds == ["extract.pending", "extract.success"], "llamacloud: extract events %s" % kinds)

        classify = client.classify.create(
            file_input=upload.id,
            configuration={"rules": [{"type": "invoice", "description": "An invoice"},
                                     {"type": "receipt", "description": "A receipt"}]},
        )
        classified = client.classify.wait_for_completion(classify.id, polling_interval=0.05, backoff="constant")
        check(classified.result.type in ("invoice", "receipt"), "llamacloud: classify picks one of the rules")

        try:
            client.parsing.get("00000000-0000-4000-8000-000000000000")
            check(False, "llamacloud: an unknown job raises NotFoundError")
        except NotFoundError as e:
            check(e.status_code == 404, "llamacloud: an unknown job raises NotFoundError")
        try:
            client.parsing.create(tier="fastest", version="latest", source_url="https://example.com/a.pdf")
            check(False, "llamacloud: an unknown tier raises UnprocessableEntityError")
        except UnprocessableEntityError as e:
            check(e.body["detail"][0]["type"] == "literal_error",
                  "llamacloud: an unknown tier raises UnprocessableEntityError with pydantic's detail")

        # A planned 503 on the next job: without retries the SDK raises it; with its
        # default retries it asks again and gets the job (installing the plan again
        # counts jobs from 1 again).
        import urllib.request
        from llama_cloud import InternalServerError

        def plan_503():
            urllib.request.urlopen(urllib.request.Request(
                base + "/_hookrig/plan", data=b"jobs:\n  - when: {nth: 1}\n    reject: {status: 503}\n",
                method="POST"))

        plan_503()
        try:
            client.with_options(max_retries=0).parsing.create(
                tier="fast", version="latest", source_url="https://example.com/b.pdf")
            check(False, "llamacloud: a planned 503 reaches a client that does not retry")
        except InternalServerError as e:
            check(e.status_code == 503, "llamacloud: a planned 503 reaches a client that does not retry")
        plan_503()
        retried = client.parsing.create(tier="fast", version="latest", source_url="https://example.com/b.pdf")
        check(retried.status == "PENDING", "llamacloud: the SDK retries a planned 503 by itself and gets the job")
    finally:
        proc.terminate()
        proc.wait()


def extend(recv):
    from extend_ai import Extend
    from extend_ai.errors import NotFoundError, BadRequestError

    proc, base = emulate("extend", "--endpoint", recv.url("/ex/cli"), "--secret", "wss_cli_secret")
    try:
        client = Extend(token="sk_test", base_url=base)
        endpoint = client.webhook_endpoints.create(
            url=recv.url("/ex/api"), name="ci", enabled_events=[], api_version="2026-02-09")
        check(endpoint.signing_secret.startswith("wss_"), "extend: webhook_endpoints.create returns the signing secret")
        client.webhook_subscriptions.create(
            webhook_endpoint_id=endpoint.id, resource_type="workflow", resource_id="workflow_sdk",
            enabled_events=["workflow_run.completed"])
        run = client.workflow_runs.create(
            workflow={"id": "workflow_sdk"}, file={"url": "https://example.com/invoice.pdf"},
            metadata={"customerId": "cust_42"})
        check(run.status == "PROCESSING" and run.id.startswith("workflow_run_"),
              "extend: workflow_runs.create returns a PROCESSING run")
        deadline = time.time() + 20
        while True:
            fetched = client.workflow_runs.retrieve(run.id)
            if fetched.status != "PROCESSING" or time.time() > deadline:
                break
            time.sleep(0.05)
        check(fetched.status == "PROCESSED", "extend: workflow_runs.retrieve sees it PROCESSED")

        cli = recv.wait("/ex/cli", 2)
        for _, headers, body in cli:
            check(client.webhooks.verify(body.decode(), headers, "wss_cli_secret"),
                  "extend: client.webhooks.verify accepts the command-line endpoint's delivery")
        # Each event is its own delivery, sent as soon as it happens: the step's event and
        # the run's are fired together and may arrive in either order (as from Extend).
        completed = [c for c in cli if b'"workflow_run.completed"' in c[2]]
        check(len(completed) == 1, "extend: the command-line endpoint got one workflow_run.completed")
        event = client.webhooks.verify_and_parse(completed[0][2].decode(), completed[0][1], "wss_cli_secret")
        event_type = event["eventType"] if isinstance(event, dict) else getattr(event, "event_type", None)
        check(event_type == "workflow_run.completed", "extend: verify_and_parse reads workflow_run.completed")
        check(not client.webhooks.verify(cli[0][2].decode(), cli[0][1], "wss_wrong"),
              "extend: a wrong secret does not verify")
        _, headers, body = recv.wait("/ex/api", 1)[0]
        check(client.webhooks.verify(body.decode(), headers, endpoint.signing_secret),
              "extend: the API endpoint's delivery verifies with its signing secret")

        created = client.processor_run.create(
            processor_id="dp_Xj8mK2pL9nR4vT7qY5wZ", file={"file_url": "https://example.com/invoice.pdf"}, sync=True)
        check(created.processor_run.status == "PROCESSED", "extend: processor_run.create(sync=True) waits for PROCESSED")
        got = client.processor_run.get(created.processor_run.id)
        check(got.processor_run.id == created.processor_run.id, "extend: processor_run.get finds it")

        try:
            client.workflow_runs.retrieve("workflow_run_nope")
            check(False, "extend: an unknown run raises NotFoundError")
        except NotFoundError as e:
            check(e.body["code"] == "NOT_FOUND", "extend: an unknown run raises NotFoundError with code NOT_FOUND")
        try:
            client.workflow_runs.create(workflow={"id": "workflow_sdk"})
            check(False, "extend: a run without file or package raises BadRequestError")
        except BadRequestError as e:
            check(e.body["code"] == "INVALID_REQUEST", "extend: a run without file or package raises BadRequestError")
    finally:
        proc.terminate()
        proc.wait()


def main():
    recv = Receiver()
    llamacloud(recv)
    extend(recv)
    if FAILURES:
        print("%d check(s) failed" % len(FAILURES))
        sys.exit(1)
    print("all SDK checks passed")


if __name__ == "__main__":
    main()
