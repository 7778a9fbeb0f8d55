/*
 * store_persist: --state FILE. The whole store as one JSON document
 * {"resourceVersion":N,"objects":[...]}, written to a temporary file and renamed over
 * the old one so a crash never leaves half a state. CRDs come before custom objects
 * (type table order), so a restore can register their types first.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_int.h"

void store_set_rv(struct store *st, uint64_t rv)
{
	store_lock(st);
	st->rv = rv;
	store_unlock(st);
}

/* Serialises everything under the lock; the caller writes it out without it. */
static char *snapshot(struct store *st, size_t *len)
{
	size_t i, cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	struct entry *en;

	if (!buf)
		abort();
	store_lock(st);
	n = (size_t)snprintf(buf, cap, "{\"resourceVersion\":%llu,\"objects\":[\n",
			     (unsigned long long)st->rv);
	for (i = 0; i < st->ntypes; i++)
		for (en = st->types[i]->head; en; en = en->tnext) {
			size_t jlen;
			const char *json = sobj_json(en->so, &jlen);

			while (n + jlen + 4 > cap) {
				cap *= 2;
				buf = realloc(buf, cap);
				if (!buf)
					abort();
			}
			if (buf[n - 1] != '\n')
				buf[n++] = ',', buf[n++] = '\n';
			memcpy(buf + n, json, jlen);
			n += jlen;
		}
	store_unlock(st);
	if (n + 4 > cap) {
		buf = realloc(buf, n + 4);
		if (!buf)
			abort();
	}
	memcpy(buf + n, "\n]}\n", 4);
	*len = n + 4;
	return buf;
}

int store_save(struct store *st, const char *path, char *errbuf, size_t errlen)
{
	char tmp[4096];
	size_t len;
	char *data = snapshot(st, &len);
	FILE *f;
	int rc = -1;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		snprintf(errbuf, errlen, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		snprintf(errbuf, errlen, "%s: write failed: %s", tmp, strerror(errno));
		fclose(f);
		unlink(tmp);
		goto out;
	}
	fclose(f);
	if (rename(tmp, path) != 0) {
		snprintf(errbuf, errlen, "rename %s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	rc = 0;
out:
	free(data);
	return rc;
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 16, n = 0, r;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	if (!buf)
		abort();
	while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
		n += r;
		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				abort();
		}
	}
	fclose(f);
	*len = n;
	return buf;
}

int store_load(struct store *st, const char *path, char *errbuf, size_t errlen)
{
	size_t len = 0;
	char *data = read_all(path, &len);
	cJSON *doc, *objs, *it;
	const cJSON *rv;
	int rc = -1;

	if (!data) {
		if (errno == ENOENT)
			return 1; /* no state yet: start empty */
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	doc = cJSON_ParseWithLength(data, len);
	free(data);
	rv = cJSON_GetObjectItem(doc, "resourceVersion");
	objs = cJSON_GetObjectItem(doc, "objects");
	if (!cJSON_IsNumber(rv) || !cJSON_IsArray(objs)) {
		snprintf(errbuf, errlen, "%s: not a kubesim state file", path);
		goto out;
	}
	store_clear(st);
	while ((it = cJSON_DetachItemViaPointer(objs, objs->child)) != NULL)
		store_insert_raw(st, it);
	store_set_rv(st, (uint64_t)rv->valuedouble);
	rc = 0;
out:
	cJSON_Delete(doc);
	return rc;
}
