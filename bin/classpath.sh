# Sourced by the scripts in bin/: the runtime classpath of the demo and the cluster (no test library),
# built on first use, then every jar in lib/ (drop-in providers such as backup-s3-…-all.jar or
# backup-azure-…-all.jar), as a Conductor's and Supervisor's lib/ would hold them.
modbackup_classpath() {
  local cp_file="$top/backup-demo/target/runtime-classpath.txt"
  if [ ! -f "$cp_file" ] || [ ! -d "$top/backup-demo/target/classes" ]; then
    (cd "$top" && ./mvnw -q -B install -DskipTests >&2 \
      && ./mvnw -q -B -pl backup-demo dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$cp_file" >&2)
  fi
  local cp="$top/backup-demo/target/classes:$(cat "$cp_file")"
  local jar
  for jar in "$top"/lib/*.jar; do
    [ -f "$jar" ] && cp="$cp:$jar"
  done
  echo "$cp"
}
