#!/usr/bin/env bash
# deps.sh run|plot|test|flash - install the Debian packages mmrt needs, if missing.
#   run:  the ARM toolchain, newlib and QEMU (for make run)
#   plot: also python3-memory-profiler (mprof) and python3-matplotlib
#         (make plot; make test checks the plots too)
#   flash: also openocd (for make flash; make test checks its no-probe path)
#   test: also cmocka (64- and 32-bit), gcc-multilib, qemu-user (to run the
#         -m32 tests where the kernel cannot), clang + compiler-rt (fuzzing),
#         cppcheck, clang-tidy and gdb-multiarch.
# As root it runs apt-get; otherwise it prints the exact command and fails.
set -euo pipefail
what=${1:-run}
missing=()
need_i386=0

have() { command -v "$1" >/dev/null 2>&1; }

have arm-none-eabi-gcc || missing+=(gcc-arm-none-eabi)
if ! have arm-none-eabi-gcc || [ ! -f "$(arm-none-eabi-gcc -print-file-name=libc.a)" ]; then
    missing+=(libnewlib-arm-none-eabi)
fi
have qemu-system-arm || missing+=(qemu-system-arm)
have python3 || missing+=(python3) # tools/demo9.py: demo 9's input and reference output

if [ "$what" = plot ] || [ "$what" = test ]; then
    [ -x /usr/bin/python3-mprof ] || missing+=(python3-memory-profiler)
    /usr/bin/python3 -c 'import matplotlib' 2>/dev/null || missing+=(python3-matplotlib)
fi

if [ "$what" = flash ] || [ "$what" = test ]; then
    have openocd || missing+=(openocd)
fi

if [ "$what" = test ]; then
    [ -f /usr/include/cmocka.h ] || missing+=(libcmocka-dev)
    have cppcheck || missing+=(cppcheck)
    have clang-tidy || missing+=(clang-tidy)
    have clang || missing+=(clang)
    ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 \
        || missing+=(libclang-rt-dev)
    have gdb-multiarch || missing+=(gdb-multiarch)
    if [ "$(uname -m)" = x86_64 ]; then
        # -print-libgcc-file-name answers even without multilib: link a test
        printf 'int main(void) { return 0; }\n' | gcc -m32 -x c - -o /dev/null 2>/dev/null \
            || missing+=(gcc-multilib)
        if [ ! -f /usr/lib/i386-linux-gnu/libcmocka.so ]; then
            missing+=(libcmocka-dev:i386)
            need_i386=1
        fi
        have qemu-i386 || missing+=(qemu-user)
    fi
fi

[ ${#missing[@]} -eq 0 ] && exit 0

cmd="apt-get install -y --no-install-recommends ${missing[*]}"
prep="apt-get update"
[ $need_i386 -eq 1 ] && prep="dpkg --add-architecture i386 && apt-get update"
if [ "$(id -u)" -ne 0 ]; then
    echo "mmrt: missing Debian packages: ${missing[*]}" >&2
    echo "mmrt: run as root:  $prep && $cmd" >&2
    exit 1
fi
echo "mmrt: installing missing Debian packages: ${missing[*]}"
[ $need_i386 -eq 1 ] && dpkg --add-architecture i386
# A mirror in mid-sync can fail one index; the install below says if it matters.
apt-get update -qq || echo "mmrt: apt-get update reported errors; trying the install anyway" >&2
DEBIAN_FRONTEND=noninteractive $cmd -qq
