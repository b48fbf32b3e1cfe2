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
// There is one pid namespace (docs/architecture.md lists this as a gap): a joining
// container's init is not pid 1 and has no parent in the sandbox. Two rules of a pid
// namespace's init are kept for it: orphans of its container are given to it (unless a
// subreaper is nearer), and when it exits, every other process of its container is
// killed, and processes it leaves behind are reaped as they exit, as Linux's
// zap_pid_ns_processes does. Signals from inside reach it as any process's do (no init
// protection, as with Kubernetes' shareProcessNamespace).

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
