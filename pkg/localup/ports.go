package localup

import (
	"fmt"
	"net"
	"strconv"
)

// Ports is the loopback port plan of an environment, derived from the scenario's base port.
// Control-plane ports come first, then a block of memberPortBlock ports per member.
type Ports struct {
	EtcdClient, EtcdPeer int

	KarmadaAPIServer           int
	KarmadaAggregatedAPIServer int
	KarmadaWebhook             int
	KarmadaWebhookHealth       int
	KarmadaControllerMetrics   int
	KarmadaControllerHealth    int
	KarmadaSchedulerMetrics    int
	KarmadaSchedulerHealth     int
	// KarmadaKubeControllerManager serves the kube-controller-manager of the Karmada apiserver.
	KarmadaKubeControllerManager int

	// KuratorAPIServer serves the kurator.dev API groups behind the Karmada apiserver.
	KuratorAPIServer int
	// KuratorScheduler serves kurator-scheduler's metrics and health probes.
	KuratorSchedulerMetrics, KuratorSchedulerHealth int
	// KuratorControllerManager serves the fleet queue's webhook, health probes and metrics.
	KuratorWebhook, KuratorControllerHealth, KuratorControllerMetrics int

	ThanosQueryHTTP, ThanosQueryGRPC int
	Exporter                         int

	Members map[string]MemberPorts
}

// MemberPorts are the ports of one member's processes.
type MemberPorts struct {
	APIServer           int
	ControllerManager   int
	Scheduler           int
	Kwok                int
	VolcanoScheduler    int
	VolcanoSchedulerHz  int
	VolcanoController   int
	VolcanoControllerHz int
	Prometheus          int
	SidecarHTTP         int
	SidecarGRPC         int
	EstimatorGRPC       int
	EstimatorHealth     int
	EstimatorMetrics    int
}

const (
	controlPlanePorts = 100
	memberPortBlock   = 20
)

// PortRangeSize is how many ports from the base port an environment of n members uses.
func PortRangeSize(members int) int {
	return controlPlanePorts + members*memberPortBlock
}

// PlanPorts lays out the ports of a scenario.
func PlanPorts(s *Scenario) Ports {
	b := s.BasePort
	p := Ports{
		EtcdClient:                   b,
		EtcdPeer:                     b + 1,
		KarmadaAPIServer:             b + 10,
		KarmadaAggregatedAPIServer:   b + 11,
		KarmadaWebhook:               b + 12,
		KarmadaWebhookHealth:         b + 13,
		KarmadaControllerMetrics:     b + 14,
		KarmadaControllerHealth:      b + 15,
		KarmadaSchedulerMetrics:      b + 16,
		KarmadaSchedulerHealth:       b + 17,
		KarmadaKubeControllerManager: b + 18,
		KuratorAPIServer:             b + 20,
		KuratorSchedulerMetrics:      b + 21,
		KuratorSchedulerHealth:       b + 22,
		KuratorWebhook:               b + 23,
		KuratorControllerHealth:      b + 24,
		KuratorControllerMetrics:     b + 25,
		ThanosQueryHTTP:              b + 30,
		ThanosQueryGRPC:              b + 31,
		Exporter:                     b + 32,
		Members:                      map[string]MemberPorts{},
	}
	for i, m := range s.Members {
		mb := b + controlPlanePorts + i*memberPortBlock
		p.Members[m.Name] = MemberPorts{
			APIServer:           mb,
			ControllerManager:   mb + 1,
			Scheduler:           mb + 2,
			Kwok:                mb + 3,
			VolcanoScheduler:    mb + 4,
			VolcanoSchedulerHz:  mb + 5,
			VolcanoController:   mb + 6,
			VolcanoControllerHz: mb + 7,
			Prometheus:          mb + 8,
			SidecarHTTP:         mb + 9,
			SidecarGRPC:         mb + 10,
			EstimatorGRPC:       mb + 11,
			EstimatorHealth:     mb + 12,
			EstimatorMetrics:    mb + 13,
		}
	}
	return p
}

// Addr returns the loopback address of a port.
func Addr(port int) string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
}

// CheckPortFree returns an error naming the port and its user when the port cannot be bound.
func CheckPortFree(port int, user string) error {
	l, err := net.Listen("tcp", Addr(port))
	if err != nil {
		return fmt.Errorf("port %d (for %s) is in use on 127.0.0.1: stop what holds it (`ss -ltnp 'sport = :%d'` shows it) or set basePort in the scenario to move every port: %w", port, user, port, err)
	}
	return l.Close()
}
