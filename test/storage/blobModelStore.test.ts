import assert from "node:assert/strict";
import { BLOB_ROLES, BlobModelStore, blobUriPrefix, storageAccountName } from "../../components/storage/blobModelStore";
import { runMocked, settle } from "../helpers/run";

describe("storage/BlobModelStore", () => {
    it("validates the account name, naming the argument", () => {
        assert.equal(storageAccountName("stprod1234"), "stprod1234");
        assert.throws(() => storageAccountName("st-prod"), /BlobModelStore args\.accountName: "st-prod" is not a valid storage account name/);
        assert.equal(blobUriPrefix("acct", "models"), "https://acct.blob.core.windows.net/models");
    });

    it("its own resource group is retained (and protected by default) with the account and container inside it", async () => {
        for (const protect of [true, false]) {
            const rec = await runMocked(() => new BlobModelStore("m", {
                location: "westeurope", resourceGroupName: "prod-models", accountName: "stprod1234", oidcIssuerUrl: "https://issuer/", protect,
            }));
            for (const type of ["azure-native:resources:ResourceGroup", "azure-native:storage:StorageAccount", "azure-native:storage:BlobContainer"]) {
                assert.deepEqual([rec.one(type).retainOnDelete, rec.one(type).protect], [true, protect], type);
            }
            assert.equal(rec.inputs(rec.one("azure-native:storage:StorageAccount")).resourceGroupName, "prod-models");
            const roles = rec.ofType("azure-native:authorization:RoleAssignment").map((r) => String(rec.inputs(r).roleDefinitionId).split("/").pop()).sort();
            assert.deepEqual(roles, [BLOB_ROLES.reader, BLOB_ROLES.writer].sort());
            assert.equal((await settle(rec.value.objectStore.uriPrefix)).value, "https://stprod1234.blob.core.windows.net/models");
            assert.deepEqual(rec.value.objectStore.writeIdentity.podLabels, { "azure.workload.identity/use": "true" });
        }
    });
});

describe("storage/BlobModelStore: integration with serving", () => {
    const make = () => new BlobModelStore("m", { location: "westeurope", resourceGroupName: "prod-models", accountName: "stprod1234", oidcIssuerUrl: "https://issuer/" });

    it("the URI prefix is built from the account name given, so a preview knows it (no \"[unknown]\" storageUri)", async () => {
        const rec = await runMocked(make, { preview: true });
        const prefix = await settle(rec.value.objectStore.uriPrefix);
        assert.deepEqual([prefix.known, prefix.value], [true, "https://stprod1234.blob.core.windows.net/models"]);
    });

    it("exposes each identity's grants (role assignment on the container, federated credential)", async () => {
        const rec = await runMocked(make);
        for (const [id, identity] of [["reader", rec.value.objectStore.readIdentity], ["writer", rec.value.objectStore.writeIdentity]] as const) {
            const urns = (await Promise.all(identity.grants.map((g) => settle(g.urn)))).map((u) => u.value).sort();
            assert.deepEqual(urns, [
                rec.one("azure-native:authorization:RoleAssignment", `m-${id}`).urn,
                rec.one("azure-native:managedidentity:FederatedIdentityCredential", `m-${id}`).urn,
            ].sort(), id);
            assert.equal(rec.inputs(rec.one("azure-native:authorization:RoleAssignment", `m-${id}`)).scope !== undefined, true);
        }
    });
});
