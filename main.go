// Command replikube is the Replikube binary: the Redis-protocol data plane
// (`replikube server`) and, with the operator work, the Kubernetes operator
// (`replikube manager`). main only dispatches subcommands and turns
// SIGTERM/SIGINT into a cancelled context.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/replikube/replikube/internal/manager"
	"github.com/replikube/replikube/internal/redis/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `Usage: replikube <command> [arguments]

Commands:
  server    run the Redis 7.0 compatible data plane (redis-server arguments)
  manager   run the Kubernetes operator (replikube manager -h lists its flags)
  version   print the version
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	server.Version = version
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	var code int
	switch os.Args[1] {
	case "server":
		code = server.Run(ctx, os.Args[2:], os.Stdout, os.Stderr)
	case "manager":
		code = manager.Run(ctx, os.Args[2:])
	case "version", "--version":
		fmt.Println("replikube", version)
	case "help", "-h", "--help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "replikube: unknown command %q\n\n%s", os.Args[1], usage)
		code = 2
	}
	stop()
	os.Exit(code)
}
