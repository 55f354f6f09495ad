// One binary for the Argo CD components Kure's end-to-end tests run, dispatching on the name it is
// called by, like upstream's cmd/main.go (symlinks argocd-application-controller, argocd-repo-server,
// and argocd / argocd-git-ask-pass, which the repo-server runs as git's askpass helper with
// ARGOCD_BINARY_NAME=argocd-git-ask-pass). Only these commands are linked in: the API server, UI,
// Dex, notifications and the CLI are not needed to reconcile Applications.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	// Upstream's main gets this through the CLI. grpc.DisableSRVLookups below switches off a
	// variable of this package and panics when it is not linked in ("The GRPC SRV requests
	// workaround failed: enableSRVLookups expected to be true"; checked).
	_ "google.golang.org/grpc/balancer/grpclb"
	"k8s.io/klog/v2"

	appcontroller "github.com/argoproj/argo-cd/v3/cmd/argocd-application-controller/commands"
	gitaskpass "github.com/argoproj/argo-cd/v3/cmd/argocd-git-ask-pass/commands"
	reposerver "github.com/argoproj/argo-cd/v3/cmd/argocd-repo-server/commands"
	"github.com/argoproj/argo-cd/v3/common"
	"github.com/argoproj/argo-cd/v3/util/grpc"
	"github.com/argoproj/argo-cd/v3/util/log"
)

func init() {
	// As upstream: klog uses the configured log level and format.
	klog.SetLogger(log.NewLogrusLogger(log.NewWithCurrentConfig()))
}

func main() {
	grpc.DisableSRVLookups() // as upstream: the workaround for the gRPC SRV lookup bug
	name := filepath.Base(os.Args[0])
	if v := os.Getenv("ARGOCD_BINARY_NAME"); v != "" {
		name = v
	}
	var command *cobra.Command
	switch name {
	case common.CommandApplicationController:
		command = appcontroller.NewCommand()
	case common.CommandRepoServer:
		command = reposerver.NewCommand()
	case common.CommandGitAskPass:
		command = gitaskpass.NewCommand()
	default:
		fmt.Fprintf(os.Stderr, "%s: call me as %s, %s or %s (a symlink, or ARGOCD_BINARY_NAME)\n", name,
			common.CommandApplicationController, common.CommandRepoServer, common.CommandGitAskPass)
		os.Exit(2)
	}
	if err := command.Execute(); err != nil {
		os.Exit(1)
	}
}
