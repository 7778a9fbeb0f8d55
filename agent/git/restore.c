/*
 * restore: the commit behind `tether rollback`: the tree of the branch head with one
 * subtree put back as it was in an older commit, pushed without force so that a
 * branch that moved meanwhile is a conflict, never an overwrite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitsrc_int.h"

static int lookup_tree(struct gitsrc *g, const char *sha, git_commit **commit, git_tree **tree,
		       struct err *e)
{
	git_oid oid;

	if (git_oid_fromstr(&oid, sha) < 0 || git_commit_lookup(commit, g->repo, &oid) < 0 ||
	    git_commit_tree(tree, *commit) < 0) {
		git_error_clear();
		return err_set(e, TE_NOTFOUND, "commit %s not in the cache", sha);
	}
	return 0;
}

static int tree_replace(git_repository *repo, const git_tree *base, const char *path,
			const git_tree_entry *repl, git_oid *out, size_t *count);

/* The last component: comp becomes repl, or goes when repl is NULL. */
static int tree_set_leaf(git_treebuilder *bld, const char *comp, const git_tree_entry *repl)
{
	if (repl)
		return git_treebuilder_insert(NULL, bld, comp, git_tree_entry_id(repl),
					      git_tree_entry_filemode(repl));
	return git_treebuilder_get(bld, comp) ? git_treebuilder_remove(bld, comp) : 0;
}

/* A directory on the way: its subtree rebuilt with rest replaced, dropped when it ends
 * up empty (git has no empty directories). */
static int tree_set_dir(git_repository *repo, const git_tree *base, git_treebuilder *bld,
			const char *comp, const char *rest, const git_tree_entry *repl)
{
	const git_tree_entry *cur = base ? git_tree_entry_byname(base, comp) : NULL;
	git_tree *sub = NULL;
	size_t subcount = 0;
	git_oid subid;
	int rc = 0;

	if (cur && git_tree_entry_type(cur) == GIT_OBJECT_TREE)
		rc = git_tree_lookup(&sub, repo, git_tree_entry_id(cur));
	if (rc == 0)
		rc = tree_replace(repo, sub, rest, repl, &subid, &subcount);
	if (rc == 0 && subcount)
		rc = git_treebuilder_insert(NULL, bld, comp, &subid, GIT_FILEMODE_TREE);
	else if (rc == 0 && git_treebuilder_get(bld, comp))
		rc = git_treebuilder_remove(bld, comp);
	git_tree_free(sub);
	return rc;
}

/*
 * Writes base with the entry at path replaced by repl (removed when repl is NULL),
 * rebuilding every tree up the path. *count receives the entries of the new tree.
 */
static int tree_replace(git_repository *repo, const git_tree *base, const char *path,
			const git_tree_entry *repl, git_oid *out, size_t *count)
{
	git_treebuilder *bld = NULL;
	char comp[256];
	const char *slash = strchr(path, '/');
	size_t len = slash ? (size_t)(slash - path) : strlen(path);
	int rc;

	if (len == 0 || len >= sizeof(comp))
		return -1;
	memcpy(comp, path, len);
	comp[len] = '\0';
	if ((rc = git_treebuilder_new(&bld, repo, base)) < 0)
		return rc;
	if (!slash || !slash[1])
		rc = tree_set_leaf(bld, comp, repl);
	else
		rc = tree_set_dir(repo, base, bld, comp, slash + 1, repl);
	if (rc == 0) {
		*count = git_treebuilder_entrycount(bld);
		rc = git_treebuilder_write(out, bld);
	}
	git_treebuilder_free(bld);
	return rc;
}

static int restored_tree(struct gitsrc *g, git_tree *parent, git_tree *from, const char *path,
			 git_oid *out, struct err *e)
{
	git_tree_entry *entry = NULL;
	char *norm = NULL;
	size_t count = 0;
	int rc;

	if ((rc = vfs_join(&norm, "", path ? path : "", e)) < 0)
		return rc;
	if (!norm[0]) {
		git_oid_cpy(out, git_tree_id(from));
		free(norm);
		return 0;
	}
	rc = git_tree_entry_bypath(&entry, from, norm);
	if (rc < 0 && rc != GIT_ENOTFOUND) {
		free(norm);
		return gitsrc_error(g, e, TE_FAIL, "restore");
	}
	rc = tree_replace(g->repo, parent, norm, entry, out, &count);
	git_tree_entry_free(entry);
	free(norm);
	return rc < 0 ? gitsrc_error(g, e, TE_FAIL, "restore: build tree") : 0;
}

