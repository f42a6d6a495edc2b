/**
 * Streaming durability in prod: Kafka (Strimzi) replication and in-sync replicas, Pulsar quorums.
 */
import { MANDATORY_IN_PROD } from "../lib/levels";
import { get, isUnknown, known, list, num, ResourcePolicyDef } from "../lib/view";

const KAFKA = "kubernetes:kafka.strimzi.io/v1:Kafka";
const KAFKA_TOPIC = "kubernetes:kafka.strimzi.io/v1:KafkaTopic";
const KAFKA_NODE_POOL = "kubernetes:kafka.strimzi.io/v1:KafkaNodePool";
const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

export const MIN_KAFKA_RF = 3;
export const MIN_KAFKA_ISR = 2;

/** Broker settings that must meet the floors: [key, floor, Kafka's default when unset]. */
const KAFKA_FLOORS: Array<[string, number, number]> = [
    ["default.replication.factor", MIN_KAFKA_RF, 1],
    ["min.insync.replicas", MIN_KAFKA_ISR, 1],
    ["offsets.topic.replication.factor", MIN_KAFKA_RF, 3],
    ["transaction.state.log.replication.factor", MIN_KAFKA_RF, 3],
    ["transaction.state.log.min.isr", MIN_KAFKA_ISR, 2],
];

/** Matches the kind whatever the served version (v1, v1beta2). */
const isKind = (type: string, token: string) => type.replace(/\/v1beta2:/, "/v1:") === token;

export const kafkaReplication: ResourcePolicyDef = {
    kind: "resource",
    name: "kafka-replication",
    description: `Kafka keeps every partition on ${MIN_KAFKA_RF} brokers with at least ${MIN_KAFKA_ISR} in sync (prod).`,
    remediation: `Set hybridml:streaming.replicationFactor >= ${MIN_KAFKA_RF} and minInSyncReplicas >= ${MIN_KAFKA_ISR}, with at least ${MIN_KAFKA_RF} brokers; dev may run 1/1 (advisory).`,
    levels: MANDATORY_IN_PROD,
    check(r) {
        const out: string[] = [];
        if (isKind(r.type, KAFKA)) {
            const config = get(r.props, "spec.kafka.config");
            if (isUnknown(config)) return [];
            for (const [key, floor, kafkaDefault] of KAFKA_FLOORS) {
                const raw = config?.[key];
                if (isUnknown(raw)) continue;
                const v = num(raw);
                if (raw === undefined && kafkaDefault < floor) out.push(`spec.kafka.config["${key}"] is not set (Kafka's default is ${kafkaDefault}), must be >= ${floor}`);
                else if (raw !== undefined && (v === undefined || v < floor)) out.push(`spec.kafka.config["${key}"] is ${JSON.stringify(raw)}, must be >= ${floor}`);
            }
            const rf = num(config?.["default.replication.factor"]);
            const isr = num(config?.["min.insync.replicas"]);
            if (rf !== undefined && isr !== undefined && isr >= rf && rf > 1) out.push(`min.insync.replicas (${isr}) must be below default.replication.factor (${rf}) or one broker down stops writes`);
        } else if (isKind(r.type, KAFKA_TOPIC)) {
            const replicas = get(r.props, "spec.replicas");
            if (known(replicas) && (num(replicas) ?? 0) < MIN_KAFKA_RF) out.push(`spec.replicas is ${replicas}, must be >= ${MIN_KAFKA_RF}`);
            const isr = get(r.props, ["spec", "config", "min.insync.replicas"]);
            if (known(isr) && (num(isr) ?? 0) < MIN_KAFKA_ISR) out.push(`spec.config["min.insync.replicas"] is ${isr}, must be >= ${MIN_KAFKA_ISR}`);
        } else if (isKind(r.type, KAFKA_NODE_POOL)) {
            const roles = list(get(r.props, "spec.roles"));
            const replicas = get(r.props, "spec.replicas");
            if (roles.includes("broker") && known(replicas) && (num(replicas) ?? 0) < MIN_KAFKA_RF) {
                out.push(`broker node pool has ${replicas} replicas, needs >= ${MIN_KAFKA_RF} for replication factor ${MIN_KAFKA_RF}`);
            }
        }
        return out;
    },
};

/** Pulsar floors: [values path, floor, chart default]. */
const PULSAR_FLOORS: Array<[string[], number, string]> = [
    [["broker", "configData", "managedLedgerDefaultEnsembleSize"], 3, "2"],
    [["broker", "configData", "managedLedgerDefaultWriteQuorum"], 3, "2"],
    [["broker", "configData", "managedLedgerDefaultAckQuorum"], 2, "2"],
    [["bookkeeper", "replicaCount"], 3, "4"],
    [["zookeeper", "replicaCount"], 3, "3"],
];

export const pulsarQuorum: ResourcePolicyDef = {
    kind: "resource",
    name: "pulsar-quorum",
    description: "Pulsar writes each entry to 3 bookies and waits for 2 acknowledgements (prod).",
    remediation: "Set broker.configData managedLedgerDefaultEnsembleSize/WriteQuorum >= 3 and AckQuorum >= 2 (hybridml:streaming.replicationFactor/minInSyncReplicas) with >= 3 bookies.",
    levels: MANDATORY_IN_PROD,
    check(r) {
        if (r.type !== HELM_RELEASE || typeof r.props.chart !== "string" || r.props.chart.split("/").pop() !== "pulsar") return [];
        const values = r.props.values ?? {};
        if (isUnknown(values)) return [];
        const out: string[] = [];
        for (const [path, floor, chartDefault] of PULSAR_FLOORS) {
            const raw = get(values, path);
            if (isUnknown(raw)) continue;
            const v = num(raw ?? chartDefault);
            if (v === undefined || v < floor) out.push(`values.${path.join(".")} is ${raw ?? `unset (chart default ${chartDefault})`}, must be >= ${floor}`);
        }
        const ensemble = num(get(values, PULSAR_FLOORS[0][0]));
        const write = num(get(values, PULSAR_FLOORS[1][0]));
        const ack = num(get(values, PULSAR_FLOORS[2][0]));
        if (ensemble !== undefined && write !== undefined && ack !== undefined && !(ensemble >= write && write >= ack)) {
            out.push(`quorums must satisfy ensemble (${ensemble}) >= write (${write}) >= ack (${ack})`);
        }
        return out;
    },
};
