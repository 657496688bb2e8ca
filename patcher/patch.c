/* patch.c - apply, verify and show on a target. */
#include "config.h"

#include "patch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "editcheck.h"
#include "hive.h"
#include "keypath.h"
#include "safewrite.h"
#include "text.h"

const char *
patch_result_name(enum patch_result result)
{
	switch (result) {
	case PATCH_RESULT_ERROR: return "error";
	case PATCH_RESULT_PATCHED: return "patched";
	case PATCH_RESULT_ALREADY_COMPLIANT: return "already compliant";
	case PATCH_RESULT_WOULD_PATCH: return "would patch";
	case PATCH_RESULT_COMPLIANT: return "compliant";
	case PATCH_RESULT_NOT_COMPLIANT: return "not compliant";
	case PATCH_RESULT_CLEAN: return "clean";
	case PATCH_RESULT_RECOVERED: return "recovered";
	}
	return "error";
}

void
patch_report_release(struct patch_report *report)
{
	if (report == NULL)
		return;
	target_release(&report->target);
	hivefile_close(&report->file);
	osinfo_release(&report->os);
	controlset_release(&report->sets);
	plan_release(&report->plan);
	compare_result_release(&report->golden);
	free(report->write_method);
	for (size_t i = 0; i < report->warning_count; i++)
		free(report->warnings[i]);
	free(report->warnings);
	memset(report, 0, sizeof *report);
}

static void warn(struct patch_report *report, const char *format, ...)
	__attribute__((format(printf, 2, 3)));

/* Warnings are best effort: out of memory, one is dropped. */
static void
warn(struct patch_report *report, const char *format, ...)
{
	char text[512];
	char **grown;
	va_list ap;

	va_start(ap, format);
	vsnprintf(text, sizeof text, format, ap);
	va_end(ap);
	grown = realloc(report->warnings,
			(report->warning_count + 1) * sizeof *grown);
	if (grown == NULL)
		return;
	report->warnings = grown;
	grown[report->warning_count] = text_dup(text);
	if (grown[report->warning_count] != NULL)
		report->warning_count++;
}

/* Learn what Windows the image holds; a broken SOFTWARE hive is only a
 * warning, since the SYSTEM hive is what gets patched. */
static void
read_os_info(struct patch_report *report)
{
	struct hive *software = NULL;
	struct hp_error err;

	if (report->target.software == NULL)
		return;
	if (hive_open(report->target.software, false, &software, &err) !=
		    HP_OK ||
	    osinfo_read_software(software, &report->os, &err) != HP_OK)
		warn(report, "cannot read the Windows version: %s",
		     err.message);
	hive_close(software);
}

/* A hibernated image resumes over any offline edit. */
static enum hp_status
check_hibernation(const struct patch_options *options, bool writing,
		  struct patch_report *report, struct hp_error *err)
{
	const char *file = report->target.hibernation_file;

	if (file == NULL)
		return HP_OK;
	if (!writing || options->ignore_hibernation) {
		warn(report,
		     "%s: the image is hibernated; Windows resumes its memory at boot and offline edits are lost%s",
		     file, writing ? " (--ignore-hibernation)" : "");
		return HP_OK;
	}
	return hp_error_set(err, HP_ERR_DIRTY, 0,
			    "%s: the image is hibernated: Windows would resume its memory at boot over any edit; boot and shut it down fully, or --ignore-hibernation; nothing was written",
			    file);
}

/* Find the target's SYSTEM hive and read it as Windows will see it. */
static enum hp_status
open_hive_file(const char *target_path, const struct patch_options *options,
	       bool writing, struct patch_report *report,
	       struct hp_error *err)
{
	const char *logs[2];
	enum hp_status status;

	status = target_open(target_path, &report->target, err);
	if (status != HP_OK)
		return status;
	report->have_target = true;
	status = check_hibernation(options, writing, report, err);
	if (status != HP_OK)
		return status;
	logs[0] = report->target.log1;
	logs[1] = report->target.log2;
	status = hivefile_open(report->target.system, logs,
			       report->target.logs, report->target.log_count,
			       options->replay, &report->file, err);
	if (status == HP_OK && report->file.discarded)
		warn(report,
		     "%s: the hive is dirty and no log is usable; taking it as it is (--discard-logs): whatever only the logs held is LOST",
		     report->target.system);
	return status;
}

