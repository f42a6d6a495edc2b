// Package remote implements command:remote:Command: run a shell command over SSH on create, update and delete.
package remote

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"

	"hybridml-e2e/pulumi-resource-command/lifecycle"
)

// Connection is how to reach the remote host (command:remote:Connection).
type Connection struct {
	Host       string   `pulumi:"host"`
	Port       *float64 `pulumi:"port,optional"`
	User       *string  `pulumi:"user,optional"`
	Password   *string  `pulumi:"password,optional" provider:"secret"`
	PrivateKey *string  `pulumi:"privateKey,optional" provider:"secret"`
}

// Annotate documents the connection type.
func (c *Connection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint.")
	a.Describe(&c.Host, "The address of the resource to connect to.")
	a.Describe(&c.Port, "The port to connect to.")
	a.SetDefault(&c.Port, 22.0)
	a.Describe(&c.User, "The user that we should use for the connection.")
	a.SetDefault(&c.User, "root")
	a.Describe(&c.Password, "The password we should use for the connection.")
	a.Describe(&c.PrivateKey, "The contents of an SSH key to use for the connection. This takes preference over the password if provided.")
}

// CommandArgs are the inputs of a remote command.
type CommandArgs struct {
	Connection  Connection        `pulumi:"connection"`
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

// Command runs a command on a remote host over SSH.
type Command struct{}

// Annotate documents the resource.
func (c *Command) Annotate(a infer.Annotator) {
	a.Describe(&c, "A command to run on a remote host. The connection is established via ssh.")
}

// Annotate documents the inputs.
func (c *CommandArgs) Annotate(a infer.Annotator) {
	a.Describe(&c.Connection, "The parameters with which to connect to the remote host.")
	a.Describe(&c.Environment, "Additional environment variables available to the command's process.")
	a.Describe(&c.Triggers, "Trigger replacements on changes to this input.")
	a.Describe(&c.Create, "The command to run on create.")
	a.Describe(&c.Delete, "The command to run on delete. PULUMI_COMMAND_STDOUT and PULUMI_COMMAND_STDERR hold the last output.")
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

// Delete runs `delete` with the connection and environment recorded in the state.
func (*Command) Delete(ctx context.Context, req infer.DeleteRequest[CommandState]) (infer.DeleteResponse, error) {
	return lifecycle.Delete(ctx, req.State, req.State.commands())
}

// Run runs one command and records its output in the state.
func (s *CommandState) Run(ctx context.Context, cmd string) error {
	client, err := dial(ctx, s.Connection)
	if err != nil {
		return err
	}
	defer client.Close()
	session, err := client.NewSession()
	if err != nil {
		return err
	}
	defer session.Close()

	log := p.GetLogger(ctx)
	for k, v := range s.Environment {
		if err := session.Setenv(k, v); err != nil {
			return fmt.Errorf("could not set environment variable %q (the SSH server must accept it via AcceptEnv): %w", k, err)
		}
	}
	for k, v := range map[string]string{"PULUMI_COMMAND_STDOUT": s.Stdout, "PULUMI_COMMAND_STDERR": s.Stderr} {
		if v != "" {
			if err := session.Setenv(k, v); err != nil {
				log.Debugf("could not set %s (the SSH server does not accept it): %v", k, err)
			}
		}
	}
	if s.Stdin != nil && *s.Stdin != "" {
		session.Stdin = strings.NewReader(*s.Stdin)
	}
	var stdout, stderr, both bytes.Buffer
	session.Stdout = io.MultiWriter(&stdout, &both)
	session.Stderr = io.MultiWriter(&stderr, &both)
	if err := session.Run(cmd); err != nil {
		return fmt.Errorf("%w: running %q:\n%s", err, cmd, both.String())
	}
	s.Stdout = strings.TrimSuffix(stdout.String(), "\n")
	s.Stderr = strings.TrimSuffix(stderr.String(), "\n")
	return nil
}

func dial(ctx context.Context, c Connection) (*ssh.Client, error) {
	port := 22
	if c.Port != nil {
		port = int(*c.Port)
	}
	user := "root"
	if c.User != nil {
		user = *c.User
	}
	var auth []ssh.AuthMethod
	if c.PrivateKey != nil && *c.PrivateKey != "" {
		signer, err := ssh.ParsePrivateKey([]byte(*c.PrivateKey))
		if err != nil {
			return nil, fmt.Errorf("parsing the private key: %w", err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if c.Password != nil && *c.Password != "" {
		pw := *c.Password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, qs []string, _ []bool) ([]string, error) {
				answers := make([]string, len(qs))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	if sock := os.Getenv("SSH_AUTH_SOCK"); sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			auth = append(auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		}
	}
	cfg := &ssh.ClientConfig{
		User:            user,
		Auth:            auth,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         30 * time.Second,
	}
	addr := net.JoinHostPort(c.Host, strconv.Itoa(port))
	// A host that was just created may not accept connections yet: retry a few times.
	var lastErr error
	for attempt := 0; attempt < 10; attempt++ {
		client, err := ssh.Dial("tcp", addr, cfg)
		if err == nil {
			return client, nil
		}
		lastErr = err
		wait := time.Duration(1<<min(attempt, 3)) * time.Second
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	return nil, fmt.Errorf("connecting to %s: %w", addr, lastErr)
}
