#!/usr/bin/env bash
# Benchmarks: builds modbackup, then measures backup, restore and S3 against baselines in one run
# and prints a table of ratios. Arguments go to the runner: [--size 2GiB] [--segment 4MiB]
# [--dir DIR] [--keep] [--no-cloud] [--no-heap-check]. restic and borg are baselines when installed
# (Debian: apt-get install restic borgbackup).
# The data set is removed at the end unless --keep (only what the run wrote, even with --dir).
# bench.sh cut-pause [--dir DIR]: how long a cut pauses 4, 16 and 64 tasks on 8 Supervisor processes.
# bench.sh interference [--dir DIR] [--entries N]: module latency with no backup, an unlimited and a limited one.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -q -B install -DskipTests
./mvnw -q -B -pl backup-bench dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile=target/bench-classpath.txt
main=io.modbackup.bench.Benchmark
if [ "${1:-}" = "cut-pause" ]; then
  shift
  main=io.modbackup.bench.CutPauseBenchmark
elif [ "${1:-}" = "interference" ]; then
  shift
  main=io.modbackup.bench.InterferenceBenchmark
fi
exec java -Xmx1g -cp "backup-bench/target/classes:$(cat backup-bench/target/bench-classpath.txt)" "$main" "$@"
