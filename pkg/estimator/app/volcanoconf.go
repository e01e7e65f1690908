package app

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"kurator.dev/kurator/pkg/estimator"
)

// schedulerConf is the part of a vc-scheduler configuration file (--scheduler-conf) that
// changes admission.
type schedulerConf struct {
	Actions string `json:"actions"`
	Tiers   []struct {
		Plugins []struct {
			Name              string         `json:"name"`
			EnablePreemptable *bool          `json:"enablePreemptable,omitempty"`
			EnableReclaimable *bool          `json:"enableReclaimable,omitempty"`
			Arguments         map[string]any `json:"arguments,omitempty"`
		} `json:"plugins"`
	} `json:"tiers"`
}

// VolcanoConfigFromFile derives the model configuration from a vc-scheduler configuration
// file: the queue plugin (capacity or proportion, whichever the tiers list), the preempt and
// reclaim actions, the overcommit plugin and its overcommit-factor, and whether the gang
// plugin takes part in choosing preempt and reclaim victims. The default queue is a
// vc-scheduler flag, not part of the file, and is left as in base.
func VolcanoConfigFromFile(path string, base estimator.Config) (estimator.Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return base, fmt.Errorf("reading the Volcano scheduler configuration: %w", err)
	}
	return volcanoConfig(data, base)
}

func volcanoConfig(data []byte, base estimator.Config) (estimator.Config, error) {
	var conf schedulerConf
	if err := yaml.Unmarshal(data, &conf); err != nil {
		return base, fmt.Errorf("parsing the Volcano scheduler configuration: %w", err)
	}
	cfg := base
	cfg.Preempt, cfg.Reclaim = false, false
	for _, a := range strings.Split(conf.Actions, ",") {
		switch strings.TrimSpace(a) {
		case "preempt":
			cfg.Preempt = true
		case "reclaim":
			cfg.Reclaim = true
		}
	}
	cfg.QueuePlugin = estimator.QueuePluginNone
	cfg.OvercommitFactor = 0
	cfg.PreemptKeepsMinAvailable, cfg.ReclaimKeepsMinAvailable = false, false
	for _, tier := range conf.Tiers {
		for _, p := range tier.Plugins {
			switch p.Name {
			case "capacity":
				cfg.QueuePlugin = estimator.QueuePluginCapacity
			case "proportion":
				if cfg.QueuePlugin != estimator.QueuePluginCapacity {
					cfg.QueuePlugin = estimator.QueuePluginProportion
				}
			case "overcommit":
				cfg.OvercommitFactor = estimator.DefaultOvercommitFactor
				if v, ok := p.Arguments["overcommit-factor"]; ok {
					f, err := toFloat(v)
					if err != nil {
						return base, fmt.Errorf("overcommit plugin argument overcommit-factor %v: %w", v, err)
					}
					cfg.OvercommitFactor = f
				}
			case "gang":
				cfg.PreemptKeepsMinAvailable = p.EnablePreemptable == nil || *p.EnablePreemptable
				cfg.ReclaimKeepsMinAvailable = p.EnableReclaimable == nil || *p.EnableReclaimable
			}
		}
	}
	return cfg, nil
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	case int:
		return float64(x), nil
	case string:
		return strconv.ParseFloat(x, 64)
	}
	return 0, fmt.Errorf("not a number")
}
