/* SPDX-License-Identifier: GPL-3.0-or-later */
/* test_command.c - the commands (apply, verify, recover, show) end to end
 * on small directory images and hive files made from the fixtures. */
#include "config.h"

#include "command/command.h"
#include "regf/regf.h"
#include "testfixture.h"
#include "testlib.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SCHANNEL_KEY                                                           \
	"HKLM\\SYSTEM\\ControlSet001\\Control\\SecurityProviders\\SCHANNEL"

/* ---------------------------------------------------------------- helpers */

static const struct recipe *
kb2901554(void)
{
	const struct recipe *recipe = recipe_builtin_find("kb2901554");

	if (recipe == NULL) {
		fprintf(stderr, "no built-in recipe kb2901554\n");
		abort();
	}
	return recipe;
}

static uint32_t
file_seq1(const char *path)
{
	size_t len;
	unsigned char *data = test_read_file(path, &len);
	struct regf_header header = { 0 };

	if (!regf_header_read(data, len, &header)) {
		fprintf(stderr, "%s: no base block\n", path);
		abort();
	}
	free(data);
	return header.seq1;
}

/* Build IMAGE/Windows/System32/config from VARIANT (SYSTEM, SOFTWARE and
 * whatever logs it has); returns the SYSTEM path (static buffer). */
static const char *
make_image(const char *variant, const char *image)
{
	static const char *const files[] = { "SYSTEM", "SOFTWARE",
					     "SYSTEM.LOG1", "SYSTEM.LOG2" };
	static char system[600];
	char dir[512], path[600];

	snprintf(dir, sizeof dir, "%s/Windows/System32/config", image);
	test_mkdirs(dir);
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		if (!fixture_exists(variant, files[i]))
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		copy_fixture(variant, files[i], path);
	}
	snprintf(system, sizeof system, "%s/SYSTEM", dir);
	return system;
}

static void
default_options(struct command_options *options)
{
	memset(options, 0, sizeof *options);
	options->recipe = kb2901554();
	options->control_set.mode = CONTROLSET_DEFAULT;
}

static size_t
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;
	size_t n = 0;

	if (d == NULL)
		return 0;
	while ((entry = readdir(d)) != NULL)
		if (strcmp(entry->d_name, ".") != 0 &&
		    strcmp(entry->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* ------------------------------------------------------------ patch_apply */

static void
test_command_apply_image(void)
{
	const char *system = make_image("ws2012r2", "img");
	struct command_options options;
	struct command_report report;
	struct hp_error err;
	struct stat before, after;
	size_t len1, len2;
	unsigned char *bytes1, *bytes2;

	default_options(&options);
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_STR(command_result_name(report.result), "patched");
	CHECK(report.image != NULL);
	CHECK_STR(image_kind(report.image), "directory");
	CHECK_INT(report.trees[0].applicability, RECIPE_APPLIES);
	CHECK_INT(report.trees[0].plan.writes, 1);
	CHECK_STR(report.write_method, "rename");
	CHECK_INT(report.trees[0].seq_after,
		  report.trees[0].file.header.seq1 + 1);
	CHECK_INT(report.warning_count, 0);
	command_report_release(&report);
	check_file_golden(system, "ws2012r2", __LINE__);
	/* Nothing left behind beside the hive. */
	CHECK_INT(count_entries("img/Windows/System32/config"), 2);

	/* Second run: nothing to do, nothing written. */
	CHECK(stat(system, &before) == 0);
	bytes1 = test_read_file(system, &len1);
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_ALREADY_COMPLIANT);
	CHECK_INT(report.trees[0].plan.writes, 0);
	CHECK(report.write_method == NULL);
	command_report_release(&report);
	CHECK(stat(system, &after) == 0);
	bytes2 = test_read_file(system, &len2);
	CHECK(len1 == len2 && memcmp(bytes1, bytes2, len1) == 0);
	CHECK(same_mtime(&before, &after));
	CHECK_INT(before.st_ino, after.st_ino);
	free(bytes1);
	free(bytes2);

	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_COMPLIANT);
	CHECK(!report.trees[0].golden_compared);
	command_report_release(&report);

	options.golden = test_srcpath("fixtures/golden/ws2012r2/SYSTEM");
	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_COMPLIANT);
	CHECK(report.trees[0].golden_compared);
	CHECK_INT(report.trees[0].golden.total, 0);
	command_report_release(&report);

	options.golden_all = true;
	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_COMPLIANT);
	CHECK_INT(report.trees[0].golden.total, 0);
	command_report_release(&report);

	/* Another golden: the verify reports the difference. */
	options.golden_all = false;
	options.golden =
		test_srcpath("fixtures/golden/ws2012r2-lowercase/SYSTEM");
	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_NOT_COMPLIANT);
	CHECK(report.trees[0].golden.total > 0);
	command_report_release(&report);
}

