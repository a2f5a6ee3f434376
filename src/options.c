/*
 * options.c - the KZMALLOC_* settings.
 *
 * Read once, at start-up, straight from environ: getenv may not be safe
 * that early and nothing here allocates. Unknown names and malformed values
 * get a one-line warning and keep the default. No locks: written before any
 * other thread can use the allocator, read-only afterwards.
 */
#include "options.h"

#include <string.h>

#include "fatal.h"
#include "util.h"

extern char **environ;

struct kz_options kz_opt = {
	.init = KZ_INIT_FREE,
	.stats = false,
	.purge_delay_ms = 1000,
	.purge_thread = true,
};

enum opt_kind { OPT_BOOL, OPT_MS, OPT_INIT };

static const struct opt_desc {
	const char *name;
	enum opt_kind kind;
	void *value;
} opt_table[] = {
	{"INIT", OPT_INIT, &kz_opt.init},
	{"STATS", OPT_BOOL, &kz_opt.stats},
	{"PURGE_DELAY", OPT_MS, &kz_opt.purge_delay_ms},
	{"PURGE_THREAD", OPT_BOOL, &kz_opt.purge_thread},
};

static bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return true;
		}
	}
	return false;
}

/* Milliseconds, decimal, at most about 24 days so that clock arithmetic never wraps. */
static bool parse_ms(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (uint64_t) (*s - '0');
		if (v > INT32_MAX)
			return false;
	}
	*out = (uint32_t) v;
	return true;
}

static bool parse_init(const char *s, enum kz_init_mode *out)
{
	static const char *const modes[] = {
		[KZ_INIT_FREE] = "free", [KZ_INIT_ALLOC] = "alloc", [KZ_INIT_NONE] = "none"};

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!strcmp(s, modes[i])) {
			*out = (enum kz_init_mode) i;
			return true;
		}
	}
	return false;
}

static void option_set(const char *setting)
{
	const char *name = setting + strlen("KZMALLOC_");
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t) (eq - name) : strlen(name);

	for (size_t i = 0; i < ARRAY_SIZE(opt_table); i++) {
		const struct opt_desc *o = &opt_table[i];
		bool ok;

		if (strlen(o->name) != len || memcmp(o->name, name, len))
			continue;
		static const char *const want[] = {
			[OPT_BOOL] = " (want 0 or 1; ignored)",
			[OPT_MS] = " (want milliseconds; ignored)",
			[OPT_INIT] = " (want free, alloc or none; ignored)",
		};

		if (o->kind == OPT_BOOL)
			ok = eq && parse_bool(eq + 1, o->value);
		else if (o->kind == OPT_MS)
			ok = eq && parse_ms(eq + 1, o->value);
		else
			ok = eq && parse_init(eq + 1, o->value);
		if (!ok)
			kz_warn("malformed setting ", setting, want[o->kind]);
		return;
	}
	kz_warn("unknown setting ", setting, " (ignored)");
}

void options_init(void)
{
	if (!environ)
		return;
	for (char **env = environ; *env; env++) {
		if (!strncmp(*env, "KZMALLOC_", strlen("KZMALLOC_")))
			option_set(*env);
	}
}
