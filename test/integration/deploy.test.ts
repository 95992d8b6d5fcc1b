/**
 * deploy/kubernetes cannot run here, but its commands can: the Indexed Job's arguments, with the
 * pod index filled in as Kubernetes does, run as N processes against the built-in server, and the
 * merge Job's arguments join what they wrote.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type RunningServer } from "../../src/server/index.ts";
import { cli as run } from "./helpers.ts";

const ROOT = join(import.meta.dir, "../..");
const manifest = (name: string) => Bun.YAML.parse(readFileSync(join(ROOT, "deploy/kubernetes", name), "utf8")) as any;

let server: RunningServer;
beforeAll(async () => {
  server = await startServer({ decodeStepMs: 0.5 });
});
afterAll(() => server.stop());

const cli = (args: string[]) => run(args, { source: true });

describe("deploy/kubernetes", () => {
  test("the Indexed Job runs N shards of one workload (N in one place agrees with the others), and the merge Job joins their files", async () => {
    const job = manifest("job.yaml");
    const merge = manifest("merge-job.yaml");
    const pvc = manifest("pvc.yaml");
    expect(job.spec.completionMode).toBe("Indexed");
    const n = job.spec.completions;
    expect(job.spec.parallelism).toBe(n);
    const container = job.spec.template.spec.containers[0];
    const args: string[] = container.args;
    expect(args[args.indexOf("--shard") + 1]).toBe(`$(SHARD_INDEX)/${n}`);
    expect(container.env.find((e: any) => e.name === "SHARD_INDEX").valueFrom.fieldRef.fieldPath).toBe(
      "metadata.annotations['batch.kubernetes.io/job-completion-index']",
    );
    // one volume: the claim of pvc.yaml, shared by every pod
    expect(pvc.spec.accessModes).toEqual(["ReadWriteMany"]);
    for (const j of [job, merge])
      expect(j.spec.template.spec.volumes[0].persistentVolumeClaim.claimName).toBe(pvc.metadata.name);

    // the pods' commands here: the local server, a smaller load, a temporary directory for /results
    const results = mkdtempSync(join(tmpdir(), "llmbench-k8s-"));
    const local = (a: string[], index?: number) =>
      a.map((x, k) => {
        if (a[k - 1] === "--endpoint") return `${server.url}${new URL(x).pathname}`;
        if (a[k - 1] === "--requests") return "24";
        if (a[k - 1] === "--concurrency") return String(2 * n);
        return x.replaceAll("$(SHARD_INDEX)", String(index)).replaceAll("/results", results);
      });
    const shards = await Promise.all(Array.from({ length: n }, (_, i) => cli(local(args, i))));
    for (const s of shards) expect(s.code).toBe(0);
    const merged = await cli(local(merge.spec.template.spec.containers[0].args));
    expect(merged.stderr).toBe("");
    expect(merged.code).toBe(0);
    const doc = JSON.parse(merged.stdout);
    expect(doc.config.shards).toBe(n);
    expect(doc.config.requests).toBe(24);
    expect(doc.summary.requests).toEqual({ sent: 24, succeeded: 24, failed: 0 });
    expect(JSON.parse(readFileSync(join(results, "merged.json"), "utf8")).summary.requests.sent).toBe(24);
  }, 90_000);
});