/* The commit object signed, as git commit -S writes it (a gpgsig header). */
static int create_signed(struct gitsrc *g, const struct gitsrc_sign *sign,
			 const git_signature *who, const char *msg, const git_tree *tree,
			 const git_commit *parents[1], git_oid *out, struct err *e)
{
	git_buf content = GIT_BUF_INIT;
	struct buf sig;
	int rc;

	buf_init(&sig, 1 << 20);
	if (git_commit_create_buffer(&content, g->repo, who, who, NULL, msg, tree, 1, parents) < 0) {
		rc = gitsrc_error(g, e, TE_FAIL, "restore: commit");
	} else if ((rc = sign->sign(sign->ctx, content.ptr, content.size, &sig, e)) < 0) {
		err_prefix(e, "restore: sign the commit");
	} else if (git_commit_create_with_signature(out, g->repo, content.ptr, sig.data, NULL) < 0) {
		rc = gitsrc_error(g, e, TE_FAIL, "restore: signed commit");
	}
	buf_dispose(&sig);
	git_buf_dispose(&content);
	return rc;
}

static int make_commit(struct gitsrc *g, git_commit *parent, const git_oid *tree_id,
		       const char *msg, const struct gitsrc_sign *sign, git_oid *out,
		       struct err *e)
{
	const char *name = getenv("GIT_COMMITTER_NAME"), *email = getenv("GIT_COMMITTER_EMAIL");
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	const git_commit *parents[1] = {parent};
	int rc = 0;

	if (git_signature_now(&sig, name && *name ? name : "tether",
			      email && *email ? email : "tether@localhost") < 0 ||
	    git_tree_lookup(&tree, g->repo, tree_id) < 0)
		rc = gitsrc_error(g, e, TE_FAIL, "restore: commit");
	else if (sign)
		rc = create_signed(g, sign, sig, msg, tree, parents, out, e);
	else if (git_commit_create(out, g->repo, NULL, sig, sig, NULL, msg, tree, 1, parents) < 0)
		rc = gitsrc_error(g, e, TE_FAIL, "restore: commit");
	git_tree_free(tree);
	git_signature_free(sig);
	return rc;
}

/* A rejected ref update arrives here, not as an error code. */
static int push_status(const char *refname, const char *status, void *data)
{
	struct gitsrc *g = data;

	if (status)
		snprintf(g->cb_msg, sizeof(g->cb_msg), "%s rejected: %s", refname, status);
	return 0;
}

static int push(struct gitsrc *g, const char *branch, const git_oid *commit, struct err *e)
{
	git_push_options po;
	git_remote *remote = NULL;
	git_reference *ref = NULL;
	char spec[1100], track[1100], what[1200];
	char *specs[1] = {spec};
	git_strarray arr = {specs, 1};
	int rc;

	snprintf(spec, sizeof(spec), "refs/tether/restore:refs/heads/%s", branch);
	snprintf(what, sizeof(what), "push %s to %s", branch, g->safe_url);
	if (git_reference_create(&ref, g->repo, "refs/tether/restore", commit, 1,
				 "tether: restore") < 0) {
		rc = gitsrc_error(g, e, TE_FAIL, what);
		goto out;
	}
	if ((rc = gitsrc_remote(g, &remote, e)) < 0)
		goto out;
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	gitsrc_callbacks(g, &po.callbacks);
	po.callbacks.push_update_reference = push_status;
	rc = git_remote_push(remote, &arr, &po);
	if (rc == GIT_ENONFASTFORWARD || (rc == 0 && g->cb_msg[0])) {
		rc = err_set(e, TE_CONFLICT, "%s: %s (the branch moved; fetch and retry)", what,
			     g->cb_msg[0] ? g->cb_msg : "non-fast-forward");
		goto out;
	}
	if (rc < 0) {
		rc = gitsrc_remote_error(g, e, what);
		goto out;
	}
	git_reference_free(ref);
	ref = NULL;
	snprintf(track, sizeof(track), "refs/remotes/origin/%s", branch);
	git_reference_create(&ref, g->repo, track, commit, 1, "tether: restore");
	git_error_clear();
out:
	git_reference_free(ref);
	git_remote_free(remote);
	return rc;
}

int gitsrc_commit_restore(struct gitsrc *g, const char *branch, const char *parent,
			  const char *from, const char *path, const char *msg,
			  const struct gitsrc_sign *sign, bool dry_run, char new_sha[41],
			  struct err *e)
{
	git_commit *pc = NULL, *fc = NULL;
	git_tree *pt = NULL, *ft = NULL;
	git_oid tree_id, commit_id;
	int rc;

	new_sha[0] = '\0';
	if ((rc = lookup_tree(g, parent, &pc, &pt, e)) < 0 ||
	    (rc = lookup_tree(g, from, &fc, &ft, e)) < 0 ||
	    (rc = restored_tree(g, pt, ft, path, &tree_id, e)) < 0)
		goto out;
	if (git_oid_equal(&tree_id, git_tree_id(pt))) {
		rc = err_set(e, TE_INPUT, "%s already has the content of %.12s at %s", parent, from,
			     path && *path ? path : "the repository root");
		goto out;
	}
	if ((rc = make_commit(g, pc, &tree_id, msg, sign, &commit_id, e)) < 0)
		goto out;
	git_oid_tostr(new_sha, 41, &commit_id);
	if (!dry_run)
		rc = push(g, branch, &commit_id, e);
out:
	git_tree_free(ft);
	git_tree_free(pt);
	git_commit_free(fc);
	git_commit_free(pc);
	return rc;
}
