#!/usr/bin/env bash
# Tries the packages as a user would: packs them into a local feed, makes a fresh console app that
# references Latchkey.Etcd, Latchkey.Redis and Latchkey.ZooKeeper (no registration code: the packages
# register their backends), publishes it single-file and NativeAOT, and takes a lock with each binary
# on every connection string given. Needs the servers (scripts/test-servers.sh) and, for AOT, a C
# toolchain (gcc or clang) and zlib1g-dev.
#   scripts/try-as-a-user.sh "file:///tmp/x" "$LATCHKEY_ETCD" "$LATCHKEY_REDIS" "$LATCHKEY_ZK"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
[ $# -gt 0 ] || { echo "usage: $0 CONNECTION_STRING..." >&2; exit 64; }
work=$(mktemp -d /tmp/latchkey-user.XXXXXX)
trap 'rm -rf "$work"' EXIT
version=$(sed -n 's|.*<Version>\(.*\)</Version>.*|\1|p' "$root/Directory.Build.props")
for p in Latchkey Latchkey.Etcd Latchkey.Redis Latchkey.ZooKeeper; do
  dotnet pack "$root/src/$p" -c Release -o "$work/feed" -v q -p:IncludeSymbols=false >/dev/null
done
mkdir -p "$work/app"
cat >"$work/app/app.csproj" <<P
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings>
    <RestorePackagesPath>$work/packages</RestorePackagesPath><TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Latchkey.Etcd" Version="$version" />
    <PackageReference Include="Latchkey.Redis" Version="$version" />
    <PackageReference Include="Latchkey.ZooKeeper" Version="$version" />
  </ItemGroup>
</Project>
P
cat >"$work/app/nuget.config" <<P
<configuration><packageSources><add key="latchkey" value="$work/feed" /><add key="nuget" value="https://api.nuget.org/v3/index.json" /></packageSources></configuration>
P
cat >"$work/app/Program.cs" <<'P'
using Latchkey;
foreach (var uri in args)
{
    await using var locks = LockProvider.Connect(uri);
    await using var held = await locks.CreateLock("try-as-a-user").AcquireAsync(TimeSpan.FromSeconds(10));
    Console.WriteLine($"  {locks.Capabilities.Backend}: held token {held.FencingToken}");
}
P
cd "$work/app"
dotnet publish -c Release -r linux-x64 --self-contained -p:PublishSingleFile=true -o single -v q
dotnet publish -c Release -r linux-x64 -p:PublishAot=true -o aot -v q
for kind in single aot; do
  echo "$kind ($(du -h "$kind/app" | cut -f1)):"
  "$kind/app" "$@"
done
