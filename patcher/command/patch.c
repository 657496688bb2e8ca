/* patch.c - apply, verify and show on a target. */
#include "config.h"

#include "command/patch.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "regf/editcheck.h"
#include "base/fileio.h"
#include "hive/hive.h"
#include "recipe/keypath.h"
#include "regtext/regdiff.h"
#include "regtext/regexport.h"
#include "base/safewrite.h"
#include "base/text.h"

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
	for (size_t i = 0; i < report->other_count; i++) {
		struct patch_hive *h = &report->others[i];

		free(h->name);
		target_hive_release(&h->where);
		hivefile_close(&h->file);
		plan_release(&h->plan);
		free(h->write_method);
	}
	free(report->others);
	compare_result_release(&report->golden);
	buffer_release(&report->golden_reg);
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
	target_name_in_text(&report->target, text, sizeof text);
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

/* Does any operation go through CurrentControlSet (and so need Select)? */
static bool
recipe_uses_control_set(const struct recipe *recipe)
{
	const char *last = NULL;

	for (size_t i = 0; i < recipe->op_count; i++) {
		struct keypath path;
		bool uses;

		/* The operations of one [KEY] share its string. */
		if (recipe->ops[i].key == last)
			continue;
		last = recipe->ops[i].key;
		if (keypath_parse(recipe->ops[i].key, &path, NULL) != HP_OK)
			return true; /* planning will report it */
		uses = keypath_uses_current_control_set(&path);
		keypath_release(&path);
		if (uses)
			return true;
	}
	return false;
}

/* Open FILE (the hive at PATH) with hivex: the file itself, or for a
 * recovered hive the copy hivefile made, which goes from the directory as
 * soon as hivex has it mapped, so that nothing is left behind even if the
 * process is killed. */
static enum hp_status
open_with_hivex(struct hivefile *file, const char *path, struct hive **hive_ret,
		struct hp_error *err)
{
	enum hp_status status;

	if (file->hivex_path == NULL)
		/* A recovered hive whose copy was used already is read from
		 * memory: the primary on disk is not what Windows will see. */
		return file->recovered
			       ? hive_open_memory(file->data, file->size, path,
						  hive_ret, err)
			       : hive_open(path, false, hive_ret, err);
	status = hive_open(file->hivex_path, false, hive_ret, err);
	if (status != HP_OK && status != HP_ERR_NO_MEMORY) {
		/* The copy was read whole when it was made: name the hive,
		 * and say the copy (gone in a moment) is what failed. */
		char detail[sizeof err->message];

		snprintf(detail, sizeof detail, "%s",
			 hp_error_detail(err, file->hivex_path));
		status = hp_error_set(err, HP_ERR_IO, 0,
				      "%s: the recovered hive kept for hivex in $TMPDIR does not read back (%s)",
				      path, detail);
	}
	unlink(file->hivex_path);
	free(file->hivex_path);
	file->hivex_path = NULL;
	return status;
}

/* Where an edit goes: a directory or hive file in place, an archive to
 * -o or --in-place (checked before any work). */
static enum hp_status
check_output(const struct patch_options *options, bool writing,
	     const struct target *target, struct hp_error *err)
{
	bool archive = target->kind == TARGET_ARCHIVE;

	if (!writing || options->dry_run)
		return HP_OK;
	if (archive && options->output == NULL && !options->in_place)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "%s: an archive is written to -o OUT (- for standard output) or replaced with --in-place; nothing was written",
				    target->path);
	if (archive && options->in_place && target->spool != NULL)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "standard input cannot be replaced in place: use -o OUT or -o -");
	if (!archive && options->output != NULL)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "%s: -o goes with archives (a %s is patched in place; --backup keeps the original)",
				    target->path, target_kind_name(target->kind));
	if (!archive && options->in_place)
		return hp_error_set(err, HP_ERR_USAGE, 0,
				    "%s: --in-place goes with archives (a %s is always patched in place)",
				    target->path, target_kind_name(target->kind));
	if (archive)
		return archive_io_check_writable(&target->archive, target->path, err);
	return HP_OK;
}

/* Find the target's SYSTEM hive and read it as Windows will see it. */
static enum hp_status
open_hive_file(const char *target_path, const struct patch_options *options,
	       bool writing, struct patch_report *report,
	       struct hp_error *err)
{
	const char *logs[2];
	enum hp_status status;

	struct target_options where = { options->hive_path, options->progress,
					options->progress_ctx };

