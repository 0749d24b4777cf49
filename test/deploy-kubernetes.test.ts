import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CronJob } from "kubernetes-models/batch/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { ConfigMap, Secret, Service, type IContainer, type IPodSpec } from "kubernetes-models/v1";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../server/config.js";
import { parseDockerfile, parseEnv } from "./support/dockerfile.js";
import { projectRoot } from "./support/service-process.js";

// Every manifest parses and validates against the Kubernetes API's schemas (kubernetes-models),
// and the pieces agree with each other and with the service: ports, probes, the grace period,
// the secrets' files, and settings the service accepts.

const dir = join(projectRoot, "deploy/kubernetes");

/** The kubernetes-models class of each kind the kit uses. */
const models: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "batch/v1/CronJob": CronJob,
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [field: string]: unknown;
}

function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((document) => {
    expect(document.errors, file).toEqual([]);
    return document.toJS() as Manifest;
  });
}

const kustomization = readManifests("kustomization.yaml")[0] as unknown as { resources: string[]; images: { name: string }[] };
const manifests = kustomization.resources.flatMap((file) => readManifests(file).map((manifest) => ({ file, manifest })));
function find<T>(kind: string): T {
  const found = manifests.filter(({ manifest }) => manifest.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]?.manifest as T;
}
const deployment = find<Deployment>("Deployment");
const configMap = find<ConfigMap>("ConfigMap");
const secret = find<Secret>("Secret");
const service = find<Service>("Service");
const hpa = find<HorizontalPodAutoscaler>("HorizontalPodAutoscaler");
const pdb = find<PodDisruptionBudget>("PodDisruptionBudget");
const cronJob = find<CronJob>("CronJob");
const pod = deployment.spec?.template.spec as IPodSpec;
const container = pod.containers[0] as IContainer;
const settings = configMap.data ?? {};

