/*
 * Web assets: page templates and static files, read from web_dir at start
 * and on SIGHUP.  Templates are HTML with {{name}} (escaped) and {{=name}}
 * (raw, for fragments the code has already escaped).
 */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "hubd.h"

#define ASSET_MAX	(4u * 1024 * 1024)

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".css", "text/css; charset=utf-8" },
	{ ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },
	{ ".png", "image/png" },
	{ ".ico", "image/x-icon" },
	{ ".woff2", "font/woff2" },
	{ ".txt", "text/plain; charset=utf-8" },
	{ ".html", "text/html; charset=utf-8" },
};

static void
asset_free_list(struct asset *a)
{
	struct asset *next;

	for (; a != NULL; a = next) {
		next = a->next;
		free(a->name);
		free(a->data);
		free(a);
	}
}

void
web_free(struct web *w)
{
	if (w == NULL)
		return;
	asset_free_list(w->templates);
	asset_free_list(w->statics);
	free(w);
}

static int
read_file(const char *path, char **data, size_t *len, char *err,
    size_t errsize)
{
	FILE	*fp;
	struct stat sb;
	char	*buf;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errsize, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(fp), &sb) == -1 || sb.st_size > ASSET_MAX) {
		snprintf(err, errsize, "%s: %s", path, sb.st_size > ASSET_MAX ?
		    "larger than 4 MiB" : strerror(errno));
		fclose(fp);
		return -1;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		snprintf(err, errsize, "out of memory");
		fclose(fp);
		return -1;
	}
	*len = fread(buf, 1, (size_t)sb.st_size, fp);
	if (ferror(fp)) {
		snprintf(err, errsize, "%s: read error", path);
		free(buf);
		fclose(fp);
		return -1;
	}
	buf[*len] = '\0';
	fclose(fp);
	*data = buf;
	return 0;
}

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');
	size_t	 i;

	for (i = 0; dot != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* Every regular file of dir (not below it), as a list. */
static int
load_dir(const char *dir, struct asset **list, int hashed, char *err,
    size_t errsize)
{
	DIR	*d;
	struct dirent *de;
	char	 path[4096];
	unsigned char h[crypto_generichash_BYTES_MIN];

	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errsize, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		struct asset *a;
		struct stat sb;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &sb) == -1 || !S_ISREG(sb.st_mode))
			continue;
		if ((a = calloc(1, sizeof(*a))) == NULL ||
		    (a->name = strdup(de->d_name)) == NULL) {
			free(a);
			snprintf(err, errsize, "out of memory");
			goto fail;
		}
		a->next = *list;
		*list = a;
		if (read_file(path, &a->data, &a->len, err, errsize) == -1)
			goto fail;
		a->type = type_of(a->name);
		if (hashed) {
			crypto_generichash(h, sizeof(h),
			    (unsigned char *)a->data, a->len, NULL, 0);
			sodium_bin2hex(a->etag, sizeof(a->etag), h, 8);
		}
	}
	closedir(d);
	return 0;
fail:
	closedir(d);
	return -1;
}

struct web *
web_load(const char *dir, char *err, size_t errsize)
{
	struct web *w;
	char	 path[4096];
	static const char *const required[] = {
		"layout.html", "login.html", "home.html", "password.html",
		"error.html", "spawn.html", "course.html", "admin.html",
		"link.html",
	};
	size_t	 i;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/templates", dir);
	if (load_dir(path, &w->templates, 0, err, errsize) == -1)
		goto fail;
	snprintf(path, sizeof(path), "%s/static", dir);
	if (load_dir(path, &w->statics, 1, err, errsize) == -1)
		goto fail;
	for (i = 0; i < sizeof(required) / sizeof(required[0]); i++)
		if (web_template(w, required[i]) == NULL) {
			snprintf(err, errsize, "%s/templates/%s is missing",
			    dir, required[i]);
			goto fail;
		}
	return w;
fail:
	web_free(w);
	return NULL;
}

const struct asset *
web_static(const struct web *w, const char *name)
{
	const struct asset *a;

	for (a = w->statics; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

const char *
web_template(const struct web *w, const char *name)
{
	const struct asset *a;

	for (a = w->templates; a != NULL; a = a->next)
		if (strcmp(a->name, name) == 0)
			return a->data;
	return NULL;
}

int
buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return -1;
	if (b->len + n + 1 > b->size) {
		size_t	 size = b->size == 0 ? 4096 : b->size;
		char	*p;

		while (b->len + n + 1 > size)
			size *= 2;
		if ((p = realloc(b->data, size)) == NULL) {
			b->failed = 1;
			return -1;
		}
		b->data = p;
		b->size = size;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_puts(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	 small[512], *big = NULL;
	int	 n, r;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);
	if ((big = malloc((size_t)n + 1)) == NULL) {
		b->failed = 1;
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	r = buf_add(b, big, (size_t)n);
	free(big);
	return r;
}

int
buf_escape(struct buf *b, const char *s)
{
	char	*e = html_escape(s);
	int	 r;

	if (e == NULL) {
		b->failed = 1;
		return -1;
	}
	r = buf_puts(b, e);
	free(e);
	return r;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* buf_free for a buffer that held secrets: wiped first. */
void
buf_burn(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->size);
	buf_free(b);
}

static const char *
var_value(const struct var *vars, const char *name, size_t n)
{
	for (; vars != NULL && vars->name != NULL; vars++)
		if (strlen(vars->name) == n && memcmp(vars->name, name, n) == 0)
			return vars->value != NULL ? vars->value : "";
	return NULL;
}

/* Append template tpl to b with vars substituted; unknown names are bugs
 * in a template and render empty (logged). */
int
web_render(struct buf *b, const char *tpl, const struct var *vars)
{
	const char *p = tpl, *open, *close;

	while ((open = strstr(p, "{{")) != NULL) {
		const char *name = open + 2, *v;
		int	 raw = 0;

		if ((close = strstr(name, "}}")) == NULL)
			break;
		buf_add(b, p, (size_t)(open - p));
		if (*name == '=') {
			raw = 1;
			name++;
		}
		v = var_value(vars, name, (size_t)(close - name));
		if (v == NULL)
			log_debug("template: no value for {{%.*s}}",
			    (int)(close - name), name);
		else if (raw)
			buf_puts(b, v);
		else
			buf_escape(b, v);
		p = close + 2;
	}
	buf_puts(b, p);
	return b->failed ? -1 : 0;
}

/* Percent-encode s for a query value. */
int
buf_urlencode(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char	 enc[4];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-_.~/", c) != NULL) {
			buf_add(b, (const char *)&c, 1);
			continue;
		}
		enc[0] = '%';
		enc[1] = hex[c >> 4];
		enc[2] = hex[c & 15];
		enc[3] = '\0';
		buf_puts(b, enc);
	}
	return b->failed ? -1 : 0;
}
