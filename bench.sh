#!/usr/bin/env bash
# Benchmarks: builds modbackup, then measures backup, restore and S3 against baselines in one run
# and prints a table of ratios. Arguments go to the runner: [--size 2GiB] [--segment 4MiB]
# [--dir DIR] [--no-s3] [--no-heap-check]. restic is used as a baseline when installed.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -q -B install -DskipTests
./mvnw -q -B -pl backup-bench dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt
exec java -Xmx1g -cp "backup-bench/target/classes:$(cat backup-bench/target/bench-classpath.txt)" \
  io.modbackup.bench.Benchmark "$@"
