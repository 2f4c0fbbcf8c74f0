# Serving a folder of feed files over loopback, for the scripts that poll one
# (vs_reader.sh, realnews_poll.sh): sourced, not run.

# A temporary folder for the site and the server, removed (the server stopped
# first) when the calling script exits; its path in $work.
make_work_dir() {
  work=$(mktemp -d)
  trap '[ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null; rm -rf "$work"' EXIT
}

# A TCP port free on 127.0.0.1 now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# nginx serving $work/site on port $1 of every loopback address (127.0.x.y), one
# worker, no access log; its pid, config and error log in $work.
serve_site() {
  local port=$1
  # nginx's workers run as another user.
  chmod -R a+rX "$work"
  cat > "$work/nginx.conf" <<CONF
daemon on;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
worker_processes 1;
events { worker_connections 4096; }
http {
  access_log off;
  types { application/rss+xml xml; }
  server { listen $port; root $work/site; }
}
CONF
  nginx -c "$work/nginx.conf" -p "$work"
}
