/**
 * Pure builders for the Apache Pulsar chart (4.7.0) values and the idempotent pulsar-admin scripts
 * (streams: tenant, namespaces, partitioned topics, permissions; geo-replication of the feedback
 * namespace). Every `create` in a script is guarded by a check, so a re-run changes nothing.
 */
import type * as k8s from "@pulumi/kubernetes";

/** Tenant of the platform's streams. */
export const PULSAR_TENANT = "hybridml";
/** Namespace of the feedback topics (geo-replicated to training); everything else lives in `streams`. */
export const FEEDBACK_NAMESPACE = "feedback";
export const STREAMS_NAMESPACE = "streams";
/** Secret (in the Pulsar namespace) holding the Pulumi-managed CA the chart's cert-manager Issuer signs with. */
export const PULSAR_CA_SECRET = "pulsar-ca-tls";
export const PULSAR_CA_ISSUER = "pulsar-ca-issuer";
/** Secret with the remote (training) cluster's CA, mounted into the brokers for the geo-replicator. */
export const REMOTE_CA_SECRET = "pulsar-remote-ca";
export const REMOTE_CA_MOUNT = "/pulsar/certs/remote";
/** The chart's superuser roles (its defaults): tokens for them are Secrets `<release>-token-<role>`. */
export const PULSAR_SUPERUSERS = { broker: "broker-admin", proxy: "proxy-admin", client: "admin" } as const;

/** Full topic address of stream `name`. */
export function pulsarTopic(name: string, feedback: boolean): string {
    return `persistent://${PULSAR_TENANT}/${feedback ? FEEDBACK_NAMESPACE : STREAMS_NAMESPACE}/${name}`;
}

/** Secret names the chart reads when JWT auth uses a symmetric key (generateSecrets off). */
export const pulsarTokenSecrets = (release: string) => ({
    key: `${release}-token-symmetric-key`,
    token: (role: string) => `${release}-token-${role}`,
});

export interface PulsarValuesInput {
    clusterName: string;
    namespace: string;
    dev: boolean;
    /** Bookies and brokers. */
    replicas: number;
    ensembleSize: number;
    writeQuorum: number;
    ackQuorum: number;
    storageSize: string;
    storageClass?: string;
    /** Expose the proxy through a LoadBalancer (training: serving clusters replicate into it). */
    exposeProxy: boolean;
    /** Extra DNS name on the proxy certificate (the external address). */
    proxyHost?: string;
    /** PodMonitors on (the platform's Prometheus stack provides the CRD). */
    podMonitors: boolean;
    /** Mount the remote cluster CA (Secret REMOTE_CA_SECRET) into the brokers (serving: geo-replication). */
    remoteCa: boolean;
}

/** Chart values: TLS (broker, proxy) from a Pulumi CA, JWT (symmetric key) auth + authorization, quorums, no bundled monitoring. */
export function pulsarValues(i: PulsarValuesInput): Record<string, unknown> {
    const pm = { enabled: i.podMonitors };
    const pdb = { usePolicy: true, maxUnavailable: 1 };
    const sc = i.storageClass ? { storageClassName: i.storageClass } : {};
    return {
        clusterName: i.clusterName,
        namespace: i.namespace,
        namespaceCreate: false,
        affinity: { anti_affinity: !i.dev, type: "preferredDuringSchedulingIgnoredDuringExecution" },
        components: {
            zookeeper: true, bookkeeper: true, autorecovery: true, broker: true, proxy: true, toolset: true,
            functions: false, pulsar_manager: false, dekaf: false,
        },
        "victoria-metrics-k8s-stack": { enabled: false },
        tls: {
            enabled: true,
            broker: { enabled: true },
            proxy: { enabled: true, ...(i.proxyHost ? { dnsNames: [i.proxyHost] } : {}) },
        },
        certs: {
            internal_issuer: { enabled: true, type: "ca" },
            issuers: { ca: { name: PULSAR_CA_ISSUER, secretName: PULSAR_CA_SECRET } },
        },
        auth: {
            authentication: { enabled: true, jwt: { enabled: true, usingSecretKey: true } },
            authorization: { enabled: true },
            superUsers: { ...PULSAR_SUPERUSERS },
        },
        zookeeper: {
            replicaCount: i.dev ? 1 : 3, podMonitor: pm, pdb,
            volumes: { data: { size: "20Gi", ...sc } },
        },
        bookkeeper: {
            replicaCount: i.replicas, podMonitor: pm, pdb,
            volumes: { journal: { size: "10Gi", ...sc }, ledgers: { size: i.storageSize, ...sc } },
        },
        autorecovery: { podMonitor: pm },
        broker: {
            replicaCount: i.replicas, podMonitor: pm, pdb,
            configData: {
                managedLedgerDefaultEnsembleSize: String(i.ensembleSize),
                managedLedgerDefaultWriteQuorum: String(i.writeQuorum),
                managedLedgerDefaultAckQuorum: String(i.ackQuorum),
            },
            ...(i.remoteCa ? {
                extraVolumes: [{ name: "remote-ca", secret: { secretName: REMOTE_CA_SECRET } }],
                extraVolumeMounts: [{ name: "remote-ca", mountPath: REMOTE_CA_MOUNT, readOnly: true }],
            } : {}),
        },
        proxy: {
            replicaCount: i.dev ? 1 : 2, podMonitor: pm, pdb,
            service: { type: i.exposeProxy ? "LoadBalancer" : "ClusterIP" },
        },
    };
}

