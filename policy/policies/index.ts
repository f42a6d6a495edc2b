/**
 * Every policy of the pack, in report order. The CrossGuard pack (policy/index.ts) and the offline
 * plan (tools/plan/policies.ts) both take this list: one implementation, two runners.
 */
import type { PolicyDef } from "../lib/view";
import { clusterApiNotPublic, clusterEncryptionIdentity, gpuPoolsTainted, scaleToZeroHasAutoscaler } from "./clusters";
import { azureStorageHardened, eksAuditLogs, gkeShieldedNodes, iamLeastPrivilege, keysRotate, keyVaultPurgeProtection } from "./cloud";
import { statefulProtected } from "./durability";
import { loadBalancersRestricted } from "./exposure";
import { helmValuesPodSecurity, imageDigestsInProd, noPrereleaseApis, podSecurityRestricted, prodReplicasAndPdb, recommendedLabels } from "./podSecurity";
import { credentialsAsSecrets, credentialsNotInPlainConfig } from "./secrets";
import { bucketsPrivateEncrypted, cephPoolReplication, datasetsStayInTraining } from "./storage";
import { kafkaReplication, pulsarQuorum } from "./streaming";
import { containerResources, gpuPodsTolerate, helmVersionPinned, noLatestImageTags } from "./workloads";

export const allPolicies: readonly PolicyDef[] = [
    bucketsPrivateEncrypted,
    datasetsStayInTraining,
    clusterApiNotPublic,
    clusterEncryptionIdentity,
    credentialsAsSecrets,
    credentialsNotInPlainConfig,
    cephPoolReplication,
    kafkaReplication,
    pulsarQuorum,
    gpuPoolsTainted,
    gpuPodsTolerate,
    scaleToZeroHasAutoscaler,
    helmVersionPinned,
    noLatestImageTags,
    containerResources,
    statefulProtected,
    // The hardened baseline.
    podSecurityRestricted,
    helmValuesPodSecurity,
    noPrereleaseApis,
    prodReplicasAndPdb,
    recommendedLabels,
    imageDigestsInProd,
    loadBalancersRestricted,
    iamLeastPrivilege,
    keysRotate,
    keyVaultPurgeProtection,
    azureStorageHardened,
    eksAuditLogs,
    gkeShieldedNodes,
];
