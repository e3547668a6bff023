/* perffile.c - the perf.data feature sections: one table entry per feature writes, reads and prints its section. */
#include "perffile.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- writing helpers ---- */

/* Appends a perf_header_string: u32 len (NUL included, padded to 64), the bytes, zero padding. */
static int pf_put_string(struct hw_buf *b, const char *s)
{
    static const char zeros[PF_NAME_ALIGN];
    size_t olen = strlen(s) + 1;
    size_t len = HW_ALIGN(olen, PF_NAME_ALIGN);
    if (len > UINT32_MAX)
        return -1;
    uint32_t len32 = (uint32_t)len;
    if (hw_buf_append(b, &len32, sizeof(len32)) < 0 || hw_buf_append(b, s, olen) < 0 ||
        hw_buf_append(b, zeros, len - olen) < 0)
        return -1;
    return 0;
}

static int pf_put_u32(struct hw_buf *b, uint32_t v)
{
    return hw_buf_append(b, &v, sizeof(v));
}

/* ---- strings: HOSTNAME, OSRELEASE, VERSION, ARCH ---- */

static char **pf_str_slot(const struct pf_feature_ops *op, const struct pf_env *env)
{
    return (char **)(void *)((char *)(uintptr_t)env + op->str_field);
}

static int pf_write_str(const struct pf_feature_ops *op, const struct pf_env *env, struct hw_buf *b)
{
    const char *s = *pf_str_slot(op, env);
    return s ? pf_put_string(b, s) : 0;
}

static int pf_read_str(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    const char *s;
    if (!cur_header_str(&c, &s))
        return -1;
    char *copy = hw_strdup(s);
    if (!copy)
        return -1;
    char **slot = pf_str_slot(op, env);
    free(*slot);
    *slot = copy;
    return 0;
}

static void pf_print_str(const struct pf_feature_ops *op, const struct pf_env *env, FILE *out)
{
    const char *s = *pf_str_slot(op, env);
    if (s)
        fprintf(out, "# %s : %s\n", op->name, s);
}

/* ---- TRACING_DATA: opaque bytes (see tracedata.c) ---- */

static int pf_write_tracing(const struct pf_feature_ops *op, const struct pf_env *env,
                            struct hw_buf *b)
{
    (void)op;
    return hw_buf_append(b, env->tracing_data, env->tracing_data_size);
}

static int pf_read_tracing(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    (void)op;
    unsigned char *p = malloc(cur_left(&c) ? cur_left(&c) : 1);
    if (!p || !cur_get(&c, p, cur_left(&c))) {
        free(p);
        return -1;
    }
    free(env->tracing_data);
    env->tracing_data = p;
    env->tracing_data_size = c.end;
    return 0;
}

static void pf_print_tracing(const struct pf_feature_ops *op, const struct pf_env *env, FILE *out)
{
    fprintf(out, "# %s : %zu bytes\n", op->name, env->tracing_data_size);
}

/* ---- BUILD_ID ---- */

int pf_put_build_id(struct hw_buf *b, uint32_t type, const struct pf_build_id *bid)
{
    static const char zeros[PF_NAME_ALIGN];
    if (bid->id_len <= 0 || !bid->filename)
        return 0; /* nothing to say about a file without a build id */
    size_t olen = strlen(bid->filename) + 1;
    size_t flen = HW_ALIGN(olen, PF_NAME_ALIGN);
    if (PF_BUILD_ID_ENTRY_FIXED + flen > PF_MAX_RECORD)
        return -1;
    unsigned char fixed[PF_BUILD_ID_ENTRY_FIXED];
    struct perf_event_header h = {
        .type = type,
        .misc = (uint16_t)((bid->kernel ? PERF_RECORD_MISC_KERNEL : PERF_RECORD_MISC_USER) |
                           PF_RECORD_MISC_BUILD_ID_SIZE),
        .size = (uint16_t)(PF_BUILD_ID_ENTRY_FIXED + flen),
    };
    int n = bid->id_len > HW_BUILD_ID_MAX ? HW_BUILD_ID_MAX : bid->id_len;
    memset(fixed, 0, sizeof(fixed));
    memcpy(fixed, &h, sizeof(h));
    memcpy(fixed + 8, &bid->pid, 4);
    memcpy(fixed + 12, bid->id, (size_t)n);
    fixed[32] = (unsigned char)n;
    if (hw_buf_append(b, fixed, sizeof(fixed)) < 0 || hw_buf_append(b, bid->filename, olen) < 0 ||
        hw_buf_append(b, zeros, flen - olen) < 0)
        return -1;
    return 0;
}

