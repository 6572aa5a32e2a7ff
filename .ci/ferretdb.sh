# FerretDB v1.24.2 for the MongoDB engine tests, sourced by .ci/run. FerretDB speaks the MongoDB
# wire protocol over SQLite, so CI exercises the MongoDB engine without a MongoDB server.
#   ferretdb_binary        builds (once, cached) and prints the binary's path; fails without Go
#   ferretdb_start DIR     starts it on a free 127.0.0.1 port with its data in DIR, waits until it
#                          accepts connections, sets FERRETDB_PID and exports MONGODB_URI
#                          (called again with another DIR, it starts one more instance)
#   ferretdb_stop          stops every instance started (idempotent; .ci/run calls it from its EXIT trap)

FERRETDB_VERSION=v1.24.2
FERRETDB_BIN_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/nimbus-fhir/bin"
FERRETDB_BIN="$FERRETDB_BIN_DIR/ferretdb"

ferretdb_works() {
  # Captured, not piped into `grep -q`: under pipefail an early grep exit would fail the check.
  local out
  out="$("$1" --version 2>/dev/null)" || return 1
  case "$out" in *"version: $FERRETDB_VERSION"*) return 0 ;; *) return 1 ;; esac
}

ferretdb_binary() {
  if [ -x "$FERRETDB_BIN" ] && ferretdb_works "$FERRETDB_BIN"; then
    echo "$FERRETDB_BIN"
    return 0
  fi
  command -v go >/dev/null 2>&1 || { echo "ferretdb: Go is not installed" >&2; return 1; }
  mkdir -p "$FERRETDB_BIN_DIR"
  # `GOBIN=… go install github.com/FerretDB/FerretDB/cmd/ferretdb@v1.24.2` builds a binary that
  # panics at start-up: the module zip lacks build/version/version.txt, which `task gen-version`
  # writes in a git checkout. So: fetch the same module through the Go proxy, stamp the version
  # file, and build that source.
  local src work
  src="$(go mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')" || return 1
  [ -d "$src" ] || { echo "ferretdb: go mod download gave no source directory" >&2; return 1; }
  work="$(mktemp -d)"
  cp -R "$src/." "$work/" && chmod -R u+w "$work" || return 1
  echo "$FERRETDB_VERSION" >"$work/build/version/version.txt"
  echo "ferretdb: building $FERRETDB_VERSION (a few minutes, once; cached in $FERRETDB_BIN_DIR)" >&2
  (cd "$work" && go build -buildvcs=false -trimpath -o "$FERRETDB_BIN.partial" ./cmd/ferretdb) >&2 || { rm -rf "$work"; return 1; }
  rm -rf "$work"
  mv "$FERRETDB_BIN.partial" "$FERRETDB_BIN"
  ferretdb_works "$FERRETDB_BIN" || { echo "ferretdb: the built binary does not start" >&2; return 1; }
  echo "$FERRETDB_BIN"
}

ferretdb_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

ferretdb_start() {
  local bin="$1" dir="$2" port i
  port="$(ferretdb_free_port)"
  mkdir -p "$dir/data"
  "$bin" --handler=sqlite --sqlite-url="file:$dir/data/" --state-dir="$dir" \
    --listen-addr="127.0.0.1:$port" --debug-addr=- --telemetry=disable --log-level=WARN \
    >"$dir/ferretdb.log" 2>&1 &
  FERRETDB_PID=$!
  FERRETDB_PIDS="${FERRETDB_PIDS:-} $FERRETDB_PID"
  for i in $(seq 1 100); do
    if ! kill -0 "$FERRETDB_PID" 2>/dev/null; then
      echo "ferretdb: exited at start-up; its log:" >&2
      cat "$dir/ferretdb.log" >&2
      FERRETDB_PID=
      return 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      export MONGODB_URI="mongodb://127.0.0.1:$port/"
      echo "ferretdb: $FERRETDB_VERSION listening on 127.0.0.1:$port (pid $FERRETDB_PID, data in $dir)"
      return 0
    fi
    sleep 0.2
  done
  echo "ferretdb: not accepting connections after 20 s" >&2
  kill "$FERRETDB_PID" 2>/dev/null || true
  wait "$FERRETDB_PID" 2>/dev/null || true
  FERRETDB_PID=
  return 1
}

ferretdb_stop() {
  local pid
  for pid in ${FERRETDB_PIDS:-} ${FERRETDB_PID:-}; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  FERRETDB_PID=
  FERRETDB_PIDS=
}
