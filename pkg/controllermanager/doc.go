// Package controllermanager is the command line of kurator-controller-manager: the fleet
// queue's admission webhook (every replica) and dispatcher (the elected leader) beside a
// Karmada apiserver.
package controllermanager
