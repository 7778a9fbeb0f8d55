/*
 * api_crd: custom resources read and written at any served version of their CRD. The
 * store keeps each object once, at the version its type stores (store_crd.c); with
 * conversion strategy None the real server converts by rewriting apiVersion alone, so
 * that is all a view does to what it answers. Objects already at the asked version
 * keep their cached serialisation.
 */
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "store_int.h"

static bool needs_rewrite(const struct restype *view, const cJSON *obj)
{
	const char *av;

	if (!view || !view->custom)
		return false;
	av = obj_str(obj, "apiVersion", NULL);
	return !av || strcmp(av, view->api_version) != 0;
}

void api_view_obj(const struct restype *view, cJSON *obj)
{
	if (cJSON_IsObject(obj) && needs_rewrite(view, obj))
		obj_set_str(obj, "apiVersion", view->api_version);
}

const char *api_view_json(const struct restype *view, struct sobj *so, size_t *len,
			  char **owned)
{
	cJSON *copy;

	*owned = NULL;
	if (!needs_rewrite(view, so->obj))
		return sobj_json(so, len);
	copy = cJSON_Duplicate(so->obj, true);
	if (!copy)
		abort();
	api_view_obj(view, copy);
	*owned = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	if (!*owned)
		abort();
	*len = strlen(*owned);
	return *owned;
}
