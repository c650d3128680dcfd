#!/bin/sh
# A real program for bench/run: nginx serving a small static page to ab
# (apache2-utils) over keep-alive connections. nginx runs as one process
# (no master, no daemon), a child of this script, so the allocator under
# test is preloaded into it and its peak RSS is the run's; ab runs with
# glibc (LD_PRELOAD unset). The run's wall time is the time to answer a
# fixed number of requests. Prints one line with a checksum (requests
# answered without error).
#   usage: sh bench/nginx_work.sh [SCALE] [NGINX]   (SCALE 1: 100,000 requests)
set -eu
scale=${1:-1}
nginx=${2:-nginx}
n=$(awk -v s="$scale" 'BEGIN { r = int(100000 * s + 0.5); print r < 2000 ? 2000 : r }')
dir=$(mktemp -d "${TMPDIR:-/tmp}/bastion-nginx-work.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT
mkdir "$dir/html" "$dir/logs"
echo "hello from bastion's benchmark: a small static page" >"$dir/html/index.html"
# A port in 20000-39999 (bench/serve_port.sh). nginx is ours once it
# answers and is still running a moment later (a failed bind ends it).
. "$(dirname "$0")/serve_port.sh"
launch() {
	cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
daemon off;
master_process off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 256; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$port;
		root $dir/html;
		location / { }
	}
}
CONF
	"$nginx" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" &
	pid=$!
}
ours() {
	env -u LD_PRELOAD timeout 5 ab -q -n 1 "http://127.0.0.1:$port/" >/dev/null 2>&1 &&
		sleep 0.1 && kill -0 "$pid" 2>/dev/null
}
serve_on_port 20000 launch ours || { echo "nginx_work: nginx did not answer" >&2; exit 1; }
env -u LD_PRELOAD ab -q -k -c 20 -n "$n" "http://127.0.0.1:$port/" >"$dir/ab.out" 2>&1
kill -QUIT "$pid"
wait "$pid" || true
pid=
failed=$(awk '/^Failed requests:/ { print $3 }' "$dir/ab.out")
done_=$(awk '/^Complete requests:/ { print $3 }' "$dir/ab.out")
[ "${failed:-1}" = 0 ] || { cat "$dir/ab.out" >&2; exit 1; }
echo "nginx_work: requests=$done_ checksum=$done_"
