/*
 * pki_state: with --state FILE, kubesim keeps its certificates and its generated
 * administrator token in FILE.pki, so a restarted kubesim is the same server to the
 * kubeconfigs written before (a real API server keeps its serving certificate and CA
 * across restarts). The file is private (0600): "@@ NAME" lines, each followed by the
 * value (PEM text or the token).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pki_state.h"

#define MAX_PKI (64 * 1024)

struct section {
	const char *name;
	size_t off; /* of the char * in struct tls_material */
};

static const struct section sections[] = {
	{"ca_cert", offsetof(struct tls_material, ca_cert)},
	{"ca_key", offsetof(struct tls_material, ca_key)},
	{"server_cert", offsetof(struct tls_material, server_cert)},
	{"server_key", offsetof(struct tls_material, server_key)},
	{"client_cert", offsetof(struct tls_material, client_cert)},
	{"client_key", offsetof(struct tls_material, client_key)},
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static char **slot(struct tls_material *m, size_t i)
{
	return (char **)((char *)m + sections[i].off);
}

int pki_save(const char *path, const struct tls_material *m, const char *token, char *err,
	     size_t errlen)
{
	char tmp[4200];
	FILE *f;
	int fd;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (size_t i = 0; i < NSECTIONS; i++) {
		const char *v = *slot((struct tls_material *)m, i);

		if (v)
			fprintf(f, "@@ %s\n%s%s", sections[i].name, v,
				*v && v[strlen(v) - 1] == '\n' ? "" : "\n");
	}
	if (token && *token)
		fprintf(f, "@@ token\n%s\n", token);
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Stores the text of one section (from, n bytes) where name says. */
static void put(struct tls_material *m, char *token, size_t tokenlen, const char *name,
		const char *from, size_t n)
{
	if (strcmp(name, "token") == 0) {
		snprintf(token, tokenlen, "%.*s", (int)strcspn(from, "\n"), from);
		return;
	}
	for (size_t i = 0; i < NSECTIONS; i++)
		if (strcmp(name, sections[i].name) == 0) {
			free(*slot(m, i));
			*slot(m, i) = strndup(from, n);
		}
}

static int parse(char *data, struct tls_material *m, char *token, size_t tokenlen)
{
	char *p = data;

	if (strncmp(p, "@@ ", 3) != 0)
		return -1;
	while (p && strncmp(p, "@@ ", 3) == 0) {
		char *name = p + 3, *nl = strchr(name, '\n'), *next;

		if (!nl)
			return -1;
		*nl = '\0';
		next = strstr(nl + 1, "\n@@ ");
		put(m, token, tokenlen, name, nl + 1, next ? (size_t)(next + 1 - (nl + 1))
							: strlen(nl + 1));
		p = next ? next + 1 : NULL;
	}
	return 0;
}

int pki_load(const char *path, struct tls_material *m, char *token, size_t tokenlen, char *err,
	     size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *data;
	size_t n;
	int rc;

	memset(m, 0, sizeof(*m));
	if (!f && errno == ENOENT)
		return 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	data = malloc(MAX_PKI + 1);
	if (!data)
		abort();
	n = fread(data, 1, MAX_PKI, f);
	fclose(f);
	data[n] = '\0';
	rc = parse(data, m, token, tokenlen);
	free(data);
	if (rc == 0 && !(m->ca_cert && m->server_cert && m->server_key) && !*token)
		rc = -1;
	if (rc < 0) {
		tls_material_dispose(m);
		snprintf(err, errlen, "%s: not a kubesim PKI file", path);
		return -1;
	}
	return 1;
}