	status = target_open_with(target_path, &where, &report->target, err);
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
	if (status == HP_OK)
		status = check_output(options, writing, &report->target, err);
	if (status != HP_OK)
		return status;
	read_os_info(report);
	/* hivex opens, validates and reads; a recovered hive from a copy. */
	if (options->own_reader)
		status = hive_open_memory(report->file.data, report->file.size,
					  report->target.system, hive_ret, err);
	else
		status = open_with_hivex(&report->file, report->target.system,
					 hive_ret, err);
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

/* Map a file this run wrote; failing to read it back fails the check. */
static enum hp_status
map_file(const char *path, struct hivefile_mapping *map, struct hp_error *err)
{
	if (hivefile_map(path, map, err) != HP_OK)
		return hp_error_set(err, HP_ERR_VERIFY, err->saved_errno, "%s",
				    path);
	return HP_OK;
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
	struct hivefile_mapping new_map = { 0 };
	uint32_t *touched = NULL, *deleted = NULL;
	size_t touched_count = 0, deleted_count = 0;
	enum hp_status status;

	status = map_file(written, &new_map, err);
	if (status != HP_OK)
		goto out;
	status = hive_open_memory(new_map.data, new_map.size, original,
				  &edited, err);
	if (status == HP_OK)
		status = plan_check(edited, plan, err);
	if (status == HP_OK)
		status = plan_touched_cells(plan, &touched, &touched_count,
					    err);
	if (status == HP_OK)
		status = plan_deleted_cells(plan, &deleted, &deleted_count, err);
	if (status == HP_OK)
		status = editcheck_compare_deleting(old_data, old_size,
						    new_map.data, new_map.size,
						    touched, touched_count,
						    deleted, deleted_count,
						    original, err);
	/* The original was read whole before the edit: a copy that does not
	 * read now was not written as it was meant (a write failed), which
	 * is not bad input.  The reader's message names ORIGINAL already;
	 * its detail is copied out first, for the message is rewritten. */
	if (status != HP_OK && status != HP_ERR_VERIFY &&
	    status != HP_ERR_NO_MEMORY) {
		char detail[sizeof err->message];

		snprintf(detail, sizeof detail, "%s", hp_error_detail(err, original));
		status = hp_error_set(err, HP_ERR_VERIFY, 0,
				      "%s: the hive as written does not read back (%s)",
				      original, detail);
	}
out:
	hive_close(edited);
	hivefile_unmap(&new_map);
	free(touched);
	free(deleted);
	return status;
}

/* Empty the logs after a verified, synced commit (--truncate-logs): they
 * are stale now, and Windows itself leaves 0-byte logs.  The commit is
 * done, so a failure here is a warning. */
static void
truncate_log_files(struct patch_report *report, char *const *logs,
		   size_t count)
{
	for (size_t i = 0; i < count; i++) {
		int fd = open(logs[i], O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK);

		if (fd == -1 || fsync(fd) == -1)
			warn(report, "%s: cannot empty the log: %s", logs[i],
			     strerror(errno));
		if (fd != -1)
			close(fd);
	}
}

static void
truncate_logs(struct patch_report *report)
{
	truncate_log_files(report, report->target.logs,
			   report->target.log_count);
	for (size_t i = 0; i < report->other_count; i++)
		truncate_log_files(report, report->others[i].where.logs,
				   report->others[i].where.log_count);
	report->logs_truncated = true;
}

static void
note_write_method(char **method, const struct safewrite *sw)
{
	if (sw->in_place) {
		size_t len = strlen(sw->reason) + 32;

		*method = malloc(len);
		if (*method != NULL)
			snprintf(*method, len, "in-place (%s)", sw->reason);
	} else {
		*method = text_dup("rename");
	}
}

/* safewrite_finish, except that a failed directory sync after the rename
 * is a warning: the rename went through (safewrite_finish frees the temp
 * name then), so the hive holds the new, checked content, and "write
 * failed, nothing changed" would be false. */
static enum hp_status
finish(struct safewrite *sw, const char *backup, struct patch_report *report,
       char **method, struct hp_error *err)
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
		note_write_method(method, sw);
	return status;
}

static bool
header_dirty(const unsigned char *data, size_t size)
{
	struct regf_header header;

	return !regf_header_read(data, size, &header) ||
	       regf_header_dirty(&header);
}

/* One hive to write: its edit prepared beside it, then committed. */
struct write_job {
	const char *path;
	struct hivefile *file;
	struct plan *plan;
	uint32_t *seq_after;
	char **write_method;
	struct hive *edit;
	struct safewrite sw;
	bool prepared, committed;
};

static void
release_job(struct write_job *job)
{
	hive_close(job->edit);
	job->edit = NULL;
	if (job->prepared || job->committed)
		safewrite_abort(&job->sw);
	job->prepared = false;
}

/* Make the edit on the hive as Windows will see it (the mapped primary,
 * or the image recovered from the logs), commit it to a temp file beside
 * the hive, seal it above every log, and prove it. */
static enum hp_status
prepare_job(struct write_job *job, struct hp_error *err)
{
	enum hp_status status;

	status = hive_open_memory_edit(job->file->data, job->file->size,
				       job->path, &job->edit, err);
	if (status == HP_OK)
		status = plan_apply(job->edit, job->plan, err);
	if (status == HP_OK)
		status = safewrite_begin(&job->sw, job->path, err);
	if (status != HP_OK)
		return status;
	job->prepared = true;
	status = hive_commit(job->edit, job->sw.temp, err);
	if (status == HP_OK) {
		*job->seq_after = hivefile_sealing_seq(job->file, true);
		status = seal(job->sw.temp_fd, job->sw.temp, *job->seq_after,
			      err);
	}
	if (status != HP_OK)
		/* The temp file is about to vanish: name the hive instead. */
		return hp_error_set(err, HP_ERR_WRITE, err->saved_errno,
				    "%s: cannot write the patched copy beside it; the hive is unchanged",
				    job->path);
	return check_written(job->path, job->file->data, job->file->size,
			     job->sw.temp, job->plan, err);
}

/* Put a committed hive back as it was before (its original bytes are
 * still mapped).  Best effort: the error already being reported says
 * what failed first. */
