/*
 * kustomize_images: the images field. Like kustomize's image transformer it updates
 * the image of every element of any "containers" or "initContainers" list in an
 * object, whatever its kind, when the image's name matches.
 */
#include <stdlib.h>
#include <string.h>

#include "kustomize_int.h"

#define KS_TAG_CHARS "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.{}-"

struct ks_image {
	const char *name;
	char *new_name;
	char *new_tag;
	char *digest;
};

/* kustomize's image.IsImageMatched: the name, then optionally "@sha256", then
 * optionally ":" and a tag of [a-zA-Z0-9_.{}-], then optionally "@sha256:" and a
 * digest of the same characters. */
static bool ks_image_matches(const char *image, const char *name)
{
	size_t n = strlen(name);
	const char *p;

	if (strncmp(image, name, n) != 0)
		return false;
	p = image + n;
	if (strncmp(p, "@sha256", 7) == 0)
		p += 7;
	if (*p == ':') {
		p++;
		p += strspn(p, KS_TAG_CHARS);
	}
	if (strncmp(p, "@sha256:", 8) == 0) {
		p += 8;
		p += strspn(p, KS_TAG_CHARS);
	}
	return *p == '\0';
}

/* kustomize's image.Split: name, tag and digest, ignoring a registry host's port. */
static void ks_image_split(const char *image, char **name, char **tag, char **digest)
{
	const char *slash = strchr(image, '/');
	const char *search = slash && slash > image ? slash : image;
	const char *at = strchr(search, '@'), *colon = strchr(search, ':');

	*tag = *digest = NULL;
	if (!at && !colon) {
		*name = xstrdup(image);
	} else if (at && (!colon || at < colon)) {
		*name = strndup(image, (size_t)(at - image));
		*digest = xstrdup(at + 1);
	} else if (at) {
		*name = strndup(image, (size_t)(colon - image));
		*tag = strndup(colon + 1, (size_t)(at - colon - 1));
		*digest = xstrdup(at + 1);
	} else {
		*name = strndup(image, (size_t)(colon - image));
		*tag = xstrdup(colon + 1);
	}
}

/* Updates the image string parent.key when its name matches. */
static int ks_image_update(cJSON *parent, const char *key, void *ctx)
{
	const struct ks_image *im = ctx;
	const char *cur = json_str(parent, key, NULL);
	char *name, *tag, *digest, *out;
	int rc;

	if (!cur || !ks_image_matches(cur, im->name))
		return 0;
	ks_image_split(cur, &name, &tag, &digest);
	if (im->new_name) {
		free(name);
		name = xstrdup(im->new_name);
	}
	if (im->new_tag || im->digest) {
		free(tag);
		free(digest);
		tag = xstrdup(im->new_tag);
		digest = xstrdup(im->digest);
	}
	out = xasprintf("%s%s%s%s%s", name ? name : "", tag ? ":" : "", tag ? tag : "",
			digest ? "@" : "", digest ? digest : "");
	rc = out ? ks_set_str(parent, key, out) : TE_NOMEM;
	free(out);
	free(name);
	free(tag);
	free(digest);
	return rc;
}

static int ks_image_walk(cJSON *node, const struct ks_image *im, int depth)
{
	cJSON *c;
	int rc;

	if (depth > MANIFEST_MAX_DEPTH)
		return 0;
	if (!cJSON_IsObject(node) && !cJSON_IsArray(node))
		return 0;
	cJSON_ArrayForEach(c, node)
	{
		if (c->string && cJSON_IsArray(c) &&
		    (strcmp(c->string, "containers") == 0 ||
		     strcmp(c->string, "initContainers") == 0)) {
			cJSON *el;

			cJSON_ArrayForEach(el, c) if (cJSON_IsObject(el) &&
						      (rc = ks_image_update(
							   el, "image", (void *)im)) < 0) return rc;
		}
		if ((rc = ks_image_walk(c, im, depth + 1)) < 0)
			return rc;
	}
	return 0;
}

/* An optional string field of an images entry; numbers are an error, as in kustomize
 * ("newTag: 1.20" would otherwise silently become "1.2"). */
static int ks_text(struct ks_ctx *c, const cJSON *it, const char *field, char **out, struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, field);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return err_set(e, TE_INPUT, "%s: images: %s of %s must be a string (quote it)",
			       c->file, field, json_str(it, "name", NULL));
	if (*v->valuestring && !(*out = xstrdup(v->valuestring)))
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}

int ks_image_set(struct ks_ctx *c, const cJSON *it, const struct ks_fieldspec *fs,
		 struct ks_set *ra, struct err *e)
{
	struct ks_image im = {.name = json_str(it, "name", NULL)};
	int rc;

	if (!im.name || !*im.name)
		return err_set(e, TE_INPUT, "%s: images entries need a name", c->file);
	if ((rc = ks_text(c, it, "newName", &im.new_name, e)) == 0 &&
	    (rc = ks_text(c, it, "newTag", &im.new_tag, e)) == 0)
		rc = ks_text(c, it, "digest", &im.digest, e);
	for (size_t i = 0; i < ra->n && rc == 0; i++) {
		rc = ks_image_walk(ra->items[i].body, &im, 0);
		if (rc == 0 && fs)
			rc = ks_fs_apply(fs, ra->items[i].body, ks_image_update, &im);
		if (rc < 0)
			rc = err_set(e, rc, "%s: images: out of memory", c->file);
	}
	free(im.new_name);
	free(im.new_tag);
	free(im.digest);
	return rc;
}

int ks_images(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(kust, "images"), *it;
	struct ks_fieldspec *cfg = NULL; /* configurations: more image fields */
	int rc;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return err_set(e, TE_INPUT, "%s: images must be a list", c->file);
	if ((rc = ks_tconfig_specs(c->file, ra, "images", NULL, &cfg, e)) < 0)
		return rc;
	cJSON_ArrayForEach(it, list)
	{
		if ((rc = ks_image_set(c, it, cfg, ra, e)) < 0)
			break;
	}
	free(cfg);
	return rc;
}
