/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_keypath.c - registry key paths as users and recipes write them
 * (keypath): parsing, the roots, errors, formatting. */
#include "config.h"

#include "recipe/keypath.h"
#include "base/status.h"

#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
check_parts(const char *file, int line, const struct keypath *path,
	    const char *hive, const char *const *parts, size_t count)
{
	if ((hive == NULL) != (path->hive_name == NULL) ||
	    (hive != NULL && strcmp(hive, path->hive_name) != 0))
		test_fail(file, line, "hive \"%s\", want \"%s\"",
			  path->hive_name ? path->hive_name : "(null)",
			  hive ? hive : "(null)");
	if (path->count != count) {
		test_fail(file, line, "%zu parts, want %zu", path->count,
			  count);
		return;
	}
	for (size_t i = 0; i < count; i++)
		if (strcmp(path->parts[i], parts[i]) != 0)
			test_fail(file, line, "part %zu \"%s\", want \"%s\"", i,
				  path->parts[i], parts[i]);
}

#define CHECK_PARTS(path, hive, ...)                                           \
	do {                                                                   \
		static const char *const want_[] = { __VA_ARGS__ };            \
		check_parts(__FILE__, __LINE__, path, hive, want_,             \
			    sizeof want_ / sizeof *want_);                     \
	} while (0)

static void
test_keypath_rooted(void)
{
	struct keypath path;
	struct hp_error err;

	hp_error_clear(&err);
	CHECK_INT(keypath_parse("HKLM\\SYSTEM\\CurrentControlSet\\Control",
				&path, &err),
		  HP_OK);
	CHECK_PARTS(&path, "SYSTEM", "CurrentControlSet", "Control");
	CHECK(keypath_uses_current_control_set(&path));
	keypath_release(&path);
	CHECK(path.parts == NULL && path.hive_name == NULL && path.count == 0);

	CHECK_INT(keypath_parse("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft",
				&path, &err),
		  HP_OK);
	CHECK_PARTS(&path, "SOFTWARE", "Microsoft");
	CHECK(!keypath_uses_current_control_set(&path));
	keypath_release(&path);

	/* The root and the hive without case; the hive by its name. */
	CHECK_INT(keypath_parse("hklm\\System\\Select", &path, &err), HP_OK);
	CHECK_PARTS(&path, "SYSTEM", "Select");
	keypath_release(&path);
	CHECK_INT(keypath_parse("hkey_local_machine\\SYSTEM", &path, &err),
		  HP_OK);
	CHECK_INT(path.count, 0);
	CHECK_STR(path.hive_name, "SYSTEM");
	keypath_release(&path);

	/* Leading and trailing backslashes are allowed. */
	CHECK_INT(keypath_parse("\\HKLM\\SYSTEM\\Select\\", &path, &err),
		  HP_OK);
	CHECK_PARTS(&path, "SYSTEM", "Select");
	keypath_release(&path);
}

static void
test_keypath_relative(void)
{
	struct keypath path;
	struct hp_error err;

	hp_error_clear(&err);
	CHECK_INT(keypath_parse("ControlSet001\\Control", &path, &err), HP_OK);
	CHECK_PARTS(&path, NULL, "ControlSet001", "Control");
	CHECK(!keypath_uses_current_control_set(&path));
	keypath_release(&path);

	CHECK_INT(keypath_parse("\\ControlSet001\\Control", &path, &err),
		  HP_OK);
	CHECK_PARTS(&path, NULL, "ControlSet001", "Control");
	keypath_release(&path);

	CHECK_INT(keypath_parse("ControlSet001\\Control\\", &path, &err),
		  HP_OK);
	CHECK_PARTS(&path, NULL, "ControlSet001", "Control");
	keypath_release(&path);

	CHECK_INT(keypath_parse("Select", &path, &err), HP_OK);
	CHECK_PARTS(&path, NULL, "Select");
	keypath_release(&path);

	/* Spaces and dots are ordinary characters in key names. */
	CHECK_INT(keypath_parse("Protocols\\SSL 2.0\\Client", &path, &err),
		  HP_OK);
	CHECK_PARTS(&path, NULL, "Protocols", "SSL 2.0", "Client");
	keypath_release(&path);

	/* CurrentControlSet without case, only as the first part. */
	CHECK_INT(keypath_parse("currentcontrolset\\Services", &path, &err),
		  HP_OK);
	CHECK(keypath_uses_current_control_set(&path));
	keypath_release(&path);
	CHECK_INT(keypath_parse("CURRENTCONTROLSET", &path, &err), HP_OK);
	CHECK(keypath_uses_current_control_set(&path));
	keypath_release(&path);
	CHECK_INT(keypath_parse("Services\\CurrentControlSet", &path, &err),
		  HP_OK);
	CHECK(!keypath_uses_current_control_set(&path));
	keypath_release(&path);
	CHECK_INT(keypath_parse("CurrentControlSet001", &path, &err), HP_OK);
	CHECK(!keypath_uses_current_control_set(&path));
	keypath_release(&path);
	CHECK_INT(keypath_parse("HKLM\\SYSTEM", &path, &err), HP_OK);
	CHECK(!keypath_uses_current_control_set(&path));
	keypath_release(&path);
}