static bool
restore_job(struct write_job *job)
{
	struct safewrite sw;
	struct hp_error ignored;
	bool ok = false;

	if (safewrite_begin_new(&sw, job->path, &ignored) == HP_OK &&
	    fileio_pwrite_all(sw.temp_fd, job->file->file_data,
			      job->file->file_size, 0) == 0 &&
	    safewrite_finish(&sw, NULL, &ignored) == HP_OK)
		ok = true;
	safewrite_abort(&sw);
	return ok;
}

/* Commit every prepared job, or none: when one fails, the ones already
 * committed are put back. */
static enum hp_status
commit_jobs(struct write_job *jobs, size_t count,
	    const struct patch_options *options, struct patch_report *report,
	    struct hp_error *err)
{
	for (size_t i = 0; i < count; i++) {
		enum hp_status status;

		/* --backup names one file: the SYSTEM hive's. */
		status = finish(&jobs[i].sw, i == 0 ? options->backup : NULL,
				report, jobs[i].write_method, err);
		if (status == HP_OK) {
			jobs[i].committed = true;
			continue;
		}
		for (size_t k = 0; k < i; k++)
			if (!restore_job(&jobs[k]))
				warn(report, "%s: could not be put back as it was",
				     jobs[k].path);
		if (i > 0) {
			char detail[sizeof err->message];

			memcpy(detail, err->message, sizeof detail);
			hp_error_set(err, status, err->saved_errno,
				     "%s; the hives written before it were put back",
				     detail);
		}
		return status;
	}
	return HP_OK;
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

/* The distinct hive names the recipe's operations address, other than
 * SYSTEM; none for a bare hive file (every root addresses the file). */
static enum hp_status
other_hive_names(const struct recipe *recipe, const struct target *target,
		 char ***names_ret, size_t *count_ret, struct hp_error *err)
{
	char **names = NULL;
	size_t count = 0;

	*names_ret = NULL;
	*count_ret = 0;
	if (target->kind == TARGET_HIVE_FILE)
		return HP_OK;
	for (size_t i = 0; i < recipe->op_count; i++) {
		struct keypath path;
		bool seen = false;
		enum hp_status status = keypath_parse(recipe->ops[i].key, &path, err);

		if (status != HP_OK)
			goto fail;
		if (path.hive_name == NULL) {
			status = hp_error_set(err, HP_ERR_USAGE, 0,
					      "'%s': on an image a key names its hive (HKLM\\SYSTEM\\...)",
					      recipe->ops[i].key);
			keypath_release(&path);
			goto fail;
		}
		seen = text_name_equal(path.hive_name, "SYSTEM");
		for (size_t k = 0; !seen && k < count; k++)
			seen = text_name_equal(names[k], path.hive_name);
		if (!seen) {
			char **grown = realloc(names, (count + 1) * sizeof *names);

			if (grown == NULL || (grown[count] = text_dup(path.hive_name)) == NULL) {
				if (grown != NULL)
					names = grown;
				keypath_release(&path);
				status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", recipe->name);
				goto fail;
			}
			/* Windows spells the files in upper case. */
			for (char *c = grown[count]; *c != '\0'; c++)
				if (*c >= 'a' && *c <= 'z')
					*c = (char)(*c - 0x20);
			names = grown;
			count++;
		}
		keypath_release(&path);
		continue;
fail:
		for (size_t k = 0; k < count; k++)
			free(names[k]);
		free(names);
		return status;
	}
	*names_ret = names;
	*count_ret = count;
	return HP_OK;
}

/* Open and plan every hive besides SYSTEM that the recipe touches. */
static enum hp_status open_other_hive(const char *name,
				      const struct patch_options *options,
				      struct patch_report *report,
				      struct hive **hive_ret,
				      struct hp_error *err);

static enum hp_status
plan_other_hives(const struct patch_options *options,
		 struct patch_report *report, struct hp_error *err)
{
	char **names = NULL;
	size_t count = 0;
	enum hp_status status;

	status = other_hive_names(options->recipe, &report->target, &names,
				  &count, err);
	for (size_t i = 0; status == HP_OK && i < count; i++) {
		struct hive *hive = NULL;

		status = open_other_hive(names[i], options, report, &hive, err);
		if (status == HP_OK)
			status = plan_build(hive, options->recipe, names[i],
					    NULL,
					    &report->others[report->other_count - 1].plan,
					    err);
		hive_close(hive);
	}
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return status;
}

/* The archive member whose scratch copy is FILE (the same file name). */
static bool
member_of(const struct archive_layout *layout, const char *file,
	  size_t *index_ret)
{
	const char *base = strrchr(file, '/');

	base = base != NULL ? base + 1 : file;
	for (size_t i = 0; i < layout->member_count; i++) {
		const char *m = strrchr(layout->members[i].file, '/');

		if (strcmp(m != NULL ? m + 1 : layout->members[i].file, base) == 0) {
			*index_ret = i;
			return true;
		}
	}
	return false;
}

static enum hp_status
add_replacement(struct archive_replacement *list, size_t *count,
		const struct archive_layout *layout, const char *file,
		struct hp_error *err)
{
	size_t member;

