# Sourced by the scripts in bin/: the runtime classpath of the demo and the cluster (no test library),
# built on first use.
modbackup_classpath() {
  local cp_file="$top/backup-demo/target/runtime-classpath.txt"
  if [ ! -f "$cp_file" ] || [ ! -d "$top/backup-demo/target/classes" ]; then
    (cd "$top" && ./mvnw -q -B install -DskipTests >&2 \
      && ./mvnw -q -B -pl backup-demo dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$cp_file" >&2)
  fi
  echo "$top/backup-demo/target/classes:$(cat "$cp_file")"
}
