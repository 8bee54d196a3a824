#!/usr/bin/env bash
# tools/release.sh: cuts a release, or builds the slim source archive.
#
#   tools/release.sh VERSION          # e.g. 0.2.0: bump, CHANGELOG, single header, commit, tag,
#                                     # pin the README's FetchContent line, archive
#   tools/release.sh --archive [REF]  # only the slim archive of REF (default HEAD) in dist/
#                                     # (or in $DIST)
#
# The version has one home, include/mistral/version.hpp (CMake and Meson read it there); the
# vcpkg port's manifest and the find_package lines must say it too, so the release writes them. A
# release commit is tagged vVERSION; the README's FetchContent snippet then pins that
# commit's hash (a hash, not the tag, so that a clone without tags still finds it), in a commit of
# its own. The slim archive holds what a consumer needs and nothing else (no tests, examples,
# benchmarks, fuzzers, tools): include/, single_include/, cmake/, CMakeLists.txt, meson.build,
# meson_options.txt, LICENSE, README.md, CHANGELOG.md, docs/*.md (the README's pages);
# FetchContent's URL and a registry port's
# vcpkg_download_distfile can use it.
set -euo pipefail
cd "$(dirname "$0")/.."

dist="${DIST:-dist}"  # where the archive goes
archive() {  # archive REF NAME
    mkdir -p "$dist"
    git archive --format=tar.gz --prefix="$2/" -o "$dist/$2.tar.gz" "$1" \
        include single_include cmake CMakeLists.txt meson.build meson_options.txt LICENSE README.md \
        CHANGELOG.md ':(glob)docs/*.md'
    echo "$dist/$2.tar.gz (sha512 $(sha512sum "$dist/$2.tar.gz" | cut -d' ' -f1))"
}

if [[ "${1:-}" == "--archive" ]]; then
    ref="${2:-HEAD}"
    archive "$ref" "mistral-cpp-$(git rev-parse --short "$ref")"
    exit 0
fi

version="${1:?usage: tools/release.sh VERSION | --archive [REF]}"
[[ "$version" =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)$ ]] || { echo "VERSION must be MAJOR.MINOR.PATCH" >&2; exit 2; }
major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[3]}
[[ -z "$(git status --porcelain)" ]] || { echo "the work tree has uncommitted changes" >&2; exit 2; }
git rev-parse -q --verify "refs/tags/v$version" >/dev/null && { echo "v$version exists" >&2; exit 2; }
grep -Eq '^    GIT_TAG [0-9a-f]{40}(  # .*)?$' README.md ||
    { echo "README.md has no pinned FetchContent line to update" >&2; exit 2; }
grep -q '^## \[Unreleased\]$\|^## \[[0-9.]*\] - unreleased$' CHANGELOG.md ||
    { echo "CHANGELOG.md has no unreleased section to release" >&2; exit 2; }

# 1. The version, in its one home.
sed -i -E "s/^(#define MISTRAL_CPP_VERSION_MAJOR) [0-9]+$/\1 $major/;
           s/^(#define MISTRAL_CPP_VERSION_MINOR) [0-9]+$/\1 $minor/;
           s/^(#define MISTRAL_CPP_VERSION_PATCH) [0-9]+$/\1 $patch/;
           s/^(#define MISTRAL_CPP_VERSION_STRING) \"[0-9.]+\"$/\1 \"$version\"/" include/mistral/version.hpp
sed -i -E "s/^(  \"version-semver\": )\"[0-9.]+\",$/\1\"$version\",/" ports/mistral-cpp/vcpkg.json
# The package accepts only its own minor version (SameMinorVersion: a 0.x minor may break the API),
# so the README's find_package line and the consumer test ask for this one.
sed -i -E "s/^(find_package\(mistral-cpp )[0-9]+\.[0-9]+( CONFIG REQUIRED\))$/\1$major.$minor\2/" \
    README.md tests/cmake/find_package/CMakeLists.txt
# 2. The CHANGELOG: the unreleased section becomes this release, dated today.
# A fresh unreleased section goes above it, for what comes next.
sed -i -E "0,/^## \[(Unreleased|[0-9.]+)\]( - unreleased)?$/s//## [Unreleased]\n\n## [$version] - $(date +%F)/" CHANGELOG.md
# 3. The single header, regenerated from the bumped sources.
python3 tools/amalgamate.py
git commit -qam "Release $version"
git tag -a "v$version" -m "mistral-cpp $version"
commit=$(git rev-parse HEAD)
# 4. The README's FetchContent snippet pins the release, and says which it is.
sed -i -E "s|^(    GIT_TAG )[0-9a-f]{40}(  # .*)?$|\1$commit  # v$version|;
           s|^(The FetchContent snippet pins the latest release, \*\*)v[0-9.]+(\*\*)|\1v$version\2|" README.md
git commit -qam "README: FetchContent pins v$version ($commit)"
archive "v$version" "mistral-cpp-$version"
echo "released $version as $commit (tag v$version); push main and the tag"
