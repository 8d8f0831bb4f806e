/* diag_file.c - host files for the diagnostics (diag_file.h). */
#include "diag_file.h"

#include "diag/mm_profile.h"
#include "diag/mm_trace.h"
#include "fmt/mm_fmt.h"
#include "semihost.h"

static union {
    mm_profiler profiler;
    mm_tracer tracer;
} shared;

mm_profiler *diag_profiler(void)
{
    return &shared.profiler;
}

mm_tracer *diag_tracer(void)
{
    return &shared.tracer;
}

int diag_file_open(const char *path)
{
    int fd = sh_open(path, SH_MODE_W);
    if (fd < 0) {
        mm_printf("(%s not written: the host refused to open it, errno %d)\n", path, sh_errno());
    }
    return fd;
}

int diag_file_write(void *ctx, const char *s, size_t n)
{
    return sh_write(*(const int *)ctx, s, n);
}

int diag_file_close(int fd)
{
    return sh_close(fd);
}
