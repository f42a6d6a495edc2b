// Command pulumi-resource-command is a small command provider written for this repository's e2e test.
// The upstream provider (github.com/pulumi/pulumi-command/provider) is not served by the module proxy
// this machine reaches, so this re-implements the part of its interface that the pinned
// @pulumi/command npm SDK exposes and the stacks use: command:remote:Command and command:local:Command.
package main

import (
	"context"
	"fmt"
	"os"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"

	"hybridml-e2e/pulumi-resource-command/local"
	"hybridml-e2e/pulumi-resource-command/remote"
)

// version is set with -ldflags "-X main.version=...".
var version = "4.5.0"

func main() {
	prov, err := infer.NewProviderBuilder().
		WithDescription("Run commands locally or over SSH (e2e test provider).").
		WithResources(
			infer.Resource(&remote.Command{}),
			infer.Resource(&local.Command{}),
		).
		Build()
	if err == nil {
		err = p.RunProvider(context.Background(), "command", version, prov)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(1)
	}
}