static int pf_write_build_ids(const struct pf_feature_ops *op, const struct pf_env *env,
                              struct hw_buf *b)
{
    (void)op;
    for (size_t i = 0; i < env->nbuild_ids; i++)
        if (pf_put_build_id(b, 0, &env->build_ids[i]) < 0)
            return -1;
    return 0;
}

/* Parses the build-id entry at c (advancing past it) into *out, its file name pointing into the
 * bytes. False when malformed. */
static bool pf_parse_build_id(struct cur *c, struct pf_build_id *out, const char **name)
{
    struct perf_event_header h;
    struct cur e = *c;
    const unsigned char *p = cur_ptr(&e);
    if (!cur_get(&e, &h, sizeof(h)) || h.size < PF_BUILD_ID_ENTRY_FIXED ||
        h.size - sizeof(h) > cur_left(&e))
        return false;
    int id_len = (h.misc & PF_RECORD_MISC_BUILD_ID_SIZE) ? p[32] : HW_BUILD_ID_MAX;
    struct cur fn = {p, PF_BUILD_ID_ENTRY_FIXED, h.size};
    if (id_len > HW_BUILD_ID_MAX || !cur_cstr(&fn, name))
        return false;
    memset(out, 0, sizeof(*out));
    memcpy(&out->pid, p + 8, 4);
    out->kernel = (h.misc & PERF_RECORD_MISC_CPUMODE_MASK) == PERF_RECORD_MISC_KERNEL;
    memcpy(out->id, p + 12, HW_BUILD_ID_MAX);
    out->id_len = id_len;
    cur_skip(&e, h.size - sizeof(h));
    *c = e;
    return true;
}

static void pf_free_build_ids(struct pf_build_id *b, size_t n)
{
    for (size_t i = 0; b && i < n; i++)
        free(b[i].filename);
    free(b);
}

static int pf_read_build_ids(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    (void)op;
    struct pf_build_id *v = NULL, one;
    size_t n = 0, cap = 0;
    const char *name;
    while (cur_left(&c) > 0) {
        if (!pf_parse_build_id(&c, &one, &name) || hw_grow(&v, &cap, n + 1, sizeof(*v)) < 0 ||
            !(one.filename = hw_strdup(name))) {
            pf_free_build_ids(v, n);
            return -1;
        }
        v[n++] = one;
    }
    pf_free_build_ids(env->build_ids, env->nbuild_ids);
    env->build_ids = v;
    env->nbuild_ids = n;
    env->cap_build_ids = cap;
    return 0;
}

int pf_read_build_id_record(struct pf_env *env, const void *rec, size_t len)
{
    struct cur c = cur_make(rec, len);
    struct pf_build_id one;
    const char *name;
    if (!pf_parse_build_id(&c, &one, &name) || cur_left(&c) != 0 ||
        hw_grow(&env->build_ids, &env->cap_build_ids, env->nbuild_ids + 1,
                sizeof(*env->build_ids)) < 0 ||
        !(one.filename = hw_strdup(name)))
        return -1;
    env->build_ids[env->nbuild_ids++] = one;
    return 0;
}

static void pf_print_build_ids(const struct pf_feature_ops *op, const struct pf_env *env, FILE *out)
{
    for (size_t i = 0; i < env->nbuild_ids; i++) {
        const struct pf_build_id *b = &env->build_ids[i];
        char hex[2 * HW_BUILD_ID_MAX + 1];
        buildid_to_hex(b->id, b->id_len, hex);
        fprintf(out, "# %s : %s %s\n", op->name, hex, b->filename);
    }
}

/* ---- NRCPUS ---- */

static int pf_write_nrcpus(const struct pf_feature_ops *op, const struct pf_env *env,
                           struct hw_buf *b)
{
    (void)op;
    if (!env->nr_cpus_avail && !env->nr_cpus_online)
        return 0;
    /* perf reads avail first */
    return pf_put_u32(b, env->nr_cpus_avail) < 0 || pf_put_u32(b, env->nr_cpus_online) < 0 ? -1 : 0;
}

static int pf_read_nrcpus(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    (void)op;
    uint32_t avail, online;
    if (!cur_u32(&c, &avail) || !cur_u32(&c, &online))
        return -1;
    env->nr_cpus_avail = avail;
    env->nr_cpus_online = online;
    return 0;
}

