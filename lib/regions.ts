/**
 * Region names of the three managed clouds and the form of their zone names, so that config
 * refuses a region or zone that does not exist (`eu-west-9`, `europe-west4` on eks, zone `a`)
 * before a cloud API does, half-way through a `pulumi up`. A region opened after this list was
 * written is refused too: add it here.
 */

/** AWS commercial, GovCloud, China and European Sovereign Cloud regions. */
const aws = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1", "eu-south-2", "eu-north-1",
    "il-central-1", "me-south-1", "me-central-1", "af-south-1",
    "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3",
    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
    "us-gov-east-1", "us-gov-west-1", "cn-north-1", "cn-northwest-1", "eusc-de-east-1",
];

/** Google Cloud regions. */
const gcp = [
    "us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west2", "us-west3", "us-west4",
    "northamerica-northeast1", "northamerica-northeast2", "northamerica-south1", "southamerica-east1", "southamerica-west1",
    "europe-central2", "europe-north1", "europe-north2", "europe-southwest1", "europe-west1", "europe-west2", "europe-west3",
    "europe-west4", "europe-west6", "europe-west8", "europe-west9", "europe-west10", "europe-west12",
    "me-central1", "me-central2", "me-west1", "africa-south1",
    "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast2", "asia-northeast3", "asia-south1", "asia-south2",
    "asia-southeast1", "asia-southeast2", "asia-southeast3", "australia-southeast1", "australia-southeast2",
];

/** Azure locations (the short names `az account list-locations` prints). */
const azure = [
    "eastus", "eastus2", "centralus", "northcentralus", "southcentralus", "westcentralus", "westus", "westus2", "westus3",
    "canadacentral", "canadaeast", "brazilsouth", "brazilsoutheast", "mexicocentral", "chilecentral",
    "northeurope", "westeurope", "uksouth", "ukwest", "francecentral", "francesouth", "germanywestcentral", "germanynorth",
    "switzerlandnorth", "switzerlandwest", "norwayeast", "norwaywest", "swedencentral", "swedensouth", "polandcentral",
    "italynorth", "spaincentral", "austriaeast", "belgiumcentral", "denmarkeast",
    "uaenorth", "uaecentral", "qatarcentral", "israelcentral", "southafricanorth", "southafricawest",
    "centralindia", "southindia", "westindia", "jioindiawest", "jioindiacentral",
    "eastasia", "southeastasia", "japaneast", "japanwest", "koreacentral", "koreasouth",
    "australiaeast", "australiasoutheast", "australiacentral", "australiacentral2", "newzealandnorth",
    "indonesiacentral", "malaysiawest",
];

/** The regions of each managed cloud, by cluster provider. */
export const CLOUD_REGIONS: Readonly<Record<"eks" | "gke" | "aks", readonly string[]>> = { eks: aws, gke: gcp, aks: azure };

/**
 * Whether `zone` names a zone of `region` on the provider's cloud: AWS `<region><letter>`
 * (eu-west-1a), GCP `<region>-<letter>` (europe-west4-a), Azure `1`, `2` or `3`.
 */
export function isZoneOf(provider: "eks" | "gke" | "aks", region: string, zone: string): boolean {
    switch (provider) {
        case "eks": return zone.length === region.length + 1 && zone.startsWith(region) && /[a-f]$/.test(zone);
        case "gke": return zone.length === region.length + 2 && zone.startsWith(`${region}-`) && /[a-f]$/.test(zone);
        case "aks": return /^[123]$/.test(zone);
    }
}

/** An example zone of `region`, for messages. */
export function exampleZone(provider: "eks" | "gke" | "aks", region: string): string {
    return provider === "eks" ? `${region}a` : provider === "gke" ? `${region}-a` : "1";
}
