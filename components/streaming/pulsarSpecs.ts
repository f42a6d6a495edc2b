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
    key: `${release}-token-asymmetric-key`,
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
    /** Extra DNS name on the proxy certificate (the external address), also its external-dns name. */
    proxyHost?: string;
    /** Source ranges admitted by the exposed proxy (`loadBalancerSourceRanges`). Default [] (any: dev only). */
    proxyAllowedSources?: string[];
    /** PodMonitors on (the platform's Prometheus stack provides the CRD). */
    podMonitors: boolean;
    /** Mount the remote cluster CA (Secret REMOTE_CA_SECRET) into the brokers (serving: geo-replication). */
    remoteCa: boolean;
}

/**
 * Placement of each component. The chart's templates read only `<component>.affinity` (the top-level
 * `affinity` does not reach them) and default to hard anti-affinity. ZooKeeper and bookies keep it
 * (one per host: a quorum and the ledger replicas must not share a node; config checks the hosts);
 * brokers, proxies and autorecovery are stateless and only prefer separate hosts. Dev (one node): none.
 */
export function componentAffinity(dev: boolean, hard: boolean): Record<string, unknown> {
    return {
        anti_affinity: !dev,
        anti_affinity_topology_key: "kubernetes.io/hostname",
        type: hard ? "requiredDuringSchedulingIgnoredDuringExecution" : "preferredDuringSchedulingIgnoredDuringExecution",
    };
}

/** Chart values: TLS (broker, proxy) from a Pulumi CA, JWT (symmetric key) auth + authorization, quorums, no bundled monitoring. */
export function pulsarValues(i: PulsarValuesInput): Record<string, unknown> {
    const pm = { enabled: i.podMonitors };
    const pdb = { usePolicy: true, maxUnavailable: 1 };
    const sc = i.storageClass ? { storageClassName: i.storageClass } : {};
    const hard = componentAffinity(i.dev, true);
    const soft = componentAffinity(i.dev, false);
    return {
        clusterName: i.clusterName,
        namespace: i.namespace,
        namespaceCreate: false,
        affinity: { anti_affinity: !i.dev },
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
            authentication: { enabled: true, jwt: { enabled: true, usingSecretKey: false } },
            authorization: { enabled: true },
            superUsers: { ...PULSAR_SUPERUSERS },
        },
        zookeeper: {
            replicaCount: i.dev ? 1 : 3, podMonitor: pm, pdb, affinity: hard,
            volumes: { data: { size: "20Gi", ...sc } },
        },
        bookkeeper: {
            replicaCount: i.replicas, podMonitor: pm, pdb, affinity: hard,
            volumes: { journal: { size: "10Gi", ...sc }, ledgers: { size: i.storageSize, ...sc } },
        },
        autorecovery: { podMonitor: pm, affinity: soft },
        broker: {
            replicaCount: i.replicas, podMonitor: pm, pdb, affinity: soft,
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
            replicaCount: i.dev ? 1 : 2, podMonitor: pm, pdb, affinity: soft,
            service: i.exposeProxy ? {
                type: "LoadBalancer",
                // Keeps the client address, so the source ranges are enforced on every load balancer (MetalLB included).
                externalTrafficPolicy: "Local",
                ...(i.proxyHost ? { annotations: { "external-dns.alpha.kubernetes.io/hostname": i.proxyHost } } : {}),
                ...((i.proxyAllowedSources ?? []).length > 0 ? { loadBalancerSourceRanges: [...(i.proxyAllowedSources ?? [])] } : {}),
            } : { type: "ClusterIP" },
        },
    };
}

/** Values paths the chart documents only in comments (allowed by the values-key check). */
export const pulsarFreeFormValues = [
    "clusterName",
    // Documented as comments under proxy.service; templates/proxy-service.yaml reads both.
    "proxy.service.externalTrafficPolicy",
    "proxy.service.loadBalancerSourceRanges",
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
    /** Local producers (the request logger): produce to both namespaces, consume nothing. Default []. */
    producerRoles?: string[];
}

/** Tenant, namespaces (with quorums), partitioned topics (with retention) and permissions; check before create. */
export function streamsScript(i: StreamsScriptInput): string {
    const lines = preamble(i);
    const t = PULSAR_TENANT;
    // Only this cluster: a training cluster never registers or allows the serving clusters (one-way
    // replication into it needs neither); a serving cluster's geo-replication Job adds training itself.
    lines.push(...mergeTenantClusters(t, [i.clusterName]));
    for (const ns of [STREAMS_NAMESPACE, FEEDBACK_NAMESPACE]) {
        lines.push(`if ! $A namespaces list ${t} | grep -qx '${t}/${ns}'; then $A namespaces create ${t}/${ns}; fi`);
        lines.push(`$A namespaces set-persistence ${t}/${ns} --bookkeeper-ensemble ${i.ensembleSize} --bookkeeper-write-quorum ${i.writeQuorum} --bookkeeper-ack-quorum ${i.ackQuorum} --ml-mark-delete-max-rate 0`);
    }
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

/**
 * Shell lines that add `clusters` to the tenant's allowed clusters, creating the tenant when absent:
 * the current list is read and merged, never overwritten, so the Jobs that share a tenant (streams,
 * geo-replication) keep each other's clusters on any re-run.
 */
export function mergeTenantClusters(tenant: string, clusters: string[]): string[] {
    const want = clusters.join(" ");
    return [
        `if ! $A tenants get ${tenant} >/dev/null 2>&1; then $A tenants create ${tenant} --allowed-clusters ${q(clusters.join(","))}; fi`,
        `cur="$($A tenants get ${tenant} | tr -d ' \\n\\r' | sed -n 's/.*"allowedClusters":\\[\\([^]]*\\)\\].*/\\1/p' | tr -d '"')"`,
        `new="$cur"; for c in ${want}; do case ",$new," in *",$c,"*) ;; *) new="\${new:+$new,}$c";; esac; done`,
        `if [ "$new" != "$cur" ]; then $A tenants update ${tenant} --allowed-clusters "$new"; fi`,
    ];
}

/**
 * Serving side of one-way replication (upstream "1-way geo-replication"): register the training
 * cluster (create or update), merge it into the tenant's allowed clusters, and replicate the feedback
 * namespace to it. The training cluster is configured for nothing in return.
 */
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
        ...mergeTenantClusters(t, [i.localCluster, i.remoteCluster]),
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