	if (!member_of(layout, file, &member))
		return hp_error_set(err, HP_ERR_VERIFY, 0,
				    "%s: no archive entry to write it back to", file);
	for (size_t i = 0; i < *count; i++)
		if (list[i].member == member)
			return HP_OK;
	list[*count].member = member;
	list[*count].file = file;
	(*count)++;
	return HP_OK;
}

/* Write the archive with what this run wrote into its scratch copy
 * (hives, and logs emptied by --truncate-logs): to -o FILE, to the
 * output descriptor for "-", or over itself (--in-place: only the
 * replaced records when they keep their length). */
static enum hp_status
write_archive(const struct write_job *jobs, size_t job_count,
	      const struct patch_options *options, struct patch_report *report,
	      struct hp_error *err)
{
	struct target *t = &report->target;
	const struct archive_layout *layout = &t->archive;
	struct archive_replacement *list;
	struct archive_io_write_options wo = { 0 };
	struct safewrite sw = { 0 };
	const char *method = "";
	char why[256] = "", *ignored = NULL;
	size_t count = 0;
	bool done = false, began = false;
	enum hp_status status = HP_OK;

	list = calloc(layout->member_count + 1, sizeof *list);
	if (list == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", t->path);
	for (size_t i = 0; status == HP_OK && i < job_count; i++)
		status = add_replacement(list, &count, layout, jobs[i].path, err);
	for (size_t i = 0; status == HP_OK && report->logs_truncated &&
			   i < t->log_count; i++)
		status = add_replacement(list, &count, layout, t->logs[i], err);
	for (size_t h = 0; status == HP_OK && report->logs_truncated &&
			   h < report->other_count; h++)
		for (size_t i = 0; status == HP_OK &&
				   i < report->others[h].where.log_count; i++)
			status = add_replacement(list, &count, layout,
						 report->others[h].where.logs[i], err);
	if (status != HP_OK)
		goto out;
	wo.display = t->path;
	wo.replace = list;
	wo.replace_count = count;
	wo.mtime = options->entry_mtime;
	wo.threads = options->threads;
	/* The bound on a run's memory: 64 MiB and three times the hive. */
	{
		struct stat st;
		const char *hive_file = layout->members[layout->hive].file;

		wo.memory = (uint64_t)64 << 20;
		if (hive_file != NULL && stat(hive_file, &st) == 0)
			wo.memory += 3 * (uint64_t)st.st_size;
	}
	wo.progress = options->progress;
	wo.progress_ctx = options->progress_ctx;
	if (options->in_place) {
		status = archive_io_write_in_place(t->archive_path, layout, &wo,
						   &done, why, sizeof why, err);
		if (status != HP_OK || done) {
			method = "only the replaced records rewritten";
			goto out;
		}
		status = safewrite_begin(&sw, t->archive_path, err);
	} else if (strcmp(options->output, "-") == 0) {
		status = archive_io_write(t->archive_path, layout, &wo,
					  options->output_fd, &method, err);
		goto out;
	} else {
		status = safewrite_begin_new(&sw, options->output, err);
	}
	began = status == HP_OK;
	if (status == HP_OK)
		status = archive_io_write(t->archive_path, layout, &wo,
					  sw.temp_fd, &method, err);
	/* Read back, as the hive was, before it replaces anything. */
	if (status == HP_OK)
		status = archive_io_verify(sw.temp, layout, &wo, err);
	if (status == HP_OK)
		status = finish(&sw, NULL, report, &ignored, err);
out:
	if (began)
		safewrite_abort(&sw);
	free(ignored);
	free(list);
	if (status == HP_OK) {
		char text[512], kind[160];
		size_t used;

		snprintf(kind, sizeof kind, "%s%s%s", layout->format_name,
			 layout->filter_count > 0 ? " + " : "", layout->filter_names);
		if (options->in_place)
			snprintf(text, sizeof text, "archive (%s) in place, %s", kind, method);
		else
			snprintf(text, sizeof text, "archive (%s) to %s, %s", kind,
				 strcmp(options->output, "-") == 0 ? "standard output"
								   : options->output,
				 method);
		used = strlen(text);
		if (why[0] != '\0')
			snprintf(text + used, sizeof text - used,
				 " (not only the records: %s)", why);
		free(report->write_method);
		report->write_method = text_dup(text);
	}
	return status;
}

/* An archive already as the recipe asks, with -o: the output is the
 * input, byte for byte. */
static enum hp_status
copy_archive(const struct patch_options *options, struct patch_report *report,
	     struct hp_error *err)
{
	const struct target *t = &report->target;
	enum hp_status status = HP_OK;

