/*
 * source: the commit to sync and its rendered objects. Git is read through the bare
 * cache and a vfs over the commit's tree; nothing is ever checked out, so a
 * repository's symlinks or hooks cannot reach outside it.
 */
#include <stdlib.h>
#include <string.h>

#include "render.h"
#include "sync_int.h"

/* "repository <url>: ...", with the URL's credentials redacted. */
static int source_error(struct err *e, const char *repo)
{
	char *safe = url_redact(repo);
	int rc = err_prefix(e, "repository %s", safe ? safe : "(url)");

	free(safe);
	return rc;
}

int source_open(struct sync_run *r, struct err *e)
{
	int rc;

	if ((rc = session_git(r->sess, e)) < 0)
		return source_error(e, r->cfg->repo);
	r->git = r->sess->git;
	/* gitsrc's messages already name the (redacted) URL: no second prefix. */
	if ((rc = gitsrc_resolve(r->git, r->cfg->ref, r->commit, NULL, e)) < 0)
		return rc;
	if ((rc = gitsrc_tree(r->git, r->commit, &r->vfs, e)) < 0)
		return err_prefix(e, "commit %.12s", r->commit);
	return 0;
}

/* "./deploy/", "/deploy" and "deploy" name the same directory; "." is the root. */
static char *normalise_path(const char *p)
{
	char *s, *end;

	for (;;) {
		if (*p == '/')
			p++;
		else if (p[0] == '.' && (p[1] == '/' || p[1] == '\0'))
			p += 1;
		else
			break;
	}
	s = xstrdup(p);
	if (!s)
		return NULL;
	end = s + strlen(s);
	while (end > s && end[-1] == '/')
		*--end = '\0';
	return s;
}

int source_render(struct sync_run *r, struct object_set *out, struct err *e)
{
	char *path = normalise_path(r->cfg->path ? r->cfg->path : "");
	int rc;

	if (!path)
		return err_set(e, TE_NOMEM, "out of memory");
	rc = manifest_render(r->vfs, path, out, e);
	free(path);
	if (rc < 0) {
		if (e->code != TE_UNREACHABLE && e->code != TE_NOMEM)
			e->code = TE_INPUT; /* anything the files did wrong is bad input */
		return err_prefix(e, "render %.12s", r->commit);
	}
	return 0;
}
