// Command tfgen writes schema.json and bridge-metadata.json for the random provider
// (run: tfgen schema --out DIR --skip-docs --skip-examples).
package main

import (
	"os"

	pftfgen "github.com/pulumi/pulumi-terraform-bridge/v3/pkg/pf/tfgen"

	"hybridml-e2e/pulumi-resource-random/info"
)

func main() {
	version := os.Getenv("PROVIDER_VERSION")
	if version == "" {
		version = "4.21.2"
	}
	pftfgen.Main("random", info.Provider(version, nil))
}