	if (strcmp(options->output, "-") == 0) {
		int fd = open(t->archive_path, O_RDONLY | O_CLOEXEC);

		if (fd == -1 ||
		    fileio_copy_range(fd, 0, UINT64_MAX, options->output_fd) == -1)
			status = hp_error_set(err, HP_ERR_WRITE, errno, "standard output");
		if (fd != -1)
			close(fd);
	} else {
		status = safewrite_copy_file(t->archive_path, options->output, err);
	}
	if (status == HP_OK) {
		free(report->write_method);
		report->write_method = text_dup("archive copied as it is");
	}
	return status;
}

enum hp_status
patch_apply(const char *target, const struct patch_options *options,
	    struct patch_report *report, struct hp_error *err)
{
	struct hive *hive = NULL;
	struct write_job *jobs = NULL;
	size_t job_count = 0, writes;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	status = open_system(target, options, !options->dry_run,
			     recipe_uses_control_set(options->recipe), report,
			     &hive, err);
	if (status == HP_OK)
		status = check_applicability(options, report, err);
	if (status == HP_OK)
		status = plan_build(hive, options->recipe,
				    report->target.kind == TARGET_HIVE_FILE ? NULL : "SYSTEM",
				    &report->sets, &report->plan, err);
	hive_close(hive);
	hive = NULL;
	if (status == HP_OK)
		status = plan_other_hives(options, report, err);
	if (status != HP_OK)
		goto out;
	writes = report->plan.writes;
	for (size_t i = 0; i < report->other_count; i++)
		writes += report->others[i].plan.writes;
	if (writes == 0) {
		report->result = PATCH_RESULT_ALREADY_COMPLIANT;
		if (report->target.kind == TARGET_ARCHIVE && !options->dry_run &&
		    options->output != NULL)
			status = copy_archive(options, report, err);
		goto out;
	}
	if (options->dry_run) {
		report->result = PATCH_RESULT_WOULD_PATCH;
		goto out;
	}
	/* hivex read and planned; the edits are made cell by cell, prepared
	 * for every hive, and only then committed, all or none. */
	jobs = calloc(report->other_count + 1, sizeof *jobs);
	if (jobs == NULL) {
		status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", target);
		goto out;
	}
	if (report->plan.writes > 0)
		jobs[job_count++] = (struct write_job){
			report->target.system, &report->file, &report->plan,
			&report->seq_after, &report->write_method, NULL,
			{ 0 }, false, false };
	for (size_t i = 0; i < report->other_count; i++) {
		struct patch_hive *h = &report->others[i];

		if (h->plan.writes > 0)
			jobs[job_count++] = (struct write_job){
				h->where.path, &h->file, &h->plan,
				&h->seq_after, &h->write_method, NULL,
				{ 0 }, false, false };
	}
	for (size_t i = 0; status == HP_OK && i < job_count; i++)
		status = prepare_job(&jobs[i], err);
	if (status == HP_OK)
		status = commit_jobs(jobs, job_count, options, report, err);
	if (status == HP_OK && options->truncate_logs)
		truncate_logs(report);
	if (status == HP_OK && report->target.kind == TARGET_ARCHIVE)
		status = write_archive(jobs, job_count, options, report, err);
	if (status == HP_OK)
		report->result = PATCH_RESULT_PATCHED;
out:
	for (size_t i = 0; i < job_count; i++)
		release_job(&jobs[i]);
	free(jobs);
	hive_close(hive);
	return status;
}

/* Write IMAGE, sealed with SEQ, to PATH (existing or not), proved by
 * reading it back; PATH's metadata is kept when it exists. */
static enum hp_status
write_recovered(const char *path, const unsigned char *image, size_t size,
		uint32_t seq, const struct patch_options *options,
		struct patch_report *report, struct hp_error *err)
{
	struct safewrite sw;
	struct hivefile_mapping written = { NULL, 0 };
	struct hive *check = NULL;
	enum hp_status status;

