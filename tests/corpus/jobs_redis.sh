# jobs_redis.sh - sourced by corpus.sh and job.sh. redis-server, preloaded
# and measured, on a free port of 127.0.0.1; the clients run plain. A fixed
# set of commands fills database 0 (strings, lists, sets, hashes, sorted sets,
# strings grown by APPEND to 500 KB, deletions), redis-benchmark then works in
# database 1 (emptied after), DEBUG RELOAD saves and loads everything, and
# the job prints what database 0 holds: its size, a few values, the dataset's digest. Benchmark
# numbers are not compared. The server is stopped on every way out: SHUTDOWN,
# else this job's EXIT trap, else corpus.sh (its pid file, its process group).
# shellcheck shell=bash disable=SC2154,SC2164 # sourced by job.sh: set -e, in, dir, m

redis_port() { # a port of 127.0.0.1 free just now
	/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

redis_stop() {
	[ -f "$dir/redis.pid" ] && kill -KILL "$(cat "$dir/redis.pid")" 2>/dev/null || true
}

corpus_job redis 120
job_redis() {
	local port server rc=0
	port=$(redis_port)
	trap redis_stop EXIT
	cat >redis.conf <<EOF
port $port
bind 127.0.0.1
dir $dir
pidfile $dir/redis.pid
save ""
appendonly no
enable-debug-command yes
EOF
	m redis-server redis.conf >server.log 2>&1 &
	server=$!
	for _ in $(seq 100); do
		[ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
		kill -0 "$server" 2>/dev/null || break
		sleep 0.1
	done
	cli() { redis-cli -h 127.0.0.1 -p "$port" "$@"; }
	if [ "$(cli ping 2>&1)" != PONG ]; then
		cat server.log >&2
		echo "redis-server did not answer on port $port" >&2
		return 1
	fi
	awk 'BEGIN {
		chunk = sprintf("%1000s", "")
		gsub(/ /, "c", chunk)
		for (i = 0; i < 50000; i++) {
			printf "SET key:%d %s\r\n", i, substr(chunk, 1, i % 1000 + 1)
			printf "RPUSH list:%d item:%d\r\n", i % 100, i
			printf "SADD set:%d m:%d\r\n", i % 50, i
			printf "HSET hash:%d f:%d v%d\r\n", i % 200, i, i * 7
			printf "ZADD zset:%d %d m:%d\r\n", i % 20, (i * 7919) % 100000, i
			if (i % 10 < 1)
				printf "APPEND big:%d %s\r\n", i % 100 / 10, chunk
			if (i % 7 == 0)
				printf "DEL key:%d\r\n", i
		}
	}' | cli --pipe >pipe.log
	grep -q '^errors: 0,' pipe.log || {
		cat pipe.log >&2
		return 1
	}
	redis-benchmark -h 127.0.0.1 -p "$port" --dbnum 1 -q -n 10000 -c 10 -P 8 -r 100000 -d 200 \
		-t set,get,incr,lpush,rpop,sadd,hset,spop,zadd,mset,lrange_100 >/dev/null
	cli -n 1 flushdb >/dev/null # DEBUG DIGEST covers every database
	cli debug reload
	cli dbsize
	cli get key:1 | cksum
	cli strlen key:999
	cli exists key:700
	cli llen list:5
	cli scard set:3
	cli hlen hash:7
	cli zrange zset:4 0 4 withscores
	cli strlen big:3
	cli debug digest
	cli info keyspace | grep '^db0:'
	cli shutdown nosave || true
	wait "$server" || rc=$?
	trap - EXIT
	return "$rc"
}
