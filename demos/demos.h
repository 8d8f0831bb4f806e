/*
 * demos.h - the table of demos the runner knows (kernel/runner.c).
 * Each demo re-creates one example of ../shared/seed (see DEMOS.md) and
 * returns 0 on success, non-zero when something it checks went wrong.
 */
#ifndef MMRT_DEMOS_H
#define MMRT_DEMOS_H

#include <stddef.h>

typedef struct {
    int number;         /* as in DEMOS.md, used on the command line */
    const char *name;   /* short name, also accepted on the command line */
    const char *title;  /* the article's section */
    int (*run)(void);
} demo;

extern const demo demo_table[];
extern const size_t demo_count;

#endif /* MMRT_DEMOS_H */
