/*
 * w4count.c - worst-case instructions of a single alloc or free (W4).
 *
 * Reads a QEMU "-singlestep -d exec,nochain" trace of the bench firmware
 * running W4 on stdin: one line per executed instruction, the PC the second
 * field of the bracket ("Trace 0: 0x... [cs_base/PC/flags/cflags] sym").
 * Each op is counted from entering its w4_begin_<kind> marker to entering
 * w4_end. The firmware runs the same op sequence once per allocator, the
 * do-nothing allocator first, so op k of the null run is the harness cost of
 * op k of the others. Prints RESULT lines with the worst and mean net count
 * per allocator and kind.
 *
 * usage: w4count <alloc_small> <alloc_large> <free_small> <free_large> <end>
 *                <impl>... (hex marker addresses, then the allocator names)
 *        w4count -g <label> <markers as above> <impl>
 * With -g the trace is of one allocator alone, filtered by QEMU (-dfilter)
 * to the allocator's own functions (and memset/memcpy/memmove) and the
 * markers: each op's count is then exactly the instructions the allocator
 * executed for it, from its first instruction to its return; printed as
 * "RESULT <label> <impl> worst_<kind>_instr", with the mean and the number
 * of calls and of those above OVER instructions ("<kind>_calls_over_200").
 * It then lists the calls above OVER by the functions they ran (the
 * symbol that ends each trace line), most frequent first, one line each:
 * "over_200 <label> <calls> calls, mean <m>, worst <w>: <kind>: <functions>"
 * (at most MAX_PATHS such sets; the rest are counted as "other").
 * A host tool (built by tools/bench.sh with the host gcc), not firmware.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KINDS 4
#define MAX_OPS 2000000
#define MAX_IMPLS 4
#define OVER 200 /* the per-call bound of issue #14: calls above it are counted */

static const char *const kind_name[KINDS] = {"alloc_small", "alloc_large", "free_small",
                                             "free_large"};
static uint32_t counts[MAX_OPS];
static uint8_t kinds[MAX_OPS];

/* -g: the functions one call ran, and the calls over OVER grouped by them. */
#define MAX_FUNCS 24  /* distinct functions kept per call */
#define NAME_LEN 48
#define MAX_PATHS 64
static char funcs[MAX_FUNCS][NAME_LEN];
static int nfuncs;
typedef struct {
    char text[MAX_FUNCS * NAME_LEN]; /* "<kind>: f1 f2 ...", names sorted */
    size_t calls;
    double total;
    uint32_t worst;
} path;
static path paths[MAX_PATHS + 1]; /* the last one: "other" */
static int npaths;

/* Notes the function named at the end of trace line `line` (after ']'). */
static void note_func(const char *line) {
    const char *b = strrchr(line, ']');
    if (b == NULL) {
        return;
    }
    char name[NAME_LEN];
    if (sscanf(b + 1, " %47s", name) != 1) {
        return;
    }
    for (int i = 0; i < nfuncs; i++) {
        if (strcmp(funcs[i], name) == 0) {
            return;
        }
    }
    if (nfuncs < MAX_FUNCS) {
        memcpy(funcs[nfuncs++], name, sizeof name);
    }
}

static int by_name(const void *a, const void *b) { return strcmp(a, b); }

/* Adds a call of `count` instructions of kind k to its set of functions. */
static void add_path(int k, uint32_t count) {
    char text[sizeof paths[0].text];
    qsort(funcs, (size_t)nfuncs, NAME_LEN, by_name);
    size_t len = (size_t)snprintf(text, sizeof text, "%s:", kind_name[k]);
    for (int i = 0; i < nfuncs && len < sizeof text; i++) {
        len += (size_t)snprintf(text + len, sizeof text - len, " %s", funcs[i]);
    }
    int p = 0;
    while (p < npaths && strcmp(paths[p].text, text) != 0) {
        p++;
    }
    if (p == npaths) {
        if (npaths < MAX_PATHS) {
            npaths++;
            memcpy(paths[p].text, text, sizeof text);
        } else {
            p = MAX_PATHS;
            snprintf(paths[p].text, sizeof paths[p].text, "other");
        }
    }
    paths[p].calls++;
    paths[p].total += (double)count;
    paths[p].worst = count > paths[p].worst ? count : paths[p].worst;
}

static int by_calls(const void *a, const void *b) {
    const path *x = a, *y = b;
    return x->calls < y->calls ? 1 : x->calls > y->calls ? -1 : 0;
}

