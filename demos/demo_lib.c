/* demo_lib.c - the few helpers every demo shares (see demos.h). */
#include <string.h>

#include "demos.h"
#include "kernel.h"

#include "fmt/mm_fmt.h"

bool demo_lang_en;

const char *demo_bool(bool b) { return b ? "True" : "False"; }

const char *demo_unit(void) {
    bool cycles = strcmp(counter_unit(), "cycles") == 0;
    return cycles ? L("个周期", "cycles") : L("条指令", "instructions");
}

size_t demo_used_bytes(const demo_env *env) {
    mm_stats st;
    mm_get_stats(env->heap, &st);
    return st.used_bytes;
}

int demo_fail_at(const char *file, int line, const char *what) {
    mm_printf("demo: %s:%d: %s\n", file, line, what);
    return 1;
}