/* Open SYSTEM, resolve the control sets and decide applicability. */
static enum hp_status
open_system(const char *target_path, const struct patch_options *options,
	    bool writing, bool need_sets, struct patch_report *report,
	    struct hive **hive_ret, struct hp_error *err)
{
	struct controlset_choice default_choice = { CONTROLSET_DEFAULT, 0 };
	struct controlset_info boot = { 0 };
	enum hp_status status;

	*hive_ret = NULL;
	status = open_hive_file(target_path, options, writing, report, err);
	if (status != HP_OK)
		return status;
	read_os_info(report);
	/* hivex opens, validates and reads; a recovered hive from a copy. */
	status = hive_open(report->file.hivex_path != NULL ? report->file.hivex_path
							 : report->target.system,
			   false, hive_ret, err);
	if (status != HP_OK)
		return status;
	status = controlset_resolve(*hive_ret, &options->control_set,
				    &report->sets, err);
	if (status == HP_ERR_NO_SELECT && !need_sets) {
		/* show reads any hive; only CurrentControlSet needs Select. */
		hp_error_clear(err);
		return HP_OK;
	}
	if (status != HP_OK)
		return status;
	report->have_sets = true;
	if (options->control_set.mode == CONTROLSET_DEFAULT &&
	    report->sets.current != 0 &&
	    report->sets.current != report->sets.default_set)
		warn(report,
		     "Select\\Current is %u but Select\\Default is %u: using ControlSet%03u, the set the next boot uses (--control-set current or all to change that)",
		     (unsigned)report->sets.current,
		     (unsigned)report->sets.default_set,
		     (unsigned)report->sets.default_set);
	/* ProductType is read from the set the next boot uses. */
	if (controlset_resolve(*hive_ret, &default_choice, &boot, NULL) == HP_OK &&
	    boot.count > 0)
		status = osinfo_read_product_type(*hive_ret, boot.names[0],
						  &report->os, err);
	else if (report->sets.count > 0)
		status = osinfo_read_product_type(*hive_ret,
						  report->sets.names[0],
						  &report->os, err);
	controlset_release(&boot);
	if (status != HP_OK)
		return status;
	report->applicability = recipe_check_target(options->recipe,
						    &report->os,
						    report->applicability_reason,
						    sizeof report->applicability_reason);
	return HP_OK;
}

static enum hp_status
seal(int fd, const char *path, uint32_t seq, struct hp_error *err)
{
	unsigned char block[REGF_BASE_BLOCK_SIZE];

	if (pread(fd, block, sizeof block, 0) != (ssize_t)sizeof block)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	regf_header_seal(block, seq);
	if (pwrite(fd, block, sizeof block, 0) != (ssize_t)sizeof block)
		return hp_error_set(err, HP_ERR_WRITE, errno, "%s", path);
	return HP_OK;
}

/* The whole file is read once: fault it in with one call where the
 * system can (Linux), instead of one page fault per page. */
#ifdef MAP_POPULATE
#define MAP_PREFAULT MAP_POPULATE
#else
#define MAP_PREFAULT 0
#endif

struct mapped_file {
	unsigned char *data;
	size_t size;
};

static enum hp_status
map_file(const char *path, struct mapped_file *map, struct hp_error *err)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	map->data = NULL;
	map->size = 0;
	if (fd == -1 || fstat(fd, &st) == -1) {
		enum hp_status status = hp_error_set(err, HP_ERR_VERIFY, errno,
						     "%s", path);
		if (fd != -1)
			close(fd);
		return status;
	}
	map->size = (size_t)st.st_size;
	map->data = mmap(NULL, map->size, PROT_READ, MAP_PRIVATE | MAP_PREFAULT,
			 fd, 0);
	close(fd);
	if (map->data == MAP_FAILED) {
		map->data = NULL;
		return hp_error_set(err, HP_ERR_VERIFY, errno, "%s", path);
	}
	return HP_OK;
}

static void
unmap_file(struct mapped_file *map)
{
	if (map->data != NULL)
		munmap(map->data, map->size);
	map->data = NULL;
}

/* Re-read the written copy and prove it: the plan holds in every touched
 * key (read with hivepatch's own reader, so the check does not share
 * hivex's view of the file), and nothing else in the file changed. */