/** Values paths the chart documents only in comments (allowed by the values-key check). */
export const pulsarFreeFormValues = [
    "clusterName",
    "zookeeper.volumes.data.storageClassName",
    "bookkeeper.volumes.journal.storageClassName",
    "bookkeeper.volumes.ledgers.storageClassName",
];

export interface AdminScriptBase {
    /** Broker admin URL inside the cluster, e.g. https://pulsar-broker.pulsar.svc:8443 */
    adminUrl: string;
    /** Path of the CA certificate the Job trusts. */
    caPath: string;
    /** Path of the admin token file. */
    tokenPath: string;
}

const q = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;

function preamble(b: AdminScriptBase): string[] {
    return [
        "set -eu",
        "cat > /tmp/client.conf <<EOF",
        `webServiceUrl=${b.adminUrl}`,
        "authPlugin=org.apache.pulsar.client.impl.auth.AuthenticationToken",
        `authParams=file://${b.tokenPath}`,
        `tlsTrustCertsFilePath=${b.caPath}`,
        "tlsAllowInsecureConnection=false",
        "EOF",
        "export PULSAR_CLIENT_CONF=/tmp/client.conf",
        "A=bin/pulsar-admin",
        "n=0; until $A clusters list >/dev/null 2>&1; do n=$((n+1)); [ $n -lt 60 ] || exit 1; echo 'waiting for the brokers'; sleep 10; done",
    ];
}

export interface StreamsScriptInput extends AdminScriptBase {
    clusterName: string;
    topics: Array<{ name: string; partitions: number; retentionHours: number; feedback: boolean }>;
    ensembleSize: number;
    writeQuorum: number;
    ackQuorum: number;
    /** Role allowed to consume every stream and produce features / model events (training jobs). */
    trainingRole?: string;
    /** Roles allowed to produce to the feedback namespace only (one per serving stack). */
    feedbackRoles: string[];
    /**
     * Training side: the serving clusters that geo-replicate feedback in. Without a shared configuration
     * store each cluster must know the others: they are registered here (with a placeholder address:
     * training never connects to them) and allowed on the tenant and on the feedback namespace
     * (`allowed-clusters`, PIP-321), while the namespace replicates to nowhere. Default [].
     */
    feedbackClusters?: string[];
    /** Local producers (the request logger): produce to both namespaces, consume nothing. Default []. */
    producerRoles?: string[];
}

/** Tenant, namespaces (with quorums), partitioned topics (with retention) and permissions; check before create. */
export function streamsScript(i: StreamsScriptInput): string {
    const lines = preamble(i);
    const t = PULSAR_TENANT;
    const remotes = i.feedbackClusters ?? [];
    for (const c of remotes) {
        lines.push(`if ! $A clusters get ${q(c)} >/dev/null 2>&1; then $A clusters create ${q(c)} --url-secure https://${c}.invalid:443 --broker-url-secure pulsar+ssl://${c}.invalid:6651; fi`);
    }
    const allowed = q([i.clusterName, ...remotes].join(","));
    lines.push(`if $A tenants get ${t} >/dev/null 2>&1; then $A tenants update ${t} --allowed-clusters ${allowed}; else $A tenants create ${t} --allowed-clusters ${allowed}; fi`);
    for (const ns of [STREAMS_NAMESPACE, FEEDBACK_NAMESPACE]) {
        lines.push(`if ! $A namespaces list ${t} | grep -qx '${t}/${ns}'; then $A namespaces create ${t}/${ns}; fi`);
        lines.push(`$A namespaces set-persistence ${t}/${ns} --bookkeeper-ensemble ${i.ensembleSize} --bookkeeper-write-quorum ${i.writeQuorum} --bookkeeper-ack-quorum ${i.ackQuorum} --ml-mark-delete-max-rate 0`);
    }
    if (remotes.length > 0) lines.push(`$A namespaces set-allowed-clusters ${t}/${FEEDBACK_NAMESPACE} --clusters ${allowed}`);
    for (const topic of i.topics) {
        const addr = pulsarTopic(topic.name, topic.feedback);
        const ns = `${t}/${topic.feedback ? FEEDBACK_NAMESPACE : STREAMS_NAMESPACE}`;
        lines.push(`if ! $A topics list-partitioned-topics ${ns} | grep -qx '${addr}'; then $A topics create-partitioned-topic ${addr} --partitions ${topic.partitions}; fi`);
        lines.push(`$A topics set-retention ${addr} --time ${topic.retentionHours}h --size -1`);
    }
    if (i.trainingRole) {
        lines.push(`$A namespaces grant-permission ${t}/${STREAMS_NAMESPACE} --role ${q(i.trainingRole)} --actions consume,produce`);
        lines.push(`$A namespaces grant-permission ${t}/${FEEDBACK_NAMESPACE} --role ${q(i.trainingRole)} --actions consume`);
    }
    for (const role of i.producerRoles ?? []) {
        for (const ns of [STREAMS_NAMESPACE, FEEDBACK_NAMESPACE]) lines.push(`$A namespaces grant-permission ${t}/${ns} --role ${q(role)} --actions produce`);
    }
    for (const role of i.feedbackRoles) {
        lines.push(`$A namespaces grant-permission ${t}/${FEEDBACK_NAMESPACE} --role ${q(role)} --actions produce`);
    }
    return lines.join("\n") + "\n";
}