static void
test_command_verify_unpatched(void)
{
	struct command_options options;
	struct command_report report;
	struct hp_error err;

	make_image("ws2012r2", "img");
	default_options(&options);
	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_NOT_COMPLIANT);
	CHECK_INT(report.trees[0].plan.writes, 1);
	command_report_release(&report);
}

static void
test_command_dry_run(void)
{
	const char *system = make_image("ws2012r2", "img");
	struct command_options options;
	struct command_report report;
	struct hp_error err;
	struct stat before, after;

	default_options(&options);
	options.dry_run = true;
	CHECK(stat(system, &before) == 0);
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_WOULD_PATCH);
	CHECK_INT(report.trees[0].plan.writes, 1);
	CHECK_INT(report.trees[0].seq_after, 0);
	command_report_release(&report);
	CHECK(stat(system, &after) == 0);
	CHECK(same_mtime(&before, &after));
	CHECK_INT(before.st_ino, after.st_ino);
	CHECK(same_file_bytes(system,
			      test_srcpath("fixtures/hives/ws2012r2/SYSTEM")));
	CHECK_INT(count_entries("img/Windows/System32/config"), 2);
}

static void
test_command_force(void)
{
	const char *system = make_image("ws2012", "img");
	struct command_options options;
	struct command_report report;
	struct hp_error err;

	default_options(&options);
	CHECK_INT(command_apply("img", &options, &report, &err),
		  HP_ERR_NOT_APPLICABLE);
	CHECK_INT(err.status, HP_ERR_NOT_APPLICABLE);
	CHECK(strstr(err.message, "6.2") != NULL);
	CHECK_INT(report.trees[0].applicability, RECIPE_DOES_NOT_APPLY);
	CHECK_INT(report.result, COMMAND_RESULT_ERROR);
	command_report_release(&report);
	CHECK(same_file_bytes(system,
			      test_srcpath("fixtures/hives/ws2012/SYSTEM")));
	CHECK_INT(count_entries("img/Windows/System32/config"), 2);

	options.force = true;
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_INT(report.warning_count, 1);
	if (report.warning_count == 1)
		CHECK(strstr(report.warnings[0], "--force") != NULL);
	command_report_release(&report);
	check_file_golden(system, "ws2012-force", __LINE__);

	/* The client refuses too, and --force overrides it the same way. */
	make_image("win81-client", "client");
	options.force = false;
	CHECK_INT(command_apply("client", &options, &report, &err),
		  HP_ERR_NOT_APPLICABLE);
	CHECK(strstr(err.message, "WinNT") != NULL);
	command_report_release(&report);
}

