/**
 * The stack-reference contract between the training stack and the serving stacks (SPEC 6).
 * Output names and shapes are a versioned API: change them only with a new CONTRACT_VERSION.
 */
import * as pulumi from "@pulumi/pulumi";
import { UserError } from "../config/resolve";
import { catalogueIssues } from "../config/catalogue";
import { redactValue } from "../config/redact";

/** Bump when a field is removed or changes meaning; serving stacks refuse other versions. */
export const CONTRACT_VERSION = 2;

/**
 * How a consumer on another cluster reaches one exposed endpoint: the DNS name the program gives it
 * (external-dns annotation on its Service), the names its certificate carries, and the source ranges
 * its load balancer admits (empty: any source, dev only).
 */
export interface EndpointExposure {
    dnsName: string;
    sans: string[];
    allowedSources: string[];
    /** Where the endpoint answers (`exposure.endpointAddresses`): consumers open their egress to these only. Absent: unknown. */
    addresses?: string[];
}

/** One approved model version in the catalogue. */
export interface ModelCatalogEntry {
    name: string;
    version: string;
    format: string;
    /** KServe serving runtime. */
    runtime: string;
    /** Object path inside the models bucket. */
    artifactPath: string;
    sha256?: string;
    /** GPUs per replica (0: CPU). */
    gpu: number;
}

/** Where the training object store (Rook-Ceph RGW, S3 API) serves the models bucket. */
export interface ModelStore {
    endpoint: string;
    bucket: string;
    region: string;
    /** PEM CA certificate the endpoint's TLS certificate chains to (public); null for a plain-http (dev, in-cluster) store. */
    caCert: pulumi.Input<string> | null;
    /** Name, certificate SANs and allow-list of the endpoint; absent when it is not exposed (in-cluster only). */
    exposure?: EndpointExposure;
}

/** Read-only S3 credentials for the models bucket (always a secret output). */
export interface ModelStoreCredentials {
    accessKeyId: string;
    secretAccessKey: string;
}

/** The training stack's streaming backbone, for feedback from serving stacks. */
export interface StreamingEndpoint {
    engine: "kafka" | "pulsar";
    /** Bootstrap address (Kafka host:port) or service URL (Pulsar). */
    bootstrap: string;
    /** PEM CA certificate of the TLS listener (public; an Output on the training side); null when none is published. */
    caCert: pulumi.Input<string> | null;
    /** Topics that serving stacks mirror back to training. */
    feedbackTopics: string[];
    /**
     * Partitions of each feedback topic (the training side's mirrored topics have as many): MirrorMaker 2
     * and Pulsar geo-replication map partition to partition, so a serving stack's own topic must match.
     * Absent from training stacks deployed before it.
     */
    feedbackPartitions?: Record<string, number>;
    /** Serving stacks allowed to send feedback (each has its entry in `streamingReplicationCredentials`). */
    feedbackProducers?: string[];
    /** Pulsar cluster name of the training cluster (geo-replication target). */
    clusterName?: string;
    /** Name, certificate SANs and allow-list of the bootstrap / proxy; absent when it is not exposed. */
    exposure?: EndpointExposure;
}

/** Credentials of one serving stack's feedback replication into training (Kafka SCRAM user, or Pulsar role + JWT). */
export interface ReplicationCredential {
    username: string;
    password: string;
}
/** Per serving stack (by stack name): always a secret output. */
export type ReplicationCredentials = Record<string, ReplicationCredential>;

/** What a training stack exports (as stack outputs) and a serving stack reads. */
export interface TrainingContract {
    contractVersion: number;
    modelCatalog: ModelCatalogEntry[];
    modelStore: ModelStore;
    modelStoreReadCredentials: pulumi.Output<ModelStoreCredentials>;
    streaming: StreamingEndpoint;
    /** Feedback replication credentials per serving stack (secret). */
    streamingReplicationCredentials: pulumi.Output<ReplicationCredentials>;
}

/** Output names of the contract; `modelStoreReadCredentials` and `streamingReplicationCredentials` are secrets. */
export const CONTRACT_OUTPUTS = [
    "contractVersion", "modelCatalog", "modelStore", "modelStoreReadCredentials", "streaming", "streamingReplicationCredentials",
] as const;
export const SECRET_CONTRACT_OUTPUTS: ReadonlyArray<string> = ["modelStoreReadCredentials", "streamingReplicationCredentials"];

/** A training stack's outputs are missing, of another contract version, or malformed. */
export class ContractError extends UserError {
    constructor(public readonly trainingStack: string, public readonly problems: string[]) {
        super(`Stack reference to "${trainingStack}" does not satisfy contract v${CONTRACT_VERSION}:\n`
            + problems.map((p) => `  - ${p}`).join("\n")
            + "\n  Fix: run `pulumi up` on the training stack (it publishes these outputs), or set hybridml:trainingStack to the right stack.");
        this.name = "ContractError";
    }
}

type Check = (v: unknown) => string | undefined;
const isString: Check = (v) => (typeof v === "string" && v.length > 0 ? undefined : "must be a non-empty string");
const isStringOrNull: Check = (v) => (v === null || v === undefined || typeof v === "string" ? undefined : "must be a string or null");
const isCount: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? undefined : "must be a whole number >= 0");
const isStringList: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === "string") ? undefined : "must be a list of strings");
const isCounts: Check = (v) => (v !== null && typeof v === "object" && !Array.isArray(v) && Object.values(v).every((x) => Number.isInteger(x) && (x as number) > 0)
    ? undefined : "must map each topic to a whole number of partitions > 0");
