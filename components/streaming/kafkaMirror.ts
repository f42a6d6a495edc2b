/**
 * MirrorMaker 2 on a serving cluster: copies the local feedback topics to the training cluster
 * (DefaultReplicationPolicy: `<serving stack>.<topic>` there), authenticating to training's external
 * listener with the SCRAM credentials and trusting the CA read through the StackReference.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { mirrorMaker2Spec, STRIMZI_API } from "./kafkaSpecs";

export interface KafkaMirrorArgs {
    /** Provider of the serving cluster. Required. */
    provider: k8s.Provider;
    /** Namespace (watched by the operator). Required. */
    namespace: pulumi.Input<string>;
    /** The Strimzi operator release: the CR depends on it. Required. */
    operator: pulumi.Resource;
    /** The local Kafka CR (the mirror starts once it exists). Required. */
    localKafka: pulumi.Resource;
    /** Source: this serving stack (its alias prefixes the topics on training). Required. */
    source: { alias: string; bootstrap: pulumi.Input<string>; caSecretName: string; userSecretName: string };
    /** Target: the training cluster as published in its `streaming` output. Required. */
    target: { alias: string; bootstrap: string; caCert: pulumi.Input<string>; username: string; password: pulumi.Input<string> };
    /** Topics to mirror (the feedback topics). Required. */
    topics: string[];
    /** Connect replicas. Default 1. */
    replicas?: number;
}

export class KafkaMirror extends pulumi.ComponentResource {
    public readonly mirrorMaker: k8s.apiextensions.CustomResource;

    constructor(name: string, args: KafkaMirrorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("hybridml:streaming:KafkaMirror", name, {}, opts);
        const child = { parent: this, provider: args.provider };
        const labels = { "app.kubernetes.io/part-of": "hybridml" };
        const caSecret = new k8s.core.v1.Secret(`${name}-target-ca`, {
            metadata: { name: `${args.target.alias}-cluster-ca`, namespace: args.namespace, labels },
            stringData: { "ca.crt": args.target.caCert },
        }, child);
        const pwSecret = new k8s.core.v1.Secret(`${name}-target-password`, {
            metadata: { name: `${args.target.alias}-replication`, namespace: args.namespace, labels },
            stringData: { password: pulumi.secret(args.target.password) },
        }, child);
        this.mirrorMaker = new k8s.apiextensions.CustomResource(`${name}-mm2`, {
            apiVersion: STRIMZI_API,
            kind: "KafkaMirrorMaker2",
            metadata: { name: "feedback-to-training", namespace: args.namespace },
            spec: pulumi.output(args.source.bootstrap).apply((sourceBootstrap) => mirrorMaker2Spec({
                sourceAlias: args.source.alias, sourceBootstrap,
                sourceCaSecret: args.source.caSecretName, sourceUserSecret: args.source.userSecretName,
                targetAlias: args.target.alias, targetBootstrap: args.target.bootstrap,
                targetCaSecret: `${args.target.alias}-cluster-ca`, targetUsername: args.target.username,
                targetPasswordSecret: `${args.target.alias}-replication`,
                topics: args.topics, replicas: args.replicas ?? 1,
            })),
        }, { ...child, dependsOn: [args.operator, args.localKafka, caSecret, pwSecret] });
        this.registerOutputs({ mirrorMaker: this.mirrorMaker });
    }
}