describe("deploy/kubernetes", () => {
  it("lists every manifest in its kustomization, and each one exists", () => {
    const files = readdirSync(dir).filter((file) => file.endsWith(".yaml") && file !== "kustomization.yaml");
    expect([...kustomization.resources].sort()).toEqual(files.sort());
  });

  it.each(manifests.map(({ file, manifest }) => ({ file, kind: manifest.kind, manifest })))("$file: a valid $kind", ({ manifest }) => {
    const model = models[`${manifest.apiVersion}/${manifest.kind}`];
    expect(model, `${manifest.apiVersion} ${manifest.kind}`).toBeDefined();
    expect(() => model && new model(manifest as never).validate()).not.toThrow();
    // The image is set in one place, the kustomization's `images`.
    const pods = [deployment.spec?.template.spec, cronJob.spec?.jobTemplate.spec?.template.spec];
    for (const spec of pods) {
      expect(spec?.containers.map((c) => c.image)).toEqual(kustomization.images.map((image) => image.name));
    }
  });

  it("selects its own pods from the Service, the PodDisruptionBudget and the autoscaler", () => {
    const labels = deployment.spec?.template.metadata?.labels ?? {};
    expect(labels).toMatchObject(deployment.spec?.selector.matchLabels ?? {});
    expect(labels).toMatchObject(service.spec?.selector ?? {});
    expect(labels).toMatchObject(pdb.spec?.selector?.matchLabels ?? {});
    expect(hpa.spec?.scaleTargetRef).toMatchObject({ apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata?.name });
    expect((hpa.spec?.minReplicas ?? 1) >= 2, "the PodDisruptionBudget leaves a replica serving").toBe(true);
  });

  it("serves the configured ports, and probes gRPC health at start-up, /healthz for liveness and /readyz for readiness", () => {
    const ports = Object.fromEntries((container.ports ?? []).map((port) => [port.name, port.containerPort]));
    expect(ports).toEqual({ grpc: Number(settings["PORT"]), metrics: Number(settings["METRICS_PORT"]) });
    expect(service.spec?.ports?.map((port) => [port.name, port.targetPort, port.appProtocol])).toEqual([
      ["grpc", "grpc", "kubernetes.io/h2c"],
      ["metrics", "metrics", "http"],
    ]);
    expect(container.startupProbe?.grpc?.port).toBe(ports["grpc"]);
    expect(container.livenessProbe?.httpGet).toMatchObject({ path: "/healthz", port: "grpc" });
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: "/readyz", port: "grpc" });
    const annotations = deployment.spec?.template.metadata?.annotations ?? {};
    expect(annotations["prometheus.io/port"]).toBe(settings["METRICS_PORT"]);
  });

  it("gives a terminating pod more time than its preStop pause, the shutdown grace and the last writes take", () => {
    const preStopMs = (container.lifecycle?.preStop?.sleep?.seconds ?? 0) * 1000;
    const graceMs = Number(settings["SHUTDOWN_GRACE_MS"]);
    const flushMs = Number(settings["AGENT_RUN_RECORD_FLUSH_TIMEOUT_MS"]);
    // main.ts then waits up to 5 s for the last telemetry export and 2 s for the last log lines.
    const telemetryMs = 5_000;
    const logFlushMs = 2_000;
    expect(preStopMs).toBeGreaterThan(0);
    expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(preStopMs + graceMs + flushMs + telemetryMs + logFlushMs);
  });

  it("runs as a non-root user on a read-only root file system, with /tmp writable", () => {
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, fsGroup: 1000 });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } });
    const tmp = container.volumeMounts?.find((mount) => mount.mountPath === "/tmp");
    expect(pod.volumes?.find((volume) => volume.name === tmp?.name)?.emptyDir).toBeDefined();
  });

  describe.each([
    { name: "the service", spec: () => pod, first: () => container },
    { name: "the audit verification", spec: () => cronJob.spec?.jobTemplate.spec?.template.spec as IPodSpec, first: () => cronJob.spec?.jobTemplate.spec?.template.spec?.containers[0] as IContainer },
  ])("$name's settings", ({ spec, first }) => {
    const files = mkdtempSync(join(tmpdir(), "agent-k8s-secrets-"));
    afterAll(() => rmSync(files, { recursive: true, force: true }));

    it("read every NAME_FILE from a key of the mounted Secret, readable by the service's group only", () => {
      const env = first().env ?? [];
      const fileSettings = env.filter((variable) => variable.name.endsWith("_FILE") || variable.name === "AGENT_API_KEYS_FILE");
      expect(fileSettings.length).toBeGreaterThan(0);
      for (const variable of fileSettings) {
        const mount = first().volumeMounts?.find((m) => (variable.value ?? "").startsWith(`${m.mountPath}/`));
        expect(mount?.readOnly, variable.name).toBe(true);
        const volume = spec().volumes?.find((v) => v.name === mount?.name);
        expect(volume?.secret?.secretName).toBe(secret.metadata?.name);
        expect(volume?.secret?.defaultMode).toBe(0o440);
        const key = (variable.value ?? "").slice((mount?.mountPath.length ?? 0) + 1);
        expect(Object.keys(secret.stringData ?? {}), variable.name).toContain(key);
      }
    });

    it("are accepted by the service, over the image's own, with PostgreSQL and Redis for several replicas", () => {
      // What the container gets: the image's ENV, then the ConfigMap (envFrom), then `env`; each
      // secret file as Kubernetes mounts it, here in a directory of this test.
      const runtime = parseDockerfile(readFileSync(join(projectRoot, "deploy/Dockerfile"), "utf8")).stages.at(-1);
      const imageEnv = Object.assign({}, ...(runtime?.instructions ?? []).filter((i) => i.keyword === "ENV").map((i) => parseEnv(i.rest))) as Record<string, string>;
      const fromConfigMap = (first().envFrom ?? []).some((source) => source.configMapRef?.name === configMap.metadata?.name) ? settings : {};
      const env: Record<string, string> = { ...imageEnv, ...fromConfigMap };
      for (const variable of first().env ?? []) {
        const mount = first().volumeMounts?.find((m) => (variable.value ?? "").startsWith(`${m.mountPath}/`));
        if (mount === undefined) {
          env[variable.name] = variable.value ?? "";
          continue;
        }
        const key = (variable.value ?? "").slice(mount.mountPath.length + 1);
        writeFileSync(join(files, key), secret.stringData?.[key] ?? "");
        env[variable.name] = join(files, key);
      }
      const config = loadConfig(env);
      expect(config.store.databaseUrl).toMatch(/^postgres:\/\//);
      if (first() === container) {
        expect(config.cache?.redisUrl).toMatch(/^redis:\/\//);
        expect(config.limits.redisUrl).toMatch(/^redis:\/\//);
        expect(config.shutdownGraceMs).toBe(Number(settings["SHUTDOWN_GRACE_MS"]));
      }
    });
  });
});
