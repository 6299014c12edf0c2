# Sourced by helm/ensure-helm and helm/ensure-promtool: the tools neither Debian nor npm packages are built from
# the Go module proxy (`go install <module>/cmd/<tool>@<version>`) into ~/.cache/thingspace-bridge, like the Node
# binary of scripts/run and the Kafka jars of the local stack.
#
# Sets `cache` (THINGSPACE_BRIDGE_CACHE, else $XDG_CACHE_HOME or ~/.cache, /thingspace-bridge) and defines
# find_go and go_install.

cache=${THINGSPACE_BRIDGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/thingspace-bridge}
# The Go toolchain fetched, from the same proxy (module golang.org/toolchain), when this machine has no Go 1.26+
# (helm v3.22.0 and prometheus v0.316.0 both need 1.26).
go_version=1.26.8

# A go command of at least 1.26: the machine's, or the toolchain module unpacked into the cache (how `go` itself
# switches toolchains; Debian 12's golang-go is 1.19, too old for that).
find_go() {
  if command -v go >/dev/null 2>&1; then
    local version
    version=$(go env GOVERSION 2>/dev/null | sed -n 's/^go\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
    if [ -n "$version" ] && [ "${version% *}" -eq 1 ] && [ "${version#* }" -ge 26 ]; then
      command -v go
      return
    fi
  fi
  local goroot="$cache/go-$go_version"
  if [ ! -x "$goroot/bin/go" ]; then
    local arch
    case "$(uname -m)" in
      x86_64) arch=amd64 ;;
      aarch64 | arm64) arch=arm64 ;;
      *) echo "go-build: no Go >= 1.26 here and no toolchain for $(uname -m)" >&2; return 1 ;;
    esac
    local module="v0.0.1-go$go_version.linux-$arch" tmp
    echo "go-build: fetching Go $go_version (golang.org/toolchain@$module) into $goroot" >&2
    tmp=$(mktemp -d)
    curl -fsSL -o "$tmp/go.zip" "https://proxy.golang.org/golang.org/toolchain/@v/$module.zip" &&
      (cd "$tmp" && unzip -q go.zip) || { rm -rf "$tmp"; return 1; }
    # Module zips keep no file modes: mark the commands executable, as go does when it switches toolchains.
    chmod +x "$tmp/golang.org/toolchain@$module"/bin/* "$tmp/golang.org/toolchain@$module"/pkg/tool/*/* || return 1
    mkdir -p "$cache" && rm -rf "$goroot" && mv "$tmp/golang.org/toolchain@$module" "$goroot" || return 1
    rm -rf "$tmp"
  fi
  echo "$goroot/bin/go"
}

# The environment of every build: modules and binaries stay in the cache; the build cache (hundreds of MB) only
# for one build (go_install removes it).
go_env() {
  mkdir -p "$cache/go"
  export GOPATH="$cache/go" GOMODCACHE="$cache/go/mod" GOFLAGS=-modcacherw CGO_ENABLED=0 GOTOOLCHAIN=local
}

# go_install GO BIN_DIR MODULE_PATH@VERSION [go install flags...]: installs into BIN_DIR, whole or not at all (a
# build cut short leaves no binary behind for the next call to trust).
go_install() {
  local go=$1 bin_dir=$2 package=$3 gocache status=0
  shift 3
  go_env
  gocache=$(mktemp -d)
  GOCACHE="$gocache" GOBIN="$bin_dir.partial" "$go" install -trimpath "$@" "$package" >&2 || status=$?
  rm -rf "$gocache"
  [ "$status" -eq 0 ] || { rm -rf "$bin_dir.partial"; return "$status"; }
  rm -rf "$bin_dir" && mv "$bin_dir.partial" "$bin_dir"
}