	status = safewrite_begin_new(&sw, path, err);
	if (status != HP_OK)
		goto out;
	if (fileio_pwrite_all(sw.temp_fd, image, size, 0) == -1) {
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
	hivefile_unmap(&written);
	if (status != HP_OK)
		goto out;
	status = finish(&sw, NULL, report, &report->write_method, err);
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
	if (status == HP_OK && report->target.kind == TARGET_ARCHIVE &&
	    (options->output == NULL || strcmp(options->output, "-") == 0 ||
	     options->in_place))
		status = hp_error_set(err, HP_ERR_USAGE, 0,
				      "%s: recover writes the clean hive of an archive to -o FILE (apply writes archives); nothing was written",
				      target);
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

/* One hive of an image, read as Windows will see it, with the own
 * reader (golden comparison and diff). */
struct diff_side {
	struct target_hive where;
	struct hivefile file;
	struct hive *hive;
};
static enum hp_status diff_side_open(const struct target *target,
				     const char *name,
				     const struct patch_options *options,
				     struct diff_side *side, struct hp_error *err);
static void diff_side_release(struct diff_side *side);

/* What --golden-scope KEY... names, as a recipe of keys to compare. */
static enum hp_status
scope_recipe(const struct patch_options *options, struct recipe *recipe,
	     struct recipe_op *ops)
{
	for (size_t i = 0; i < options->golden_scope_count; i++) {
		memset(&ops[i], 0, sizeof ops[i]);
		ops[i].action = RECIPE_CREATE_KEY;
		ops[i].key = options->golden_scopes[i];
	}
	memset(recipe, 0, sizeof *recipe);
	recipe->name = "golden scope";
	recipe->ops = ops;
	recipe->op_count = options->golden_scope_count;
	return HP_OK;
}

/* Add to the report's .reg what turns A's key into B's, when they differ:
 * one header for the whole file (UTF-8). */
static enum hp_status
golden_diff(struct hive *a, hive_key ka, struct hive *b, hive_key kb,
	    const char *path, struct patch_report *report,
	    struct hp_error *err)
{
	static const char header[] = "Windows Registry Editor Version 5.00\r\n\r\n";
	struct hp_buffer part = { NULL, 0, 0 };
	size_t differences = 0, skip;
	enum hp_status status;

	status = regdiff_keys(a, ka, b, kb, path, true, &part, &differences,
			      err);
	skip = report->golden_reg.len > 0 ? sizeof header - 1 : 0;
	if (status == HP_OK && differences > 0 && part.len >= skip)
		status = buffer_append(&report->golden_reg, part.data + skip,
				       part.len - skip);
	buffer_release(&part);
	return status;
}

/* Compare hive NAME of the target (HIVE, its control sets SETS) with the
 * same hive of the golden image (GOLDEN, GOLDEN_SETS), within SCOPE (NULL:
 * the whole hive); differences go to the report, as a list and as a .reg
 * that would turn the target into the golden. */
static enum hp_status
compare_golden_hive(struct hive *hive, struct hive *golden, const char *name,
		    const struct controlset_info *sets,
		    const struct controlset_info *golden_sets,
		    const struct recipe *scope, struct patch_report *report,
		    struct hp_error *err)
{
	struct plan target_plan = { 0 }, golden_plan = { 0 };
	char root[64];
	enum hp_status status = HP_OK;

	snprintf(root, sizeof root, "%s\\%s",
		 strcmp(name, "DEFAULT") == 0 ? "HKEY_USERS" : "HKEY_LOCAL_MACHINE",
		 strcmp(name, "DEFAULT") == 0 ? ".DEFAULT" : name);
	if (scope == NULL) {
		status = compare_keys(hive, hive_root(hive), golden,
				      hive_root(golden), root, &report->golden,
				      err);
		if (status == HP_OK)
			status = golden_diff(hive, hive_root(hive), golden,
					     hive_root(golden), root, report, err);
		return status;
	}
	status = plan_build(hive, scope, name, sets, &target_plan, err);
	if (status == HP_OK)
		status = plan_build(golden, scope, name, golden_sets,
				    &golden_plan, err);
	for (size_t i = 0; status == HP_OK && i < target_plan.count &&
			   i < golden_plan.count; i++) {
		const struct plan_change *t = &target_plan.changes[i];
		const struct plan_change *g = &golden_plan.changes[i];
		hive_key tk = hive_root(hive), gk = hive_root(golden);
		char *path;

		if (t->value_name != NULL && i > 0 &&
		    strcmp(t->key, target_plan.changes[i - 1].key) == 0)
			continue; /* the key was compared already */
		for (size_t p = 0; status == HP_OK && p < t->part_count && tk != 0; p++)
			status = hive_find_child(hive, tk, t->parts[p], &tk,
						 NULL, err);
		for (size_t p = 0; status == HP_OK && p < g->part_count && gk != 0; p++)
			status = hive_find_child(golden, gk, g->parts[p], &gk,
						 NULL, err);
		if (status == HP_OK)
			status = compare_keys(hive, tk, golden, gk, t->key,
					      &report->golden, err);
		path = keypath_format_long(name, t->parts, t->part_count);
		if (path == NULL && status == HP_OK)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "golden");
		if (status == HP_OK)
			status = golden_diff(hive, tk, golden, gk, path, report,
					     err);
		free(path);
	}
	if (status == HP_OK && target_plan.count != golden_plan.count)
		status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
				      "the golden %s resolves to %zu keys, the target to %zu",
				      name, golden_plan.count, target_plan.count);
	plan_release(&target_plan);
	plan_release(&golden_plan);
	return status;
}

/* Compare with the golden hive file, or with every hive of a golden
 * image that the target also has. */
static enum hp_status
compare_golden(struct hive *hive, const struct patch_options *options,
	       struct patch_report *report, struct hp_error *err)
{
	static const char *const names[] = { "SYSTEM", "SOFTWARE", "SAM",
					     "SECURITY", "DEFAULT" };
	struct target golden_target = { 0 };
	struct recipe scope_storage;
	struct recipe_op *scope_ops = NULL;
	const struct recipe *scope = options->recipe;
	enum hp_status status;