static void pf_print_nrcpus(const struct pf_feature_ops *op, const struct pf_env *env, FILE *out)
{
    fprintf(out, "# %s online : %" PRIu32 "\n# %s avail : %" PRIu32 "\n", op->name,
            env->nr_cpus_online, op->name, env->nr_cpus_avail);
}

/* ---- CMDLINE ---- */

static int pf_write_cmdline(const struct pf_feature_ops *op, const struct pf_env *env,
                            struct hw_buf *b)
{
    (void)op;
    if (env->argc == 0 || !env->argv)
        return 0;
    if (pf_put_u32(b, env->argc) < 0)
        return -1;
    for (uint32_t i = 0; i < env->argc; i++)
        if (pf_put_string(b, env->argv[i] ? env->argv[i] : "") < 0)
            return -1;
    return 0;
}

static void pf_free_argv(char **argv, uint32_t argc)
{
    for (uint32_t i = 0; argv && i < argc; i++)
        free(argv[i]);
    free(argv);
}

static int pf_read_cmdline(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    (void)op;
    struct hw_buf joined = {0};
    uint32_t nr;
    if (!cur_u32(&c, &nr) || nr > cur_left(&c) / 5) /* each string takes >= 5 bytes */
        return -1;
    char **argv = calloc(nr ? nr : 1, sizeof(*argv));
    if (!argv)
        return -1;
    for (uint32_t i = 0; i < nr; i++) {
        const char *s;
        if (!cur_header_str(&c, &s) || !(argv[i] = hw_strdup(s)) ||
            (i > 0 && hw_buf_append(&joined, " ", 1) < 0) ||
            hw_buf_append(&joined, s, strlen(s)) < 0) {
            pf_free_argv(argv, nr);
            hw_buf_free(&joined);
            return -1;
        }
    }
    if (hw_buf_append(&joined, "", 1) < 0) {
        pf_free_argv(argv, nr);
        return -1;
    }
    pf_free_argv(env->argv, env->argc);
    free(env->cmdline);
    env->argv = argv;
    env->argc = nr;
    env->cmdline = (char *)joined.data;
    return 0;
}

static void pf_print_cmdline(const struct pf_feature_ops *op, const struct pf_env *env, FILE *out)
{
    if (env->cmdline)
        fprintf(out, "# %s : %s\n", op->name, env->cmdline);
}

/* ---- EVENT_DESC ---- */

static bool pf_all_named(const struct pf_env *env)
{
    for (size_t i = 0; i < env->nattrs; i++)
        if (!env->attrs[i].name)
            return false;
    return env->nattrs > 0;
}

/* u32 nr, u32 attr size, then per event the attr, u32 nr_ids, the name and the ids. Written only
 * when every attr has a name (perf derives names itself otherwise). */
static int pf_write_event_desc(const struct pf_feature_ops *op, const struct pf_env *env,
                               struct hw_buf *b)
{
    (void)op;
    if (!pf_all_named(env))
        return 0;
    if (pf_put_u32(b, (uint32_t)env->nattrs) < 0 ||
        pf_put_u32(b, (uint32_t)sizeof(struct perf_event_attr)) < 0)
        return -1;
    for (size_t i = 0; i < env->nattrs; i++) {
        const struct pf_attr *a = &env->attrs[i];
        if (hw_buf_append(b, &a->attr, sizeof(a->attr)) < 0 ||
            pf_put_u32(b, (uint32_t)a->nids) < 0 || pf_put_string(b, a->name) < 0 ||
            hw_buf_append(b, a->ids, a->nids * sizeof(uint64_t)) < 0)
            return -1;
    }
    return 0;
}

static int pf_id_cmp(const void *pa, const void *pb)
{
    const struct pf_id *a = pa, *b = pb;
    if (a->id != b->id)
        return a->id < b->id ? -1 : 1;
    return a->attr < b->attr ? -1 : a->attr > b->attr;
}

int pf_find_id(const struct pf_id *index, size_t n, uint64_t id)
{
    size_t i = hw_bsearch_le(index, n, sizeof(*index), offsetof(struct pf_id, id), id);
    return i < n && index[i].id == id ? (int)index[i].attr : -1;
}

struct pf_id *pf_index_ids(const struct pf_env *env, size_t *n)
{
    size_t total = 0, k = 0;
    for (size_t i = 0; i < env->nattrs; i++)
        total += env->attrs[i].nids;
    struct pf_id *index = malloc((total ? total : 1) * sizeof(*index));
    if (!index)
        return NULL;
    for (size_t i = 0; i < env->nattrs; i++)
        for (size_t j = 0; j < env->attrs[i].nids; j++)
            index[k++] = (struct pf_id){env->attrs[i].ids[j], i};
    qsort(index, total, sizeof(*index), pf_id_cmp);
    *n = total;
    return index;
}