int main(int argc, char **argv) {
    const char *label = NULL;
    if (argc > 2 && strcmp(argv[1], "-g") == 0) {
        label = argv[2];
        argc -= 2;
        argv += 2;
    }
    if (argc < 7 || argc - 6 > MAX_IMPLS) {
        fprintf(stderr, "usage: w4count as al fs fl end impl...\n");
        return 2;
    }
    unsigned long begin[KINDS], end = strtoul(argv[5], NULL, 16);
    for (int k = 0; k < KINDS; k++) {
        begin[k] = strtoul(argv[1 + k], NULL, 16);
    }
    int nimpl = argc - 6;
    char line[512];
    size_t n = 0;
    int open = 0, kind = 0;
    uint32_t c = 0;
    while (fgets(line, sizeof line, stdin) != NULL) {
        const char *b = strchr(line, '[');
        const char *slash = b != NULL ? strchr(b, '/') : NULL;
        if (slash == NULL) {
            continue;
        }
        unsigned long pc = strtoul(slash + 1, NULL, 16);
        if (open) {
            if (pc == end) {
                if (n == MAX_OPS) {
                    fprintf(stderr, "w4count: more than %d ops\n", MAX_OPS);
                    return 1;
                }
                if (label != NULL && c > OVER) {
                    add_path(kind, c);
                }
                counts[n] = c;
                kinds[n++] = (uint8_t)kind;
                open = 0;
            } else {
                c++;
                if (label != NULL) {
                    note_func(slash);
                }
            }
            continue;
        }
        for (int k = 0; k < KINDS; k++) {
            if (pc == begin[k]) {
                open = 1;
                c = 0;
                kind = k;
                nfuncs = 0;
            }
        }
    }
    if (n == 0 || n % (size_t)nimpl != 0) {
        fprintf(stderr, "w4count: %zu ops do not split into %d runs\n", n, nimpl);
        return 1;
    }
    if (label != NULL) { /* one filtered run: the counts are the allocator's */
        long worst[KINDS] = {0};
        double total[KINDS] = {0};
        size_t num[KINDS] = {0}, over[KINDS] = {0};
        for (size_t j = 0; j < n; j++) {
            worst[kinds[j]] = (long)counts[j] > worst[kinds[j]] ? (long)counts[j] : worst[kinds[j]];
            total[kinds[j]] += (double)counts[j];
            num[kinds[j]]++;
            over[kinds[j]] += counts[j] > OVER ? 1u : 0u;
        }
        for (int k = 0; k < KINDS; k++) {
            if (num[k] != 0) {
                printf("RESULT %s %s worst_%s_instr %ld\n", label, argv[6], kind_name[k], worst[k]);
                printf("RESULT %s %s mean_%s_instr %.1f\n", label, argv[6], kind_name[k],
                       total[k] / (double)num[k]);
                printf("RESULT %s %s %s_calls %zu\n", label, argv[6], kind_name[k], num[k]);
                printf("RESULT %s %s %s_calls_over_%d %zu\n", label, argv[6], kind_name[k], OVER,
                       over[k]);
            }
        }
        /* "other" is used only once MAX_PATHS sets are: it follows them */
        int all = npaths + (paths[MAX_PATHS].calls != 0 ? 1 : 0);
        qsort(paths, (size_t)all, sizeof paths[0], by_calls);
        for (int p = 0; p < all; p++) {
            printf("over_%d %s %zu calls, mean %.0f, worst %u: %s\n", OVER, label, paths[p].calls,
                   paths[p].total / (double)paths[p].calls, paths[p].worst, paths[p].text);
        }
        return 0;
    }
    size_t per = n / (size_t)nimpl;
    for (int i = 1; i < nimpl; i++) {
        long worst[KINDS] = {0};
        double total[KINDS] = {0};
        size_t num[KINDS] = {0};
        for (size_t j = 0; j < per; j++) {
            size_t op = (size_t)i * per + j;
            if (kinds[op] != kinds[j]) {
                fprintf(stderr, "w4count: op sequences differ at op %zu\n", j);
                return 1;
            }
            long net = (long)counts[op] - (long)counts[j];
            worst[kinds[op]] = net > worst[kinds[op]] ? net : worst[kinds[op]];
            total[kinds[op]] += (double)net;
            num[kinds[op]]++;
        }
        for (int k = 0; k < KINDS; k++) {
            if (num[k] != 0) {
                printf("RESULT W4 %s worst_%s_instr %ld\n", argv[6 + i], kind_name[k], worst[k]);
                printf("RESULT W4 %s mean_%s_instr %.1f\n", argv[6 + i], kind_name[k],
                       total[k] / (double)num[k]);
            }
        }
    }
    return 0;
}
