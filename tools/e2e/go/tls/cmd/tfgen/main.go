// Command tfgen writes schema.json and bridge-metadata.json for the tls provider
// (run: tfgen schema --out DIR --skip-docs --skip-examples).
package main

import (
	"os"

	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"hybridml-e2e/pulumi-resource-tls/info"
)

func main() {
	version := os.Getenv("PROVIDER_VERSION")
	if version == "" {
		version = "5.6.1"
	}
	pftfgen.Main("tls", info.Provider(version, nil))
}