static enum hp_status
check_written(const char *original, const unsigned char *old_data,
	      size_t old_size, const char *written, const struct plan *plan,
	      struct hp_error *err)
{
	struct hive *edited = NULL;
	struct mapped_file new_map = { 0 };
	uint32_t *touched = NULL;
	size_t touched_count = 0;
	enum hp_status status;

	status = map_file(written, &new_map, err);
	if (status != HP_OK)
		goto out;
	status = hive_open_memory(new_map.data, new_map.size, original,
				  &edited, err);
	if (status != HP_OK) {
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "the written hive does not read back: %s",
				      err->message);
		goto out;
	}
	status = plan_check(edited, plan, err);
	if (status == HP_OK)
		status = plan_touched_cells(plan, &touched, &touched_count,
					    err);
	if (status == HP_OK)
		status = editcheck_compare(old_data, old_size,
					   new_map.data, new_map.size, touched,
					   touched_count, original, err);
out:
	hive_close(edited);
	unmap_file(&new_map);
	free(touched);
	return status;
}

/* Commit the edited hive beside the original, seal, check, replace. */
/* Empty the logs after a verified, synced commit (--truncate-logs): they
 * are stale now, and Windows itself leaves 0-byte logs.  The commit is
 * done, so a failure here is a warning. */
static void
truncate_logs(struct patch_report *report)
{
	for (size_t i = 0; i < report->target.log_count; i++) {
		const char *log = report->target.logs[i];
		int fd = open(log, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK);

		if (fd == -1 || fsync(fd) == -1)
			warn(report, "%s: cannot empty the log: %s", log,
			     strerror(errno));
		if (fd != -1)
			close(fd);
	}
	report->logs_truncated = true;
}

static void
note_write_method(struct patch_report *report, const struct safewrite *sw)
{
	if (sw->in_place) {
		size_t len = strlen(sw->reason) + 32;

		report->write_method = malloc(len);
		if (report->write_method != NULL)
			snprintf(report->write_method, len, "in-place (%s)",
				 sw->reason);
	} else {
		report->write_method = text_dup("rename");
	}
}

/* safewrite_finish, except that a failed directory sync after the rename
 * is a warning: the rename went through (safewrite_finish frees the temp
 * name then), so the hive holds the new, checked content, and "write
 * failed, nothing changed" would be false. */
static enum hp_status
finish(struct safewrite *sw, const char *backup, struct patch_report *report,
       struct hp_error *err)
{
	enum hp_status status = safewrite_finish(sw, backup, err);

	if (status != HP_OK && !sw->in_place && sw->temp == NULL) {
		warn(report,
		     "%s; the hive is written, but a crash before the system syncs the directory could bring the old one back",
		     err->message);
		hp_error_clear(err);
		status = HP_OK;
	}
	if (status == HP_OK)
		note_write_method(report, sw);
	return status;
}

static enum hp_status
write_patched(struct hive *hive, const struct patch_options *options,
	      struct patch_report *report, struct hp_error *err)
{
	struct safewrite sw;
	const char *system = report->target.system;
	enum hp_status status;

	status = safewrite_begin(&sw, system, err);
	if (status != HP_OK)
		goto out;
	status = hive_commit(hive, sw.temp, err);
	if (status != HP_OK)
		goto copy_failed;
	report->seq_after = hivefile_sealing_seq(&report->file, true);
	status = seal(sw.temp_fd, sw.temp, report->seq_after, err);
	if (status != HP_OK)
		goto copy_failed;
	status = check_written(system, report->file.data, report->file.size,
			       sw.temp, &report->plan, err);
	if (status != HP_OK)
		goto out;
	status = finish(&sw, options->backup, report, err);
	if (status == HP_OK && options->truncate_logs)
		truncate_logs(report);
	goto out;
copy_failed:
	/* The temp file is about to vanish: name the hive instead. */
	status = hp_error_set(err, HP_ERR_WRITE, err->saved_errno,
			      "%s: cannot write the patched copy beside it; the hive is unchanged",
			      system);
out:
	safewrite_abort(&sw);
	return status;
}

