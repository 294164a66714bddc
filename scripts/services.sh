#!/usr/bin/env bash
# Starts the local services named (redis, postgresql, mariadb) when they do not answer already.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

wait_for() {  # wait_for NAME COMMAND...: up to 30 s
  local name=$1; shift
  for _ in $(seq 1 60); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "services: $name did not come up" >&2; return 1
}

for service in "$@"; do
  case "$service" in
    redis)
      if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
        echo "services: starting redis-server on 127.0.0.1:6379"
        redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
        wait_for redis redis-cli -h 127.0.0.1 -p 6379 ping
      fi ;;
    postgresql)
      if ! pg_isready -q -h 127.0.0.1 -p 5432; then
        echo "services: starting PostgreSQL"
        for version in $(ls /etc/postgresql); do
          as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
        done
        wait_for postgresql pg_isready -q -h 127.0.0.1 -p 5432
      fi ;;
    mariadb)
      if ! mariadb-admin -h 127.0.0.1 -uroot ping >/dev/null 2>&1; then
        echo "services: starting MariaDB"
        as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld 2>/dev/null || true
        as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd
        wait_for mariadb mariadb-admin -h 127.0.0.1 -uroot ping
      fi ;;
    *) echo "services: unknown service $service" >&2; exit 2 ;;
  esac
done
