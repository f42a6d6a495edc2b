// Package shim exposes the Terraform random provider to the Pulumi bridge.
// Its import path sits under the provider's module path so that it may import
// the provider's internal package.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	tf "github.com/terraform-providers/terraform-provider-random/internal/provider"
)

// NewProvider returns the Terraform Plugin Framework provider.
func NewProvider() provider.Provider { return tf.New() }
