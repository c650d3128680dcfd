# Sourced by bench/nginx_work.sh and bench/redis_work.sh: starts a server
# on a port from a range, moving to another port when someone else holds
# it (the server then exits, or another server answers).
#   serve_on_port BASE LAUNCH READY
# tries up to five ports in [BASE, BASE + 20000), derived from the
# script's pid: sets $port, runs LAUNCH (a function that starts the server
# in the background on $port and sets $pid), and waits up to 30 s for
# READY (a function that succeeds once our server answers on $port) while
# the server runs. Returns 1 if no port worked; $pid is then empty.
serve_on_port() {
	_base=$1 _launch=$2 _ready=$3
	for _try in 1 2 3 4 5; do
		port=$((_base + ($$ + _try * 7919) % 20000))
		"$_launch"
		_i=0
		while kill -0 "$pid" 2>/dev/null && [ $_i -lt 600 ]; do
			"$_ready" && return 0
			_i=$((_i + 1))
			sleep 0.05
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		pid=
	done
	return 1
}
