package lifecycle

import (
	"context"
	"testing"
)

type fake struct{ ran []string }

func (f *fake) Run(_ context.Context, command string) error {
	f.ran = append(f.ran, command)
	return nil
}

func str(s string) *string { return &s }

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	c := Commands{Create: str("make"), Delete: str("rm")}
	if r, _ := Create[fake](ctx, "x", true, fake{}, c); len(r.Output.ran) != 0 || r.ID == "" {
		t.Fatalf("a preview runs nothing and still gets an ID: %+v", r)
	}
	if r, _ := Create[fake](ctx, "x", false, fake{}, c); len(r.Output.ran) != 1 || r.Output.ran[0] != "make" {
		t.Fatalf("create runs create: %+v", r.Output.ran)
	}
	if r, _ := Update[fake](ctx, false, fake{}, c); len(r.Output.ran) != 1 || r.Output.ran[0] != "make" {
		t.Fatalf("update without update runs create again: %+v", r.Output.ran)
	}
	c.Update = str("patch")
	if r, _ := Update[fake](ctx, false, fake{}, c); r.Output.ran[0] != "patch" {
		t.Fatalf("update runs update: %+v", r.Output.ran)
	}
	if _, err := Delete[fake](ctx, fake{}, Commands{}); err != nil {
		t.Fatalf("delete without delete does nothing: %v", err)
	}
}
