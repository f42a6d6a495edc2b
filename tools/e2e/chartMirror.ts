/**
 * A Helm chart mirror on 127.0.0.1 for the e2e (the stacks' `hybridml:charts.mirror`): one stub chart
 * per pinned chart name and version (lib/charts.ts), built at test time and holding only that
 * operator's CRDs from ../shared/crds. Nothing fetched is committed; the charts' templates (operators,
 * webhooks, DaemonSets) are therefore not exercised (README "End to end").
 */
import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { helmCharts, type ChartName } from "../../lib/charts";
import { STRIMZI_CRD_FILES } from "../../components/streaming/strimziOperator";
import { PROMETHEUS_SERVICE_ACCOUNT } from "../../components/observability/kserveMonitors";

/** Which ../shared/crds files each chart installs (its crds/ folder, or CRDs its templates create). */
export const chartCrds: Record<ChartName, RegExp[]> = {
    "rook-ceph": [/^rook\/crds\.yaml$/, /^ceph-csi\/csi\.ceph\.io_.*\.yaml$/],
    "ceph-csi-drivers": [],
    "strimzi-kafka-operator": [/^strimzi\/\d+-Crd-.*\.yaml$/],
    "pulsar": [],
    "gpu-operator": [/^gpu-operator\/nvidia\.com_.*\.yaml$/],
    "kube-prometheus-stack": [/^prometheus-operator\/monitoring\.coreos\.com_.*\.yaml$/],
    "cert-manager": [/^cert-manager\/cert-manager\.io_.*\.yaml$/],
    "kserve-crd": [/^kserve\/serving\.kserve\.io_.*\.yaml$/],
    "kserve-resources": [],
    "kserve-runtime-configs": [],
    "cluster-autoscaler": [],
};

/**
 * The Strimzi CRD files the program applies itself (STRIMZI_CRD_FILES), where a Helm-repository mirror
 * serves them (lib/charts.ts crdFileUrl): the real file where ../shared/crds has it; for the five kinds
 * it lacks, which the program never creates, a stub CRD of the same group, kind and plural.
 */
function writeStrimziCrds(dir: string, crdsDir: string): void {
    const version = helmCharts["strimzi-kafka-operator"].version;
    const out = path.join(dir, "crds", "strimzi-kafka-operator", version);
    fs.mkdirSync(out, { recursive: true });
    const stubs: Record<string, [group: string, kind: string, plural: string]> = {
        "041-Crd-kafkaconnect.yaml": ["kafka.strimzi.io", "KafkaConnect", "kafkaconnects"],
        "042-Crd-strimzipodset.yaml": ["core.strimzi.io", "StrimziPodSet", "strimzipodsets"],
        "046-Crd-kafkabridge.yaml": ["kafka.strimzi.io", "KafkaBridge", "kafkabridges"],
        "047-Crd-kafkaconnector.yaml": ["kafka.strimzi.io", "KafkaConnector", "kafkaconnectors"],
        "049-Crd-kafkarebalance.yaml": ["kafka.strimzi.io", "KafkaRebalance", "kafkarebalances"],
    };
    for (const f of STRIMZI_CRD_FILES) {
        const real = path.join(crdsDir, "strimzi", f);
        if (fs.existsSync(real)) {
            fs.copyFileSync(real, path.join(out, f));
            continue;
        }
        const stub = stubs[f];
        if (!stub) throw new Error(`no CRD for ${f} in ${crdsDir}/strimzi and no stub for it`);
        const [group, kind, plural] = stub;
        fs.writeFileSync(path.join(out, f), [
            "apiVersion: apiextensions.k8s.io/v1", "kind: CustomResourceDefinition", `metadata:`, `  name: ${plural}.${group}`,
            "spec:", `  group: ${group}`, "  scope: Namespaced", "  names:", `    kind: ${kind}`, `    plural: ${plural}`, `    singular: ${kind.toLowerCase()}`, `    listKind: ${kind}List`,
            "  versions:", "  - name: v1", "    served: true", "    storage: true", "    schema:", "      openAPIV3Schema:", "        type: object",
            "        x-kubernetes-preserve-unknown-fields: true", "",
        ].join("\n"));
    }
}

