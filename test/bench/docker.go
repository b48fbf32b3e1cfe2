package main

import (
	"fmt"
	"os/exec"
	"time"
)

// Docker start-to-exit: `docker run --rm IMAGE true` with runc and with runsc's runtime,
// through the dockerd the docker CLI reaches (DOCKER_HOST), in the same run. Off unless
// -docker names an image: the daemon, the image (with a true on its PATH) and runsc's
// registration (`runsc install`, under the name -docker-runtime) are the caller's, as in
// test/integration/docker.sh, which runs this row.

// medianDockerRun times `docker run --rm --runtime=runtime image true` (after one warm-up).
func medianDockerRun(runtime, image string) (time.Duration, error) {
	var ds []time.Duration
	for i := -1; i < *runsFlag; i++ {
		_, d, err := runOnce(exec.Command("docker", "run", "--rm", "--runtime="+runtime, image, "true"))
		if err != nil {
			return 0, err
		}
		if i >= 0 {
			ds = append(ds, d)
		}
	}
	return median(ds), nil
}

// dockerRow measures runc and runsc's runtime running image: the first result is runc's
// (the baseline the table calls native), the second runsc's.
func dockerRow(image, runtime string) ([]time.Duration, error) {
	rc, err := medianDockerRun("runc", image)
	if err != nil {
		return nil, fmt.Errorf("docker run with runc: %w", err)
	}
	rs, err := medianDockerRun(runtime, image)
	if err != nil {
		return nil, fmt.Errorf("docker run with %s: %w", runtime, err)
	}
	return []time.Duration{rc, rs}, nil
}
