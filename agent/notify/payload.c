/*
 * payload: the request each kind of target makes of an event. The generic webhook gets
 * every field as JSON; Slack gets `text` (what notifications show) and blocks; GitHub
 * and GitLab get a commit status keyed by the commit, context `tether/<app>`, whose
 * description is cut to the 140 characters GitHub keeps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "jsonedit.h"
#include "notify_int.h"

#define DESCRIPTION_MAX 140
#define SLACK_OBJECTS_MAX 20
#define SLACK_SECTION_MAX 3000 /* Slack refuses a section's text over 3000 characters */

void notify_req_dispose(struct notify_req *r)
{
	if (!r)
		return;
	free(r->url);
	free(r->body);
	free(r->token_file);
	memset(r, 0, sizeof(*r));
}

char *notify_repo_path(const char *url)
{
	const char *p = strstr(url, "://"), *end;

	if (p) { /* scheme://[user@]host[:port]/path */
		p = strchr(p + 3, '/');
	} else if ((p = strchr(url, ':')) == NULL) {
		return NULL; /* a local path names no hosted repository */
	}
	if (!p)
		return NULL;
	while (*p == '/' || *p == ':')
		p++;
	end = p + strlen(p);
	while (end > p && end[-1] == '/')
		end--;
	if (end - p > 4 && strncmp(end - 4, ".git", 4) == 0)
		end -= 4;
	return end > p ? strndup(p, (size_t)(end - p)) : NULL;
}

/* GitLab takes a project's path as its id, URL-encoded ("group%2Fproject"). */
static char *path_escape(const char *s)
{
	struct buf b;

	buf_init(&b, 4096);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p))
			buf_append(&b, p, 1);
		else
			buf_printf(&b, "%%%02X", *p);
	}
	return buf_detach(&b);
}

static void stamp_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* How much of s fits in max bytes without cutting a UTF-8 sequence. */
static size_t utf8_prefix(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n <= max)
		return n;
	n = max;
	while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* "sync-failed" -> "sync failed", as people read it. */
static void event_words(enum notify_event ev, char *out, size_t n)
{
	snprintf(out, n, "%s", notify_event_name(ev));
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = ' ';
}

static char *print_json(cJSON *root, struct json_build *b)
{
	char *s = b->failed ? NULL : cJSON_PrintUnformatted(root);

	cJSON_Delete(root);
	return s;
}

static char *generic_body(const struct notify_info *in)
{
	cJSON *root = cJSON_CreateObject(), *objs;
	struct json_build b = {.failed = !root};
	char stamp[32];

	stamp_now(stamp);
	jb_str(&b, root, "app", in->app);
	jb_str(&b, root, "event", notify_event_name(in->event));
	jb_str(&b, root, "commit", in->commit);
	jb_str(&b, root, "namespace", in->namespace);
	jb_str(&b, root, "message", in->message ? in->message : "");
	objs = jb_array(&b, root, "objects");
	for (size_t i = 0; in->objects && i < in->objects->n; i++)
		jb_append(&b, objs, cJSON_CreateString(in->objects->items[i]));
	jb_str(&b, root, "time", stamp);
	return print_json(root, &b);
}

/* Slack's mrkdwn reserves &, < and >. */
static void slack_escape(struct buf *out, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '&')
			buf_puts(out, "&amp;");
		else if (*s == '<')
			buf_puts(out, "&lt;");
		else if (*s == '>')
			buf_puts(out, "&gt;");
		else
			buf_append(out, s, 1);
	}
}

static void slack_section(struct json_build *b, cJSON *blocks, const char *type, const char *text)
{
	cJSON *blk = cJSON_CreateObject(), *t;

	jb_append(b, blocks, blk);
	jb_str(b, blk, "type", type);
	if (strcmp(type, "context") == 0) {
		cJSON *els = jb_array(b, blk, "elements");
		t = cJSON_CreateObject();
		jb_append(b, els, t);
	} else {
		t = jb_object(b, blk, "text");
	}
	jb_str(b, t, "type", "mrkdwn");
	jb_str(b, t, "text", text);
}

