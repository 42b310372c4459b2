# Sourced by the bench/ scripts: builds what is needed and sets
#   SERVER_CP  the server as it is deployed: target/gatehouse.jar, every runtime dependency inside
#              (./mvnw package also trains target/gatehouse.jsa, the AppCDS archive), plus the
#              measurement routes' jar (the benchmark's servers run dev.gatehouse.load.BenchMain)
#   CP         the test class path: the load tools live in src/test/java so they never ship in the server
# MVN_FLAGS (default -o, offline) is passed to ./mvnw; set MVN_FLAGS= to let Maven download.
MVN_FLAGS=${MVN_FLAGS--o}
mkdir -p target/load
_newest_src=$(find src webroot pom.xml -newer target/load/.built -print -quit 2>/dev/null || echo rebuild)
if [[ ! -f target/load/.built || -n $_newest_src || ! -f target/gatehouse.jar ]]; then
  echo "== building (./mvnw $MVN_FLAGS -q package -DskipTests: the jar and the AppCDS archive)" >&2
  ./mvnw $MVN_FLAGS -q package -DskipTests >&2 || { echo "== build failed" >&2; exit 1; }
  touch target/load/.built
fi
if [[ ! -f target/load/classpath.txt || pom.xml -nt target/load/classpath.txt ]]; then
  ./mvnw $MVN_FLAGS -q dependency:build-classpath -DincludeScope=test -Dmdep.outputFile=target/load/classpath.txt >&2 \
    || { echo "== could not resolve the class path" >&2; exit 1; }
fi
# The measurement routes are test classes (never in a production build): a jar of their own, beside
# the packaged server, for the benchmark's servers (dev.gatehouse.load.BenchMain).
if [[ ! -f target/load/bench-routes.jar || -n $(find target/test-classes/dev/gatehouse/load -name 'Bench*.class' -newer target/load/bench-routes.jar -print -quit) ]]; then
  rm -f target/load/bench-routes.jar
  (cd target/test-classes && "${JAVA_HOME:+$JAVA_HOME/bin/}jar" --create --file ../load/bench-routes.jar dev/gatehouse/load/BenchMain.class dev/gatehouse/load/BenchRoutes*.class)
fi
SERVER_CP="target/gatehouse.jar:target/load/bench-routes.jar"
CP="target/classes:target/test-classes:$(cat target/load/classpath.txt)"
