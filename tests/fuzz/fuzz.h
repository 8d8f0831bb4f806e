/*
 * fuzz.h - what the libFuzzer harnesses of tests/fuzz share.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stdio.h>
#include <stdlib.h>

/* A failed check: "file:line: condition" on stderr, then abort(), which
 * libFuzzer reports as a crash with the input that caused it. */
#define REQUIRE(cond)                                                         \
    do {                                                                      \
        if (!(cond)) {                                                        \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);        \
            abort();                                                          \
        }                                                                     \
    } while (0)

#endif /* FUZZ_H */
