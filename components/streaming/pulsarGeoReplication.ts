/**
 * Geo-replication of the feedback namespace from a serving Pulsar cluster to the training cluster:
 * a declared Kubernetes Job registers the training cluster (create, or update when it exists),
 * allows it on the tenant and sets the feedback namespace's replication clusters. Every step checks
 * before it creates, so the Job is idempotent when it re-runs (replacement, refresh, retries).
 * The token authenticating the replicator to training comes through the StackReference (secret).
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { versions } from "../../lib/versions";
import { adminJobContainer, adminJobScratchVolumes, geoReplicationScript } from "./pulsarSpecs";

export interface PulsarGeoReplicationArgs {
    /** Provider of the serving cluster. Required. */
    provider: k8s.Provider;
    /** The local Pulsar namespace. Required. */
    namespace: string;
    /** Local Pulsar cluster name. Required. */
    localCluster: string;
    /** Local admin URL, admin token Secret and CA Secret (from the Pulsar component). Required. */
    local: { adminUrl: string; adminTokenSecret: string; caSecret: string };
    /** The training cluster as published in its `streaming` output. Required. */
    remote: { clusterName: string; host: string; brokerPort: number; webPort: number; token: pulumi.Input<string> };
    /** What the Job waits for (the local Pulsar release and its streams Job). Required. */
    dependsOn: pulumi.Resource[];
}

export class PulsarGeoReplication extends pulumi.ComponentResource {
    public readonly job: k8s.batch.v1.Job;

    constructor(name: string, args: PulsarGeoReplicationArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:streaming:PulsarGeoReplication", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const labels = { "app.kubernetes.io/part-of": "hybridml", "app.kubernetes.io/component": "pulsar-geo-replication" };
        const remoteSecret = new k8s.core.v1.Secret(`${name}-remote-token`, {
            metadata: { name: `${args.remote.clusterName}-replication-token`, namespace: args.namespace, labels },
            stringData: { token: pulumi.secret(args.remote.token) },
        }, child);
        const script = geoReplicationScript({
            adminUrl: args.local.adminUrl, caPath: "/pulsar/ca/ca.crt", tokenPath: "/pulsar/admin-token/TOKEN",
            localCluster: args.localCluster, remoteCluster: args.remote.clusterName, remoteHost: args.remote.host,
            remoteBrokerPort: args.remote.brokerPort, remoteWebPort: args.remote.webPort, remoteTokenPath: "/pulsar/remote/token",
        });
        this.job = new k8s.batch.v1.Job(`${name}-job`, {
            metadata: { namespace: args.namespace, labels: { ...labels, "app.kubernetes.io/name": "pulsar-geo-replication" } },
            spec: {
                backoffLimit: 6,
                template: {
                    metadata: { labels },
                    spec: {
                        restartPolicy: "OnFailure",
                        containers: [adminJobContainer(versions.streamingImages.pulsarAdmin, script, [
                            { name: "admin-token", mountPath: "/pulsar/admin-token" },
                            { name: "ca", mountPath: "/pulsar/ca" },
                            { name: "remote", mountPath: "/pulsar/remote" },
                        ])],
                        volumes: [
                            { name: "admin-token", secret: { secretName: args.local.adminTokenSecret } },
                            { name: "ca", secret: { secretName: args.local.caSecret, items: [{ key: "ca.crt", path: "ca.crt" }] } },
                            { name: "remote", secret: { secretName: remoteSecret.metadata.name } },
                            ...adminJobScratchVolumes(),
                        ],
                    },
                },
            },
        }, { ...child, dependsOn: [...args.dependsOn, remoteSecret] });
        this.registerOutputs({ job: this.job });
    }
}
