// Package component is the command-line scaffolding kurator's components share: logging
// flags and their feature gates, --version, flag printing, the complete-validate-run order
// and help grouped by flag set.
package component

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	cliflag "k8s.io/component-base/cli/flag"
	logsapi "k8s.io/component-base/logs/api/v1"
	_ "k8s.io/component-base/logs/json/register" // --logging-format=json
	"k8s.io/component-base/term"
	"k8s.io/component-base/version/verflag"
)

func init() {
	utilruntime.Must(logsapi.AddFeatureGates(utilfeature.DefaultMutableFeatureGate))
}

// Options are a component's options.
type Options interface {
	// Complete fills in what the flags leave to be derived.
	Complete() error
	// Validate reports invalid options.
	Validate() error
	// Run runs the component until ctx is done.
	Run(ctx context.Context) error
}

// Command makes cmd, which names and describes the component, run o until ctx is done.
// addFlags adds the options' flags to named flag sets; Command adds the "logs" set (from
// logs) and the "global" one (--version). Help lists the flags by set.
func Command(ctx context.Context, cmd *cobra.Command, o Options, logs *logsapi.LoggingConfiguration, addFlags func(*cliflag.NamedFlagSets)) *cobra.Command {
	cmd.SilenceUsage = true
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		verflag.PrintAndExitIfRequested()
		if err := logsapi.ValidateAndApply(logs, utilfeature.DefaultFeatureGate); err != nil {
			return fmt.Errorf("configuring logging: %w", err)
		}
		cliflag.PrintFlags(cmd.Flags())
		if err := o.Complete(); err != nil {
			return err
		}
		if err := o.Validate(); err != nil {
			return err
		}
		return o.Run(cmd.Context())
	}
	cmd.SetContext(ctx)
	fss := &cliflag.NamedFlagSets{}
	addFlags(fss)
	logsapi.AddFlags(logs, fss.FlagSet("logs"))
	verflag.AddFlags(fss.FlagSet("global"))
	for _, fs := range fss.FlagSets {
		cmd.Flags().AddFlagSet(fs)
	}
	cols, _, _ := term.TerminalSize(cmd.OutOrStdout())
	cliflag.SetUsageAndHelpFunc(cmd, *fss, cols)
	return cmd
}