static enum hp_status
check_applicability(const struct patch_options *options,
		    struct patch_report *report, struct hp_error *err)
{
	switch (report->applicability) {
	case RECIPE_APPLIES:
		return HP_OK;
	case RECIPE_APPLICABILITY_UNKNOWN:
		warn(report, "%s", report->applicability_reason);
		return HP_OK;
	case RECIPE_DOES_NOT_APPLY:
		if (options->force) {
			warn(report, "%s; applying anyway (--force)",
			     report->applicability_reason);
			return HP_OK;
		}
		return hp_error_set(err, HP_ERR_NOT_APPLICABLE, 0,
				    "%s: recipe %s does not apply: %s (--force to apply anyway); nothing was written",
				    report->target.path, options->recipe->name,
				    report->applicability_reason);
	}
	return HP_OK;
}

enum hp_status
patch_apply(const char *target, const struct patch_options *options,
	    struct patch_report *report, struct hp_error *err)
{
	struct hive *hive = NULL;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	status = open_system(target, options, !options->dry_run, true, report,
			     &hive, err);
	if (status == HP_OK)
		status = check_applicability(options, report, err);
	if (status == HP_OK)
		status = plan_build(hive, options->recipe, "SYSTEM",
				    &report->sets, &report->plan, err);
	if (status != HP_OK)
		goto out;
	if (report->plan.writes == 0) {
		report->result = PATCH_RESULT_ALREADY_COMPLIANT;
		goto out;
	}
	if (options->dry_run) {
		report->result = PATCH_RESULT_WOULD_PATCH;
		goto out;
	}
	/* hivex read and planned; the edit itself is made cell by cell on
	 * the hive as Windows will see it (the mapped primary, or the image
	 * recovered from the logs), so the hive is not copied through memory
	 * and no other value of the key is rewritten. */
	hive_close(hive);
	status = hive_open_memory_edit(report->file.data, report->file.size,
				       report->target.system, &hive, err);
	if (status == HP_OK)
		status = plan_apply(hive, &report->plan, err);
	if (status == HP_OK)
		status = write_patched(hive, options, report, err);
	if (status == HP_OK)
		report->result = PATCH_RESULT_PATCHED;
out:
	hive_close(hive);
	return status;
}

static bool
header_dirty(const unsigned char *data, size_t size)
{
	struct regf_header header;

	return !regf_header_read(data, size, &header) ||
	       regf_header_dirty(&header);
}

static int
write_all_at(int fd, const unsigned char *data, size_t size)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = pwrite(fd, data + done, size - done, (off_t)done);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Write IMAGE, sealed with SEQ, to PATH (existing or not), proved by
 * reading it back; PATH's metadata is kept when it exists. */
static enum hp_status
write_recovered(const char *path, const unsigned char *image, size_t size,
		uint32_t seq, const struct patch_options *options,
		struct patch_report *report, struct hp_error *err)
{
	struct safewrite sw;
	struct mapped_file written = { NULL, 0 };
	struct hive *check = NULL;
	enum hp_status status;

	status = safewrite_begin_new(&sw, path, err);
	if (status != HP_OK)
		goto out;
	if (write_all_at(sw.temp_fd, image, size) == -1) {
		status = hp_error_set(err, HP_ERR_WRITE, errno,
				      "%s: cannot write the recovered hive beside it; nothing changed",
				      path);
		goto out;
	}
	status = seal(sw.temp_fd, sw.temp, seq, err);
	if (status == HP_OK)
		status = map_file(sw.temp, &written, err);
	/* Proof: the same bytes as the recovered image but the sealed
	 * sequence numbers and checksum, and readable from the root. */
	if (status == HP_OK &&
	    (written.size != size ||
	     memcmp(written.data + REGF_BASE_BLOCK_SIZE,
		    image + REGF_BASE_BLOCK_SIZE,
		    size - REGF_BASE_BLOCK_SIZE) != 0 ||
	     header_dirty(written.data, written.size)))
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s: the written copy does not read back as recovered; nothing changed",
				      path);
	if (status == HP_OK)
		status = hive_open_memory(written.data, written.size, path,
					  &check, err);
	hive_close(check);
	check = NULL;
	/* ... and hivex opens it, as every reader of the result will. */
	if (status == HP_OK)
		status = hive_open(sw.temp, false, &check, err);
	hive_close(check);
	unmap_file(&written);
	if (status != HP_OK)
		goto out;
	status = finish(&sw, NULL, report, err);
	if (status == HP_OK && options->truncate_logs &&
	    strcmp(path, report->target.system) == 0)
		truncate_logs(report);
out:
	safewrite_abort(&sw);
	return status;
}

