#!/usr/bin/env bash
# The main job: builds modbackup, then runs the demo: a Conductor and three Supervisors, each in its
# own JVM, with the local-directory provider, in a fresh temporary directory (or the directory given).
# The cluster keeps running afterwards for bin/backup; bin/cluster stop DIR stops it.
set -euo pipefail
cd "$(dirname "$0")"
# Maven is quiet (-q): say what runs meanwhile, since a first build takes a minute or more.
echo "building modbackup (./mvnw install -DskipTests; a first build fetches Maven and the dependencies)..."
start=$(date +%s)
./mvnw -q -B install -DskipTests
echo "built in $(( $(date +%s) - start )) s; starting the demo cluster"
./mvnw -q -B -pl backup-demo dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$PWD/backup-demo/target/runtime-classpath.txt"
exec java -cp "backup-demo/target/classes:$(cat backup-demo/target/runtime-classpath.txt)" io.modbackup.demo.Demo "$@"