const isExposure: Check = (v) => (v !== null && typeof v === "object" && typeof (v as EndpointExposure).dnsName === "string"
    && isStringList((v as EndpointExposure).sans) === undefined && isStringList((v as EndpointExposure).allowedSources) === undefined
    && ((v as EndpointExposure).addresses === undefined || isStringList((v as EndpointExposure).addresses) === undefined)
    ? undefined : "must be { dnsName, sans: [...], allowedSources: [...], addresses?: [...] }");

function checkObject(value: unknown, path: string, fields: Record<string, Check>, optional: string[] = []): string[] {
    if (value === null || typeof value !== "object" || Array.isArray(value)) return [`${path} must be an object`];
    const o = value as Record<string, unknown>;
    return Object.entries(fields).flatMap(([k, check]) => {
        if (o[k] === undefined && optional.includes(k)) return [];
        if (o[k] === undefined) return [`${path}.${k} is missing`];
        const problem = check(o[k]);
        return problem ? [`${path}.${k} ${problem} (got ${JSON.stringify(redactValue(o[k], k))})`] : [];
    });
}

/**
 * Validate the plain (non-secret) outputs of a training stack and return them typed.
 * `outputs` maps output name to value; secret outputs only need to be present.
 */
export function validateContract(trainingStack: string, outputs: Record<string, unknown>): Omit<TrainingContract, "modelStoreReadCredentials" | "streamingReplicationCredentials"> {
    const problems: string[] = [];
    const missing = CONTRACT_OUTPUTS.filter((k) => outputs[k] === undefined);
    if (missing.length > 0) problems.push(`missing output(s): ${missing.join(", ")}`);
    const version = outputs.contractVersion;
    if (version !== undefined && version !== CONTRACT_VERSION) {
        const older = typeof version === "number" && version < CONTRACT_VERSION;
        problems.push(`contractVersion is ${JSON.stringify(version)}, this program reads version ${CONTRACT_VERSION}: `
            + (older ? `the training stack runs an older program; run pulumi up on ${trainingStack} with this version first (training before serving)`
                : "deploy matching versions of both stacks"));
    }
    if (problems.length === 0) {
        const catalog = outputs.modelCatalog;
        if (!Array.isArray(catalog)) problems.push("modelCatalog must be a list");
        else {
            const shapes = catalog.map((m, i) => checkObject(m, `modelCatalog[${i}]`, {
                name: isString, version: isString, format: isString, runtime: isString, artifactPath: isString, sha256: isString, gpu: isCount,
            }, ["sha256"]));
            problems.push(...shapes.flat());
            // The catalogue rules the training stack's config applies, again where the catalogue is read.
            if (shapes.every((s) => s.length === 0)) {
                problems.push(...catalogueIssues(catalog as ModelCatalogEntry[], (i, f) => `modelCatalog[${i}].${f} (hybridml:models[${i}].${f} of ${trainingStack})`));
            }
        }
        problems.push(...checkObject(outputs.modelStore, "modelStore", {
            endpoint: isString, bucket: isString, region: isString, caCert: isStringOrNull, exposure: isExposure,
        }, ["exposure"]));
        problems.push(...checkObject(outputs.streaming, "streaming", {
            engine: (v) => (v === "kafka" || v === "pulsar" ? undefined : "must be kafka or pulsar"),
            bootstrap: isString, caCert: isStringOrNull, feedbackTopics: isStringList, feedbackProducers: isStringList, clusterName: isString,
            exposure: isExposure, feedbackPartitions: isCounts,
        }, ["feedbackProducers", "clusterName", "exposure", "feedbackPartitions"]));
    }
    if (problems.length > 0) throw new ContractError(trainingStack, problems);
    return {
        contractVersion: CONTRACT_VERSION,
        modelCatalog: outputs.modelCatalog as ModelCatalogEntry[],
        modelStore: { ...(outputs.modelStore as ModelStore), caCert: (outputs.modelStore as ModelStore).caCert ?? null },
        streaming: { ...(outputs.streaming as StreamingEndpoint), caCert: (outputs.streaming as StreamingEndpoint).caCert ?? null },
    };
}

/**
 * Read and validate the contract from a training stack. Awaited before the serving role
 * registers anything, so a bad reference fails the preview with one clear message.
 */
export async function readTrainingContract(ref: pulumi.StackReference, trainingStack: string): Promise<TrainingContract> {
    const details = await Promise.all(CONTRACT_OUTPUTS.map(async (k) => [k, await ref.getOutputDetails(k)] as const));
    const plain: Record<string, unknown> = {};
    for (const [k, d] of details) plain[k] = d.value ?? d.secretValue;
    const contract = validateContract(trainingStack, plain);
    return {
        ...contract,
        modelStoreReadCredentials: pulumi.secret(ref.requireOutput("modelStoreReadCredentials") as pulumi.Output<ModelStoreCredentials>),
        streamingReplicationCredentials: pulumi.secret(ref.requireOutput("streamingReplicationCredentials") as pulumi.Output<ReplicationCredentials>),
    };
}

/** The contract as stack outputs (what `index.ts` exports on a training stack). */
export function contractOutputs(c: TrainingContract): Record<(typeof CONTRACT_OUTPUTS)[number], unknown> {
    return {
        contractVersion: c.contractVersion,
        modelCatalog: c.modelCatalog,
        modelStore: c.modelStore,
        modelStoreReadCredentials: pulumi.secret(c.modelStoreReadCredentials),
        streaming: c.streaming,
        streamingReplicationCredentials: pulumi.secret(c.streamingReplicationCredentials),
    };
}
