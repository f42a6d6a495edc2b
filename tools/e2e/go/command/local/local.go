// Package local implements command:local:Command: run a command on the machine running Pulumi.
package local

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"

	"hybridml-e2e/pulumi-resource-command/lifecycle"
)

// CommandArgs are the inputs of a local command.
type CommandArgs struct {
	Interpreter *[]string         `pulumi:"interpreter,optional"`
	Dir         *string           `pulumi:"dir,optional"`
	Environment map[string]string `pulumi:"environment,optional"`
	Triggers    []any             `pulumi:"triggers,optional" provider:"replaceOnChanges"`
	Create      *string           `pulumi:"create,optional"`
	Delete      *string           `pulumi:"delete,optional"`
	Update      *string           `pulumi:"update,optional"`
	Stdin       *string           `pulumi:"stdin,optional"`
}

// CommandState is the checkpointed state: the inputs plus the last run's output.
type CommandState struct {
	CommandArgs
	Stdout string `pulumi:"stdout"`
	Stderr string `pulumi:"stderr"`
}

// Command runs a command locally.
type Command struct{}

// Annotate documents the resource.
func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A local command to be executed.")
}

// Annotate documents the inputs.
func (c *CommandArgs) Annotate(a infer.Annotator) {
	a.Describe(&c.Interpreter, "The program and arguments to run the command, default [\"/bin/sh\", \"-c\"].")
	a.Describe(&c.Dir, "The working directory in which to run the command from.")
	a.Describe(&c.Environment, "Additional environment variables available to the command's process.")
	a.Describe(&c.Triggers, "Trigger replacements on changes to this input.")
	a.Describe(&c.Create, "The command to run on create.")
	a.Describe(&c.Delete, "The command to run on delete.")
	a.Describe(&c.Update, "The command to run on update, if empty, create will run again.")
	a.Describe(&c.Stdin, "Pass a string to the command's process as standard in.")
}

func (a CommandArgs) commands() lifecycle.Commands {
	return lifecycle.Commands{Create: a.Create, Update: a.Update, Delete: a.Delete}
}

// Create runs `create` (nothing in a preview).
func (*Command) Create(ctx context.Context, req infer.CreateRequest[CommandArgs]) (infer.CreateResponse[CommandState], error) {
	return lifecycle.Create(ctx, req.Name, req.DryRun, CommandState{CommandArgs: req.Inputs}, req.Inputs.commands())
}

// Update runs `update`, or `create` again when there is no `update`.
func (*Command) Update(ctx context.Context, req infer.UpdateRequest[CommandArgs, CommandState]) (infer.UpdateResponse[CommandState], error) {
	st := CommandState{CommandArgs: req.Inputs, Stdout: req.State.Stdout, Stderr: req.State.Stderr}
	return lifecycle.Update(ctx, req.DryRun, st, req.Inputs.commands())
}

// Delete runs `delete`.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandState]) (infer.DeleteResponse, error) {
	return lifecycle.Delete(ctx, req.State, req.State.commands())
}

// Run runs one command and records its output in the state.
func (s *CommandState) Run(ctx context.Context, command string) error {
	argv := []string{"/bin/sh", "-c"}
	if s.Interpreter != nil && len(*s.Interpreter) > 0 {
		argv = *s.Interpreter
	}
	cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], command)...)
	if s.Dir != nil {
		cmd.Dir = *s.Dir
	}
	cmd.Env = os.Environ()
	for k, v := range s.Environment {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if s.Stdout != "" {
		cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDOUT="+s.Stdout)
	}
	if s.Stderr != "" {
		cmd.Env = append(cmd.Env, "PULUMI_COMMAND_STDERR="+s.Stderr)
	}
	if s.Stdin != nil && *s.Stdin != "" {
		cmd.Stdin = strings.NewReader(*s.Stdin)
	}
	var stdout, stderr, both bytes.Buffer
	cmd.Stdout = io.MultiWriter(&stdout, &both)
	cmd.Stderr = io.MultiWriter(&stderr, &both)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, command, both.String())
	}
	s.Stdout = strings.TrimSuffix(stdout.String(), "\n")
	s.Stderr = strings.TrimSuffix(stderr.String(), "\n")
	return nil
}