static void
test_command_logs_ahead(void)
{
	const char *system = make_image("ws2012r2-logs-ahead", "img");
	struct command_options options;
	struct command_report report;
	struct hp_error err;
	struct regf_header header = { 0 };
	unsigned char *data;
	size_t len;
	uint32_t seq_after;

	default_options(&options);
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_INT(report.trees[0].system.log_count, 2);
	CHECK(report.trees[0].file.have_log_seq);
	CHECK_INT(report.trees[0].file.log_max_seq, 27);
	CHECK_INT(report.trees[0].file.header.seq1, 20);
	CHECK(report.trees[0].seq_after >= 28);
	seq_after = report.trees[0].seq_after;
	command_report_release(&report);

	data = test_read_file(system, &len);
	CHECK(regf_header_read(data, len, &header));
	CHECK_INT(header.seq1, seq_after);
	CHECK_INT(header.seq2, seq_after);
	CHECK(regf_checksum_valid(&header));
	CHECK_INT(header.checksum_stored, header.checksum_xor);
	CHECK(!regf_header_dirty(&header));
	CHECK_INT(header.file_type, REGF_TYPE_PRIMARY);
	free(data);
	check_file_golden(system, "ws2012r2-logs-ahead", __LINE__);
	/* The logs are kept as they were. */
	CHECK(same_file_bytes(
		"img/Windows/System32/config/SYSTEM.LOG1",
		test_srcpath(
			"fixtures/hives/ws2012r2-logs-ahead/SYSTEM.LOG1")));
	CHECK(same_file_bytes(
		"img/Windows/System32/config/SYSTEM.LOG2",
		test_srcpath(
			"fixtures/hives/ws2012r2-logs-ahead/SYSTEM.LOG2")));
}

/* A bare hive file finds its logs beside it. */
static void
test_command_logs_ahead_hive_file(void)
{
	struct command_options options;
	struct command_report report;
	struct hp_error err;

	copy_fixture("ws2012r2-logs-ahead", "SYSTEM", "SYSTEM");
	copy_fixture("ws2012r2-logs-ahead", "SYSTEM.LOG1", "SYSTEM.LOG1");
	copy_fixture("ws2012r2-logs-ahead", "SYSTEM.LOG2", "SYSTEM.LOG2");
	default_options(&options);
	CHECK_INT(command_apply("SYSTEM", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_STR(image_kind(report.image), "hive");
	CHECK_INT(report.trees[0].system.log_count, 2);
	CHECK_INT(report.trees[0].file.log_max_seq, 27);
	CHECK(report.trees[0].seq_after >= 28);
	CHECK_INT(file_seq1("SYSTEM"), report.trees[0].seq_after);
	command_report_release(&report);
}

/* --control-set all on an image with two sets, verified with goldens. */
static void
test_command_all_sets(void)
{
	const char *system = make_image("ws2012r2-two-sets", "img");
	struct command_options options;
	struct command_report report;
	struct hp_error err;

	default_options(&options);
	options.control_set.mode = CONTROLSET_ALL;
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_INT(report.trees[0].sets.count, 2);
	CHECK_INT(report.trees[0].plan.writes, 2);
	command_report_release(&report);
	check_file_golden(system, "ws2012r2-two-sets-all", __LINE__);

	options.golden =
		test_srcpath("fixtures/golden/ws2012r2-two-sets-all/SYSTEM");
	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_COMPLIANT);
	CHECK(report.trees[0].golden_compared);
	CHECK_INT(report.trees[0].golden.total, 0);
	command_report_release(&report);

	/* The default set alone is compliant too. */
	options.control_set.mode = CONTROLSET_DEFAULT;
	options.golden = NULL;
	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_COMPLIANT);
	command_report_release(&report);
}

/* Current differs from Default: the default set is patched, with a
 * warning; --control-set current patches the other one. */
