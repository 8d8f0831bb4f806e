/*
 * diag_file.h - host files for the diagnostics' outputs (the trace dump of
 * demo 8, the mprof series of demo 7), written over semihosting.
 */
#ifndef MMRT_DIAG_FILE_H
#define MMRT_DIAG_FILE_H

#include <stddef.h>

/* Opens path on the host for writing (truncated). Returns a handle >= 0,
 * or -1 after printing one line that says the file was not written. */
int diag_file_open(const char *path);

/* An mm_diag_write_fn over a handle from diag_file_open (ctx points at
 * it): 0 when all n bytes were written, -1 otherwise. */
int diag_file_write(void *ctx, const char *s, size_t n);

/* Closes the handle; returns 0 or -1. */
int diag_file_close(int fd);

/* Demos 7 and 8 never run at once, so their static tables share one
 * block of RAM (the 8 KiB boards need the bytes): the profiler of demo 7
 * and the tracer of demo 8. Each call hands out the same memory. */
struct mm_profiler *diag_profiler(void);
struct mm_tracer *diag_tracer(void);

#endif /* MMRT_DIAG_FILE_H */
