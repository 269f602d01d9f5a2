#!/usr/bin/env bash
# Dependencies run one way (DESIGN.md §2, README "Layout"):
#   config, metrics -> nothing of ours;  certs -> config, metrics;
#   proxy/ (the data path) -> config, certs, metrics; never the process, the demo or the tests;
#   proxy/sidecar/ (the process) -> the data path; the demo only from the command line (cli*.cpp);
#   proxy/demo/ -> anything above; nothing of the product includes tests/.
# Fails listing every include that points the wrong way, and on a folder that is not there.
set -u
root=${1:?usage: layering.sh REPO_ROOT}
bad=0
# forbid FILES... -- PREFIX...: no file may include "<prefix>/..."
forbid() {
  local files=() p
  while [ "$1" != -- ]; do files+=("$1"); shift; done; shift
  [ ${#files[@]} -gt 0 ] || { echo "layering: no sources given"; bad=1; return; }
  for p in "$@"; do
    grep -nE "#include [<\"]$p/" "${files[@]}"
    case $? in 0) bad=1 ;; 1) ;; *) echo "layering: grep failed"; bad=1 ;; esac
  done
}
sources() {  # sources DIR [find options]: the C++ files of DIR (recursive unless told)
  local dir=$root/$1; shift
  [ -d "$dir" ] || { echo "layering: no folder $dir" >&2; bad=1; return; }
  find "$dir" "$@" \( -name '*.cpp' -o -name '*.hpp' \) | sort
}
mapfile -t config_src < <(sources config)
mapfile -t metrics_src < <(sources metrics)
mapfile -t certs_src < <(sources certs)
mapfile -t datapath_src < <(sources proxy -maxdepth 1; sources proxy/http)
mapfile -t process_src < <(sources proxy/sidecar | grep -vE '/(cli|cli_commands|main)\.cpp$')
mapfile -t demo_src < <(sources proxy/demo)
forbid "${config_src[@]}" -- certs metrics proxy tests
forbid "${metrics_src[@]}" -- config certs proxy tests
forbid "${certs_src[@]}" -- proxy tests
forbid "${datapath_src[@]}" -- proxy/sidecar proxy/demo tests
forbid "${process_src[@]}" -- proxy/demo tests
forbid "${demo_src[@]}" -- tests
# Beast stays out of config/ and certs/, but for the AWS client of certs/aws/.
if grep -lE 'boost/beast' "${config_src[@]}" "${certs_src[@]}" | grep -v '/certs/aws/'; then bad=1; fi
[ "$bad" = 0 ] && echo "layering ok"
exit $bad