static void
check_usage(const char *file, int line, const char *text)
{
	struct keypath path;
	struct hp_error err;
	enum hp_status status;

	hp_error_clear(&err);
	memset(&path, 0x5A, sizeof path);
	status = keypath_parse(text, &path, &err);
	if (status != HP_ERR_USAGE || err.status != HP_ERR_USAGE)
		test_fail(file, line, "keypath_parse(\"%s\") == %d, want usage",
			  text, (int)status);
	/* The message names the subject (a long one by its start). */
	if (strncmp(err.message + 1, text, 40) != 0 &&
	    strstr(err.message, text) == NULL)
		test_fail(file, line, "message \"%s\" does not quote \"%s\"",
			  err.message, text);
	/* Nothing is left to release. */
	if (path.parts != NULL || path.hive_name != NULL || path.count != 0)
		test_fail(file, line, "keypath_parse(\"%s\") left a path",
			  text);
	if (status == HP_OK)
		keypath_release(&path);
}

#define CHECK_USAGE(text) check_usage(__FILE__, __LINE__, text)

static void
test_keypath_errors(void)
{
	CHECK_USAGE("a\\\\b");
	CHECK_USAGE("HKLM\\SYSTEM\\\\Control");
	CHECK_USAGE("\\\\a");
	CHECK_USAGE("a\\\\");
	CHECK_USAGE("HKLM");
	CHECK_USAGE("HKLM\\");
	CHECK_USAGE("\\HKEY_LOCAL_MACHINE\\");
	CHECK_USAGE("HKU\\S-1-5-21-1\\Software");
	CHECK_USAGE("HKLM\\HARDWARE\\DESCRIPTION");
	CHECK_USAGE("HKEY_LOCAL_MACHINE\\NoSuchHive");
	CHECK_USAGE("HKEY_DYN_DATA\\x");
	CHECK_USAGE("HKEY_PERFORMANCE_DATA");
	CHECK_USAGE("HKU");
	{
		/* The default user's hive is addressed as HKEY_USERS\.DEFAULT. */
		struct keypath path;
		struct hp_error err;

		CHECK_INT(keypath_parse("HKU\\.DEFAULT\\Control Panel", &path,
					&err),
			  HP_OK);
		CHECK_STR(path.hive_name, "DEFAULT");
		CHECK_INT(path.count, 1);
		if (path.count == 1)
			CHECK_STR(path.parts[0], "Control Panel");
		keypath_release(&path);
	}
	{
		/* A key name longer than Windows allows. */
		char text[300];

		memset(text, 'k', sizeof text);
		memcpy(text, "HKLM\\SOFTWARE\\", 14);
		text[14 + 256] = '\0';
		CHECK_USAGE(text);
		text[14 + 255] = '\0';
		{
			struct keypath path;
			struct hp_error err;

			CHECK_INT(keypath_parse(text, &path, &err), HP_OK);
			keypath_release(&path);
		}
	}
	/* A NULL error record is allowed. */
	{
		struct keypath path;

		CHECK_INT(keypath_parse("a\\\\b", &path, NULL), HP_ERR_USAGE);
	}
}