	report->golden_compared = true;
	if (options->golden_all)
		scope = NULL;
	else if (options->golden_scope_count > 0) {
		scope_ops = calloc(options->golden_scope_count, sizeof *scope_ops);
		if (scope_ops == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "golden");
		scope_recipe(options, &scope_storage, scope_ops);
		scope = &scope_storage;
	}
	status = target_open(options->golden, &golden_target, err);
	for (size_t i = 0; status == HP_OK &&
			   i < (golden_target.kind == TARGET_HIVE_FILE ? 1 : 5); i++) {
		struct diff_side mine, theirs;
		struct controlset_info golden_sets = { 0 };
		struct hive *target_hive = hive;

		memset(&mine, 0, sizeof mine);
		status = diff_side_open(&golden_target, names[i], options,
					&theirs, err);
		if (status == HP_OK && theirs.hive != NULL && i > 0) {
			status = diff_side_open(&report->target, names[i],
						options, &mine, err);
			target_hive = mine.hive;
		}
		if (status == HP_OK && theirs.hive != NULL && target_hive != NULL &&
		    i == 0 && scope != NULL &&
		    controlset_resolve(theirs.hive, &options->control_set,
				       &golden_sets, NULL) != HP_OK)
			hp_error_clear(err); /* no Select: CurrentControlSet stays unresolved */
		if (status == HP_OK && theirs.hive != NULL && target_hive != NULL)
			status = compare_golden_hive(target_hive, theirs.hive,
						     names[i],
						     i == 0 ? &report->sets : NULL,
						     i == 0 ? &golden_sets : NULL,
						     scope, report, err);
		controlset_release(&golden_sets);
		diff_side_release(&mine);
		diff_side_release(&theirs);
	}
	target_release(&golden_target);
	free(scope_ops);
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
	status = open_system(target, options, false,
			     recipe_uses_control_set(options->recipe), report,
			     &hive, err);
	if (status == HP_OK && report->applicability != RECIPE_APPLIES)
		warn(report, "%s", report->applicability_reason);
	if (status == HP_OK)
		status = plan_build(hive, options->recipe,
				    report->target.kind == TARGET_HIVE_FILE ? NULL : "SYSTEM",
				    &report->sets, &report->plan, err);
	if (status == HP_OK)
		status = plan_other_hives(options, report, err);
	if (status == HP_OK && options->golden != NULL)
		status = compare_golden(hive, options, report, err);
	if (status == HP_OK) {
		size_t writes = report->plan.writes;

		for (size_t i = 0; i < report->other_count; i++)
			writes += report->others[i].plan.writes;
		report->result = writes == 0 && report->golden.total == 0
				 ? PATCH_RESULT_COMPLIANT
				 : PATCH_RESULT_NOT_COMPLIANT;
	}
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

/* A key found in a target: the open hive holding it (SYSTEM's hivex
 * handle, or another hive's), the key, and its path as stored. */
struct located {
	struct hive *system;
	struct hive *other;
	struct hive *hive;   /* one of the two */
	hive_key node;
	struct keypath path; /* spelled as stored */
	const char *hive_name;
};

static void
located_release(struct located *loc)
{
	keypath_release(&loc->path);
	hive_close(loc->other);
	hive_close(loc->system);
	memset(loc, 0, sizeof *loc);
}

/* Read the hive WHERE found as Windows will see it (logs replayed). */
static enum hp_status
open_found_hive(const struct target_hive *where,
		const struct patch_options *options, struct hivefile *file,
		struct hp_error *err)
{
	const char *logs[2] = { where->log1, where->log2 };

	return hivefile_open(where->path, logs, where->logs, where->log_count,
			     options->replay, file, err);
}

/* Open the hive NAME of the target (recovered from its logs if dirty),
 * kept in the report's other hives. */
static enum hp_status
open_other_hive(const char *name, const struct patch_options *options,
		struct patch_report *report, struct hive **hive_ret,
		struct hp_error *err)
{
	struct patch_hive *grown, *h;
	enum hp_status status;

	grown = realloc(report->others,
			(report->other_count + 1) * sizeof *grown);
	if (grown == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
	report->others = grown;
	h = &report->others[report->other_count++];
	memset(h, 0, sizeof *h);
	h->name = text_dup(name);
	if (h->name == NULL)
		return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", name);
	status = target_find_hive(&report->target, name, &h->where, err);
	if (status == HP_OK)
		status = open_found_hive(&h->where, options, &h->file, err);
	if (status == HP_OK)
		status = open_with_hivex(&h->file, h->where.path, hive_ret, err);
	return status;
}

/* Find KEY (NULL: the SYSTEM hive's root) in TARGET. */
static enum hp_status
locate_key(const char *target, const char *key,
	   const struct patch_options *options, struct patch_report *report,
	   struct located *loc, struct hp_error *err)
{
	enum hp_status status;
	bool other;

	memset(loc, 0, sizeof *loc);
	status = keypath_parse(key != NULL ? key : "HKLM\\SYSTEM", &loc->path,
			       err);
	if (status == HP_OK)
		status = open_system(target, options, false,
				     keypath_uses_current_control_set(&loc->path),
				     report, &loc->system, err);
	if (status != HP_OK)
		return status;
	other = loc->path.hive_name != NULL &&
		report->target.kind == TARGET_DIRECTORY &&
		!text_name_equal(loc->path.hive_name, "SYSTEM");
	loc->hive_name = report->target.kind == TARGET_HIVE_FILE &&
				 loc->path.hive_name != NULL
			 ? loc->path.hive_name
		 : other ? loc->path.hive_name : "SYSTEM";
	loc->hive = loc->system;
	if (other) {
		status = open_other_hive(loc->path.hive_name, options, report,
					 &loc->other, err);
		if (status != HP_OK)
			return status;
		loc->hive = loc->other;
	} else if (keypath_uses_current_control_set(&loc->path)) {
		free(loc->path.parts[0]);
		loc->path.parts[0] = text_dup(report->sets.names[0]);
		if (loc->path.parts[0] == NULL)
			return hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "%s", key);
	}
	loc->node = hive_root(loc->hive);
	for (size_t i = 0; i < loc->path.count; i++) {
		char *spelling = NULL;

		status = hive_find_child(loc->hive, loc->node, loc->path.parts[i],
					 &loc->node, &spelling, err);
		if (status != HP_OK)
			return status;
		if (loc->node == 0) {
			char *shown = keypath_format(loc->hive_name,
						     loc->path.parts, i + 1);

			status = hp_error_set(err, HP_ERR_NOT_FOUND, 0,
					      "%s: no key %s", target,
					      shown != NULL ? shown : key);
			free(shown);
			return status;
		}
		free(loc->path.parts[i]);
		loc->path.parts[i] = spelling;
	}
	return HP_OK;
}

enum hp_status
patch_show(const char *target, const char *key,
	   const struct patch_options *options, struct patch_report *report,
	   struct patch_listing *listing, struct hp_error *err)
{
	struct located loc;
	enum hp_status status;

