/**
 * GPU machine types of the managed clouds and the regions of the shipped stacks that offer them
 * (SPEC 11b: "GPU instance types exist in the configured region"). Data, no logic beyond lookups;
 * config/cluster.ts turns a mismatch into an error naming the key.
 *
 * Sources: the clouds' own instance-type pages and regional availability
 * (`aws ec2 describe-instance-type-offerings --location-type region --region <r>`,
 * `gcloud compute accelerator-types list --filter zone:<region>-*`,
 * `az vm list-skus --location <region> --resource-type virtualMachines`). A region that is not listed
 * here is not checked (the plan notes it); add its row after checking the command above.
 *
 * GPU models use GKE's accelerator names (`nvidia-l4`, `nvidia-tesla-t4`, ...), which is what
 * `cluster.gpuPool.gpuType` carries on every cloud.
 */

/** The managed clouds whose pools name a machine type. */
export type GpuCloud = "eks" | "gke" | "aks";

/** What one GPU machine type carries. */
export interface GpuInstanceType {
    /** GPUs per machine. */
    gpus: number;
    /** GPU model (GKE accelerator name). */
    model: string;
}

/** `sizes` of one family, all with the same GPU model: machine type -> GPU count. */
function family(model: string, sizes: Record<string, number>): Record<string, GpuInstanceType> {
    return Object.fromEntries(Object.entries(sizes).map(([type, gpus]) => [type, { gpus, model }]));
}

const g4dn = family("nvidia-tesla-t4", {
    "g4dn.xlarge": 1, "g4dn.2xlarge": 1, "g4dn.4xlarge": 1, "g4dn.8xlarge": 1, "g4dn.16xlarge": 1, "g4dn.12xlarge": 4, "g4dn.metal": 8,
});
const g5 = family("nvidia-a10g", {
    "g5.xlarge": 1, "g5.2xlarge": 1, "g5.4xlarge": 1, "g5.8xlarge": 1, "g5.16xlarge": 1, "g5.12xlarge": 4, "g5.24xlarge": 4, "g5.48xlarge": 8,
});
const g6 = family("nvidia-l4", {
    "g6.xlarge": 1, "g6.2xlarge": 1, "g6.4xlarge": 1, "g6.8xlarge": 1, "g6.16xlarge": 1, "g6.12xlarge": 4, "g6.24xlarge": 4, "g6.48xlarge": 8,
});
const p4d = family("nvidia-tesla-a100", { "p4d.24xlarge": 8 });

const g2 = family("nvidia-l4", {
    "g2-standard-4": 1, "g2-standard-8": 1, "g2-standard-12": 1, "g2-standard-16": 1, "g2-standard-32": 1,
    "g2-standard-24": 2, "g2-standard-48": 4, "g2-standard-96": 8,
});
const a2High = family("nvidia-tesla-a100", {
    "a2-highgpu-1g": 1, "a2-highgpu-2g": 2, "a2-highgpu-4g": 4, "a2-highgpu-8g": 8, "a2-megagpu-16g": 16,
});
const a2Ultra = family("nvidia-a100-80gb", { "a2-ultragpu-1g": 1, "a2-ultragpu-2g": 2, "a2-ultragpu-4g": 4, "a2-ultragpu-8g": 8 });

const ncT4 = family("nvidia-tesla-t4", {
    Standard_NC4as_T4_v3: 1, Standard_NC8as_T4_v3: 1, Standard_NC16as_T4_v3: 1, Standard_NC64as_T4_v3: 4,
});

/** Every GPU machine type in the table, per cloud. */
export const gpuInstanceTypes: Readonly<Record<GpuCloud, Readonly<Record<string, GpuInstanceType>>>> = {
    eks: { ...g4dn, ...g5, ...g6, ...p4d },
    gke: { ...g2, ...a2High, ...a2Ultra },
    aks: { ...ncT4 },
};

/**
 * Regions of the shipped stacks and the GPU machine types offered there. eu-west-1 (Ireland) has
 * G4dn, G5 and P4d but no G6 (L4); europe-west4 has L4 (G2) and A100 (A2) zones; westeurope has the
 * NCasT4_v3 series.
 */
export const gpuRegions: Readonly<Record<GpuCloud, Readonly<Record<string, readonly string[]>>>> = {
    eks: { "eu-west-1": Object.keys({ ...g4dn, ...g5, ...p4d }) },
    gke: { "europe-west4": Object.keys({ ...g2, ...a2High, ...a2Ultra }) },
    aks: { westeurope: Object.keys(ncT4) },
};

/** What the table says about `instanceType` in `region`. */
export type GpuOffering =
    | { kind: "offered"; type: GpuInstanceType }
    /** The region is in the table and does not offer the type (`offered` lists what it does offer). */
    | { kind: "not-offered"; offered: readonly string[]; type?: GpuInstanceType }
    /** The region is not in the table: nothing can be said. */
    | { kind: "unknown-region"; type?: GpuInstanceType };

/** Look `instanceType` up in `region` of `cloud` (Azure regions compare case-insensitively, as Azure does). */
export function gpuOffering(cloud: GpuCloud, region: string, instanceType: string): GpuOffering {
    const type = gpuInstanceTypes[cloud][instanceType];
    const regionKey = Object.keys(gpuRegions[cloud]).find((r) => (cloud === "aks" ? r.toLowerCase() === region.toLowerCase() : r === region));
    if (regionKey === undefined) return { kind: "unknown-region", type };
    const offered = gpuRegions[cloud][regionKey];
    if (type && offered.includes(instanceType)) return { kind: "offered", type };
    return { kind: "not-offered", offered, type };
}
