/*
 * url: the one place that decides what of a repository URL may be shown. A URL's
 * userinfo ("user:token@") is a credential (a token often sits in the user part, as
 * GitHub's "https://<token>@github.com/..." does), so all of it goes; the rest is kept
 * so a message still names the repository. Parsing is libcurl's (curl_url), not ours.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "util.h"

/* Fallback for what curl_url will not parse: cut everything up to the last '@' of the
 * authority ("scheme://auth/..."), which is what a parser would have called userinfo. */
static char *strip_authority_userinfo(const char *url)
{
	const char *host = strstr(url, "://"), *end, *at = NULL;

	if (!host)
		return strdup(url);
	host += 3;
	end = host + strcspn(host, "/?#");
	for (const char *p = host; p < end; p++)
		if (*p == '@')
			at = p;
	if (!at)
		return strdup(url);
	return xasprintf("%.*s%s", (int)(host - url), url, at + 1);
}

char *url_redact(const char *url)
{
	CURLU *u;
	char *out = NULL, *s = NULL;

	if (!url)
		return NULL;
	if (!strstr(url, "://"))
		return strdup(url); /* a local path or scp-like user@host:path: no secret */
	if (!(u = curl_url()))
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS) ==
		CURLUE_OK &&
	    curl_url_set(u, CURLUPART_USER, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_OPTIONS, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		out = strdup(s);
	else
		out = strip_authority_userinfo(url);
	curl_free(s);
	curl_url_cleanup(u);
	return out;
}

/* Length of the URL starting at p (up to whitespace or a quote). */
static size_t url_span(const char *p)
{
	return strcspn(p, " \t\r\n'\"<>");
}

void url_redact_text(char *msg, size_t size)
{
	struct buf b;
	const char *p = msg, *s;

	if (!msg || !strstr(msg, "://"))
		return;
	buf_init(&b, 2 * size);
	while ((s = strstr(p, "://")) != NULL) {
		const char *start = s, *end = s + 3 + url_span(s + 3);
		char *url, *red;

		while (start > p && (isalnum((unsigned char)start[-1]) || strchr("+.-", start[-1])))
			start--;
		url = xasprintf("%.*s", (int)(end - start), start);
		red = url ? url_redact(url) : NULL;
		buf_append(&b, p, (size_t)(start - p));
		buf_puts(&b, red ? red : "<url>");
		free(red);
		free(url);
		p = end;
	}
	buf_puts(&b, p);
	snprintf(msg, size, "%s", b.data ? b.data : "");
	buf_dispose(&b);
}

/* One decoded part of u (owned), or NULL when it has none. */
static char *url_part(CURLU *u, CURLUPart part)
{
	char *s = NULL, *out = NULL;

	if (curl_url_get(u, part, &s, CURLU_URLDECODE) == CURLUE_OK && s)
		out = strdup(s);
	if (s) {
		explicit_bzero(s, strlen(s));
		curl_free(s);
	}
	return out;
}

int url_userinfo(const char *url, char **user, char **password)
{
	CURLU *u;

	*user = *password = NULL;
	if (!url || !strstr(url, "://"))
		return 0;
	if (!(u = curl_url()))
		return TE_NOMEM;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS) ==
	    CURLUE_OK) {
		*user = url_part(u, CURLUPART_USER);
		*password = url_part(u, CURLUPART_PASSWORD);
	}
	curl_url_cleanup(u);
	return 0;
}
