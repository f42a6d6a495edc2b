// Package info holds the bridge configuration for the tls provider used by the e2e test.
// It is written for this repository; the token layout follows the published @pulumi/tls SDK
// (tls:index/privateKey:PrivateKey, ...).
package info

import (
	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge"
	"github.com/pulumi/pulumi-terraform-bridge/v3/pkg/tfbridge/tokens"

	"github.com/hashicorp/terraform-provider-tls/shim"
)

// Provider returns the bridge configuration. metadata is the bridge-metadata.json written by tfgen
// (nil when running tfgen itself).
func Provider(version string, metadata []byte) tfbridge.ProviderInfo {
	prov := tfbridge.ProviderInfo{
		P:            pftfbridge.ShimProvider(shim.NewProvider()),
		Name:         "tls",
		Description:  "A Pulumi package to create TLS resources in Pulumi programs.",
		Keywords:     []string{"pulumi", "tls"},
		License:      "Apache-2.0",
		Homepage:     "https://pulumi.io",
		Repository:   "https://github.com/pulumi/pulumi-tls",
		GitHubOrg:    "hashicorp",
		Version:      version,
		MetadataInfo: tfbridge.NewProviderMetadata(metadata),

		EnableZeroDefaultSchemaVersion: true,
		EnableAccurateBridgePreview:    true,
	}
	// tls_private_key -> tls:index/privateKey:PrivateKey
	prov.MustComputeTokens(tokens.SingleModule("tls_", "index", tokens.MakeStandard("tls")))
	return prov
}