	memset(report, 0, sizeof *report);
	memset(listing, 0, sizeof *listing);
	hp_error_clear(err);
	status = locate_key(target, key, options, report, &loc, err);
	if (status == HP_OK) {
		listing->key = keypath_format(loc.hive_name, loc.path.parts,
					      loc.path.count);
		if (listing->key == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "show");
	}
	if (status == HP_OK)
		status = list_key(loc.hive, loc.node, listing, err);
	located_release(&loc);
	return status;
}

enum hp_status
patch_export(const char *target, const char *key, bool utf8,
	     const struct patch_options *options, struct patch_report *report,
	     struct hp_buffer *out, struct hp_error *err)
{
	struct located loc;
	char *path = NULL;
	enum hp_status status;

	struct patch_options own = *options;

	memset(report, 0, sizeof *report);
	hp_error_clear(err);
	/* Read with hivepatch's own reader: it reads values hivex refuses
	 * (differencing hives), and export is what proves a round trip. */
	own.own_reader = true;
	status = locate_key(target, key, &own, report, &loc, err);
	if (status == HP_OK) {
		path = keypath_format_long(loc.hive_name, loc.path.parts,
					   loc.path.count);
		if (path == NULL)
			status = hp_error_set(err, HP_ERR_NO_MEMORY, ENOMEM, "export");
	}
	if (status == HP_OK)
		status = regexport_key(loc.hive, loc.node, path, utf8, out, err);
	free(path);
	located_release(&loc);
	return status;
}

static void
diff_side_release(struct diff_side *side)
{
	hive_close(side->hive);
	hivefile_close(&side->file);
	target_hive_release(&side->where);
	memset(side, 0, sizeof *side);
}

/* Open hive NAME of TARGET; absent is not an error (side->hive NULL). */
static enum hp_status
diff_side_open(const struct target *target, const char *name,
	       const struct patch_options *options, struct diff_side *side,
	       struct hp_error *err)
{
	enum hp_status status;

	memset(side, 0, sizeof *side);
	status = target_find_hive(target, name, &side->where, err);
	if (status == HP_ERR_NOT_FOUND) {
		hp_error_clear(err);
		return HP_OK;
	}
	if (status != HP_OK)
		return status;
	status = open_found_hive(&side->where, options, &side->file, err);
	if (status == HP_OK)
		status = hive_open_memory(side->file.data, side->file.size,
					  side->where.path, &side->hive, err);
	return status;
}

enum hp_status
patch_diff(const char *a_path, const char *b_path, bool utf8,
	   const struct patch_options *options, struct hp_buffer *out,
	   size_t *differences_ret, struct hp_error *err)
{
	static const char *const names[] = { "SYSTEM", "SOFTWARE", "SAM",
					     "SECURITY", "DEFAULT" };
	struct target a = { 0 }, b = { 0 };
	size_t header = 0;
	bool wrote = false, files;
	enum hp_status status;

	*differences_ret = 0;
	hp_error_clear(err);
	status = target_open(a_path, &a, err);
	if (status == HP_OK)
		status = target_open(b_path, &b, err);
	files = a.kind == TARGET_HIVE_FILE || b.kind == TARGET_HIVE_FILE;
	/* Hive files: the one hive; images: every hive either has. */
	for (size_t i = 0; status == HP_OK && i < (files ? 1 : 5); i++) {
		struct diff_side sa, sb;
		struct hp_buffer part = { NULL, 0, 0 };
		size_t differences = 0;
		char path[64];

		status = diff_side_open(&a, names[i], options, &sa, err);
		if (status == HP_OK)
			status = diff_side_open(&b, names[i], options, &sb, err);
		snprintf(path, sizeof path, "%s\\%s",
			 strcmp(names[i], "DEFAULT") == 0 ? "HKEY_USERS" : "HKEY_LOCAL_MACHINE",
			 strcmp(names[i], "DEFAULT") == 0 ? ".DEFAULT" : names[i]);
		if (status == HP_OK && (sa.hive != NULL || sb.hive != NULL))
			status = regdiff_keys(sa.hive, sa.hive != NULL ? hive_root(sa.hive) : 0,
					      sb.hive, sb.hive != NULL ? hive_root(sb.hive) : 0,
					      path, utf8, &part, &differences, err);
		/* One header for the whole file: later parts lose theirs. */
		if (status == HP_OK && part.len > 0) {
			if (!wrote) {
				struct hp_buffer empty = { NULL, 0, 0 };
				size_t ignored;

				/* The header is what an equal diff writes. */
				status = regdiff_keys(sa.hive != NULL ? sa.hive : sb.hive,
						      sa.hive != NULL ? hive_root(sa.hive) : hive_root(sb.hive),
						      sa.hive != NULL ? sa.hive : sb.hive,
						      sa.hive != NULL ? hive_root(sa.hive) : hive_root(sb.hive),
						      path, utf8, &empty, &ignored, err);
				header = empty.len;
				buffer_release(&empty);
			}
			if (status == HP_OK)
				status = buffer_append(out, part.data + (wrote ? header : 0),
						       part.len - (wrote ? header : 0));
			wrote = true;
		}
		*differences_ret += differences;
		buffer_release(&part);
		diff_side_release(&sa);
		diff_side_release(&sb);
	}
	target_release(&a);
	target_release(&b);
	return status;
}
