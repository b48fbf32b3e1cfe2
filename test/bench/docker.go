package main

import (
	"os/exec"
	"time"
)

// Docker start-to-exit: `docker run --rm IMAGE true` with runc and with runsc's runtime,
// through the dockerd the docker CLI reaches (DOCKER_HOST), alternating in the same run.
// Off unless -docker names an image: the daemon, the image (with a true on its PATH) and
// runsc's registration (`runsc install`, under the name -docker-runtime) are the caller's,
// as in test/integration/docker.sh, which runs this row.

// dockerRun runs `docker run --rm --runtime=runtime image true` once and returns its wall time.
func dockerRun(runtime, image string) (time.Duration, error) {
	_, d, err := runOnce(exec.Command("docker", "run", "--rm", "--runtime="+runtime, image, "true"))
	return d, err
}

// dockerRow measures runc and runsc's runtime running image, alternately: the first result
// is runc's (the baseline the table calls native), the second runsc's.
func dockerRow(image, runtime string) ([]time.Duration, error) {
	return medianPair(
		func(int) (time.Duration, error) { return dockerRun("runc", image) },
		func(int) (time.Duration, error) { return dockerRun(runtime, image) },
		"docker run with runc", "docker run with "+runtime)
}
