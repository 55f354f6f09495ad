// kube-node: the node and controller components of Kubernetes, built from the same k8s.io/kubernetes
// module as kube-control-plane (../go.mod), in ONE binary that dispatches on its first argument (as
// hyperkube once did), so the packages they share are compiled and linked once:
//
//	kube-node kubelet|kube-controller-manager|kube-scheduler|kube-proxy|kubectl [flags of that component]
//
// scripts/real-node.sh builds it and runs a single-node cluster with it beside kube-control-plane.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	_ "time/tzdata" // kube-controller-manager: CronJob time zones

	"github.com/spf13/cobra"
	_ "k8s.io/client-go/plugin/pkg/client/auth" // kubectl: auth plugins
	"k8s.io/component-base/cli"
	"k8s.io/component-base/logs"
	_ "k8s.io/component-base/logs/json/register"          // --logging-format=json
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // client-go metrics
	_ "k8s.io/component-base/metrics/prometheus/version"  // version metric
	kubectl "k8s.io/kubectl/pkg/cmd"
	kubectlutil "k8s.io/kubectl/pkg/cmd/util"
	controllermanager "k8s.io/kubernetes/cmd/kube-controller-manager/app"
	proxy "k8s.io/kubernetes/cmd/kube-proxy/app"
	scheduler "k8s.io/kubernetes/cmd/kube-scheduler/app"
	kubelet "k8s.io/kubernetes/cmd/kubelet/app"
)

var commands = map[string]func(args []string) int{
	"kubelet":                 func(args []string) int { return run(kubelet.NewKubeletCommand(context.Background()), args) },
	"kube-controller-manager": func(args []string) int { return run(controllermanager.NewControllerManagerCommand(), args) },
	"kube-scheduler":          func(args []string) int { return run(scheduler.NewSchedulerCommand(), args) },
	"kube-proxy":              func(args []string) int { return run(proxy.NewProxyCommand(), args) },
	"kubectl":                 runKubectl,
}

func run(command *cobra.Command, args []string) int {
	command.SetArgs(args)
	return cli.Run(command)
}

// runKubectl does what cmd/kubectl/kubectl.go does.
func runKubectl(args []string) int {
	_, _ = logs.GlogSetter(kubectl.GetLogVerbosity(args))
	command := kubectl.NewDefaultKubectlCommand()
	command.SetArgs(args)
	if err := cli.RunNoErrOutput(command); err != nil {
		kubectlutil.CheckErr(err) // prints the error and exits non-zero
	}
	return 0
}

func main() {
	name := ""
	if len(os.Args) > 1 {
		name = os.Args[1]
	}
	command, ok := commands[name]
	if !ok {
		names := make([]string, 0, len(commands))
		for n := range commands {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: %s %v [flags]\n", filepath.Base(os.Args[0]), names)
		os.Exit(2)
	}
	os.Exit(command(os.Args[2:]))
}
