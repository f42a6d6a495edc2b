// Package lifecycle is what command:local:Command and command:remote:Command share: run `create` on
// create (nothing in a preview), `update` or else `create` again on update, `delete` on delete. The
// two differ only in how a command runs (a local process, an SSH session).
package lifecycle

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// State is a command resource's checkpointed state (a pointer to it): it runs one command and records
// the output.
type State[S any] interface {
	*S
	Run(ctx context.Context, command string) error
}

// Commands are the lifecycle commands of a resource's inputs.
type Commands struct{ Create, Update, Delete *string }

// Create runs `create` on `st` (nothing in a preview, or without `create`).
func Create[S any, P State[S]](ctx context.Context, name string, dryRun bool, st S, c Commands) (infer.CreateResponse[S], error) {
	id, err := resource.NewUniqueHex(name, 8, 0)
	if err != nil {
		return infer.CreateResponse[S]{}, err
	}
	if dryRun || c.Create == nil {
		return infer.CreateResponse[S]{ID: id, Output: st}, nil
	}
	err = P(&st).Run(ctx, *c.Create)
	return infer.CreateResponse[S]{ID: id, Output: st}, err
}

// Update runs `update`, or `create` again when there is no `update` (nothing in a preview).
func Update[S any, P State[S]](ctx context.Context, dryRun bool, st S, c Commands) (infer.UpdateResponse[S], error) {
	cmd := c.Update
	if cmd == nil {
		cmd = c.Create
	}
	if dryRun || cmd == nil {
		return infer.UpdateResponse[S]{Output: st}, nil
	}
	err := P(&st).Run(ctx, *cmd)
	return infer.UpdateResponse[S]{Output: st}, err
}

// Delete runs `delete`, if any, with what the state recorded.
func Delete[S any, P State[S]](ctx context.Context, st S, c Commands) (infer.DeleteResponse, error) {
	if c.Delete == nil {
		return infer.DeleteResponse{}, nil
	}
	return infer.DeleteResponse{}, P(&st).Run(ctx, *c.Delete)
}
