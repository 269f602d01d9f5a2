#!/usr/bin/env bash
# Dependencies run one way (DESIGN.md §2): config, metrics -> nothing of ours; certs -> config,
# metrics; proxy -> all. Fails listing every include that points the wrong way.
set -u
root=${1:?usage: layering.sh REPO_ROOT}
bad=0
check() {  # folder, forbidden include prefixes...
  local dir=$1; shift
  [ -d "$root/$dir" ] || { echo "layering: no folder $root/$dir"; bad=1; return; }
  for p in "$@"; do
    grep -rnE "#include [<\"]$p/" "$root/$dir" --include='*.hpp' --include='*.cpp'
    case $? in 0) bad=1 ;; 1) ;; *) echo "layering: grep failed on $root/$dir"; bad=1 ;; esac
  done
}
check config certs metrics proxy
check metrics config certs proxy
check certs proxy
# Nothing in config/ or certs/ touches the data path's sockets (the AWS client is the one exception, in certs/aws/).
if grep -rlE 'boost/beast' "$root/config" "$root/certs" --include='*.?pp' | grep -v '/certs/aws/'; then bad=1; fi
[ "$bad" = 0 ] && echo "layering ok"
exit $bad
