/*
 * demo_9_large_file.c - article 5.1 (大数据处理优化): a file larger than
 * the board's RAM, processed line by line in flat memory.
 *
 *   def process_large_file(path):
 *       with open(path) as f:
 *           for line in f:
 *               yield line.strip().upper()
 *   with open("processed_output.txt", "w") as out:
 *       for data in process_large_file("large_input.txt"):
 *           out.write(data + "\n")
 *
 * process_large_file is a runtime generator (mm_generator_new) whose step
 * reads the next line through semihosting and yields
 * mm_str_upper(mm_str_strip(line)): ASCII whitespace stripped at both
 * ends, ASCII letters upper-cased, every other byte (UTF-8 included) kept.
 * Lines end at '\n' only. The input is read READ_CHUNK bytes at a time; a
 * line longer than that grows the line body on the heap until the line is
 * whole, so no line is ever cut. Output goes through a WRITE_CHUNK buffer.
 * Heap use therefore follows the longest line, never the file's size; the
 * demo reads it at every line's busiest moment (line, stripped and
 * upper-cased strs alive) and prints the peak.
 *
 * A missing input file: a message naming it, nothing written, the demo
 * fails (exit code 1). `make run` makes large_input.txt when it is
 * missing (tools/demo9.py).
 */
#include <string.h>

#include "demos.h"
#include "console.h"
#include "fmt/mm_fmt.h"
#include "semihost.h"

int demo_large_file(demo_env *env);

#define INPUT_PATH "large_input.txt"
#define OUTPUT_PATH "processed_output.txt"
#define READ_CHUNK 64u
#define WRITE_CHUNK 128u

/* The open input and its read buffer; static (one file at a time), so the
 * generator holds no pointer into C memory. */
typedef struct reader {
    int fd;
    bool eof, failed;
    size_t pos, len;            /* unread bytes: buf[pos..len) */
    char buf[READ_CHUNK];
    void *line;                 /* the current line, a heap body */
    size_t line_len, line_cap;
    size_t used0, used_peak;    /* heap bytes in use: at the start, most seen */
    uint32_t lines;
} reader;

static reader in;
static demo_env *cur_env;

/* Refills in.buf; false at end of file or on a read error. */
static bool refill(void) {
    long n = sh_read(in.fd, in.buf, sizeof in.buf);
    if (n < 0) {
        in.failed = true;
    }
    in.pos = 0;
    in.len = n > 0 ? (size_t)n : 0u;
    in.eof = n <= 0;
    return n > 0;
}

/* Appends n bytes to the line body, growing it (doubling) on the heap. */
static bool line_add(mm_rt *rt, const char *p, size_t n) {
    if (in.line_len + n > in.line_cap) {
        size_t cap = in.line_cap == 0 ? READ_CHUNK : in.line_cap;
        while (cap < in.line_len + n) {
            cap *= 2u;
        }
        if (mm_rt_alloc(rt, &in.line, cap) == NULL) {
            return false;
        }
        in.line_cap = cap;
    }
    memcpy((char *)in.line + in.line_len, p, n);
    in.line_len += n;
    return true;
}

/* Reads the next line (without its '\n') into the line body. MMO_OK,
 * MMO_STOP at end of input, or a MemoryError. */
static mm_status read_line(mm_rt *rt) {
    in.line_len = 0;
    bool any = false;
    for (;;) {
        if (in.pos == in.len && !refill()) {
            return any ? MMO_OK : MMO_STOP;
        }
        any = true;
        const char *start = in.buf + in.pos;
        const char *nl = memchr(start, '\n', in.len - in.pos);
        size_t n = nl != NULL ? (size_t)(nl - start) : in.len - in.pos;
        if (!line_add(rt, start, n)) {
            return mm_rt_error(rt);
        }
        in.pos += n + (nl != NULL ? 1u : 0u);
        if (nl != NULL) {
            return MMO_OK;
        }
    }
}

/* The generator's step: yields line.strip().upper() as a NEW str. */
static mm_status next_line(mm_rt *rt, mm_h gen, mm_generator_state *st, mm_h *out) {
    (void)gen;
    (void)st;
    mm_status s = read_line(rt);
    if (s != MMO_OK) {
        return s;
    }
    mm_h line = mm_str_new(rt, (const char *)in.line, in.line_len);
    mm_h stripped = line != MM_NULL ? mm_str_strip(rt, line) : MM_NULL;
    mm_h upper = stripped != MM_NULL ? mm_str_upper(rt, stripped) : MM_NULL;
    size_t used = demo_used_bytes(cur_env) - in.used0;
    in.used_peak = used > in.used_peak ? used : in.used_peak;
    mm_decref(rt, stripped);
    mm_decref(rt, line);
    if (upper == MM_NULL) {
        return mm_is_memory_error(mm_rt_error(rt)) ? mm_rt_error(rt) : MMO_TYPE;
    }
    in.lines++;
    *out = upper;
    return MMO_OK;
}

