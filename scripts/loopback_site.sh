# Serving a folder of feed files over loopback, and the real-news snapshots as such
# a folder, for the scripts that poll one (vs_reader.sh, realnews_poll.sh,
# code_order.sh): sourced, not run.

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

# The real-news snapshots in the archive $1 (../shared/corpus/realnews-syndicated.tar.xz)
# as a site in $work/site, each feed file a source on a loopback host of its own,
# with its feedbraid.toml (one feed of every source; the database beside it), served
# on port $3. With $2 true, the light shape written from their headlines and
# sentences instead (scripts/light_from_realnews.py).
realnews_site() {
  mkdir -p "$work/site" "$work/corpus"
  tar -xJf "$1" -C "$work/corpus" --strip-components=1
  if $2; then
    scripts/light_from_realnews.py "$work/corpus" "$work/site"
  else
    mv "$work/corpus"/* "$work/site"/
  fi
  # One source per feed file, each on its own loopback address, as a newsroom's
  # sources are each on a host of its own.
  python3 - "$work/site" "$3" <<'PY'
import os, sys
site, port = sys.argv[1], sys.argv[2]
files = sorted(
    (folder, name)
    for folder in os.listdir(site)
    if os.path.isdir(os.path.join(site, folder))
    for name in os.listdir(os.path.join(site, folder))
    if name.endswith(".xml")
)
lines = [
    '[server]\nlisten = "127.0.0.1:0"\nbase_url = "http://feeds.test"\n',
    '[storage]\npath = "feedbraid.db"\n',
    '[fetch]\nallow_private_networks = true\ntimeout = "60s"\n',
    '[[feed]]\nname = "world"\ntitle = "World"\n',
]
for n, (folder, name) in enumerate(files):
    host = f"127.0.{1 + n // 250}.{1 + n % 250}"
    stem = name[: -len(".xml")]
    lines.append(
        f'[[source]]\nname = "{folder}-{stem}"\nurl = "http://{host}:{port}/{folder}/{name}"\n'
    )
with open(os.path.join(site, "feedbraid.toml"), "w") as config:
    config.write("\n".join(lines))
print(f"{len(files)} feed files, each a source on a loopback host of its own")
PY
  serve_site "$3"
}
