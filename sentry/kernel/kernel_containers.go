package kernel

import "syscall"

// Containers in one sandbox (a Kubernetes pod).
//
// Every process belongs to a container, named by its id (ThreadGroup.container): init's
// is the sandbox's own container (InitArgs.Container); a container that joins the sandbox
// later gets its init from Spawn with ContainerInit; `runsc exec` spawns into either; fork
// inherits the container. The container is what `runsc ps`, `runsc kill --all`, stats and
// teardown act on.
//
// A joining container's init is normally the init of a pid namespace of its own, a child
// of the sandbox's (Spawn with SpawnArgs.PIDNamespace, pidns.go): pid 1 there, the reaper
// of its container's orphans, and its exit empties the namespace. A container that shares
// the sandbox's pid namespace (Kubernetes' shareProcessNamespace) has an init that is an
// ordinary process of it: orphans go to the sandbox's init, signals from inside reach it
// as any process's do, and when it exits the rest of its container is killed, as
// containerd does for such a container.

// Container returns the id of the container tg belongs to.
func (tg *ThreadGroup) Container() string { return tg.container }

// KillContainer ends every process of container id with SIGKILL.
func (k *Kernel) KillContainer(id string) {
	for _, tg := range k.Processes() {
		if tg.container == id {
			tg.groupExit(ExitStatus{Signo: int(syscall.SIGKILL)})
		}
	}
}

// ContainerInit returns the live init of container id, a container that joined the
// sandbox, or nil.
func (k *Kernel) ContainerInit(id string) *ThreadGroup {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.containerInits[id]
}

// ContainerRunning counts the processes of container id that have not finished exiting
// (zombies excluded).
func (k *Kernel) ContainerRunning(id string) int {
	n := 0
	for _, tg := range k.Processes() {
		if tg.container == id && !tg.IsZombie() {
			n++
		}
	}
	return n
}
