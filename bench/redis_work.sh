#!/bin/sh
# A real program for bench/run: redis-server answering redis-benchmark
# (SET, GET, INCR, LPUSH, LPOP, HSET of 100-byte values over 100,000 keys,
# 20 connections). redis-server is a child of this script, so the
# allocator under test is preloaded into it and its peak RSS is the run's;
# the client runs with the default allocator (LD_PRELOAD unset). The run's
# wall time is the time to answer a fixed number of requests. Debian's
# redis-server is linked with jemalloc, so the run without a preload (the
# "glibc" column) measures jemalloc. Prints one line: the requests and the
# number of keys at the end (random keys: not the same from run to run).
#   usage: sh bench/redis_work.sh [SCALE] [REDIS_SERVER]   (SCALE 1: 6 x 100,000 requests)
set -eu
scale=${1:-1}
server=${2:-redis-server}
n=$(awk -v s="$scale" 'BEGIN { r = int(100000 * s + 0.5); print r < 2000 ? 2000 : r }')
dir=$(mktemp -d "${TMPDIR:-/tmp}/bastion-redis-work.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
# A port in 40000-59999 (bench/serve_port.sh).
. "$(dirname "$0")/serve_port.sh"
cli() { env -u LD_PRELOAD redis-cli -p "$port" "$@"; }
launch() {
	"$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
		--logfile "$dir/log" --daemonize no &
	pid=$!
}
# Whether our server answers on the port (in 5 s: whatever else holds a
# port may accept and never reply).
ours() {
	env -u LD_PRELOAD timeout 5 redis-cli -p "$port" info server 2>/dev/null |
		tr -d '\r' | grep -qx "process_id:$pid"
}
serve_on_port 40000 launch ours || { echo "redis_work: redis-server did not answer" >&2; exit 1; }
env -u LD_PRELOAD redis-benchmark -p "$port" -q -c 20 -n "$n" -r 100000 -d 100 \
	-t set,get,incr,lpush,lpop,hset >"$dir/bench.out" 2>&1
keys=$(cli dbsize)
cli shutdown nosave >/dev/null 2>&1 || kill "$pid"
wait "$pid" || true
pid=
echo "redis_work: requests=$((6 * n)) keys=$keys"
