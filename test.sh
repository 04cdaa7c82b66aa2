#!/usr/bin/env bash
# The project's test command. Installs any missing server from Debian's packages, starts etcd, Redis
# (one, plus three Redlock masters), ZooKeeper (one, plus a three-node ensemble) and PostgreSQL on loopback in a
# temporary directory, runs every test of the solution against them, checks that the packages build
# byte-identical from two clean clones (scripts/check-reproducible.sh), stops the servers, and ends with
#   tests: N passed, N failed, N skipped
# In CI (CI=true) a server that cannot start is a failure, not a skip.
set -uo pipefail
cd "$(dirname "$0")"

state=$(mktemp -d /tmp/latchkey-test.XXXXXX)
export LATCHKEY_PORT_BASE=${LATCHKEY_PORT_BASE:-20000}
cleanup() { scripts/test-servers.sh stop "$state"; rm -rf "$state"; }
trap cleanup EXIT INT TERM

server_failure=0
if ! scripts/test-servers.sh start "$state"; then
  echo "test.sh: some servers did not start (see above)" >&2
  if [ "${CI:-}" = true ]; then server_failure=1; fi
fi
# shellcheck disable=SC1091
source "$state/env"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log="$state/dotnet-test.log"
timeout 25m dotnet test --solution Latchkey.slnx --no-progress 2>&1 | tee "$log"
test_status=${PIPESTATUS[0]}

# Each test assembly prints "total/failed/succeeded/skipped" at the end of its run summary; the
# solution run prints one summary for all. Take the last summary block.
summary=$(awk '/Test run summary/ {block=""} {block = block "\n" $0} END {print block}' "$log")
total=$(grep -oE 'total: *[0-9]+' <<<"$summary" | tail -1 | grep -oE '[0-9]+')
failed=$(grep -oE 'failed: *[0-9]+' <<<"$summary" | tail -1 | grep -oE '[0-9]+')
passed=$(grep -oE 'succeeded: *[0-9]+' <<<"$summary" | tail -1 | grep -oE '[0-9]+')
skipped=$(grep -oE 'skipped: *[0-9]+' <<<"$summary" | tail -1 | grep -oE '[0-9]+')

if [ -z "${total:-}" ]; then
  echo "test.sh: no test summary (build failure or crash, exit $test_status)" >&2
  passed=0; failed=1; skipped=0
  test_status=1
fi
if [ "$server_failure" = 1 ]; then failed=$((failed + 1)); test_status=1; fi

# The packages a user installs: built twice from two clean clones, every DLL must be byte-identical.
if timeout 15m scripts/check-reproducible.sh; then
  passed=$((passed + 1))
else
  echo "test.sh: the packages are not reproducible (scripts/check-reproducible.sh)" >&2
  failed=$((failed + 1)); test_status=1
fi

echo "tests: ${passed} passed, ${failed} failed, ${skipped} skipped"
if [ "$test_status" != 0 ] || [ "$failed" != 0 ]; then exit 1; fi
exit 0