/**
 * Objects a real chart creates that the program refers to by name, as stub templates (our own, a few
 * lines each): without them Kubernetes would, for example, delete the token Secret of a service
 * account that never appears.
 */
const chartTemplates: Partial<Record<ChartName, Record<string, string>>> = {
    "kube-prometheus-stack": {
        // The Prometheus service account whose token the KServe controller's ServiceMonitor uses.
        "prometheus-serviceaccount.yaml": `apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: ${PROMETHEUS_SERVICE_ACCOUNT}\n  namespace: {{ .Release.Namespace }}\n`,
    },
};

export interface ChartMirror {
    url: string;
    /** chart name -> number of CRD files it carries */
    charts: Record<string, number>;
    close(): Promise<void>;
}

function listFiles(root: string): string[] {
    const out: string[] = [];
    for (const dir of fs.readdirSync(root, { withFileTypes: true })) {
        if (!dir.isDirectory()) continue;
        for (const f of fs.readdirSync(path.join(root, dir.name))) out.push(`${dir.name}/${f}`);
    }
    return out.sort();
}

/** Build the stub charts into `dir` and serve them with an index.yaml; `crdsDir` is ../shared/crds. */
export async function startChartMirror(dir: string, crdsDir: string, lifetimeSeconds: number): Promise<ChartMirror> {
    fs.mkdirSync(dir, { recursive: true });
    const files = listFiles(crdsDir);
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const entries: string[] = [];
    const charts: Record<string, number> = {};
    for (const [name, { version }] of Object.entries(helmCharts) as [ChartName, { version: string }][]) {
        const src = path.join(dir, "src", name);
        fs.rmSync(src, { recursive: true, force: true });
        fs.mkdirSync(path.join(src, "crds"), { recursive: true });
        fs.writeFileSync(path.join(src, "Chart.yaml"),
            `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: e2e stub of ${name} ${version} (CRDs only)\ntype: application\n`);
        const crds = files.filter((f) => chartCrds[name].some((re) => re.test(f)));
        for (const f of crds) fs.copyFileSync(path.join(crdsDir, f), path.join(src, "crds", f.replace("/", "_")));
        for (const [file, body] of Object.entries(chartTemplates[name] ?? {})) {
            fs.mkdirSync(path.join(src, "templates"), { recursive: true });
            fs.writeFileSync(path.join(src, "templates", file), body);
        }
        charts[name] = crds.length;
        const tgz = `${name}-${version}.tgz`;
        execFileSync("tar", ["-czf", path.join(dir, tgz), "-C", path.join(dir, "src"), name]);
        const digest = createHash("sha256").update(fs.readFileSync(path.join(dir, tgz))).digest("hex");
        entries.push(`  ${name}:\n  - apiVersion: v2\n    name: ${name}\n    version: ${version}\n    digest: ${digest}\n` +
            `    created: "2026-01-01T00:00:00Z"\n    urls:\n    - ${url}/${tgz}\n`);
    }
    fs.writeFileSync(path.join(dir, "index.yaml"), `apiVersion: v1\nentries:\n${entries.join("")}generated: "2026-01-01T00:00:00Z"\n`);
    writeStrimziCrds(dir, crdsDir);

    server.on("request", (req, res) => {
        const rel = path.posix.normalize(decodeURIComponent(new URL(req.url ?? "/", url).pathname)).replace(/^\/+/, "");
        const name = path.basename(rel);
        const file = path.join(dir, rel);
        if (req.method !== "GET" || rel.startsWith("..") || !/^[\w.-]+\.(tgz|yaml)$/.test(name) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
            res.writeHead(404).end();
            return;
        }
        res.writeHead(200, { "content-type": name.endsWith(".yaml") ? "text/yaml" : "application/gzip" });
        fs.createReadStream(file).pipe(res);
    });
    const timer = setTimeout(() => server.close(), lifetimeSeconds * 1000);
    timer.unref();
    return {
        url, charts,
        close: () => new Promise<void>((resolve) => {
            clearTimeout(timer);
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}
