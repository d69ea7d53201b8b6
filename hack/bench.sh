#!/usr/bin/env bash
# make bench: redis-benchmark against redis-server and replikube in the same
# run, on loopback, and a table of ours/theirs ratios. Also memory for 1M
# small string keys. Not a test: it prints figures, it asserts nothing.
#
# Environment: BENCH_N (requests per test, default 200000), BENCH_CLIENTS
# (default 50), BENCH_KEYS (keys for the memory figure, default 1000000),
# BENCH_ROUNDS (runs per test and server, the median is shown; default 3).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${BENCH_N:-200000}
CLIENTS=${BENCH_CLIENTS:-50}
KEYS=${BENCH_KEYS:-1000000}
ROUNDS=${BENCH_ROUNDS:-3}
TESTS=set,get,incr,lpush,lpop,sadd,hset,zadd,mset
BIN=${BIN:-bin/replikube}

for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing (apt-get install -y redis-server redis-tools)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench: $BIN missing (make build)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

start() { # name port command...
  local name=$1 port=$2; shift 2
  "$@" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" --logfile "$WORK/$name.log" --daemonize no &
  PIDS+=($!)
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.05; done
  echo "bench: $name did not start" >&2; exit 1
}

THEIRS_PORT=$(free_port); start redis-server "$THEIRS_PORT" "$(command -v redis-server)"; THEIRS_PID=${PIDS[-1]}
OURS_PORT=$(free_port); start replikube "$OURS_PORT" "$BIN" server; OURS_PID=${PIDS[-1]}

run_one() { # port pipeline test -> rps
  redis-benchmark -p "$1" -c "$CLIENTS" -n "$N" -P "$2" -t "$3" -r 100000 --csv -q 2>/dev/null |
    awk -F'","' 'NR==2 {gsub(/"/,"",$2); print $2}'
}
median() { sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }

# The servers take turns test by test, the first one alternating, and
# each figure is the median of ROUNDS runs: this machine's speed drifts
# over minutes, and a slow spell must not land on one server only.
echo "redis-benchmark -c $CLIENTS -n $N -r 100000, each test alone, median of $ROUNDS rounds ($(redis-server --version | awk '{print $3}'))"
printf '%-8s %-22s %14s %14s %8s\n' pipeline test redis-server replikube ratio
for P in 1 16; do
  redis-cli -p "$THEIRS_PORT" flushall >/dev/null; redis-cli -p "$OURS_PORT" flushall >/dev/null
  for test in ${TESTS//,/ }; do
    t_runs=(); o_runs=()
    for r in $(seq "$ROUNDS"); do
      if (( r % 2 )); then
        t_runs+=("$(run_one "$THEIRS_PORT" "$P" "$test")"); o_runs+=("$(run_one "$OURS_PORT" "$P" "$test")")
      else
        o_runs+=("$(run_one "$OURS_PORT" "$P" "$test")"); t_runs+=("$(run_one "$THEIRS_PORT" "$P" "$test")")
      fi
    done
    t=$(printf '%s\n' "${t_runs[@]}" | median); o=$(printf '%s\n' "${o_runs[@]}" | median)
    name=$(echo "$test" | tr a-z A-Z); [ "$test" = mset ] && name="MSET (10 keys)"
    awk -v p="-P $P" -v n="$name" -v t="$t" -v o="$o" 'BEGIN { printf "%-8s %-22s %14.0f %14.0f %7.2fx\n", p, n, t, o, o/t }'
  done
done

# Memory for KEYS small string keys, loaded with redis-cli --pipe.
python3 - "$KEYS" > "$WORK/keys.resp" <<'PY'
import sys
n = int(sys.argv[1])
out = sys.stdout
for i in range(n):
    k = "key:%012d" % i
    out.write("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nxxx\r\n" % (len(k), k))
PY
mem() { # port pid -> "used rss"
  redis-cli -p "$1" flushall >/dev/null
  redis-cli -p "$1" --pipe < "$WORK/keys.resp" >/dev/null
  local used rss
  used=$(redis-cli -p "$1" info memory | tr -d '\r' | awk -F: '$1=="used_memory"{print $2}')
  rss=$(awk '/VmRSS/ {print $2*1024}' "/proc/$2/status")
  echo "$used $rss"
}
read -r tu tr <<<"$(mem "$THEIRS_PORT" "$THEIRS_PID")"
read -r ou or <<<"$(mem "$OURS_PORT" "$OURS_PID")"
echo
echo "memory for $KEYS keys (key:NNNNNNNNNNNN -> xxx)"
printf '%-12s %14s %14s %8s\n' figure redis-server replikube ratio
ratio_row() { awk -v f="$1" -v t="$2" -v o="$3" 'BEGIN { printf "%-12s %14d %14d %7.2fx\n", f, t, o, o/t }'; }
ratio_row used_memory "$tu" "$ou"
ratio_row rss "$tr" "$or"
