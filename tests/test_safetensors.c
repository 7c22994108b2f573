/*
 * test_safetensors.c — the safetensors loader (engine/safetensors.c) and writer (st_write.c).
 *
 * Good files (single and sharded) are written with st_writer into a temporary directory and read
 * back; every malformed case named in issue 2 (header larger than the file, truncated data,
 * overlapping spans, dtype × shape != span, unknown dtype, bad JSON, index problems) is written
 * byte by byte with st_write_raw and must fail with one line naming the file and the tensor.
 */
#include <sys/stat.h>
#include <unistd.h>
#include "engine/safetensors.h"
#include "engine/st_write.h"
#include "tests/test_util.h"

static char tmpdir[256];

static void make_tmpdir(void) {
    if (tmpdir[0]) return;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/v4eval-st-XXXXXX");
    if (!mkdtemp(tmpdir)) tmpdir[0] = 0;
}

static void path_in(char *buf, size_t len, const char *sub, const char *name) {
    make_tmpdir();
    if (sub) {
        snprintf(buf, len, "%s/%s", tmpdir, sub);
        mkdir(buf, 0755);
        snprintf(buf, len, "%s/%s/%s", tmpdir, sub, name);
    } else {
        snprintf(buf, len, "%s/%s", tmpdir, name);
    }
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

/* A good single file: F32 [2,3], BF16 [5], I64 [3,2], FP8 weight [130,129] + scale [2,2],
 * packed FP4 [4, 32] (logical [4, 64]) + scale [4, 2]. */
static int write_good(const char *path) {
    char err[V4_ERRLEN];
    st_writer *w = st_writer_new();
    float a[6] = {1, 2, 3, 4, 5, 6};
    float b[5] = {0.5f, -1, 2, 3.25f, 1e-3f};
    int64_t c[6] = {0, 1, 2, 3, 4, 5};
    int rc = 0;
    rc |= st_writer_add_f32(w, "a", ST_F32, 2, (int64_t[]){2, 3}, a, err, sizeof err);
    rc |= st_writer_add_f32(w, "b.weight", ST_BF16, 1, (int64_t[]){5}, b, err, sizeof err);
    rc |= st_writer_add(w, "c", ST_I64, 2, (int64_t[]){3, 2}, c, sizeof c, err, sizeof err);
    uint8_t *q = malloc(130 * 129);
    for (int i = 0; i < 130 * 129; i++) q[i] = 0x38;  /* 1.0 */
    uint8_t qs[4] = {127, 128, 126, 127};
    rc |= st_writer_add(w, "lin.weight", ST_F8_E4M3, 2, (int64_t[]){130, 129}, q, 130 * 129, err, sizeof err);
    rc |= st_writer_add(w, "lin.scale", ST_F8_E8M0, 2, (int64_t[]){2, 2}, qs, 4, err, sizeof err);
    uint8_t p4[4 * 32], p4s[8];
    for (int i = 0; i < 128; i++) p4[i] = 0x2c;           /* even col -2.0, odd col 1.0 */
    for (int i = 0; i < 8; i++) p4s[i] = 127;
    rc |= st_writer_add(w, "exp.weight", ST_I8, 2, (int64_t[]){4, 32}, p4, sizeof p4, err, sizeof err);
    rc |= st_writer_add(w, "exp.scale", ST_F8_E8M0, 2, (int64_t[]){4, 2}, p4s, 8, err, sizeof err);
    rc |= st_writer_add_f32(w, "h.weight", ST_F16, 2, (int64_t[]){1, 5}, b, err, sizeof err);
    if (rc) printf("    writer: %s\n", err);
    rc |= st_writer_save(w, path, err, sizeof err);
    st_writer_free(w);
    free(q);
    return rc;
}

static void test_good_file(void) {
    char path[512], err[V4_ERRLEN] = "";
    path_in(path, sizeof path, "good", "model.safetensors");
    CU_ASSERT_EQUAL_FATAL(write_good(path), 0);
    st_set *s = NULL;
    int rc = st_open_file(path, &s, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(st_count(s), 8);
    const st_tensor *t = st_find(s, "a");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(t->dtype, ST_F32);
    CU_ASSERT_EQUAL(t->ndim, 2);
    CU_ASSERT_EQUAL(t->shape[1], 3);
    CU_ASSERT_EQUAL(((const float *)t->data)[5], 6.0f);
    CU_ASSERT_EQUAL((uintptr_t)t->data % 4, 0);
    t = st_find(s, "c");
    CU_ASSERT_EQUAL(((const int64_t *)t->data)[4], 4);
    CU_ASSERT_PTR_NULL(st_find(s, "nope"));
    CU_ASSERT_PTR_NULL(st_find(s, "__metadata__"));
    /* st_expect: ok, wrong shape, wrong dtype, missing */
    CU_ASSERT_EQUAL(st_expect(s, "a", ST_F32, 2, (int64_t[]){2, 3}, &t, err, sizeof err), 0);
    CU_ASSERT(st_expect(s, "a", ST_F32, 2, (int64_t[]){3, 2}, &t, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "tensor a: expected F32 [3, 2], found F32 [2, 3]") != NULL);
    CU_ASSERT(strstr(err, path) != NULL);
    CU_ASSERT(st_expect(s, "b.weight", ST_F32, 1, (int64_t[]){5}, &t, err, sizeof err) != 0);
    CU_ASSERT(strstr(err, "expected F32 [5], found BF16 [5]") != NULL);
    CU_ASSERT(st_expect(s, "zz", ST_F32, 1, (int64_t[]){5}, &t, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "tensor zz") != NULL && strstr(err, "missing") != NULL);
    /* st_bind_weight */
    v4_weight w;
    CU_ASSERT_EQUAL(st_bind_weight(s, "lin", 130, 129, 128, 128, &w, err, sizeof err), 0);
    CU_ASSERT_EQUAL(w.fmt, FMT_FP8);
    CU_ASSERT_EQUAL(w.scale_rows, 2);
    CU_ASSERT_EQUAL(w.scale_cols, 2);
    float row[129];
    fmt_dequant_row(&w, 129, row);                        /* scale row 1: {126, 127} */
    CU_ASSERT_EQUAL(row[0], 0.5f);
    CU_ASSERT_EQUAL(row[128], 1.0f);
    CU_ASSERT_EQUAL(st_bind_weight(s, "exp", 4, 64, 128, 128, &w, err, sizeof err), 0);
    CU_ASSERT_EQUAL(w.fmt, FMT_FP4);
    float r4[64];
    fmt_dequant_row(&w, 3, r4);
    CU_ASSERT_EQUAL(r4[0], -2.0f);
    CU_ASSERT_EQUAL(r4[1], 1.0f);
    CU_ASSERT_EQUAL(st_bind_weight(s, "h", 1, 5, 128, 128, &w, err, sizeof err), 0);
    CU_ASSERT_EQUAL(w.fmt, FMT_F16);
    CU_ASSERT(st_bind_weight(s, "lin", 130, 128, 128, 128, &w, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "lin.weight") != NULL);
    CU_ASSERT(st_bind_weight(s, "exp", 4, 62, 128, 128, &w, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(st_bind_weight(s, "missing", 4, 64, 128, 128, &w, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "missing.weight") != NULL);
    st_close(s);
    /* st_open_dir on the same directory */
    char dir[512];
    snprintf(dir, sizeof dir, "%s/good", tmpdir);
    CU_ASSERT_EQUAL(st_open_dir(dir, &s, err, sizeof err), 0);
    CU_ASSERT_EQUAL(st_count(s), 8);
    st_close(s);
}

/* Scale with the wrong shape or dtype: bind fails naming the scale tensor. */
static void test_bind_bad_scale(void) {
    char path[512], err[V4_ERRLEN];
    path_in(path, sizeof path, NULL, "badscale.safetensors");
    st_writer *w = st_writer_new();
    uint8_t q[256 * 4] = {0}, s[3] = {127, 127, 127};
    st_writer_add(w, "x.weight", ST_F8_E4M3, 2, (int64_t[]){256, 4}, q, sizeof q, err, sizeof err);
    st_writer_add(w, "x.scale", ST_F8_E8M0, 2, (int64_t[]){3, 1}, s, 3, err, sizeof err);
    st_writer_add(w, "y.weight", ST_F8_E4M3, 2, (int64_t[]){256, 4}, q, sizeof q, err, sizeof err);
    st_writer_add(w, "t.weight", ST_I64, 2, (int64_t[]){2, 4}, q, 64, err, sizeof err);
    CU_ASSERT_EQUAL(st_writer_save(w, path, err, sizeof err), 0);
    st_writer_free(w);
    st_set *set;
    CU_ASSERT_EQUAL_FATAL(st_open_file(path, &set, err, sizeof err), 0);
    v4_weight wt;
    CU_ASSERT(st_bind_weight(set, "x", 256, 4, 128, 128, &wt, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "x.scale: expected F8_E8M0 [2, 1], found F8_E8M0 [3, 1]") != NULL);
    CU_ASSERT(st_bind_weight(set, "y", 256, 4, 128, 128, &wt, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "y.scale") != NULL && strstr(err, "missing") != NULL);
    CU_ASSERT(st_bind_weight(set, "t", 2, 4, 128, 128, &wt, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "found I64 [2, 4]") != NULL);
    st_close(set);
}

static void test_sharded(void) {
    char p1[512], p2[512], idx[512], dir[512], err[V4_ERRLEN] = "";
    path_in(p1, sizeof p1, "sharded", "model-00001-of-00002.safetensors");
    path_in(p2, sizeof p2, "sharded", "model-00002-of-00002.safetensors");
    path_in(idx, sizeof idx, "sharded", "model.safetensors.index.json");
    snprintf(dir, sizeof dir, "%s/sharded", tmpdir);
    float v[4] = {1, 2, 3, 4};
    st_writer *w = st_writer_new();
    st_writer_add_f32(w, "x", ST_F32, 1, (int64_t[]){4}, v, err, sizeof err);
    st_writer_add_f32(w, "y", ST_BF16, 1, (int64_t[]){2}, v, err, sizeof err);
    CU_ASSERT_EQUAL(st_writer_save(w, p1, err, sizeof err), 0);
    st_writer_free(w);
    w = st_writer_new();
    st_writer_add_f32(w, "z", ST_F32, 2, (int64_t[]){2, 2}, v, err, sizeof err);
    CU_ASSERT_EQUAL(st_writer_save(w, p2, err, sizeof err), 0);
    st_writer_free(w);
    write_text(idx, "{\"metadata\": {\"total_size\": 36}, \"weight_map\": {"
                    "\"x\": \"model-00001-of-00002.safetensors\", "
                    "\"y\": \"model-00001-of-00002.safetensors\", "
                    "\"z\": \"model-00002-of-00002.safetensors\"}}");
    st_set *s = NULL;
    int rc = st_open_dir(dir, &s, err, sizeof err);
    if (rc) printf("    %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL(st_count(s), 3);
    const st_tensor *t = st_find(s, "z");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(((const float *)t->data)[3], 4.0f);
    CU_ASSERT(strstr(t->file, "00002") != NULL);
    CU_ASSERT(strstr(st_find(s, "y")->file, "00001") != NULL);
    st_close(s);

    /* index names a tensor that its shard lacks */
    write_text(idx, "{\"weight_map\": {\"x\": \"model-00001-of-00002.safetensors\", "
                    "\"w\": \"model-00002-of-00002.safetensors\"}}");
    CU_ASSERT(st_open_dir(dir, &s, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "tensor w") != NULL && strstr(err, "missing") != NULL);
    /* index names the wrong shard */
    write_text(idx, "{\"weight_map\": {\"x\": \"model-00001-of-00002.safetensors\", "
                    "\"z\": \"model-00001-of-00002.safetensors\", "
                    "\"q\": \"model-00002-of-00002.safetensors\"}}");
    CU_ASSERT(st_open_dir(dir, &s, err, sizeof err) != 0);
    printf("    %s\n", err);
    /* index names a missing shard file */
    write_text(idx, "{\"weight_map\": {\"x\": \"model-00003-of-00002.safetensors\"}}");
    CU_ASSERT(st_open_dir(dir, &s, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "model-00003-of-00002.safetensors") != NULL);
    /* index without weight_map, and an index that is not JSON */
    write_text(idx, "{\"metadata\": {}}");
    CU_ASSERT(st_open_dir(dir, &s, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "weight_map") != NULL);
    write_text(idx, "{\"weight_map\": ");
    CU_ASSERT(st_open_dir(dir, &s, err, sizeof err) != 0);
    CU_ASSERT(strstr(err, "model.safetensors.index.json") != NULL);
    /* path escapes are refused */
    write_text(idx, "{\"weight_map\": {\"x\": \"../good/model.safetensors\"}}");
    CU_ASSERT(st_open_dir(dir, &s, err, sizeof err) != 0);
    printf("    %s\n", err);
    /* the same tensor name in two shards */
    w = st_writer_new();
    st_writer_add_f32(w, "x", ST_F32, 1, (int64_t[]){4}, v, err, sizeof err);
    CU_ASSERT_EQUAL(st_writer_save(w, p2, err, sizeof err), 0);
    st_writer_free(w);
    write_text(idx, "{\"weight_map\": {\"x\": \"model-00001-of-00002.safetensors\", "
                    "\"y\": \"model-00002-of-00002.safetensors\"}}");
    CU_ASSERT(st_open_dir(dir, &s, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "tensor x") != NULL && strstr(err, "unique") != NULL);
    /* a directory with neither file */
    char empty[512];
    path_in(empty, sizeof empty, "empty", "x");
    snprintf(empty, sizeof empty, "%s/empty", tmpdir);
    CU_ASSERT(st_open_dir(empty, &s, err, sizeof err) != 0);
    printf("    %s\n", err);
    CU_ASSERT(strstr(err, "model.safetensors") != NULL);
}

/* Writes a raw file and expects st_open_file to fail with every needle in the message. */
static void expect_bad_raw(const char *label, uint64_t hlen, const char *hdr, size_t dlen,
                           const char *n1, const char *n2) {
    char path[512], err[V4_ERRLEN] = "";
    path_in(path, sizeof path, NULL, "bad.safetensors");
    uint8_t *data = calloc(dlen ? dlen : 1, 1);
    CU_ASSERT_EQUAL_FATAL(st_write_raw(path, hlen == (uint64_t)-1 ? strlen(hdr) : hlen, hdr, data, dlen), 0);
    free(data);
    st_set *s = (st_set *)1;
    int rc = st_open_file(path, &s, err, sizeof err);
    printf("    %-22s -> %s\n", label, rc ? err : "(accepted!)");
    CU_ASSERT(rc != 0);
    CU_ASSERT_PTR_NULL(s);
    CU_ASSERT(strstr(err, path) == err);
    CU_ASSERT(strstr(err, "expected") != NULL);
    if (n1) CU_ASSERT(strstr(err, n1) != NULL);
    if (n2) CU_ASSERT(strstr(err, n2) != NULL);
    if (rc == 0) st_close(s);
}

#define AUTO ((uint64_t)-1)

static void test_bad_files(void) {
    expect_bad_raw("header > file", 1000000,
                   "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                   "header length", "larger than the file");
    expect_bad_raw("truncated data", AUTO,
                   "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
                   "tensor a", "truncated");
    expect_bad_raw("overlapping spans", AUTO,
                   "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                   "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12,
                   "non-overlapping", "tensors a and b");
    expect_bad_raw("overlap past empty", AUTO,
                   "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                   "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[6,6]},"
                   "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16,
                   "non-overlapping", "tensors a and b");
    expect_bad_raw("dtype x shape != span", AUTO,
                   "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3,2],\"data_offsets\":[0,8]}}", 8,
                   "tensor w", "expected 12 bytes for BF16 [3, 2], found a span of 8 bytes");
    expect_bad_raw("unknown dtype", AUTO,
                   "{\"w\":{\"dtype\":\"F6_E2M3\",\"shape\":[2],\"data_offsets\":[0,1]}}", 1,
                   "tensor w", "found \"F6_E2M3\"");
    expect_bad_raw("F4 odd element count", AUTO,
                   "{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2,
                   "tensor w", "even number of 4-bit elements");
    expect_bad_raw("bad JSON", AUTO, "{\"w\":{\"dtype\":\"F32\",", 0, "valid JSON", NULL);
    expect_bad_raw("not an object", AUTO, "[1, 2, 3]", 0, "JSON object", NULL);
    expect_bad_raw("negative shape", AUTO,
                   "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", 0,
                   "tensor w", "shape");
    expect_bad_raw("reversed offsets", AUTO,
                   "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8,
                   "tensor w", "data_offsets");
    expect_bad_raw("missing offsets", AUTO, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                   "tensor w", "data_offsets");
    expect_bad_raw("duplicate name", AUTO,
                   "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                   "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                   "tensor w", "unique");
    expect_bad_raw("empty header", 0, "", 0, "header", NULL);
    /* shorter than the 8-byte length field */
    char path[512], err[V4_ERRLEN] = "";
    path_in(path, sizeof path, NULL, "tiny.safetensors");
    write_text(path, "abc");
    st_set *s;
    CU_ASSERT(st_open_file(path, &s, err, sizeof err) != 0);
    printf("    %-22s -> %s\n", "3-byte file", err);
    CU_ASSERT(strstr(err, "at least 8 bytes") != NULL);
    CU_ASSERT(st_open_file("/nonexistent.safetensors", &s, err, sizeof err) != 0);
    CU_ASSERT(strstr(err, "/nonexistent.safetensors") != NULL);
}

/* A file written without header padding: tensors are realigned, values intact. */
static void test_unaligned(void) {
    char path[512], err[V4_ERRLEN];
    path_in(path, sizeof path, NULL, "unaligned.safetensors");
    const char *hdr = "{\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                      "\"f\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1,9]}}";
    uint8_t data[9] = {7};
    float two[2] = {3.5f, -1.25f};
    memcpy(data + 1, two, 8);
    CU_ASSERT_EQUAL_FATAL(st_write_raw(path, strlen(hdr), hdr, data, 9), 0);
    st_set *s;
    CU_ASSERT_EQUAL_FATAL(st_open_file(path, &s, err, sizeof err), 0);
    const st_tensor *t = st_find(s, "f");
    CU_ASSERT_EQUAL((uintptr_t)t->data % 4, 0);
    CU_ASSERT_EQUAL(((const float *)t->data)[0], 3.5f);
    CU_ASSERT_EQUAL(((const float *)t->data)[1], -1.25f);
    CU_ASSERT_EQUAL(*(const uint8_t *)st_find(s, "b")->data, 7);
    st_close(s);
}

/* Random corruptions and truncations of a good file: each open either succeeds or fails with
 * one non-empty line — never a crash or an out-of-bounds read (run under ASan by make asan). */
static void test_corruptions(void) {
    char good[512], bad[512], err[V4_ERRLEN];
    path_in(good, sizeof good, NULL, "fuzz-good.safetensors");
    path_in(bad, sizeof bad, NULL, "fuzz-bad.safetensors");
    CU_ASSERT_EQUAL_FATAL(write_good(good), 0);
    size_t len = 0;
    char *orig = read_file_all(good, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(orig);
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | (uint8_t)orig[i];
    char *buf = malloc(len);
    unsigned seed = 12345;
    int opened = 0, rejected = 0, clean = 1;
    for (int it = 0; it < 300; it++) {
        memcpy(buf, orig, len);
        size_t n = len;
        seed = seed * 1103515245u + 12345u;
        int mode = (seed >> 16) % 3;
        if (mode == 0) {                                /* flip 1-3 header bytes */
            for (int k = 0; k <= (int)((seed >> 8) % 3); k++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = 8 + (seed >> 8) % hlen;
                static const char alphabet[] = "0123456789[]{},:\"-Ex ";
                buf[at] = alphabet[(seed >> 4) % (sizeof alphabet - 1)];
            }
        } else if (mode == 1) {                         /* truncate anywhere */
            n = (seed >> 8) % len;
        } else {                                        /* corrupt the length field */
            buf[(seed >> 8) % 8] ^= (char)(1 << ((seed >> 12) % 8));
        }
        FILE *f = fopen(bad, "wb");
        if (!f) break;
        fwrite(buf, 1, n, f);
        fclose(f);
        st_set *s = NULL;
        err[0] = 0;
        if (st_open_file(bad, &s, err, sizeof err) == 0) {
            opened++;
            for (int i = 0; i < st_count(s); i++) {   /* every span lies inside the file */
                const st_tensor *t = st_at(s, i);
                volatile uint8_t sum = 0;
                for (size_t b = 0; b < t->nbytes; b++) sum ^= ((const uint8_t *)t->data)[b];
                (void)sum;
            }
            st_close(s);
        } else {
            rejected++;
            clean &= err[0] != 0 && strchr(err, '\n') == NULL && s == NULL;
        }
    }
    printf("    300 corruptions: %d opened, %d rejected with one line\n", opened, rejected);
    CU_ASSERT(clean);
    CU_ASSERT(rejected > 100);
    free(buf);
    free(orig);
}

static void test_writer_checks(void) {
    char err[V4_ERRLEN] = "";
    st_writer *w = st_writer_new();
    float v[4] = {0};
    CU_ASSERT(st_writer_add(w, "a", ST_F32, 1, (int64_t[]){4}, v, 12, err, sizeof err) != 0);
    CU_ASSERT(strstr(err, "expected 16 bytes") != NULL);
    CU_ASSERT_EQUAL(st_writer_add(w, "a", ST_F32, 1, (int64_t[]){4}, v, 16, err, sizeof err), 0);
    CU_ASSERT(st_writer_add(w, "a", ST_F32, 1, (int64_t[]){4}, v, 16, err, sizeof err) != 0);
    CU_ASSERT(strstr(err, "unique") != NULL);
    CU_ASSERT_EQUAL(st_writer_bytes(w), 16);
    st_writer_free(w);
}

static void cleanup(void) {
    if (!tmpdir[0]) return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) printf("    could not remove %s\n", tmpdir);
}

static void test_cleanup(void) { cleanup(); CU_PASS("cleanup"); }

static const test_case TESTS[] = {
    {"good_file", test_good_file},
    {"bind_bad_scale", test_bind_bad_scale},
    {"sharded", test_sharded},
    {"bad_files", test_bad_files},
    {"unaligned", test_unaligned},
    {"corruptions", test_corruptions},
    {"writer_checks", test_writer_checks},
    {"zz_cleanup", test_cleanup},
    {NULL, NULL},
};
TEST_MAIN("safetensors", TESTS)