enum hp_status
patch_recover(const char *target, const struct patch_options *options,
	      struct patch_report *report, struct hp_error *err)
{
	const char *out;
	unsigned char *image = NULL;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	/* Any hive: the target may be a hive file of any name, or an image,
	 * whose SYSTEM hive is recovered. */
	status = open_hive_file(target, options, true, report, err);
	if (status != HP_OK)
		return status;
	out = options->output != NULL ? options->output : report->target.system;
	if (!report->file.dirty) {
		report->result = PATCH_RESULT_CLEAN;
		/* A pipeline asked for a file: give it the hive as it is. */
		if (options->output != NULL && !options->dry_run)
			status = safewrite_copy_file(report->target.system, out,
						     err);
		return status;
	}
	if (options->dry_run) {
		report->result = PATCH_RESULT_RECOVERED;
		return HP_OK;
	}
	/* The primary taken as it is (--discard-logs) is sealed clean too,
	 * so that the unusable logs are never tried again. */
	image = malloc(report->file.size);
	if (image == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s",
				    report->target.system);
	memcpy(image, report->file.data, report->file.size);
	report->seq_after = hivefile_sealing_seq(&report->file, false);
	status = write_recovered(out, image, report->file.size,
				 report->seq_after, options, report, err);
	free(image);
	if (status == HP_OK)
		report->result = PATCH_RESULT_RECOVERED;
	return status;
}

/* Resolve the recipe's keys in the golden hive the way they resolve in the
 * target, and compare each subtree. */
static enum hp_status
compare_golden(struct hive *hive, const struct patch_options *options,
	       struct patch_report *report, struct hp_error *err)
{
	struct hive *golden = NULL;
	struct controlset_info golden_sets = { 0 };
	struct plan target_plan = { 0 }, golden_plan = { 0 };
	enum hp_status status;

	status = hive_open(options->golden, false, &golden, err);
	if (status != HP_OK)
		return status;
	report->golden_compared = true;
	if (options->golden_all) {
		status = compare_keys(hive, hive_root(hive), golden,
				      hive_root(golden), "HKLM\\SYSTEM",
				      &report->golden, err);
		goto out;
	}
	status = controlset_resolve(golden, &options->control_set,
				    &golden_sets, err);
	if (status == HP_OK)
		status = plan_build(hive, options->recipe, "SYSTEM",
				    &report->sets, &target_plan, err);
	if (status == HP_OK)
		status = plan_build(golden, options->recipe, "SYSTEM",
				    &golden_sets, &golden_plan, err);
	for (size_t i = 0; status == HP_OK && i < target_plan.count &&
			   i < golden_plan.count; i++) {
		const struct plan_change *t = &target_plan.changes[i];
		const struct plan_change *g = &golden_plan.changes[i];
		hive_key tk = hive_root(hive), gk = hive_root(golden);

		for (size_t p = 0; status == HP_OK && p < t->part_count && tk != 0; p++)
			status = hive_find_child(hive, tk, t->parts[p], &tk,
						 NULL, err);
		for (size_t p = 0; status == HP_OK && p < g->part_count && gk != 0; p++)
			status = hive_find_child(golden, gk, g->parts[p], &gk,
						 NULL, err);
		if (status == HP_OK)
			status = compare_keys(hive, tk, golden, gk, t->key,
					      &report->golden, err);
	}
	if (status == HP_OK && target_plan.count != golden_plan.count)
		status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				      "%s: resolves to %zu control sets, the target to %zu",
				      options->golden, golden_plan.count,
				      target_plan.count);
out:
	plan_release(&target_plan);
	plan_release(&golden_plan);
	controlset_release(&golden_sets);
	hive_close(golden);
	return status;
}

enum hp_status
patch_verify(const char *target, const struct patch_options *options,
	     struct patch_report *report, struct hp_error *err)
{
	struct hive *hive = NULL;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	status = open_system(target, options, false, true, report, &hive,
			     err);
	if (status == HP_OK && report->applicability != RECIPE_APPLIES)
		warn(report, "%s", report->applicability_reason);
	if (status == HP_OK)
		status = plan_build(hive, options->recipe, "SYSTEM",
				    &report->sets, &report->plan, err);
	if (status == HP_OK && options->golden != NULL)
		status = compare_golden(hive, options, report, err);
	if (status == HP_OK)
		report->result = report->plan.writes == 0 &&
					 report->golden.total == 0
				 ? PATCH_RESULT_COMPLIANT
				 : PATCH_RESULT_NOT_COMPLIANT;
	hive_close(hive);
	return status;
}

