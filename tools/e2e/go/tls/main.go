// Command pulumi-resource-tls serves the bridged Terraform tls provider to the Pulumi engine.
// gen/ (schema.json, bridge-metadata.json) is written by cmd/tfgen at build time in a build
// directory outside the repository; see ../build-providers.sh.
package main

import (
	"context"
	_ "embed"
	"encoding/json"

	pftfbridge "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfbridge"

	"hybridml-e2e/pulumi-resource-tls/info"
)

// version is set with -ldflags "-X main.version=...".
var version = "5.6.1"

//go:embed gen/schema.json
var schema []byte

//go:embed gen/bridge-metadata.json
var metadata []byte

func main() {
	pftfbridge.Main(context.Background(), "tls", info.Provider(version, metadata),
		pftfbridge.ProviderMetadata{PackageSchema: withVersion(schema, version)})
}

// withVersion stamps the version into the schema (tfgen leaves it out).
func withVersion(s []byte, v string) []byte {
	var m map[string]any
	if err := json.Unmarshal(s, &m); err != nil {
		return s
	}
	m["version"] = v
	out, err := json.Marshal(m)
	if err != nil {
		return s
	}
	return out
}
