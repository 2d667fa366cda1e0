#!/usr/bin/env bash
# Builds examples/hello the ways a user consumes onbehalf, each in WORK (made empty first):
#   consume.sh find-package   SOURCE BUILD WORK  cmake --install BUILD into WORK/prefix, then
#                                                 examples/hello on its own with find_package
#   consume.sh pkg-config     SOURCE BUILD WORK  the same prefix, hello compiled by g++ with
#                                                 pkg-config's flags and no CMake
#   consume.sh add-subdirectory SOURCE BUILD WORK a project that adds onbehalf's checkout and
#                                                 examples/hello as subdirectories
#   consume.sh debian         SOURCE BUILD WORK  cpack's .deb files: their metadata, lintian, and
#                                                 hello built against their extracted contents
#   consume.sh shared         SOURCE BUILD WORK  onbehalf's libraries built shared
#                                                 (BUILD_SHARED_LIBS) and installed; hello found them
# The program is WORK/hello/onbehalf-hello (tests/integration/hosting_examples_test.cpp runs it).
set -euo pipefail
mode=$1 source=$(realpath "$2") build=$(realpath "$3") work=$4
rm -rf "$work" && mkdir -p "$work" && work=$(realpath "$work")
export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/onbehalf-ccache}"
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

hello_with_cmake() { # PREFIX_PATH
  cmake -S "$source/examples/hello" -B "$work/hello" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$1" "${launcher[@]}" >"$work/configure.log"
  cmake --build "$work/hello"
}

hello_with_pkg_config() { # PKG_CONFIG_PATH
  mkdir -p "$work/hello"
  local flags
  flags=$(PKG_CONFIG_PATH="$1" pkg-config --cflags --libs onbehalf)
  echo "consume: g++ main.cpp $flags"
  g++ -O2 "$source/examples/hello/main.cpp" $flags -o "$work/hello/onbehalf-hello"
}

case $mode in
  find-package)
    cmake --install "$build" --prefix "$work/prefix" --component dev >/dev/null
    hello_with_cmake "$work/prefix"
    ;;
  pkg-config)
    cmake --install "$build" --prefix "$work/prefix" --component dev >/dev/null
    hello_with_pkg_config "$work/prefix/lib/pkgconfig"
    ;;
  add-subdirectory)
    mkdir -p "$work/project"
    cat >"$work/project/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(uses-onbehalf LANGUAGES CXX)
add_subdirectory("$source" onbehalf)
add_subdirectory("$source/examples/hello" hello)
CMAKE
    cmake -S "$work/project" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" >"$work/configure.log"
    # Inside another project, onbehalf adds no tests, examples, tools or benchmarks of its own.
    for target in unit_tests onbehalf-sample onbehalf-devauthority bench_http_front; do
      if grep -q "build $target:" "$work/build/build.ninja"; then echo "consume: $target is built inside another project" >&2; exit 1; fi
    done
    cmake --build "$work/build" --target onbehalf-hello
    mkdir -p "$work/hello" && cp "$work/build/hello/onbehalf-hello" "$work/hello/"
    ;;
  debian)
    (cd "$build" && cpack -B "$work/packages" >"$work/cpack.log")
    mkdir -p "$work/root"
    for deb in "$work"/packages/*.deb; do
      echo "consume: $(basename "$deb"): $(dpkg-deb -f "$deb" Package) depends on: $(dpkg-deb -f "$deb" Depends)"
      dpkg-deb -x "$deb" "$work/root"
    done
    # The programs' Depends come from dpkg-shlibdeps: the libraries they load.
    dpkg-deb -f "$work"/packages/onbehalf_*.deb Depends | grep -q libssl3
    dpkg-deb -f "$work"/packages/libonbehalf-dev_*.deb Depends | grep -q libcaf-dev
    test -x "$work/root/usr/bin/onbehalf" && test -x "$work/root/usr/bin/onbehalf-devauthority"
    # Every tag lintian still reports is listed, with the reason, in lintian-expected.txt.
    lintian --no-tag-display-limit "$work"/packages/*.deb >"$work/lintian.txt" 2>&1 || true
    unexplained=$(grep -E '^[EW]: ' "$work/lintian.txt" | awk '{print $3}' | sort -u | grep -vxF -f <(grep -v '^#' "$source/tests/packaging/lintian-expected.txt" | awk 'NF {print $1}') || true)
    if [ -n "$unexplained" ]; then
      echo "consume: lintian reports tags that tests/packaging/lintian-expected.txt does not explain:" >&2
      grep -E '^[EW]: ' "$work/lintian.txt" >&2
      exit 1
    fi
    hello_with_cmake "$work/root/usr"
    ;;
  shared)
    cmake -S "$source" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DONBEHALF_BUILD_TESTS=OFF \
      -DONBEHALF_BUILD_EXAMPLES=OFF -DONBEHALF_BUILD_BENCHMARKS=OFF -DONBEHALF_BUILD_TOOLS=OFF "${launcher[@]}" >"$work/configure.log"
    cmake --build "$work/build"
    cmake --install "$work/build" --prefix "$work/prefix" --component dev >/dev/null
    hello_with_cmake "$work/prefix"
    # The program loads onbehalf's shared libraries from the prefix, and they find one another.
    ldd "$work/hello/onbehalf-hello" | grep -q "$work/prefix/lib/libonbehalf_actors.so"
    if ldd "$work/hello/onbehalf-hello" | grep "not found"; then exit 1; fi
    ;;
  *) echo "usage: consume.sh find-package|pkg-config|add-subdirectory|debian|shared SOURCE BUILD WORK" >&2; exit 2 ;;
esac
echo "consume: built $work/hello/onbehalf-hello ($mode)"