export interface GeoReplicationScriptInput extends AdminScriptBase {
    localCluster: string;
    remoteCluster: string;
    /** Remote proxy host (service URL pulsar+ssl://host:6651, web service https://host:443). */
    remoteHost: string;
    remoteBrokerPort: number;
    remoteWebPort: number;
    /** Path (inside this Job) of the file with the remote token. */
    remoteTokenPath: string;
}

/** Register the training cluster (create or update), allow it on the tenant, and replicate the feedback namespace to it. */
export function geoReplicationScript(i: GeoReplicationScriptInput): string {
    const lines = preamble(i);
    const t = PULSAR_TENANT;
    const remote = q(i.remoteCluster);
    lines.push(
        `REMOTE_TOKEN="$(cat ${i.remoteTokenPath})"`,
        `set -- --url-secure https://${i.remoteHost}:${i.remoteWebPort} --broker-url-secure pulsar+ssl://${i.remoteHost}:${i.remoteBrokerPort} `
            + `--tls-enable --tls-trust-certs-filepath ${REMOTE_CA_MOUNT}/ca.crt `
            + "--auth-plugin org.apache.pulsar.client.impl.auth.AuthenticationToken --auth-parameters \"token:${REMOTE_TOKEN}\"",
        `if $A clusters get ${remote} >/dev/null 2>&1; then $A clusters update ${remote} "$@"; else $A clusters create ${remote} "$@"; fi`,
        `if $A tenants get ${t} >/dev/null 2>&1; then $A tenants update ${t} --allowed-clusters ${q(`${i.localCluster},${i.remoteCluster}`)}; `
            + `else $A tenants create ${t} --allowed-clusters ${q(`${i.localCluster},${i.remoteCluster}`)}; fi`,
        `if ! $A namespaces list ${t} | grep -qx '${t}/${FEEDBACK_NAMESPACE}'; then $A namespaces create ${t}/${FEEDBACK_NAMESPACE}; fi`,
        `$A namespaces set-clusters ${t}/${FEEDBACK_NAMESPACE} --clusters ${q(`${i.localCluster},${i.remoteCluster}`)}`,
    );
    return lines.join("\n") + "\n";
}

/** Writable scratch of a pulsar-admin Job under a read-only root filesystem: /tmp (JVM) and the CLI's log directory. */
export const ADMIN_SCRATCH = [{ name: "scratch", mountPath: "/tmp" }, { name: "pulsar-logs", mountPath: "/pulsar/logs" }] as const;

/** The emptyDir volumes of ADMIN_SCRATCH, for the Job's pod spec. */
export const adminJobScratchVolumes = (): k8s.types.input.core.v1.Volume[] => ADMIN_SCRATCH.map((m) => ({ name: m.name, emptyDir: {} }));

/** PodSpec-level container for a pulsar-admin Job (pinned image, requests/limits, non-root, read-only root filesystem). */
export function adminJobContainer(image: string, script: string, mounts: Array<{ name: string; mountPath: string }>): k8s.types.input.core.v1.Container {
    return {
        name: "pulsar-admin",
        image,
        command: ["sh", "-c", script],
        volumeMounts: [...mounts.map((m) => ({ ...m, readOnly: true })), ...ADMIN_SCRATCH.map((m) => ({ ...m }))],
        resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
        securityContext: { runAsNonRoot: true, runAsUser: 10000, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true },
    };
}