void
patch_listing_release(struct patch_listing *listing)
{
	if (listing == NULL)
		return;
	free(listing->key);
	hive_values_free(listing->values, listing->value_count);
	for (size_t i = 0; i < listing->subkey_count; i++)
		free(listing->subkeys[i]);
	free(listing->subkeys);
	memset(listing, 0, sizeof *listing);
}

static enum hp_status
list_key(struct hive *hive, hive_key key, struct patch_listing *listing,
	 struct hp_error *err)
{
	hive_key *children = NULL;
	size_t count = 0;
	enum hp_status status;

	status = hive_key_values(hive, key, &listing->values,
				 &listing->value_count, err);
	if (status == HP_OK)
		status = hive_key_children(hive, key, &children, &count, err);
	if (status != HP_OK)
		return status;
	listing->subkeys = calloc(count + 1, sizeof *listing->subkeys);
	if (listing->subkeys == NULL) {
		free(children);
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "show");
	}
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		status = hive_key_name(hive, children[i],
				       &listing->subkeys[i], err);
		if (status == HP_OK)
			listing->subkey_count++;
	}
	free(children);
	return status;
}

/* Which hive file KEYPATH is in: SYSTEM, or SOFTWARE of a directory. */
static enum hp_status
hive_for_key(const struct patch_report *report, const struct keypath *path,
	     const char **file_ret, const char **hive_name_ret,
	     struct hp_error *err)
{
	*file_ret = report->target.system;
	*hive_name_ret = "SYSTEM";
	if (path->hive_name == NULL ||
	    report->target.kind == TARGET_HIVE_FILE ||
	    text_name_equal(path->hive_name, "SYSTEM"))
		return HP_OK;
	if (text_name_equal(path->hive_name, "SOFTWARE") &&
	    report->target.software != NULL) {
		*file_ret = report->target.software;
		*hive_name_ret = "SOFTWARE";
		return HP_OK;
	}
	return hp_error_set(err, HP_ERR_NOT_FOUND, 0,
			    "%s: the image has no %s hive this program reads",
			    report->target.path, path->hive_name);
}

enum hp_status
patch_show(const char *target, const char *key,
	   const struct patch_options *options, struct patch_report *report,
	   struct patch_listing *listing, struct hp_error *err)
{
	struct keypath path = { 0 };
	struct hive *hive = NULL, *other = NULL;
	const char *file, *hive_name;
	hive_key node;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	memset(listing, 0, sizeof *listing);
	hp_error_clear(err);
	status = keypath_parse(key != NULL ? key : "HKLM\\SYSTEM", &path, err);
	if (status == HP_OK)
		status = open_system(target, options, false,
				     keypath_uses_current_control_set(&path),
				     report, &hive, err);
	if (status == HP_OK)
		status = hive_for_key(report, &path, &file, &hive_name, err);
	if (status != HP_OK)
		goto out;
	if (strcmp(hive_name, "SYSTEM") != 0) {
		status = hive_open(file, false, &other, err);
		if (status != HP_OK)
			goto out;
	} else if (keypath_uses_current_control_set(&path)) {
		free(path.parts[0]);
		path.parts[0] = text_dup(report->sets.names[0]);
		if (path.parts[0] == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "show");
			goto out;
		}
	}
	{
		struct hive *h = other != NULL ? other : hive;

		node = hive_root(h);
		for (size_t i = 0; i < path.count; i++) {
			char *spelling = NULL;

			status = hive_find_child(h, node, path.parts[i], &node,
						 &spelling, err);
			if (status != HP_OK)
				goto out;
			if (node == 0) {
				char *shown = keypath_format(hive_name, path.parts, i + 1);

				status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
						      "%s: no key %s",
						      target, shown != NULL ? shown : key);
				free(shown);
				goto out;
			}
			free(path.parts[i]);
			path.parts[i] = spelling;
		}
		listing->key = keypath_format(hive_name, path.parts, path.count);
		if (listing->key == NULL) {
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "show");
			goto out;
		}
		status = list_key(h, node, listing, err);
	}
out:
	keypath_release(&path);
	hive_close(other);
	hive_close(hive);
	return status;
}
