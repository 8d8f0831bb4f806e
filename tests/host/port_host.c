/*
 * port_host.c - mm_port.h for the host tests and fuzzers. See port_host.h
 * for the behaviour of each function.
 */
#include "port_host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MISUSE_MSG_MAX 512

static int lock_depth;
static int misuse_count;
static bool misuse_fatal;
static bool misuse_quiet;
static char misuse_last[MISUSE_MSG_MAX];

static bool capturing;
static char capture_buf[PORT_CAPTURE_MAX + 1];
static size_t capture_len;
static size_t capture_drop;

static uint64_t clock_ticks;

/* ---- lock ---- */

uint32_t mm_port_lock(void)
{
    lock_depth++;
    return (uint32_t)(lock_depth - 1);
}

static void (*unlock_hook)(void *arg);
static void *unlock_arg;
static bool in_hook;

void mm_port_unlock(uint32_t state)
{
    if (lock_depth <= 0) {
        mm_port_panic(__FILE__, __LINE__, "mm_port_unlock: not locked");
    }
    if (state != (uint32_t)(lock_depth - 1)) {
        mm_port_panic(__FILE__, __LINE__, "mm_port_unlock: unbalanced nesting");
    }
    lock_depth--;
    if (lock_depth == 0 && unlock_hook != NULL && !in_hook) {
        in_hook = true; /* the "interrupt" runs once, not nested in itself */
        unlock_hook(unlock_arg);
        in_hook = false;
    }
}

void port_set_unlock_hook(void (*fn)(void *arg), void *arg)
{
    unlock_hook = fn;
    unlock_arg = arg;
}

int port_lock_depth(void)
{
    return lock_depth;
}

/* ---- panic and misuse ---- */

void mm_port_panic(const char *file, int line, const char *msg)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: %s\n", file, line, msg);
    fflush(stderr);
    abort();
}

void mm_port_misuse(const char *file, int line, const char *msg)
{
    misuse_count++;
    snprintf(misuse_last, sizeof misuse_last, "%s:%d: %s", file, line, msg);
    if (!misuse_quiet || misuse_fatal) {
        fprintf(stderr, "misuse: %s\n", misuse_last);
        fflush(stderr);
    }
    if (misuse_fatal) {
        fflush(stdout);
        abort();
    }
}

int port_misuse_count(void)
{
    return misuse_count;
}

const char *port_last_misuse(void)
{
    return misuse_last;
}

void port_reset_misuse(void)
{
    misuse_count = 0;
    misuse_last[0] = '\0';
}

void port_set_misuse_fatal(bool fatal)
{
    misuse_fatal = fatal;
}

void port_set_misuse_quiet(bool quiet)
{
    misuse_quiet = quiet;
}

/* ---- clock ---- */

uint64_t mm_port_clock(void)
{
    return ++clock_ticks;
}

/* ---- output ---- */

void mm_port_write(const char *s, size_t n)
{
    if (!capturing) {
        fwrite(s, 1, n, stdout);
        return;
    }
    size_t room = PORT_CAPTURE_MAX - capture_len;
    size_t take = n < room ? n : room;
    memcpy(capture_buf + capture_len, s, take);
    capture_len += take;
    capture_drop += n - take;
    capture_buf[capture_len] = '\0';
}

void port_capture_begin(void)
{
    capturing = true;
    capture_len = 0;
    capture_drop = 0;
    capture_buf[0] = '\0';
}

const char *port_capture_end(void)
{
    capturing = false;
    return capture_buf;
}

size_t port_capture_dropped(void)
{
    return capture_drop;
}
