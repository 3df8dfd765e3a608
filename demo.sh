#!/usr/bin/env bash
# The main job: builds modbackup, then runs the demo on the simulated cluster with the
# local-directory provider in a fresh temporary directory. Optional: a directory to use instead.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -q -B install -DskipTests
./mvnw -q -B -pl backup-demo exec:java ${1:+-Dexec.args="$1"}