/* Every root Windows has maps to the hive that holds it offline. */
static void
test_keypath_roots(void)
{
	static const struct {
		const char *text, *hive;
		const char *first; /* the first part inside it, or NULL */
		size_t count;
	} cases[] = {
		{ "HKEY_USERS\\S-1-5-18\\Control Panel", "DEFAULT",
		  "Control Panel", 1 },
		{ "HKU\\s-1-5-19\\Software", "LocalService", "Software", 1 },
		{ "HKEY_USERS\\S-1-5-20", "NetworkService", NULL, 0 },
		{ "HKCU\\Software\\Microsoft", "NTUSER.DAT", "Software", 2 },
		{ "hkcu", "NTUSER.DAT", NULL, 0 },
		{ "HKEY_CURRENT_USER\\Software\\Classes\\.txt", "UsrClass.dat",
		  ".txt", 1 },
		{ "HKCU\\software\\classes", "UsrClass.dat", NULL, 0 },
		{ "HKCR\\.txt", "SOFTWARE", "Classes", 2 },
		{ "hkey_classes_root", "SOFTWARE", "Classes", 1 },
		{ "HKCC\\Software", "SYSTEM", "CurrentControlSet", 4 },
		{ "HKLM\\sam\\SAM", "SAM", "SAM", 1 },
		{ "HKLM\\components", "COMPONENTS", NULL, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct keypath path;
		struct hp_error err;

		if (keypath_parse(cases[i].text, &path, &err) != HP_OK) {
			test_fail(__FILE__, __LINE__, "%s: %s", cases[i].text,
				  err.message);
			continue;
		}
		CHECK_STR(path.hive_name, cases[i].hive);
		CHECK_INT(path.count, cases[i].count);
		if (cases[i].first != NULL && path.count > 0)
			CHECK_STR(path.parts[0], cases[i].first);
		keypath_release(&path);
	}
}

/* In a .reg file a key begins with a root spelled out, as regedit
 * requires. */
static void
test_keypath_reg_file(void)
{
	struct keypath path;
	struct hp_error err;

	CHECK_INT(keypath_parse_as("HKEY_LOCAL_MACHINE\\SYSTEM\\Select",
				   KEYPATH_REG_FILE, &path, &err),
		  HP_OK);
	CHECK_PARTS(&path, "SYSTEM", "Select");
	keypath_release(&path);
	CHECK_INT(
		keypath_parse_as("HKLM\\SYSTEM", KEYPATH_REG_FILE, &path, &err),
		HP_ERR_USAGE);
	CHECK(strstr(err.message, "write HKEY_LOCAL_MACHINE") != NULL);
	CHECK_INT(keypath_parse_as("HKEYLOCALMACHINE\\SYSTEM", KEYPATH_REG_FILE,
				   &path, &err),
		  HP_ERR_USAGE);
	CHECK(strstr(err.message, "must begin with a root") != NULL);
	CHECK_INT(keypath_parse_as("ControlSet001\\Control", KEYPATH_REG_FILE,
				   &path, &err),
		  HP_ERR_USAGE);
	CHECK_INT(keypath_parse_as("HKCU\\x", KEYPATH_REG_FILE, &path, &err),
		  HP_ERR_USAGE);
}

static void
test_keypath_identities(void)
{
	CHECK(keypath_hive_matches("SYSTEM", "SYSTEM"));
	CHECK(keypath_hive_matches("system", "SYSTEM"));
	CHECK(!keypath_hive_matches("SOFTWARE", "SYSTEM"));
	CHECK(keypath_hive_matches("LocalService", "NTUSER.DAT"));
	CHECK(keypath_hive_matches("NetworkService", "NTUSER.DAT"));
	CHECK(keypath_hive_matches("NTUSER.DAT", "NTUSER.DAT"));
	CHECK(!keypath_hive_matches("UsrClass.dat", "NTUSER.DAT"));
	CHECK(!keypath_hive_matches("NTUSER.DAT", "DEFAULT"));
	CHECK_STR(keypath_hive_of_file("system"), "SYSTEM");
	CHECK_STR(keypath_hive_of_file("ntuser.dat"), "NTUSER.DAT");
	CHECK_STR(keypath_hive_of_file("USRCLASS.DAT"), "UsrClass.dat");
	CHECK_STR(keypath_hive_of_file("Default"), "DEFAULT");
	CHECK(keypath_hive_of_file("SYSTEM.LOG1") == NULL);
	CHECK(keypath_hive_of_file("hive.dat") == NULL);
}

static void
test_keypath_format(void)
{
	char *parts[] = { "CurrentControlSet", "Control", "SecurityProviders" };
	struct keypath path;
	struct hp_error err;
	char *s;

	s = keypath_format(NULL, parts, 3);
	CHECK_STR(
		s,
		"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders");
	free(s);
	s = keypath_format("SOFTWARE", parts + 1, 1);
	CHECK_STR(s, "HKLM\\SOFTWARE\\Control");
	free(s);
	s = keypath_format("SYSTEM", NULL, 0);
	CHECK_STR(s, "HKLM\\SYSTEM");
	free(s);

	/* Parse and format round-trip (the root comes out as HKLM). */
	hp_error_clear(&err);
	CHECK_INT(keypath_parse("HKEY_LOCAL_MACHINE\\SYSTEM\\Select\\", &path,
				&err),
		  HP_OK);
	s = keypath_format(path.hive_name, path.parts, path.count);
	CHECK_STR(s, "HKLM\\SYSTEM\\Select");
	free(s);
	keypath_release(&path);
	CHECK_INT(keypath_parse("ControlSet001\\Control", &path, &err), HP_OK);
	s = keypath_format(path.hive_name, path.parts, path.count);
	CHECK_STR(s, "HKLM\\SYSTEM\\ControlSet001\\Control");
	free(s);
	keypath_release(&path);

	/* Releasing twice (or NULL) is harmless. */
	keypath_release(&path);
	keypath_release(NULL);
}

static void
test_keypath_other_roots(void)
{
	/* Every predefined key without a hive offline is refused by name,
	 * with or without case, rather than taken for a key of that name in
	 * a hive. */
	CHECK_USAGE("HKEY_PERFORMANCE_DATA\\x");
	CHECK_USAGE("HKEY_PERFORMANCE_TEXT\\x");
	CHECK_USAGE("HKEY_PERFORMANCE_NLSTEXT\\x");
	CHECK_USAGE("HKEY_DYN_DATA\\Config Manager");
	CHECK_USAGE("HKEY_CURRENT_USER_LOCAL_SETTINGS\\Software");
	CHECK_USAGE("HKU");
	CHECK_USAGE("HKEY_USERS\\.DEFAULTS\\x");
	/* A root's name further down is an ordinary key name. */
	{
		struct keypath path;

		CHECK_INT(keypath_parse("Software\\HKCC", &path, NULL), HP_OK);
		CHECK_PARTS(&path, NULL, "Software", "HKCC");
		keypath_release(&path);
		CHECK_INT(keypath_parse("HKLM\\SYSTEM\\HKEY_CURRENT_USER",
					&path, NULL),
			  HP_OK);
		CHECK_PARTS(&path, "SYSTEM", "HKEY_CURRENT_USER");
		keypath_release(&path);
	}
}

static void
test_keypath_default_user(void)
{
	struct keypath path;
	struct hp_error err;

	/* HKEY_USERS\.DEFAULT without case is the DEFAULT hive. */
	CHECK_INT(keypath_parse("hkey_users\\.default\\Control Panel\\Desktop",
				&path, &err),
		  HP_OK);
	CHECK_PARTS(&path, "DEFAULT", "Control Panel", "Desktop");
	keypath_release(&path);
	CHECK_INT(keypath_parse("HKU\\.DEFAULT", &path, &err), HP_OK);
	CHECK_STR(path.hive_name, "DEFAULT");
	CHECK_INT(path.count, 0);
	CHECK(!keypath_uses_current_control_set(&path));
	keypath_release(&path);
	CHECK_INT(keypath_parse("\\HKEY_USERS\\.DEFAULT\\", &path, &err),
		  HP_OK);
	CHECK_STR(path.hive_name, "DEFAULT");
	CHECK_INT(path.count, 0);
	keypath_release(&path);
}

static void
test_keypath_slashes_and_odd_names(void)
{
	struct keypath path;
	struct hp_error err;

	/* A forward slash is part of a name, as in SCHANNEL\Ciphers\RC4
	 * 128/128: it separates nothing. */
	CHECK_INT(
		keypath_parse(
			"HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL\\Ciphers\\RC4 128/128",
			&path, &err),
		HP_OK);
	CHECK_INT(path.count, 6);
	if (path.count == 6)
		CHECK_STR(path.parts[5], "RC4 128/128");
	keypath_release(&path);
	/* So a path written with slashes is one relative name, not a root. */
	CHECK_INT(keypath_parse("HKLM/SYSTEM/Select", &path, &err), HP_OK);
	CHECK_PARTS(&path, NULL, "HKLM/SYSTEM/Select");
	keypath_release(&path);
	CHECK_INT(keypath_parse("/", &path, &err), HP_OK);
	CHECK_PARTS(&path, NULL, "/");
	keypath_release(&path);
	/* Blanks, dots, brackets and non-ASCII letters are kept as written. */
	CHECK_INT(keypath_parse(" a \\..\\.\\[x]\\caf\xc3\xa9", &path, &err),
		  HP_OK);
	CHECK_PARTS(&path, NULL, " a ", "..", ".", "[x]", "caf\xc3\xa9");
	keypath_release(&path);
}

static void
test_keypath_empty_and_root(void)
{
	struct keypath path;
	struct hp_error err;

	/* Nothing, or a lone backslash, is the root of the hive. */
	CHECK_INT(keypath_parse("", &path, &err), HP_OK);
	CHECK(path.hive_name == NULL && path.count == 0);
	CHECK(!keypath_uses_current_control_set(&path));
	keypath_release(&path);
	CHECK_INT(keypath_parse("\\", &path, &err), HP_OK);
	CHECK(path.hive_name == NULL && path.count == 0);
	keypath_release(&path);
	/* Two backslashes are an empty component, wherever they are. */
	CHECK_USAGE("\\\\");
	CHECK_USAGE("a\\b\\\\");
	CHECK_USAGE("HKLM\\\\SYSTEM");
	CHECK_USAGE("HKEY_USERS\\\\.DEFAULT");
	hp_error_clear(&err);
	CHECK_INT(keypath_parse("a\\\\b", &path, &err), HP_ERR_USAGE);
	CHECK_STR(err.message, "'a\\\\b': empty component in key path");
	CHECK_INT(keypath_parse("HKLM", &path, &err), HP_ERR_USAGE);
	CHECK_STR(err.message,
		  "'HKLM': name a hive after HKLM, e.g. HKLM\\SYSTEM");
	CHECK_INT(keypath_parse("HKEY_DYN_DATA\\x", &path, &err), HP_ERR_USAGE);
	CHECK_STR(
		err.message,
		"'HKEY_DYN_DATA\\x': HKEY_DYN_DATA has no hive in an offline image");
}

static void
test_keypath_many_parts(void)
{
	/* More parts than the first allocation holds. */
	char text[512] = "HKLM\\SOFTWARE";
	char *formatted;
	struct keypath path;
	struct hp_error err;

	for (int i = 0; i < 40; i++) {
		char part[16];

		snprintf(part, sizeof part, "\\k%02d", i);
		strcat(text, part);
	}
	CHECK_INT(keypath_parse(text, &path, &err), HP_OK);
	CHECK_STR(path.hive_name, "SOFTWARE");
	CHECK_INT(path.count, 40);
	if (path.count == 40) {
		CHECK_STR(path.parts[0], "k00");
		CHECK_STR(path.parts[39], "k39");
	}
	formatted = keypath_format(path.hive_name, path.parts, path.count);
	CHECK_STR(formatted, text);
	free(formatted);
	keypath_release(&path);
}

static void
test_keypath_format_long(void)
{
	char *parts[] = { "Control Panel", "Desktop" };
	char *s;

	s = keypath_format_long(NULL, parts, 2);
	CHECK_STR(s, "HKEY_LOCAL_MACHINE\\SYSTEM\\Control Panel\\Desktop");
	free(s);
	s = keypath_format_long("SOFTWARE", NULL, 0);
	CHECK_STR(s, "HKEY_LOCAL_MACHINE\\SOFTWARE");
	free(s);
	/* The hive keeps its spelling; only the root is spelled out. */
	s = keypath_format_long("System", parts, 1);
	CHECK_STR(s, "HKEY_LOCAL_MACHINE\\System\\Control Panel");
	free(s);
	/* The default user's hive lives under HKEY_USERS either way. */
	s = keypath_format("DEFAULT", parts, 2);
	CHECK_STR(s, "HKEY_USERS\\.DEFAULT\\Control Panel\\Desktop");
	free(s);
	s = keypath_format_long("DEFAULT", parts, 2);
	CHECK_STR(s, "HKEY_USERS\\.DEFAULT\\Control Panel\\Desktop");
	free(s);
	s = keypath_format_long("DEFAULT", NULL, 0);
	CHECK_STR(s, "HKEY_USERS\\.DEFAULT");
	free(s);
}

static const struct test tests[] = {
	TEST_ENTRY(keypath_rooted),
	TEST_ENTRY(keypath_relative),
	TEST_ENTRY(keypath_errors),
	TEST_ENTRY(keypath_roots),
	TEST_ENTRY(keypath_reg_file),
	TEST_ENTRY(keypath_identities),
	TEST_ENTRY(keypath_format),
	TEST_ENTRY(keypath_other_roots),
	TEST_ENTRY(keypath_default_user),
	TEST_ENTRY(keypath_slashes_and_odd_names),
	TEST_ENTRY(keypath_empty_and_root),
	TEST_ENTRY(keypath_many_parts),
	TEST_ENTRY(keypath_format_long),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