/* Walks the section: validates it (names NULL), or fills names[attr] with the name of the entry
 * matching each attr (by id, else by position when the counts agree), pointing into the bytes.
 * Returns 0, or -1 when malformed. */
static int pf_walk_event_desc(const struct pf_env *env, struct cur c, const struct pf_id *index,
                              size_t nindex, const char **names)
{
    uint32_t nr, asz;
    if (!cur_u32(&c, &nr) || !cur_u32(&c, &asz) || asz < PERF_ATTR_SIZE_VER0 || asz > 4096 ||
        nr > cur_left(&c) / ((uint64_t)asz + 9))
        return -1;
    for (uint32_t i = 0; i < nr; i++) {
        uint32_t nids;
        const char *name;
        if (!cur_skip(&c, asz) || !cur_u32(&c, &nids) || !cur_header_str(&c, &name) ||
            nids > cur_left(&c) / 8)
            return -1;
        const unsigned char *ids = cur_ptr(&c);
        cur_skip(&c, (size_t)nids * 8);
        if (!names || !*name)
            continue;
        int idx = -1;
        for (uint32_t k = 0; k < nids && idx < 0; k++) {
            uint64_t id;
            memcpy(&id, ids + (size_t)k * 8, 8);
            idx = pf_find_id(index, nindex, id);
        }
        if (idx < 0 && nr == env->nattrs)
            idx = (int)i;
        if (idx >= 0 && !names[idx])
            names[idx] = name;
    }
    return 0;
}

/* Names the attrs that have no name yet. */
static int pf_read_event_desc(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    (void)op;
    if (pf_walk_event_desc(env, c, NULL, 0, NULL) < 0)
        return -1;
    size_t nindex = 0;
    struct pf_id *index = pf_index_ids(env, &nindex);
    const char **names = calloc(env->nattrs ? env->nattrs : 1, sizeof(*names));
    char **copies = calloc(env->nattrs ? env->nattrs : 1, sizeof(*copies));
    int rc = index && names && copies ? pf_walk_event_desc(env, c, index, nindex, names) : -1;
    for (size_t i = 0; rc == 0 && i < env->nattrs; i++)
        if (names[i] && !env->attrs[i].name && !(copies[i] = hw_strdup(names[i])))
            rc = -1;
    for (size_t i = 0; copies && i < env->nattrs; i++) {
        if (rc == 0 && copies[i])
            env->attrs[i].name = copies[i];
        else
            free(copies[i]);
    }
    free(copies);
    free(names);
    free(index);
    return rc;
}

static void pf_print_event_desc(const struct pf_feature_ops *op, const struct pf_env *env,
                                FILE *out)
{
    for (size_t i = 0; i < env->nattrs; i++) {
        const struct pf_attr *a = &env->attrs[i];
        fprintf(out, "# %s : name = %s, type = %" PRIu32 ", config = %#" PRIx64 ", ids = %zu\n",
                op->name, a->name ? a->name : "?", a->attr.type, (uint64_t)a->attr.config, a->nids);
    }
}

/* ---- GROUP_DESC ---- */

/* u32 nr_groups, then per group a name, the leader's attr index and the member count. */
static int pf_write_group_desc(const struct pf_feature_ops *op, const struct pf_env *env,
                               struct hw_buf *b)
{
    (void)op;
    if (env->ngroups == 0)
        return 0;
    if (pf_put_u32(b, (uint32_t)env->ngroups) < 0)
        return -1;
    for (size_t i = 0; i < env->ngroups; i++)
        if (pf_put_string(b, "{anon_group}") < 0 || pf_put_u32(b, env->groups[i].leader) < 0 ||
            pf_put_u32(b, env->groups[i].nr_members) < 0)
            return -1;
    return 0;
}

static int pf_read_group_desc(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    (void)op;
    uint32_t nr;
    if (!cur_u32(&c, &nr) || nr > cur_left(&c) / 13) /* string >= 5 bytes, two u32 */
        return -1;
    struct pf_group *g = calloc(nr ? nr : 1, sizeof(*g));
    if (!g)
        return -1;
    for (uint32_t i = 0; i < nr; i++) {
        const char *name;
        if (!cur_header_str(&c, &name) || !cur_u32(&c, &g[i].leader) ||
            !cur_u32(&c, &g[i].nr_members) || g[i].nr_members == 0 ||
            (uint64_t)g[i].leader + g[i].nr_members > env->nattrs) {
            free(g);
            return -1;
        }
    }
    free(env->groups);
    env->groups = g;
    env->ngroups = nr;
    return 0;
}