static void
test_command_current_differs(void)
{
	const char *system = make_image("ws2012r2-current-differs", "img");
	struct command_options options;
	struct command_report report;
	struct hp_error err;

	default_options(&options);
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_INT(report.warning_count, 1);
	if (report.trees[0].sets.count == 1)
		CHECK_STR(report.trees[0].sets.names[0], "ControlSet001");
	command_report_release(&report);
	check_file_golden(system, "ws2012r2-current-differs", __LINE__);

	options.golden =
		test_srcpath("fixtures/golden/ws2012r2-current-differs/SYSTEM");
	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_COMPLIANT);
	CHECK_INT(report.trees[0].golden.total, 0);
	command_report_release(&report);

	options.golden = NULL;
	options.control_set.mode = CONTROLSET_CURRENT;
	CHECK_INT(command_verify("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_NOT_COMPLIANT);
	command_report_release(&report);
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	if (report.trees[0].sets.count == 1)
		CHECK_STR(report.trees[0].sets.names[0], "ControlSet002");
	command_report_release(&report);

	options.control_set.mode = CONTROLSET_NUMBER;
	options.control_set.number = 7;
	CHECK_INT(command_apply("img", &options, &report, &err),
		  HP_ERR_NOT_FOUND);
	command_report_release(&report);
}

/* A hard-linked SYSTEM is patched in place: both names see the result. */
static void
test_command_hard_link(void)
{
	const char *system = make_image("ws2012r2-no-secprov", "img");
	struct command_options options;
	struct command_report report;
	struct hp_error err;
	struct stat before, after;
	bool warned = false;

	/* A hive hard-linked from elsewhere (cp -al golden image) gets a file
	 * of its own: the other name keeps the original, and it is said. */
	CHECK(link(system, "SYSTEM.other") == 0);
	CHECK(stat(system, &before) == 0);
	default_options(&options);
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_STR(report.write_method, "rename");
	for (size_t i = 0; i < report.warning_count; i++)
		warned |= strstr(report.warnings[i], "2 hard links") != NULL &&
			  strstr(report.warnings[i], "--keep-links") != NULL;
	CHECK(warned);
	command_report_release(&report);
	CHECK(stat(system, &after) == 0);
	CHECK(after.st_ino != before.st_ino);
	CHECK_INT(after.st_nlink, 1);
	CHECK(same_file_bytes(
		"SYSTEM.other",
		test_srcpath("fixtures/hives/ws2012r2-no-secprov/SYSTEM")));
	check_file_golden(system, "ws2012r2-no-secprov", __LINE__);
	CHECK_INT(count_entries("img/Windows/System32/config"), 2);

	/* --keep-links: written through every name, in place. */
	system = make_image("ws2012r2-no-secprov", "img2");
	CHECK(link(system, "SYSTEM.other2") == 0);
	CHECK(stat(system, &before) == 0);
	options.keep_links = true;
	CHECK_INT(command_apply("img2", &options, &report, &err), HP_OK);
	CHECK(report.write_method != NULL &&
	      strncmp(report.write_method, "in-place (", 10) == 0);
	command_report_release(&report);
	CHECK(stat(system, &after) == 0);
	CHECK_INT(after.st_ino, before.st_ino);
	CHECK(same_file_bytes(system, "SYSTEM.other2"));
	check_file_golden("SYSTEM.other2", "ws2012r2-no-secprov", __LINE__);
	CHECK_INT(count_entries("img2/Windows/System32/config"), 2);
}

/* A FIFO named like a log must not hang the apply (alarm: a hang fails
 * the test instead of blocking it). */
static void
test_command_fifo_log(void)
{
	const char *system = make_image("ws2012r2", "img");
	struct command_options options;
	struct command_report report;
	struct hp_error err;

	if (mkfifo("img/Windows/System32/config/SYSTEM.LOG1", 0644) == -1) {
		test_skip("cannot make a FIFO here");
		return;
	}
	alarm(30);
	default_options(&options);
	CHECK_INT(command_apply("img", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK(!report.trees[0].file.have_log_seq);
	command_report_release(&report);
	alarm(0);
	check_file_golden(system, "ws2012r2", __LINE__);
}

/* The bundled demo: primary 8/8, stale logs 6 and 7. */
static void
test_command_demo(void)
{
	static const char *const files[] = { "SYSTEM", "SOFTWARE",
					     "SYSTEM.LOG1", "SYSTEM.LOG2" };
	struct command_options options;
	struct command_report report;
	struct hp_error err;
	char from[256], to[256];

	test_mkdirs("demo/Windows/System32/config");
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		snprintf(from, sizeof from,
			 "fixtures/demo/Windows/System32/config/%s", files[i]);
		snprintf(to, sizeof to, "demo/Windows/System32/config/%s",
			 files[i]);
		test_copy_file(test_srcpath(from), to);
	}
	default_options(&options);
	CHECK_INT(command_apply("demo", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_INT(report.trees[0].file.header.seq1, 8);
	CHECK_INT(report.trees[0].file.log_max_seq, 7);
	CHECK_INT(report.trees[0].seq_after, 9);
	command_report_release(&report);
	check_file_golden("demo/Windows/System32/config/SYSTEM", "ws2012r2",
			  __LINE__);
}

static void
test_command_backup_and_hive_file(void)
{
	struct command_options options;
	struct command_report report;
	struct hp_error err;

	/* A bare hive file: no SOFTWARE, so applicability is unknown and only
	 * a warning. */
	copy_fixture("ws2012r2-value1", "SYSTEM", "SYSTEM");
	default_options(&options);
	options.backup = "SYSTEM.orig";
	CHECK_INT(command_apply("SYSTEM", &options, &report, &err), HP_OK);
	CHECK_INT(report.result, COMMAND_RESULT_PATCHED);
	CHECK_STR(image_kind(report.image), "hive");
	CHECK_INT(report.trees[0].applicability, RECIPE_APPLICABILITY_UNKNOWN);
	CHECK_INT(report.warning_count, 1);
	command_report_release(&report);
	check_file_golden("SYSTEM", "ws2012r2-value1", __LINE__);
	CHECK(same_file_bytes(
		"SYSTEM.orig",
		test_srcpath("fixtures/hives/ws2012r2-value1/SYSTEM")));
}

static void
test_command_refusals(void)
{
	static const struct {
		const char *variant;
		enum hp_status status;
	} cases[] = {
		{ "ws2012r2-dirty", HP_ERR_DIRTY },
		{ "ws2012r2-no-select", HP_ERR_NO_SELECT },
	};
	struct command_options options;
	struct command_report report;
	struct hp_error err;
	char image[64], relative[256];

	default_options(&options);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *system;

		snprintf(image, sizeof image, "img%zu", i);
		system = make_image(cases[i].variant, image);
		if (command_apply(image, &options, &report, &err) !=
		    cases[i].status)
			test_fail(__FILE__, __LINE__, "%s: %s",
				  cases[i].variant, err.message);
		CHECK_INT(report.result, COMMAND_RESULT_ERROR);
		command_report_release(&report);
		snprintf(relative, sizeof relative, "fixtures/hives/%s/SYSTEM",
			 cases[i].variant);
		CHECK(same_file_bytes(system, test_srcpath(relative)));
	}
	/* A missing target. */
	CHECK_INT(command_apply("nothing-here", &options, &report, &err),
		  HP_ERR_NOT_FOUND);
	command_report_release(&report);
}

/* Base blocks patch_apply must refuse, on bare hive files. */
static void
test_command_bad_base_block(void)
{
	struct command_options options;
	struct command_report report;
	struct hp_error err;
	unsigned char *data;
	size_t len;

	default_options(&options);
	data = test_read_file(test_srcpath("fixtures/hives/ws2012r2/SYSTEM"),
			      &len);

	/* A transaction log is not a hive. */
	copy_fixture("ws2012r2-logs-ahead", "SYSTEM.LOG1", "log");
	CHECK_INT(command_apply("log", &options, &report, &err),
		  HP_ERR_NOT_HIVE);
	CHECK(strstr(err.message, "log") != NULL);
	command_report_release(&report);

	/* Shorter than a base block. */
	test_write_file("short", data, 2000);
	CHECK_INT(command_apply("short", &options, &report, &err),
		  HP_ERR_CORRUPT);
	command_report_release(&report);

	/* A wrong checksum makes the hive dirty. */
	data[REGF_OFF_CHECKSUM] ^= 0x01;
	test_write_file("badsum", data, len);
	CHECK_INT(command_apply("badsum", &options, &report, &err),
		  HP_ERR_DIRTY);
	CHECK(strstr(err.message, "checksum") != NULL);
	command_report_release(&report);
	data[REGF_OFF_CHECKSUM] ^= 0x01;

	/* Format 2.x is unknown. */
	data[20] = 2;
	regf_header_seal(data, 1);
	test_write_file("major2", data, len);
	CHECK_INT(command_apply("major2", &options, &report, &err),
		  HP_ERR_UNSUPPORTED);
	command_report_release(&report);
	free(data);

	CHECK(same_file_bytes(
		"log",
		test_srcpath(
			"fixtures/hives/ws2012r2-logs-ahead/SYSTEM.LOG1")));
	CHECK_INT(count_entries("."), 4);
}

static void
test_command_show(void)
{
	struct command_options options;
	struct command_report report;
	struct command_listing listing;
	struct hp_error err;
	bool event_logging = false, protocols = false;

	make_image("ws2012r2", "img");
	default_options(&options);
	CHECK_INT(
		command_show(
			"img",
			"HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\Schannel",
			&options, &report, &listing, &err),
		HP_OK);
	CHECK_STR(listing.key, SCHANNEL_KEY);
	for (size_t i = 0; i < listing.value_count; i++)
		if (strcmp(listing.values[i].name, "EventLogging") == 0) {
			event_logging = true;
			CHECK_INT(listing.values[i].type, HIVE_REG_DWORD);
		}
	CHECK(event_logging);
	CHECK_INT(listing.subkey_count, 5);
	for (size_t i = 0; i < listing.subkey_count; i++)
		if (strcmp(listing.subkeys[i], "Protocols") == 0)
			protocols = true;
	CHECK(protocols);
	command_listing_release(&listing);
	command_report_release(&report);

	/* The root of SYSTEM. */
	CHECK_INT(command_show("img", NULL, &options, &report, &listing, &err),
		  HP_OK);
	CHECK_STR(listing.key, "HKLM\\SYSTEM");
	CHECK(listing.subkey_count >= 4);
	command_listing_release(&listing);
	command_report_release(&report);

	/* A SOFTWARE key. */
	CHECK_INT(
		command_show(
			"img",
			"HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
			&options, &report, &listing, &err),
		HP_OK);
	CHECK_STR(listing.key,
		  "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion");
	CHECK(listing.value_count >= 5);
	command_listing_release(&listing);
	command_report_release(&report);

	CHECK_INT(command_show(
			  "img",
			  "HKLM\\SYSTEM\\CurrentControlSet\\Control\\NoSuchKey",
			  &options, &report, &listing, &err),
		  HP_ERR_NOT_FOUND);
	CHECK(strstr(err.message, "NoSuchKey") != NULL);
	CHECK(listing.key == NULL);
	command_listing_release(&listing);
	command_report_release(&report);

	CHECK_INT(command_show("img", "HKLM\\SAM\\Domains", &options, &report,
			       &listing, &err),
		  HP_ERR_NOT_FOUND);
	command_listing_release(&listing);
	command_report_release(&report);

	CHECK_INT(command_show("img", "HKCU\\Software", &options, &report,
			       &listing, &err),
		  HP_ERR_USAGE);
	command_listing_release(&listing);
	command_report_release(&report);
}

static const struct test tests[] = {
	TEST_ENTRY(command_apply_image),
	TEST_ENTRY(command_verify_unpatched),
	TEST_ENTRY(command_dry_run),
	TEST_ENTRY(command_force),
	TEST_ENTRY(command_logs_ahead),
	TEST_ENTRY(command_logs_ahead_hive_file),
	TEST_ENTRY(command_all_sets),
	TEST_ENTRY(command_current_differs),
	TEST_ENTRY(command_hard_link),
	TEST_ENTRY(command_fifo_log),
	TEST_ENTRY(command_demo),
	TEST_ENTRY(command_backup_and_hive_file),
	TEST_ENTRY(command_refusals),
	TEST_ENTRY(command_bad_base_block),
	TEST_ENTRY(command_show),
};

int
main(void)
{
	return test_main(tests, sizeof tests / sizeof *tests);
}
