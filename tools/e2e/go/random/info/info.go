// Package info holds the bridge configuration for the random provider used by the e2e test.
// It is written for this repository; the token layout follows the published @pulumi/random SDK
// (random:index/randomPassword:RandomPassword, ...).
package info

import (
	"context"
	"errors"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"

	"github.com/terraform-providers/terraform-provider-random/shim"
)

// Provider returns the bridge configuration. metadata is the bridge-metadata.json written by tfgen
// (nil when running tfgen itself).
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:            pftfbridge.ShimProvider(shim.NewProvider()),
		Name:         "random",
		Description:  "A Pulumi package to safely use randomness in Pulumi programs.",
		Keywords:     []string{"pulumi", "random"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-random",
		Version:      version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),
		Resources: map[string]*tfbridge.ResourceInfo{
			// random_bytes has no "id" attribute; use its base64 value as the Pulumi ID.
			"random_bytes": {ComputeID: bytesID},
		},
		EnableAccurateBridgePreview: true,
		EnableRawStateDelta:         true,
	}
	// random_password -> random:index/randomPassword:RandomPassword
	prov.MustComputeTokens(tokens.SingleModule("random_", "index",
		func(module, name string) (string, error) {
			return tokens.MakeStandard("random")(module, "Random"+name)
		}))
	prov.MustApplyAutoAliases()
	return prov
}

func bytesID(_ context.Context, state resource.PropertyMap) (resource.ID, error) {
	v, ok := state["base64"]
	if !ok {
		return "", errors.New("random_bytes state has no base64 property")
	}
	if v.IsSecret() {
		v = v.SecretValue().Element
	}
	if !v.IsString() {
		return "", errors.New("random_bytes base64 property is not a string")
	}
	return resource.ID(v.StringValue()), nil
}
