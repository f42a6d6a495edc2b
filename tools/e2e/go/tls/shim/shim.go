// Package shim exposes the Terraform tls provider to the Pulumi bridge.
// Its import path sits under the provider's module path so that it may import
// the provider's internal package.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	tf "github.com/hashicorp/terraform-provider-tls/internal/provider"
)

// NewProvider returns the Terraform Plugin Framework provider.
func NewProvider() provider.Provider { return tf.New() }
