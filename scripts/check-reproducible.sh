#!/usr/bin/env bash
# Packs every shipped package twice, from two clean clones of HEAD in different directories, as CI
# builds them (CI=true: ContinuousIntegrationBuild), and checks that every DLL in them is byte-identical.
# Usage: scripts/check-reproducible.sh        Exit 0 when identical; prints the packages it compared.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d /tmp/latchkey-repro.XXXXXX)
trap 'rm -rf "$work"' EXIT
packages=(src/Latchkey src/Latchkey.Etcd src/Latchkey.Redis src/Latchkey.ZooKeeper src/Latchkey.Extensions.Hosting src/Latchkey.Fencing.PostgreSql src/Latchkey.Cli)
for tree in a b; do
  git clone -q . "$work/$tree-clone"
  for p in "${packages[@]}"; do
    [ -d "$work/$tree-clone/$p" ] || continue
    (cd "$work/$tree-clone" && CI=true DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
      dotnet pack "$p" -c Release -o "$work/$tree-out" -v q -p:IncludeSymbols=false >/dev/null)
  done
  for nupkg in "$work/$tree-out"/*.nupkg; do
    mkdir -p "$work/$tree-dll/$(basename "$nupkg")"
    unzip -q -o "$nupkg" '*.dll' -d "$work/$tree-dll/$(basename "$nupkg")"
  done
done
status=0
while IFS= read -r dll; do
  rel=${dll#"$work/a-dll/"}
  if ! cmp -s "$dll" "$work/b-dll/$rel"; then
    echo "differs: $rel"; status=1
  fi
done < <(find "$work/a-dll" -name '*.dll' | sort)
count=$(find "$work/a-dll" -name '*.dll' | wc -l)
[ "$count" -gt 0 ] || { echo "no DLL packed"; exit 1; }
[ "$status" = 0 ] && echo "reproducible: $count DLLs in $(ls "$work/a-out"/*.nupkg | wc -l) packages are byte-identical across two clean clones"
exit $status
