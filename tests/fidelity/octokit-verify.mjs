// GitHub's X-Hub-Signature-256, checked with @octokit/webhooks-methods (the library GitHub's
// Octokit uses): reads one JSON object {secret, payload, signature} per line on stdin and
// writes `true` or `false` per line. run.sh copies this file beside the npm install so the
// import resolves; verify.py calls it.
import { verify } from "@octokit/webhooks-methods";
import { createInterface } from "node:readline";

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  const { secret, payload, signature } = JSON.parse(line);
  let ok = false;
  try {
    ok = await verify(secret, payload, signature);
  } catch {
    ok = false;
  }
  process.stdout.write(`${ok}\n`);
}