static void pf_print_group_desc(const struct pf_feature_ops *op, const struct pf_env *env,
                                FILE *out)
{
    for (size_t i = 0; i < env->ngroups; i++)
        fprintf(out, "# %s : leader = %" PRIu32 ", members = %" PRIu32 "\n", op->name,
                env->groups[i].leader, env->groups[i].nr_members);
}

/* ---- SAMPLE_TIME ---- */

static int pf_write_sample_time(const struct pf_feature_ops *op, const struct pf_env *env,
                                struct hw_buf *b)
{
    (void)op;
    if (env->last_sample_time == 0)
        return 0;
    uint64_t t[2] = {env->first_sample_time, env->last_sample_time};
    return hw_buf_append(b, t, sizeof(t));
}

static int pf_read_sample_time(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    (void)op;
    uint64_t t[2];
    if (!cur_get(&c, t, sizeof(t)))
        return -1;
    env->first_sample_time = t[0];
    env->last_sample_time = t[1];
    return 0;
}

static void pf_print_sample_time(const struct pf_feature_ops *op, const struct pf_env *env,
                                 FILE *out)
{
    fprintf(out, "# %s : first %" PRIu64 " ns, last %" PRIu64 " ns\n", op->name,
            env->first_sample_time, env->last_sample_time);
}

/* ---- COMPRESSED ---- */

static int pf_write_compressed(const struct pf_feature_ops *op, const struct pf_env *env,
                               struct hw_buf *b)
{
    (void)op;
    if (env->compression.type == 0)
        return 0;
    return hw_buf_append(b, &env->compression, sizeof(env->compression));
}

static int pf_read_compressed(const struct pf_feature_ops *op, struct pf_env *env, struct cur c)
{
    (void)op;
    struct pf_compression z;
    if (!cur_get(&c, &z, sizeof(z)))
        return -1;
    env->compression = z;
    return 0;
}

static void pf_print_compressed(const struct pf_feature_ops *op, const struct pf_env *env,
                                FILE *out)
{
    const struct pf_compression *z = &env->compression;
    fprintf(out, "# %s : %s, level = %" PRIu32 ", ratio = %" PRIu32 "\n", op->name,
            z->type == PF_COMP_ZSTD ? "Zstd" : "unknown", z->level, z->ratio);
}

/* ---- event names ---- */

static const char *const pf_hw_names[] = {
    "cycles",
    "instructions",
    "cache-references",
    "cache-misses",
    "branches",
    "branch-misses",
    "bus-cycles",
    "stalled-cycles-frontend",
    "stalled-cycles-backend",
    "ref-cycles",
};

static const char *const pf_sw_names[] = {
    "cpu-clock",        "task-clock",   "page-faults",  "context-switches",
    "cpu-migrations",   "minor-faults", "major-faults", "alignment-faults",
    "emulation-faults", "dummy",        "bpf-output",   "cgroup-switches",
};

char *pf_event_name(const struct perf_event_attr *a)
{
    char buf[96];
    if (a->type == PERF_TYPE_HARDWARE && a->config < HW_ARRAY_SIZE(pf_hw_names))
        return hw_strdup(pf_hw_names[a->config]);
    if (a->type == PERF_TYPE_SOFTWARE && a->config < HW_ARRAY_SIZE(pf_sw_names))
        return hw_strdup(pf_sw_names[a->config]);
    if (a->type == PERF_TYPE_RAW)
        snprintf(buf, sizeof(buf), "raw 0x%" PRIx64, (uint64_t)a->config);
    else
        snprintf(buf, sizeof(buf), "type %" PRIu32 " config 0x%" PRIx64, a->type,
                 (uint64_t)a->config);
    return hw_strdup(buf);
}

/* ---- the table ---- */

#define PF_STR(field) offsetof(struct pf_env, field), pf_write_str, pf_read_str, pf_print_str

