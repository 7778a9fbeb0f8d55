/*
 * linediff: a unified diff of two texts, computed by libgit2 (git_patch_from_buffers,
 * git's xdiff) and printed here, so the labels, hunk headers and colours stay ours.
 * The texts are already masked (Secret values never get this far) and are always
 * diffed as text, whatever bytes they hold. A missing newline at the end is not a
 * change (the texts are compared line by line), so no "\ No newline" marker is shown.
 */
#include <pthread.h>
#include <string.h>

#include <git2.h>

#include "sync.h"

#define COLOR_OFF "\033[0m"

static pthread_once_t linediff_once = PTHREAD_ONCE_INIT;
static int linediff_init_rc;

/*
 * libgit2 must be initialised to allocate. The first git_libgit2_init of a process
 * costs milliseconds (a diff of a few hundred lines takes microseconds), so this
 * reference is taken once and kept, rather than an init/shutdown pair per diff.
 */
static void linediff_init(void)
{
	linediff_init_rc = git_libgit2_init();
}

/* s itself, or a copy in tmp with the final newline s lacks; NULL if out of memory. */
static const char *with_newline(const char *s, struct buf *tmp)
{
	size_t n = strlen(s);

	if (n == 0 || s[n - 1] == '\n')
		return s;
	if (buf_append(tmp, s, n) < 0 || buf_puts(tmp, "\n") < 0)
		return NULL;
	return tmp->data;
}

static void put_line(struct buf *out, const git_diff_line *l, bool color)
{
	const char *on = l->origin == '-' ? "\033[31m" : l->origin == '+' ? "\033[32m" : "";
	size_t len = l->content_len;
	char mark = l->origin;

	if (len && l->content[len - 1] == '\n')
		len--;
	if (color && *on)
		buf_puts(out, on);
	buf_append(out, &mark, 1);
	buf_append(out, l->content, len);
	if (color && *on)
		buf_puts(out, COLOR_OFF);
	buf_puts(out, "\n");
}

static int put_hunk(struct buf *out, git_patch *patch, size_t i, bool color)
{
	const git_diff_hunk *h;
	const git_diff_line *l;
	size_t n;

	if (git_patch_get_hunk(&h, &n, patch, i) < 0)
		return TE_NOMEM;
	if (color)
		buf_puts(out, "\033[36m");
	buf_printf(out, "@@ -%d,%d +%d,%d @@", h->old_start, h->old_lines, h->new_start,
		   h->new_lines);
	buf_puts(out, color ? COLOR_OFF "\n" : "\n");
	for (size_t j = 0; j < n; j++) {
		if (git_patch_get_line_in_hunk(&l, patch, i, j) < 0)
			return TE_NOMEM;
		if (l->origin == ' ' || l->origin == '-' || l->origin == '+')
			put_line(out, l, color);
	}
	return 0;
}

int linediff_unified(const char *a_label, const char *a, const char *b_label, const char *b,
		     int context, bool color, struct buf *out, struct err *e)
{
	git_diff_options opts;
	git_patch *patch = NULL;
	struct buf ta, tb;
	size_t nh = 0;
	int rc = 0;

	pthread_once(&linediff_once, linediff_init);
	if (linediff_init_rc < 0)
		return err_set(e, TE_NOMEM, "diff: out of memory");
	buf_init(&ta, 0);
	buf_init(&tb, 0);
	git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION);
	opts.flags = GIT_DIFF_FORCE_TEXT;
	opts.context_lines = context > 0 ? (uint32_t)context : 0;
	if (!(a = with_newline(a, &ta)) || !(b = with_newline(b, &tb)) ||
	    git_patch_from_buffers(&patch, a, strlen(a), NULL, b, strlen(b), NULL, &opts) < 0) {
		rc = err_set(e, TE_NOMEM, "diff: out of memory");
		goto out;
	}
	if ((nh = git_patch_num_hunks(patch)) > 0) {
		if (color)
			buf_puts(out, "\033[1m");
		buf_printf(out, "--- %s\n+++ %s\n", a_label, b_label);
		if (color)
			buf_puts(out, COLOR_OFF);
	}
	for (size_t i = 0; i < nh && rc == 0; i++)
		rc = put_hunk(out, patch, i, color);
	if (rc < 0)
		err_set(e, rc, "diff: out of memory");
	else
		rc = nh > 0;
out:
	git_patch_free(patch);
	buf_dispose(&ta);
	buf_dispose(&tb);
	return rc;
}
