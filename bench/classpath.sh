# Sourced by the bench/ scripts: compiles the main and test classes when needed and sets CP to the
# test class path (the load tools live in src/test/java so they never ship in the server).
# MVN_FLAGS (default -o, offline) is passed to ./mvnw; set MVN_FLAGS= to let Maven download.
MVN_FLAGS=${MVN_FLAGS--o}
mkdir -p target/load
_newest_src=$(find src pom.xml -newer target/load/.built -print -quit 2>/dev/null || echo rebuild)
if [[ ! -f target/load/.built || -n $_newest_src ]]; then
  echo "== building (./mvnw $MVN_FLAGS -q test-compile)" >&2
  ./mvnw $MVN_FLAGS -q test-compile >&2 || { echo "== build failed" >&2; exit 1; }
  touch target/load/.built
fi
if [[ ! -f target/load/classpath.txt || pom.xml -nt target/load/classpath.txt ]]; then
  ./mvnw $MVN_FLAGS -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/load/classpath.txt >&2 \
    || { echo "== could not resolve the class path" >&2; exit 1; }
fi
if [[ ! -f target/load/classpath-runtime.txt || pom.xml -nt target/load/classpath-runtime.txt ]]; then
  ./mvnw $MVN_FLAGS -q dependency:build-classpath -Dmdep.includeScope=runtime -Dmdep.outputFile=target/load/classpath-runtime.txt >&2 \
    || { echo "== could not resolve the class path" >&2; exit 1; }
fi
# The server runs from a jar of its classes plus its runtime dependencies (as it would be deployed;
# AppCDS also wants jars only); the load tools on the test class path.
if [[ ! -f target/load/gatehouse.jar || -n $(find target/classes -newer target/load/gatehouse.jar -print -quit) ]]; then
  rm -f target/load/gatehouse.jar
  (cd target/classes && "${JAVA_HOME:+$JAVA_HOME/bin/}jar" --create --file ../load/gatehouse.jar .)
fi
# The measurement routes are test classes (never in a production build): a jar of their own for the bench server.
if [[ ! -f target/load/bench-routes.jar || -n $(find target/test-classes/dev/gatehouse/load -name 'Bench*.class' -newer target/load/bench-routes.jar -print -quit) ]]; then
  rm -f target/load/bench-routes.jar
  (cd target/test-classes && "${JAVA_HOME:+$JAVA_HOME/bin/}jar" --create --file ../load/bench-routes.jar dev/gatehouse/load/BenchMain.class dev/gatehouse/load/BenchRoutes*.class)
fi
SERVER_CP="target/load/gatehouse.jar:target/load/bench-routes.jar:$(cat target/load/classpath-runtime.txt)"
CP="target/classes:target/test-classes:$(cat target/load/classpath.txt)"
