/*
 * log: one line per event, logfmt by default, JSON on request. Callers pass
 * key/value pairs; values are quoted as needed. Secrets must never be passed here.
 */
#ifndef TETHER_LOG_H
#define TETHER_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_LOGFMT, LOG_JSON };

void log_configure(enum log_format fmt, enum log_level min_level);
/* A number as a value: log_kv(..., "created", log_num(buf, n), NULL) with a
 * char buf[LOG_NUM_LEN]. JSON lines carry it as a JSON number, logfmt as digits. */
#define LOG_NUM_LEN 40
const char *log_num(char buf[LOG_NUM_LEN], double v);
/* log_kv(LOG_INFO, "synced", "app", "web", "commit", sha, NULL): pairs end with NULL. */
void log_kv(enum log_level level, const char *msg, ...) __attribute__((sentinel));

#endif
