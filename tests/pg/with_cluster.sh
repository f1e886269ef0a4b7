#!/usr/bin/env bash
# with_cluster.sh STATE COMMAND...: run COMMAND with JOTD_TEST_PG_URL set to
# the URL of the cluster that `cluster.sh start STATE` recorded (and
# JOTD_TEST_PG_DIR=STATE, for tests that stop and start it). CTest's
# server-pg/ tests run through it: the port is only known once the
# cluster runs.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: with_cluster.sh STATE COMMAND..." >&2; exit 2; }
state=$(realpath -m "$1")
shift
if [ ! -s "$state/url" ]; then
    echo "with_cluster.sh: no cluster recorded in $state (tests/pg/cluster.sh start $state)" >&2
    exit 1
fi
JOTD_TEST_PG_URL=$(cat "$state/url")
export JOTD_TEST_PG_URL
export JOTD_TEST_PG_DIR="$state"
exec "$@"
