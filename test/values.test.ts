import * as assert from "assert";
import { unknownValuesKeys } from "./helpers/values";

describe("Helm values key check", () => {
    it("reports keys the chart's values file does not have, at any depth", () => {
        assert.deepEqual(
            unknownValuesKeys({ crds: { enabled: true }, bogus: 1, csi: { installCsiOperator: true, enableRbdDriver: true } }, "rook/values-rook-ceph.yaml"),
            ["bogus", "csi.enableRbdDriver"],
        );
    });
    it("accepts anything below a free-form default ({} or a list) and below listed free-form paths", () => {
        assert.deepEqual(unknownValuesKeys({ nodeSelector: { "a/b": "c" }, tolerations: [{ key: "x" }] }, "rook/values-rook-ceph.yaml"), []);
        assert.deepEqual(unknownValuesKeys({ bogus: { x: 1 } }, "rook/values-rook-ceph.yaml", ["bogus"]), []);
    });
});