static char *slack_body(const struct notify_info *in)
{
	cJSON *root = cJSON_CreateObject(), *blocks;
	struct json_build b = {.failed = !root};
	struct buf text, objs;
	char words[32];
	char *s;

	buf_init(&text, 16384);
	buf_init(&objs, 16384);
	event_words(in->event, words, sizeof(words));
	buf_puts(&text, "tether: ");
	slack_escape(&text, in->app);
	buf_printf(&text, " %s at %.12s", words, in->commit ? in->commit : "");
	if (in->message && *in->message) {
		buf_puts(&text, ": ");
		slack_escape(&text, in->message);
	}
	for (size_t i = 0; in->objects && i < in->objects->n && i < SLACK_OBJECTS_MAX; i++) {
		buf_puts(&objs, i ? ", `" : "objects: `");
		slack_escape(&objs, in->objects->items[i]);
		buf_puts(&objs, "`");
	}
	jb_str(&b, root, "text", text.data ? text.data : "");
	blocks = jb_array(&b, root, "blocks");
	if (text.data)
		text.data[utf8_prefix(text.data, SLACK_SECTION_MAX)] = '\0';
	slack_section(&b, blocks, "section", text.data ? text.data : "");
	if (objs.data)
		objs.data[utf8_prefix(objs.data, SLACK_SECTION_MAX)] = '\0';
	if (objs.len)
		slack_section(&b, blocks, "context", objs.data);
	s = print_json(root, &b);
	buf_dispose(&text);
	buf_dispose(&objs);
	return s;
}

/* The commit status's state: GitHub's names, or GitLab's. */
static const char *status_state(const struct notify_info *in, bool gitlab)
{
	switch (in->event) {
	case NOTIFY_STARTED:
		return gitlab ? "running" : "pending";
	case NOTIFY_SYNCED:
		return "success";
	case NOTIFY_SYNC_FAILED:
		return gitlab ? "failed" : in->transient ? "error" : "failure";
	case NOTIFY_ROLLOUT_FAILED:
	case NOTIFY_REVERTED:
		return gitlab ? "failed" : "failure";
	default:
		return NULL; /* drift is about the cluster, not a commit */
	}
}

static char *status_body(const struct notify_info *in, bool gitlab, const char *state)
{
	cJSON *root = cJSON_CreateObject();
	struct json_build b = {.failed = !root};
	const char *msg = in->message ? in->message : "";
	char desc[DESCRIPTION_MAX + 1], context[80];

	snprintf(desc, sizeof(desc), "%.*s", (int)utf8_prefix(msg, DESCRIPTION_MAX), msg);
	snprintf(context, sizeof(context), "tether/%s", in->app);
	jb_str(&b, root, "state", state);
	jb_str(&b, root, gitlab ? "name" : "context", context);
	jb_str(&b, root, "description", desc);
	return print_json(root, &b);
}

/* {api}/repos/{owner}/{repo}/statuses/{sha} or {api}/projects/{id}/statuses/{sha}. */
static int status_url(struct notify_req *out, const struct notify_target *t,
		      const struct app_config *c, const char *sha, bool gitlab, struct err *e)
{
	const char *api = t->url   ? t->url
			  : gitlab ? "https://gitlab.com/api/v4"
				   : "https://api.github.com";
	char *repo = t->repo ? xstrdup(t->repo) : notify_repo_path(c->repo ? c->repo : "");
	char *id = repo && gitlab ? path_escape(repo) : NULL;
	size_t n = strlen(api);

	while (n && api[n - 1] == '/')
		n--;
	if (repo && (!gitlab || id))
		out->url = xasprintf("%.*s/%s/%s/statuses/%s", (int)n, api,
				     gitlab ? "projects" : "repos", gitlab ? id : repo, sha);
	free(id);
	free(repo);
	if (!out->url)
		return err_set(e, TE_INPUT, "notify %s: no repository: set repo", t->type);
	return 0;
}

static int status_req(struct notify_req *out, const struct notify_target *t,
		      const struct app_config *c, const struct notify_info *in, struct err *e)
{
	bool gitlab = strcmp(t->type, "gitlab") == 0;
	const char *state = status_state(in, gitlab);
	int rc;

	if (!state || !in->commit || strlen(in->commit) != 40)
		return 1;
	if ((rc = status_url(out, t, c, in->commit, gitlab, e)) < 0)
		return rc;
	out->github = !gitlab;
	out->body = status_body(in, gitlab, state);
	return 0;
}

int notify_req_build(struct notify_req *out, const struct notify_target *t,
		     const struct app_config *c, const struct notify_info *in, struct err *e)
{
	int rc = 0;

	memset(out, 0, sizeof(*out));
	snprintf(out->target, sizeof(out->target), "%s", t->type);
	snprintf(out->event, sizeof(out->event), "%s", notify_event_name(in->event));
	snprintf(out->app, sizeof(out->app), "%s", in->app);
	if (strcmp(t->type, "github") == 0 || strcmp(t->type, "gitlab") == 0) {
		rc = status_req(out, t, c, in, e);
	} else {
		out->url = xstrdup(t->url);
		out->body = strcmp(t->type, "slack") == 0 ? slack_body(in) : generic_body(in);
	}
	if (rc == 0 && t->token_file)
		out->token_file = xstrdup(t->token_file);
	if (rc == 0 && (!out->url || !out->body || (t->token_file && !out->token_file)))
		rc = err_set(e, TE_NOMEM, "out of memory");
	if (rc != 0)
		notify_req_dispose(out);
	return rc;
}