/* In feature id order: the order of the file's feature table. */
static const struct pf_feature_ops pf_features[] = {
    {PF_FEAT_TRACING_DATA, "tracing data", 0, pf_write_tracing, pf_read_tracing, pf_print_tracing},
    {PF_FEAT_BUILD_ID, "build id", 0, pf_write_build_ids, pf_read_build_ids, pf_print_build_ids},
    {PF_FEAT_HOSTNAME, "hostname", PF_STR(hostname)},
    {PF_FEAT_OSRELEASE, "os release", PF_STR(osrelease)},
    {PF_FEAT_VERSION, "version", PF_STR(version)},
    {PF_FEAT_ARCH, "arch", PF_STR(arch)},
    {PF_FEAT_NRCPUS, "nrcpus", 0, pf_write_nrcpus, pf_read_nrcpus, pf_print_nrcpus},
    {PF_FEAT_CMDLINE, "cmdline", 0, pf_write_cmdline, pf_read_cmdline, pf_print_cmdline},
    {PF_FEAT_EVENT_DESC, "event", 0, pf_write_event_desc, pf_read_event_desc, pf_print_event_desc},
    {PF_FEAT_GROUP_DESC, "group", 0, pf_write_group_desc, pf_read_group_desc, pf_print_group_desc},
    {PF_FEAT_SAMPLE_TIME, "sample time", 0, pf_write_sample_time, pf_read_sample_time,
     pf_print_sample_time},
    {PF_FEAT_COMPRESSED, "compressed", 0, pf_write_compressed, pf_read_compressed,
     pf_print_compressed},
};

const struct pf_feature_ops *pf_feature(int id)
{
    for (size_t i = 0; i < HW_ARRAY_SIZE(pf_features); i++)
        if (pf_features[i].id == id)
            return &pf_features[i];
    return NULL;
}

bool pf_has_feature(const struct pf_env *env, int id)
{
    return id >= 0 && id < PF_FEAT_BITS && (env->features[id / 64] >> (id % 64) & 1);
}

int pf_write_feature(const struct pf_env *env, int id, struct hw_buf *b)
{
    const struct pf_feature_ops *op = pf_feature(id);
    return op ? op->write(op, env, b) : 0;
}

int pf_write_features(const struct pf_env *env, uint64_t table_off, struct hw_buf *out,
                      uint64_t features[PF_FEAT_BITS / 64], struct hw_err *err)
{
    enum { NF = HW_ARRAY_SIZE(pf_features) };
    struct hw_buf bodies[NF];
    size_t nset = 0;
    int r = 0;

    memset(bodies, 0, sizeof(bodies));
    for (size_t i = 0; i < NF && r == 0; i++) {
        r = pf_features[i].write(&pf_features[i], env, &bodies[i]);
        nset += bodies[i].len > 0;
    }
    uint64_t off = table_off + nset * sizeof(struct pf_section);
    for (size_t i = 0; i < NF && r == 0; i++) {
        if (!bodies[i].len)
            continue;
        struct pf_section s = {off, bodies[i].len};
        int id = pf_features[i].id;
        features[id / 64] |= 1ULL << (id % 64);
        r = hw_buf_append(out, &s, sizeof(s));
        off += bodies[i].len;
    }
    for (size_t i = 0; i < NF && r == 0; i++)
        r = hw_buf_append(out, bodies[i].data, bodies[i].len);
    for (size_t i = 0; i < NF; i++)
        hw_buf_free(&bodies[i]);
    return r < 0 ? hw_err_oom(err) : 0;
}

bool pf_read_feature(struct pf_env *env, int id, const void *p, size_t len)
{
    const struct pf_feature_ops *op = pf_feature(id);
    if (!op || op->read(op, env, cur_make(p, len)) < 0)
        return false;
    env->features[id / 64] |= 1ULL << (id % 64);
    return true;
}

void pf_print_features(const struct pf_env *env, FILE *out)
{
    for (size_t i = 0; i < HW_ARRAY_SIZE(pf_features); i++)
        if (pf_has_feature(env, pf_features[i].id))
            pf_features[i].print(&pf_features[i], env, out);
}

void pf_env_free(struct pf_env *env)
{
    for (size_t i = 0; env->attrs && i < env->nattrs; i++) {
        free(env->attrs[i].ids);
        free(env->attrs[i].name);
    }
    free(env->attrs);
    free(env->hostname);
    free(env->osrelease);
    free(env->version);
    free(env->arch);
    pf_free_argv(env->argv, env->argc);
    free(env->cmdline);
    pf_free_build_ids(env->build_ids, env->nbuild_ids);
    free(env->groups);
    free(env->tracing_data);
    memset(env, 0, sizeof(*env));
}
