/*
 * config — smsvault.conf (INI, parsed by libinih) into a program's settings.
 *
 * A program describes the keys it reads as tables (section, key, type,
 * default, range, where the value goes) and loads the file once. Sections
 * that belong to other programs (config_smsvault_sections) are skipped; any
 * other unknown section or key, a bad value or a missing required key is an
 * error that names file:line. It is not a general INI library: there are no includes,
 * no environment expansion and no reloading.
 *
 * Repeated named sections: a program that reads one block of settings per
 * peer (vaultmms: one [mmsc.NAME] per operator MMSC) describes them with a
 * struct config_named — the keys once, under the section name "mmsc", and an
 * array the loader fills, one element per NAME in the order of first
 * appearance. A NAME given twice is one element (the later keys override).
 */
#ifndef SMSVAULT_CONFIG_H
#define SMSVAULT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum config_type {
    CONFIG_STRING, /* char * (malloc'd; freed by config_free) */
    CONFIG_INT,    /* long long, within [min, max] */
    CONFIG_BOOL,   /* bool: yes/no, true/false, on/off, 1/0 */
    CONFIG_BYTES,  /* long long bytes: 123, 64K, 10M, 2G (KiB/MiB/GiB also accepted) */
};

struct config_key {
    const char *section;
    const char *name;
    enum config_type type;
    const char *def;        /* default, written as in the file; NULL = required */
    long long min, max;     /* CONFIG_INT / CONFIG_BYTES */
    size_t offset;          /* offsetof() into the part's settings struct */
    const char *help;       /* one line, shown by --check-config */
};

/* A block of keys and the struct their values go into. */
struct config_part {
    const struct config_key *keys;
    size_t nkeys;
    void *settings;
};

/* Every section of smsvault.conf. A program passes this as other_sections:
 * the sections it has keys for are still checked key by key; the rest are
 * left to the programs that own them. An entry "name.*" (in any
 * other_sections list) stands for every [name.X]. */
extern const char *const config_smsvault_sections[];

/* The result of loading or parsing: CONFIG_OK is 0 (so that a caller's
 * "!= 0" reads as "failed"). */
enum config_result {
    CONFIG_OK = 0,
    CONFIG_INVALID,   /* a bad value, unknown key or section, unreadable file: the message says which */
};

/* One kind of repeated named section, [prefix.NAME] (see above). NAME is
 * 1..32 of [A-Za-z0-9_-]. items is an array of max zeroed structs of
 * item_size bytes; each element gets its defaults, its keys, and at
 * name_offset a malloc'd copy of NAME. count is written by the loader. */
struct config_named {
    const char *prefix;             /* "mmsc": sections [mmsc.NAME]; the keys' section is "mmsc" */
    const struct config_key *keys;
    size_t nkeys;
    void *items;
    size_t item_size, max;
    size_t name_offset;             /* offsetof() of the char * NAME in an element */
    size_t count;                   /* elements read */
};
#define CONFIG_NAME_MAX 32

/*
 * Apply defaults, then read path (NULL: defaults only). other_sections is a
 * NULL-terminated list of sections that other programs own (may be NULL).
 * CONFIG_INVALID comes with a message "file:line: ..." in err, and then
 * nothing of the load stays allocated (config_free is not needed, and
 * harmless: the strings are NULL).
 */
enum config_result config_load(const char *path, const struct config_part *parts, size_t nparts,
                               const char *const *other_sections, char *err, size_t errlen);
/* config_load with repeated named sections too (named may be NULL when
 * nnamed is 0). A required key missing from one element is an error naming
 * its section ("[mmsc.main] url is required"). */
enum config_result config_load_named(const char *path, const struct config_part *parts, size_t nparts,
                                     struct config_named *named, size_t nnamed,
                                     const char *const *other_sections, char *err, size_t errlen);

/* Free the strings config_load stored. */
void config_free(const struct config_part *parts, size_t nparts);
/* Free the strings of every element of named (and their NAMEs); count = 0. */
void config_free_named(struct config_named *named, size_t nnamed);

/* Print every key with its value (strings whose key name contains "password"
 * or "secret" are masked) — the body of each program's --check-config. */
void config_print(const struct config_part *parts, size_t nparts);
void config_fprint(FILE *out, const struct config_part *parts, size_t nparts);
/* The same for each element of named, as "[prefix.NAME] key = value". */
void config_fprint_named(FILE *out, const struct config_named *named, size_t nnamed);

/* Parse one value the way the loader does (exposed for tests). */
enum config_result config_parse_bytes(const char *text, long long *out);
enum config_result config_parse_bool(const char *text, bool *out);

#endif
