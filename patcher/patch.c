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

/* Logs are read whole to scan them; a real one is a few MB. */
#define LOG_MAX_SIZE (512u * 1024 * 1024)

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
	}
	return "error";
}

void
patch_report_release(struct patch_report *report)
{
	if (report == NULL)
		return;
	target_release(&report->target);
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

/* Read the first 4096 bytes of PATH and refuse a dirty hive. */
static enum hp_status
check_base_block(const char *path, struct patch_report *report,
		 struct hp_error *err)
{
	unsigned char block[REGF_BASE_BLOCK_SIZE];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct regf_header *h = &report->header;

	if (fd == -1)
		return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
	n = read(fd, block, sizeof block);
	close(fd);
	if (n != (ssize_t)sizeof block || !regf_header_read(block, sizeof block, h))
		return hp_error_set(err, HP_ERR_CORRUPT, 0,
				    "%s: the hive is truncated (no complete base block)",
				    path);
	report->have_header = true;
	if (h->file_type != REGF_TYPE_PRIMARY)
		return hp_error_set(err, HP_ERR_NOT_HIVE, 0,
				    "%s: this is a transaction log (file type %u), not a hive",
				    path, (unsigned)h->file_type);
	if (h->major != 1)
		return hp_error_set(err, HP_ERR_UNSUPPORTED, 0,
				    "%s: hive format %u.%u is not supported",
				    path, (unsigned)h->major, (unsigned)h->minor);
	if (!regf_checksum_valid(h))
		return hp_error_set(err, HP_ERR_DIRTY, 0,
				    "%s: the hive is dirty (base block checksum 0x%08x, expected 0x%08x): Windows would rebuild it from its logs at boot, and replaying logs is not supported yet; nothing was written",
				    path, (unsigned)h->checksum_stored,
				    (unsigned)regf_checksum_windows(h->checksum_xor));
	if (h->seq1 != h->seq2)
		return hp_error_set(err, HP_ERR_DIRTY, 0,
				    "%s: the hive is dirty (sequence numbers %u and %u differ): Windows would replay its logs over any edit at boot, and replaying logs is not supported yet; nothing was written",
				    path, (unsigned)h->seq1, (unsigned)h->seq2);
	return HP_OK;
}

/* Scan every log for the latest sequence number. */
static enum hp_status
scan_logs(struct patch_report *report, struct hp_error *err)
{
	for (size_t i = 0; i < report->target.log_count; i++) {
		const char *path = report->target.logs[i];
		struct regf_log_scan scan;
		struct stat st;
		unsigned char *data = MAP_FAILED;
		/* O_NONBLOCK: a FIFO named like a log must not hang the
		 * open; it has size 0 and is skipped below. */
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);

		if (fd == -1 || fstat(fd, &st) == -1) {
			enum hp_status status = hp_error_set(err, HP_ERR_IO,
							     errno, "%s", path);
			if (fd != -1)
				close(fd);
			return status;
		}
		if (st.st_size == 0 || (uintmax_t)st.st_size > LOG_MAX_SIZE) {
			close(fd);
			if (st.st_size != 0)
				warn(report, "%s: log larger than %u MiB not scanned",
				     path, LOG_MAX_SIZE >> 20);
			continue;
		}
		data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE,
			    fd, 0);
		close(fd);
		if (data == MAP_FAILED)
			return hp_error_set(err, HP_ERR_IO, errno, "%s", path);
		regf_log_scan(data, (size_t)st.st_size, &scan);
		munmap(data, (size_t)st.st_size);
		if (!scan.has_seq)
			continue;
		if (!report->have_log_seq ||
		    regf_seq_after(scan.max_seq, report->log_max_seq))
			report->log_max_seq = scan.max_seq;
		report->have_log_seq = true;
	}
	return HP_OK;
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

/* Open SYSTEM, resolve the control sets and decide applicability. */
static enum hp_status
open_system(const char *target_path, const struct patch_options *options,
	    bool writable, bool need_sets, struct patch_report *report,
	    struct hive **hive_ret, struct hp_error *err)
{
	struct controlset_choice default_choice = { CONTROLSET_DEFAULT, 0 };
	struct controlset_info boot = { 0 };
	enum hp_status status;

	*hive_ret = NULL;
	status = target_open(target_path, &report->target, err);
	if (status != HP_OK)
		return status;
	report->have_target = true;
	status = check_base_block(report->target.system, report, err);
	if (status != HP_OK)
		return status;
	read_os_info(report);
	status = hive_open(report->target.system, writable, hive_ret, err);
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

/* The sequence number to seal the new hive with: above the old one and
 * above every number in the logs, so a stale log can never win. */
static uint32_t
sealing_seq(const struct patch_report *report)
{
	uint32_t seq = report->header.seq1 + 1;

	if (report->have_log_seq && !regf_seq_after(seq, report->log_max_seq))
		seq = report->log_max_seq + 1;
	return seq;
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
check_written(const char *original, const struct mapped_file *old_map,
	      const char *written, const struct plan *plan,
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
		status = editcheck_compare(old_map->data, old_map->size,
					   new_map.data, new_map.size, touched,
					   touched_count, original, err);
out:
	hive_close(edited);
	unmap_file(&new_map);
	free(touched);
	return status;
}

/* Commit the edited hive beside the original, seal, check, replace. */
static enum hp_status
write_patched(struct hive *hive, const struct mapped_file *original,
	      const struct patch_options *options,
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
	status = scan_logs(report, err);
	if (status != HP_OK)
		goto out;
	report->seq_after = sealing_seq(report);
	status = seal(sw.temp_fd, sw.temp, report->seq_after, err);
	if (status != HP_OK)
		goto copy_failed;
	status = check_written(system, original, sw.temp, &report->plan, err);
	if (status != HP_OK)
		goto out;
	status = safewrite_finish(&sw, options->backup, err);
	if (status != HP_OK && !sw.in_place && sw.temp == NULL) {
		/* The rename went through (safewrite_finish frees the temp
		 * name then), so the hive holds the new, checked content and
		 * only the directory sync after it failed.  "Write failed,
		 * nothing changed" would be false: the worst a crash can do
		 * now is bring back the complete old hive. */
		warn(report,
		     "%s; the hive is patched, but a crash before the system syncs the directory could bring the old one back",
		     err->message);
		hp_error_clear(err);
		status = HP_OK;
	}
	if (status != HP_OK)
		goto out;
	if (sw.in_place) {
		size_t len = strlen(sw.reason) + 32;

		report->write_method = malloc(len);
		if (report->write_method != NULL)
			snprintf(report->write_method, len, "in-place (%s)",
				 sw.reason);
	} else {
		report->write_method = text_dup("rename");
	}
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
	struct mapped_file original = { NULL, 0 };
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	status = open_system(target, options, false, true, report, &hive,
			     err);
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
	 * the mapped original (regfedit.c), so the hive is not copied
	 * through memory and no other value of the key is rewritten. */
	hive_close(hive);
	hive = NULL;
	status = map_file(report->target.system, &original, err);
	if (status == HP_OK)
		status = hive_open_memory_edit(original.data, original.size,
					       report->target.system, &hive,
					       err);
	if (status == HP_OK)
		status = plan_apply(hive, &report->plan, err);
	if (status == HP_OK)
		status = write_patched(hive, &original, options, report, err);
	if (status == HP_OK)
		report->result = PATCH_RESULT_PATCHED;
out:
	hive_close(hive);
	unmap_file(&original);
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
