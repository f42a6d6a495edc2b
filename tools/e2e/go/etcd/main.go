// Command etcd runs etcd's own entry point (etcdmain) at the version pinned
// in go.mod.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
