/*
 * util: the small pieces every module shares: a capped growable buffer, an error
 * record (first, most specific message wins), durations and hashing.
 * Nothing here knows about Git, YAML or Kubernetes.
 */
#ifndef TETHER_UTIL_H
#define TETHER_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Error codes. Functions that can fail return 0 or one of these (negative). */
enum {
	TE_OK = 0,
	TE_FAIL = -1,        /* generic failure */
	TE_INPUT = -2,       /* bad input: flags, configuration, manifests (exit 2) */
	TE_UNREACHABLE = -3, /* Git or the cluster could not be reached (exit 3) */
	TE_NOTFOUND = -4,    /* object or ref does not exist */
	TE_CONFLICT = -5,    /* 409 from the server, rejected push */
	TE_NOMEM = -6,       /* allocation failed or a size cap was hit */
	TE_ROLLOUT = -7,     /* applied, but a rollout failed or timed out (exit 1) */
	TE_REJECTED = -8,    /* the server rejected an object (4xx other than 404/409) */
	TE_UNVERIFIED = -9,  /* a commit not signed by a trusted key (exit 2) */
	TE_SUSPENDED = -10,  /* the app is suspended (tether suspend): nothing done (exit 4) */
};

/*
 * An error record. The first message set wins; err_prefix adds context on the way up
 * ("fetch origin: authentication required").
 */
struct err {
	int code;
	char msg[2048];
};

void err_clear(struct err *e);
/* Records code and message if no message is recorded yet; returns code. */
int err_set(struct err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prepends "context: " to the recorded message; returns the recorded code. */
int err_prefix(struct err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Maps an error code to the process exit code documented in the README. */
int err_exit_code(int code);

/*
 * A growable byte buffer with a hard cap. data is always NUL-terminated (the NUL
 * is not counted in len). Appending past max fails with TE_NOMEM and leaves the
 * buffer as it was.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_DEFAULT_MAX ((size_t)64 << 20)

void buf_init(struct buf *b, size_t max);
void buf_dispose(struct buf *b);
void buf_reset(struct buf *b);
int buf_append(struct buf *b, const void *data, size_t len);
int buf_puts(struct buf *b, const char *s);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Hands the memory to the caller (NUL-terminated, never NULL) and resets b. */
char *buf_detach(struct buf *b);

/* A list of owned strings. */
struct strlist {
	char **items;
	size_t n;
	size_t cap;
};

void strlist_init(struct strlist *l);
void strlist_dispose(struct strlist *l);
int strlist_add(struct strlist *l, const char *s);
int strlist_add_owned(struct strlist *l, char *s);
void strlist_sort(struct strlist *l);
bool strlist_contains(const struct strlist *l, const char *s);

/*
 * A string-keyed hash index (agent/util/strmap.c): keys are copied, values borrowed.
 * strmap_get answers NULL for a missing key; putting NULL removes a key's value.
 */
struct strmap_slot {
	char *key;
	void *value;
};
struct strmap {
	struct strmap_slot *slots;
	size_t n, cap;
};
void strmap_init(struct strmap *m);
void strmap_dispose(struct strmap *m);
int strmap_put(struct strmap *m, const char *key, void *value);
void *strmap_get(const struct strmap *m, const char *key);
/* The key of n parts joined by a separator no name holds (in b, reset first; NULL when
 * memory runs out): one identity, one key. */
char *strmap_key(struct buf *b, const char *const *parts, size_t n);

/*
 * Makes room for want elements of size bytes in the array *items (a pointer to the
 * array's pointer) of capacity *cap, doubling it (from 8). TE_NOMEM, with the array
 * and *cap unchanged, when memory runs out. Use: array_reserve(&v, &cap, n + 1, sizeof(*v)).
 */
int array_reserve(void *items, size_t *cap, size_t want, size_t size);

/* Durations: "90s", "5m", "1h30m", "250ms", plain seconds "30". */
int duration_parse(const char *s, int64_t *out_ms, struct err *e);
/* t (seconds since the epoch) in RFC 3339, UTC: "2026-12-08T00:20:01Z". Every time
 * tether prints or records goes through it. */
#define TIME_RFC3339_LEN 32
void time_rfc3339(int64_t t, char out[TIME_RFC3339_LEN]);
/* Now, the same with microseconds (a MicroTime: "2026-01-02T03:04:05.123456Z"): every
 * stamp has the same width, so two compare as strings. */
void time_rfc3339_micro(char out[TIME_RFC3339_LEN]);
/* Monotonic clock in milliseconds. */
int64_t now_ms(void);
/* A condition variable whose timed waits run on the monotonic clock (a wall clock
 * set back must not stretch a wait), and such a wait of ms milliseconds (mu held). */
void cond_init_monotonic(pthread_cond_t *cv);
void cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms);
/* Sleeps ms milliseconds (less when a signal arrives). */
void sleep_for_ms(int64_t ms);

/* Hex SHA-256 of data (65 bytes with the NUL). */
void sha256_hex(const void *data, size_t len, char out[65]);
/* Hex HMAC-SHA256 of data under key (65 bytes with the NUL). */
void hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65]);
/* Constant-time comparison of two strings. */
bool str_equal_ct(const char *a, const char *b);

char *xstrdup(const char *s);  /* strdup that accepts NULL */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
bool str_has_suffix(const char *s, const char *suffix);
/* Edit distance of a and b (optimal string alignment); SIZE_MAX for long words. */
size_t str_distance(const char *a, const char *b);
/* Whether name is worth suggesting for the unknown word typed: at most two edits
 * away, or typed is its prefix (cobra's rule). */
bool str_suggests(const char *typed, const char *name);
/* The value of a hexadecimal digit (either case), -1 for any other character. */
int hex_value(char c);

/*
 * The one redaction of repository URLs: url_redact returns url (owned) without its
 * userinfo ("https://user:token@host/x" -> "https://host/x"); a local path or an
 * scp-like "git@host:path" is returned as it is. url_redact_text does the same to every
 * "scheme://..." inside a message, in place. Every message, log line, JSON field and
 * status that names a repository goes through one of them.
 */
char *url_redact(const char *url);
void url_redact_text(char *msg, size_t size);
/* The user and password of url's userinfo, percent-decoded (owned; NULL when absent). */
int url_userinfo(const char *url, char **user, char **password);

/* Reads a whole file into b (capped by b->max). */
int file_read(const char *path, struct buf *b, struct err *e);
/* A secret (token, webhook secret) from a file: trailing whitespace trimmed; TE_INPUT when
 * empty. The message names the file, never its content. */
int secret_read(const char *path, char **out, struct err *e);

#endif
