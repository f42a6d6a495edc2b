/**
 * Composition root of one stack: its cluster, then its roles (SPEC 2). A serving-only stack
 * reads the training contract through a StackReference *before* registering anything else, so a
 * missing or mismatched training stack fails fast; a stack with both roles wires it in-process.
 */
import * as pulumi from "@pulumi/pulumi";
import { checkServingFit, type LoadedConfig } from "../config";
import { contractOutputs, readTrainingContract, TrainingContract } from "./contract";
import { deployBase } from "./base";
import { createCluster } from "./cluster";
import { deployServing } from "./serving";
import { checkStreamingContract, deployServingStreaming } from "./streaming";
import { deployTraining, inClusterModelStore } from "./training";
import { checkReachability, reachabilityFlows, reportEgress, staticEgress } from "./reachability";

/** Build the whole platform for one stack and return its stack outputs. */
export async function buildPlatform({ config, secrets }: LoadedConfig): Promise<Record<string, unknown>> {
    const name = config.stack;
    let contract: TrainingContract | undefined;
    if (config.roles.serving && !config.roles.training && config.trainingStack) {
        const ref = new pulumi.StackReference(`${name}-training`, { name: config.trainingStack.fullName });
        contract = await readTrainingContract(ref, config.trainingStack.fullName);
        checkStreamingContract(config, contract); // engine mismatch: a config error before anything else is registered
        checkServingFit(config, contract.modelCatalog, config.trainingStack.fullName); // a model no GPU node here can run
        checkReachability(config, contract); // internal names, plain http, no CA, no allow-list: refused before anything is registered
    }

    const cluster = await createCluster(name, config, secrets);
    const outputs: Record<string, unknown> = {
        environment: config.environment,
        roles: Object.entries(config.roles).filter(([, on]) => on).map(([role]) => role),
        platform: cluster.platform,
        gpu: cluster.gpu,
    };
    // A StackReference reader can read every output, secrets included: a training stack (which serving
    // stacks reference) exports no kubeconfig. Operators take it from where it came from (README "Access").
    if (!config.roles.training) outputs.kubeconfig = cluster.kubeconfig;
    const base = deployBase(name, config, cluster);
    if (cluster.objectStore) outputs.modelBucket = { kind: cluster.objectStore.kind, uri: cluster.objectStore.uriPrefix };

    if (config.roles.training) {
        contract = deployTraining(name, config, cluster, base);
        Object.assign(outputs, contractOutputs(contract));
    }
    if (config.roles.serving) {
        if (!contract) throw new Error("hybridml:trainingStack is required on a serving-only stack");
        const feedback = deployServingStreaming(name, config, cluster, contract, base);
        // Both roles on one cluster: the sync reads RGW by its Service name (the certificate carries it too).
        const served = config.roles.training ? { ...contract, modelStore: inClusterModelStore(contract.modelStore) } : contract;
        Object.assign(outputs, { serving: deployServing(name, config, cluster, served, base, feedback) });
        if (!config.roles.training) {
            const egress = staticEgress(config);
            outputs.egress = cluster.egress ?? (egress.kind === "static" ? egress.cidrs : null);
            const flows = reachabilityFlows(config, contract, cluster.egress);
            reportEgress(config, flows);
            outputs.reachability = flows;
        }
    }
    return outputs;
}
