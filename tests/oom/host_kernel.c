/*
 * host_kernel.c - what the demos take from kernel/ (the instruction
 * counter, semihosting's host files), for the host build of the OOM sweep
 * (tests/oom/oom_sweep.c). Files are the host's own, through POSIX.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include "console.h"
#include "kernel.h"
#include "semihost.h"

static uint64_t ticks;

uint64_t counter_instructions(void) { return ticks += 1000u; }

const char *counter_unit(void) { return "instructions"; }

bool kernel_has_semihosting(void) { return true; }

static int last_errno;

int sh_open(const char *path, int mode)
{
    int flags = mode >= SH_MODE_W ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;
    int fd = open(path, flags, 0644);
    last_errno = fd < 0 ? errno : 0;
    return fd;
}

int sh_close(int fd) { return close(fd) == 0 ? 0 : -1; }

long sh_read(int fd, void *buf, size_t n) { return (long)read(fd, buf, n); }

int sh_write(int fd, const void *buf, size_t n)
{
    return write(fd, buf, n) == (ssize_t)n ? 0 : -1;
}

long sh_flen(int fd)
{
    off_t here = lseek(fd, 0, SEEK_CUR), end = lseek(fd, 0, SEEK_END);
    (void)lseek(fd, here, SEEK_SET);
    return (long)end;
}

int sh_errno(void) { return last_errno; }
