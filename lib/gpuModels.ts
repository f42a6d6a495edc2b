/**
 * The NVIDIA GPU models the platform knows, by the name `hybridml:cluster.gpuPool.gpuType` takes
 * (GKE's accelerator names, which EKS and AKS pools use as their accelerator label too), with their
 * memory and the MIG profiles the GPU operator's MIG manager can apply to them.
 *
 * `migProfiles` maps each single-size `all-<slice>` profile of mig-parted to the MIG instances it
 * cuts one GPU into (what the device plugin then advertises per GPU with the `single` strategy).
 * `all-balanced` (several sizes at once, `mixed` strategy) exists for every MIG-capable model; a GPU
 * without MIG has none. Config refuses a `gpuType` missing here, a MIG profile its model does not
 * have, and MIG on a GPU without MIG: add a model here (instance tables refer to these names).
 */
export interface GpuModel {
    /** Memory per GPU in GB. */
    memoryGb: number;
    /** MIG profile -> instances per GPU; empty when the GPU has no MIG. */
    migProfiles: Readonly<Record<string, number>>;
}

/** MIG geometries shared by several models (A100 80GB and H100 80GB cut the same way). */
const mig80gb = { "all-1g.10gb": 7, "all-1g.20gb": 4, "all-2g.20gb": 3, "all-3g.40gb": 2, "all-4g.40gb": 1, "all-7g.80gb": 1 };
const noMig = {};

export const GPU_MODELS: Readonly<Record<string, GpuModel>> = {
    "nvidia-tesla-t4": { memoryGb: 16, migProfiles: noMig },
    "nvidia-tesla-p4": { memoryGb: 8, migProfiles: noMig },
    "nvidia-tesla-p100": { memoryGb: 16, migProfiles: noMig },
    "nvidia-tesla-v100": { memoryGb: 16, migProfiles: noMig },
    "nvidia-l4": { memoryGb: 24, migProfiles: noMig },
    "nvidia-l40s": { memoryGb: 48, migProfiles: noMig },
    "nvidia-a10": { memoryGb: 24, migProfiles: noMig },
    "nvidia-a10g": { memoryGb: 24, migProfiles: noMig },
    "nvidia-rtx-a4000": { memoryGb: 16, migProfiles: noMig },
    "nvidia-rtx-a6000": { memoryGb: 48, migProfiles: noMig },
    "nvidia-a30": { memoryGb: 24, migProfiles: { "all-1g.6gb": 4, "all-2g.12gb": 2, "all-4g.24gb": 1 } },
    "nvidia-tesla-a100": {
        memoryGb: 40,
        migProfiles: { "all-1g.5gb": 7, "all-1g.10gb": 4, "all-2g.10gb": 3, "all-3g.20gb": 2, "all-4g.20gb": 1, "all-7g.40gb": 1 },
    },
    "nvidia-a100-80gb": { memoryGb: 80, migProfiles: mig80gb },
    "nvidia-h100-80gb": { memoryGb: 80, migProfiles: mig80gb },
    "nvidia-h100-mega-80gb": { memoryGb: 80, migProfiles: mig80gb },
    "nvidia-h200-141gb": {
        memoryGb: 141,
        migProfiles: { "all-1g.18gb": 7, "all-1g.35gb": 4, "all-2g.35gb": 3, "all-3g.71gb": 2, "all-4g.71gb": 1, "all-7g.141gb": 1 },
    },
    "nvidia-b200": {
        memoryGb: 180,
        migProfiles: { "all-1g.23gb": 7, "all-1g.45gb": 4, "all-2g.45gb": 3, "all-3g.90gb": 2, "all-4g.90gb": 1, "all-7g.180gb": 1 },
    },
};

/** The mixed-size MIG profile (mig-parted `all-balanced`, device plugin strategy `mixed`). */
export const BALANCED_MIG_PROFILE = "all-balanced";

/** True when `model` supports MIG. */
export function hasMig(model: GpuModel): boolean {
    return Object.keys(model.migProfiles).length > 0;
}

/** The MIG profiles of `model` as config accepts them (the single-size ones and all-balanced). */
export function migProfilesOf(model: GpuModel): string[] {
    return hasMig(model) ? [...Object.keys(model.migProfiles), BALANCED_MIG_PROFILE] : [];
}