/* Output through a small buffer: one semihosting write per WRITE_CHUNK. */
typedef struct writer {
    int fd;
    bool failed;
    size_t len;
    uint64_t total;
    char buf[WRITE_CHUNK];
} writer;

static writer outw;

static void out_flush(void) {
    if (outw.len > 0 && sh_write(outw.fd, outw.buf, outw.len) != 0) {
        outw.failed = true;
    }
    outw.total += outw.len;
    outw.len = 0;
}

static void out_put(const char *p, size_t n) {
    while (n > 0) {
        size_t k = sizeof outw.buf - outw.len;
        k = k < n ? k : n;
        memcpy(outw.buf + outw.len, p, k);
        outw.len += k;
        p += k;
        n -= k;
        if (outw.len == sizeof outw.buf) {
            out_flush();
        }
    }
}

/* save_processed_data: writes every item of gen, each with "\n". */
static mm_status save_processed_data(mm_rt *rt, mm_h gen) {
    mm_h data;
    mm_status st;
    while ((st = mm_iter_next(rt, gen, &data)) == MMO_OK) {
        size_t n;
        const char *p = mm_str_data(rt, data, &n);
        out_put(p, n);
        out_put("\n", 1);
        mm_decref(rt, data);
    }
    out_flush();
    return st;
}

int demo_large_file(demo_env *env) {
    mm_rt *rt = env->rt;
    memset(&in, 0, sizeof in);
    memset(&outw, 0, sizeof outw);
    cur_env = env;
    if (!kernel_has_semihosting()) { /* a board running alone: no host files */
        mm_printf("%s\n", L("演示 9 通过半主机读写主机文件, 未连接调试器: 跳过",
                             "demo 9 reads and writes host files through semihosting; "
                             "no debugger attached: skipped"));
        return 0;
    }
    in.fd = sh_open(INPUT_PATH, SH_MODE_RB);
    if (in.fd < 0) {
        mm_printf("demo_9: %s:%d: process_large_file: cannot open '%s' (host errno %d); "
                  "nothing written. `make run DEMO=9` creates it.\n",
                  __FILE__, __LINE__, INPUT_PATH, sh_errno());
        return 1;
    }
    long size = sh_flen(in.fd);
    mm_printf("%s %s: %ld %s; %s %lu %s; %s %s\n", L("输入", "input"), INPUT_PATH, size,
              L("字节", "bytes"), L("mm 区 (全部空闲 RAM)", "mm region (all free RAM)"),
              (unsigned long)env->region_size, L("字节", "bytes"),
              L("文件大于 RAM:", "file larger than RAM:"),
              demo_bool(size > 0 && (unsigned long)size > env->region_size));
    outw.fd = sh_open(OUTPUT_PATH, SH_MODE_WB);
    if (outw.fd < 0) {
        mm_printf("demo_9: %s:%d: save_processed_data: cannot create '%s' (host errno %d)\n",
                  __FILE__, __LINE__, OUTPUT_PATH, sh_errno());
        (void)sh_close(in.fd);
        return 1;
    }
    in.used0 = demo_used_bytes(env);
    mm_h gen = mm_generator_new(rt, next_line, MM_NULL, 0, 0, 0);
    mm_status st = gen != MM_NULL ? save_processed_data(rt, gen) : mm_rt_error(rt);
    mm_decref(rt, gen);
    mm_rt_free(rt, in.line);
    in.line = NULL;
    (void)sh_close(in.fd);
    (void)sh_close(outw.fd);
    if (st != MMO_STOP || in.failed || outw.failed) {
        mm_printf("demo_9: %s:%d: stopped after %lu lines: %s%s%s\n", __FILE__, __LINE__,
                  (unsigned long)in.lines, st == MMO_STOP ? "" : mm_status_str(st),
                  in.failed ? " read error" : "", outw.failed ? " write error" : "");
        return 1;
    }
    mm_printf("%s %lu %s, %s %llu %s\n", L("已处理", "processed"), (unsigned long)in.lines,
              L("行", "lines"), L("写入 " OUTPUT_PATH, "wrote " OUTPUT_PATH),
              (unsigned long long)outw.total, L("字节", "bytes"));
    mm_printf("%s %lu %s\n", L("处理时堆内存峰值:", "peak heap in use while processing:"),
              (unsigned long)in.used_peak, L("字节 (取决于最长的行, 与文件大小无关)",
                                             "bytes (set by the longest line, not by the file size)"));
    mm_printf("%s\n", L("大文件处理完成,内存高效使用!", "large file processed, memory used efficiently!"));
    return 0;
}
