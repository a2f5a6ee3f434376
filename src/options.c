/*
 * options.c - the KZMALLOC_* settings.
 *
 * Read once, at start-up, straight from environ: getenv may not be safe
 * that early and nothing here allocates. Unknown names and malformed values
 * get a one-line warning and keep the default. No locks: written before any
 * other thread can use the allocator, read-only afterwards (sealed:
 * KZ_RO_AFTER_INIT, util.h); tests set them through the environment.
 */
#include "options.h"

#include <assert.h>
#include <string.h>

#include "fatal.h"
#include "util.h"

extern char **environ;

KZ_RO_AFTER_INIT struct kz_options kz_opt = {
	.init = KZ_INIT_FREE,
	.stats = false,
	.purge_delay_ms = 1000,
	.purge_thread = true,
	.check = KZ_CHECK_DEFAULT,
};

KZ_RO_AFTER_INIT char kz_stats_file[KZ_STATS_FILE_MAX];

enum opt_kind { OPT_BOOL, OPT_MS, OPT_WORD, OPT_FLAGS, OPT_STATS };

/* The values of a word setting, in the order of its enum. */
static const char *const init_words[] = {
	[KZ_INIT_FREE] = "free", [KZ_INIT_ALLOC] = "alloc", [KZ_INIT_NONE] = "none", NULL};
/*
 * OPT_FLAGS: word i sets bit i, on top of the defaults; after the bits, "default" (the defaults
 * alone), "none" (no defaults: only the words given) and "all".
 */
enum { CHECK_WORD_DEFAULT = 6, CHECK_WORD_NONE, CHECK_WORD_ALL };
static const char *const check_words[] = {"full",    "canary",	"guard", "zero-size", "quarantine",
					  "protect", "default", "none",	 "all",	      NULL};
static_assert(KZ_CHECK_ALL == (1 << CHECK_WORD_DEFAULT) - 1,
	      "check_words: one word per flag, then default, none, all");

static const struct opt_desc {
	const char *name;
	enum opt_kind kind;
	void *value;		  /* bool, uint32_t, an enum (an int) or OPT_FLAGS' unsigned */
	const char *const *words; /* OPT_WORD, OPT_FLAGS */
	const char *want;	  /* the warning's hint */
} opt_table[] = {
	{"INIT", OPT_WORD, &kz_opt.init, init_words, " (want free, alloc or none; ignored)"},
	{"CHECK", OPT_FLAGS, &kz_opt.check, check_words,
	 " (want a comma list of full, canary, guard, zero-size, quarantine, protect, or default, "
	 "none or all; ignored)"},
	{"STATS", OPT_STATS, &kz_opt.stats, NULL,
	 " (want 0, 1 or a file name with a / or a %p; ignored)"},
	{"PURGE_DELAY", OPT_MS, &kz_opt.purge_delay_ms, NULL, " (want milliseconds; ignored)"},
	{"PURGE_THREAD", OPT_BOOL, &kz_opt.purge_thread, NULL, " (want 0 or 1; ignored)"},
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

static bool parse_word(const char *s, const char *const *words, int *out)
{
	for (int i = 0; words[i]; i++) {
		if (!strcmp(s, words[i])) {
			*out = i;
			return true;
		}
	}
	return false;
}

/*
 * A comma list of check words (check_words), added to the defaults unless one of them is "none";
 * the whole setting is ignored if one word is unknown.
 */
static bool parse_flags(const char *s, const char *const *words, unsigned *out)
{
	unsigned flags = 0, base = KZ_CHECK_DEFAULT;

	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t) (comma - s) : strlen(s);
		int i;

		for (i = 0; words[i]; i++)
			if (strlen(words[i]) == len && !memcmp(s, words[i], len))
				break;
		if (!words[i])
			return false;
		if (i == CHECK_WORD_ALL)
			flags = ~0u;
		else if (i == CHECK_WORD_NONE)
			base = 0;
		else if (i < CHECK_WORD_DEFAULT)
			flags |= 1u << i;
		if (!comma)
			break;
		s = comma + 1;
	}
	*out = (base | flags) & KZ_CHECK_ALL;
	return true;
}

/*
 * KZMALLOC_STATS: a boolean, or a file to write the report to. A file's name has a '/' or a '%'
 * (./stats.txt, /tmp/kz.%p), so that a misspelt boolean is still told apart from it.
 */
static bool parse_stats(const char *s, bool *out)
{
	size_t len = strlen(s);

	if (parse_bool(s, out)) {
		kz_stats_file[0] = '\0';
		return true;
	}
	if (!strpbrk(s, "/%") || len >= sizeof(kz_stats_file))
		return false;
	memcpy(kz_stats_file, s, len + 1);
	*out = true;
	return true;
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
		if (o->kind == OPT_BOOL)
			ok = eq && parse_bool(eq + 1, o->value);
		else if (o->kind == OPT_MS)
			ok = eq && parse_ms(eq + 1, o->value);
		else if (o->kind == OPT_WORD)
			ok = eq && parse_word(eq + 1, o->words, o->value);
		else if (o->kind == OPT_STATS)
			ok = eq && parse_stats(eq + 1, o->value);
		else
			ok = eq && parse_flags(eq + 1, o->words, o->value);
		if (!ok)
			kz_warn("malformed setting ", setting, o->want);
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
